// What a pull consumer does with each status the server sends, each provoked for real on a
// nats-server (current): 409 Exceeded MaxWaiting / MaxRequestBatch / MaxRequestExpires /
// MaxRequestMaxBytes, 409 Message Size Exceeds MaxBytes (reported, re-pulled without spinning),
// 408 (consume() pulls again), a deleted consumer or stream (the iteration throws), slow and
// loop-blocking handlers (no heartbeats_missed storm); and, on older servers, the version guards
// of priority-group pulls.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import {
  jetstream,
  jetstreamManager,
  ConsumerDeletedError,
  StreamNotFoundError,
  type ConsumerMessages,
  type ConsumerStatus,
  type JetStreamClient,
  type JetStreamManager,
  type PullConsumer,
} from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { busy, settlesWithin, until } from "../support/helpers.js";
import { sleep } from "../support/ports.js";
import { uniq, unsupported, filledPullConsumer, statusesOf as statuses } from "./helpers.js";


const limitDescriptions = (st: ConsumerStatus[]): string[] =>
  st.flatMap((s) => (s.type === "exceeded_limits" ? [s.description] : []));
const count = (st: ConsumerStatus[], type: ConsumerStatus["type"]): number => st.filter((s) => s.type === type).length;

/** Consumes `msgs` in the background, acking; `seqs` fills as messages arrive; `done` settles when the iteration ends. */
function background(msgs: ConsumerMessages): { seqs: number[]; done: Promise<Error | null> } {
  const seqs: number[] = [];
  const done = (async (): Promise<Error | null> => {
    try {
      for await (const m of msgs) {
        seqs.push(m.seq);
        m.ack();
      }
      return null;
    } catch (err) {
      return err as Error;
    }
  })();
  return { seqs, done };
}

/**
 * Two consume()s and a fetch() on a consumer with max_waiting 1: one pull waits at the server, the
 * others are refused. Servers before 2.11 answer the refusal with `409 Exceeded MaxWaiting`
 * (`exceeded_limits`); later ones stay silent for pulls with an idle heartbeat (so clients do not
 * re-pull in a hot loop), which the client notices as `heartbeats_missed`. Either way the refused
 * fetch ends and every message published is delivered by the consumes, which go on.
 */
async function maxWaiting(ctx: { js: JetStreamClient; jsm: JetStreamManager }, refusal: "409" | "silent"): Promise<void> {
  const { js, jsm } = ctx;
  const S = uniq("MW");
  await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
  await jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit", max_waiting: 1 });
  const c = await js.consumers.get(S, "C");
  const numWaiting = async (): Promise<number> => (await jsm.consumers.info(S, "C")).num_waiting;
  const a = await c.consume({ max_messages: 50, expires: 3_000 });
  const stA = statuses(a);
  const bgA = background(a);
  // a's pull holds the only waiting slot
  await until(() => a.getPending() > 0, "a's first pull");
  for (let i = 0; i < 500 && (await numWaiting()) !== 1; i++) await sleep(20);
  assert.equal(await numWaiting(), 1, "a's pull waits at the server");
  const b = await c.consume({ max_messages: 50, expires: 3_000 });
  const stB = statuses(b);
  const bgB = background(b);
  const refused = (st: ConsumerStatus[]): boolean =>
    refusal === "409" ? limitDescriptions(st).some((d) => /MaxWaiting/i.test(d)) : count(st, "heartbeats_missed") > 0;
  await until(() => refused(stB), `b's ${refusal === "409" ? "exceeded_limits" : "heartbeats_missed"} status`, 15_000);
  if (refusal === "409") assert.match(limitDescriptions(stB)[0]!, /Exceeded MaxWaiting/);
  // a fetch meanwhile is refused the same way: it is reported and the fetch ends (it does not hang)
  const f = await c.fetch({ max_messages: 5, expires: 2_000 });
  const stF = statuses(f);
  const fetched = background(f);
  assert.ok(await settlesWithin(fetched.done, 15_000), "a refused fetch must end");
  if (fetched.seqs.length === 0) assert.ok(refused(stF), JSON.stringify(stF));
  // consumption goes on: every message published now is delivered (to a or b); neither ends
  for (let i = 0; i < 30; i++) await js.publish(`${S}.m`, String(i));
  await until(() => new Set([...bgA.seqs, ...bgB.seqs]).size === 30, "all 30 messages", 20_000);
  assert.equal(await settlesWithin(bgA.done, 10), false, "a ended");
  assert.equal(await settlesWithin(bgB.done, 10), false, "b ended");
  const all = stA.concat(stB);
  assert.ok(!all.some((s) => s.type === "error" || s.type === "consumer_deleted" || s.type === "consumer_not_found"), JSON.stringify(all));
  await Promise.all([a.stop(), b.stop()]);
  assert.equal(await bgA.done, null);
  assert.equal(await bgB.done, null);
}

