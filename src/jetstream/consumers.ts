// Consumer management: `jsm.consumers`.
import { nuid } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import type { ApiCallOptions, JsApi } from "./api.js";
import { droppedField, guardConsumerConfig, notApplied } from "./config_check.js";
import { consumerConfigToWire, consumerInfoFromWire } from "./durations.js";
import { ConsumerNotFoundError, JetStreamApiError } from "./errors.js";
import { requireFeature, supports } from "./features.js";
import { checkConsumerConfig, checkName, checkPositiveInt } from "./validate.js";
import type { ConsumerConfig, ConsumerInfo } from "./types.js";

type Paged = { total: number; offset: number; limit: number };

/** `action` of a consumer create request [2.10+]: "" = create or update. */
export type ConsumerAction = "create" | "update" | "";

export interface ConsumerPauseResponse {
  paused: boolean;
  pause_until?: string;
  /** ms */
  pause_remaining?: number;
}

export interface ConsumerResetResponse extends Partial<ConsumerInfo> {
  /** The stream sequence the consumer delivers next. */
  reset_seq?: number;
}

function info(ci: ConsumerInfo): ConsumerInfo {
  consumerInfoFromWire(ci as unknown as Record<string, unknown>);
  return ci;
}

/** Fields the server fills in or may rewrite, never compared in the echo check. */
const ECHO_IGNORE = ["pause_until", "name", "durable_name"];

export class Consumers {
  constructor(private readonly api: JsApi) {}

