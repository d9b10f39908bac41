// ObjectInfo as stored (the JSON of a meta message, field for field as nats.go writes it) and as
// returned to callers.
import { MsgHdrs } from "../core.js";
import { BadObjectError } from "./errors.js";
import type { ObjectInfo, ObjectStoreMetaOptions } from "./types.js";

/** Go's zero time: what nats.go stores as `mtime` (ADR-20: the real time is the message's). */
export const ZERO_TIME = "0001-01-01T00:00:00Z";

/** The meta message's JSON. */
export interface WireInfo {
  name: string;
  description?: string;
  headers?: Record<string, string[]>;
  metadata?: Record<string, string>;
  options?: ObjectStoreMetaOptions;
  bucket: string;
  nuid: string;
  size: number;
  mtime: string;
  chunks: number;
  digest?: string;
  deleted?: boolean;
}

/** The JSON to store, in nats.go's field order, empty fields left out as Go's `omitempty` does. */
export function encodeInfo(w: WireInfo): Uint8Array {
  const o: Record<string, unknown> = { name: w.name };
  if (w.description) o.description = w.description;
  if (w.headers && Object.keys(w.headers).length) o.headers = w.headers;
  if (w.metadata && Object.keys(w.metadata).length) o.metadata = w.metadata;
  const opts: Record<string, unknown> = {};
  if (w.options?.link) opts.link = w.options.link.name ? { bucket: w.options.link.bucket, name: w.options.link.name } : { bucket: w.options.link.bucket };
  if (w.options?.max_chunk_size) opts.max_chunk_size = w.options.max_chunk_size;
  if (Object.keys(opts).length) o.options = opts;
  o.bucket = w.bucket;
  o.nuid = w.nuid;
  o.size = w.size;
  o.mtime = ZERO_TIME;
  o.chunks = w.chunks;
  if (w.digest) o.digest = w.digest;
  if (w.deleted) o.deleted = true;
  return new TextEncoder().encode(JSON.stringify(o));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Parses a meta message's JSON (from any client); throws BadObjectError when it is not an object info. */
export function decodeInfo(data: Uint8Array, where: string): WireInfo {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(data));
  } catch (err) {
    throw new BadObjectError(`${where}: the meta message is not JSON`, { cause: err });
  }
  if (!isRecord(v) || typeof v.name !== "string") throw new BadObjectError(`${where}: the meta message is not an object info`);
  const num = (x: unknown): number => (typeof x === "number" && Number.isFinite(x) ? x : 0);
  const w: WireInfo = {
    name: v.name,
    bucket: typeof v.bucket === "string" ? v.bucket : "",
    nuid: typeof v.nuid === "string" ? v.nuid : "",
    size: num(v.size),
    chunks: num(v.chunks),
    mtime: typeof v.mtime === "string" ? v.mtime : ZERO_TIME,
  };
  if (typeof v.description === "string") w.description = v.description;
  if (isRecord(v.headers)) {
    const h: Record<string, string[]> = {};
    for (const [k, vs] of Object.entries(v.headers)) if (Array.isArray(vs)) h[k] = vs.filter((x): x is string => typeof x === "string");
    w.headers = h;
  }
  if (isRecord(v.metadata)) w.metadata = Object.fromEntries(Object.entries(v.metadata).filter((e): e is [string, string] => typeof e[1] === "string"));
  if (isRecord(v.options)) {
    const o: ObjectStoreMetaOptions = {};
    const link = v.options.link;
    if (isRecord(link) && typeof link.bucket === "string") o.link = typeof link.name === "string" && link.name ? { bucket: link.bucket, name: link.name } : { bucket: link.bucket };
    if (typeof v.options.max_chunk_size === "number" && v.options.max_chunk_size > 0) o.max_chunk_size = v.options.max_chunk_size;
    w.options = o;
  }
  if (typeof v.digest === "string") w.digest = v.digest;
  if (v.deleted === true) w.deleted = true;
  return w;
}

class Info implements ObjectInfo {
  readonly name: string;
  readonly description: string;
  readonly headers: MsgHdrs;
  readonly metadata: Record<string, string>;
  readonly options?: ObjectStoreMetaOptions;
  readonly bucket: string;
  readonly nuid: string;
  readonly size: number;
  readonly chunks: number;
  readonly digest: string;
  readonly mtime: string;
  readonly deleted: boolean;
  readonly revision: number;

  constructor(w: WireInfo, mtime: string, revision: number) {
    this.name = w.name;
    this.description = w.description ?? "";
    this.headers = new MsgHdrs();
    for (const [k, vs] of Object.entries(w.headers ?? {})) {
      try {
        for (const v of vs) this.headers.append(k, v);
      } catch {
        // a header another client stored that the protocol could not carry: left out
      }
    }
    this.metadata = { ...w.metadata };
    if (w.options) this.options = { ...w.options };
    this.bucket = w.bucket;
    this.nuid = w.nuid;
    this.size = w.size;
    this.chunks = w.chunks;
    this.digest = w.digest ?? "";
    this.mtime = mtime;
    this.deleted = w.deleted === true;
    this.revision = revision;
  }

  isLink(): boolean {
    return this.options?.link !== undefined;
  }
}

/** The caller's view of a stored info: `mtime` from the message time (ADR-20), `revision` its sequence. */
export function toObjectInfo(w: WireInfo, mtime: string, revision: number): ObjectInfo {
  return new Info(w, mtime, revision);
}

/** The caller's view plus the watcher's `isUpdate`. */
export function toWatchInfo(w: WireInfo, mtime: string, revision: number, isUpdate: boolean): ObjectInfo & { readonly isUpdate: boolean } {
  return Object.assign(new Info(w, mtime, revision), { isUpdate });
}

/** RFC 3339 with nanoseconds from a JetStream timestamp in nanoseconds since the epoch. */
export function timeFromNanos(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}
