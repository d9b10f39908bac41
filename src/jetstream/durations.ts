// Durations are milliseconds in the tsnats API and integer nanoseconds on the wire; these walk the
// config and info documents and convert the duration fields in both directions.

const NS_PER_MS = 1_000_000;

type Doc = Record<string, unknown>;

/** Duration fields of a stream config (nested: consumer_limits). */
const STREAM_CONFIG = ["max_age", "duplicate_window", "subject_delete_marker_ttl"];
/** Duration fields of a consumer config (`backoff` is a list). */
const CONSUMER_CONFIG = ["ack_wait", "idle_heartbeat", "inactive_threshold", "max_expires", "priority_timeout"];

function convert(doc: Doc | undefined, fields: readonly string[], f: (n: number) => number): void {
  if (!doc) return;
  for (const k of fields) {
    const v = doc[k];
    if (typeof v === "number") doc[k] = f(v);
  }
}

const toNs = (ms: number): number => Math.round(ms * NS_PER_MS);
const toMs = (ns: number): number => ns / NS_PER_MS;

function copy<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** A stream config as sent: a copy with its durations in ns. */
export function streamConfigToWire(cfg: object): Doc {
  const c = copy(cfg) as Doc;
  convert(c, STREAM_CONFIG, toNs);
  convert(c.consumer_limits as Doc | undefined, ["inactive_threshold"], toNs);
  return c;
}

/** A stream config as received (in place): durations to ms. */
export function streamConfigFromWire(c: Doc | undefined): void {
  if (!c) return;
  convert(c, STREAM_CONFIG, toMs);
  convert(c.consumer_limits as Doc | undefined, ["inactive_threshold"], toMs);
}

/** A consumer config as sent: a copy with its durations in ns. */
export function consumerConfigToWire(cfg: object): Doc {
  const c = copy(cfg) as Doc;
  convert(c, CONSUMER_CONFIG, toNs);
  if (Array.isArray(c.backoff)) c.backoff = (c.backoff as number[]).map(toNs);
  return c;
}

/** A consumer config as received (in place): durations to ms. */
export function consumerConfigFromWire(c: Doc | undefined): void {
  if (!c) return;
  convert(c, CONSUMER_CONFIG, toMs);
  if (Array.isArray(c.backoff)) c.backoff = (c.backoff as number[]).map(toMs);
}

function peersFromWire(cluster: Doc | undefined): void {
  for (const p of (cluster?.replicas as Doc[] | undefined) ?? []) convert(p, ["active"], toMs);
}

function sourceFromWire(s: Doc | undefined): void {
  if (s && typeof s.active === "number" && s.active >= 0) s.active = toMs(s.active);
}

/** A StreamInfo as received (in place). */
export function streamInfoFromWire(si: Doc): void {
  streamConfigFromWire(si.config as Doc | undefined);
  peersFromWire(si.cluster as Doc | undefined);
  sourceFromWire(si.mirror as Doc | undefined);
  for (const s of (si.sources as Doc[] | undefined) ?? []) sourceFromWire(s);
}

/** A ConsumerInfo as received (in place). */
export function consumerInfoFromWire(ci: Doc): void {
  consumerConfigFromWire(ci.config as Doc | undefined);
  peersFromWire(ci.cluster as Doc | undefined);
  convert(ci, ["pause_remaining"], toMs);
}

/** ms → a Go duration string the server parses ("1500ms", "2s"). */
export function goDuration(ms: number): string {
  return Number.isInteger(ms / 1000) ? `${ms / 1000}s` : `${Math.round(ms)}ms`;
}

/** ms → ns for request bodies (pull `expires`, `idle_heartbeat`, …). */
export function nanos(ms: number): number {
  return toNs(ms);
}
