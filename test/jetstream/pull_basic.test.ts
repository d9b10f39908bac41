// Pull consumers against a real nats-server (current): fetch() (max_messages, max_bytes with the
// server's size rule, expiry, an empty consumer, every kind of ack), next() (a message, null after
// expiry, ConsumerDeletedError when the consumer goes away while it waits) and consume() (iterator
// and callback, one callback at a time, throwing callbacks, bounded buffering, stop(), nc.close(),
// nc.drain()).
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { connect, headers, type NatsConnection } from "../../src/index.js";
import {
  jetstream,
  jetstreamManager,
  ConsumerDeletedError,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type PullConsumer,
} from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { settlesWithin, until } from "../support/helpers.js";
import { sleep } from "../support/ports.js";
import { uniq, filledPullConsumer, statusesOf as statuses } from "./helpers.js";


/** Drains a fetch() / consume() into an array (fails the test if it does not end within `ms`). */
async function drainAll(msgs: ConsumerMessages, ms = 20_000): Promise<JsMsg[]> {
  const got: JsMsg[] = [];
  const p = (async () => {
    for await (const m of msgs) got.push(m);
  })();
  assert.ok(await settlesWithin(p, ms), `the iteration did not end within ${ms} ms (got ${got.length})`);
  await p;
  return got;
}

/** The size of a delivered message as the server counts it for max_bytes, computed here from its parts. */
function wireSize(m: JsMsg): number {
  const enc = new TextEncoder();
  return enc.encode(m.subject).length + enc.encode(m.reply).length + (m.headers ? m.headers.encode().length : 0) + m.data.length;
}

