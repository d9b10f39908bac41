// The Service API's JSON documents (ADR-32) and the options of services, groups and endpoints.
import type { Msg, MsgHdrs } from "../core.js";

/** The `type` of each discovery response. */
export const ServiceResponseType = {
  PING: "io.nats.micro.v1.ping_response",
  INFO: "io.nats.micro.v1.info_response",
  STATS: "io.nats.micro.v1.stats_response",
} as const;

/** The monitoring verbs, as they appear in `$SRV.<verb>[.<name>[.<id>]]`. */
export type ServiceVerb = "PING" | "INFO" | "STATS";

/** The fields every discovery response carries. */
export interface ServiceIdentity {
  type: string;
  /** The kind of service: shared by every instance. */
  name: string;
  /** This instance (a NUID). */
  id: string;
  version: string;
  metadata: Record<string, string>;
}

/** `$SRV.PING` */
export interface PingResponse extends ServiceIdentity {
  type: typeof ServiceResponseType.PING;
}

/** One endpoint in an INFO response. */
export interface EndpointInfo {
  name: string;
  subject: string;
  /** "" when the endpoint has no queue group. */
  queue_group: string;
  metadata: Record<string, string>;
}

/** `$SRV.INFO` */
export interface InfoResponse extends ServiceIdentity {
  type: typeof ServiceResponseType.INFO;
  description: string;
  endpoints: EndpointInfo[];
}

/** One endpoint in a STATS response; times are integer nanoseconds. */
export interface EndpointStats {
  name: string;
  subject: string;
  queue_group: string;
  /** Requests handled (a handler returned, its promise settled, or an iterator asked for the next one). */
  num_requests: number;
  /**
   * Requests answered with a service error: replies that carry the `Nats-Service-Error` /
   * `Nats-Service-Error-Code` headers (`respondError`, those headers set by hand, or the 500 sent for
   * a handler that failed before answering). Nothing else counts.
   */
  num_errors: number;
  /** `<code>:<description>` of the last error ("" when none). */
  last_error: string;
  processing_time: number;
  average_processing_time: number;
  /** What the service's `statsHandler` returned for this endpoint (only with a stats handler). */
  data?: unknown;
}

/** `$SRV.STATS` */
export interface StatsResponse extends ServiceIdentity {
  type: typeof ServiceResponseType.STATS;
  /** RFC 3339 (UTC) time the service started or was last reset. */
  started: string;
  endpoints: EndpointStats[];
}

/** A request to an endpoint: the whole message, plus the service's ways to answer it. */
export interface ServiceMsg extends Msg {
  /** Answers with `data`; false when the request has no reply subject. */
  respond(data?: Uint8Array | string, opts?: { headers?: MsgHdrs }): boolean;
  /** Answers with `JSON.stringify(value)`; throws InvalidArgumentError when it cannot be serialized. */
  respondJson(value: unknown, opts?: { headers?: MsgHdrs }): boolean;
  /**
   * Answers with a service error: headers `Nats-Service-Error: <description>` and
   * `Nats-Service-Error-Code: <code>`, and `data` as the payload. Counts in `num_errors` and sets
   * `last_error` (`<code>:<description>`). Throws InvalidArgumentError when `code` is not an integer
   * or `description` is empty or holds CR or LF.
   */
  respondError(code: number, description: string, data?: Uint8Array | string, opts?: { headers?: MsgHdrs }): boolean;
}

/**
 * Handles one request. `err` is always null (errors of the endpoint go to the service's
 * `errorHandler`); the signature is the one of a subscription callback. A returned promise is
 * awaited for the stats and by `stop()`. If the handler throws (or its promise rejects) before the
 * request was answered, the requester gets a service error: the thrown `ServiceError`'s status and
 * description, else 500 and the error's message. Either way the error goes to `errorHandler`.
 */
export type ServiceHandler = (err: Error | null, msg: ServiceMsg) => void;

/** Options of `addEndpoint()`. */
export interface EndpointOptions {
  /** Subject to listen on (wildcards allowed), under the group's prefix; default: the endpoint's name. */
  subject?: string;
  /** Queue group; default: the group's, else the service's, else "q". `null`: no queue group. */
  queue?: string | null;
  metadata?: Record<string, string>;
  /** Pending limits of the endpoint's subscription (messages over them are dropped and reported). */
  pending?: { msgs?: number; bytes?: number };
  /** Without a handler, `addEndpoint()` returns an async iterable of the requests. */
  handler?: ServiceHandler;
}

/** Options of `svcm.add()`. */
export interface ServiceConfig {
  /** `[A-Za-z0-9_-]+`: the kind of service. */
  name: string;
  /** A SemVer 2.0 version ("1.0.0", "2.1.0-rc.1+build.5"). */
  version: string;
  description?: string;
  /** Fixed for the life of the service; `{}` by default. */
  metadata?: Record<string, string>;
  /** Default queue group of the endpoints; default "q", `null`: none. */
  queue?: string | null;
  /** Adds `data` to each endpoint's STATS entry. */
  statsHandler?: (endpoint: EndpointInfo) => unknown;
  /**
   * Told about what goes wrong in the service: a handler that threw or rejected
   * (`ServiceHandlerError`, also when it had answered already), requests dropped over an endpoint's
   * pending limits (`SlowConsumerError`), a failing `statsHandler`, a reply that could not be sent.
   */
  errorHandler?: (err: Error) => void;
}

/** Options of `svcm.client()`: how long discovery collects replies (ADR-47 strategies). */
export interface ServiceClientOptions {
  /** Total time to collect replies, in milliseconds (default 2000). */
  maxWait?: number;
  /**
   * `stall` (default): stop when no reply came for `stall` ms after the first one;
   * `timer`: collect for `maxWait`; `count`: stop after `maxMessages` replies.
   */
  strategy?: "stall" | "timer" | "count";
  /** For `stall`, in milliseconds (default `maxWait / 10`). */
  stall?: number;
  /** For `count`. */
  maxMessages?: number;
  /** The monitoring prefix (default `$SRV`), e.g. when the subjects are imported from another account. */
  apiPrefix?: string;
}
