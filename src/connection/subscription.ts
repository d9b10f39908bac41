import { NatsError, SlowConsumerError, TimeoutError, abortReason } from "../util/errors.js";
import { RingQueue } from "../util/queue.js";
import type { Dispatcher } from "./dispatcher.js";
import type { InboundMsg, Msg } from "./msg.js";

export type MsgCallback = (err: Error | null, msg: Msg) => void;

/** Options of `nc.subscribe()`. */
export interface SubscriptionOptions {
  queue?: string;
  /** Auto-unsubscribe after this many messages. */
  max?: number;
  callback?: MsgCallback;
  /** Pending limits (messages and bytes) past which messages are dropped and counted. */
  pending?: { msgs?: number; bytes?: number };
}

/** A subscription: an async iterable of messages unless it has a callback. */
export interface Subscription extends AsyncIterable<Msg> {
  /** Waits for the next message (the iterator form, one message at a time). */
  next(opts?: { timeout?: number; signal?: AbortSignal }): Promise<Msg>;
  /** Unsubscribes now, or after `max` messages in total. */
  unsubscribe(max?: number): void;
  /** Stops interest, then resolves once every message already received was handled. */
  drain(): Promise<void>;
  /** Resolves when the subscription has ended (rejects never). */
  readonly closed: Promise<void>;
  getSubject(): string;
  getQueue(): string | undefined;
  getID(): number;
  getReceived(): number;
  getProcessed(): number;
  getPending(): number;
  getPendingBytes(): number;
  getDropped(): number;
  getMax(): number | undefined;
  isClosed(): boolean;
  isDraining(): boolean;
  /** The error that ended it (a permissions violation, for example), if any. */
  getError(): Error | undefined;
  /** `await using sub = nc.subscribe(...)` unsubscribes at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** What a subscription needs from its connection. */
export interface SubscriptionHost {
  /** Decides whether a message's callback runs now or queued (read for every message). */
  readonly dispatcher: Dispatcher;
  sendUnsub(sub: SubscriptionImpl, max?: number): void;
  drainSub(sub: SubscriptionImpl): Promise<void>;
  slowConsumer(sub: SubscriptionImpl, err: SlowConsumerError): void;
  callbackError(sub: SubscriptionImpl, err: unknown): void;
}

interface Waiter {
  resolve(m: IteratorResult<Msg>): void;
  reject(e: unknown): void;
}

const ACTIVE = 0;
const DRAINING = 1; // UNSUB sent, messages may still be in flight
const ENDING = 2; // no more messages will arrive; ends when the queue is empty
const CLOSED = 3;

export class SubscriptionImpl implements Subscription {
  received = 0;
  processed = 0;
  dropped = 0;
  pendingBytes = 0;
  private readonly q = new RingQueue<InboundMsg>();
  private readonly waiters = new RingQueue<Waiter>();
  private slow = false;
  private state = ACTIVE;
  private error?: Error;
  private readonly done: { promise: Promise<void>; resolve: () => void };
  readonly closed: Promise<void>;

  constructor(
    private readonly host: SubscriptionHost,
    readonly sid: number,
    readonly subject: string,
    readonly queue: string | undefined,
    readonly callback: MsgCallback | undefined,
    public max: number | undefined,
    private readonly maxMsgs: number,
    private readonly maxBytes: number,
  ) {
    let resolve!: () => void;
    this.closed = new Promise<void>((r) => (resolve = r));
    this.done = { promise: this.closed, resolve };
  }

  /** Hot path: one message for this subscription, straight from the parser. */
  deliver(msg: InboundMsg): void {
    if (this.state >= ENDING) return;
    const n = ++this.received;
    if (this.max !== undefined && n > this.max) {
      this.received--;
      return;
    }
    if (this.callback !== undefined) {
      const d = this.host.dispatcher;
      if (this.q.length === 0 && !d.backlogged) {
        this.invoke(msg);
        d.tick();
      } else if (this.enqueue(msg)) {
        d.markReady(this);
      }
    } else {
      const w = this.waiters.shift();
      if (w !== undefined) {
        this.processed++;
        w.resolve({ value: msg, done: false });
      } else {
        this.enqueue(msg);
      }
    }
    if (this.max !== undefined && n === this.max) this.noMoreMessages();
  }

  /**
   * When messages are already queued and one of `size` bytes would exceed the pending limits,
   * counts it as received and dropped and returns true, before any message object is made.
   */
  dropIfFull(size: number): boolean {
    if (this.q.length === 0 || this.state >= ENDING) return false;
    if (!this.full(size)) return false;
    if (this.max !== undefined && this.received >= this.max) return true;
    this.received++;
    this.dropped++;
    this.signalSlow();
    return true;
  }

  /** Whether one more message of `size` bytes would exceed the pending limits. */
  private full(size: number): boolean {
    return (this.maxMsgs > 0 && this.q.length >= this.maxMsgs) || (this.maxBytes > 0 && this.pendingBytes + size > this.maxBytes);
  }

  private signalSlow(): void {
    if (this.slow) return;
    this.slow = true;
    const err = new SlowConsumerError(this.subject, this.sid, this.dropped);
    this.host.slowConsumer(this, err);
    if (this.callback) {
      try {
        this.callback(err, undefined as unknown as Msg);
      } catch (e) {
        this.host.callbackError(this, e);
      }
    }
  }

