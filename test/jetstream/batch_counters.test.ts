// Atomic batches (ADR-50), counters (ADR-49) and message schedules (ADR-51) on nats-server `current`.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { headers, type NatsConnection } from "../../src/index.js";
import { BatchError, jetstream, jetstreamManager, JetStreamApiError, MAX_BATCH_SIZE, type JetStreamManager } from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";

describe("atomic batch publish", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "B", subjects: ["b.>"], allow_atomic: true });
    await jsm.streams.add({ name: "NOB", subjects: ["nob.>"] });
  });

  it("stores every message of a committed batch, with the commit's ack", async () => {
    const js = jetstream(nc);
    const before = (await jsm.streams.info("B")).state.messages;
    const b = js.batch();
    for (let i = 0; i < 99; i++) b.add(`b.${i % 3}`, `m${i}`);
    const ack = await b.commit("b.end", "last");
    assert.equal(ack.stream, "B");
    assert.equal(ack.batch, b.id);
    assert.equal(ack.count, 100);
    const si = await jsm.streams.info("B");
    assert.equal(si.state.messages - before, 100);
    assert.equal(ack.seq, si.state.last_seq);
    const first = await jsm.streams.getMessage("B", { seq: ack.seq - 99 });
    assert.equal(first?.string(), "m0");
    assert.equal(first?.headers?.get("Nats-Batch-Id"), b.id);
    assert.equal(first?.headers?.get("Nats-Batch-Sequence"), "1");
  });

  it("with ackEvery, every n-th message is acknowledged on the way", async () => {
    const b = jetstream(nc).batch({ ackEvery: 10 });
    for (let i = 0; i < 45; i++) b.add("b.every", String(i));
    const ack = await b.commit("b.every", "end");
    assert.equal(ack.count, 46);
  });

  it("stores nothing when a message breaks an expectation, and commit() says why", async () => {
    const js = jetstream(nc);
    const before = (await jsm.streams.info("B")).state.messages;
    const b = js.batch();
    b.add("b.x", "1", { expect: { lastSequence: 1 } }); // wrong: the stream is far past 1
    b.add("b.x", "2");
    const err = await b.commit("b.x", "3").then(() => assert.fail("committed"), (e: unknown) => e);
    assert.ok(err instanceof BatchError, String(err));
    assert.ok(err.cause instanceof JetStreamApiError, String(err.cause));
    assert.equal((await jsm.streams.info("B")).state.messages, before, "nothing of the batch was stored");
  });

  it("a stream without allow_atomic refuses the batch (errCode 10174), nothing stored", async () => {
    const b = jetstream(nc).batch();
    b.add("nob.a", "1");
    const err = await b.commit("nob.a", "2").then(() => assert.fail("committed"), (e: unknown) => e);
    assert.ok(err instanceof BatchError);
    assert.equal((err.cause as JetStreamApiError).errCode, 10174);
    assert.equal((await jsm.streams.info("NOB")).state.messages, 0);
  });

  it("refuses more than the server's limit before sending, and use after commit", async () => {
    const b = jetstream(nc).batch();
    for (let i = 0; i < MAX_BATCH_SIZE - 1; i++) b.add("b.big", "x");
    assert.throws(() => b.add("b.big", "x"), /at most 1000/);
    const ack = await b.commit("b.big", "x");
    assert.equal(ack.count, MAX_BATCH_SIZE);
    assert.throws(() => b.add("b.big", "x"), /already committed/);
    assert.throws(() => jetstream(nc).batch().add("b bad", "x"), (e: unknown) => (e as { code: string }).code === "BAD_SUBJECT" || (e as { code: string }).code === "INVALID_ARGUMENT");
  });

  it("keeps the caller's headers on each message", async () => {
    const h = headers();
    h.set("X-Order", "42");
    const b = jetstream(nc).batch();
    b.add("b.h", "1", { headers: h });
    const ack = await b.commit("b.h", "2", { headers: h });
    const m = await jsm.streams.getMessage("B", { seq: ack.seq });
    assert.equal(m?.headers?.get("X-Order"), "42");
    assert.equal(m?.headers?.get("Nats-Batch-Commit"), "1");
    assert.equal(h.has("Nats-Batch-Id"), false, "the caller's headers are not changed");
  });
});

