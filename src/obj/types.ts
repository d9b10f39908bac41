// The object store's data types: what callers pass (meta, options) and what they get back (infos,
// results, statuses). Field names follow the stored JSON (ADR-20) and nats.js.
import type { MsgHdrs } from "../core.js";
import type { Placement, StorageType, StreamInfo } from "../jetstream/index.js";

/** A link to another object (`name` set) or to a whole bucket (`name` absent). */
export interface ObjectStoreLink {
  bucket: string;
  name?: string;
}

export interface ObjectStoreMetaOptions {
  /** Set by `link()` / `linkStore()` only: a put with a link is refused. */
  link?: ObjectStoreLink;
  /** Bytes per chunk (default 128 KiB; at most the server's max_payload). */
  max_chunk_size?: number;
}

/** What describes an object: the caller's part of its info. */
export interface ObjectStoreMeta {
  /** Any non-empty Unicode string (not only dots), up to 2048 bytes of UTF-8. */
  name: string;
  description?: string;
  /** Kept with the object (a `MsgHdrs`, or key → values). */
  headers?: MsgHdrs | Record<string, string[]>;
  metadata?: Record<string, string>;
  options?: ObjectStoreMetaOptions;
}

/** An object's info, as stored in its meta message. */
export interface ObjectInfo {
  readonly name: string;
  /** "" when none. */
  readonly description: string;
  /** Empty when none. */
  readonly headers: MsgHdrs;
  /** `{}` when none. */
  readonly metadata: Record<string, string>;
  readonly options?: ObjectStoreMetaOptions;
  readonly bucket: string;
  /** The id of the object's chunk subject (`$O.<bucket>.C.<nuid>`). */
  readonly nuid: string;
  readonly size: number;
  readonly chunks: number;
  /** `SHA-256=<base64url>`; "" for links and deleted objects. */
  readonly digest: string;
  /** RFC 3339: when the meta message was stored (the local time for what put/link/update return). */
  readonly mtime: string;
  readonly deleted: boolean;
  /** The stream sequence of the meta message (0 when not known). */
  readonly revision: number;
  /** True for a link to an object or to a bucket. */
  isLink(): boolean;
}

/** What a watcher yields: an info, and whether it came after the initial values. */
export interface ObjectWatchInfo extends ObjectInfo {
  readonly isUpdate: boolean;
}

/** Options of `objm.create()`. */
export interface ObjectStoreOptions {
  description?: string;
  /** How long objects are kept, ms (0 or absent: forever). */
  ttl?: number;
  /** Size limit of the bucket in bytes (-1 or absent: unlimited). */
  max_bytes?: number;
  /** "file" (default) or "memory". */
  storage?: StorageType;
  /** Default 1. */
  replicas?: number;
  /** [2.10+] s2 compression of the stored data. */
  compression?: boolean;
  /** [2.10+] */
  metadata?: Record<string, string>;
  placement?: Placement;
}

/** A bucket's state (from its stream's info). */
export interface ObjectStoreStatus {
  readonly bucket: string;
  readonly description: string;
  /** ms; 0 = forever */
  readonly ttl: number;
  readonly storage: StorageType;
  readonly replicas: number;
  readonly sealed: boolean;
  /** Bytes stored, chunks and metadata together. */
  readonly size: number;
  readonly backingStore: "JetStream";
  readonly metadata: Record<string, string>;
  /** True when the bucket stores its data s2-compressed. */
  readonly compression: boolean;
  readonly streamInfo: StreamInfo;
}

/** Options of the calls that make one or a few requests to the server (info, delete, update, links, status, seal, destroy). */
export interface CallOptions {
  /** ms for each request (default: the JetStream context's timeout); one that expires rejects with TimeoutError. */
  timeout?: number;
  /** Aborting rejects the call with the signal's reason (a change already sent may still be applied). */
  signal?: AbortSignal;
}

/** Options of `info()`. */
export interface InfoOptions extends CallOptions {
  /** Give a deleted object's info instead of null. */
  showDeleted?: boolean;
}

/** Options of `put()` and the other puts. */
export interface PutOptions {
  /** How long each chunk may wait for its acknowledgement before it is sent again, ms (default: the JetStream context's timeout). */
  timeout?: number;
  /** Aborting stops the put, removes the chunks already stored, and rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** Options of `get()` and the other gets. */
export interface GetOptions {
  /** Give a deleted object's info (with no data) instead of null. */
  showDeleted?: boolean;
  /** ms for each request looking the object up (default: the JetStream context's timeout). */
  timeout?: number;
  /** Aborting ends the transfer: the stream errors with the signal's reason. */
  signal?: AbortSignal;
}

export interface WatchOptions {
  /** Every stored meta message, not only the last one of each object. */
  includeHistory?: boolean;
  /** Leave out deleted objects. */
  ignoreDeletes?: boolean;
  /** Only what changes from now on. */
  updatesOnly?: boolean;
}

/** Bytes to put: a web stream, an async iterable (a Node `Readable` is one), an iterable, or the bytes themselves. */
export type ObjectSource = ReadableStream<Uint8Array> | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> | Uint8Array | string;

/**
 * What `ObjectResult.readable()` returns: a Node.js `Readable`. This entry has no Node.js types;
 * the Node entry ("tsnats/obj" in Node, node.ts) declares it as `stream.Readable`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NodeReadable {}

/** An object being read. */
export interface ObjectResult {
  readonly info: ObjectInfo;
  /** The object's bytes, verified against its digest as they stream (read it to the end, or cancel it). */
  readonly data: ReadableStream<Uint8Array>;
  /** Resolves once `data` ended: null when every byte arrived and the digest matched, else the error. */
  readonly error: Promise<Error | null>;
  /** `data` as a Node.js Readable (the same one on every call); Node only. */
  readable(): NodeReadable;
}
