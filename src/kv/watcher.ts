// Watching a bucket: an ordered consumer over its key subjects (ADR-8). Resumes after reconnects
// and restarts from the last delivered revision; `initialized` resolves exactly once, when every
// value that existed when the watch began has been handed on.
import type { Codec } from "../core.js";
import type { ConsumerMessages, DeliverPolicy, JetStreamClient, JsMsg, OrderedConsumerOptions } from "../jetstream/index.js";
import { InvalidArgumentError } from "../util/errors.js";
import { requireFeature } from "../jetstream/features.js";
import { entryFromDelivered } from "./entry.js";
import { checkKeyFilter } from "./validate.js";
import type { KvEntry, KvWatchOptions } from "./types.js";

/** Bytes a watcher pulls at a time (at least; see #start). */
const WATCH_PULL_BYTES = 1024 * 1024;
/** Messages a headers-only watcher pulls at a time. */
const HEADERS_ONLY_PULL = 1024;
/** Room for a message's subject, reply and protocol framing beyond the server's max_payload. */
const PULL_BYTES_MARGIN = 64 * 1024;

export interface WatchTarget {
  js: JetStreamClient;
  stream: string;
  bucket: string;
  /** `$KV.<bucket>.` (the origin's for a mirror) */
  prefix: string;
}

export const WATCH_KEYS = ["key", "include", "ignoreDeletes", "headersOnly", "resumeFromRevision", "callback"];

/** The key filters of a watch, keys() or history(), checked (several need nats-server 2.10). */
export function watchKeys(js: JetStreamClient, key: string | string[] | undefined): string[] {
  const keys = key === undefined ? [">"] : Array.isArray(key) ? key : [key];
  if (keys.length === 0) throw new InvalidArgumentError("watch: key must not be an empty list");
  for (const k of keys) checkKeyFilter(k);
  if (keys.length > 1) requireFeature(js.nc, "filter_subjects", "watching several keys (or keys/history with several filters)");
  return keys;
}

export class KvWatcher<T = Uint8Array> implements AsyncIterable<KvEntry<T>> {
  /** Resolves once the initial values were handed on (at once for an empty match or updatesOnly). */
  readonly initialized: Promise<void>;
  #resolveInit!: () => void;
  #rejectInit!: (e: Error) => void;
  #initDone = false;
  #messages: Promise<ConsumerMessages>;
  #stopped = false;
  #iterating = false;
  #done: Promise<void> = Promise.resolve();

  constructor(
    private readonly t: WatchTarget,
    private readonly opts: KvWatchOptions<T>,
    private readonly codec?: Codec<T>,
    /** Internal (keys, history, purgeDeletes): aborting ends the watch with the signal's reason. */
    private readonly signal?: AbortSignal,
  ) {
    for (const k of Object.keys(opts)) if (!WATCH_KEYS.includes(k)) throw new InvalidArgumentError(`unknown watch option '${k}'`);
    const keys = watchKeys(t.js, opts.key);
    if (opts.include !== undefined && !["allHistory", "lastValue", "updatesOnly"].includes(opts.include)) {
      throw new InvalidArgumentError(`watch: include must be "allHistory", "lastValue" or "updatesOnly"`);
    }
    if (opts.resumeFromRevision !== undefined && (!Number.isInteger(opts.resumeFromRevision) || opts.resumeFromRevision < 1)) {
      throw new InvalidArgumentError("resumeFromRevision must be a positive integer");
    }
    if (opts.callback !== undefined && typeof opts.callback !== "function") throw new InvalidArgumentError("callback must be a function");
    this.initialized = new Promise<void>((resolve, reject) => {
      this.#resolveInit = resolve;
      this.#rejectInit = reject;
    });
    this.initialized.catch(() => undefined); // reported to whoever awaits it
    let deliver: DeliverPolicy = opts.include === "allHistory" ? "all" : opts.include === "updatesOnly" ? "new" : "last_per_subject";
    const oco: OrderedConsumerOptions = { filter_subjects: keys.map((k) => `${t.prefix}${k}`), deliver_policy: deliver };
    if (opts.resumeFromRevision !== undefined) {
      deliver = "by_start_sequence";
      oco.deliver_policy = deliver;
      oco.opt_start_seq = opts.resumeFromRevision;
    }
    if (opts.headersOnly) oco.headers_only = true;
    this.#messages = this.#start(oco, deliver === "new");
    this.#messages.catch((err: Error) => this.#fail(err));
    if (opts.callback) this.#done = this.#runCallback(opts.callback);
  }

