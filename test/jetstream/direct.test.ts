// jsm.direct against a real nats-server (current): single direct gets, batches (seq, start_time,
// next_by_subj, max_bytes, EOB), the last message of many subjects (paged, up_to_seq), and clear
// errors (not hangs) on a stream without allow_direct.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { headers, type NatsConnection } from "../../src/index.js";
import { jetstreamManager, JetStreamApiError, type JetStreamManager, type StoredMsg } from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { poll } from "../support/ports.js";
import { collect, failsWith, refusedLocally, uniq, untilMessages } from "./helpers.js";

const seqs = (ms: StoredMsg[]): number[] => ms.map((m) => m.seq);

describe("jsm.direct", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  /** allow_direct stream D (subjects D.*): seq 1..10 on D.a / D.b alternately (odd: a), 100-byte payloads; seq 4 has headers. */
  let D: string;
  /** the same without allow_direct */
  let N: string;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    D = uniq("DIR");
    N = uniq("NODIR");
    await jsm.streams.add({ name: D, subjects: [`${D}.*`], storage: "memory", allow_direct: true });
    await jsm.streams.add({ name: N, subjects: [`${N}.*`], storage: "memory" });
    for (let i = 1; i <= 10; i++) {
      const data = `${String(i).padStart(3, "0")}${"x".repeat(97)}`;
      const h = headers();
      h.set("X-N", String(i));
      nc.publish(`${D}.${i % 2 ? "a" : "b"}`, data, i === 4 ? { headers: h } : undefined);
      nc.publish(`${N}.a`, data);
    }
    await untilMessages(jsm, D, 10);
    await untilMessages(jsm, N, 10);
  });

  it("getMessage: by seq, last_by_subj (literal and wildcard), next_by_subj; null when missing", async () => {
    const m4 = await jsm.direct.getMessage(D, { seq: 4 });
    assert.ok(m4);
    assert.equal(m4.subject, `${D}.b`);
    assert.equal(m4.seq, 4);
    assert.equal(m4.data.length, 100);
    assert.ok(m4.string().startsWith("004"));
    assert.deepEqual(m4.headers?.keys(), ["X-N"], "only the published headers, none of the server's Nats-*");
    assert.equal(m4.headers?.get("X-N"), "4");
    assert.ok(m4.time instanceof Date && !Number.isNaN(m4.time.getTime()));
    assert.match(m4.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/, "RFC 3339");
    assert.equal((await jsm.direct.getMessage(D, { seq: 3 }))?.headers, undefined);
    assert.equal((await jsm.direct.getMessage(D, { last_by_subj: `${D}.a` }))?.seq, 9);
    assert.equal((await jsm.direct.getMessage(D, { last_by_subj: `${D}.*` }))?.seq, 10);
    assert.equal((await jsm.direct.getMessage(D, { next_by_subj: `${D}.b`, seq: 5 }))?.seq, 6);
    assert.equal((await jsm.direct.getMessage(D, { next_by_subj: `${D}.a` }))?.seq, 1);
    assert.equal(await jsm.direct.getMessage(D, { seq: 11 }), null);
    assert.equal(await jsm.direct.getMessage(D, { last_by_subj: `${D}.c` }), null);
    assert.equal(await jsm.direct.getMessage(D, { next_by_subj: `${D}.b`, seq: 11 }), null);
    // the same timestamp as the leader's STREAM.MSG.GET
    const raw = (await nc.request(`$JS.API.STREAM.MSG.GET.${D}`, JSON.stringify({ seq: 4 }), { timeout: 5_000 })).json<{ message: { time: string } }>();
    assert.equal(m4.time.getTime(), new Date(raw.message.time).getTime());
  });

  it("getMessage on a stream without allow_direct (or a missing stream) rejects at once, it does not hang", async () => {
    for (const stream of [N, "NO_SUCH_STREAM"]) {
      const e = await failsWith<JetStreamApiError>(() => jsm.direct.getMessage(stream, { seq: 1 }, { timeout: 20_000 }), "JETSTREAM_API", stream);
      assert.ok(e instanceof JetStreamApiError);
      assert.equal(e.status, 503);
      assert.match(e.message, /direct/);
      const b = await failsWith<JetStreamApiError>(() => collect(jsm.direct.getBatch(stream, { batch: 3, timeout: 20_000 })), "JETSTREAM_API", `batch ${stream}`);
      assert.equal(b.status, 503);
      const l = await failsWith<JetStreamApiError>(() => collect(jsm.direct.getLastMessagesFor(stream, [">"], { timeout: 20_000 })), "JETSTREAM_API", `last-for ${stream}`);
      assert.equal(l.status, 503);
    }
  });

  it("getBatch: N messages from a seq, ending at EOB", async () => {
    const b = await collect(jsm.direct.getBatch(D, { batch: 4, seq: 3 }));
    assert.deepEqual(seqs(b), [3, 4, 5, 6]);
    assert.deepEqual(
      b.map((m) => m.subject),
      [`${D}.a`, `${D}.b`, `${D}.a`, `${D}.b`],
    );
    assert.equal(b[1].headers?.get("X-N"), "4");
    assert.deepEqual(b[1].headers?.keys(), ["X-N"], "no Nats-Num-Pending / Nats-Last-Sequence in headers");
    assert.equal(b[0].headers, undefined);
    assert.ok(b[2].string().startsWith("005"));
    // more asked than there is: the batch ends with the stream
    assert.deepEqual(seqs(await collect(jsm.direct.getBatch(D, { batch: 100, seq: 8 }))), [8, 9, 10]);
    // no seq: from the start
    assert.deepEqual(seqs(await collect(jsm.direct.getBatch(D, { batch: 2 }))), [1, 2]);
    // past the end: nothing
    assert.deepEqual(await collect(jsm.direct.getBatch(D, { batch: 5, seq: 11 })), []);
  });

  it("getBatch with next_by_subj, start_time and max_bytes", async () => {
    assert.deepEqual(seqs(await collect(jsm.direct.getBatch(D, { batch: 10, next_by_subj: `${D}.b` }))), [2, 4, 6, 8, 10]);
    assert.deepEqual(seqs(await collect(jsm.direct.getBatch(D, { batch: 2, seq: 5, next_by_subj: `${D}.b` }))), [6, 8]);
    assert.deepEqual(await collect(jsm.direct.getBatch(D, { batch: 2, next_by_subj: `${D}.none` })), []);
    // start_time as the server's own RFC 3339 (nanosecond) timestamp of seq 5, and as Dates
    const m5 = (await jsm.direct.getMessage(D, { seq: 5 }))!;
    assert.deepEqual(seqs(await collect(jsm.direct.getBatch(D, { batch: 3, start_time: m5.timestamp }))), [5, 6, 7]);
    assert.deepEqual(seqs(await collect(jsm.direct.getBatch(D, { batch: 2, start_time: new Date("2001-01-01T00:00:00Z") }))), [1, 2]);
    assert.deepEqual(await collect(jsm.direct.getBatch(D, { batch: 2, start_time: new Date(Date.now() + 3_600_000) })), []);
    // max_bytes: the server sends messages until the bytes sent (subject + headers + data) reach it
    const limited = await collect(jsm.direct.getBatch(D, { batch: 10, seq: 1, max_bytes: 250 }));
    // (seq 1..3 have no headers: 2 × (7-9 + 100) bytes < 250 ≤ 3 × (7-9 + 100) bytes)
    assert.deepEqual(seqs(limited), [1, 2, 3]);
    const one = await collect(jsm.direct.getBatch(D, { batch: 10, seq: 1, max_bytes: 1 }));
    assert.equal(one.length, 1, "at least one message even when it is bigger than max_bytes");
  });

  it("getLastMessagesFor: the last message of each subject, wildcards, several pages, up_to_seq", async () => {
    const L = uniq("LAST");
    await jsm.streams.add({ name: L, subjects: [`${L}.>`], storage: "memory", allow_direct: true });
    // s1..s5 twice each (seq 1..10: s1 s2 s3 s4 s5 s1 s2 s3 s4 s5), then other.x (11)
    for (let round = 0; round < 2; round++) for (let i = 1; i <= 5; i++) nc.publish(`${L}.s${i}`, `s${i}-${round}`);
    nc.publish(`${L}.other.x`, "o");
    await untilMessages(jsm, L, 11);
    const all = await collect(jsm.direct.getLastMessagesFor(L, [`${L}.*`]));
    assert.deepEqual(seqs(all), [6, 7, 8, 9, 10]);
    assert.deepEqual(
      all.map((m) => m.string()),
      ["s1-1", "s2-1", "s3-1", "s4-1", "s5-1"],
    );
    assert.ok(all.every((m) => m.headers === undefined), "no server headers left");
    // batch 2: three requests, the same five messages
    const spy = await srv.connect();
    const requests: string[] = [];
    spy.subscribe(`$JS.API.DIRECT.GET.${L}`, { callback: (_, m) => requests.push(m.string()) });
    await spy.flush();
    assert.deepEqual(seqs(await collect(jsm.direct.getLastMessagesFor(L, [`${L}.*`], { batch: 2 }))), [6, 7, 8, 9, 10]);
    await poll(() => (requests.length === 3 ? true : undefined), 10_000, () => `requests: ${JSON.stringify(requests)}`);
    assert.deepEqual(
      requests.map((r) => JSON.parse(r) as { batch: number; seq?: number; up_to_seq?: number }).map((r) => [r.batch, r.seq, r.up_to_seq]),
      [
        [2, undefined, undefined],
        [2, 8, 11],
        [2, 10, 11],
      ],
      "each page goes on after the last sequence of the one before, up to the stream's last sequence when the first page was made",
    );
    assert.deepEqual(seqs(await collect(jsm.direct.getLastMessagesFor(L, [`${L}.>`], { batch: 1 }))), [6, 7, 8, 9, 10, 11]);
    // several subjects, literal and wildcard
    assert.deepEqual(seqs(await collect(jsm.direct.getLastMessagesFor(L, [`${L}.s1`, `${L}.s3`, `${L}.other.*`]))), [6, 8, 11]);
    // as of seq 7: s1 and s2 at their second message, s3..s5 at their first
    const asOf = await collect(jsm.direct.getLastMessagesFor(L, [`${L}.*`], { up_to_seq: 7 }));
    assert.deepEqual(seqs(asOf), [3, 4, 5, 6, 7]);
    assert.deepEqual(seqs(await collect(jsm.direct.getLastMessagesFor(L, [`${L}.*`], { up_to_seq: 7, batch: 2 }))), [3, 4, 5, 6, 7]);
    // up_to_time: before anything was stored, nothing
    assert.deepEqual(await collect(jsm.direct.getLastMessagesFor(L, [`${L}.*`], { up_to_time: new Date("2001-01-01T00:00:00Z") })), []);
    // no subject matches: empty
    assert.deepEqual(await collect(jsm.direct.getLastMessagesFor(L, [`${L}.none`])), []);
  });

  it("bad arguments are refused with INVALID_ARGUMENT before anything is sent", async () => {
    const cases: [string, () => unknown][] = [
      ["stream a.b", () => jsm.direct.getMessage("a.b", { seq: 1 })],
      ["unknown query key", () => jsm.direct.getMessage(D, { sequence: 1 } as never)],
      ["last_by_subj with space", () => jsm.direct.getMessage(D, { last_by_subj: "a b" })],
      ["empty query", () => jsm.direct.getMessage(D, {} as never)],
      ["seq 0", () => jsm.direct.getMessage(D, { seq: 0 })],
      ["seq as a string", () => jsm.direct.getMessage(D, { seq: "1" } as never)],
      ["seq with last_by_subj", () => jsm.direct.getMessage(D, { seq: 1, last_by_subj: `${D}.a` } as never)],
      ["next_by_subj with space", () => jsm.direct.getMessage(D, { next_by_subj: "a b" })],
      ["batch 0", () => collect(jsm.direct.getBatch(D, { batch: 0 }))],
      ["batch 1.5", () => collect(jsm.direct.getBatch(D, { batch: 1.5 }))],
      ["seq 0", () => collect(jsm.direct.getBatch(D, { batch: 1, seq: 0 }))],
      ["max_bytes -1", () => collect(jsm.direct.getBatch(D, { batch: 1, max_bytes: -1 }))],
      ["next_by_subj empty token", () => collect(jsm.direct.getBatch(D, { batch: 1, next_by_subj: "a..b" }))],
      ["unknown batch option", () => collect(jsm.direct.getBatch(D, { batch: 1, up_to_seq: 3 } as never))],
      ["timeout 0", () => collect(jsm.direct.getBatch(D, { batch: 1, timeout: 0 }))],
      ["no subjects", () => collect(jsm.direct.getLastMessagesFor(D, []))],
      ["1025 subjects", () => collect(jsm.direct.getLastMessagesFor(D, Array.from({ length: 1025 }, (_, i) => `x.${i}`)))],
      ["subject with tab", () => collect(jsm.direct.getLastMessagesFor(D, ["a\tb"]))],
      ["up_to_seq 0", () => collect(jsm.direct.getLastMessagesFor(D, [">"], { up_to_seq: 0 }))],
      ["unknown last-for option", () => collect(jsm.direct.getLastMessagesFor(D, [">"], { seq: 1 } as never))],
    ];
    for (const [what, fn] of cases) await refusedLocally(nc, fn, what);
  });

  it("bad start_time / up_to_time (and their conflicts with seq / up_to_seq) are refused locally", async () => {
    // BUG: src/jetstream/direct.ts getBatch()/getLastMessagesFor() send any start_time/up_to_time
    // string (the server answers 408 Malformed Request), throw a RangeError (not a NatsError) for an
    // invalid Date (toISOString), and send seq + start_time / up_to_seq + up_to_time (408 Bad Request).
    const cases: [string, () => unknown][] = [
      ["start_time not a time", () => collect(jsm.direct.getBatch(D, { batch: 1, start_time: "yesterday" }))],
      ["start_time an invalid Date", () => collect(jsm.direct.getBatch(D, { batch: 1, start_time: new Date(NaN) }))],
      ["seq with start_time", () => collect(jsm.direct.getBatch(D, { batch: 1, seq: 2, start_time: new Date(0) }))],
      ["up_to_time not a time", () => collect(jsm.direct.getLastMessagesFor(D, [">"], { up_to_time: "nonsense" }))],
      ["up_to_time an invalid Date", () => collect(jsm.direct.getLastMessagesFor(D, [">"], { up_to_time: new Date(NaN) }))],
      ["up_to_seq with up_to_time", () => collect(jsm.direct.getLastMessagesFor(D, [">"], { up_to_seq: 2, up_to_time: new Date() }))],
    ];
    const wrong: string[] = [];
    for (const [what, fn] of cases) await refusedLocally(nc, fn, what).catch((e: Error) => wrong.push(e.message));
    assert.deepEqual(wrong, []);
  });
});
