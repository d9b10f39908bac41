// Windowed async publishing: at most `maxPending` publishes await their acks; later ones wait here,
// in order, and go out as acks arrive. Acks come to one wildcard inbox and are matched by token;
// one coarse timer enforces every deadline. Every promise settles.
import { ConnectionClosedError, NoRespondersError, TimeoutError, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "../core.js";
import { RingQueue } from "../util/queue.js";
import { channels, publishEvent } from "../util/diagnostics.js";
import { NoStreamResponseError } from "./errors.js";
import { parsePubAck } from "./pub_ack.js";
import { DEFAULT_RETRIES, DEFAULT_RETRY_WAIT } from "./publisher.js";
import type { PubAck } from "./types.js";

interface Pending {
  subject: string;
  data: Uint8Array | string | undefined;
  headers: MsgHdrs | undefined;
  timeout: number;
  deadline: number;
  retries: number;
  retryWait: number;
  start: number;
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
}

export const DEFAULT_MAX_PENDING = 4000;
const TICK_MS = 50;

export class PublishWindow {
  readonly #inflight = new Map<string, Pending>();
  readonly #waiting = new RingQueue<Pending>();
  #retrying = 0;
  #sub?: Subscription;
  #prefix = "";
  #seq = 0;
  #timer?: ReturnType<typeof setInterval>;
  #closedErr?: Error;
  #ready: (() => void)[] = [];
  #complete: (() => void)[] = [];

  constructor(
    private readonly nc: NatsConnection,
    readonly maxPending: number,
  ) {
    nc.closed().then((err) => this.#failAll(new ConnectionClosedError("connection closed before the JetStream ack arrived", err ? { cause: err } : undefined)));
  }

  /** Publishes not yet settled: sent and awaiting acks, waiting to be retried, and waiting for the window. */
  get pending(): number {
    return this.#inflight.size + this.#retrying + this.#waiting.length;
  }

  /** Queues a publish (already validated); resolves with its PubAck. */
  add(subject: string, data: Uint8Array | string | undefined, headers: MsgHdrs | undefined, timeout: number, retries?: number, retryWait?: number): Promise<PubAck> {
    if (this.#closedErr || this.nc.isClosed()) return Promise.reject(new ConnectionClosedError());
    return new Promise<PubAck>((resolve, reject) => {
      const p: Pending = {
        subject,
        data,
        headers,
        timeout,
        deadline: 0,
        retries: retries ?? DEFAULT_RETRIES,
        retryWait: retryWait ?? DEFAULT_RETRY_WAIT,
        start: 0,
        resolve,
        reject,
      };
      if (this.#waiting.length === 0 && this.#inflight.size + this.#retrying < this.maxPending) this.#send(p, true);
      else this.#waiting.push(p);
    });
  }

  /** Resolves when fewer than `maxPending` publishes are pending. */
  ready(): Promise<void> {
    if (this.pending < this.maxPending || this.#closedErr) return Promise.resolve();
    return new Promise((r) => this.#ready.push(r));
  }

  /** Resolves when every pending publish has settled; rejects with TimeoutError after `timeout`. */
  complete(timeout?: number): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let t: ReturnType<typeof setTimeout> | undefined;
      const done = (): void => {
        if (t) clearTimeout(t);
        resolve();
      };
      this.#complete.push(done);
      if (timeout !== undefined) {
        t = setTimeout(() => {
          const i = this.#complete.indexOf(done);
          if (i >= 0) this.#complete.splice(i, 1);
          reject(new TimeoutError(`${this.pending} JetStream publishes still pending after ${timeout} ms`));
        }, timeout);
      }
    });
  }

  #ensureSub(): void {
    if (this.#sub && !this.#sub.isClosed()) return;
    this.#prefix = this.nc.createInbox();
    this.#sub = this.nc.subscribe(`${this.#prefix}.*`, { callback: (_err, m) => m && this.#onAck(m) });
  }

  #send(p: Pending, first: boolean): void {
    try {
      this.#ensureSub();
      const token = (this.#seq++).toString(36);
      this.nc.publish(p.subject, p.data, { reply: `${this.#prefix}.${token}`, ...(p.headers ? { headers: p.headers } : {}) });
      if (first) {
        p.start = performance.now();
        p.deadline = p.start + p.timeout;
      }
      this.#inflight.set(token, p);
      this.#timer ??= setInterval(() => this.#expire(), TICK_MS);
    } catch (err) {
      this.#settle(p, err as Error);
    }
  }

  #onAck(m: Msg): void {
    const token = m.subject.slice(this.#prefix.length + 1);
    const p = this.#inflight.get(token);
    if (!p) return;
    this.#inflight.delete(token);
    if (m.headers?.code === 503) {
      if (p.retries > 0 && p.deadline - performance.now() > p.retryWait) {
        p.retries--;
        this.#retrying++;
        setTimeout(() => {
          this.#retrying--;
          if (this.#closedErr) this.#settle(p, this.#closedErr);
          else this.#send(p, false);
        }, p.retryWait);
        return;
      }
      this.#settle(p, new NoStreamResponseError(p.subject, { cause: new NoRespondersError(p.subject) }));
      return;
    }
    try {
      this.#settle(p, undefined, parsePubAck(m));
    } catch (err) {
      this.#settle(p, err as Error);
    }
  }

  #settle(p: Pending, err: Error | undefined, ack?: PubAck): void {
    const ms = performance.now() - p.start;
    if (err) {
      if (channels.jsPublish.hasSubscribers) publishEvent(channels.jsPublish, { subject: p.subject, ms, error: err });
      p.reject(err);
    } else {
      if (channels.jsPublish.hasSubscribers) publishEvent(channels.jsPublish, { subject: p.subject, ms, stream: ack!.stream, seq: ack!.seq, duplicate: ack!.duplicate });
      p.resolve(ack!);
    }
    this.#pump();
  }

  #pump(): void {
    while (this.#waiting.length > 0 && this.#inflight.size + this.#retrying < this.maxPending && !this.#closedErr) {
      this.#send(this.#waiting.shift()!, true);
    }
    const pending = this.pending;
    if (pending < this.maxPending && this.#ready.length) {
      const r = this.#ready;
      this.#ready = [];
      for (const f of r) f();
    }
    if (pending === 0) {
      if (this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
      if (this.#complete.length) {
        const c = this.#complete;
        this.#complete = [];
        for (const f of c) f();
      }
    }
  }

  #expire(): void {
    const now = performance.now();
    for (const [token, p] of this.#inflight) {
      if (p.deadline > now) continue;
      this.#inflight.delete(token);
      this.#settle(p, new TimeoutError(`JetStream publish to '${p.subject}' got no ack within ${p.timeout} ms`));
    }
  }

  #failAll(err: Error): void {
    this.#closedErr = err;
    const all = [...this.#inflight.values()];
    this.#inflight.clear();
    while (this.#waiting.length) all.push(this.#waiting.shift()!);
    for (const p of all) this.#settle(p, err);
    this.#pump();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const r = [...this.#ready, ...this.#complete];
    this.#ready = [];
    this.#complete = [];
    for (const f of r) f();
  }
}
