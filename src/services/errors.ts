// Service errors: the `Nats-Service-Error` headers of a reply as an Error, and a handler that failed.
import { InvalidArgumentError, NatsError, headers, type Msg, type MsgHdrs } from "../core.js";

export const ServiceErrorHeader = "Nats-Service-Error";
export const ServiceErrorCodeHeader = "Nats-Service-Error-Code";

/**
 * A service answered with an error (ADR-32): `status` is its `Nats-Service-Error-Code` (400, 500…;
 * 0 when the header is missing or not a number), `description` its `Nats-Service-Error`.
 * Throw one from a handler to answer with that code and description.
 */
export class ServiceError extends NatsError {
  readonly status: number;
  readonly description: string;
  constructor(status: number, description: string) {
    super("SERVICE_ERROR", `service error ${status}: ${description}`);
    this.status = status;
    this.description = description;
  }
}

/** The service error a reply carries, or null when it carries none (no `Nats-Service-Error*` header). */
export function serviceError(msg: Pick<Msg, "headers">): ServiceError | null {
  const e = errorHeaders(msg.headers);
  return e ? new ServiceError(e.status, e.description) : null;
}

/**
 * Headers of a service error reply: a copy of `base` (if any) with `Nats-Service-Error: <description>`
 * and `Nats-Service-Error-Code: <code>`. Throws InvalidArgumentError when `code` is not an integer or
 * `description` is empty or holds CR or LF (a header value cannot).
 */
export function serviceErrorHeaders(code: number, description: string, base?: MsgHdrs): MsgHdrs {
  if (!Number.isInteger(code)) throw new InvalidArgumentError("service error code must be an integer");
  if (typeof description !== "string" || description.length === 0) throw new InvalidArgumentError("service error description must be a non-empty string");
  const h = headers();
  if (base) for (const [k, vs] of base) for (const v of vs) h.append(k, v);
  h.set(ServiceErrorHeader, description, true);
  h.set(ServiceErrorCodeHeader, String(code), true);
  return h;
}

/** `s` made fit for a header value: CR/LF runs become one space; "" becomes `fallback`. */
export const headerSafe = (s: string, fallback = "handler failed"): string => s.replace(/[\r\n]+/g, " ").trim() || fallback;

/** The two error headers of `h`, when at least one is set (keys compared without case, as Go canonicalizes them). */
export function errorHeaders(h: MsgHdrs | undefined): { status: number; description: string } | undefined {
  if (!h || (!h.has(ServiceErrorHeader, true) && !h.has(ServiceErrorCodeHeader, true))) return undefined;
  const code = h.get(ServiceErrorCodeHeader, true).trim();
  const status = /^-?\d+$/.test(code) ? Number(code) : 0;
  return { status, description: h.get(ServiceErrorHeader, true) };
}

/**
 * An endpoint's handler (or the service's `statsHandler` for that endpoint) threw or its promise
 * rejected; `cause` is what it threw.
 */
export class ServiceHandlerError extends NatsError {
  readonly endpoint: string;
  readonly subject: string;
  constructor(what: "handler" | "statsHandler", endpoint: string, subject: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super("SERVICE_HANDLER_ERROR", `${what} of endpoint '${endpoint}' failed on '${subject}': ${why}`, { cause });
    this.endpoint = endpoint;
    this.subject = subject;
  }
}

/** The service was stopped: no endpoint can be added to it. */
export class ServiceStoppedError extends NatsError {
  constructor(name: string) {
    super("SERVICE_STOPPED", `service '${name}' is stopped`);
  }
}
