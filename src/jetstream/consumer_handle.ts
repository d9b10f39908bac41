// What every consumer handle has: its stream, name and (cached) info.
import type { JsApi } from "./api.js";
import { consumerInfoFromWire } from "./durations.js";
import type { ConsumerInfo } from "./types.js";

/** CONSUMER.INFO with durations in ms. */
export async function consumerInfo(api: JsApi, stream: string, name: string): Promise<ConsumerInfo> {
  const ci = await api.request<ConsumerInfo>(`CONSUMER.INFO.${stream}.${name}`);
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

  /** The consumer's info; `cached` returns the last one fetched. */
  async info(opts: { cached?: boolean } = {}): Promise<ConsumerInfo> {
    if (opts.cached) return this.#info;
    return (this.#info = await consumerInfo(this.api, this.stream, this.name));
  }

  /** Deletes the consumer on the server. */
  async delete(): Promise<boolean> {
    return (await this.api.request<{ success: boolean }>(`CONSUMER.DELETE.${this.stream}.${this.name}`)).success;
  }
}
