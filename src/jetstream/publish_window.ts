// Windowed async publishing: at most `maxPending` publishes await their acks; later ones wait here,
// in order, and go out as acks arrive. Acks come to one wildcard inbox and are matched by token;
// one timer, armed at the earliest deadline, enforces every deadline. Every promise settles. A
// publish whose signal aborts while it waits for the window is never sent; one aborted after it
// was sent only loses its ack.
import { ConnectionClosedError, NoRespondersError, TimeoutError, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "../core.js";
import { RingQueue } from "../util/queue.js";
import { TokenTable } from "../util/token_table.js";
import { abortReason } from "../util/errors.js";
import { CallWait, throwIfAborted, type CallOptions } from "../util/abort.js";
import { channels, publishEvent } from "../util/diagnostics.js";
import { NoStreamResponseError } from "./errors.js";
import { tokenAt } from "../util/decimal.js";
import { DeadlineTimer } from "../util/deadline_timer.js";
import { parsePubAck } from "./pub_ack.js";
import { DEFAULT_RETRIES, DEFAULT_RETRY_WAIT } from "./publisher.js";
import type { PubAck } from "./types.js";

interface Pending {
  subject: string;
  data: Uint8Array | string | undefined;
  headers: MsgHdrs | undefined;
  timeout: number;
  /** When the ack is due (whole ms of performance.now()); 0 until first sent. */
  deadline: number;
  /** When it was first sent (performance.now()), kept only while the diagnostics channel has subscribers; else 0. */
  start: number;
  retries: number;
  retryWait: number;
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
  /** waiting for the window, sent and awaiting the ack (under `token`), waiting to be sent again, settled */
  state: "waiting" | "inflight" | "retrying" | "done";
  /** Its ack's token while in flight. */
  token: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export const DEFAULT_MAX_PENDING = 4000;

export class PublishWindow {
  readonly #inflight: TokenTable<Pending>;
  readonly #waiting = new RingQueue<Pending>();
  #retrying = 0;
  /** Entries of #waiting whose signal aborted (skipped when their turn comes). */
  #abandoned = 0;
  #sub?: Subscription;
  #prefix = "";
  #seq = 0;
  readonly #deadlines = new DeadlineTimer((now) => this.#expire(now));
  #closedErr?: Error;
  #ready: (() => void)[] = [];
  #complete: (() => void)[] = [];

  constructor(
    private readonly nc: NatsConnection,
    readonly maxPending: number,
  ) {
    this.#inflight = new TokenTable(maxPending);
    nc.closed().then((err) => this.#failAll(new ConnectionClosedError("connection closed before the JetStream ack arrived", err ? { cause: err } : undefined)));
  }

  /** Publishes not yet settled: sent and awaiting acks, waiting to be retried, and waiting for the window. */
  get pending(): number {
    return this.#inflight.size + this.#retrying + this.#waiting.length - this.#abandoned;
  }

  /** Queues a publish (already validated); resolves with its PubAck. */
  add(subject: string, data: Uint8Array | string | undefined, headers: MsgHdrs | undefined, timeout: number, retries?: number, retryWait?: number, signal?: AbortSignal): Promise<PubAck> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#closedErr || this.nc.isClosed()) return Promise.reject(new ConnectionClosedError());
    return new Promise<PubAck>((resolve, reject) => {
      const p: Pending = {
        subject,
        data,
        headers,
        timeout,
        deadline: 0,
        start: 0,
        retries: retries ?? DEFAULT_RETRIES,
        retryWait: retryWait ?? DEFAULT_RETRY_WAIT,
        resolve,
        reject,
        state: "waiting",
        // every field from the start: one shape, no property array added later (the record lives
        // until its ack, so its size is what each scavenge copies: 4,000 of them with a full window)
        token: -1,
        signal: undefined,
        onAbort: undefined,
      };
      if (signal) {
        p.signal = signal;
        p.onAbort = () => this.#abort(p);
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      if (this.#waiting.length === this.#abandoned && this.#inflight.size + this.#retrying < this.maxPending) this.#send(p, true);
      else this.#waiting.push(p);
    });
  }

  /** The publish's signal aborted: it is not sent (or not sent again), its ack is no longer awaited. */
  #abort(p: Pending): void {
    switch (p.state) {
      case "done":
        return;
      case "waiting":
        this.#abandoned++; // left in the queue, skipped by #pump
        break;
      case "inflight":
        this.#inflight.take(p.token);
        break;
      case "retrying":
        this.#retrying--;
        break;
    }
    this.#settle(p, abortReason(p.signal!));
  }

  /** Resolves when fewer than `maxPending` publishes are pending; rejects on the timeout / abort. */
  async ready(opts: CallOptions = {}): Promise<void> {
    throwIfAborted(opts.signal);
    if (this.pending < this.maxPending || this.#closedErr) return;
    await this.#waitFor("ready", opts);
  }

  /** Resolves when every pending publish has settled; rejects with TimeoutError after `timeout` / the signal's reason. */
  async complete(opts: CallOptions = {}): Promise<void> {
    throwIfAborted(opts.signal);
    if (this.pending === 0) return;
    await this.#waitFor("complete", opts);
  }

  async #waitFor(list: "ready" | "complete", opts: CallOptions): Promise<void> {
    const w = new CallWait(opts, list === "ready" ? "publishAsyncReady" : "publishAsyncComplete");
    let done!: () => void;
    const reached = new Promise<void>((r) => (done = r));
    (list === "ready" ? this.#ready : this.#complete).push(done);
    try {
      await w.race(reached);
    } catch (err) {
      const waiters = list === "ready" ? this.#ready : this.#complete;
      const i = waiters.indexOf(done);
      if (i >= 0) waiters.splice(i, 1);
      if (err instanceof TimeoutError && list === "complete") throw new TimeoutError(`${this.pending} JetStream publishes still pending after ${opts.timeout} ms`);
      throw err;
    } finally {
      w.done();
    }
  }

  #ensureSub(): void {
    if (this.#sub && !this.#sub.isClosed()) return;
    this.#prefix = this.nc.createInbox();
    this.#sub = this.nc.subscribe(`${this.#prefix}.*`, { callback: (_err, m) => m && this.#onAck(m) });
  }

  #send(p: Pending, first: boolean): void {
    try {
      this.#ensureSub();
      const token = this.#seq++;
      const reply = `${this.#prefix}.${token}`;
      this.nc.publish(p.subject, p.data, p.headers ? { reply, headers: p.headers } : { reply });
      // whole ms: a small integer, kept in the record itself rather than as a boxed number
      if (first) {
        const now = performance.now();
        p.deadline = Math.ceil(now + p.timeout);
        if (channels.jsPublish.hasSubscribers) p.start = now;
      }
      p.state = "inflight";
      p.token = token;
      this.#inflight.set(p);
      this.#deadlines.add(p.deadline);
    } catch (err) {
      this.#settle(p, err as Error);
    }
  }

  #onAck(m: Msg): void {
    const token = tokenAt(m.subject, this.#prefix.length + 1);
    const p = this.#inflight.take(token);
    if (!p) return;
    if (m.headers?.code === 503) {
      if (p.retries > 0 && p.deadline - performance.now() > p.retryWait) {
        p.retries--;
        this.#retrying++;
        p.state = "retrying";
        setTimeout(() => {
          if (p.state !== "retrying") return; // aborted meanwhile
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
    if (p.state === "done") return;
    p.state = "done";
    if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
    if (channels.jsPublish.hasSubscribers) {
      // 0 when it was never sent (aborted while waiting for the window), or sent before anyone listened
      const ms = p.start === 0 ? 0 : performance.now() - p.start;
      publishEvent(channels.jsPublish, err ? { subject: p.subject, ms, error: err } : { subject: p.subject, ms, stream: ack!.stream, seq: ack!.seq, duplicate: ack!.duplicate });
    }
    if (err) p.reject(err);
    else p.resolve(ack!);
    this.#pump();
  }

  #pump(): void {
    while (this.#waiting.length > 0 && this.#inflight.size + this.#retrying < this.maxPending && !this.#closedErr) {
      const p = this.#waiting.shift()!;
      if (p.state === "done") {
        this.#abandoned--;
        continue;
      }
      this.#send(p, true);
    }
    const pending = this.pending;
    if (pending < this.maxPending && this.#ready.length) {
      const r = this.#ready;
      this.#ready = [];
      for (const f of r) f();
    }
    if (pending === 0) {
      this.#deadlines.stop();
      if (this.#complete.length) {
        const c = this.#complete;
        this.#complete = [];
        for (const f of c) f();
      }
    }
  }

  /** Times out every publish in flight that is due at `now`; returns the earliest deadline left. */
  #expire(now: number): number {
    let next = Infinity;
    for (const p of this.#inflight.values()) {
      if (p.deadline > now) {
        if (p.deadline < next) next = p.deadline;
        continue;
      }
      this.#inflight.take(p.token);
      this.#settle(p, new TimeoutError(`JetStream publish to '${p.subject}' got no ack within ${p.timeout} ms`));
    }
    return next;
  }

  #failAll(err: Error): void {
    this.#closedErr = err;
    const all = this.#inflight.values();
    this.#inflight.clear();
    while (this.#waiting.length) all.push(this.#waiting.shift()!);
    this.#abandoned = 0;
    for (const p of all) this.#settle(p, err);
    this.#pump();
    this.#deadlines.stop();
    const r = [...this.#ready, ...this.#complete];
    this.#ready = [];
    this.#complete = [];
    for (const f of r) f();
  }
}
