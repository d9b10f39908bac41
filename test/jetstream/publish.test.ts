// JetStream publishing against nats-server `current`: acknowledged publish, de-duplication, every
// expectation header, per-message TTL, errors and retries, and the async-publish window.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import * as diagnostics from "node:diagnostics_channel";
import { ConnectionClosedError, headers, nuid, TimeoutError, type NatsConnection } from "../../src/index.js";
import {
  jetstream,
  jetstreamManager,
  JetStreamApiError,
  NoStreamResponseError,
  StreamWrongNameError,
  WrongLastMsgIdError,
  WrongLastSequenceError,
  type JetStreamManager,
} from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { until } from "../support/helpers.js";

describe("js.publish", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "P", subjects: ["p.>"], allow_direct: true, allow_msg_ttl: true });
  });

  it("resolves with the PubAck (stream, seq, duplicate)", async () => {
    const js = jetstream(nc);
    const a = await js.publish("p.one", "1");
    const b = await js.publish("p.one", new Uint8Array([2]));
    assert.equal(a.stream, "P");
    assert.equal(b.seq, a.seq + 1);
    assert.equal(a.duplicate, false);
    assert.equal(a.domain, undefined);
  });

  it("de-duplicates by msgID: the second publish is a duplicate with the first sequence", async () => {
    const js = jetstream(nc);
    const id = nuid.next();
    const a = await js.publish("p.dup", "x", { msgID: id });
    const b = await js.publish("p.dup", "x", { msgID: id });
    assert.equal(b.duplicate, true);
    assert.equal(b.seq, a.seq);
    const m = await jsm.streams.getMessage("P", { seq: a.seq });
    assert.equal(m?.headers?.get("Nats-Msg-Id"), id);
  });

  it("passes the caller's headers through, and they are stored", async () => {
    const js = jetstream(nc);
    const h = headers();
    h.set("X-Trace", "abc");
    h.append("X-Multi", "1");
    h.append("X-Multi", "2");
    const ack = await js.publish("p.hdr", "data", { headers: h, msgID: "hdr-1" });
    const m = await jsm.streams.getMessage("P", { seq: ack.seq });
    assert.equal(m?.headers?.get("X-Trace"), "abc");
    assert.deepEqual(m?.headers?.values("X-Multi"), ["1", "2"]);
    assert.equal(m?.headers?.get("Nats-Msg-Id"), "hdr-1");
    assert.equal(h.has("Nats-Msg-Id"), false, "the caller's headers object is not changed");
  });

  it("expect.streamName: the wrong stream rejects with STREAM_WRONG_NAME", async () => {
    const js = jetstream(nc);
    assert.equal((await js.publish("p.exp", "a", { expect: { streamName: "P" } })).stream, "P");
    const err = await js.publish("p.exp", "a", { expect: { streamName: "Q" } }).then(() => assert.fail("stored"), (e: unknown) => e);
    assert.ok(err instanceof StreamWrongNameError, String(err));
    assert.equal(err.code, "STREAM_WRONG_NAME");
    assert.equal(err.errCode, 10060);
    assert.equal(err.status, 400);
  });

  it("expect.lastMsgID / lastSequence / lastSubjectSequence: the server checks each", async () => {
    const js = jetstream(nc);
    const first = await js.publish("p.seq.a", "1", { msgID: "m1" });
    await assert.rejects(js.publish("p.seq.a", "2", { expect: { lastMsgID: "nope" } }), (e: unknown) => e instanceof WrongLastMsgIdError && e.code === "WRONG_LAST_MSG_ID");
    const second = await js.publish("p.seq.a", "2", { expect: { lastMsgID: "m1", lastSequence: first.seq } });
    await assert.rejects(js.publish("p.seq.a", "3", { expect: { lastSequence: first.seq } }), (e: unknown) => e instanceof WrongLastSequenceError && e.errCode === 10071);
    // per subject: p.seq.a last is `second`; p.seq.b has none (0)
    await js.publish("p.seq.a", "3", { expect: { lastSubjectSequence: second.seq } });
    await js.publish("p.seq.b", "1", { expect: { lastSubjectSequence: 0 } });
    await assert.rejects(js.publish("p.seq.b", "2", { expect: { lastSubjectSequence: 0 } }), WrongLastSequenceError);
  });

  it("expect.lastSubjectSequenceSubject checks the last sequence of another subject (filter)", async () => {
    const js = jetstream(nc);
    const a = await js.publish("p.lss.x", "1");
    // the check applies to p.lss.* (last is `a`), not to p.lss.y (which has none)
    await js.publish("p.lss.y", "1", { expect: { lastSubjectSequence: a.seq, lastSubjectSequenceSubject: "p.lss.*" } });
    await assert.rejects(js.publish("p.lss.y", "2", { expect: { lastSubjectSequence: a.seq, lastSubjectSequenceSubject: "p.lss.*" } }), WrongLastSequenceError);
  });

  it("ttl: a message with a per-message TTL is stored with Nats-TTL and expires", async () => {
    const js = jetstream(nc);
    const ack = await js.publish("p.ttl", "short-lived", { ttl: 1000 });
    const stored = await jsm.streams.getMessage("P", { seq: ack.seq });
    assert.equal(stored?.headers?.get("Nats-TTL"), "1s");
    await until(() => false, "nothing", 1).catch(() => undefined);
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = (await jsm.streams.getMessage("P", { seq: ack.seq })) === null;
      if (!gone) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(gone, "the message with a 1 s TTL was still there after ~10 s");
    await js.publish("p.ttl", "forever", { ttl: "never" });
  });

  it("ttl on a stream without allow_msg_ttl is refused by the server", async () => {
    await jsm.streams.add({ name: "NOTTL", subjects: ["nottl"] });
    const err = await jetstream(nc).publish("nottl", "x", { ttl: 2000 }).then(() => assert.fail("stored"), (e: unknown) => e);
    assert.ok(err instanceof JetStreamApiError, String(err));
    assert.equal(err.errCode, 10166);
  });

  it("a subject no stream captures rejects with NO_STREAM_RESPONSE after the retries", async () => {
    const js = jetstream(nc);
    const err = await js.publish("nostream.here", "x", { retries: 2, retryWait: 20 }).then(() => assert.fail("stored"), (e: unknown) => e);
    assert.ok(err instanceof NoStreamResponseError, String(err));
    assert.equal(err.code, "NO_STREAM_RESPONSE");
  });

  it("an ack that never comes rejects with TimeoutError after the publish timeout", async () => {
    const silent = nc.subscribe("silent.subject"); // interest, but nobody answers
    await nc.flush();
    const err = await jetstream(nc).publish("silent.subject", "x", { timeout: 200 }).then(() => assert.fail("acked"), (e: unknown) => e);
    assert.ok(err instanceof TimeoutError, String(err));
    silent.unsubscribe();
  });

  it("bad input is refused before anything is sent", async () => {
    const js = jetstream(nc);
    const before = nc.stats().outMsgs;
    const bad: [string, object | undefined][] = [
      ["p.a b", undefined],
      ["p..x", undefined],
      ["", undefined],
      ["p.ok", { msgID: "a\r\nb" }],
      ["p.ok", { msgId: "x" }],
      ["p.ok", { expect: { streamName: "a.b" } }],
      ["p.ok", { expect: { lastSequence: -1 } }],
      ["p.ok", { expect: { lastSubjectSequenceSubject: "p.*" } }],
      ["p.ok", { ttl: 10 }],
      ["p.ok", { ttl: "soon" }],
      ["p.ok", { timeout: -5 }],
      ["p.ok", { headers: { "X-A": "b" } }],
      ["p.ok", { schedule: { target: "p.t" } }],
    ];
    for (const [subject, opts] of bad) {
      await assert.rejects(js.publish(subject, "x", opts as never), (e: unknown) => (e as { code?: string }).code === "INVALID_ARGUMENT" || (e as { code?: string }).code === "BAD_SUBJECT", `${subject} ${JSON.stringify(opts)}`);
      assert.throws(() => js.publishAsync(subject, "x", opts as never), (e: unknown) => ["INVALID_ARGUMENT", "BAD_SUBJECT"].includes((e as { code: string }).code));
    }
    assert.equal(nc.stats().outMsgs, before, "nothing was sent");
    assert.throws(() => jetstream(nc, { maxPending: 0 }), /maxPending/);
    assert.throws(() => jetstream(nc, { domain: "a", apiPrefix: "b" } ), /exclusive/);
    assert.throws(() => jetstream(nc, { timeoutt: 1 } as never), /unknown/);
  });
});

