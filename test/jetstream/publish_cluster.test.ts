// A 3-node JetStream cluster with an R3 stream: the stream leader is killed while 20,000
// `publishAsync` calls (each with a msgID) are in flight. Afterwards every promise has settled,
// every message whose publish resolved is in the stream exactly once, and no msgID is stored twice.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect, type NatsConnection } from "../../src/index.js";
import { jetstream, jetstreamManager, type JetStreamManager } from "../../src/jetstream/index.js";
import { NatsCluster } from "../support/server.js";

const TOTAL = 20_000;

describe("publishAsync while the stream leader is killed (R3)", () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    cluster = await NatsCluster.start(3, { jetstream: true });
    await cluster.waitForRoutes();
    await cluster.waitForJetStream();
    nc = await connect({ servers: cluster.urls, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    jsm = await jetstreamManager(nc, { timeout: 10_000 });
    // the meta leader may still be settling: retry the create briefly
    for (let i = 0; ; i++) {
      try {
        await jsm.streams.add({ name: "R3", subjects: ["r3.>"], num_replicas: 3, storage: "file" });
        break;
      } catch (err) {
        if (i > 50) throw err;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });
  after(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it("every resolved publish is stored exactly once, every promise settles", async (t) => {
    const si = await jsm.streams.info("R3");
    const leaderName = si.cluster?.leader;
    const leader = cluster.servers.find((s) => leaderName === `n-${cluster.servers.indexOf(s)}`);
    assert.ok(leader, `stream leader ${leaderName} not found`);

    const js = jetstream(nc, { timeout: 20_000 });
    const results: Promise<number>[] = [];
    let acked = 0;
    for (let i = 0; i < TOTAL; i++) {
      results.push(
        js.publishAsync(`r3.${i % 10}`, `payload-${i}`, { msgID: `m-${i}`, retries: 40, retryWait: 250 }).then((a) => {
          acked++;
          return a.seq;
        }),
      );
      if (i === 5_000) {
        // kill the leader while thousands are in flight
        while (acked < 2_000) await new Promise((r) => setTimeout(r, 5));
        await leader.kill();
      }
      if (i % 1000 === 0) await js.publishAsyncReady();
    }
    const settled = await Promise.allSettled(results);
    assert.equal(js.publishAsyncPending(), 0);
    const resolved = new Set<number>();
    const rejectedBy = new Map<string, number>();
    settled.forEach((r, i) => {
      if (r.status === "fulfilled") resolved.add(i);
      else rejectedBy.set((r.reason as { code?: string }).code ?? "?", (rejectedBy.get((r.reason as { code?: string }).code ?? "?") ?? 0) + 1);
    });
    t.diagnostic(`resolved ${resolved.size} of ${TOTAL}; rejected: ${JSON.stringify(Object.fromEntries(rejectedBy))}`);

    // read the stream back through a push consumer on one of the surviving nodes
    await leader.restart();
    const inbox = nc.createInbox();
    const sub = nc.subscribe(inbox);
    // the restarted node rejoins (and the meta group may elect a leader) meanwhile: API calls are
    // retried until the cluster answers (creating the same consumer again is idempotent)
    const settledCall = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await call();
        } catch (err) {
          if (attempt >= 12) throw new Error(`${what}: the cluster did not answer after ${attempt} attempts`, { cause: err });
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    };
    await settledCall("consumer create", () => jsm.consumers.add("R3", { name: "check", deliver_subject: inbox, ack_policy: "none", deliver_policy: "all" }, { timeout: 5_000 }));
    const seen = new Map<string, number>();
    let stored = 0;
    const total = (await settledCall("stream info", () => jsm.streams.info("R3", undefined, { timeout: 5_000 }))).state.messages;
    for await (const m of sub) {
      const id = m.headers?.get("Nats-Msg-Id") ?? "";
      seen.set(id, (seen.get(id) ?? 0) + 1);
      if (++stored >= total) break;
    }
    const dupes = [...seen].filter(([, n]) => n > 1);
    assert.deepEqual(dupes, [], "a msgID is stored more than once");
    const missing = [...resolved].filter((i) => !seen.has(`m-${i}`));
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} resolved publishes are not in the stream`);
    assert.ok(resolved.size > 0);
  });
});
