import { InvalidArgumentError } from "../util/errors.js";
import type { Authenticator } from "../auth/authenticator.js";
import type { TlsOptions } from "../transport/transport.js";

// TLS settings are the transport's (it is what applies them); re-exported for the connection's users.
export type { TlsOptions };

/** Options of {@link connect}. Every field is optional. */
export interface ConnectionOptions {
  servers?: string | string[];
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  authenticator?: Authenticator | Authenticator[];
  tls?: TlsOptions | null;
  noEcho?: boolean;
  verbose?: boolean;
  pedantic?: boolean;
  noRandomize?: boolean;
  ignoreDiscoveredServers?: boolean;
  /** Connect timeout per server attempt, in ms. */
  timeout?: number;
  reconnect?: boolean;
  /** Attempts per server before it is dropped from the pool; -1 = forever. */
  maxReconnectAttempts?: number;
  reconnectTimeWait?: number;
  reconnectJitter?: number;
  reconnectJitterTLS?: number;
  /** Delay after each full walk of the server pool; `attempt` counts the walks. */
  reconnectDelayHandler?: (attempt: number) => number;
  /** Bytes of encoded frames kept while disconnected; 0 = publishing while disconnected throws. */
  reconnectBufSize?: number;
  retryOnFailedConnect?: boolean;
  pingInterval?: number;
  maxPingOut?: number;
  inboxPrefix?: string;
  drainTimeout?: number;
  /** Default per-subscription pending limits. */
  pending?: { msgs?: number; bytes?: number };
  /** Use a dedicated inbox subscription per request instead of the shared one. */
  noMux?: boolean;
  /** Default request timeout, ms. */
  requestTimeout?: number;
  /** Reject in-flight requests as soon as the connection is lost (default: wait for their own timeout). */
  failRequestsOnDisconnect?: boolean;
  /**
   * Microseconds to keep polling the socket after a request went out, while requests on the shared
   * request inbox await replies (a fast reply is then read without a sleep and wake-up; `noMux`
   * requests never poll); 0 = never. Paused while replies take longer than that.
   */
  replySpin?: number;
}

export interface ResolvedOptions extends Required<Omit<ConnectionOptions, "servers" | "name" | "user" | "pass" | "token" | "authenticator" | "tls" | "reconnectDelayHandler" | "pending">> {
  servers: string[];
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  authenticators: Authenticator[];
  tls: TlsOptions | null | undefined;
  reconnectDelayHandler?: (attempt: number) => number;
  pending: { msgs: number; bytes: number };
}

export const DEFAULT_PORT = 4222;
export const DEFAULT_URL = "nats://127.0.0.1:4222";

const DEFAULTS = {
  noEcho: false,
  verbose: false,
  pedantic: false,
  noRandomize: false,
  ignoreDiscoveredServers: false,
  timeout: 2000,
  reconnect: true,
  maxReconnectAttempts: 60,
  reconnectTimeWait: 2000,
  reconnectJitter: 100,
  reconnectJitterTLS: 1000,
  reconnectBufSize: 8 * 1024 * 1024,
  retryOnFailedConnect: false,
  pingInterval: 120_000,
  maxPingOut: 2,
  inboxPrefix: "_INBOX",
  drainTimeout: 30_000,
  noMux: false,
  requestTimeout: 2000,
  failRequestsOnDisconnect: false,
  replySpin: 100,
};

type Kind = "string" | "boolean" | "number" | "function" | "object" | "servers" | "auth";
const KINDS: Record<keyof ConnectionOptions, Kind> = {
  servers: "servers",
  name: "string",
  user: "string",
  pass: "string",
  token: "string",
  authenticator: "auth",
  tls: "object",
  noEcho: "boolean",
  verbose: "boolean",
  pedantic: "boolean",
  noRandomize: "boolean",
  ignoreDiscoveredServers: "boolean",
  timeout: "number",
  reconnect: "boolean",
  maxReconnectAttempts: "number",
  reconnectTimeWait: "number",
  reconnectJitter: "number",
  reconnectJitterTLS: "number",
  reconnectDelayHandler: "function",
  reconnectBufSize: "number",
  retryOnFailedConnect: "boolean",
  pingInterval: "number",
  maxPingOut: "number",
  inboxPrefix: "string",
  drainTimeout: "number",
  pending: "object",
  noMux: "boolean",
  requestTimeout: "number",
  failRequestsOnDisconnect: "boolean",
  replySpin: "number",
};

