// `jetstream(nc)`: publishing (acknowledged and windowed async), batches, counters; consumers build on it.
import type { NatsConnection } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { JsApi, type JetStreamOptions } from "./api.js";
import { JetStreamManager } from "./manager.js";
import { publishAcked } from "./publisher.js";
import { publishHeaders, type JetStreamPublishOptions } from "./publish_options.js";
import { DEFAULT_MAX_PENDING, PublishWindow } from "./publish_window.js";
import { checkKeys, checkSubject } from "./validate.js";
import { checkCallOptions, type CallOptions } from "../util/abort.js";
import { Batch, type BatchOptions } from "./batch.js";
import { Counters } from "./counters.js";
import { ConsumersClient } from "./consumers_client.js";
import type { PubAck } from "./types.js";

/** The JetStream context of a connection: publishing, and (with consumers) consuming. */
export class JetStreamClient {
  readonly nc: NatsConnection;
  /** Handles on consumers to read from: `get(stream, name)`, `get(stream)` (ordered), `getPushConsumer()`. */
  readonly consumers: ConsumersClient;
  readonly #api: JsApi;
  readonly #window: PublishWindow;
  readonly #opts: JetStreamOptions;

  /** Use {@link jetstream}. */
  constructor(nc: NatsConnection, opts: JetStreamOptions = {}) {
    this.#api = new JsApi(nc, opts);
    const max = opts.maxPending ?? DEFAULT_MAX_PENDING;
    if (!Number.isInteger(max) || max < 1) throw new InvalidArgumentError("maxPending must be a positive integer");
    this.nc = nc;
    this.#opts = { ...opts };
    this.#window = new PublishWindow(nc, max);
    this.consumers = new ConsumersClient(this.#api);
  }

  /** The API client (shared by the modules built on this context). */
  get api(): JsApi {
    return this.#api;
  }

  /** The options this context was made with (a copy). */
  get options(): JetStreamOptions {
    return { ...this.#opts };
  }

  /** A manager with the same domain / prefix / timeout. */
  jetstreamManager(): JetStreamManager {
    return new JetStreamManager(this.nc, this.#opts);
  }

  /**
   * Publishes to a stream and waits for its PubAck. Retries after a 503 (no stream answered) up to
   * `retries` times; rejects with `NoStreamResponseError` when no stream captures the subject,
   * `JetStreamApiError` (and subclasses) when the server refuses the message, `TimeoutError`, or the
   * reason of `signal` (an aborted signal sends nothing; an abort after sending abandons the ack).
   */
  publish(subject: string, data?: Uint8Array | string, opts?: JetStreamPublishOptions): Promise<PubAck> {
    try {
      return publishAcked(this.nc, this.#api.timeout, subject, data, opts);
    } catch (err) {
      return Promise.reject(err as Error);
    }
  }

  /**
   * Publishes without waiting: returns the PubAck promise at once. At most `maxPending` publishes
   * await their acks; later ones wait in the client, in order. Invalid input throws here. Aborting
   * `signal` rejects with its reason: a publish still waiting for the window is then never sent.
   */
  publishAsync(subject: string, data?: Uint8Array | string, opts?: JetStreamPublishOptions): Promise<PubAck> {
    checkSubject(subject, "subject");
    const headers = publishHeaders(this.nc, opts);
    return this.#window.add(subject, data, headers, opts?.timeout ?? this.#api.timeout, opts?.retries, opts?.retryWait, opts?.signal);
  }

  /** [2.12+] An atomic batch: `add()` messages, then `commit()`; all are stored or none. */
  batch(opts?: BatchOptions): Batch {
    return new Batch(this.nc, this.#api.timeout, opts);
  }

  /** [2.12+] The counters of a stream with `allow_msg_counter`. */
  counters(stream: string): Counters {
    return new Counters(this.nc, this.#api, this.jetstreamManager().streams, stream);
  }

  /** Publishes not yet settled (awaiting acks, being retried, or waiting for the window). */
  publishAsyncPending(): number {
    return this.#window.pending;
  }

  /**
   * Resolves when fewer than `maxPending` publishes are pending; rejects with `TimeoutError` or the
   * signal's reason (the publishes go on).
   */
  publishAsyncReady(opts: CallOptions = {}): Promise<void> {
    checkKeys(opts, ["timeout", "signal"], "publishAsyncReady");
    checkCallOptions(opts);
    return this.#window.ready(opts);
  }

  /**
   * Resolves when every pending async publish has settled; rejects only with `TimeoutError` or the
   * signal's reason (the publishes go on).
   */
  publishAsyncComplete(opts: CallOptions = {}): Promise<void> {
    checkKeys(opts, ["timeout", "signal"], "publishAsyncComplete");
    checkCallOptions(opts);
    return this.#window.complete(opts);
  }
}

/** A JetStream context for `nc` (no request is made until it is used). */
export function jetstream(nc: NatsConnection, opts: JetStreamOptions = {}): JetStreamClient {
  return new JetStreamClient(nc, opts);
}