describe("pull consumers: status handling", () => {
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

  /** Counts the pull requests sent to `S`'s consumer `C` from now on (a core subscription on a second connection). */
  async function countPulls(S: string): Promise<{ n: () => number; stop: () => void }> {
    const spy = await srv.connect();
    let n = 0;
    const sub = spy.subscribe(`$JS.API.CONSUMER.MSG.NEXT.${S}.C`, { callback: () => void n++ });
    await spy.flush();
    return { n: () => n, stop: () => sub.unsubscribe() };
  }

  it("max_waiting 1, two consumes and a fetch: the refused pull is silent on 2.11+ (heartbeats_missed), consumption goes on", async () => {
    await maxWaiting({ js, jsm }, "silent");
  });

  it("409 Exceeded MaxRequestBatch (consumer max_batch 2, max_messages 10): exceeded_limits, no spin, stop() ends it", async () => {
    const { S, c } = await setup("MB", 5, { max_batch: 2 });
    const pulls = await countPulls(S);
    const msgs = await c.consume({ max_messages: 10, expires: 5_000 });
    const st = statuses(msgs);
    const bg = background(msgs);
    await until(() => limitDescriptions(st).length >= 2, "two exceeded_limits statuses");
    assert.match(limitDescriptions(st)[0]!, /MaxRequestBatch/i);
    await sleep(1_500);
    pulls.stop();
    assert.ok(pulls.n() >= 2 && pulls.n() < 100, `${pulls.n()} pulls`);
    assert.equal(bg.seqs.length, 0);
    await msgs.stop();
    assert.equal(await bg.done, null);
    // what the consumer allows works: max_messages 2 gets the messages
    const ok = await c.consume({ max_messages: 2 });
    const bg2 = background(ok);
    await until(() => bg2.seqs.length === 5, "5 messages with max_messages 2");
    await ok.stop();
  });

  it("409 Exceeded MaxRequestExpires (consumer max_expires 2 s, expires 5 s): exceeded_limits", async () => {
    const { S, c } = await setup("ME", 0, { max_expires: 2_000 });
    const pulls = await countPulls(S);
    const msgs = await c.consume({ max_messages: 10, expires: 5_000 });
    const st = statuses(msgs);
    const bg = background(msgs);
    await until(() => limitDescriptions(st).length >= 2, "two exceeded_limits statuses");
    assert.match(limitDescriptions(st)[0]!, /MaxRequestExpires/i);
    pulls.stop();
    assert.ok(pulls.n() < 100, `${pulls.n()} pulls`);
    await msgs.stop();
    assert.equal(await bg.done, null);
  });

  it("409 Exceeded MaxRequestMaxBytes (consumer max_bytes 1000, pull max_bytes 5000): exceeded_limits", async () => {
    const { c } = await setup("MXB", 0, { max_bytes: 1_000 });
    const msgs = await c.consume({ max_bytes: 5_000, expires: 5_000 });
    const st = statuses(msgs);
    const bg = background(msgs);
    await until(() => limitDescriptions(st).length >= 1, "an exceeded_limits status");
    assert.match(limitDescriptions(st)[0]!, /MaxRequestMaxBytes/i);
    await msgs.stop();
    assert.equal(await bg.done, null);
  });

  it("409 Message Size Exceeds MaxBytes (a message larger than the pull's max_bytes): reported, re-pulled with a backoff", async () => {
    const { S, c } = await setup("MSZ", 0);
    await js.publish(`${S}.big`, "x".repeat(2_000));
    const pulls = await countPulls(S);
    const msgs = await c.consume({ max_bytes: 500, expires: 5_000 });
    const st = statuses(msgs);
    const bg = background(msgs);
    await until(() => limitDescriptions(st).length >= 1, "an exceeded_limits status");
    assert.match(limitDescriptions(st)[0]!, /Message Size Exceeds MaxBytes/i);
    assert.ok(count(st, "discard") >= 1, JSON.stringify(st));
    await sleep(2_500);
    pulls.stop();
    // it keeps trying, but with a backoff: a handful of pulls, not a spin
    assert.ok(pulls.n() >= 2, `${pulls.n()} pulls`);
    assert.ok(pulls.n() < 100, `${pulls.n()} pulls in 2.5 s: spinning`);
    assert.equal(bg.seqs.length, 0);
    assert.equal(await settlesWithin(bg.done, 10), false, "a too-large message is not terminal");
    await msgs.stop();
    assert.equal(await bg.done, null);
  });

  it("408 (pulls expiring on an empty consumer): consume() pulls again and delivers what comes later", async () => {
    const { S, c } = await setup("EXP", 0);
    const pulls = await countPulls(S);
    const msgs = await c.consume({ max_messages: 10, expires: 1_000 });
    const st = statuses(msgs);
    const bg = background(msgs);
    await until(() => pulls.n() >= 3, "three pulls (two expired)", 15_000);
    await js.publish(`${S}.m`, "late");
    await until(() => bg.seqs.length === 1, "the message published after the expiries");
    pulls.stop();
    assert.ok(!st.some((s) => s.type === "error" || s.type === "heartbeats_missed" || s.type === "exceeded_limits"), JSON.stringify(st));
    await msgs.stop();
    assert.equal(await bg.done, null);
  });

  it("a consumer deleted during consume(): consumer_deleted, the loop throws ConsumerDeletedError, closed() resolves with it", async () => {
    const { S, c } = await setup("DEL", 3);
    const msgs = await c.consume({ max_messages: 10, expires: 10_000 });
    const st = statuses(msgs);
    const bg = background(msgs);
    await until(() => bg.seqs.length === 3, "3 messages");
    await waitFor(async () => (await jsm.consumers.info(S, "C")).num_waiting >= 1, "the pull to wait");
    await jsm.consumers.delete(S, "C");
    assert.ok(await settlesWithin(bg.done, 15_000), "the iteration did not end");
    const err = await bg.done;
    assert.ok(err instanceof ConsumerDeletedError, String(err));
    assert.equal(err.code, "CONSUMER_DELETED");
    assert.equal(await msgs.closed(), err);
    assert.ok(st.some((s) => s.type === "consumer_deleted"), JSON.stringify(st));
  });

  it("a consumer deleted before consume(): unanswered pulls lead to a check, then ConsumerDeletedError", async () => {
    const { S, c } = await setup("DELB", 0);
    await jsm.consumers.delete(S, "C");
    const msgs = await c.consume({ max_messages: 10, expires: 5_000 });
    const st = statuses(msgs);
    const bg = background(msgs);
    assert.ok(await settlesWithin(bg.done, 20_000), "the iteration did not end");
    const err = await bg.done;
    assert.ok(err instanceof ConsumerDeletedError, String(err));
    assert.equal(await msgs.closed(), err);
    assert.ok(st.some((s) => s.type === "consumer_not_found" || s.type === "consumer_deleted"), JSON.stringify(st));
    // next() on it does not hang either
    const p = c.next({ expires: 2_000 });
    p.catch(() => undefined);
    assert.ok(await settlesWithin(p, 15_000), "next() on a deleted consumer hangs");
    await assert.rejects(p, (e: unknown) => e instanceof ConsumerDeletedError || e instanceof StreamNotFoundError);
  });

  it("a stream deleted during consume(): the loop throws ConsumerDeletedError or StreamNotFoundError", async () => {
    const { S, c } = await setup("SDEL", 2);
    const msgs = await c.consume({ max_messages: 10, expires: 10_000 });
    const bg = background(msgs);
    await until(() => bg.seqs.length === 2, "2 messages");
    await jsm.streams.delete(S);
    assert.ok(await settlesWithin(bg.done, 20_000), "the iteration did not end");
    const err = await bg.done;
    assert.ok(err instanceof ConsumerDeletedError || err instanceof StreamNotFoundError, String(err));
    assert.equal(await msgs.closed(), err);
  });

  it("a handler that awaits 3x the idle heartbeat: no heartbeats_missed storm, every message handled", async () => {
    const { S, c } = await setup("SLOW", 4);
    let handled = 0;
    const msgs = await c.consume({
      max_messages: 2,
      expires: 4_000,
      idle_heartbeat: 500,
      callback: async (m) => {
        await sleep(1_500);
        m.ack();
        handled++;
      },
    });
    const st = statuses(msgs);
    await until(() => handled === 4, "4 slow messages", 30_000);
    // consumption goes on after the slow stretch
    await js.publish(`${S}.m`, "after");
    await until(() => handled === 5, "the message published afterwards", 15_000);
    assert.ok(count(st, "heartbeats_missed") <= 2, JSON.stringify(st));
    assert.ok(!st.some((s) => s.type === "error"), JSON.stringify(st));
    await msgs.stop();
    assert.equal(await msgs.closed(), null);
  });

  it("a handler that blocks the event loop for 2 s (idle_heartbeat 500 ms): no crash, no storm, consumption goes on", async () => {
    const { S, c } = await setup("BUSY", 4);
    let handled = 0;
    const msgs = await c.consume({
      max_messages: 2,
      expires: 4_000,
      idle_heartbeat: 500,
      callback: (m) => {
        if (m.seq <= 2) busy(2_000);
        m.ack();
        handled++;
      },
    });
    const st = statuses(msgs);
    await until(() => handled === 4, "4 messages", 30_000);
    // idle a while (heartbeats flow), then more messages
    await sleep(1_500);
    await js.publish(`${S}.m`, "after");
    await until(() => handled === 5, "the message published afterwards", 15_000);
    assert.ok(count(st, "heartbeats_missed") <= 2, JSON.stringify(st));
    assert.ok(!st.some((s) => s.type === "error"), JSON.stringify(st));
    await msgs.stop();
    assert.equal(await msgs.closed(), null);
  });

  /** Polls an async condition (every 20 ms, up to 10 s). */
  async function waitFor(cond: () => Promise<boolean>, what: string): Promise<void> {
    const end = Date.now() + 10_000;
    while (!(await cond())) {
      if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }
});

describe("pull consumers: version guards on oldest (2.9.10)", () => {
  const srv = useServer({ server: { jetstream: true, version: "oldest" } });
  let nc: NatsConnection;
  let c: PullConsumer;
  before(async () => {
    nc = await srv.connect();
    const jsm = await jetstreamManager(nc);
    const S = uniq("OLD");
    await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
    await jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit" });
    c = await jetstream(nc).consumers.get(S, "C");
  });

  it("consume({ group }), fetch({ group, priority }) and next({ group }) are refused with FEATURE_NOT_SUPPORTED before anything is sent", async () => {
    await unsupported(nc, () => c.consume({ group: "g" }), "2.11.0", "consume({ group })");
    await unsupported(nc, () => c.consume({ group: "g", min_pending: 5 }), "2.11.0", "consume({ group, min_pending })");
    await unsupported(nc, () => c.fetch({ group: "g" }), "2.11.0", "fetch({ group })");
    await unsupported(nc, () => c.fetch({ group: "g", priority: 1 }), "2.11.0", "fetch({ group, priority })");
    await unsupported(nc, () => c.next({ group: "g" }), "2.11.0", "next({ group })");
  });

  it("max_waiting 1, two consumes and a fetch: 409 Exceeded MaxWaiting (exceeded_limits), consumption goes on", async () => {
    await maxWaiting({ js: jetstream(nc), jsm: await jetstreamManager(nc) }, "409");
  });

  it("a plain fetch still works there", async () => {
    const msgs = await c.fetch({ max_messages: 1, expires: 1_000 });
    const got = [];
    for await (const m of msgs) got.push(m);
    assert.equal(got.length, 0);
    assert.equal(await msgs.closed(), null);
  });
});

describe("pull consumers: version guards on mid (2.11)", () => {
  const srv = useServer({ server: { jetstream: true, version: "mid" } });
  it("priority (2.12+) is refused; a group alone is not", async () => {
    const nc = await srv.connect();
    const jsm = await jetstreamManager(nc);
    const S = uniq("MID");
    await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
    await jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit", priority_groups: ["g"], priority_policy: "overflow" });
    const c = await jetstream(nc).consumers.get(S, "C");
    await unsupported(nc, () => c.fetch({ group: "g", priority: 1 }), "2.12.0", "fetch({ group, priority })");
    await unsupported(nc, () => c.consume({ group: "g", priority: 0 }), "2.12.0", "consume({ group, priority })");
    await jetstream(nc).publish(`${S}.m`, "x");
    const m = await c.next({ group: "g", expires: 5_000 });
    assert.ok(m);
    assert.equal(m.string(), "x");
    m.ack();
  });
});
