// Watching a bucket's meta subjects (`$O.<bucket>.M.>`) through an ordered consumer: by default the
// last info of every object, then every change; with `includeHistory` every stored info; with
// `updatesOnly` only what changes from now on. The end of the initial values is the info with
// nothing pending after it (or at once when there is none). While initial values remain, the
// watcher reads one info ahead of the loop, so that `initialized` resolves as soon as the last one
// the loop will see has been yielded, even when what follows it is skipped (ignoreDeletes).
import type { ConsumerMessages, JetStreamClient, JsMsg } from "../jetstream/index.js";
import { decodeInfo, timeFromNanos, toWatchInfo } from "./info.js";
import type { ObjectWatchInfo, WatchOptions } from "./types.js";

/** Infos read per pull. */
const WATCH_BATCH = 256;

/** An info read from the consumer, and whether it is the last of the initial values. */
type Read = { done: true } | { done: false; info: ObjectWatchInfo; lastInitial: boolean };

/** A running watch: iterate it for infos; `stop()` ends it. */
export class ObjectWatcher implements AsyncIterable<ObjectWatchInfo> {
  /** Resolves once every initial info has been yielded (at once with `updatesOnly` or an empty bucket), or when the watch ends. */
  readonly initialized: Promise<void>;
  #resolveInit!: () => void;
  /** Every initial message has been read from the consumer. */
  #initRead: boolean;
  #iterating = false;
  /** The read made ahead of the loop, while initial values remain. */
  #ahead?: Promise<Read>;
  readonly #it: AsyncIterator<JsMsg>;

  private constructor(
    private readonly msgs: ConsumerMessages,
    private readonly opts: WatchOptions,
    initialCount: number,
    /** End the iteration with the initial values (list()). */
    private readonly initialOnly: boolean,
  ) {
    this.initialized = new Promise((r) => (this.#resolveInit = r));
    this.#initRead = initialCount === 0;
    if (this.#initRead) this.#resolveInit();
    this.#it = msgs[Symbol.asyncIterator]();
    void msgs.closed().then(() => this.#resolveInit());
    // read the first initial value at once: a bucket whose initial values are all skipped is initialized without a loop
    if (!this.#initRead) this.#readAhead();
  }

  #readAhead(): void {
    const ahead = this.#read();
    ahead.catch(() => undefined);
    this.#ahead = ahead;
  }

  /** Starts a watch on `stream`'s meta subjects of `bucket`. */
  static async start(js: JetStreamClient, bucket: string, stream: string, opts: WatchOptions, initialOnly = false): Promise<ObjectWatcher> {
    const deliver_policy = opts.updatesOnly ? "new" : opts.includeHistory ? "all" : "last_per_subject";
    const oc = await js.consumers.get(stream, { filter_subjects: `$O.${bucket}.M.>`, deliver_policy });
    const msgs = await oc.consume({ max_messages: WATCH_BATCH });
    const count = opts.updatesOnly ? 0 : (oc.cachedInfo()?.num_pending ?? 0);
    const w = new ObjectWatcher(msgs, opts, count, initialOnly);
    if (initialOnly && count === 0) await msgs.stop();
    return w;
  }

  /** Stops watching; the iteration ends after what was already received. */
  async stop(): Promise<void> {
    await this.msgs.stop();
    this.#resolveInit();
  }

  /** The next info the loop should see (deleted ones skipped with ignoreDeletes), or the end. */
  async #read(): Promise<Read> {
    for (;;) {
      const r = await this.#it.next();
      if (r.done) {
        this.#resolveInit();
        return { done: true };
      }
      const m = r.value;
      const isUpdate = this.#initRead;
      let lastInitial = false;
      if (!this.#initRead && m.meta.pending === 0) {
        this.#initRead = true;
        lastInitial = true;
      }
      let info: ObjectWatchInfo | undefined;
      try {
        const w = decodeInfo(m.data, `meta message ${m.seq} of '${m.subject}'`);
        info = toWatchInfo(w, timeFromNanos(m.timestampNanos), m.seq, isUpdate);
      } catch {
        // not an object info: nothing to report
      }
      if (!info || (info.deleted && this.opts.ignoreDeletes)) {
        if (lastInitial) {
          this.#resolveInit();
          if (this.initialOnly) return { done: true };
        }
        continue;
      }
      return { done: false, info, lastInitial };
    }
  }

  async #next(): Promise<IteratorResult<ObjectWatchInfo>> {
    if (this.initialOnly && this.#initRead && !this.#ahead) {
      await this.stop();
      return { value: undefined, done: true };
    }
    const p = this.#ahead ?? this.#read();
    this.#ahead = undefined;
    const r = await p;
    if (r.done) {
      if (this.initialOnly) await this.stop();
      return { value: undefined, done: true };
    }
    if (r.lastInitial) {
      queueMicrotask(() => this.#resolveInit());
    } else if (!this.#initRead) {
      // initial values remain: read the next one now, so the end of them is seen without waiting for the loop
      this.#readAhead();
    }
    return { value: r.info, done: false };
  }

  [Symbol.asyncIterator](): AsyncIterator<ObjectWatchInfo> {
    if (this.#iterating) throw new Error("this watcher is already being iterated");
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: async () => {
        await this.stop();
        return { value: undefined, done: true };
      },
    };
  }
}
