// Feature guards for configs (fields a server is too old for are refused before sending) and the
// echo check (a field the caller set that the server did not keep is an error, never a silent success).
import type { NatsConnection } from "../core.js";
import { ConfigNotAppliedError } from "./errors.js";
import { requireFeature, serverVersion, type Feature } from "./features.js";
import type { ConsumerConfig, StreamConfig } from "./types.js";

const STREAM_FIELDS: [keyof StreamConfig, Feature][] = [
  ["compression", "compression"],
  ["first_seq", "first_seq"],
  ["subject_transform", "subject_transform"],
  ["metadata", "metadata"],
  ["consumer_limits", "consumer_limits"],
  ["allow_msg_ttl", "msg_ttl"],
  ["subject_delete_marker_ttl", "subject_delete_marker_ttl"],
  ["allow_msg_counter", "counters"],
  ["allow_atomic", "atomic_batch"],
  ["allow_msg_schedules", "schedules"],
  ["persist_mode", "persist_mode"],
  ["allow_batched", "batched_ingest"],
];

const CONSUMER_FIELDS: [keyof ConsumerConfig, Feature][] = [
  ["filter_subjects", "filter_subjects"],
  ["metadata", "metadata"],
  ["pause_until", "consumer_pause"],
  ["priority_groups", "priority_groups"],
  ["priority_policy", "priority_groups"],
  ["priority_timeout", "priority_groups"],
];

/** Enum values that are the server's default: asking for them asks for nothing (the echo omits them). */
const DEFAULTS: Record<string, unknown> = {
  persist_mode: "default",
  priority_policy: "none",
  compression: "none",
  retention: "limits",
  storage: "file",
  discard: "old",
  replay_policy: "instant",
};

/** A value that asks for something (false, 0, "", [], {} and defaults are what an old server means anyway). */
function meaningful(v: unknown, field?: string): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return false;
  if (field !== undefined && DEFAULTS[field] === v) return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === "object") return Object.entries(v as object).some(([k, x]) => meaningful(x, k));
  return true;
}

export function guardStreamConfig(nc: NatsConnection, cfg: Partial<StreamConfig>): void {
  for (const [field, feature] of STREAM_FIELDS) {
    if (meaningful(cfg[field], field)) requireFeature(nc, feature, `stream config '${field}'`);
  }
  for (const s of [...(cfg.sources ?? []), ...(cfg.mirror ? [cfg.mirror] : [])]) {
    if (meaningful(s.subject_transforms)) requireFeature(nc, "source_subject_transforms", "source 'subject_transforms'");
    if (meaningful(s.consumer)) requireFeature(nc, "source_consumer", "source 'consumer'");
  }
  if (meaningful(cfg.placement?.preferred)) requireFeature(nc, "placement_preferred", "placement 'preferred'");
}

export function guardConsumerConfig(nc: NatsConnection, cfg: Partial<ConsumerConfig>): void {
  for (const [field, feature] of CONSUMER_FIELDS) {
    if (meaningful(cfg[field], field)) requireFeature(nc, feature, `consumer config '${field}'`);
  }
  if (cfg.priority_policy === "prioritized") requireFeature(nc, "prioritized_policy", "priority_policy 'prioritized'");
  if (cfg.ack_policy === "flow_control") requireFeature(nc, "ack_flow_control", "ack_policy 'flow_control'");
}

/** The first field the caller set meaningfully that the echoed config does not have, if any. */
export function droppedField(sent: object, echoed: object | undefined, ignore: readonly string[] = []): string | undefined {
  const e = (echoed ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(sent)) {
    if (ignore.includes(k) || !meaningful(v, k)) continue;
    if (!meaningful(e[k], k)) return k;
  }
  return undefined;
}

export function notApplied(nc: NatsConnection, what: string, field: string): ConfigNotAppliedError {
  return new ConfigNotAppliedError(what, field, serverVersion(nc));
}