describe("pull consumers: fetch, next, consume", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  before(async () => {
    nc = await srv.connect();
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
  });

  const setup = (prefix: string, n: number, cfg: Record<string, unknown> = {}): Promise<{ S: string; c: PullConsumer }> =>
    filledPullConsumer(js, jsm, prefix, n, cfg);

  describe("fetch()", () => {
    it("max_messages: exactly that many, in order, and it ends without waiting for expires", async () => {
      const { c } = await setup("FMM", 10);
      const msgs = await c.fetch({ max_messages: 3, expires: 30_000 });
      // a completely filled pull ends at once: well before its 30 s expiry
      const got = await drainAll(msgs, 15_000);
      assert.deepEqual(got.map((m) => m.seq), [1, 2, 3]);
      assert.deepEqual(got.map((m) => m.string()), ["0", "1", "2"]);
      assert.equal(msgs.getReceived(), 3);
      assert.equal(await msgs.closed(), null);
      for (const m of got) m.ack();
      const next = await drainAll(await c.fetch({ max_messages: 4, expires: 30_000 }), 15_000);
      assert.deepEqual(next.map((m) => m.seq), [4, 5, 6, 7]);
      for (const m of next) m.ack();
    });

    it("max_bytes: what fits by subject + reply + headers + payload, and not the next one", async () => {
      const S = uniq("FMB");
      await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
      for (let i = 0; i < 20; i++) {
        const h = headers();
        h.set("X-Index", String(i));
        await js.publish(`${S}.sized`, "x".repeat(100 + i), { headers: h });
      }
      await jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit" });
      const c = await js.consumers.get(S, "C");
      const max = 1_000;
      const got = await drainAll(await c.fetch({ max_bytes: max, expires: 5_000 }));
      assert.ok(got.length >= 2 && got.length < 20, `got ${got.length}`);
      assert.deepEqual(got.map((m) => m.seq), got.map((_, i) => i + 1));
      const total = got.reduce((n, m) => n + wireSize(m), 0);
      for (const m of got) assert.equal(m.size, wireSize(m), "JsMsg.size is subject + reply + headers + payload");
      assert.ok(got.every((m) => m.headers?.get("X-Index") === String(m.seq - 1)));
      assert.ok(total <= max, `${total} bytes delivered for max_bytes ${max}`);
      // the next message (first delivery: the same ack subject it would have had) would not have fit
      const [nextMsg] = await drainAll(await c.fetch({ max_messages: 1, expires: 5_000 }));
      assert.ok(nextMsg, "the next message");
      assert.equal(nextMsg.seq, got.length + 1);
      assert.equal(nextMsg.info.deliveryCount, 1);
      assert.ok(total + wireSize(nextMsg) > max, `${total} + ${wireSize(nextMsg)} would have fit in ${max}`);
    });

    it("expires with fewer messages: ends with what arrived", async () => {
      const { c } = await setup("FEX", 2);
      const msgs = await c.fetch({ max_messages: 10, expires: 1_500 });
      const got = await drainAll(msgs);
      assert.deepEqual(got.map((m) => m.string()), ["0", "1"]);
      assert.equal(await msgs.closed(), null);
    });

    it("an empty consumer: ends with nothing, shortly after expires", async () => {
      const { c } = await setup("FEM", 0);
      const msgs = await c.fetch({ max_messages: 5, expires: 1_000 });
      const st = statuses(msgs);
      const got = await drainAll(msgs, 10_000);
      assert.equal(got.length, 0);
      assert.equal(await msgs.closed(), null);
      assert.ok(!st.some((s) => s.type === "error"), JSON.stringify(st));
    });

    it("acks: ack/ackAck, nak with delay (redelivered, deliveryCount 2), working, term", async () => {
      const { S, c } = await setup("FACK", 4, { ack_wait: 2_000 });
      const got = await drainAll(await c.fetch({ max_messages: 4, expires: 5_000 }));
      assert.equal(got.length, 4);
      const [m1, m2, m3, m4] = got as [JsMsg, JsMsg, JsMsg, JsMsg];
      for (const m of got) {
        assert.equal(m.info.deliveryCount, 1);
        assert.equal(m.info.redelivered, false);
        assert.equal(m.info.stream, S);
        assert.equal(m.info.consumer, "C");
      }
      // double ack: confirmed once; every later ack of the same message is refused locally
      assert.equal(await m1.ackAck(), true);
      assert.equal(m1.ack(), false);
      assert.equal(await m1.ackAck(), false);
      assert.equal(m1.isAcked, true);
      // nak with a delay: comes back later, as a redelivery
      assert.equal(m2.nak(300), true);
      assert.equal(m2.nak(), false, "a second terminal ack is ignored");
      // term: never again
      assert.equal(m4.term("done with it"), true);
      // working: keeps m3 alive past its 2 s ack_wait
      for (let i = 0; i < 6; i++) {
        assert.equal(m3.working(), true);
        await sleep(400);
      }
      assert.equal(m3.isAcked, false, "working() is not terminal");
      assert.equal(await m3.ackAck(), true);
      // only m2 comes back (m3 was kept alive by working(), then acked; m4 was terminated)
      const again: JsMsg[] = [];
      for await (const r of await c.fetch({ max_messages: 10, expires: 2_500 })) {
        again.push(r);
        assert.equal(await r.ackAck(), true);
      }
      assert.deepEqual(again.map((m) => m.seq), [2]);
      const r = again[0]!;
      assert.equal(r.info.deliveryCount, 2);
      assert.equal(r.info.redeliveryCount, 2);
      assert.equal(r.info.redelivered, true);
      assert.equal(r.string(), "1");
      const ci = await jsm.consumers.info(S, "C");
      assert.equal(ci.num_ack_pending, 0);
      assert.equal(ci.num_pending, 0);
      assert.equal(ci.ack_floor.stream_seq, 4);
    });
  });

  describe("next()", () => {
    it("a message; then null after expires on an empty consumer", async () => {
      const { c } = await setup("NX", 1);
      const m = await c.next({ expires: 5_000 });
      assert.ok(m);
      assert.equal(m.seq, 1);
      assert.equal(m.string(), "0");
      m.ack();
      const p = c.next({ expires: 1_000 });
      assert.ok(await settlesWithin(p, 10_000), "next() on an empty consumer must end");
      assert.equal(await p, null);
    });

    it("rejects with ConsumerDeletedError when the consumer is deleted while it waits", async () => {
      const { S, c } = await setup("NXD", 0);
      const p = c.next({ expires: 30_000 });
      p.catch(() => undefined);
      // the pull is waiting at the server
      await waitFor(async () => (await jsm.consumers.info(S, "C")).num_waiting >= 1, "the pull to wait");
      await jsm.consumers.delete(S, "C");
      assert.ok(await settlesWithin(p, 15_000), "next() hangs after the consumer was deleted");
      await assert.rejects(p, (err: unknown) => err instanceof ConsumerDeletedError && err.code === "CONSUMER_DELETED");
    });
  });

  describe("consume()", () => {
    it("iterator: every message in order, then stop()", async () => {
      const { c } = await setup("CIT", 25);
      const msgs = await c.consume({ max_messages: 7 });
      const got: number[] = [];
      for await (const m of msgs) {
        got.push(m.seq);
        m.ack();
        if (got.length === 25) await msgs.stop();
      }
      assert.deepEqual(got, Array.from({ length: 25 }, (_, i) => i + 1));
      assert.equal(await msgs.closed(), null);
    });

    it("callback: a returned promise is awaited before the next message (no overlap)", async () => {
      const { c } = await setup("CCB", 15);
      let active = 0;
      let maxActive = 0;
      const seqs: number[] = [];
      const msgs = await c.consume({
        max_messages: 5,
        callback: async (m) => {
          active++;
          maxActive = Math.max(maxActive, active);
          await sleep(m.seq % 3 === 0 ? 30 : 5);
          seqs.push(m.seq);
          m.ack();
          active--;
        },
      });
      await until(() => seqs.length === 15, "15 messages through the callback");
      await msgs.stop();
      assert.equal(await msgs.closed(), null);
      assert.equal(maxActive, 1, "two callbacks ran at once");
      assert.deepEqual(seqs, Array.from({ length: 15 }, (_, i) => i + 1));
    });

    it("callback: a throw is an {type: 'error'} status and delivery goes on", async () => {
      const { c } = await setup("CTH", 6);
      const seen: number[] = [];
      const boom = new Error("handler failed");
      const msgs = await c.consume({
        max_messages: 3,
        callback: (m) => {
          seen.push(m.seq);
          m.ack();
          if (m.seq === 2) throw boom;
          if (m.seq === 4) return Promise.reject(boom);
        },
      });
      const st = statuses(msgs);
      await until(() => seen.length === 6, "6 messages through the callback");
      await until(() => st.filter((s) => s.type === "error").length === 2, "two error statuses");
      const errs = st.filter((s): s is { type: "error"; error: Error } => s.type === "error");
      assert.ok(errs.every((s) => s.error === boom));
      assert.deepEqual(seen, [1, 2, 3, 4, 5, 6]);
      await msgs.stop();
      assert.equal(await msgs.closed(), null);
    });

    it("bounded buffering: a slow iterator never has more than max_messages pending + buffered", async () => {
      const { c } = await setup("CBUF", 60);
      const max = 10;
      const msgs = await c.consume({ max_messages: max, expires: 5_000 });
      let worst = 0;
      let samples = 0;
      const sample = (): void => {
        worst = Math.max(worst, msgs.getPending() + msgs.buffered);
        samples++;
      };
      const timer = setInterval(sample, 3);
      try {
        let n = 0;
        for await (const m of msgs) {
          sample();
          m.ack();
          await sleep(10);
          sample();
          if (++n === 60) break; // return() stops the consume
        }
      } finally {
        clearInterval(timer);
      }
      assert.ok(samples > 100, `only ${samples} samples`);
      assert.ok(worst <= max, `pending + buffered reached ${worst} with max_messages ${max}`);
      assert.ok(worst > 0);
      assert.equal(await msgs.closed(), null);
    });

    it("bytes mode (max_bytes): every message; pulls that end because the next message does not fit are not reported", async () => {
      const S = uniq("CBYTES");
      await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
      for (let i = 0; i < 300; i++) void js.publishAsync(`${S}.m`, "x".repeat(100 + (i % 7)));
      await js.publishAsyncComplete({ timeout: 10_000 });
      await jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit" });
      const c = await js.consumers.get(S, "C");
      const msgs = await c.consume({ max_bytes: 2_000, expires: 5_000 });
      const st = statuses(msgs);
      const got: number[] = [];
      for await (const m of msgs) {
        got.push(m.seq);
        m.ack();
        if (got.length % 50 === 0) await sleep(5);
        if (got.length === 300) break;
      }
      assert.deepEqual(got, Array.from({ length: 300 }, (_, i) => i + 1));
      // each ~2000-byte pull ends with "409 Message Size Exceeds MaxBytes" once the next message does
      // not fit: that is the normal end of a bytes pull, not a limit the user exceeded
      assert.ok(!st.some((s) => s.type === "exceeded_limits" || s.type === "discard" || s.type === "error"), JSON.stringify(st.slice(0, 5)));
      assert.equal(await msgs.closed(), null);
    });

    it("stop(): no more pulls; already received messages are still yielded, then the iteration ends", async () => {
      const { c } = await setup("CSTOP", 40);
      const msgs = await c.consume({ max_messages: 10 });
      const got: number[] = [];
      let atStop = -1;
      for await (const m of msgs) {
        got.push(m.seq);
        m.ack();
        if (got.length === 1) {
          // let the first pull's 10 messages arrive, then stop
          await until(() => msgs.getReceived() >= 10, "the first pull's messages");
          await msgs.stop();
          atStop = msgs.getReceived();
        }
      }
      assert.ok(atStop >= 10);
      assert.equal(got.length, atStop, "every message received before stop() was yielded, and no more");
      assert.deepEqual(got, Array.from({ length: atStop }, (_, i) => i + 1));
      assert.equal(await msgs.closed(), null);
      await sleep(200);
      assert.equal(msgs.getReceived(), atStop, "nothing arrives after stop()");
    });

    it("stop() with a callback: the callback is not called after the buffer drained; closed() resolves null", async () => {
      const { c } = await setup("CSTOPCB", 30);
      const seen: number[] = [];
      let done = 0;
      const msgs = await c.consume({
        max_messages: 5,
        callback: async (m) => {
          seen.push(m.seq);
          m.ack();
          await sleep(20);
          done++;
        },
      });
      await until(() => seen.length >= 3, "3 messages");
      await msgs.stop();
      assert.equal(await msgs.closed(), null);
      // closed() resolves once every received message went through the callback, to its end
      assert.equal(seen.length, msgs.getReceived());
      assert.equal(done, seen.length, "closed() resolved while a callback was still running");
      const n = seen.length;
      await sleep(200);
      assert.equal(seen.length, n, "the callback was called after stop() drained the buffer");
      assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i + 1));
    });

    it("stop() while the callback is still running: closed() resolves only after that callback returned", async () => {
      const { c } = await setup("CSTOPIN", 1);
      let entered = false;
      let finished = false;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const msgs = await c.consume({
        max_messages: 5,
        callback: async (m) => {
          entered = true;
          await gate;
          m.ack();
          finished = true;
        },
      });
      await until(() => entered, "the callback to start");
      let finishedAtClose: boolean | undefined;
      const closed = msgs.closed().then((e) => {
        finishedAtClose = finished;
        return e;
      });
      await msgs.stop();
      release();
      assert.equal(await closed, null);
      assert.equal(finishedAtClose, true, "closed() resolved while the callback was still running");
    });

    it("nc.close() ends a waiting iteration without throwing; closed() resolves null", async () => {
      const nc2 = await srv.connect();
      const js2 = jetstream(nc2);
      const { S } = await setup("CCLOSE", 3);
      const c = await js2.consumers.get(S, "C");
      const msgs = await c.consume({ max_messages: 10 });
      const got: number[] = [];
      const loop = (async () => {
        for await (const m of msgs) {
          got.push(m.seq);
          m.ack();
        }
      })();
      await until(() => got.length === 3, "3 messages");
      await nc2.close();
      assert.ok(await settlesWithin(loop, 10_000), "the iteration did not end after nc.close()");
      await loop; // does not throw
      assert.equal(await msgs.closed(), null);
    });

    it("nc.drain() ends a waiting iteration without throwing; closed() resolves null", async () => {
      const nc2 = await srv.connect();
      const js2 = jetstream(nc2);
      const { S } = await setup("CDRAIN", 3);
      const c = await js2.consumers.get(S, "C");
      const seen: number[] = [];
      const cbMsgs = await c.consume({ max_messages: 10, callback: (m) => void seen.push(m.seq) });
      const { c: c2 } = await setupOn(js2, S);
      const itMsgs = await c2.consume({ max_messages: 10 });
      const got: number[] = [];
      const loop = (async () => {
        for await (const m of itMsgs) got.push(m.seq);
      })();
      await until(() => seen.length === 3 && got.length === 3, "3 messages on each");
      await nc2.drain();
      assert.ok(await settlesWithin(loop, 10_000), "the iteration did not end after nc.drain()");
      await loop;
      assert.equal(await itMsgs.closed(), null);
      assert.ok(await settlesWithin(cbMsgs.closed(), 10_000));
      assert.equal(await cbMsgs.closed(), null);
    });
  });

  /** A second durable pull consumer `C2` on `S`, through `js2`. */
  async function setupOn(js2: JetStreamClient, S: string): Promise<{ c: PullConsumer }> {
    await jsm.consumers.add(S, { durable_name: "C2", ack_policy: "none" });
    return { c: await js2.consumers.get(S, "C2") };
  }

  /** Polls an async condition (every 20 ms, up to 10 s). */
  async function waitFor(cond: () => Promise<boolean>, what: string): Promise<void> {
    const end = Date.now() + 10_000;
    while (!(await cond())) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  it("a closed connection: consume() on a fresh connection still ends when the connection closes first", async () => {
    const nc2 = await connect({ servers: srv.url });
    const js2 = jetstream(nc2);
    const { S } = await setup("CPRE", 0);
    const c = await js2.consumers.get(S, "C");
    const msgs = await c.consume({ max_messages: 5, expires: 2_000 });
    await nc2.close();
    const got = await drainAll(msgs, 10_000);
    assert.equal(got.length, 0);
    assert.equal(await msgs.closed(), null);
  });
});
