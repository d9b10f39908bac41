// Priority groups (ADR-42) against nats-server current (2.15.2): pinned_client (only the pinned client
// is served, a `pinned` status with the id, unpin moves the pin and the first client sees `unpinned`
// after its 423), overflow (min_pending), prioritized (priority 0 before 1); pause/resume and
// reset(seq) (ADR-60) against a live consume(); on "oldest" (2.9.10) groups are refused.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { type NatsConnection } from "../../src/index.js";
import {
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type ConsumerStatus,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { sleep } from "../support/ports.js";
import { until } from "../support/helpers.js";
import { collect, uniq, unsupported, statusesOf } from "./helpers.js";


/** A consume() with a callback that records (and acks) what it gets. */
async function recording(js: JetStreamClient, stream: string, name: string, opts: Record<string, unknown>): Promise<{ got: number[]; msgs: ConsumerMessages; statuses: ConsumerStatus[] }> {
  const got: number[] = [];
  const c = await js.consumers.get(stream, name);
  const msgs = await c.consume({
    expires: 5_000,
    ...opts,
    callback: (m: JsMsg) => {
      got.push(m.seq);
      m.ack();
    },
  });
  return { got, msgs, statuses: statusesOf(msgs) };
}

describe("priority groups, pause, reset (current)", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let nc2: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let js2: JetStreamClient;
  before(async () => {
    nc = await srv.connect();
    nc2 = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    js2 = jetstream(nc2);
  });

  async function stream(): Promise<string> {
    const S = uniq("PRI");
    await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
    return S;
  }
  async function publish(S: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) await js.publish(`${S}.x`, String(i));
  }
  /** Waits until the server holds `n` pull requests for the consumer. */
  async function waiting(S: string, name: string, n: number): Promise<void> {
    for (let i = 0; ; i++) {
      const ci = await jsm.consumers.info(S, name);
      if (ci.num_waiting >= n) return;
      if (i > 200) assert.fail(`num_waiting ${ci.num_waiting}, want ${n}`);
      await sleep(25);
    }
  }

  it("pinned_client: only the pinned client is served; unpin moves the pin to the other one", async () => {
    const S = await stream();
    await jsm.consumers.add(S, { durable_name: "PIN", ack_policy: "explicit", priority_policy: "pinned_client", priority_groups: ["g"] });
    const a = await recording(js, S, "PIN", { group: "g", max_messages: 10 });
    await waiting(S, "PIN", 1);
    const b = await recording(js2, S, "PIN", { group: "g", max_messages: 10 });
    await waiting(S, "PIN", 2);
    await publish(S, 5);
    await until(() => a.got.length + b.got.length === 5, "5 messages");
    const [pinned, other] = a.got.length ? [a, b] : [b, a];
    assert.deepEqual(pinned.got, [1, 2, 3, 4, 5]);
    assert.deepEqual(other.got, [], "the other client gets nothing while the pin holds");
    const pin = pinned.statuses.find((s): s is Extract<ConsumerStatus, { type: "pinned" }> => s.type === "pinned");
    assert.ok(pin && pin.id.length > 0, JSON.stringify(pinned.statuses));
    assert.ok(!other.statuses.some((s) => s.type === "pinned"));
    // more messages: still only the pinned one
    await publish(S, 5);
    await until(() => pinned.got.length === 10, "10 messages");
    assert.deepEqual(other.got, []);

    await jsm.consumers.unpin(S, "PIN", "g");
    await publish(S, 5);
    await until(() => other.got.length > 0, "the other client to be served after unpin");
    await until(() => pinned.statuses.some((s) => s.type === "unpinned"), "an unpinned status for the first client (after its 423)");
    await until(() => pinned.got.length + other.got.length === 15, "15 messages");
    assert.deepEqual(other.got, [11, 12, 13, 14, 15]);
    assert.ok(other.statuses.some((s) => s.type === "pinned" && s.id !== pin.id));
    await Promise.all([a.msgs.stop(), b.msgs.stop()]);
  });

  it("overflow: a client with min_pending N is served only while the consumer has at least N pending", async () => {
    const S = await stream();
    await jsm.consumers.add(S, { durable_name: "OVF", ack_policy: "explicit", priority_policy: "overflow", priority_groups: ["g"] });
    const c = await js.consumers.get(S, "OVF");
    await publish(S, 3);
    const none = await collect(await c.fetch({ group: "g", min_pending: 5, max_messages: 10, expires: 1_000 }));
    assert.deepEqual(none, [], "3 pending < 5: nothing");
    await publish(S, 4); // 7 pending
    const some = await collect(await c.fetch({ group: "g", min_pending: 5, max_messages: 10, expires: 1_000 }));
    for (const m of some) m.ack();
    // served while at least 5 were pending (7, 6, 5), then the pull waits with 4 pending
    assert.equal(some.length, 3, "7 pending >= 5: served down to 5 pending");
    const left = (await jsm.consumers.info(S, "OVF")).num_pending;
    assert.equal(left, 4);
    assert.deepEqual(
      some.map((m) => m.seq),
      some.map((_, i) => i + 1),
    );
    // a client without min_pending in the same group gets the rest
    const rest = await collect(await c.fetch({ group: "g", max_messages: left, expires: 2_000 }));
    assert.equal(rest.length, left);
  });

  it("prioritized (2.12+): the priority-0 client is served before the priority-1 client", async () => {
    const S = await stream();
    await jsm.consumers.add(S, { durable_name: "PRIO", ack_policy: "explicit", priority_policy: "prioritized", priority_groups: ["g"] });
    const low = await recording(js, S, "PRIO", { group: "g", priority: 1, max_messages: 100 });
    await waiting(S, "PRIO", 1);
    const high = await recording(js2, S, "PRIO", { group: "g", priority: 0, max_messages: 100 });
    await waiting(S, "PRIO", 2);
    await publish(S, 20);
    await until(() => high.got.length + low.got.length === 20, "20 messages");
    assert.equal(high.got.length, 20, `priority 0 got ${high.got.length}, priority 1 got ${low.got.length}`);
    await high.msgs.stop();
    // the server drops a waiting pull once its inbox has no interest: let it see the UNSUB (sent
    // on the other connection) before publishing
    await nc2.flush();
    // with priority 0 gone, priority 1 is served
    await publish(S, 3);
    await until(() => low.got.length === 3, "priority 1 served once priority 0 stopped");
    await low.msgs.stop();
  });

  it("pause(until) stops deliveries to a live consume(); resume() restarts them", async () => {
    const S = await stream();
    await jsm.consumers.add(S, { durable_name: "PAUSE", ack_policy: "explicit" });
    const r = await recording(js, S, "PAUSE", { expires: 2_000 });
    await publish(S, 2);
    await until(() => r.got.length === 2, "2 messages before the pause");
    const p = await jsm.consumers.pause(S, "PAUSE", new Date(Date.now() + 60_000));
    assert.equal(p.paused, true);
    await publish(S, 3);
    await sleep(1_500); // pulls expire and are re-sent while paused
    assert.deepEqual(r.got, [1, 2], "nothing delivered while paused");
    assert.equal((await jsm.consumers.info(S, "PAUSE")).paused, true);
    const res = await jsm.consumers.resume(S, "PAUSE");
    assert.equal(res.paused, false);
    await until(() => r.got.length === 5, "deliveries to resume");
    assert.deepEqual(r.got, [1, 2, 3, 4, 5]);
    await r.msgs.stop();
  });

  it("reset(seq) (2.14+) against a live consume(): the messages from seq come again", async () => {
    const S = await stream();
    await jsm.consumers.add(S, { durable_name: "RST", ack_policy: "explicit" });
    await publish(S, 6);
    const r = await recording(js, S, "RST", { expires: 2_000 });
    await until(() => r.got.length === 6, "6 messages");
    for (let i = 0; (await jsm.consumers.info(S, "RST")).ack_floor.stream_seq !== 6; i++) {
      if (i > 100) assert.fail("acks not processed");
      await sleep(20);
    }
    const rr = await jsm.consumers.reset(S, "RST", 3);
    assert.ok(rr.reset_seq === undefined || rr.reset_seq === 3, JSON.stringify(rr));
    await until(() => r.got.length === 10, "4 messages again from seq 3");
    assert.deepEqual(r.got, [1, 2, 3, 4, 5, 6, 3, 4, 5, 6]);
    await r.msgs.stop();
  });
});

