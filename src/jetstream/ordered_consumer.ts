// The ordered consumer (ADR-17, pull variant): an ephemeral, in-memory consumer with no acks that is
// recreated from the last stream sequence + 1 whenever something goes wrong (a sequence gap, the
// consumer deleted, heartbeats lost, the server restarted), one reset at a time.
import { nuid, TimeoutError } from "../core.js";
import { abortReason } from "../util/errors.js";
import { pause, throwIfAborted } from "../util/abort.js";
import type { ApiCallOptions, JsApi } from "./api.js";
import { ConsumerMessages } from "./consumer_messages.js";
import { consumerConfigToWire, consumerInfoFromWire } from "./durations.js";
import { ConsumerNotFoundError, StreamNotFoundError } from "./errors.js";
import { requireFeature } from "./features.js";
import type { JsMsg } from "./jsmsg.js";
import type { AckNames } from "./ack_subject.js";
import { PullEngine } from "./pull_engine.js";
import { pullSettings, type ConsumeOptions, type FetchOptions, type NextOptions, type PullSettings } from "./pull_options.js";
import { checkFilter, checkKeys, checkName } from "./validate.js";
import type { ConsumerConfig, ConsumerInfo, DeliverPolicy, ReplayPolicy } from "./types.js";

/** How many times the delete of an abandoned consumer is tried (see #deleteAbandoned). */
const ABANDONED_DELETE_ATTEMPTS = 6;

export interface OrderedConsumerOptions {
  filter_subjects?: string | string[];
  deliver_policy?: DeliverPolicy;
  opt_start_seq?: number;
  opt_start_time?: string | Date;
  replay_policy?: ReplayPolicy;
  /** ms; default 5 minutes */
  inactive_threshold?: number;
  headers_only?: boolean;
  /** Prefix of the server-side consumer names (`<prefix>_<serial>`). */
  name_prefix?: string;
}

const RESET_BACKOFF_START = 250;
const RESET_BACKOFF_MAX = 10_000;

export class OrderedConsumer {
  readonly #prefix: string;
  #serial = 0;
  #name = "";
  /** Last stream sequence delivered (0: none yet). */
  #streamSeq = 0;
  #expected = 1;
  /** The current server-side consumer: none yet, created, or to be replaced before the next fetch. */
  #current: "none" | "created" | "stale" = "none";
  #lastInfo?: ConsumerInfo;
  /** The names (offsets) of the last ack subject found to be from the current consumer. */
  #checkedNames?: AckNames;
  #resetting = false;
  #engine?: PullEngine;
  #stopped = false;

  constructor(
    private readonly api: JsApi,
    readonly stream: string,
    private readonly opts: OrderedConsumerOptions,
  ) {
    checkKeys(opts, ["filter_subjects", "deliver_policy", "opt_start_seq", "opt_start_time", "replay_policy", "inactive_threshold", "headers_only", "name_prefix"], "ordered consumer");
    const filters = this.#filters();
    for (const f of filters) checkFilter(f, "filter_subjects");
    if (filters.length > 1) requireFeature(api.nc, "filter_subjects", "several filter subjects");
    if (opts.name_prefix !== undefined) checkName(opts.name_prefix, "name_prefix");
    this.#prefix = opts.name_prefix ?? nuid.next();
  }

  /** The current server-side consumer's name ("" before the first one). */
  get name(): string {
    return this.#name;
  }

  /**
   * The info the server returned when it created the current server-side consumer (its
   * `num_pending` is what the consumer had to deliver at that moment); undefined before the first.
   */
  cachedInfo(): ConsumerInfo | undefined {
    return this.#lastInfo;
  }

  /** Checks that the stream exists (StreamNotFoundError otherwise). */
  async check(call?: ApiCallOptions): Promise<void> {
    await this.api.request(`STREAM.INFO.${this.stream}`, undefined, call);
  }

