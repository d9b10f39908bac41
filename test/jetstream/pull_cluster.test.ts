// consume() across consumer leader changes in a real 3-node JetStream cluster (current): an R3
// stream and an R3 durable, ten `$JS.API.CONSUMER.LEADER.STEPDOWN` requests while a publisher
// runs. Each time delivery resumes, a `leadership_change` status is reported, and no message is
// lost (every published sequence is acked, the consumer's ack floor reaches the last one).
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect, type NatsConnection } from "../../src/index.js";
import { jetstream, jetstreamManager, type ConsumerStatus, type JetStreamManager } from "../../src/jetstream/index.js";
import { NatsCluster } from "../support/server.js";
import { settlesWithin, until } from "../support/helpers.js";
import { sleep } from "../support/ports.js";

const STEPDOWNS = 10;

describe("pull consumers: consumer leader changes (3-node cluster)", () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let pubNc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    cluster = await NatsCluster.start(3, { jetstream: true });
    await cluster.waitForRoutes();
    await cluster.waitForJetStream();
    const opts = { servers: cluster.urls, reconnectTimeWait: 250, maxReconnectAttempts: -1 };
    nc = await connect(opts);
    pubNc = await connect(opts);
    jsm = await jetstreamManager(nc, { timeout: 10_000 });
  });
  after(async () => {
    await nc?.close();
    await pubNc?.close();
    await cluster?.stop();
  });

  /** Asks the meta leader for a new stream/consumer until it answers (the cluster may still be settling). */
  async function retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await fn();
      } catch (err) {
        if (i >= 30) throw new Error(`${what}: ${String(err)}`, { cause: err });
        await sleep(250);
      }
    }
  }

  /** The consumer's current leader (server name), or "" while there is none. */
  async function leaderOf(S: string, C: string): Promise<string> {
    try {
      return (await jsm.consumers.info(S, C)).cluster?.leader ?? "";
    } catch {
      return "";
    }
  }

  it(`${STEPDOWNS} consumer leader stepdowns during consume() with a publisher: delivery resumes each time, nothing is lost`, async () => {
    const S = "LEAD";
    await retry("stream", () => jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "file", num_replicas: 3 }));
    await retry("consumer", () => jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit", ack_wait: 3_000, num_replicas: 3 }));
    const js = jetstream(nc, { timeout: 10_000 });
    const pubJs = jetstream(pubNc, { timeout: 5_000 });
    const c = await js.consumers.get(S, "C");

    const acked = new Set<number>();
    let deliveries = 0;
    const msgs = await c.consume({
      max_messages: 20,
      expires: 5_000,
      idle_heartbeat: 1_000,
      callback: (m) => {
        deliveries++;
        acked.add(m.seq);
        m.ack();
      },
    });
    const st: ConsumerStatus[] = [];
    void (async () => {
      for await (const s of msgs.status()) st.push(s);
    })();

    let publishing = true;
    let published = 0;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        try {
          await pubJs.publish(`${S}.m`, String(i), { retries: 5 });
          published++;
        } catch {
          await sleep(100);
        }
        await sleep(10);
      }
    })();

    try {
      await until(() => acked.size >= 20, "the first 20 messages", 20_000);
      const leaders: string[] = [await leaderOf(S, "C")];
      for (let i = 0; i < STEPDOWNS; i++) {
        const before = deliveries;
        // a leader must exist to step down; then ask it to
        let answer: { success?: boolean; error?: { description?: string } } = {};
        for (let tries = 0; tries < 40 && !answer.success; tries++) {
          try {
            const r = await nc.request(`$JS.API.CONSUMER.LEADER.STEPDOWN.${S}.C`, "", { timeout: 5_000 });
            answer = r.json();
          } catch {
            answer = {};
          }
          if (!answer.success) await sleep(250);
        }
        assert.ok(answer.success, `stepdown ${i + 1} was refused: ${JSON.stringify(answer)}`);
        // delivery resumes under the new leader
        await until(() => deliveries >= before + 10, `delivery to resume after stepdown ${i + 1}`, 30_000);
        leaders.push(await leaderOf(S, "C"));
      }
      publishing = false;
      await publisher;
      const last = (await jsm.streams.info(S)).state.last_seq;
      assert.ok(last >= published && published > 0, `last_seq ${last}, published ${published}`);
      const missing = (): number[] => Array.from({ length: last }, (_, i) => i + 1).filter((s) => !acked.has(s));
      await until(() => missing().length === 0, `every sequence up to ${last} acked (missing ${missing().slice(0, 10).join(",")})`, 30_000);
      // the server saw the acks too: nothing is left pending (a lost ack is redelivered and acked again)
      let floor = 0;
      for (let i = 0; i < 150 && floor < last; i++) {
        const ci = await jsm.consumers.info(S, "C").catch(() => undefined);
        floor = ci?.ack_floor.stream_seq ?? floor;
        if (floor < last) await sleep(200);
      }
      assert.equal(floor, last, "the consumer's ack floor");
      assert.ok(st.some((s) => s.type === "leadership_change"), `no leadership_change status: ${JSON.stringify(st)}`);
      assert.ok(!st.some((s) => s.type === "consumer_deleted" || s.type === "consumer_not_found" || s.type === "error"), JSON.stringify(st));
      assert.equal(await settlesWithin(msgs.closed(), 10), false, "consume() ended");
      assert.ok(new Set(leaders.filter(Boolean)).size >= 2, `the leader never moved: ${leaders.join(",")}`);
    } finally {
      publishing = false;
      await publisher;
      await msgs.stop();
    }
    assert.equal(await msgs.closed(), null);
  });
});
