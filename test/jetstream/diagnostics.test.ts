// JetStream's diagnostics channels: `tsnats:js.api` for every API request and `tsnats:js.publish`
// for every acknowledged publish, with the subject, the duration and the error when there is one.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import * as diagnostics from "node:diagnostics_channel";
import type { NatsConnection } from "../../src/index.js";
import { jetstream, jetstreamManager, type JetStreamManager } from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";

type Event = { subject: string; ms: number; error?: Error; stream?: string; seq?: number };

function record(name: string): { events: Event[]; stop: () => void } {
  const events: Event[] = [];
  const fn = (m: unknown): void => {
    events.push(m as Event);
  };
  diagnostics.subscribe(name, fn);
  return { events, stop: () => diagnostics.unsubscribe(name, fn) };
}

describe("JetStream diagnostics channels", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
  });

  it("tsnats:js.api reports each API request, and its error", async () => {
    const r = record("tsnats:js.api");
    try {
      await jsm.streams.add({ name: "DIAG", subjects: ["diag.>"] });
      await jsm.streams.info("MISSING").catch(() => undefined);
    } finally {
      r.stop();
    }
    const create = r.events.find((e) => e.subject === "$JS.API.STREAM.CREATE.DIAG");
    assert.ok(create, JSON.stringify(r.events.map((e) => e.subject)));
    assert.equal(typeof create.ms, "number");
    assert.equal(create.error, undefined);
    const missing = r.events.find((e) => e.subject === "$JS.API.STREAM.INFO.MISSING");
    assert.equal((missing?.error as { code?: string } | undefined)?.code, "STREAM_NOT_FOUND");
  });

  it("tsnats:js.publish reports acked publishes (sync and async) and failed ones", async () => {
    const r = record("tsnats:js.publish");
    const js = jetstream(nc);
    try {
      await js.publish("diag.a", "1");
      await js.publishAsync("diag.b", "2");
      await js.publish("nostream.diag", "3", { retries: 0 }).catch(() => undefined);
    } finally {
      r.stop();
    }
    assert.deepEqual(
      r.events.map((e) => [e.subject, e.stream, e.error?.constructor.name]),
      [
        ["diag.a", "DIAG", undefined],
        ["diag.b", "DIAG", undefined],
        ["nostream.diag", undefined, "NoStreamResponseError"],
      ],
    );
    assert.ok(r.events.every((e) => typeof e.ms === "number" && e.ms >= 0));
  });
});
