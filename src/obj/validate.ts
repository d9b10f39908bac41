// Checks made before anything is sent: bucket names (ADR-6 restricted-term), object names, metas and
// options (an unknown option or a wrong type is refused with InvalidArgumentError).
import { InvalidArgumentError, MsgHdrs } from "../core.js";
import type { ObjectStoreMeta } from "./types.js";

const BUCKET = /^[A-Za-z0-9_-]+$/;
/** Object names are base64-encoded into a subject: this keeps every API subject well under the server's 4 KiB control line. */
export const MAX_NAME_BYTES = 2048;
/** A chunk may not be larger than the largest max_payload a server accepts. */
const MAX_CHUNK = 64 * 1024 * 1024;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const encoder = new TextEncoder();

export function checkBucket(name: unknown): asserts name is string {
  if (typeof name !== "string" || !BUCKET.test(name)) {
    throw new InvalidArgumentError(`invalid object store name ${JSON.stringify(name)}: use letters, digits, '_' and '-'`);
  }
  if (name.length > 251) throw new InvalidArgumentError(`object store name '${name.slice(0, 20)}…' is longer than 251 characters`);
}

/** Any Unicode string but empty, only dots, lone surrogates (not UTF-8), or longer than 2048 bytes of UTF-8. */
export function checkObjectName(name: unknown, what = "object name"): asserts name is string {
  if (typeof name !== "string" || name.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty string`);
  if (/^\.+$/.test(name)) throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(name)}: a name may not be only dots`);
  if (LONE_SURROGATE.test(name)) throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(name)}: it holds a lone surrogate (not UTF-8)`);
  if (encoder.encode(name).length > MAX_NAME_BYTES) throw new InvalidArgumentError(`${what} is longer than ${MAX_NAME_BYTES} bytes of UTF-8`);
}

export function checkKeys(obj: unknown, allowed: readonly string[], what: string): void {
  if (obj === undefined) return;
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new InvalidArgumentError(`${what} must be an object`);
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new InvalidArgumentError(`unknown ${what} option '${k}'`);
  }
}

export function checkString(v: unknown, what: string): void {
  if (v !== undefined && typeof v !== "string") throw new InvalidArgumentError(`${what} must be a string`);
}

export function checkBoolean(v: unknown, what: string): void {
  if (v !== undefined && typeof v !== "boolean") throw new InvalidArgumentError(`${what} must be a boolean`);
}

export function checkStringMap(v: unknown, what: string): void {
  if (v === undefined) return;
  if (v === null || typeof v !== "object" || Array.isArray(v)) throw new InvalidArgumentError(`${what} must be an object of strings`);
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== "string") throw new InvalidArgumentError(`${what} '${k}' must be a string`);
  }
}

export function checkTimeout(v: unknown, what = "timeout"): void {
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${what} must be a positive number of milliseconds`);
}

export function checkSignal(v: unknown): void {
  if (v === undefined) return;
  if (v === null || typeof v !== "object" || typeof (v as AbortSignal).aborted !== "boolean") throw new InvalidArgumentError("signal must be an AbortSignal");
}

/** Headers given as MsgHdrs or key → values, checked as the protocol would (a bad key or value throws). */
export function headersRecord(h: unknown): Record<string, string[]> | undefined {
  if (h === undefined) return undefined;
  if (h instanceof MsgHdrs) {
    if (h.code !== 0) throw new InvalidArgumentError("meta headers may not carry a status");
    const out: Record<string, string[]> = {};
    for (const [k, vs] of h) out[k] = [...vs];
    return Object.keys(out).length ? out : undefined;
  }
  if (h === null || typeof h !== "object" || Array.isArray(h)) throw new InvalidArgumentError("headers must be a MsgHdrs or an object of string arrays");
  const check = new MsgHdrs();
  const out: Record<string, string[]> = {};
  for (const [k, vs] of Object.entries(h)) {
    const list = typeof vs === "string" ? [vs] : vs;
    if (!Array.isArray(list) || list.some((v) => typeof v !== "string")) throw new InvalidArgumentError(`header '${k}' must be a list of strings`);
    for (const v of list as string[]) check.append(k, v); // throws on a bad key or value
    out[k] = [...(list as string[])];
  }
  return Object.keys(out).length ? out : undefined;
}

/** A meta given to a put: a name, or the whole meta. */
export function checkMeta(meta: unknown, forPut: boolean): ObjectStoreMeta {
  const m = (typeof meta === "string" ? { name: meta } : meta) as ObjectStoreMeta;
  checkKeys(m, ["name", "description", "headers", "metadata", "options"], "object meta");
  if (m === undefined) throw new InvalidArgumentError("object meta is required");
  checkObjectName(m.name);
  checkString(m.description, "description");
  checkStringMap(m.metadata, "metadata");
  headersRecord(m.headers);
  if (m.options !== undefined) {
    checkKeys(m.options, ["link", "max_chunk_size"], "object meta options");
    if (forPut && m.options.link !== undefined) throw new InvalidArgumentError("a put cannot carry a link: use link() or linkStore()");
    const size = m.options.max_chunk_size;
    if (size !== undefined && (typeof size !== "number" || !Number.isInteger(size) || size < 1 || size > MAX_CHUNK)) {
      throw new InvalidArgumentError(`max_chunk_size must be an integer from 1 to ${MAX_CHUNK}`);
    }
  }
  return m;
}

/** `{ timeout?, signal? }` plus the call's own `extra` keys (checked by the caller). */
export function checkCallOptions(opts: unknown, what: string, extra: readonly string[] = []): void {
  checkKeys(opts, ["timeout", "signal", ...extra], what);
  const o = opts as { timeout?: unknown; signal?: unknown } | undefined;
  checkTimeout(o?.timeout);
  checkSignal(o?.signal);
}
