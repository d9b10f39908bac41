// A push consumer (ADR-9, ADR-15): the server sends to the consumer's deliver subject; idle
// heartbeats are watched, flow-control requests answered once everything before them was handed
// on, and a stalled consumer (a heartbeat naming an unanswered flow-control subject) is unstalled.
import type { Msg, Subscription } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import type { JsApi } from "./api.js";
import { ConsumerMessages, type ConsumeCallback } from "./consumer_messages.js";
import { ConsumerHandle } from "./consumer_handle.js";
import { ConsumerDeletedError, ConsumerNotFoundError, JetStreamApiError, StreamNotFoundError } from "./errors.js";
import { AckScanner } from "./ack_subject.js";
import { HeartbeatMonitor } from "./heartbeat_monitor.js";
import { JsMsg } from "./jsmsg.js";
import { checkKeys } from "./validate.js";
import type { ConsumerInfo } from "./types.js";

export interface PushConsumeOptions {
  callback?: ConsumeCallback;
}

export class PushConsumer extends ConsumerHandle {
  /** Subscribes to the deliver subject (as the deliver group's queue member when there is one). */
  async consume(opts: PushConsumeOptions = {}): Promise<ConsumerMessages> {
    checkKeys(opts, ["callback"], "consume");
    if (opts.callback !== undefined && typeof opts.callback !== "function") throw new InvalidArgumentError("callback must be a function");
    const out = new ConsumerMessages(opts.callback);
    new PushEngine(this.api, await this.info({ cached: true }), out).start();
    return out;
  }
}

class PushEngine {
  #sub?: Subscription;
  readonly #scanner = new AckScanner();
  #monitor?: HeartbeatMonitor;
  #stopped = false;
  #pendingFc?: string;
  #lastFc?: string;
  #offs: (() => void)[] = [];
  #checking = false;

  constructor(
    private readonly api: JsApi,
    private readonly info: ConsumerInfo,
    private readonly out: ConsumerMessages,
  ) {
    out.bind({ stop: async () => this.#cleanup(), consumed: () => this.#consumed(), pending: () => 0 });
  }

  start(): void {
    const nc = this.api.nc;
    const cfg = this.info.config;
    this.#sub = nc.subscribe(cfg.deliver_subject!, {
      callback: (_e, m) => this.#onMsg(m),
      pending: { msgs: -1, bytes: -1 },
      ...(cfg.deliver_group ? { queue: cfg.deliver_group } : {}),
    });
    this.#sub.closed.then(() => this.#finish(null));
    nc.closed().then(() => this.#finish(null));
    if (cfg.idle_heartbeat) {
      this.#monitor = new HeartbeatMonitor(cfg.idle_heartbeat, (count) => {
        this.out.notify({ type: "heartbeats_missed", count });
        this.#checkExists();
      });
      this.#monitor.start();
    }
    this.#offs.push(
      nc.on("disconnect", () => this.#monitor?.stop()),
      nc.on("reconnect", () => {
        this.out.notify({ type: "reconnected" });
        this.#monitor?.start();
      }),
    );
  }

  #onMsg(m: Msg): void {
    if (this.#stopped) return;
    this.#monitor?.ok();
    const h = m.headers;
    if (h && h.code > 0 && m.data.length === 0 && (!m.reply || !m.reply.startsWith("$JS.ACK."))) {
      if (h.code === 100) {
        if (m.reply) {
          // flow control: answer once everything delivered before it was handed on
          this.out.notify({ type: "flow_control" });
          this.#pendingFc = m.reply;
          this.#consumed();
          return;
        }
        const stalled = h.get("Nats-Consumer-Stalled");
        if (stalled && stalled !== this.#lastFc) this.#respondFc(stalled);
        return;
      }
      if (h.code === 409 && /consumer deleted/i.test(h.description)) {
        this.out.notify({ type: "consumer_deleted" });
        return this.#finish(new ConsumerDeletedError(`consumer '${this.info.name}' of stream '${this.info.stream_name}' was deleted`));
      }
      this.out.notify({ type: "error", error: new JetStreamApiError({ code: h.code, description: h.description }) });
      return;
    }
    this.out.push(new JsMsg(m, this.api.nc, this.#scanner));
  }

  #consumed(): void {
    if (this.#pendingFc && this.out.buffered === 0) {
      const fc = this.#pendingFc;
      this.#pendingFc = undefined;
      this.#respondFc(fc);
    }
  }

  #respondFc(subject: string): void {
    this.#lastFc = subject;
    try {
      this.api.nc.publish(subject);
    } catch {
      // closed: nothing to unstall
    }
  }

  #checkExists(): void {
    if (this.#checking) return;
    this.#checking = true;
    this.api
      .request(`CONSUMER.INFO.${this.info.stream_name}.${this.info.name}`)
      .catch((err: unknown) => {
        if (err instanceof ConsumerNotFoundError) {
          this.out.notify({ type: "consumer_not_found" });
          this.#finish(new ConsumerDeletedError(`consumer '${this.info.name}' does not exist`));
        } else if (err instanceof StreamNotFoundError) {
          this.out.notify({ type: "stream_not_found" });
          this.#finish(err);
        }
      })
      .finally(() => (this.#checking = false));
  }

  #cleanup(): void {
    this.#stopped = true;
    this.#monitor?.stop();
    for (const off of this.#offs.splice(0)) off();
    try {
      this.#sub?.unsubscribe();
    } catch {
      // closed
    }
  }

  #finish(err: Error | null): void {
    this.#cleanup();
    this.out.end(err);
  }
}
