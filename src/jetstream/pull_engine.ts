// The pull loop behind fetch(), next() and consume() (ADR-37): pull requests on one inbox, the
// messages and statuses that come back, re-pulls below the threshold, heartbeats, reconnects,
// leader changes, and the checks that decide when a consumer is really gone.
import type { Msg, NatsConnection, Subscription } from "../core.js";
import { abortReason } from "../util/errors.js";
import { AckScanner } from "./ack_subject.js";
import type { JsApi } from "./api.js";
import { nanos } from "./durations.js";
import { ConsumerDeletedError, ConsumerNotFoundError, JetStreamApiError, StreamNotFoundError } from "./errors.js";
import { HeartbeatMonitor } from "./heartbeat_monitor.js";
import { classifyStatus } from "./consumer_status.js";
import type { ConsumerMessages, MessageSource } from "./consumer_messages.js";
import { JsMsg } from "./jsmsg.js";
import type { PullSettings } from "./pull_options.js";

const BACKOFF_START = 100;
const BACKOFF_MAX = 2_000;
/** Consecutive 503s on pulls before the consumer's existence is checked. */
const NO_RESPONDERS_CHECK = 3;

/** Hooks of the ordered consumer. */
export interface PullHooks {
  /** Called for every user message before it is buffered; return false to drop it. */
  accept?(m: JsMsg): boolean;
  /** Called instead of ending for heartbeat loss / deletion (the ordered consumer recreates). */
  recover?(why: "heartbeats" | "deleted" | "not_found"): boolean;
}

/**
 * Its fields are TypeScript-private, not `#` fields: a class with more than 15 fields must not use
 * `#` fields, or V8 may turn every later instance into a slow dictionary object (see
 * test/package/shapes.test.ts). Its methods stay `#`.
 */
