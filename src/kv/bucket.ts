// A bucket's entries: put/get/create/update/delete/purge, keys, history, watch, status (ADR-8).
import { headers, type Codec, type MsgHdrs } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { requireFeature } from "../jetstream/features.js";
import { WrongLastSequenceError, type JetStreamClient, type JetStreamManager, type StreamInfo } from "../jetstream/index.js";
import { entryFromStored } from "./entry.js";
import { KeyExistsError } from "./errors.js";
import { keyPrefixOf, statusOf } from "./config.js";
import { checkKey, checkKeyFilter } from "./validate.js";
import { KvWatcher } from "./watcher.js";
import type { KvEntry, KvStatus, KvWatchOptions } from "./types.js";

/** How often `create()` retries when others delete and re-create the key at the same time. */
const CREATE_ATTEMPTS = 10;
const DEFAULT_PURGE_DELETES_OLDER = 30 * 60_000;

function checkRevision(v: unknown, what: string): asserts v is number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new InvalidArgumentError(`${what} must be a non-negative integer`);
}

/** A per-key or purge-marker TTL: ms, at least a second (the server counts in seconds). */
function checkTtl(v: unknown, what: string): asserts v is number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 1000) throw new InvalidArgumentError(`${what} must be a number of ms, at least 1000`);
}

export class Bucket<T = Uint8Array> {
  readonly bucket: string;
  readonly #stream: string;
  /** `$KV.<bucket>.` (the origin's for a mirror): what keys are read under */
  readonly #prefix: string;
  /** What keys are written under (with the API prefix of a domain or import) */
  readonly #writePrefix: string;

  constructor(
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    si: StreamInfo,
    private readonly codec?: Codec<T>,
  ) {
    const k = keyPrefixOf(si);
    this.#stream = si.config.name;
    this.bucket = this.#stream.slice(3);
    this.#prefix = k.prefix;
    const api = js.api.prefix;
    const external = si.config.mirror?.external?.api !== undefined;
    this.#writePrefix = api === "$JS.API" || external ? k.writePrefix : `${api}.${k.writePrefix}`;
  }

