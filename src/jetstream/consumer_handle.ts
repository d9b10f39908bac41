// What every consumer handle has: its stream, name and (cached) info.
import type { ApiCallOptions, JsApi } from "./api.js";
import { checkCallOptions, throwIfAborted } from "../util/abort.js";
import { checkKeys } from "./validate.js";
import { consumerInfoFromWire } from "./durations.js";
import type { ConsumerInfo } from "./types.js";

/** CONSUMER.INFO with durations in ms. */
export async function consumerInfo(api: JsApi, stream: string, name: string, opts?: ApiCallOptions): Promise<ConsumerInfo> {
  throwIfAborted(opts?.signal);
  const ci = await api.request<ConsumerInfo>(`CONSUMER.INFO.${stream}.${name}`, undefined, opts);
  consumerInfoFromWire(ci as unknown as Record<string, unknown>);
  return ci;
}

export class ConsumerHandle {
  #info: ConsumerInfo;

  constructor(
    protected readonly api: JsApi,
    info: ConsumerInfo,
  ) {
    this.#info = info;
  }

  get stream(): string {
    return this.#info.stream_name;
  }
  get name(): string {
    return this.#info.name;
  }

  /** The consumer's info; `cached` returns the last one fetched (without a request). */
  async info(opts: { cached?: boolean } & ApiCallOptions = {}): Promise<ConsumerInfo> {
    checkKeys(opts, ["cached", "timeout", "signal"], "consumer info");
    checkCallOptions(opts);
    throwIfAborted(opts.signal);
    if (opts.cached) return this.#info;
    const { cached: _c, ...call } = opts;
    return (this.#info = await consumerInfo(this.api, this.stream, this.name, call));
  }

  /** Deletes the consumer on the server. */
  async delete(opts: ApiCallOptions = {}): Promise<boolean> {
    checkKeys(opts, ["timeout", "signal"], "consumer delete");
    checkCallOptions(opts);
    throwIfAborted(opts.signal);
    return (await this.api.request<{ success: boolean }>(`CONSUMER.DELETE.${this.stream}.${this.name}`, undefined, opts)).success;
  }
}
