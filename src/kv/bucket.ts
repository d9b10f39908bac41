// A bucket's entries: put/get/create/update/delete/purge, keys, history, watch, status (ADR-8).
import { headers, type Codec, type MsgHdrs } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { abortableIteration, checkCallOptions, splitCallOptions, withCallWait, type CallWait } from "../util/abort.js";
import { requireFeature } from "../jetstream/features.js";
import { checkKeys } from "../jetstream/validate.js";
import { WrongLastSequenceError, type JetStreamClient, type JetStreamManager, type StreamInfo } from "../jetstream/index.js";
import { entryFromStored } from "./entry.js";
import { KeyExistsError } from "./errors.js";
import { keyPrefixOf, statusOf } from "./config.js";
import { checkKey } from "./validate.js";
import { KvWatcher, watchKeys } from "./watcher.js";
import type {
  KvCallOptions,
  KvCreateOptions,
  KvDeleteOptions,
  KvEntry,
  KvGetOptions,
  KvHistoryOptions,
  KvPurgeDeletesOptions,
  KvPurgeOptions,
  KvPutOptions,
  KvStatus,
  KvWatchOptions,
} from "./types.js";

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

/** The call's own option keys plus `timeout` and `signal`, checked before anything is sent. */
function checkCall(opts: unknown, keys: readonly string[], what: string): void {
  checkKeys(opts, [...keys, "timeout", "signal"], what);
  checkCallOptions(opts);
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

  /**
   * Stores a value; resolves with its revision. `previousSeq`: only if the key's last revision is that.
   * A timeout or abort after the value was sent abandons the wait only: it may still be stored.
   */
  async put(key: string, value: T | Uint8Array | string, opts: KvPutOptions = {}): Promise<number> {
    checkCall(opts, ["previousSeq"], "put");
    const subject = this.#subject(key);
    if (opts.previousSeq !== undefined) checkRevision(opts.previousSeq, "previousSeq");
    const data = this.#encode(value);
    const { call } = splitCallOptions(opts);
    const expect = opts.previousSeq !== undefined ? { expect: { lastSubjectSequence: opts.previousSeq } } : {};
    const ack = await this.js.publish(subject, data, { ...expect, ...call });
    return ack.seq;
  }

  /** The current value (or the given revision); null when missing, deleted or purged. */
  async get(key: string, opts: KvGetOptions = {}): Promise<KvEntry<T> | null> {
    checkCall(opts, ["revision"], "get");
    checkKey(key);
    if (opts.revision !== undefined) checkRevision(opts.revision, "revision");
    const { call } = splitCallOptions(opts);
    const e = await withCallWait(call, `get of '${key}'`, (w) => this.#raw(key, opts.revision, w));
    return e && e.operation === "PUT" ? e : null;
  }

  /** The last entry of a key including DEL/PURGE markers. */
  async #raw(key: string, revision: number | undefined, w: CallWait): Promise<KvEntry<T> | null> {
    checkKey(key);
    const subject = `${this.#prefix}${key}`;
    if (revision !== undefined) {
      checkRevision(revision, "revision");
      const m = await this.jsm.streams.getMessage(this.#stream, { seq: revision }, w.step());
      if (!m || m.subject !== subject) return null;
      return entryFromStored(this.bucket, this.#prefix, m, this.codec);
    }
    const m = await this.jsm.streams.getMessage(this.#stream, { last_by_subj: subject }, w.step());
    return m ? entryFromStored(this.bucket, this.#prefix, m, this.codec) : null;
  }

  /**
   * Stores a value only if the key has none (it may have been deleted or purged); rejects with
   * KeyExistsError otherwise. `ttl` (ms, 2.11+ with limit markers) makes the key expire.
   */
  async create(key: string, value: T | Uint8Array | string, opts: KvCreateOptions = {}): Promise<number> {
    checkCall(opts, ["ttl"], "create");
    const subject = this.#subject(key);
    if (opts.ttl !== undefined) {
      checkTtl(opts.ttl, "ttl");
      requireFeature(this.js.nc, "msg_ttl", "a per-key TTL (create with ttl)");
    }
    const data = this.#encode(value);
    const ttl = opts.ttl !== undefined ? { ttl: opts.ttl } : {};
    const { call } = splitCallOptions(opts);
    return withCallWait(call, `create of '${key}'`, async (w) => {
      for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
        try {
          return (await this.js.publish(subject, data, { expect: { lastSubjectSequence: 0 }, ...ttl, ...w.step() })).seq;
        } catch (err) {
          if (!(err instanceof WrongLastSequenceError)) throw err;
        }
        const last = await this.#raw(key, undefined, w);
        if (last && last.operation === "PUT") throw new KeyExistsError(key);
        if (!last) continue; // gone in between: try the plain create again
        try {
          return (await this.js.publish(subject, data, { expect: { lastSubjectSequence: last.revision }, ...ttl, ...w.step() })).seq;
        } catch (err) {
          if (!(err instanceof WrongLastSequenceError)) throw err;
          // someone else deleted or re-created it meanwhile: look again
        }
      }
      throw new KeyExistsError(key);
    });
  }

  /** Compare-and-set: stores only if the key's last revision is `revision` (WRONG_LAST_SEQUENCE otherwise). */
  async update(key: string, value: T | Uint8Array | string, revision: number, opts: KvCallOptions = {}): Promise<number> {
    checkCall(opts, [], "update");
    const subject = this.#subject(key);
    checkRevision(revision, "revision");
    const { call } = splitCallOptions(opts);
    return (await this.js.publish(subject, this.#encode(value), { expect: { lastSubjectSequence: revision }, ...call })).seq;
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
  async delete(key: string, opts: KvDeleteOptions = {}): Promise<number> {
    checkCall(opts, ["previousSeq"], "delete");
    const subject = this.#subject(key);
    const { call } = splitCallOptions(opts);
    return (await this.js.publish(subject, undefined, { headers: this.#marker("DEL", opts.previousSeq), ...call })).seq;
  }

  /** Purges the key: removes its history, leaving a PURGE marker (which expires after `ttl` ms, 2.11+). */
  async purge(key: string, opts: KvPurgeOptions = {}): Promise<number> {
    checkCall(opts, ["previousSeq", "ttl"], "purge");
    const subject = this.#subject(key);
    const h = this.#marker("PURGE", opts.previousSeq);
    if (opts.ttl !== undefined) {
      checkTtl(opts.ttl, "ttl");
      requireFeature(this.js.nc, "msg_ttl", "a purge marker TTL (purge with ttl)");
    }
    const { call } = splitCallOptions(opts);
    return (await this.js.publish(subject, undefined, { headers: h, ...(opts.ttl !== undefined ? { ttl: opts.ttl } : {}), ...call })).seq;
  }

  /** Watches keys (see KvWatchOptions); iterate the watcher or give a callback. */
  watch(opts: KvWatchOptions<T> = {}): KvWatcher<T> {
    return this.#watch(opts);
  }

  #watch(opts: KvWatchOptions<T>, signal?: AbortSignal): KvWatcher<T> {
    return new KvWatcher<T>({ js: this.js, stream: this.#stream, bucket: this.bucket, prefix: this.#prefix }, opts, this.codec, signal);
  }

  /**
   * Every live key (matching the filter or filters), streamed; values are never fetched. The watch
   * starts with the iteration; `timeout` bounds the whole iteration, `signal` ends it with its reason.
   */
  keys(filter: string | string[] = ">", opts: KvCallOptions = {}): AsyncIterable<string> {
    const filters = watchKeys(this.js, filter);
    checkCall(opts, [], "keys");
    const { call } = splitCallOptions(opts);
    return abortableIteration(call, "keys()", (signal) => mapped(this.#watch({ key: filters, headersOnly: true, ignoreDeletes: true }, signal).initialValues(), (e) => e.key));
  }

  /** Every revision of a key (or of every key), oldest first; `timeout` / `signal` as for keys(). */
  history(opts: KvHistoryOptions = {}): AsyncIterable<KvEntry<T>> {
    checkCall(opts, ["key"], "history");
    const keys = watchKeys(this.js, opts.key);
    const { call } = splitCallOptions(opts);
    return abortableIteration(call, "history()", (signal) => this.#watch({ key: keys, include: "allHistory" }, signal).initialValues());
  }

  /** Removes the history of deleted and purged keys; markers younger than `olderMillis` (default 30 min) are kept. */
  async purgeDeletes(opts: KvPurgeDeletesOptions = {}): Promise<number> {
    checkCall(opts, ["olderMillis"], "purgeDeletes");
    const older = opts.olderMillis ?? DEFAULT_PURGE_DELETES_OLDER;
    if (typeof older !== "number" || Number.isNaN(older)) throw new InvalidArgumentError("olderMillis must be a number of ms");
    const { call } = splitCallOptions(opts);
    return withCallWait(call, "purgeDeletes", async (w) => {
      const markers: KvEntry<T>[] = [];
      for await (const e of this.#watch({ headersOnly: true }, w.signal).initialValues()) {
        if (e.operation !== "PUT") markers.push(e);
      }
      const now = Date.now();
      let purged = 0;
      for (const m of markers) {
        const keep = older > 0 && now - m.created.getTime() < older ? { keep: 1 } : {};
        purged += (await this.jsm.streams.purge(this.#stream, { filter: `${this.#prefix}${m.key}`, ...keep }, w.step())).purged;
      }
      return purged;
    });
  }

  async status(opts: KvCallOptions = {}): Promise<KvStatus> {
    checkCall(opts, [], "status");
    const { call } = splitCallOptions(opts);
    return withCallWait(call, "status", async (w) => statusOf(await this.jsm.streams.info(this.#stream, undefined, w.step())));
  }

  /** Deletes the bucket and everything in it. */
  async destroy(opts: KvCallOptions = {}): Promise<boolean> {
    checkCall(opts, [], "destroy");
    const { call } = splitCallOptions(opts);
    return withCallWait(call, "destroy", (w) => this.jsm.streams.delete(this.#stream, w.step()));
  }
}

async function* mapped<A, B>(it: AsyncIterable<A>, f: (a: A) => B): AsyncGenerator<B> {
  for await (const a of it) yield f(a);
}