function bad(name: string, why: string): never {
  throw new InvalidArgumentError(`option '${name}' ${why}`);
}

/** Checks and completes connection options; the caller's object is never mutated. */
export function resolveOptions(opts: ConnectionOptions = {}): ResolvedOptions {
  if (opts === null || typeof opts !== "object") throw new InvalidArgumentError("options must be an object");
  for (const [k, v] of Object.entries(opts)) {
    const kind = KINDS[k as keyof ConnectionOptions];
    if (!kind) bad(k, "is not a known option");
    if (v === undefined) continue;
    switch (kind) {
      case "servers":
        if (typeof v !== "string" && !(Array.isArray(v) && v.every((s) => typeof s === "string"))) bad(k, "must be a string or an array of strings");
        break;
      case "auth":
        if (typeof v !== "function" && !(Array.isArray(v) && v.every((f) => typeof f === "function"))) bad(k, "must be a function or an array of functions");
        break;
      case "object":
        if (v !== null && typeof v !== "object") bad(k, "must be an object");
        break;
      case "number":
        if (typeof v !== "number" || Number.isNaN(v)) bad(k, "must be a number");
        break;
      default:
        if (typeof v !== kind) bad(k, `must be a ${kind}`);
    }
  }
  const o = { ...DEFAULTS, ...stripUndefined(opts) } as ConnectionOptions & typeof DEFAULTS;
  for (const k of ["timeout", "reconnectTimeWait", "reconnectJitter", "reconnectJitterTLS", "reconnectBufSize", "pingInterval", "drainTimeout", "requestTimeout", "replySpin"] as const) {
    if (o[k] < 0) bad(k, "must not be negative");
  }
  if (o.timeout === 0) bad("timeout", "must be positive");
  if (!Number.isFinite(o.replySpin) || o.replySpin > 10_000) bad("replySpin", "must be at most 10000 (microseconds)");
  if (o.pingInterval === 0) bad("pingInterval", "must be positive");
  if (!Number.isInteger(o.maxPingOut) || o.maxPingOut < 1) bad("maxPingOut", "must be a positive integer");
  if (!Number.isInteger(o.maxReconnectAttempts) || o.maxReconnectAttempts < -1) bad("maxReconnectAttempts", "must be an integer >= -1");
  if (!/^[^\s*>]+$/.test(o.inboxPrefix) || o.inboxPrefix.startsWith(".") || o.inboxPrefix.endsWith(".") || o.inboxPrefix.includes("..")) {
    bad("inboxPrefix", "must be a valid subject prefix without wildcards");
  }
  const pending = { msgs: 512 * 1024, bytes: 64 * 1024 * 1024, ...stripUndefined(opts.pending ?? {}) };
  checkPendingLimits(pending, "pending");
  let servers: string[];
  if (opts.servers === undefined) servers = [DEFAULT_URL];
  else servers = (Array.isArray(opts.servers) ? opts.servers : [opts.servers]).flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s.length > 0);
  if (!servers.length) bad("servers", "is empty");
  const auth = opts.authenticator;
  const authenticators = auth === undefined ? [] : Array.isArray(auth) ? [...auth] : [auth];
  return { ...o, servers, pending, authenticators, tls: opts.tls } as ResolvedOptions;
}

/** Validates `{ msgs, bytes }` pending limits (positive integers, or -1 / 0 for unlimited). */
export function checkPendingLimits(p: { msgs: number; bytes: number }, name: string): void {
  for (const k of ["msgs", "bytes"] as const) {
    const v = p[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < -1) bad(`${name}.${k}`, "must be an integer >= -1 (-1 or 0 = unlimited)");
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** Checks `{ timeout?, signal? }` style options. */
export function checkWaitOptions(opts: { timeout?: number; signal?: AbortSignal } | undefined): void {
  if (!opts) return;
  if (opts.timeout !== undefined && (typeof opts.timeout !== "number" || Number.isNaN(opts.timeout) || opts.timeout < 0)) {
    throw new InvalidArgumentError("timeout must be a non-negative number of milliseconds");
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) throw new InvalidArgumentError("signal must be an AbortSignal");
}
