// Push consumers (ADR-9, ADR-15) against a real server: getPushConsumer() + consume() subscribes to
// the deliver subject; with idle_heartbeat + flow_control 20,000 messages reach a slow-ish iterator
// (every flow-control request answered, no stall); a deliver_group splits the messages between two
// clients; a deleted consumer ends the iteration with ConsumerDeletedError; stop() ends it; acks
// work; push and pull handles are not interchangeable.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { createInbox, InvalidArgumentError, type NatsConnection } from "../../src/index.js";
import {
  ConsumerDeletedError,
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { sleep } from "../support/ports.js";
import { until } from "../support/helpers.js";
import { failsWith, uniq, statusesOf } from "./helpers.js";


describe("push consumers", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });

  /** A new memory stream `<name>` on `<name>.>` with `n` messages `<name>.x` "0".."n-1" (payload padded to `size`). */
  async function stream(n: number, size = 0): Promise<string> {
    const S = uniq("PUSH");
    await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
    const acks = [];
    for (let i = 0; i < n; i++) acks.push(js.publishAsync(`${S}.x`, String(i).padEnd(size, ".")));
    await Promise.all(acks);
    return S;
  }

  // without flow-control answers the server stalls (at ~10,000 here): the timeout turns a stall into a failure
  it("20,000 messages with idle_heartbeat + flow_control reach a slow-ish iterator, in order (flow control answered)", { timeout: 60_000 }, async () => {
    const N = 20_000;
    const S = await stream(N, 128);
    await jsm.consumers.add(S, { durable_name: "FC", deliver_subject: createInbox(), ack_policy: "none", idle_heartbeat: 1_000, flow_control: true });
    const pc = await js.consumers.getPushConsumer(S, "FC");
    assert.equal(pc.name, "FC");
    assert.equal(pc.stream, S);
    const msgs = await pc.consume();
    const statuses = statusesOf(msgs);
    let next = 0;
    for await (const m of msgs) {
      assert.equal(m.seq, next + 1);
      if (!m.string().startsWith(`${next}.`)) assert.fail(`message ${next} carries ${m.string().slice(0, 20)}`);
      next++;
      if (next % 500 === 0) await sleep(5); // slow-ish: the server outruns the loop and must wait for flow control
      if (next === N) break;
    }
    assert.equal(next, N);
    const fc = statuses.filter((s) => s.type === "flow_control").length;
    assert.ok(fc >= 1, `flow control was requested (${fc} times)`);
    assert.equal(await msgs.closed(), null);
    const ci = await jsm.consumers.info(S, "FC");
    assert.equal(ci.delivered.stream_seq, N);
    assert.ok(!statuses.some((s) => s.type === "error"), JSON.stringify(statuses.filter((s) => s.type === "error")));
  });

  it("a callback consume() gets every message, and acks (explicit) settle them", async () => {
    const S = await stream(50);
    await jsm.consumers.add(S, { durable_name: "ACK", deliver_subject: createInbox(), ack_policy: "explicit", idle_heartbeat: 1_000, flow_control: true });
    const pc = await js.consumers.getPushConsumer(S, "ACK");
    const got: number[] = [];
    const msgs = await pc.consume({
      callback: async (m: JsMsg) => {
        got.push(m.seq);
        assert.equal(m.info.consumer, "ACK");
        assert.equal(m.info.deliveryCount, 1);
        if (m.seq === 50) assert.equal(await m.ackAck(), true);
        else m.ack();
      },
    });
    await until(() => got.length === 50, "50 messages");
    let ci = await jsm.consumers.info(S, "ACK");
    for (let i = 0; ci.ack_floor.stream_seq !== 50 && i < 100; i++) {
      await sleep(50);
      ci = await jsm.consumers.info(S, "ACK");
    }
    assert.equal(ci.ack_floor.stream_seq, 50);
    assert.equal(ci.num_ack_pending, 0);
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i + 1));
    await msgs.stop();
    assert.equal(await msgs.closed(), null);
  });

  it("nak() redelivers through the push subscription", async () => {
    const S = await stream(1);
    await jsm.consumers.add(S, { durable_name: "NAK", deliver_subject: createInbox(), ack_policy: "explicit" });
    const msgs = await (await js.consumers.getPushConsumer(S, "NAK")).consume();
    const counts: number[] = [];
    for await (const m of msgs) {
      counts.push(m.info.deliveryCount);
      if (counts.length === 1) m.nak();
      else {
        m.ack();
        break;
      }
    }
    assert.deepEqual(counts, [1, 2]);
  });

  it("deliver_group: two clients split the messages (each once)", async () => {
    const N = 400;
    const S = await stream(0);
    const dlv = createInbox();
    await jsm.consumers.add(S, { durable_name: "Q", deliver_subject: dlv, deliver_group: "workers", ack_policy: "explicit" });
    const nc2 = await srv.connect();
    const seen: number[][] = [[], []];
    const consumers = await Promise.all(
      [nc, nc2].map(async (c, i) =>
        (await jetstream(c).consumers.getPushConsumer(S, "Q")).consume({
          callback: (m) => {
            seen[i]!.push(m.seq);
            m.ack();
          },
        }),
      ),
    );
    await Promise.all([nc.flush(), nc2.flush()]);
    // both members are subscribed before anything is published
    const acks = [];
    for (let i = 0; i < N; i++) acks.push(js.publishAsync(`${S}.x`, String(i)));
    await Promise.all(acks);
    await until(() => seen[0]!.length + seen[1]!.length >= N, `${N} messages between the two`);
    await sleep(200); // a duplicate would show up here
    const all = [...seen[0]!, ...seen[1]!].sort((a, b) => a - b);
    assert.deepEqual(all, Array.from({ length: N }, (_, i) => i + 1), "each message once");
    assert.ok(seen[0]!.length > 0 && seen[1]!.length > 0, `split ${seen[0]!.length} / ${seen[1]!.length}`);
    await Promise.all(consumers.map((c) => c.stop()));
  });

  it("a deleted consumer ends the iteration with ConsumerDeletedError (found through missed heartbeats)", { timeout: 30_000 }, async () => {
    const S = await stream(3);
    await jsm.consumers.add(S, { durable_name: "DEL", deliver_subject: createInbox(), ack_policy: "none", idle_heartbeat: 500 });
    const msgs = await (await js.consumers.getPushConsumer(S, "DEL")).consume();
    const statuses = statusesOf(msgs);
    let n = 0;
    const err = await (async () => {
      try {
        for await (const _m of msgs) {
          if (++n === 3) await jsm.consumers.delete(S, "DEL");
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.equal(n, 3);
    assert.ok(err instanceof ConsumerDeletedError, String(err));
    assert.equal(err.code, "CONSUMER_DELETED");
    assert.equal(await msgs.closed(), err);
    assert.ok(statuses.some((s) => s.type === "heartbeats_missed"));
    assert.ok(statuses.some((s) => s.type === "consumer_not_found"));
  });

  it("stop() ends the iteration (null from closed()), and nothing more is delivered", async () => {
    const S = await stream(5);
    await jsm.consumers.add(S, { durable_name: "STOP", deliver_subject: createInbox(), ack_policy: "explicit" });
    const msgs = await (await js.consumers.getPushConsumer(S, "STOP")).consume();
    const got: number[] = [];
    for await (const m of msgs) {
      got.push(m.seq);
      m.ack();
      if (got.length === 5) void msgs.stop();
    }
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
    assert.equal(await msgs.closed(), null);
    await js.publish(`${S}.x`, "late");
    await sleep(100);
    assert.equal(msgs.getReceived(), 5);
    const ci = await jsm.consumers.info(S, "STOP");
    assert.equal(ci.push_bound ?? false, false, "no subscription on the deliver subject any more");
  });

  it("getPushConsumer() of a pull consumer and get() of a push consumer reject (INVALID_ARGUMENT); a missing one CONSUMER_NOT_FOUND", async () => {
    const S = await stream(0);
    await jsm.consumers.add(S, { durable_name: "PULL", ack_policy: "explicit" });
    await jsm.consumers.add(S, { durable_name: "PUSH", deliver_subject: createInbox(), ack_policy: "explicit" });
    const a = await failsWith(() => js.consumers.getPushConsumer(S, "PULL"), "INVALID_ARGUMENT");
    assert.ok(a instanceof InvalidArgumentError && /pull consumer/.test(a.message), a.message);
    const b = await failsWith(() => js.consumers.get(S, "PUSH"), "INVALID_ARGUMENT");
    assert.ok(/push consumer/.test(b.message), b.message);
    await failsWith(() => js.consumers.getPushConsumer(S, "NOPE"), "CONSUMER_NOT_FOUND");
    const pc = await js.consumers.getPushConsumer(S, "PUSH");
    await failsWith(() => pc.consume({ max_messages: 1 } as never), "INVALID_ARGUMENT");
  });
});

describe("push consumer across a server restart", () => {
  const srv = useServer({ server: { jetstream: true }, connection: { reconnectTimeWait: 100, maxReconnectAttempts: -1 } });

  it("a durable push consumer on a file stream keeps delivering after SIGKILL + restart", { timeout: 60_000 }, async () => {
    const nc = await srv.connect();
    const js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    const S = uniq("PUSHR");
    await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "file" });
    await jsm.consumers.add(S, { durable_name: "D", deliver_subject: createInbox(), ack_policy: "explicit", idle_heartbeat: 500, flow_control: true });
    for (let i = 1; i <= 5; i++) await js.publish(`${S}.x`, `m${i}`);
    const msgs = await (await js.consumers.getPushConsumer(S, "D")).consume();
    const statuses = statusesOf(msgs);
    const got: string[] = [];
    for await (const m of msgs) {
      got.push(m.string());
      await m.ackAck();
      if (got.length === 5 && got[4] === "m5") {
        await srv.killAndWait(nc);
        await srv.restartAndWait(nc);
        for (let i = 6; i <= 10; i++) {
          for (let k = 0; ; k++) {
            // the stream may not be back yet right after the restart
            try {
              await js.publish(`${S}.x`, `m${i}`);
              break;
            } catch (err) {
              if (k > 50) throw err;
              await sleep(100);
            }
          }
        }
      }
      if (new Set(got).size === 10) break;
    }
    // at least once: acks confirmed just before a SIGKILL may not have reached the file store's
    // disk, so the server can deliver those messages again after the restart (never skip one)
    assert.deepEqual([...new Set(got)], Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
    assert.ok(statuses.some((s) => s.type === "reconnected"), JSON.stringify(statuses.map((s) => s.type)));
    assert.equal(await msgs.closed(), null);
  });
});
