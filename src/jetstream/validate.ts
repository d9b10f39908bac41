// Checks of names and configs made before anything is sent: stream/consumer names, and the shape
// and types of stream and consumer configs (an unknown field or a wrong type is refused).
import { InvalidArgumentError } from "../util/errors.js";
import { checkPublishSubject, checkSubscribeSubject } from "../protocol/subject.js";

/** Stream and consumer names: printable, no `.`, `*`, `>`, `/`, `\`, whitespace; at most 255 characters (ADR-6). */
export function checkName(name: unknown, what: string): asserts name is string {
  if (typeof name !== "string" || name.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty string`);
  if (name.length > 255) throw new InvalidArgumentError(`${what} ${JSON.stringify(name.slice(0, 20) + "…")} is longer than 255 characters`);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 46 || c === 42 || c === 62 || c === 47 || c === 92) {
      throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(name)}: it may not contain '.', '*', '>', '/', '\\' or whitespace`);
    }
  }
}

/** A subject or subject filter inside a config (wildcards allowed). */
export function checkFilter(subject: unknown, what: string): void {
  try {
    checkSubscribeSubject(subject);
  } catch (err) {
    throw new InvalidArgumentError(`${what}: ${(err as Error).message}`);
  }
}

/** A literal subject inside an API call (no wildcards needed, none refused: the server decides). */
export function checkSubject(subject: unknown, what: string): asserts subject is string {
  try {
    checkPublishSubject(subject, what);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

export function checkPositiveInt(v: unknown, what: string, allowZero = false): asserts v is number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || (!allowZero && v === 0)) {
    throw new InvalidArgumentError(`${what} must be a ${allowZero ? "non-negative" : "positive"} integer`);
  }
}