describe("counters", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "CNT", subjects: ["cnt.>"], allow_msg_counter: true, allow_direct: true });
    await jsm.streams.add({ name: "CNT2", subjects: ["cnt2.>"], allow_msg_counter: true });
    await jsm.streams.add({ name: "PLAIN", subjects: ["plain.>"] });
  });

  it("add returns the new total; get reads it (direct get and leader get)", async () => {
    for (const stream of ["CNT", "CNT2"]) {
      const prefix = stream === "CNT" ? "cnt" : "cnt2";
      const ctr = jetstream(nc).counters(stream);
      assert.equal(await ctr.get(`${prefix}.hits`), null);
      assert.equal(await ctr.add(`${prefix}.hits`, 5), 5n);
      assert.equal(await ctr.add(`${prefix}.hits`, -2), 3n);
      assert.equal(await ctr.add(`${prefix}.hits`, 0n), 3n);
      assert.equal(await ctr.get(`${prefix}.hits`), 3n);
    }
  });

  it("works past 2^64 with bigint", async () => {
    const ctr = jetstream(nc).counters("CNT");
    const big = 2n ** 70n;
    assert.equal(await ctr.add("cnt.big", big), big);
    assert.equal(await ctr.add("cnt.big", big), 2n * big);
    assert.equal(await ctr.get("cnt.big"), 2n * big);
  });

  it("concurrent adds from two connections sum exactly", async () => {
    const other = await srv.connect();
    const a = jetstream(nc).counters("CNT");
    const b = jetstream(other).counters("CNT");
    await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).add("cnt.race", 1)));
    assert.equal(await a.get("cnt.race"), 100n);
  });

  it("refuses bad deltas before sending; a non-counter stream fails clearly", async () => {
    const ctr = jetstream(nc).counters("CNT");
    await assert.rejects(ctr.add("cnt.x", 1.5), /safe integer/);
    await assert.rejects(ctr.add("cnt.x", Number.MAX_SAFE_INTEGER * 4), /safe integer/);
    await assert.rejects(ctr.add("cnt x", 1), (e: unknown) => ["BAD_SUBJECT", "INVALID_ARGUMENT"].includes((e as { code: string }).code));
    const plain = jetstream(nc).counters("PLAIN");
    const err = await plain.add("plain.x", 1).then(() => assert.fail("counted"), (e: unknown) => e);
    assert.ok(err instanceof JetStreamApiError, String(err));
    assert.equal(err.errCode, 10168);
    const wrong = jetstream(nc).counters("CNT2");
    await assert.rejects(wrong.add("cnt.x", 1), /belongs to stream 'CNT'/);
  });
});

describe("message schedules", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "SCH", subjects: ["sch.>"], allow_msg_schedules: true, allow_msg_ttl: true });
  });

  /** Polls the stream until `subject` holds at least `n` messages (the scheduler stores them). */
  async function storedOn(subject: string, n: number): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const si = await jsm.streams.info("SCH", { subjects_filter: subject });
      if ((si.state.subjects?.[subject] ?? 0) >= n) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.fail(`fewer than ${n} messages on ${subject} after ~30 s`);
  }

  it("@at: the scheduled message is stored on its target at that time", async () => {
    const js = jetstream(nc);
    const at = new Date(Date.now() + 1000);
    const ack = await js.publish("sch.schedule.at", "wake up", { schedule: { at, target: "sch.target.at" } });
    assert.equal(ack.stream, "SCH");
    const stored = await jsm.streams.getMessage("SCH", { seq: ack.seq });
    assert.match(stored?.headers?.get("Nats-Schedule") ?? "", /^@at \d{4}-/);
    assert.equal(stored?.headers?.get("Nats-Schedule-Target"), "sch.target.at");
    await storedOn("sch.target.at", 1);
    const m = await jsm.streams.getMessage("SCH", { last_by_subj: "sch.target.at" });
    assert.equal(m?.string(), "wake up");
    assert.equal(m?.headers?.get("Nats-Scheduler"), "sch.schedule.at");
  });

  it("@every with a TTL: produces messages repeatedly", async () => {
    const js = jetstream(nc);
    await js.publish("sch.schedule.every", "tick", { schedule: { every: 1000, target: "sch.target.every", ttl: 60_000 } });
    await storedOn("sch.target.every", 2);
    const a = await jsm.streams.getMessage("SCH", { last_by_subj: "sch.target.every" });
    assert.equal(a?.string(), "tick");
    assert.equal(a?.headers?.get("Nats-TTL"), "60s");
    // cancel it: a new schedule on the same subject replaces it; purge the schedule subject instead
    await jsm.streams.purge("SCH", { filter: "sch.schedule.every" });
  });

  it("cron with a time zone is accepted", async () => {
    const ack = await jetstream(nc).publish("sch.schedule.cron", "daily", { schedule: { cron: "0 0 12 * * *", timeZone: "Europe/Paris", target: "sch.target.cron" } });
    const stored = await jsm.streams.getMessage("SCH", { seq: ack.seq });
    assert.equal(stored?.headers?.get("Nats-Schedule"), "0 0 12 * * *");
    assert.equal(stored?.headers?.get("Nats-Schedule-Time-Zone"), "Europe/Paris");
  });

  it("bad schedules are refused before sending", async () => {
    const js = jetstream(nc);
    const bad = [
      { target: "sch.t" },
      { at: new Date(), every: 1000, target: "sch.t" },
      { at: "not a date", target: "sch.t" },
      { every: 10, target: "sch.t" },
      { at: new Date(), target: "sch.*" },
      { at: new Date(), target: "sch.t", timeZone: "UTC" },
      { cron: "", target: "sch.t" },
    ];
    for (const schedule of bad) await assert.rejects(js.publish("sch.s", "x", { schedule: schedule as never }), (e: unknown) => ["INVALID_ARGUMENT", "BAD_SUBJECT"].includes((e as { code: string }).code), JSON.stringify(schedule));
  });
});