  #encode(value: T | Uint8Array | string): Uint8Array | string {
    if (this.codec) return this.codec.encode(value as T);
    if (typeof value === "string" || value instanceof Uint8Array) return value;
    throw new InvalidArgumentError("value must be a Uint8Array or a string (or open the bucket with a codec)");
  }

  #subject(key: string): string {
    checkKey(key);
    return `${this.#writePrefix}${key}`;
  }

  /** Stores a value; resolves with its revision. `previousSeq`: only if the key's last revision is that. */
  async put(key: string, value: T | Uint8Array | string, opts: { previousSeq?: number } = {}): Promise<number> {
    const subject = this.#subject(key);
    if (opts.previousSeq !== undefined) checkRevision(opts.previousSeq, "previousSeq");
    const data = this.#encode(value);
    const ack = await this.js.publish(subject, data, opts.previousSeq !== undefined ? { expect: { lastSubjectSequence: opts.previousSeq } } : undefined);
    return ack.seq;
  }

  /** The current value (or the given revision); null when missing, deleted or purged. */
  async get(key: string, opts: { revision?: number } = {}): Promise<KvEntry<T> | null> {
    const e = await this.#raw(key, opts.revision);
    return e && e.operation === "PUT" ? e : null;
  }

  /** The last entry of a key including DEL/PURGE markers. */
  async #raw(key: string, revision?: number): Promise<KvEntry<T> | null> {
    checkKey(key);
    const subject = `${this.#prefix}${key}`;
    if (revision !== undefined) {
      checkRevision(revision, "revision");
      const m = await this.jsm.streams.getMessage(this.#stream, { seq: revision });
      if (!m || m.subject !== subject) return null;
      return entryFromStored(this.bucket, this.#prefix, m, this.codec);
    }
    const m = await this.jsm.streams.getMessage(this.#stream, { last_by_subj: subject });
    return m ? entryFromStored(this.bucket, this.#prefix, m, this.codec) : null;
  }

  /**
   * Stores a value only if the key has none (it may have been deleted or purged); rejects with
   * KeyExistsError otherwise. `ttl` (ms, 2.11+ with limit markers) makes the key expire.
   */
  async create(key: string, value: T | Uint8Array | string, opts: { ttl?: number } = {}): Promise<number> {
    const subject = this.#subject(key);
    if (opts.ttl !== undefined) {
      checkTtl(opts.ttl, "ttl");
      requireFeature(this.js.nc, "msg_ttl", "a per-key TTL (create with ttl)");
    }
    const data = this.#encode(value);
    const ttl = opts.ttl !== undefined ? { ttl: opts.ttl } : {};
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      try {
        return (await this.js.publish(subject, data, { expect: { lastSubjectSequence: 0 }, ...ttl })).seq;
      } catch (err) {
        if (!(err instanceof WrongLastSequenceError)) throw err;
      }
      const last = await this.#raw(key);
      if (last && last.operation === "PUT") throw new KeyExistsError(key);
      if (!last) continue; // gone in between: try the plain create again
      try {
        return (await this.js.publish(subject, data, { expect: { lastSubjectSequence: last.revision }, ...ttl })).seq;
      } catch (err) {
        if (!(err instanceof WrongLastSequenceError)) throw err;
        // someone else deleted or re-created it meanwhile: look again
      }
    }
    throw new KeyExistsError(key);
  }

  /** Compare-and-set: stores only if the key's last revision is `revision` (WRONG_LAST_SEQUENCE otherwise). */
  async update(key: string, value: T | Uint8Array | string, revision: number): Promise<number> {
    const subject = this.#subject(key);
    checkRevision(revision, "revision");
    return (await this.js.publish(subject, this.#encode(value), { expect: { lastSubjectSequence: revision } })).seq;
  }

  #marker(op: "DEL" | "PURGE", previousSeq?: number): MsgHdrs {
    const h = headers();
    h.set("KV-Operation", op);
    if (op === "PURGE") h.set("Nats-Rollup", "sub");
    if (previousSeq !== undefined) {
      checkRevision(previousSeq, "previousSeq");
      h.set("Nats-Expected-Last-Subject-Sequence", String(previousSeq));
    }
    return h;
  }

  /** Deletes the key (its history is kept). */
  async delete(key: string, opts: { previousSeq?: number } = {}): Promise<number> {
    const subject = this.#subject(key);
    return (await this.js.publish(subject, undefined, { headers: this.#marker("DEL", opts.previousSeq) })).seq;
  }

  /** Purges the key: removes its history, leaving a PURGE marker (which expires after `ttl` ms, 2.11+). */
  async purge(key: string, opts: { previousSeq?: number; ttl?: number } = {}): Promise<number> {
    const subject = this.#subject(key);
    const h = this.#marker("PURGE", opts.previousSeq);
    if (opts.ttl !== undefined) {
      checkTtl(opts.ttl, "ttl");
      requireFeature(this.js.nc, "msg_ttl", "a purge marker TTL (purge with ttl)");
    }
    return (await this.js.publish(subject, undefined, { headers: h, ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}) })).seq;
  }

  /** Watches keys (see KvWatchOptions); iterate the watcher or give a callback. */
  watch(opts: KvWatchOptions<T> = {}): KvWatcher<T> {
    return new KvWatcher<T>({ js: this.js, stream: this.#stream, bucket: this.bucket, prefix: this.#prefix }, opts, this.codec);
  }

  /** Every live key (matching the filter or filters), streamed; values are never fetched. */
  keys(filter: string | string[] = ">"): AsyncIterable<string> {
    const filters = Array.isArray(filter) ? filter : [filter];
    for (const f of filters) checkKeyFilter(f);
    const w = this.watch({ key: filters, headersOnly: true, ignoreDeletes: true });
    return mapped(w.initialValues(), (e) => e.key);
  }

  /** Every revision of a key (or of every key), oldest first. */
  history(opts: { key?: string | string[] } = {}): AsyncIterable<KvEntry<T>> {
    return this.watch({ key: opts.key ?? ">", include: "allHistory" }).initialValues();
  }

  /** Removes the history of deleted and purged keys; markers younger than `olderMillis` (default 30 min) are kept. */
  async purgeDeletes(opts: { olderMillis?: number } = {}): Promise<number> {
    const older = opts.olderMillis ?? DEFAULT_PURGE_DELETES_OLDER;
    const markers: KvEntry<T>[] = [];
    for await (const e of this.watch({ headersOnly: true }).initialValues()) {
      if (e.operation !== "PUT") markers.push(e);
    }
    const now = Date.now();
    let purged = 0;
    for (const m of markers) {
      const keep = older > 0 && now - m.created.getTime() < older ? { keep: 1 } : {};
      purged += (await this.jsm.streams.purge(this.#stream, { filter: `${this.#prefix}${m.key}`, ...keep })).purged;
    }
    return purged;
  }

  async status(): Promise<KvStatus> {
    return statusOf(await this.jsm.streams.info(this.#stream));
  }

  /** Deletes the bucket and everything in it. */
  async destroy(): Promise<boolean> {
    return this.jsm.streams.delete(this.#stream);
  }
}

async function* mapped<A, B>(it: AsyncIterable<A>, f: (a: A) => B): AsyncGenerator<B> {
  for await (const a of it) yield f(a);
}