export class PullEngine implements MessageSource {
  private readonly nc: NatsConnection;
  private readonly scanner = new AckScanner();
  private readonly pullSubject: string;
  private readonly inbox: string;
  private sub?: Subscription;
  private pendingMsgs = 0;
  private pendingBytes = 0;
  private bufferedBytes = 0;
  get #bySize(): boolean {
    return this.s.bytesMode || this.s.maxBytes > 0;
  }
  private stopped = false;
  private connected = true;
  private backoffUntil = 0;
  private backoffMs = BACKOFF_START;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private fetchTimer?: ReturnType<typeof setTimeout>;
  private noResponders = 0;
  private checking = false;
  private pinId?: string;
  /** Set when a recover hook took over: the output is no longer this engine's to end. */
  private handedOff = false;
  private readonly monitor: HeartbeatMonitor;
  private readonly offs: (() => void)[] = [];

  constructor(
    private readonly api: JsApi,
    readonly stream: string,
    readonly consumer: string,
    private readonly s: PullSettings,
    private readonly mode: "consume" | "fetch",
    private readonly out: ConsumerMessages,
    private readonly hooks: PullHooks = {},
  ) {
    this.nc = api.nc;
    this.pullSubject = api.subject(`CONSUMER.MSG.NEXT.${stream}.${consumer}`);
    this.inbox = this.nc.createInbox();
    this.monitor = new HeartbeatMonitor(s.heartbeat, (n) => this.#heartbeatsMissed(n));
    out.bind(this);
  }

  /** Subscribes and sends the first pull (ends at once with the reason of a signal that aborted). */
  start(): void {
    const signal = this.s.signal;
    if (signal) {
      // The pulls already sent stay at the server until they expire; with the inbox unsubscribed
      // the server drops them instead of delivering to them. Stopping the output lets its owner
      // clean up too (the ordered consumer deletes its server-side consumer).
      const onAbort = (): void => {
        this.#finish(abortReason(signal));
        this.out.stop().catch(() => undefined);
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      this.offs.push(() => signal.removeEventListener("abort", onAbort));
    }
    this.sub = this.nc.subscribe(this.inbox, { callback: (_e, m) => this.#onMsg(m), pending: { msgs: -1, bytes: -1 } });
    // a closing connection closes the inbox subscription too; no handler on nc.closed() here,
    // which would stay attached to the connection for every fetch until the connection closes
    this.sub.closed.then(() => this.#finish(null));
    this.offs.push(
      this.nc.on("disconnect", () => {
        this.connected = false;
        this.monitor.stop();
        if (this.mode === "fetch") this.#finish(null);
      }),
      this.nc.on("reconnect", () => {
        this.connected = true;
        if (this.stopped) return;
        this.out.notify({ type: "reconnected" });
        this.#resetPending();
        this.#maybePull();
      }),
    );
    if (this.mode === "fetch") {
      this.#pull(this.s.maxMessages, this.s.maxBytes);
      this.fetchTimer = setTimeout(() => this.#finish(null), this.s.expires + Math.max(1_000, this.s.heartbeat));
    } else {
      this.#maybePull();
    }
  }

  pending(): number {
    return this.pendingMsgs;
  }

  consumed(m: JsMsg): void {
    if (this.#bySize) this.bufferedBytes = Math.max(0, this.bufferedBytes - m.size);
    if (this.mode === "consume") this.#maybePull();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.#cleanup();
  }

  /** A new pull when what is outstanding (at the server and in the buffer) fell below the threshold. */
  #maybePull(): void {
    if (this.stopped || !this.connected || this.mode !== "consume") return;
    // the clock is read only while a backoff may still run (this runs for every message)
    const now = this.backoffUntil > 0 ? performance.now() : 0;
    if (now < this.backoffUntil) {
      this.retryTimer ??= setTimeout(() => {
        this.retryTimer = undefined;
        this.#maybePull();
      }, this.backoffUntil - now);
      return;
    }
    this.backoffUntil = 0;
    const s = this.s;
    if (s.bytesMode) {
      const outstanding = this.pendingBytes + this.bufferedBytes;
      if (outstanding < s.thresholdBytes || this.pendingMsgs === 0) {
        const room = s.maxBytes - outstanding;
        if (room > 0) this.#pull(s.maxMessages, room);
      }
    } else {
      const outstanding = this.pendingMsgs + this.out.buffered;
      if (outstanding < s.thresholdMessages || (this.pendingMsgs === 0 && outstanding < s.maxMessages)) {
        this.#pull(s.maxMessages - outstanding, 0);
      }
    }
  }

  #pull(batch: number, maxBytes: number): void {
    const s = this.s;
    const body: Record<string, unknown> = { batch, expires: nanos(s.expires), idle_heartbeat: nanos(s.heartbeat) };
    if (maxBytes > 0) body.max_bytes = maxBytes;
    if (s.group !== undefined) body.group = s.group;
    if (this.pinId !== undefined) body.id = this.pinId;
    if (s.minPending !== undefined) body.min_pending = s.minPending;
    if (s.minAckPending !== undefined) body.min_ack_pending = s.minAckPending;
    if (s.priority !== undefined) body.priority = s.priority;
    try {
      // flushed at once: the server starts on this pull while the messages already here are handled
      this.nc.publish(this.pullSubject, JSON.stringify(body), { reply: this.inbox, flush: true });
    } catch (err) {
      // closed or disconnected with a full buffer: the reconnect/close handlers take over
      this.out.notify({ type: "error", error: err as Error });
      return;
    }
    this.pendingMsgs += batch;
    this.pendingBytes += maxBytes;
    this.monitor.start();
  }

  #resetPending(): void {
    this.pendingMsgs = 0;
    this.pendingBytes = 0;
  }

  #backoff(): void {
    this.backoffUntil = performance.now() + this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MAX, this.backoffMs * 2);
  }

  #onMsg(m: Msg): void {
    if (this.stopped) return;
    this.monitor.ok();
    const h = m.headers;
    // statuses carry a code and no reply (the reply, decoded only for a candidate, is checked last)
    if (h && h.code > 0 && m.data.length === 0 && !m.reply) {
      this.#onStatus(m);
      return;
    }
    const jm = new JsMsg(m, this.nc, this.scanner);
    if (this.hooks.accept && !this.hooks.accept(jm)) return;
    this.noResponders = 0;
    this.backoffMs = BACKOFF_START;
    this.pendingMsgs = Math.max(0, this.pendingMsgs - 1);
    // sizes only matter to pulls sized in bytes (and decode the subject and reply to be had)
    if (this.#bySize) {
      const size = jm.size;
      this.pendingBytes = Math.max(0, this.pendingBytes - size);
      this.bufferedBytes += size;
    }
    const pin = h?.get("Nats-Pin-Id");
    if (pin && pin !== this.pinId) {
      this.pinId = pin;
      this.out.notify({ type: "pinned", id: pin });
    }
    this.out.push(jm);
    if (this.mode === "fetch") {
      if (this.pendingMsgs === 0 || (this.s.maxBytes > 0 && this.pendingBytes <= 0)) this.#finish(null);
    } else {
      this.#maybePull();
    }
  }

  #onStatus(m: Msg): void {
    const a = classifyStatus(m.headers!);
    switch (a.kind) {
      case "heartbeat":
        return;
      case "ended":
        // the headers say what the ended pull will no longer deliver; without them, assume all of it
        this.pendingMsgs = Math.max(0, this.pendingMsgs - (m.headers!.has("Nats-Pending-Messages") ? a.msgs : this.pendingMsgs));
        this.pendingBytes = Math.max(0, this.pendingBytes - (m.headers!.has("Nats-Pending-Bytes") ? a.bytes : this.pendingBytes));
        if (this.mode === "fetch") return this.#finish(null);
        if (a.status === 409) {
          // "Message Size Exceeds MaxBytes" is how every bytes pull ends once the next message does
          // not fit. Only a pull that delivered nothing is a problem: do not spin on it, and tell
          // when even a full max_bytes pull could not take the message (it never will).
          if (a.msgs >= this.s.maxMessages) {
            if (a.bytes >= this.s.maxBytes) {
              this.out.notify({ type: "discard", msgsLeft: a.msgs, bytesLeft: a.bytes });
              this.out.notify({ type: "exceeded_limits", description: a.description });
            }
            this.#backoff();
          }
        } else if (a.msgs > 0 && a.status !== 408) {
          this.out.notify({ type: "discard", msgsLeft: a.msgs, bytesLeft: a.bytes });
        }
        return this.#maybePull();
      case "warning":
        this.out.notify(a.status);
        this.#resetPending();
        if (this.mode === "fetch") return this.#finish(null);
        this.#backoff();
        return this.#maybePull();
      case "leadership":
        this.out.notify({ type: "leadership_change" });
        this.#resetPending();
        if (this.mode === "fetch") return this.#finish(null);
        return this.#maybePull();
      case "unpinned":
        this.pinId = undefined;
        this.out.notify({ type: "unpinned" });
        this.#resetPending();
        if (this.mode === "fetch") return this.#finish(null);
        return this.#maybePull();
      case "no_responders":
        this.out.notify({ type: "no_responders" });
        this.#resetPending();
        if (++this.noResponders >= NO_RESPONDERS_CHECK || this.mode === "fetch") this.#checkExists(this.mode === "fetch");
        if (this.mode === "fetch") return;
        this.#backoff();
        return this.#maybePull();
      case "terminal":
        if (a.reason === "consumer_deleted") {
          this.out.notify({ type: "consumer_deleted" });
          if (this.#recover("deleted")) return;
          return this.#finish(new ConsumerDeletedError(`consumer '${this.consumer}' of stream '${this.stream}' was deleted`));
        }
        return this.#finish(new JetStreamApiError({ code: m.headers!.code, description: a.description }));
    }
  }

  #heartbeatsMissed(count: number): void {
    if (this.stopped) return;
    if (this.pendingMsgs === 0 && this.mode === "consume") {
      // nothing outstanding (the handler is behind): no heartbeats are due
      this.monitor.stop();
      return;
    }
    this.out.notify({ type: "heartbeats_missed", count });
    if (this.#recover("heartbeats")) return;
    if (this.mode === "fetch") return this.#finish(null);
    this.#resetPending();
    this.#checkExists(false);
    this.#maybePull();
  }

  /** Asks the server whether the consumer still exists; ends (or recovers) when it definitely does not. */
  #checkExists(endIfUnknown: boolean): void {
    if (this.checking) return;
    this.checking = true;
    this.api
      .request(`CONSUMER.INFO.${this.stream}.${this.consumer}`)
      .then(
        () => (endIfUnknown ? this.#finish(null) : undefined),
        (err: unknown) => {
          if (this.stopped) return;
          if (err instanceof ConsumerNotFoundError) {
            this.out.notify({ type: "consumer_not_found" });
            if (this.#recover("not_found")) return;
            return this.#finish(new ConsumerDeletedError(`consumer '${this.consumer}' of stream '${this.stream}' does not exist`));
          }
          if (err instanceof StreamNotFoundError) {
            this.out.notify({ type: "stream_not_found" });
            if (this.#recover("not_found")) return;
            return this.#finish(err);
          }
          if (endIfUnknown) this.#finish(null);
        },
      )
      .finally(() => (this.checking = false));
  }

  #recover(why: "heartbeats" | "deleted" | "not_found"): boolean {
    if (!this.hooks.recover?.(why)) return false;
    this.handedOff = true;
    this.#cleanup();
    return true;
  }

  /** Lets go of the subscription without ending the output (the ordered consumer moves on). */
  detach(): void {
    this.handedOff = true;
    this.#cleanup();
  }

  #cleanup(): void {
    this.stopped = true;
    this.monitor.stop();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.fetchTimer) clearTimeout(this.fetchTimer);
    for (const off of this.offs.splice(0)) off();
    try {
      this.sub?.unsubscribe();
    } catch {
      // the connection is closed: nothing to unsubscribe
    }
  }

  #finish(err: Error | null): void {
    if (this.handedOff) return;
    this.#cleanup();
    this.out.end(err);
  }
}
