// JSON Schemas of the three discovery responses, written from the Service API spec (ADR-32,
// NATS-CLIENT-SPEC §7.4) — strict: every field required (only `data` is optional), no other field
// allowed, the types and formats the spec gives — and a small validator for the subset of JSON
// Schema they use.

export interface Schema {
  type?: "object" | "array" | "string" | "integer" | "number" | "boolean";
  const?: unknown;
  pattern?: string;
  format?: "date-time";
  minimum?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: false | Schema;
  items?: Schema;
}

const NAME = "^[A-Za-z0-9_-]+$";
/** A NUID: 22 base-62 characters. */
const NUID = "^[0-9A-Za-z]{22}$";
/** semver.org's suggested expression. */
const SEMVER =
  "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(?:-((?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9]\\d*|\\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$";
const STRING_MAP: Schema = { type: "object", additionalProperties: { type: "string" } };
const COUNT: Schema = { type: "integer", minimum: 0 };

function identity(type: string): Record<string, Schema> {
  return {
    type: { type: "string", const: type },
    name: { type: "string", pattern: NAME },
    id: { type: "string", pattern: NUID },
    version: { type: "string", pattern: SEMVER },
    metadata: STRING_MAP,
  };
}

function strict(properties: Record<string, Schema>, optional: string[] = []): Schema {
  return { type: "object", properties, required: Object.keys(properties).filter((k) => !optional.includes(k)), additionalProperties: false };
}

export const PING_SCHEMA = strict(identity("io.nats.micro.v1.ping_response"));

export const INFO_SCHEMA = strict({
  ...identity("io.nats.micro.v1.info_response"),
  description: { type: "string" },
  endpoints: {
    type: "array",
    items: strict({ name: { type: "string", pattern: NAME }, subject: { type: "string" }, queue_group: { type: "string" }, metadata: STRING_MAP }),
  },
});

export const STATS_SCHEMA = strict({
  ...identity("io.nats.micro.v1.stats_response"),
  started: { type: "string", format: "date-time" },
  endpoints: {
    type: "array",
    items: strict(
      {
        name: { type: "string", pattern: NAME },
        subject: { type: "string" },
        queue_group: { type: "string" },
        num_requests: COUNT,
        num_errors: COUNT,
        last_error: { type: "string" },
        processing_time: COUNT,
        average_processing_time: COUNT,
        data: {},
      },
      ["data"],
    ),
  },
});

/** RFC 3339 date-time. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v === null) return "null";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

/** Every way `value` breaks `schema` (empty when it conforms), each with its JSON path. */
export function validate(schema: Schema, value: unknown, path = "$"): string[] {
  const errs: string[] = [];
  const t = typeOf(value);
  if (schema.type && !(schema.type === t || (schema.type === "number" && t === "integer"))) return [`${path}: expected ${schema.type}, got ${t}`];
  if ("const" in schema && value !== schema.const) errs.push(`${path}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (schema.pattern && typeof value === "string" && !new RegExp(schema.pattern).test(value)) errs.push(`${path}: ${JSON.stringify(value)} does not match ${schema.pattern}`);
  if (schema.format === "date-time" && typeof value === "string" && (!DATE_TIME.test(value) || Number.isNaN(Date.parse(value)))) errs.push(`${path}: ${JSON.stringify(value)} is not an RFC 3339 date-time`);
  if (schema.minimum !== undefined && typeof value === "number" && value < schema.minimum) errs.push(`${path}: ${value} < ${schema.minimum}`);
  if (t === "object") {
    const obj = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in obj)) errs.push(`${path}: missing required '${k}'`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub) errs.push(...validate(sub, v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected field '${k}'`);
      else if (schema.additionalProperties) errs.push(...validate(schema.additionalProperties, v, `${path}.${k}`));
    }
  }
  if (t === "array" && schema.items) (value as unknown[]).forEach((v, i) => errs.push(...validate(schema.items!, v, `${path}[${i}]`)));
  return errs;
}
