// Bucket options ↔ the backing stream, laid out as nats.go lays them out (ADR-8).
import type { NatsConnection } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { requireFeature } from "../jetstream/features.js";
import type { StreamConfig, StreamInfo, StreamSource } from "../jetstream/index.js";
import { checkBucket } from "./validate.js";
import type { KvOptions, KvStatus } from "./types.js";

export const STREAM_PREFIX = "KV_";
const TWO_MINUTES = 120_000;
const OPTION_KEYS = [
  "history", "ttl", "max_bytes", "maxValueSize", "storage", "replicas", "description", "placement",
  "republish", "mirror", "sources", "allow_direct", "compression", "metadata", "markerTTL",
];

export const streamName = (bucket: string): string => `${STREAM_PREFIX}${bucket}`;
const withPrefix = (n: string): string => (n.startsWith(STREAM_PREFIX) ? n : streamName(n));
const bucketOf = (stream: string): string => (stream.startsWith(STREAM_PREFIX) ? stream.slice(STREAM_PREFIX.length) : stream);

/** The stream config of a bucket. */
export function bucketConfig(bucket: string, o: KvOptions = {}): StreamConfig {
  checkBucket(bucket);
  if (o === null || typeof o !== "object") throw new InvalidArgumentError("bucket options must be an object");
  for (const k of Object.keys(o)) if (!OPTION_KEYS.includes(k)) throw new InvalidArgumentError(`unknown bucket option '${k}'`);
  const history = o.history ?? 1;
  if (!Number.isInteger(history) || history < 1 || history > 64) throw new InvalidArgumentError("history must be an integer from 1 to 64");
  const ttl = o.ttl ?? 0;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl < 0) throw new InvalidArgumentError("ttl must be a non-negative number of ms");
  if (o.markerTTL !== undefined && (typeof o.markerTTL !== "number" || o.markerTTL < 1000)) throw new InvalidArgumentError("markerTTL must be at least 1000 ms");
  const cfg: StreamConfig = {
    name: streamName(bucket),
    max_msgs_per_subject: history,
    max_age: ttl,
    duplicate_window: ttl > 0 && ttl < TWO_MINUTES ? ttl : TWO_MINUTES,
    max_bytes: o.max_bytes ?? -1,
    max_msg_size: o.maxValueSize ?? -1,
    max_msgs: -1,
    max_consumers: -1,
    storage: o.storage ?? "file",
    num_replicas: o.replicas ?? 1,
    retention: "limits",
    discard: "new",
    allow_rollup_hdrs: true,
    deny_delete: true,
    allow_direct: o.allow_direct ?? true,
  };
  if (o.description !== undefined) cfg.description = o.description;
  if (o.placement !== undefined) cfg.placement = o.placement;
  if (o.republish !== undefined) cfg.republish = o.republish;
  if (o.compression) cfg.compression = "s2";
  if (o.metadata !== undefined) cfg.metadata = o.metadata;
  if (o.markerTTL !== undefined) {
    cfg.allow_msg_ttl = true;
    cfg.subject_delete_marker_ttl = o.markerTTL;
  }
  if (o.mirror) {
    if (o.sources?.length) throw new InvalidArgumentError("a bucket is a mirror or has sources, not both");
    cfg.mirror = { ...o.mirror, name: withPrefix(o.mirror.name) };
    cfg.mirror_direct = true;
  } else {
    cfg.subjects = [`$KV.${bucket}.>`];
    if (o.sources?.length) cfg.sources = o.sources.map((s) => sourceOf(bucket, s));
  }
  return cfg;
}

/**
 * Refuses bucket options the connected server is too old for (FeatureNotSupportedError, nothing
 * sent), named as the caller wrote them; the stream config is checked again by the stream API.
 */
export function guardBucketOptions(nc: NatsConnection, o: KvOptions): void {
  if (o.compression) requireFeature(nc, "compression", "bucket option 'compression'");
  if (o.metadata !== undefined && Object.keys(o.metadata).length > 0) requireFeature(nc, "metadata", "bucket option 'metadata'");
  if (o.markerTTL !== undefined) requireFeature(nc, "subject_delete_marker_ttl", "bucket option 'markerTTL'");
}

/** A source bucket with the transform that files its keys under this bucket (ADR-57). */
function sourceOf(bucket: string, s: StreamSource): StreamSource {
  if (s.subject_transforms?.length) return { ...s };
  const name = withPrefix(s.name);
  const src = bucketOf(name);
  const out: StreamSource = { ...s, name };
  if (src !== bucket || !(s.external || s.domain)) out.subject_transforms = [{ src: `$KV.${src}.>`, dest: `$KV.${bucket}.>` }];
  return out;
}

/** The bucket's status from its stream info. */
export function statusOf(si: StreamInfo): KvStatus {
  const c = si.config;
  const st: KvStatus = {
    bucket: bucketOf(c.name),
    values: si.state.messages,
    history: c.max_msgs_per_subject ?? 1,
    ttl: c.max_age ?? 0,
    bytes: si.state.bytes,
    backingStore: "JetStream",
    storage: c.storage ?? "file",
    replicas: c.num_replicas ?? 1,
    isCompressed: c.compression !== undefined && c.compression !== "none",
    markerTTL: c.subject_delete_marker_ttl ?? 0,
    streamInfo: si,
  };
  if (c.description) st.description = c.description;
  if (c.metadata) st.metadata = c.metadata;
  return st;
}

/** Where a bucket's keys live: its own `$KV.<bucket>.` or, for a mirror, the origin's. */
export function keyPrefixOf(si: StreamInfo): { prefix: string; writePrefix: string; origin: string } {
  const c = si.config;
  if (c.mirror) {
    const origin = bucketOf(c.mirror.name);
    const api = c.mirror.external?.api;
    return { prefix: `$KV.${origin}.`, writePrefix: api ? `${api}.$KV.${origin}.` : `$KV.${origin}.`, origin };
  }
  const b = bucketOf(c.name);
  return { prefix: `$KV.${b}.`, writePrefix: `$KV.${b}.`, origin: b };
}
