// The JetStream API client: JSON requests to `<prefix>.<op>`, responses checked for `error` and
// mapped to typed errors, no responders mapped to "JetStream not enabled", diagnostics for each call.
import { NoRespondersError, TimeoutError, type MsgHdrs, type NatsConnection } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { channels, publishEvent } from "../util/diagnostics.js";
import { apiError, JetStreamNotEnabledError, type ApiErrorBody } from "./errors.js";
import { checkKeys, checkTimeout } from "./validate.js";

/** Options of `jetstream()` and `jetstreamManager()`. */
export interface JetStreamOptions {
  /** JetStream domain: the API prefix becomes `$JS.<domain>.API`. */
  domain?: string;
  /** An explicit API prefix (an imported JetStream of another account); exclusive with `domain`. */
  apiPrefix?: string;
  /** Default timeout of API requests and publishes, ms (default 5000). */
  timeout?: number;
  /** Async-publish window: at most this many publishes await their acks (default 4000). */
  maxPending?: number;
}

export const JS_OPTION_KEYS = ["domain", "apiPrefix", "timeout", "maxPending"] as const;
export const DEFAULT_API_TIMEOUT = 5_000;

/** Per-call options of API requests. */
export interface ApiCallOptions {
  timeout?: number;
  signal?: AbortSignal;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

function checkPrefixToken(s: string, what: string): void {
  if (!s || /[\s*>]/.test(s) || s.startsWith(".") || s.endsWith(".") || s.includes("..")) {
    throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(s)}`);
  }
}

/** Resolves the API prefix from the options (validated). */
export function apiPrefixOf(opts: JetStreamOptions): string {
  checkKeys(opts, JS_OPTION_KEYS, "JetStream");
  checkTimeout(opts.timeout);
  if (opts.domain !== undefined && opts.apiPrefix !== undefined) throw new InvalidArgumentError("domain and apiPrefix are mutually exclusive");
  if (opts.domain !== undefined) {
    if (typeof opts.domain !== "string" || opts.domain.includes(".")) throw new InvalidArgumentError("domain must be a string without '.'");
    checkPrefixToken(opts.domain, "domain");
    return `$JS.${opts.domain}.API`;
  }
  if (opts.apiPrefix !== undefined) {
    if (typeof opts.apiPrefix !== "string") throw new InvalidArgumentError("apiPrefix must be a string");
    const p = opts.apiPrefix.endsWith(".") ? opts.apiPrefix.slice(0, -1) : opts.apiPrefix;
    checkPrefixToken(p, "apiPrefix");
    return p;
  }
  return "$JS.API";
}

/** JetStream API requests over a connection. */
export class JsApi {
  readonly prefix: string;
  readonly timeout: number;
  readonly domain?: string;

  constructor(
    readonly nc: NatsConnection,
    readonly opts: JetStreamOptions = {},
  ) {
    this.prefix = apiPrefixOf(opts);
    this.timeout = opts.timeout ?? DEFAULT_API_TIMEOUT;
    if (opts.domain !== undefined) this.domain = opts.domain;
  }

  /** `<prefix>.<op>` */
  subject(op: string): string {
    return `${this.prefix}.${op}`;
  }

  /**
   * Sends one API request and returns its parsed JSON response. Rejects with the mapped
   * `JetStreamApiError` when the response carries `error`, with `JetStreamNotEnabledError` when no
   * server answers the subject, and with `TimeoutError` after the timeout.
   */
  async request<T>(op: string, body?: unknown, opts: ApiCallOptions = {}): Promise<T> {
    const subject = this.subject(op);
    const data = body === undefined ? EMPTY : encoder.encode(JSON.stringify(body));
    const start = performance.now();
    try {
      const m = await this.nc.request(subject, data, { timeout: opts.timeout ?? this.timeout, ...(opts.signal ? { signal: opts.signal } : {}) });
      const r = parseResponse<T>(m.data, m.headers);
      publishEvent(channels.jsApi, { subject, ms: performance.now() - start });
      return r;
    } catch (err) {
      const e = mapRequestError(err, subject);
      publishEvent(channels.jsApi, { subject, ms: performance.now() - start, error: e });
      throw e;
    }
  }

  /** Follows `offset` paging: calls `page(offset)` until `total` items were seen. */
  async *paged<R extends { total: number; offset: number; limit: number }, T>(
    op: string,
    body: Record<string, unknown>,
    items: (r: R) => T[] | undefined | null,
  ): AsyncGenerator<T> {
    let offset = 0;
    for (;;) {
      const r = await this.request<R>(op, { ...body, offset });
      const list = items(r) ?? [];
      for (const it of list) yield it;
      offset += list.length;
      if (list.length === 0 || offset >= r.total) return;
    }
  }
}

/** Parses a JSON API response and throws its `error`, if any. */
export function parseResponse<T>(data: Uint8Array, headers?: MsgHdrs): T {
  if (headers?.hasError && data.length === 0) {
    throw apiError({ code: headers.code, description: headers.description || "error status" });
  }
  let r: unknown;
  const text = decoder.decode(data);
  try {
    r = JSON.parse(text);
  } catch {
    if (text.startsWith("-ERR")) throw apiError({ code: 500, description: text.slice(4).trim().replace(/^'|'$/g, "") });
    throw apiError({ code: 500, description: `bad JetStream response: ${text.slice(0, 100)}` });
  }
  const e = (r as { error?: ApiErrorBody } | null)?.error;
  if (e) throw apiError(e);
  return r as T;
}

/** No responders → JetStreamNotEnabledError; other errors pass through. */
export function mapRequestError(err: unknown, subject: string): Error {
  if (err instanceof NoRespondersError) return new JetStreamNotEnabledError(`JetStream is not enabled or not reachable (no responders for '${subject}')`, { cause: err });
  if (err instanceof TimeoutError) return new TimeoutError(`JetStream request to '${subject}' timed out`, { cause: err });
  return err as Error;
}