describe("priority groups on oldest (2.9.10)", () => {
  const srv = useServer({ server: { jetstream: true, version: "oldest" } });

  it("a group in a pull, and priority_groups in a config, are refused with FEATURE_NOT_SUPPORTED", async () => {
    const nc = await srv.connect();
    const jsm = await jetstreamManager(nc);
    const js = jetstream(nc);
    const S = uniq("OLDPRI");
    await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
    await jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit" });
    const c = await js.consumers.get(S, "C");
    await unsupported(nc, () => c.consume({ group: "g" }), "2.11.0", "consume with a group");
    await unsupported(nc, () => c.fetch({ group: "g" }), "2.11.0", "fetch with a group");
    await unsupported(nc, () => c.next({ group: "g" }), "2.11.0", "next with a group");
    await unsupported(nc, () => jsm.consumers.add(S, { durable_name: "P", priority_policy: "pinned_client", priority_groups: ["g"] }), "2.11.0", "priority_groups");
    await unsupported(nc, () => jsm.consumers.unpin(S, "C", "g"), "2.11.0", "unpin");
    await unsupported(nc, () => jsm.consumers.pause(S, "C", new Date(Date.now() + 1_000)), "2.11.0", "pause");
    await unsupported(nc, () => jsm.consumers.reset(S, "C", 1), "2.14.0", "reset");
  });
});
