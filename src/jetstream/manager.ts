// `jetstreamManager(nc)`: account info, streams, consumers and direct gets.
import type { NatsConnection } from "../core.js";
import { JsApi, type ApiCallOptions, type JetStreamOptions } from "./api.js";
import { Consumers } from "./consumers.js";
import { DirectGets } from "./direct.js";
import { Streams } from "./streams.js";
import type { AccountInfo } from "./types.js";

/** JetStream management: streams, consumers, direct gets and account info. */
export class JetStreamManager {
  readonly streams: Streams;
  readonly consumers: Consumers;
  readonly direct: DirectGets;
  readonly #api: JsApi;

  /** Use {@link jetstreamManager}. */
  constructor(nc: NatsConnection, opts: JetStreamOptions = {}) {
    this.#api = new JsApi(nc, opts);
    this.direct = new DirectGets(this.#api);
    this.streams = new Streams(this.#api, this.direct);
    this.consumers = new Consumers(this.#api);
  }

  /** The API prefix requests go to (`$JS.API`, `$JS.<domain>.API` or the explicit prefix). */
  get apiPrefix(): string {
    return this.#api.prefix;
  }

  /** Usage, limits, tiers and the API level (0 on servers before 2.11). */
  async getAccountInfo(opts?: ApiCallOptions): Promise<AccountInfo> {
    const ai = await this.#api.request<AccountInfo>("INFO", undefined, opts);
    ai.api = { total: ai.api?.total ?? 0, errors: ai.api?.errors ?? 0, level: ai.api?.level ?? 0 };
    return ai;
  }
}

/**
 * A JetStream manager for `nc`. Resolves once the JetStream API answered (account info), so a
 * connection without JetStream rejects here with `JetStreamNotEnabledError`.
 */
export async function jetstreamManager(nc: NatsConnection, opts: JetStreamOptions = {}): Promise<JetStreamManager> {
  const jsm = new JetStreamManager(nc, opts);
  await jsm.getAccountInfo();
  return jsm;
}