export function checkTimeout(v: unknown, what = "timeout"): void {
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${what} must be a positive number of milliseconds`);
}

/** Refuses option keys outside `allowed`. */
export function checkKeys(obj: unknown, allowed: readonly string[], what: string): void {
  if (obj === undefined) return;
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new InvalidArgumentError(`${what} must be an object`);
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new InvalidArgumentError(`unknown ${what} option '${k}'`);
  }
}

// ---- config schemas ----

type Kind =
  | "string"
  | "int"
  | "number"
  | "bool"
  | "strings"
  | "ints"
  | "numbers"
  | "map"
  | "date"
  | readonly string[] // enum
  | Schema
  | { list: Schema };
interface Schema {
  [field: string]: Kind;
}

const transform: Schema = { src: "string", dest: "string" };
const source: Schema = {
  name: "string",
  opt_start_seq: "int",
  opt_start_time: "date",
  filter_subject: "string",
  external: { api: "string", deliver: "string" },
  subject_transforms: { list: transform },
  domain: "string",
  consumer: { name: "string", deliver_subject: "string" },
};

export const STREAM_SCHEMA: Schema = {
  name: "string",
  description: "string",
  subjects: "strings",
  retention: ["limits", "interest", "workqueue"],
  max_consumers: "int",
  max_msgs: "int",
  max_bytes: "int",
  max_age: "number",
  max_msgs_per_subject: "int",
  max_msg_size: "int",
  storage: ["file", "memory"],
  discard: ["old", "new"],
  num_replicas: "int",
  no_ack: "bool",
  duplicate_window: "number",
  placement: { cluster: "string", tags: "strings", preferred: "string" },
  mirror: source,
  sources: { list: source },
  sealed: "bool",
  deny_delete: "bool",
  deny_purge: "bool",
  allow_rollup_hdrs: "bool",
  allow_direct: "bool",
  mirror_direct: "bool",
  republish: { src: "string", dest: "string", headers_only: "bool" },
  discard_new_per_subject: "bool",
  compression: ["none", "s2"],
  first_seq: "int",
  subject_transform: transform,
  metadata: "map",
  consumer_limits: { inactive_threshold: "number", max_ack_pending: "int" },
  allow_msg_ttl: "bool",
  subject_delete_marker_ttl: "number",
  allow_msg_counter: "bool",
  allow_atomic: "bool",
  allow_msg_schedules: "bool",
  persist_mode: ["default", "async"],
  allow_batched: "bool",
};

export const CONSUMER_SCHEMA: Schema = {
  name: "string",
  durable_name: "string",
  description: "string",
  deliver_policy: ["all", "last", "new", "by_start_sequence", "by_start_time", "last_per_subject"],
  opt_start_seq: "int",
  opt_start_time: "date",
  ack_policy: ["none", "all", "explicit", "flow_control"],
  ack_wait: "number",
  max_deliver: "int",
  backoff: "numbers",
  filter_subject: "string",
  filter_subjects: "strings",
  replay_policy: ["instant", "original"],
  rate_limit_bps: "int",
  sample_freq: "string",
  max_waiting: "int",
  max_ack_pending: "int",
  headers_only: "bool",
  max_batch: "int",
  max_expires: "number",
  max_bytes: "int",
  deliver_subject: "string",
  deliver_group: "string",
  flow_control: "bool",
  idle_heartbeat: "number",
  inactive_threshold: "number",
  num_replicas: "int",
  mem_storage: "bool",
  metadata: "map",
  pause_until: "date",
  priority_groups: "strings",
  priority_policy: ["none", "overflow", "pinned_client", "prioritized"],
  priority_timeout: "number",
};

function kindOk(v: unknown, kind: Kind, path: string): void {
  const bad = (want: string): never => {
    throw new InvalidArgumentError(`config field '${path}' must be ${want}, got ${JSON.stringify(v)}`);
  };
  if (Array.isArray(kind)) {
    if (!kind.includes(v as string)) bad(`one of ${kind.map((k) => `"${k}"`).join(", ")}`);
    return;
  }
  switch (kind) {
    case "string":
      if (typeof v !== "string") bad("a string");
      return;
    case "int":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) bad("an integer");
      return;
    case "number":
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0) bad("a non-negative number (ms)");
      return;
    case "bool":
      if (typeof v !== "boolean") bad("a boolean");
      return;
    case "strings":
      if (!Array.isArray(v) || v.some((s) => typeof s !== "string")) bad("an array of strings");
      return;
    case "ints":
      if (!Array.isArray(v) || v.some((s) => !Number.isSafeInteger(s))) bad("an array of integers");
      return;
    case "numbers":
      if (!Array.isArray(v) || v.some((s) => typeof s !== "number" || !Number.isFinite(s) || s < 0)) bad("an array of non-negative numbers (ms)");
      return;
    case "map":
      if (v === null || typeof v !== "object" || Array.isArray(v) || Object.values(v).some((s) => typeof s !== "string")) bad("an object of strings");
      return;
    case "date":
      if (!isRfc3339(v)) bad("an RFC 3339 time string");
      return;
  }
  if ("list" in kind && typeof (kind as { list: unknown }).list === "object") {
    if (!Array.isArray(v)) bad("an array");
    (v as unknown[]).forEach((item, i) => checkSchema(item, (kind as { list: Schema }).list, `${path}[${i}]`));
    return;
  }
  checkSchema(v, kind as Schema, path);
}

/** Refuses unknown fields and wrong types, recursively; `undefined` fields are ignored. */
export function checkSchema(obj: unknown, schema: Schema, path = ""): void {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) {
    throw new InvalidArgumentError(`${path ? `config field '${path}'` : "config"} must be an object`);
  }
  for (const [k, v] of Object.entries(obj)) {
    const p = path ? `${path}.${k}` : k;
    const kind = schema[k];
    if (kind === undefined) throw new InvalidArgumentError(`unknown config field '${p}'`);
    if (v === undefined) continue;
    kindOk(v, kind, p);
  }
}

/** Validates a stream config's names and subjects as well as its shape. */
export function checkStreamConfig(cfg: unknown, needName = true): void {
  checkSchema(cfg, STREAM_SCHEMA);
  const c = cfg as Record<string, unknown>;
  if (needName || c.name !== undefined) checkName(c.name, "stream name");
  for (const s of (c.subjects as string[] | undefined) ?? []) checkFilter(s, "stream subject");
  const sources = [...((c.sources as { name: string }[] | undefined) ?? []), ...(c.mirror ? [c.mirror as { name: string }] : [])];
  for (const s of sources) checkName(s.name, "source stream name");
}

/** Validates a consumer config's names and filters as well as its shape. */
export function checkConsumerConfig(cfg: unknown): void {
  checkSchema(cfg, CONSUMER_SCHEMA);
  const c = cfg as Record<string, unknown>;
  if (c.name !== undefined) checkName(c.name, "consumer name");
  if (c.durable_name !== undefined) checkName(c.durable_name, "durable name");
  if (c.name !== undefined && c.durable_name !== undefined && c.name !== c.durable_name) {
    throw new InvalidArgumentError("consumer name and durable_name must be the same when both are set");
  }
  if (c.filter_subject !== undefined) checkFilter(c.filter_subject, "filter_subject");
  for (const f of (c.filter_subjects as string[] | undefined) ?? []) checkFilter(f, "filter_subjects");
  if (c.deliver_subject !== undefined) checkSubject(c.deliver_subject, "deliver_subject");
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;

export function isRfc3339(v: unknown): v is string {
  return typeof v === "string" && RFC3339.test(v) && !Number.isNaN(Date.parse(v));
}

/** A Date or an RFC 3339 string, as the RFC 3339 string sent on the wire. */
export function timeArg(v: unknown, what: string): string {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw new InvalidArgumentError(`${what} is an invalid Date`);
    return v.toISOString();
  }
  if (!isRfc3339(v)) throw new InvalidArgumentError(`${what} must be a Date or an RFC 3339 time string`);
  return v;
}