  async #create(stream: string, cfg: ConsumerConfig, action: ConsumerAction, opts?: ApiCallOptions): Promise<ConsumerInfo> {
    const nc = this.api.nc;
    const name = cfg.name ?? cfg.durable_name ?? nuid.next();
    const body = this.#body(stream, { ...cfg, name }, action);
    if (action && !supports(nc, "consumer_action")) {
      // 2.9 has no action: emulate it with an info lookup first.
      const exists = await this.info(stream, name, opts).then(
        () => true,
        (err) => {
          if (err instanceof ConsumerNotFoundError) return false;
          throw err;
        },
      );
      if (action === "create" && exists) throw new JetStreamApiError({ code: 400, err_code: 10148, description: "consumer already exists" });
      if (action === "update" && !exists) throw new JetStreamApiError({ code: 400, err_code: 10149, description: "consumer does not exist" });
    }
    const ci = info(await this.api.request<ConsumerInfo>(`CONSUMER.CREATE.${stream}.${name}`, body, opts));
    const dropped = droppedField(cfg, ci.config, ECHO_IGNORE);
    if (dropped) throw notApplied(nc, "consumer config", dropped); // not deleted: it may have existed before
    return ci;
  }

  /**
   * Creates a consumer (or updates one with the same name and a compatible config, unless
   * `action: "create"`). Without `name`/`durable_name` it is an ephemeral with a generated name.
   */
  async add(stream: string, cfg: ConsumerConfig = {}, opts: ApiCallOptions & { action?: ConsumerAction } = {}): Promise<ConsumerInfo> {
    checkName(stream, "stream name");
    checkConsumerConfig(cfg);
    guardConsumerConfig(this.api.nc, cfg);
    const { action = "", ...call } = opts;
    if (!["create", "update", ""].includes(action)) throw new InvalidArgumentError(`consumer action must be "create", "update" or ""`);
    return this.#create(stream, cfg, action, call);
  }

  /** Updates a consumer: `cfg` is merged into its current config. */
  async update(stream: string, name: string, cfg: Partial<ConsumerConfig>, opts?: ApiCallOptions): Promise<ConsumerInfo> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    checkConsumerConfig(cfg);
    if ((cfg.name ?? cfg.durable_name ?? name) !== name) throw new InvalidArgumentError(`config name '${cfg.name ?? cfg.durable_name}' differs from the consumer '${name}'`);
    guardConsumerConfig(this.api.nc, cfg);
    const current = (await this.info(stream, name, opts)).config;
    const merged = { ...current, ...cfg, name } as ConsumerConfig;
    if (current.durable_name) merged.durable_name = current.durable_name;
    const ci = info(await this.api.request<ConsumerInfo>(`CONSUMER.CREATE.${stream}.${name}`, this.#body(stream, merged, "update"), opts));
    const dropped = droppedField(cfg, ci.config, ECHO_IGNORE);
    if (dropped) throw notApplied(this.api.nc, "consumer config", dropped);
    return ci;
  }

  #body(stream: string, cfg: ConsumerConfig, action: ConsumerAction): Record<string, unknown> {
    const body: Record<string, unknown> = { stream_name: stream, config: consumerConfigToWire(cfg) };
    if (action && supports(this.api.nc, "consumer_action")) body.action = action;
    return body;
  }

  async info(stream: string, name: string, opts?: ApiCallOptions): Promise<ConsumerInfo> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    return info(await this.api.request<ConsumerInfo>(`CONSUMER.INFO.${stream}.${name}`, undefined, opts));
  }

  async delete(stream: string, name: string, opts?: ApiCallOptions): Promise<boolean> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    return (await this.api.request<{ success: boolean }>(`CONSUMER.DELETE.${stream}.${name}`, undefined, opts)).success;
  }

  async *list(stream: string): AsyncGenerator<ConsumerInfo> {
    checkName(stream, "stream name");
    for await (const ci of this.api.paged<Paged & { consumers?: ConsumerInfo[] }, ConsumerInfo>(`CONSUMER.LIST.${stream}`, {}, (r) => r.consumers)) {
      yield info(ci);
    }
  }

  names(stream: string): AsyncGenerator<string> {
    checkName(stream, "stream name");
    return this.api.paged<Paged & { consumers?: string[] }, string>(`CONSUMER.NAMES.${stream}`, {}, (r) => r.consumers);
  }

  /** [2.11+] Pauses delivery until `until`. */
  async pause(stream: string, name: string, until: Date, opts?: ApiCallOptions): Promise<ConsumerPauseResponse> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    if (!(until instanceof Date) || Number.isNaN(until.getTime())) throw new InvalidArgumentError("pause: until must be a valid Date");
    requireFeature(this.api.nc, "consumer_pause", "consumer pause");
    return this.#pause(stream, name, { pause_until: until.toISOString() }, opts);
  }

  /** [2.11+] Resumes a paused consumer. */
  async resume(stream: string, name: string, opts?: ApiCallOptions): Promise<ConsumerPauseResponse> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    requireFeature(this.api.nc, "consumer_pause", "consumer resume");
    return this.#pause(stream, name, {}, opts);
  }

  async #pause(stream: string, name: string, body: object, opts?: ApiCallOptions): Promise<ConsumerPauseResponse> {
    const r = await this.api.request<ConsumerPauseResponse & { type?: string }>(`CONSUMER.PAUSE.${stream}.${name}`, body, opts);
    const out: ConsumerPauseResponse = { paused: r.paused === true };
    if (r.pause_until && !r.pause_until.startsWith("0001-01-01")) out.pause_until = r.pause_until;
    if (typeof r.pause_remaining === "number") out.pause_remaining = r.pause_remaining / 1e6;
    return out;
  }

  /** [2.11+] Unpins the client pinned in priority group `group`. */
  async unpin(stream: string, name: string, group: string, opts?: ApiCallOptions): Promise<void> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    checkPriorityGroup(group);
    requireFeature(this.api.nc, "consumer_unpin", "consumer unpin");
    await this.api.request(`CONSUMER.UNPIN.${stream}.${name}`, { group }, opts);
  }

  /** [2.14+] Resets a consumer to deliver from `seq` (default: its ack floor + 1) again (ADR-60). */
  async reset(stream: string, name: string, seq?: number, opts?: ApiCallOptions): Promise<ConsumerResetResponse> {
    checkName(stream, "stream name");
    checkName(name, "consumer name");
    if (seq !== undefined) checkPositiveInt(seq, "seq");
    requireFeature(this.api.nc, "consumer_reset", "consumer reset");
    const r = await this.api.request<ConsumerResetResponse>(`CONSUMER.RESET.${stream}.${name}`, seq === undefined ? undefined : { seq }, opts);
    if (r.config) info(r as ConsumerInfo);
    return r;
  }
}

/** Priority group names: 1–16 characters of `[A-Za-z0-9_/=-]` (ADR-42). */
export function checkPriorityGroup(group: unknown): asserts group is string {
  if (typeof group !== "string" || !/^[A-Za-z0-9_/=-]{1,16}$/.test(group)) {
    throw new InvalidArgumentError(`invalid priority group ${JSON.stringify(group)}: 1-16 characters of A-Z a-z 0-9 _ - / =`);
  }
}
