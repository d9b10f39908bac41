// The consumer side every consume()/fetch() returns: messages as an async iterable (or handed to a
// callback, one at a time, awaited), statuses as a second iterable, and how it ended.
import { RingQueue } from "../util/queue.js";
import type { ConsumerStatus } from "./consumer_status.js";
import type { JsMsg } from "./jsmsg.js";

export type ConsumeCallback = (m: JsMsg) => void | Promise<void>;

/** What the engine behind a ConsumerMessages must provide. */
export interface MessageSource {
  /** No more pulls (or deliveries); resolves once the source let go of its subscription. */
  stop(): Promise<void>;
  /** A message left the buffer (yielded or handed to the callback): room for more. */
  consumed(m: JsMsg): void;
  /** Messages the outstanding pulls may still deliver. */
  pending(): number;
}

export class ConsumerMessages implements AsyncIterable<JsMsg> {
  readonly #queue = new RingQueue<JsMsg>();
  #waiter?: { resolve: (r: IteratorResult<JsMsg>) => void; reject: (e: Error) => void };
  #ended = false;
  #error: Error | null = null;
  #received = 0;
  #closed: Promise<Error | null>;
  #resolveClosed!: (e: Error | null) => void;
  #statusQueue = new RingQueue<ConsumerStatus>();
  #statusWaiter?: (r: IteratorResult<ConsumerStatus>) => void;
  #statusListeners: ((s: ConsumerStatus) => void)[] = [];
  #iterating = false;
  #callback?: ConsumeCallback;
  #pumping = false;
  #source?: MessageSource;

  constructor(callback?: ConsumeCallback) {
    this.#closed = new Promise((r) => (this.#resolveClosed = r));
    this.#callback = callback;
  }

  /** Attaches the engine (once). */
  bind(source: MessageSource): void {
    this.#source = source;
  }

  /** Messages received so far. */
  getReceived(): number {
    return this.#received;
  }

  /** Messages the outstanding pulls may still deliver. */
  getPending(): number {
    return this.#source?.pending() ?? 0;
  }

  /** Messages received and not yet yielded or handed to the callback. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** Resolves when consuming ended: null after stop() or a closed connection, else the error. */
  closed(): Promise<Error | null> {
    return this.#closed;
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  /** Stops pulling; messages already received are still delivered, then the iteration ends. */
  async stop(): Promise<void> {
    await this.#source?.stop();
    this.end(null);
  }

  /** Statuses as they happen (heartbeats missed, leadership change, reset, …). */
  status(): AsyncIterable<ConsumerStatus> {
    return {
      [Symbol.asyncIterator]: () => ({
        next: (): Promise<IteratorResult<ConsumerStatus>> => {
          const s = this.#statusQueue.shift();
          if (s) return Promise.resolve({ value: s, done: false });
          if (this.#ended && this.#queue.length === 0) return Promise.resolve({ value: undefined, done: true });
          return new Promise((r) => (this.#statusWaiter = r));
        },
        return: (): Promise<IteratorResult<ConsumerStatus>> => Promise.resolve({ value: undefined, done: true }),
      }),
    };
  }

  /** Calls `listener` for every status (used by tests and the ordered consumer). */
  onStatus(listener: (s: ConsumerStatus) => void): void {
    this.#statusListeners.push(listener);
  }

  // ---- engine side ----

  push(m: JsMsg): void {
    if (this.#ended) return;
    this.#received++;
    if (this.#waiter && this.#queue.length === 0) {
      const w = this.#waiter;
      this.#waiter = undefined;
      this.#source?.consumed(m);
      w.resolve({ value: m, done: false });
      return;
    }
    this.#queue.push(m);
    if (this.#callback) this.#pump();
  }

  notify(s: ConsumerStatus): void {
    for (const l of this.#statusListeners) l(s);
    if (this.#statusWaiter) {
      const w = this.#statusWaiter;
      this.#statusWaiter = undefined;
      w({ value: s, done: false });
    } else if (this.#statusQueue.length < 1000) {
      this.#statusQueue.push(s);
    }
  }

  /** Ends the iteration once the buffer is drained: with `err` thrown (terminal), or normally (null). */
  end(err: Error | null): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = err;
    // with a callback still running, #pump finishes once it returned
    if (this.#queue.length === 0 && !this.#pumping) this.#finish();
  }

  /** Ends at once, dropping what is buffered (the connection closed). */
  abort(): void {
    this.#queue.clear();
    this.#ended = true;
    this.#error = null;
    this.#finish();
  }

  #finish(): void {
    const err = this.#error;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      if (err) w.reject(err);
      else w.resolve({ value: undefined, done: true });
      this.#error = null; // thrown once
    }
    if (this.#statusWaiter) {
      const w = this.#statusWaiter;
      this.#statusWaiter = undefined;
      w({ value: undefined, done: true });
    }
    this.#resolveClosed(err);
  }

  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      for (;;) {
        const m = this.#queue.shift();
        if (!m) break;
        this.#source?.consumed(m);
        try {
          // only a returned promise is awaited: a synchronous callback keeps the loop in this turn
          const r = this.#callback!(m);
          if (r !== undefined && typeof (r as Promise<void>).then === "function") await r;
        } catch (err) {
          this.notify({ type: "error", error: err as Error });
        }
      }
    } finally {
      this.#pumping = false;
    }
    if (this.#ended) this.#finish();
  }

  /**
   * The next buffered message, taken as the iterator would yield it, or undefined when none is
   * buffered: lets an iterator built on this one (the KV watcher's) skip a promise per message.
   * @internal
   */
  take(): JsMsg | undefined {
    const m = this.#queue.shift();
    if (m) {
      this.#source?.consumed(m);
      if (this.#ended && this.#queue.length === 0) queueMicrotask(() => this.#finish());
    }
    return m;
  }

  [Symbol.asyncIterator](): AsyncIterator<JsMsg> {
    if (this.#callback) throw new Error("this consume() has a callback: it cannot also be iterated");
    if (this.#iterating) throw new Error("already iterating");
    this.#iterating = true;
    return {
      next: (): Promise<IteratorResult<JsMsg>> => {
        const m = this.take();
        if (m) return Promise.resolve({ value: m, done: false });
        if (this.#ended) {
          const err = this.#error;
          this.#error = null;
          return err ? Promise.reject(err) : Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
      },
      return: async (): Promise<IteratorResult<JsMsg>> => {
        if (!this.#ended) await this.stop();
        return { value: undefined, done: true };
      },
    };
  }
}
