// Discovery: one request to `$SRV.<verb>[.<name>[.<id>]]`, every service's reply collected (ADR-47).
import { InvalidArgumentError, NatsError, NoRespondersError, type Msg, type NatsConnection, type RequestManyOptions } from "../core.js";
import { serviceError } from "./errors.js";
import { DEFAULT_API_PREFIX, controlSubject } from "./subjects.js";
import type { InfoResponse, PingResponse, ServiceClientOptions, ServiceVerb, StatsResponse } from "./types.js";
import { checkKeys, checkMs } from "./validate.js";

const CLIENT_OPTIONS = ["maxWait", "strategy", "stall", "maxMessages", "apiPrefix"] as const;
const DEFAULT_MAX_WAIT = 2000;

/** Finds services and asks them for their info and stats. Create it with `svcm.client()`. */
export class ServiceClient {
  readonly #nc: NatsConnection;
  readonly #many: RequestManyOptions;
  readonly #prefix: string;

  /** @internal use `svcm.client()` */
  constructor(nc: NatsConnection, opts: ServiceClientOptions = {}) {
    checkKeys(opts, CLIENT_OPTIONS, "service client");
    const { strategy = "stall", maxWait = DEFAULT_MAX_WAIT, stall, maxMessages, apiPrefix = DEFAULT_API_PREFIX } = opts;
    if (!["stall", "timer", "count"].includes(strategy)) throw new InvalidArgumentError(`unknown service client strategy '${strategy}'`);
    checkMs(maxWait, "maxWait");
    checkMs(stall, "stall");
    if (strategy === "count" && (!Number.isInteger(maxMessages) || maxMessages! <= 0)) throw new InvalidArgumentError("the count strategy needs maxMessages > 0");
    if (typeof apiPrefix !== "string" || apiPrefix === "" || /[\s*>]/.test(apiPrefix)) throw new InvalidArgumentError(`invalid apiPrefix ${JSON.stringify(apiPrefix)}`);
    this.#nc = nc;
    this.#prefix = apiPrefix;
    this.#many = { strategy, maxWait, ...(strategy === "stall" ? { stall: stall ?? maxWait / 10 } : {}), ...(strategy === "count" ? { maxMessages } : {}) };
  }

  /** The PING responses of every service, of every instance of `name`, or of one instance. */
  ping(name?: string, id?: string): AsyncIterable<PingResponse> {
    return this.#query<PingResponse>("PING", name, id);
  }

  /** The INFO responses (endpoints, description). */
  info(name?: string, id?: string): AsyncIterable<InfoResponse> {
    return this.#query<InfoResponse>("INFO", name, id);
  }

  /** The STATS responses (counters per endpoint). */
  stats(name?: string, id?: string): AsyncIterable<StatsResponse> {
    return this.#query<StatsResponse>("STATS", name, id);
  }

  /**
   * Sends the request at once (bad names throw before) and yields each reply parsed as JSON. No
   * service at all ends the iteration empty; a reply with a service error throws ServiceError.
   */
  #query<T>(verb: ServiceVerb, name = "", id = ""): AsyncIterable<T> {
    const replies = this.#nc.requestMany(controlSubject(verb, name, id, this.#prefix), undefined, this.#many);
    return parsed<T>(replies);
  }
}

async function* parsed<T>(replies: AsyncIterable<Msg>): AsyncGenerator<T> {
  try {
    for await (const m of replies) {
      const err = serviceError(m);
      if (err) throw err;
      let v: T;
      try {
        v = m.json<T>();
      } catch (e) {
        throw new NatsError("BAD_SERVICE_RESPONSE", `a service's reply on '${m.subject}' is not JSON`, { cause: e });
      }
      yield v;
    }
  } catch (err) {
    if (!(err instanceof NoRespondersError)) throw err;
  }
}
