// Key-Value options, entries and statuses.
import type { Codec } from "../core.js";
import type { Placement, Republish, StorageType, StreamInfo, StreamSource } from "../jetstream/index.js";

/** Bucket options (durations in ms). */
export interface KvOptions {
  /** Values kept per key (1–64, default 1). */
  history?: number;
  /** How long a value lives, ms (0 = forever). */
  ttl?: number;
  /** The bucket's size limit in bytes (-1 = unlimited). */
  max_bytes?: number;
  /** The largest value in bytes (-1 = unlimited). */
  maxValueSize?: number;
  storage?: StorageType;
  replicas?: number;
  description?: string;
  placement?: Placement;
  republish?: Republish;
  /** Mirror another bucket (read replica): its name, with or without `KV_`. */
  mirror?: StreamSource;
  /** Aggregate other buckets; subject transforms are added when none are given [2.10+]. */
  sources?: StreamSource[];
  /** Direct gets from any replica (default true). */
  allow_direct?: boolean;
  /** [2.10+] S2 compression. */
  compression?: boolean;
  /** [2.10+] */
  metadata?: Record<string, string>;
  /** [2.11+] Limit markers: expired/purged keys leave DEL/PURGE markers kept this long, ms (≥ 1000). */
  markerTTL?: number;
}

export type KvOperation = "PUT" | "DEL" | "PURGE";

/** One revision of a key. */
export interface KvEntry<T = Uint8Array> {
  bucket: string;
  key: string;
  /** The value (through the bucket's codec; reading it throws ValueDecodeError when that fails). */
  readonly value: T;
  /** The raw bytes. */
  readonly raw: Uint8Array;
  revision: number;
  created: Date;
  /** Values still to come after this one (watch), 0 for a get. */
  delta: number;
  operation: KvOperation;
  /** Why the server wrote a marker (`MaxAge`, `Purge`, `Remove`), for limit markers [2.11+]. */
  markerReason?: string;
  string(): string;
  json<J = unknown>(): J;
}

export interface KvStatus {
  bucket: string;
  /** Messages in the bucket, history and markers included. */
  values: number;
  history: number;
  /** ms */
  ttl: number;
  bytes: number;
  backingStore: "JetStream";
  storage: StorageType;
  replicas: number;
  description?: string;
  metadata?: Record<string, string>;
  isCompressed: boolean;
  /** [2.11+] limit-marker TTL, ms (0 = off) */
  markerTTL: number;
  streamInfo: StreamInfo;
}

export interface KvOpenOptions<T> {
  codec?: Codec<T>;
}

/**
 * What every Kvm and bucket call that waits takes: `timeout` (ms) bounds the whole call (all its
 * requests) and rejects with `TimeoutError`; aborting `signal` rejects with its reason. An aborted
 * signal sends nothing. A change already sent when the wait ends may still be applied.
 */
export interface KvCallOptions {
  timeout?: number;
  signal?: AbortSignal;
}

/** Options of `put()`. */
export interface KvPutOptions extends KvCallOptions {
  /** Store only if the key's last revision is this (0: the key has none). */
  previousSeq?: number;
}
/** Options of `get()`. */
export interface KvGetOptions extends KvCallOptions {
  /** This revision instead of the current value. */
  revision?: number;
}
/** Options of `create()`. */
export interface KvCreateOptions extends KvCallOptions {
  /** [2.11+] The key expires after this many ms (≥ 1000; the bucket needs `markerTTL`). */
  ttl?: number;
}
/** Options of `delete()`. */
export interface KvDeleteOptions extends KvCallOptions {
  previousSeq?: number;
}
/** Options of `purge()`. */
export interface KvPurgeOptions extends KvCallOptions {
  previousSeq?: number;
  /** [2.11+] The purge marker expires after this many ms (≥ 1000). */
  ttl?: number;
}
/** Options of `history()`. */
export interface KvHistoryOptions extends KvCallOptions {
  key?: string | string[];
}
/** Options of `purgeDeletes()`. */
export interface KvPurgeDeletesOptions extends KvCallOptions {
  /** DEL/PURGE markers younger than this are kept (the history before them is removed); default 30 minutes; 0 or less: none kept. */
  olderMillis?: number;
}

export interface KvWatchOptions<T = Uint8Array> {
  /** A key filter or several (`*` and a trailing `>` allowed); default every key. */
  key?: string | string[];
  /** "lastValue" (default), "allHistory", or "updatesOnly". */
  include?: "allHistory" | "lastValue" | "updatesOnly";
  /** Skip DEL and PURGE entries. */
  ignoreDeletes?: boolean;
  /** Values are not fetched (entries carry an empty value). */
  headersOnly?: boolean;
  /** Start at this revision, inclusive, with every entry from there on (resume a watch). */
  resumeFromRevision?: number;
  /** Entries go to this function, one at a time (a returned promise is awaited). */
  callback?: (e: KvEntry<T>) => void | Promise<void>;
}
