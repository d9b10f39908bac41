// `{ timeout?, signal? }` of the JetStream client against a real nats-server (current): publish,
// publishAsync (and its window), publishAsyncReady/Complete, batch commit, counters, consumers.get,
// a consumer's info() and delete(), next(), fetch() and consume() of pull and ordered consumers. For
// each: bad options are refused before anything is sent, an aborted signal rejects at once with its
// reason and sends nothing, an abort during a real wait (the server frozen with SIGSTOP, or a pull on
// an empty consumer) rejects with the reason at once, and a timeout rejects with TimeoutError.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg, type PullConsumer } from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { sleep } from "../support/ports.js";
import { uniq } from "./helpers.js";
import { abortedBefore, abortedWhileWaiting, firstOf, Outgoing, refusesBadCallOptions, rejectsWithReason, timesOut, whileFrozen } from "./abort_helpers.js";

describe("JetStream calls take { timeout?, signal? }", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let out: Outgoing;
  let c: PullConsumer;
  const frozen = (fn: () => Promise<void>): Promise<void> => whileFrozen(srv.server, fn);
  /** True once the consumer does not exist (polled for up to 6 s). */
  const consumerGone = async (stream: string, name: string): Promise<boolean> => {
    for (let i = 0; i < 300; i++) {
      const gone = await jsm.consumers.info(stream, name).then(
        () => false,
        (e: unknown) => (e as { code?: string }).code === "CONSUMER_NOT_FOUND",
      );
      if (gone) return true;
      await sleep(20);
    }
    return false;
  };

  before(async () => {
    nc = await srv.connect();
    const spyNc = await srv.connect();
    js = jetstream(nc);
    jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "AB", subjects: ["ab.>"], storage: "memory", allow_direct: true });
    await jsm.streams.add({ name: "ABB", subjects: ["abb.>"], storage: "memory", allow_atomic: true });
    await jsm.streams.add({ name: "ABC", subjects: ["abc.>"], storage: "memory", allow_msg_counter: true });
    await jsm.streams.add({ name: "ABP", subjects: ["abp.>"], storage: "memory" });
    await jsm.consumers.add("AB", { durable_name: "C", ack_policy: "explicit", filter_subject: "ab.pull" });
    await jsm.consumers.add("ABP", { durable_name: "PUSH", ack_policy: "explicit", deliver_subject: "abp-deliver" });
    await js.counters("ABC").add("abc.n", 1);
    c = await js.consumers.get("AB", "C");
    out = await Outgoing.on(nc, spyNc, ["$JS.API.>", "ab.>", "abb.>", "abc.>", "abp.>"]);
  });

  describe("bad options are refused before anything is sent", () => {
    it("publish, publishAsync, publishAsyncReady/Complete, commit, counters", async () => {
      await refusesBadCallOptions(out, "publish", (o) => js.publish("ab.x", "1", o));
      await refusesBadCallOptions(out, "publishAsync", (o) => js.publishAsync("ab.x", "1", o));
      await refusesBadCallOptions(out, "publishAsyncReady", (o) => js.publishAsyncReady(o));
      await refusesBadCallOptions(out, "publishAsyncComplete", (o) => js.publishAsyncComplete(o));
      await refusesBadCallOptions(out, "commit", (o) => js.batch().commit("abb.x", "1", o));
      await refusesBadCallOptions(out, "counter add", (o) => js.counters("ABC").add("abc.n", 1, o));
      await refusesBadCallOptions(out, "counter get", (o) => js.counters("ABC").get("abc.n", o));
    });

    it("consumers.get, info, delete, next, fetch, consume", async () => {
      await refusesBadCallOptions(out, "consumers.get(name)", (o) => js.consumers.get("AB", "C", o));
      await refusesBadCallOptions(out, "consumers.get(ordered)", (o) => js.consumers.get("AB", {}, o));
      await refusesBadCallOptions(out, "getPushConsumer", (o) => js.consumers.getPushConsumer("ABP", "PUSH", o));
      await refusesBadCallOptions(out, "info", (o) => c.info(o));
      await refusesBadCallOptions(out, "delete", (o) => c.delete(o));
      // next/fetch/consume are bounded by `expires`: `signal` only (a `timeout` is an unknown option)
      await refusesBadCallOptions(out, "next", (o) => c.next(o), true);
      await refusesBadCallOptions(out, "fetch", (o) => c.fetch(o), true);
      await refusesBadCallOptions(out, "consume", (o) => c.consume(o), true);
      await refusesBadCallOptions(out, "next({ timeout })", () => c.next({ timeout: 100 } as never), true);
    });
  });

  describe("an aborted signal rejects at once with its reason and sends nothing", () => {
    it("publish, publishAsync, publishAsyncReady/Complete", async () => {
      await abortedBefore(out, "publish", (signal) => js.publish("ab.x", "1", { signal }));
      await abortedBefore(out, "publish with retries", (signal) => js.publish("ab.x", "1", { signal, retries: 3, msgID: "m1" }));
      await abortedBefore(out, "publishAsync", (signal) => js.publishAsync("ab.x", "1", { signal }));
      await abortedBefore(out, "publishAsyncReady", (signal) => js.publishAsyncReady({ signal }));
      await abortedBefore(out, "publishAsyncComplete", (signal) => js.publishAsyncComplete({ signal }));
      assert.equal(js.publishAsyncPending(), 0);
    });

    it("batch commit: nothing sent, the batch stays open and commits later", async () => {
      const b = js.batch();
      b.add("abb.a", "1");
      b.add("abb.a", "2");
      await sleep(50);
      await abortedBefore(out, "commit", (signal) => b.commit("abb.a", "3", { signal }));
      const ack = await b.commit("abb.a", "3");
      assert.equal(ack.count, 3);
    });

    it("counters add / get", async () => {
      const ctr = js.counters("ABC");
      await abortedBefore(out, "counter add", (signal) => ctr.add("abc.n", 5, { signal }));
      await abortedBefore(out, "counter get", (signal) => ctr.get("abc.n", { signal }));
      assert.equal(await ctr.get("abc.n"), 1n, "the aborted increment was not applied");
    });

    it("consumers.get (pull, ordered, push), info, delete", async () => {
      await abortedBefore(out, "consumers.get(name)", (signal) => js.consumers.get("AB", "C", { signal }));
      await abortedBefore(out, "consumers.get(ordered)", (signal) => js.consumers.get("AB", { filter_subjects: "ab.o" }, { signal }));
      await abortedBefore(out, "getPushConsumer", (signal) => js.consumers.getPushConsumer("ABP", "PUSH", { signal }));
      await abortedBefore(out, "info", (signal) => c.info({ signal }));
      await abortedBefore(out, "delete", (signal) => c.delete({ signal }));
      assert.equal((await c.info()).name, "C", "the consumer is still there");
      await abortedBefore(out, "info (cached)", (signal) => c.info({ cached: true, signal }));
    });

    it("next(), fetch(), consume() of a pull consumer: no pull is sent", async () => {
      await abortedBefore(out, "next", (signal) => c.next({ signal }));
      await abortedBefore(out, "fetch", (signal) => c.fetch({ signal }));
      await abortedBefore(out, "consume", (signal) => c.consume({ signal }));
    });

    it("next(), fetch(), consume() of an ordered consumer: no consumer is created", async () => {
      const oc = await js.consumers.get("AB", { filter_subjects: "ab.pull" });
      await abortedBefore(out, "ordered next", (signal) => oc.next({ signal }));
      await abortedBefore(out, "ordered fetch", (signal) => oc.fetch({ signal }));
      await abortedBefore(out, "ordered consume", (signal) => oc.consume({ signal }));
    });
  });

  describe("an abort during the wait rejects at once with the reason", () => {
    it("publish (no ack comes) and publishAsync (its ack is no longer awaited)", async () => {
      await abortedWhileWaiting("publish", (signal) => js.publish("ab.w", "1", { signal }), frozen);
      await abortedWhileWaiting("publishAsync", (signal) => js.publishAsync("ab.w", "1", { signal }), frozen);
      assert.equal(js.publishAsyncPending(), 0, "the aborted async publish is not pending");
    });

    it("publishAsync waiting for the window is never sent; publishAsyncReady/Complete stop waiting", async () => {
      const small = jetstream(nc, { maxPending: 1, timeout: 30_000 });
      await frozen(async () => {
        const first = small.publishAsync("ab.window", "first"); // in flight: no ack while frozen
        first.catch(() => undefined);
        await abortedWhileWaiting("publishAsyncReady", (signal) => small.publishAsyncReady({ signal }));
        await timesOut("publishAsyncReady", (timeout) => small.publishAsyncReady({ timeout }));
        await abortedWhileWaiting("publishAsync behind the window", (signal) => small.publishAsync("ab.window", "second", { signal }));
        assert.equal(small.publishAsyncPending(), 1, "only the first one is pending");
        await abortedWhileWaiting("publishAsyncComplete", (signal) => small.publishAsyncComplete({ signal }));
        await timesOut("publishAsyncComplete", (timeout) => small.publishAsyncComplete({ timeout }));
      });
      await small.publishAsyncComplete({ timeout: 10_000 });
      const got = (await jsm.streams.info("AB", { subjects_filter: "ab.window" })).state.subjects?.["ab.window"];
      assert.equal(got, 1, "the publish aborted while waiting for the window was never sent");
    });

    it("batch commit", async () => {
      const b = js.batch();
      b.add("abb.w", "1");
      await abortedWhileWaiting("commit", (signal) => b.commit("abb.w", "2", { signal }), frozen);
    });

    it("counters add / get, consumers.get, info, delete", async () => {
      const ctr = js.counters("ABC");
      await abortedWhileWaiting("counter add", (signal) => ctr.add("abc.w", 1, { signal }), frozen);
      await abortedWhileWaiting("counter get", (signal) => ctr.get("abc.w", { signal }), frozen);
      await abortedWhileWaiting("consumers.get(name)", (signal) => js.consumers.get("AB", "C", { signal }), frozen);
      await abortedWhileWaiting("consumers.get(ordered)", (signal) => js.consumers.get("AB", {}, { signal }), frozen);
      await abortedWhileWaiting("getPushConsumer", (signal) => js.consumers.getPushConsumer("ABP", "PUSH", { signal }), frozen);
      await abortedWhileWaiting("info", (signal) => c.info({ signal }), frozen);
      const doomed = uniq("D");
      await jsm.consumers.add("AB", { durable_name: doomed });
      const d = await js.consumers.get("AB", doomed);
      await abortedWhileWaiting("delete", (signal) => d.delete({ signal }), frozen);
    });

    it("next() on an empty consumer; a message published after the abort is not lost to the abandoned pull", async () => {
      await abortedWhileWaiting("next", (signal) => c.next({ expires: 10_000, signal }), undefined, 300);
      await js.publish("ab.pull", "after");
      const m = await c.next({ expires: 5_000 });
      assert.equal(m?.string(), "after", "the next pull got the message");
      m!.ack();
      await m!.ackAck().catch(() => undefined);
    });

    it("fetch(): what was received is yielded, then the iteration throws the reason; closed() gives it", async () => {
      await js.publish("ab.pull", "f1");
      await js.publish("ab.pull", "f2");
      const ac = new AbortController();
      const reason = new Error("fetch aborted");
      const msgs = await c.fetch({ max_messages: 10, expires: 10_000, signal: ac.signal });
      const got: JsMsg[] = [];
      const loop = (async () => {
        for await (const m of msgs) {
          got.push(m);
          m.ack();
        }
      })();
      for (let i = 0; i < 100 && got.length < 2; i++) await sleep(20);
      assert.equal(got.length, 2);
      ac.abort(reason);
      await rejectsWithReason(loop, reason, "fetch iteration");
      assert.equal(await msgs.closed(), reason);
    });

    it("fetch() on an empty consumer: the first step rejects with the reason", async () => {
      await abortedWhileWaiting("fetch", async (signal) => firstOf(await c.fetch({ expires: 10_000, signal })), undefined, 300);
    });

    it("consume(): the iteration ends with the reason", async () => {
      await abortedWhileWaiting("consume", async (signal) => firstOf(await c.consume({ expires: 10_000, signal })), undefined, 300);
    });

    it("ordered consumer next() and fetch() (waiting on the pull, and on the consumer's creation)", async () => {
      const oc = await js.consumers.get("AB", { filter_subjects: "ab.nothing" });
      await abortedWhileWaiting("ordered next", (signal) => oc.next({ expires: 10_000, signal }), undefined, 300);
      await abortedWhileWaiting("ordered fetch", async (signal) => firstOf(await oc.fetch({ expires: 10_000, signal })), undefined, 300);
      const fresh = await js.consumers.get("AB", { filter_subjects: "ab.pull2" });
      await abortedWhileWaiting("ordered next while creating", (signal) => fresh.next({ expires: 10_000, signal }), frozen);
      // the abandoned creation (applied once the server runs again) is deleted
      assert.ok(await consumerGone("AB", fresh.name), `the abandoned consumer ${fresh.name} was deleted`);
      // the creation is tried again by the next call
      await js.publish("ab.pull2", "x");
      assert.equal((await fresh.next({ expires: 5_000 }))?.string(), "x");
    });

    it("ordered consumer consume(): the iteration ends with the reason and its consumer is deleted", async () => {
      const oc = await js.consumers.get("AB", { filter_subjects: "ab.nothing" });
      await abortedWhileWaiting("ordered consume", async (signal) => firstOf(await oc.consume({ expires: 10_000, signal })), undefined, 300);
      assert.ok(oc.name);
      assert.ok(await consumerGone("AB", oc.name), `the ordered consumer ${oc.name} was deleted`);
    });
  });

  describe("a timeout rejects with TimeoutError", () => {
    it("publish, commit, counters, consumers.get, info", async () => {
      await timesOut("publish", (timeout) => js.publish("ab.t", "1", { timeout }), frozen);
      await timesOut("publishAsync", (timeout) => js.publishAsync("ab.t", "1", { timeout }), frozen, 200);
      const b = js.batch();
      b.add("abb.t", "1");
      await timesOut("commit", (timeout) => b.commit("abb.t", "2", { timeout }), frozen);
      await timesOut("counter add", (timeout) => js.counters("ABC").add("abc.t", 1, { timeout }), frozen);
      await timesOut("counter get", (timeout) => js.counters("ABC").get("abc.t", { timeout }), frozen);
      await timesOut("consumers.get", (timeout) => js.consumers.get("AB", "C", { timeout }), frozen);
      await timesOut("info", (timeout) => c.info({ timeout }), frozen);
    });
  });

  it("afterwards the connection and the consumer work", async () => {
    await nc.flush();
    const ack = await js.publish("ab.pull", "last", { timeout: 5_000, signal: new AbortController().signal });
    assert.ok(ack.seq > 0);
    const m = await c.next({ expires: 5_000, signal: new AbortController().signal });
    assert.equal(m?.string(), "last");
    m!.ack();
  });
});