  private invoke(msg: Msg): void {
    try {
      this.callback!(null, msg);
    } catch (err) {
      this.host.callbackError(this, err);
    }
    this.processed++;
  }

  private enqueue(msg: InboundMsg): boolean {
    const size = msg.size;
    if (this.full(size)) {
      this.dropped++;
      this.signalSlow();
      return false;
    }
    this.slow = false;
    msg.detach();
    this.q.push(msg);
    this.pendingBytes += size;
    return true;
  }

  /** Runs queued callback deliveries until the queue is empty (true) or the budget is spent. */
  dispatchQueued(outOfBudget: () => boolean): boolean {
    while (this.q.length > 0) {
      if (this.state === CLOSED) return true;
      const m = this.q.shift()!;
      this.pendingBytes -= m.size;
      this.invoke(m);
      // the clock is read after every queued callback: callbacks get queued when they fall behind
      if (outOfBudget()) {
        if (this.q.length === 0) this.maybeFinish();
        return this.q.length === 0;
      }
    }
    this.maybeFinish();
    return true;
  }

  next(opts?: { timeout?: number; signal?: AbortSignal }): Promise<Msg> {
    if (this.callback) return Promise.reject(new NatsError("INVALID_ARGUMENT", "next() is not available on a subscription with a callback"));
    return this.pull(opts).then((r) => {
      if (r.done) throw this.error ?? new NatsError("SUBSCRIPTION_CLOSED", `subscription to '${this.subject}' is closed`);
      return r.value;
    });
  }

  private pull(opts?: { timeout?: number; signal?: AbortSignal }): Promise<IteratorResult<Msg>> {
    const m = this.q.shift();
    if (m !== undefined) {
      this.pendingBytes -= m.size;
      this.processed++;
      if (this.q.length === 0) this.maybeFinish();
      return Promise.resolve({ value: m, done: false });
    }
    if (this.state >= ENDING) {
      this.finish();
      if (this.error) return Promise.reject(this.error);
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise<IteratorResult<Msg>>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const signal = opts?.signal;
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const w: Waiter = {
        resolve: (r) => {
          cleanup();
          resolve(r);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      const remove = () => {
        const keep: Waiter[] = [];
        for (const x of this.waiters.drainAll()) if (x !== w) keep.push(x);
        for (const x of keep) this.waiters.push(x);
      };
      const onAbort = () => {
        remove();
        w.reject(abortReason(signal!));
      };
      if (signal) {
        if (signal.aborted) return reject(abortReason(signal));
        signal.addEventListener("abort", onAbort, { once: true });
      }
      if (opts?.timeout !== undefined) {
        timer = setTimeout(() => {
          remove();
          w.reject(new TimeoutError(`no message on '${this.subject}' within ${opts.timeout} ms`));
        }, opts.timeout);
      }
      this.waiters.push(w);
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Msg> {
    if (this.callback) throw new NatsError("INVALID_ARGUMENT", "a subscription with a callback is not iterable");
    return {
      next: () => this.pull(),
      return: async () => {
        this.unsubscribe();
        return { value: undefined, done: true };
      },
    };
  }

  unsubscribe(max?: number): void {
    if (this.state >= ENDING) return;
    if (max !== undefined && max > this.received) {
      this.max = max;
      this.host.sendUnsub(this, max);
      return;
    }
    this.host.sendUnsub(this);
    // immediate: what is still queued is discarded
    this.q.clear();
    this.pendingBytes = 0;
    this.state = ENDING;
    this.finish();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.unsubscribe();
  }

  drain(): Promise<void> {
    if (this.state >= DRAINING) return this.closed;
    this.state = DRAINING;
    return this.host.drainSub(this);
  }

  /** The server will send nothing more (auto-unsubscribe reached, drain flushed, connection closed). */
  noMoreMessages(err?: Error): void {
    if (this.state >= ENDING) return;
    if (err && !this.error) this.error = err;
    this.state = ENDING;
    this.maybeFinish();
  }

  /** Ends at once, discarding queued messages (connection closed). */
  close(err?: Error): void {
    if (err && !this.error) this.error = err;
    this.q.clear();
    this.pendingBytes = 0;
    this.state = ENDING;
    this.finish();
  }

  private maybeFinish(): void {
    if (this.state === ENDING && this.q.length === 0) this.finish();
  }

  private finish(): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    for (const w of this.waiters.drainAll()) {
      if (this.error) w.reject(this.error);
      else w.resolve({ value: undefined, done: true });
    }
    this.done.resolve();
  }

  getSubject(): string {
    return this.subject;
  }
  getQueue(): string | undefined {
    return this.queue;
  }
  getID(): number {
    return this.sid;
  }
  getReceived(): number {
    return this.received;
  }
  getProcessed(): number {
    return this.processed;
  }
  getPending(): number {
    return this.q.length;
  }
  getPendingBytes(): number {
    return this.pendingBytes;
  }
  getDropped(): number {
    return this.dropped;
  }
  getMax(): number | undefined {
    return this.max;
  }
  isClosed(): boolean {
    return this.state === CLOSED;
  }
  isDraining(): boolean {
    return this.state === DRAINING;
  }
  getError(): Error | undefined {
    return this.error;
  }
}