  #filters(): string[] {
    const f = this.opts.filter_subjects;
    return f === undefined ? [] : Array.isArray(f) ? f : [f];
  }

  #config(): ConsumerConfig {
    const o = this.opts;
    const c: ConsumerConfig = {
      name: this.#name,
      ack_policy: "none",
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: o.inactive_threshold ?? 300_000,
      max_deliver: 1,
    };
    if (o.headers_only) c.headers_only = true;
    if (o.replay_policy) c.replay_policy = o.replay_policy;
    const filters = this.#filters();
    if (filters.length === 1) c.filter_subject = filters[0]!;
    else if (filters.length > 1) c.filter_subjects = filters;
    if (this.#streamSeq > 0) {
      c.deliver_policy = "by_start_sequence";
      c.opt_start_seq = this.#streamSeq + 1;
    } else {
      c.deliver_policy = o.deliver_policy ?? "all";
      if (o.opt_start_seq !== undefined) c.opt_start_seq = o.opt_start_seq;
      if (o.opt_start_time !== undefined) c.opt_start_time = o.opt_start_time instanceof Date ? o.opt_start_time.toISOString() : o.opt_start_time;
      if (c.deliver_policy === "last_per_subject" && filters.length === 0) c.filter_subject = ">";
    }
    return c;
  }

  /** Creates the current consumer (`#name`); retries of one creation reuse the name (see #createWithRetry). */
  async #create(signal?: AbortSignal): Promise<void> {
    this.#expected = 1;
    const body = { stream_name: this.stream, config: consumerConfigToWire(this.#config()) };
    const ci = await this.api.request<ConsumerInfo>(`CONSUMER.CREATE.${this.stream}.${this.#name}`, body, signal ? { signal } : undefined);
    consumerInfoFromWire(ci as unknown as Record<string, unknown>);
    this.#lastInfo = ci;
    this.#current = "created";
  }

  #accept(m: JsMsg, onGap: () => void): boolean {
    let meta;
    try {
      meta = m.meta;
    } catch {
      return false;
    }
    // a consumer's scanner shares one names object among subjects with the same prefix (stream and
    // consumer included): once one of them was checked, the others are from the same consumer
    if (meta.names !== this.#checkedNames) {
      if (!m.fromConsumer(this.#name)) return false; // from a consumer we already left
      this.#checkedNames = meta.names;
    }
    if (meta.deliverySequence !== this.#expected) {
      onGap();
      return false;
    }
    this.#expected++;
    this.#streamSeq = meta.streamSequence;
    m.noAcks(); // ack_policy none: acknowledging would only send something the server ignores
    return true;
  }

  /** Yields every message of the filter exactly once and in stream order, across resets. */
  async consume(opts: ConsumeOptions = {}): Promise<ConsumerMessages> {
    const s = pullSettings(opts, "consume");
    throwIfAborted(s.signal);
    const out = new ConsumerMessages(s.callback);
    await this.#createWithRetry(out, s.signal);
    this.#run(s, out);
    return out;
  }

  #run(s: PullSettings, out: ConsumerMessages): void {
    const onGap = (): void => this.#reset(s, out);
    const engine = new PullEngine(this.api, this.stream, this.#name, s, "consume", out, {
      accept: (m) => this.#accept(m, onGap),
      recover: () => {
        this.#reset(s, out, true);
        return true;
      },
    });
    this.#engine = engine;
    out.bind({
      stop: async () => {
        this.#stopped = true;
        this.#engine?.detach();
        this.#deleteCurrent();
      },
      consumed: (m) => this.#engine?.consumed(m),
      pending: () => this.#engine?.pending() ?? 0,
    });
    engine.start();
  }

  #deleteCurrent(): void {
    if (this.#current === "none") return;
    const name = this.#name;
    this.api.request(`CONSUMER.DELETE.${this.stream}.${name}`).catch(() => undefined);
  }

  /**
   * Deletes a consumer whose creation was abandoned. The server may apply that creation after
   * this delete (it was frozen or busy, and handles API requests concurrently), so a delete that
   * finds nothing, or gets no answer, is tried again a few times.
   */
  async #deleteAbandoned(name: string): Promise<void> {
    for (let attempt = 1; attempt <= ABANDONED_DELETE_ATTEMPTS; attempt++) {
      try {
        await this.api.request(`CONSUMER.DELETE.${this.stream}.${name}`);
        return;
      } catch (err) {
        if (this.api.nc.isClosed() || !(err instanceof ConsumerNotFoundError || err instanceof TimeoutError)) return;
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  /** One reset at a time: leave the current consumer, create the next from the last sequence + 1. */
  #reset(s: PullSettings, out: ConsumerMessages, handedOff = false): void {
    if (this.#resetting || this.#stopped) return;
    this.#resetting = true;
    if (!handedOff) this.#engine?.detach();
    this.#deleteCurrent();
    this.#createWithRetry(out, s.signal)
      .then(() => {
        if (this.#stopped || out.isEnded) {
          // stopped while the new consumer was being created: it is not needed
          this.#deleteCurrent();
          return;
        }
        out.notify({ type: "reset", name: this.#name });
        this.#run(s, out);
      })
      // a closed connection ends the iteration without an error, as everywhere
      .catch((err: Error) => out.end(this.api.nc.isClosed() ? null : err))
      .finally(() => (this.#resetting = false));
  }

  /**
   * Creates the next consumer. Every attempt uses the same name: an attempt that timed out may still
   * be applied by the server later (it was frozen, or slow), and a retry under a new name would leave
   * that one behind, unused, until its inactive_threshold.
   */
  async #createWithRetry(out: ConsumerMessages, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const name = (this.#name = `${this.#prefix}_${++this.#serial}`);
    this.#checkedNames = undefined;
    let wait = RESET_BACKOFF_START;
    const aborted = (): Error => {
      // a creation was sent and may still be applied: do not leave that consumer behind
      void this.#deleteAbandoned(name);
      return abortReason(signal!);
    };
    for (;;) {
      try {
        await this.#create(signal);
        return;
      } catch (err) {
        if (err instanceof StreamNotFoundError) throw err;
        if (signal?.aborted) throw aborted();
        if (this.api.nc.isClosed() || this.#stopped) throw err;
        out.notify({ type: "error", error: err as Error });
        try {
          await pause(wait, signal);
        } catch {
          throw aborted();
        }
        wait = Math.min(RESET_BACKOFF_MAX, wait * 2);
        if (this.#stopped) throw err;
      }
    }
  }

  /** One pull from where the last call left off; the iteration ends when it is done. */
  async fetch(opts: FetchOptions = {}): Promise<ConsumerMessages> {
    const s = pullSettings(opts, "fetch");
    return this.#fetchWith(s);
  }

  async #fetchWith(s: PullSettings): Promise<ConsumerMessages> {
    throwIfAborted(s.signal);
    const out = new ConsumerMessages();
    if (this.#current !== "created") {
      this.#deleteCurrent();
      this.#current = "none"; // until the next one is: a creation that fails or is aborted is tried again
      await this.#createWithRetry(out, s.signal);
    }
    const onGap = (): void => {
      this.#replaceBeforeNextFetch();
      engine.detach();
      out.end(null);
    };
    const engine: PullEngine = new PullEngine(this.api, this.stream, this.#name, s, "fetch", out, {
      accept: (m) => this.#accept(m, onGap),
      recover: () => {
        this.#replaceBeforeNextFetch();
        out.end(null);
        return true;
      },
    });
    engine.start();
    return out;
  }

  #replaceBeforeNextFetch(): void {
    if (this.#current === "created") this.#current = "stale";
  }

  /** The next message in order, or null when none came before the pull expired. */
  async next(opts: NextOptions = {}): Promise<JsMsg | null> {
    const out = await this.#fetchWith(pullSettings(opts, "next"));
    const r = await out[Symbol.asyncIterator]().next();
    return r.done ? null : r.value;
  }
}