  async #start(oco: OrderedConsumerOptions, updatesOnly: boolean): Promise<ConsumerMessages> {
    const signal = this.signal;
    const oc = await this.t.js.consumers.get(this.t.stream, oco, signal ? { signal } : undefined);
    // With values, pulls are sized in bytes: memory stays bounded whatever the values' sizes, small
    // entries come thousands per pull, and the largest message the server allows always fits.
    // Headers only (keys()), every message is small: a count keeps the objects per pull few.
    const size = oco.headers_only
      ? { max_messages: HEADERS_ONLY_PULL }
      : { max_bytes: Math.max(WATCH_PULL_BYTES, (this.t.js.nc.info?.max_payload ?? 0) + PULL_BYTES_MARGIN) };
    const msgs = await oc.consume({ ...size, ...(signal ? { signal } : {}) });
    const pending = oc.cachedInfo()?.num_pending ?? 0;
    this.#initPending = pending;
    if (updatesOnly || pending === 0) this.#markInit();
    if (this.#stopped) await msgs.stop();
    return msgs;
  }
  #initPending = 0;
  #seen = 0;

  #markInit(): void {
    if (this.#initDone) return;
    this.#initDone = true;
    this.#resolveInit();
  }

  #fail(err: Error): void {
    if (!this.#initDone) {
      this.#initDone = true;
      this.#rejectInit(err);
    }
  }

  /** Counts a delivered message; true when it is the last of the initial values. */
  #isLast(m: JsMsg): boolean {
    this.#seen++;
    return !this.#initDone && (this.#seen >= this.#initPending || m.meta.pending === 0);
  }

  /** A delivered message's entry, or undefined when the options skip it. */
  #entryOf(m: JsMsg): KvEntry<T> | undefined {
    const e = entryFromDelivered(this.t.bucket, this.t.prefix, m, this.codec);
    return this.opts.ignoreDeletes && e.operation !== "PUT" ? undefined : e;
  }

  /** Only the values the watch started with, then it stops (keys, history, purgeDeletes). */
  async *initialValues(): AsyncGenerator<KvEntry<T>> {
    this.#iterating = true;
    try {
      const msgs = await this.#messages;
      if (this.#initDone) return;
      for await (const m of msgs) {
        const last = this.#isLast(m);
        const entry = this.#entryOf(m);
        if (entry) yield entry;
        if (last) return this.#markInit();
      }
    } finally {
      await this.stop();
    }
  }

  async #runCallback(cb: (e: KvEntry<T>) => void | Promise<void>): Promise<void> {
    try {
      for await (const m of await this.#messages) {
        const last = this.#isLast(m);
        const entry = this.#entryOf(m);
        if (entry) {
          try {
            await cb(entry);
          } catch {
            // a throwing callback does not end the watch
          }
        }
        if (last) this.#markInit();
      }
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  /** Stops watching; the iteration ends after what was already received. */
  async stop(): Promise<void> {
    this.#stopped = true;
    const msgs = await this.#messages.catch(() => undefined);
    await msgs?.stop();
    this.#markInit();
  }

  /** Resolves when the watch ended (with the error that ended it, or null). */
  async closed(): Promise<Error | null> {
    const msgs = await this.#messages.catch((e: Error) => e);
    if (msgs instanceof Error) return msgs;
    const r = await msgs.closed();
    await this.#done;
    return r;
  }

  [Symbol.asyncIterator](): AsyncIterator<KvEntry<T>> {
    if (this.opts.callback) throw new Error("this watch has a callback: it cannot also be iterated");
    if (this.#iterating) throw new Error("already iterating");
    this.#iterating = true;
    // straight on the consumer's messages (no generator in between: one message, one entry); a
    // buffered message is taken at once, without awaiting the consumer's own iterator
    let source: ConsumerMessages | undefined;
    let msgs: AsyncIterator<JsMsg> | undefined;
    // `initialized` resolves when the loop asks for the entry after the last initial one (its body
    // has run), or on the next turn of the event loop if the body awaits something first.
    let markNext = false;
    const step = (m: JsMsg): KvEntry<T> | undefined => {
      const last = this.#isLast(m);
      const entry = this.#entryOf(m);
      if (last && !entry) this.#markInit();
      if (entry && last) {
        markNext = true;
        setTimeout(() => this.#markInit(), 0);
      }
      return entry;
    };
    const wait = async (): Promise<IteratorResult<KvEntry<T>>> => {
      for (;;) {
        let r: IteratorResult<JsMsg>;
        try {
          source ??= await this.#messages;
          msgs ??= source[Symbol.asyncIterator]();
          r = await msgs.next();
        } catch (err) {
          this.#fail(err as Error);
          throw err;
        }
        if (r.done) return { value: undefined, done: true };
        const entry = step(r.value);
        if (entry) return { value: entry, done: false };
      }
    };
    const next = (): Promise<IteratorResult<KvEntry<T>>> => {
      if (markNext) this.#markInit();
      if (msgs !== undefined) {
        try {
          for (let m = source!.take(); m !== undefined; m = source!.take()) {
            const entry = step(m);
            if (entry) return Promise.resolve({ value: entry, done: false });
          }
        } catch (err) {
          return Promise.reject(err as Error);
        }
      }
      return wait();
    };
    return {
      next,
      return: async () => {
        await this.stop();
        return { value: undefined, done: true };
      },
    };
  }
}
