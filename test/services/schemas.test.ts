// The response schemas themselves (no server): documents written from the spec's examples conform,
// and each kind of breakage (a missing or extra field, a wrong type, a bad id, version or date, a
// duration that is not an integer) is caught — so the other files' schema checks mean something.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { INFO_SCHEMA, PING_SCHEMA, STATS_SCHEMA, validate } from "./schemas.js";

const identity = { name: "svc", id: "ABCDEFGHIJKLMNOPQRSTUV", version: "1.0.0-rc.1+b5", metadata: {} };
const ping = { type: "io.nats.micro.v1.ping_response", ...identity };
const info = {
  type: "io.nats.micro.v1.info_response",
  ...identity,
  description: "",
  endpoints: [{ name: "add", subject: "math.add", queue_group: "q", metadata: { k: "v" } }],
};
const endpointStats = { name: "add", subject: "math.add", queue_group: "", num_requests: 3, num_errors: 1, last_error: "400:bad", processing_time: 1500, average_processing_time: 500 };
const stats = { type: "io.nats.micro.v1.stats_response", ...identity, started: "2024-05-01T10:00:00.123456789Z", endpoints: [endpointStats] };

/** `base` with `path` (dot-separated, numeric parts index arrays) set to `value`, or deleted when `value` is undefined. */
function edit(base: object, path: string, value?: unknown): unknown {
  const copy = structuredClone(base) as Record<string, unknown>;
  const keys = path.split(".");
  let at = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  const last = keys[keys.length - 1]!;
  if (value === undefined) delete at[last];
  else at[last] = value;
  return copy;
}

describe("service response schemas", () => {
  it("accept the spec's documents", () => {
    assert.deepEqual(validate(PING_SCHEMA, ping), []);
    assert.deepEqual(validate(INFO_SCHEMA, info), []);
    assert.deepEqual(validate(STATS_SCHEMA, stats), []);
    assert.deepEqual(validate(STATS_SCHEMA, edit(stats, "endpoints.0.data", { any: ["json", 1] })), [], "data is optional and free");
    assert.deepEqual(validate(STATS_SCHEMA, edit(stats, "started", "2024-05-01T12:00:00+02:00")), []);
  });

  const broken: [string, typeof PING_SCHEMA, unknown, RegExp][] = [
    ["a missing metadata", PING_SCHEMA, edit(ping, "metadata"), /missing required 'metadata'/],
    ["an extra field", PING_SCHEMA, edit(ping, "extra", 1), /unexpected field 'extra'/],
    ["another type string", PING_SCHEMA, edit(ping, "type", "io.nats.micro.v1.info_response"), /expected "io.nats.micro.v1.ping_response"/],
    ["an id that is not a NUID", PING_SCHEMA, edit(ping, "id", "abc"), /\$\.id/],
    ["a version that is not SemVer", PING_SCHEMA, edit(ping, "version", "1.0"), /\$\.version/],
    ["metadata with a number", PING_SCHEMA, edit(ping, "metadata", { n: 1 }), /\$\.metadata\.n: expected string/],
    ["null metadata", INFO_SCHEMA, edit(info, "metadata", null), /\$\.metadata: expected object, got null/],
    ["a missing description", INFO_SCHEMA, edit(info, "description"), /missing required 'description'/],
    ["an endpoint without queue_group", INFO_SCHEMA, edit(info, "endpoints.0.queue_group"), /\$\.endpoints\[0\]: missing required 'queue_group'/],
    ["an endpoint with null metadata", INFO_SCHEMA, edit(info, "endpoints.0.metadata", null), /\$\.endpoints\[0\]\.metadata/],
    ["a started that is not RFC 3339", STATS_SCHEMA, edit(stats, "started", "May 1 2024"), /RFC 3339/],
    ["a processing_time in ms", STATS_SCHEMA, edit(stats, "endpoints.0.processing_time", 1.5), /processing_time: expected integer, got number/],
    ["a negative count", STATS_SCHEMA, edit(stats, "endpoints.0.num_errors", -1), /num_errors: -1 < 0/],
    ["a missing last_error", STATS_SCHEMA, edit(stats, "endpoints.0.last_error"), /missing required 'last_error'/],
    ["an endpoint with an extra field", STATS_SCHEMA, edit(stats, "endpoints.0.queue", "q"), /unexpected field 'queue'/],
  ];
  for (const [label, schema, doc, message] of broken) {
    it(`catch ${label}`, () => {
      const errs = validate(schema, doc);
      assert.ok(errs.some((e) => message.test(e)), `${label}: ${JSON.stringify(errs)}`);
    });
  }
});
