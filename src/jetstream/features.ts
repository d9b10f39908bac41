// Features that need a newer nats-server, checked in one place: by the version the connected
// server reports (its INFO), before anything is sent.
import type { NatsConnection } from "../core.js";
import { FeatureNotSupportedError } from "./errors.js";

/** Minimum server version of each guarded feature. */
export const FEATURES = {
  consumer_action: "2.10.0",
  filter_subjects: "2.10.0",
  metadata: "2.10.0",
  compression: "2.10.0",
  first_seq: "2.10.0",
  subject_transform: "2.10.0",
  source_subject_transforms: "2.10.0",
  consumer_limits: "2.10.0",
  msg_ttl: "2.11.0",
  subject_delete_marker_ttl: "2.11.0",
  last_subject_sequence_subject: "2.11.0",
  priority_groups: "2.11.0",
  consumer_pause: "2.11.0",
  consumer_unpin: "2.11.0",
  direct_batch: "2.11.0",
  prioritized_policy: "2.12.0",
  atomic_batch: "2.12.0",
  counters: "2.12.0",
  schedules: "2.12.0",
  schedules_every_cron: "2.14.0",
  ack_flow_control: "2.14.0",
  placement_preferred: "2.11.0",
  source_consumer: "2.14.0",
  persist_mode: "2.12.0",
  batched_ingest: "2.14.0",
  consumer_reset: "2.14.0",
} as const;

export type Feature = keyof typeof FEATURES;

/** Compares dotted versions numerically ("2.9.10" < "2.10.4"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, "").split(/[.-]/);
  const pb = b.replace(/^v/, "").split(/[.-]/);
  for (let i = 0; i < 3; i++) {
    const d = (Number(pa[i]) || 0) - (Number(pb[i]) || 0);
    if (d) return d;
  }
  return 0;
}

/** The version of the server `nc` is connected to ("0.0.0" before the first connection). */
export function serverVersion(nc: NatsConnection): string {
  return nc.info?.version ?? "0.0.0";
}

/** The answers of `supports` for the last server version asked about. */
let known: { version: string; answers: Map<Feature, boolean> } = { version: "", answers: new Map() };

/**
 * True when the connected server has `feature`. Before the first connection (retryOnFailedConnect)
 * the version is unknown and nothing is refused here; the echoed config is still checked.
 */
export function supports(nc: NatsConnection, feature: Feature): boolean {
  const v = nc.info?.version;
  if (v === undefined) return true;
  // per-call features (atomic batches, counters) ask this for every call: remember the last version's answers
  if (v !== known.version) known = { version: v, answers: new Map() };
  let ok = known.answers.get(feature);
  if (ok === undefined) known.answers.set(feature, (ok = compareVersions(v, FEATURES[feature]) >= 0));
  return ok;
}

/** Throws `FeatureNotSupportedError` unless the connected server has `feature`. */
export function requireFeature(nc: NatsConnection, feature: Feature, label: string = feature): void {
  if (!supports(nc, feature)) throw new FeatureNotSupportedError(label, FEATURES[feature], serverVersion(nc));
}
