import { ConnectionClosedError, NoRespondersError, TimeoutError, abortReason, type PermissionViolationError } from "../util/errors.js";
import { nuid } from "../util/nuid.js";
import { tokenAt } from "../util/decimal.js";
import type { MsgHdrs } from "../protocol/headers.js";
import type { InboundMsg, Msg } from "./msg.js";
import type { Subscription, SubscriptionOptions } from "./subscription.js";
import { subjectMatches } from "../protocol/subject.js";
import { replySpin } from "./reply_spin.js";
import { TokenTable } from "../util/token_table.js";
import { DeadlineTimer } from "../util/deadline_timer.js";

/** Options of `nc.request()`. */
export interface RequestOptions {
  timeout?: number;
  headers?: MsgHdrs;
  signal?: AbortSignal;
  /** Use a dedicated inbox subscription for this request. */
  noMux?: boolean;
  /** Reply subject to use with `noMux` (default: a fresh inbox). */
  reply?: string;
}

/** What the request machinery needs from the connection. */
export interface RequestHost {
  publish(subject: string, data?: Uint8Array | string, opts?: { reply?: string; headers?: MsgHdrs }): void;
  subscribe(subject: string, opts?: SubscriptionOptions): Subscription;
  inboxPrefix(): string;
  /** Calls `fail` if publishing to `subject` is refused by the server; returns "stop watching". */
  watchPermission(subject: string, fail: (err: Error) => void): () => void;
}

/** A signal that aborts with a permission violation on `subject` (or when `signal` aborts). */
export function permissionSignal(host: RequestHost, subject: string, signal?: AbortSignal): { signal: AbortSignal; stop(): void } {
  const ac = new AbortController();
  const stop = host.watchPermission(subject, (err) => ac.abort(err));
  return { signal: signal ? AbortSignal.any([signal, ac.signal]) : ac.signal, stop };
}

interface Pending {
  token: number;
  subject: string;
  resolve(m: Msg): void;
  reject(e: unknown): void;
  /** When it times out: whole ms of performance.now() (a small integer in the record); Infinity: never. */
  deadline: number;
  timeout: number;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/**
 * Requests over one wildcard inbox subscription (`<prefix>.<nuid>.*`): each request gets a
 * token, replies are matched by the subject's last token. No SUB/UNSUB per request.
 */
export class RequestMux {
  // a ring of slots rather than a Map: no hash table reallocated under the churn (see TokenTable)
  private readonly pending = new TokenTable<Pending>(128);
  // one timer for every request's deadline, not a setTimeout/clearTimeout pair per request
  private readonly deadlines = new DeadlineTimer((now) => this.expire(now));
  private sub?: Subscription;
  private prefix = "";
  private counter = 0;

  constructor(private readonly host: RequestHost) {}

  get size(): number {
    return this.pending.size;
  }

  get subscription(): Subscription | undefined {
    return this.sub;
  }

  request(subject: string, data: Uint8Array | string | undefined, opts: RequestOptions, timeout: number): Promise<Msg> {
    if (!this.sub) {
      this.prefix = `${this.host.inboxPrefix()}.${nuid.next()}.`;
      this.sub = this.host.subscribe(`${this.prefix}*`, { callback: (_err, m) => this.onReply(m as InboundMsg), pending: { msgs: -1, bytes: -1 } });
    }
    // a number: looked up as one (no string to hash per request and per reply)
    const token = this.counter++;
    return new Promise<Msg>((resolve, reject) => {
      const p: Pending = { token, subject, resolve, reject, deadline: Math.ceil(performance.now() + timeout), timeout, signal: undefined, onAbort: undefined };
      const signal = opts.signal;
      if (signal) {
        if (signal.aborted) return reject(abortReason(signal));
        p.signal = signal;
        p.onAbort = () => this.settle(token, undefined, abortReason(signal));
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.pending.set(p);
      this.deadlines.add(p.deadline);
      replySpin.awaiting++;
      try {
        this.host.publish(subject, data, { reply: this.prefix + token, headers: opts.headers });
      } catch (err) {
        this.settle(token, undefined, err);
      }
    });
  }

  private onReply(m: InboundMsg): void {
    const token = tokenAt(m.subject, this.prefix.length);
    if (token < 0) return;
    // taken once: the reply settles the record it looked up
    const p = this.pending.take(token);
    if (!p) return;
    replySpin.replies++;
    if (m.isNoResponders) this.finish(p, undefined, new NoRespondersError(p.subject));
    else this.finish(p, m);
  }

  private settle(token: number, msg?: Msg, err?: unknown): void {
    const p = this.pending.take(token);
    if (p) this.finish(p, msg, err);
  }

  /** Settles a record already taken out of the table. */
  private finish(p: Pending, msg?: Msg, err?: unknown): void {
    replySpin.awaiting--;
    if (p.onAbort) p.signal!.removeEventListener("abort", p.onAbort);
    if (msg) p.resolve(msg);
    else p.reject(err);
  }

  /** Times out the requests due at `now`; returns the earliest deadline left. */
  private expire(now: number): number {
    let next = Infinity;
    for (const p of this.pending.values()) {
      if (p.deadline <= now) this.settle(p.token, undefined, new TimeoutError(`request to '${p.subject}' timed out after ${p.timeout} ms`));
      else if (p.deadline < next) next = p.deadline;
    }
    return next;
  }

  /** Fails requests whose subject the server refused to let us publish to. */
  permissionDenied(err: PermissionViolationError): void {
    for (const p of this.pending.values()) if (subjectMatches(err.subject, p.subject) || err.subject === p.subject) this.settle(p.token, undefined, err);
  }

  /** Fails every outstanding request (connection closed, or lost with fail-fast). */
  failAll(err: Error = new ConnectionClosedError()): void {
    for (const p of this.pending.values()) this.settle(p.token, undefined, err);
    // every record is settled: nothing is left for the timer
    this.deadlines.stop();
  }

}

/** Request over a dedicated inbox: SUB, UNSUB after 1, PUB, wait. */
export async function requestDedicated(host: RequestHost, subject: string, data: Uint8Array | string | undefined, opts: RequestOptions, timeout: number): Promise<Msg> {
  const inbox = opts.reply ?? `${host.inboxPrefix()}.${nuid.next()}`;
  const sub = host.subscribe(inbox, { max: 1 });
  const watch = permissionSignal(host, subject, opts.signal);
  try {
    host.publish(subject, data, { reply: inbox, headers: opts.headers });
    const m = (await sub.next({ timeout, signal: watch.signal })) as InboundMsg;
    if (m.isNoResponders) throw new NoRespondersError(subject);
    return m;
  } catch (err) {
    if (err instanceof TimeoutError) throw new TimeoutError(`request to '${subject}' timed out after ${timeout} ms`);
    throw err;
  } finally {
    watch.stop();
    sub.unsubscribe();
  }
}