describe("js.publishAsync", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  before(async () => {
    nc = await srv.connect();
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "A", subjects: ["a.>"], storage: "memory" });
  });

  it("never has more than maxPending publishes sent without their ack, even with concurrent producers", async () => {
    const pubNc = await srv.connect();
    const js = jetstream(pubNc, { maxPending: 50 });
    const base = pubNc.stats().outMsgs;
    // Acks are counted as they arrive (the diagnostics event fires before the window sends the next
    // publish); promise callbacks would run later, after the window has already refilled.
    let acked = 0;
    let maxGap = 0;
    const check = (): void => {
      maxGap = Math.max(maxGap, pubNc.stats().outMsgs - base - acked);
    };
    const onAck = (): void => {
      check();
      acked++;
    };
    diagnostics.subscribe("tsnats:js.publish", onAck);
    const producer = async (id: number): Promise<number[]> => {
      const ps: Promise<number>[] = [];
      for (let i = 0; i < 1000; i++) {
        ps.push(
          js.publishAsync(`a.p${id}`, `${id}-${i}`).then((ack) => ack.seq),
        );
        check();
        if (i % 97 === 0) await Promise.resolve();
      }
      assert.ok(js.publishAsyncPending() <= 4000);
      return Promise.all(ps);
    };
    const seqs = (await Promise.all([producer(1), producer(2), producer(3), producer(4)])).flat();
    diagnostics.unsubscribe("tsnats:js.publish", onAck);
    assert.equal(acked, 4000);
    assert.ok(maxGap <= 50, `${maxGap} publishes were out without their ack (maxPending 50)`);
    assert.equal(new Set(seqs).size, 4000);
    assert.equal(js.publishAsyncPending(), 0);
    assert.equal(pubNc.stats().outMsgs - base, 4000, "each publish went out exactly once");
    await pubNc.close();
  });

  it("publishAsyncPending counts waiting and in-flight publishes; publishAsyncReady bounds memory in a loop", async () => {
    const js = jetstream(nc, { maxPending: 10 });
    const ps: Promise<unknown>[] = [];
    for (let i = 0; i < 25; i++) ps.push(js.publishAsync("a.ready", String(i)));
    assert.equal(js.publishAsyncPending(), 25);
    let maxPendingSeen = 0;
    for (let i = 0; i < 200; i++) {
      await js.publishAsyncReady();
      assert.ok(js.publishAsyncPending() < 10 || i === 0, `pending ${js.publishAsyncPending()} after ready()`);
      ps.push(js.publishAsync("a.ready", String(i)));
      maxPendingSeen = Math.max(maxPendingSeen, js.publishAsyncPending());
    }
    await js.publishAsyncComplete({ timeout: 10_000 });
    assert.equal(js.publishAsyncPending(), 0);
    assert.ok(maxPendingSeen <= 10, String(maxPendingSeen));
    await Promise.all(ps);
  });

  it("acks that never come: each promise rejects with TimeoutError, publishAsyncComplete rejects only on its own timeout", async () => {
    const silent = nc.subscribe("silent.async");
    await nc.flush();
    const js = jetstream(nc, { maxPending: 5 });
    const ps = Array.from({ length: 8 }, (_, i) => js.publishAsync("silent.async", String(i), { timeout: 300 }));
    await assert.rejects(js.publishAsyncComplete({ timeout: 50 }), TimeoutError);
    const results = await Promise.allSettled(ps);
    assert.ok(results.every((r) => r.status === "rejected" && r.reason instanceof TimeoutError), JSON.stringify(results.map((r) => r.status)));
    await js.publishAsyncComplete({ timeout: 1_000 });
    silent.unsubscribe();
  });

  it("async publishes time out each at its own deadline: shortest first, none early, acked ones unaffected", async () => {
    const silent = nc.subscribe("silent.deadlines");
    await nc.flush();
    const js = jetstream(nc);
    const order: number[] = [];
    const early: string[] = [];
    const sent = performance.now();
    const ps = [600, 300, 100].map((timeout) =>
      js.publishAsync("silent.deadlines", String(timeout), { timeout }).then(
        () => assert.fail("acked"),
        (err: unknown) => {
          assert.ok(err instanceof TimeoutError, String(err));
          const waited = performance.now() - sent;
          // whole ms: the deadline is rounded up, the timer never fires before it
          if (waited < timeout - 1) early.push(`${timeout} ms timed out after ${waited.toFixed(1)} ms`);
          order.push(timeout);
        },
      ),
    );
    // an acked publish meanwhile settles on its own and leaves the deadlines alone
    assert.equal((await js.publishAsync("a.deadlines", "ok")).stream, "A");
    await Promise.all(ps);
    assert.deepEqual(order, [100, 300, 600]);
    assert.deepEqual(early, []);
    assert.equal(js.publishAsyncPending(), 0);
    silent.unsubscribe();
  });

  it("an ack that never comes among hundreds that do: it times out alone, every other publish resolves once", async () => {
    const silent = nc.subscribe("silent.straggler");
    await nc.flush();
    // a small window keeps the ack table small, so later publishes reuse the straggler's place in it
    const js = jetstream(nc, { maxPending: 2 });
    const lost = js.publishAsync("silent.straggler", "never acked", { timeout: 1_500 });
    const acks = await Promise.all(Array.from({ length: 300 }, (_, i) => js.publishAsync("a.straggler", String(i))));
    assert.equal(new Set(acks.map((a) => a.seq)).size, 300);
    assert.equal(js.publishAsyncPending(), 1, "only the straggler is still waiting");
    await assert.rejects(lost, TimeoutError);
    assert.equal(js.publishAsyncPending(), 0);
    silent.unsubscribe();
  });

  it("each publish's own failure rejects its own promise; the others resolve", async () => {
    const js = jetstream(nc);
    const good = js.publishAsync("a.mixed", "1");
    const bad = js.publishAsync("a.mixed", "2", { expect: { streamName: "WRONG" } });
    const good2 = js.publishAsync("a.mixed", "3");
    const none = js.publishAsync("nostream.async", "4", { retries: 1, retryWait: 10 });
    const settled = Promise.allSettled([good, bad, good2, none]);
    await js.publishAsyncComplete({ timeout: 5_000 });
    await settled;
    assert.equal((await good).stream, "A");
    assert.equal((await good2).seq, (await good).seq + 1);
    await assert.rejects(bad, StreamWrongNameError);
    await assert.rejects(none, NoStreamResponseError);
  });

  it("closing the connection rejects every pending publish with ConnectionClosedError", async () => {
    const c = await srv.connect();
    const silent = c.subscribe("silent.close");
    await c.flush();
    const js = jetstream(c, { maxPending: 3 });
    const ps = Array.from({ length: 10 }, (_, i) => js.publishAsync("silent.close", String(i), { timeout: 60_000 }));
    assert.equal(js.publishAsyncPending(), 10);
    const complete = js.publishAsyncComplete();
    await c.close();
    const results = await Promise.allSettled(ps);
    assert.ok(results.every((r) => r.status === "rejected" && r.reason instanceof ConnectionClosedError));
    await complete;
    assert.equal(js.publishAsyncPending(), 0);
    await assert.rejects(js.publishAsync("a.x", "late"), ConnectionClosedError);
    silent.unsubscribe();
  });
});
