// consume() across server failures, on a real nats-server (current) with a file store: SIGKILL and
// restart with a publisher running before, during and after (every stored sequence arrives, a
// `reconnected` status, nothing uncaught), and a server that stays down for a while with reconnect
// attempts failing (consume() neither throws nor ends, and resumes after the restart; a waiting
// next() resolves null).
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import {
  jetstream,
  jetstreamManager,
  type JetStreamClient,
  type JetStreamManager,
} from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { settlesWithin, until } from "../support/helpers.js";
import { sleep } from "../support/ports.js";
import { uniq, statusesOf as statuses } from "./helpers.js";


/** Uncaught exceptions and unhandled rejections while the returned `stop()` was not called yet. */
function watchUncaught(): { errors: unknown[]; stop: () => void } {
  const errors: unknown[] = [];
  const onErr = (e: unknown): void => void errors.push(e);
  process.on("uncaughtException", onErr);
  process.on("unhandledRejection", onErr);
  return {
    errors,
    stop: () => {
      process.off("uncaughtException", onErr);
      process.off("unhandledRejection", onErr);
    },
  };
}

/** 1..n */
const seqsTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
const missing = (got: Set<number>, n: number): number[] => seqsTo(n).filter((s) => !got.has(s));

describe("pull consumers: server failures", () => {
  const srv = useServer({
    server: { jetstream: true },
    connection: { reconnectTimeWait: 250, reconnectJitter: 50, maxReconnectAttempts: -1 },
  });
  let nc: NatsConnection;
  let pubNc: NatsConnection;
  let js: JetStreamClient;
  let pubJs: JetStreamClient;
  let jsm: JetStreamManager;
  let uncaught: ReturnType<typeof watchUncaught>;
  before(async () => {
    nc = await srv.connect();
    pubNc = await srv.connect();
    js = jetstream(nc);
    pubJs = jetstream(pubNc, { timeout: 2_000 });
    jsm = await jetstreamManager(nc);
    uncaught = watchUncaught();
  });
  after(() => {
    uncaught.stop();
  });

  /** A file stream and a durable explicit-ack pull consumer `C` (ack_wait 2 s) on it. */
  async function setup(prefix: string): Promise<string> {
    const S = uniq(prefix);
    await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "file" });
    await jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit", ack_wait: 2_000 });
    return S;
  }

  /** The stream's last sequence, asked again until the server answers (it may be restarting). */
  async function lastSeq(S: string): Promise<number> {
    for (let i = 0; ; i++) {
      try {
        return (await jsm.streams.info(S)).state.last_seq;
      } catch (err) {
        if (i > 50) throw err;
        await sleep(200);
      }
    }
  }

  it("SIGKILL and restart during consume() with a publisher running: every stored sequence arrives, reconnected, nothing uncaught", async () => {
    const S = await setup("KILL");
    const got = new Set<number>();
    const c = await js.consumers.get(S, "C");
    const msgs = await c.consume({
      max_messages: 20,
      expires: 5_000,
      idle_heartbeat: 1_000,
      callback: (m) => {
        got.add(m.seq);
        m.ack();
      },
    });
    const st = statuses(msgs);
    // a publisher that keeps going through the failure (its failed publishes are not counted:
    // what counts is what the stream holds in the end)
    let publishing = true;
    let acked = 0;
    let failed = 0;
    const publisher = (async () => {
      for (let i = 0; publishing; i++) {
        try {
          await pubJs.publish(`${S}.m`, String(i));
          acked++;
        } catch {
          failed++;
          await sleep(50);
        }
        await sleep(5);
      }
    })();
    await until(() => acked >= 40 && got.size >= 40, "40 messages published and consumed before the kill", 20_000);
    await srv.killAndWait(nc);
    await sleep(500);
    await srv.restartAndWait(nc);
    const ackedAtRestart = acked;
    await until(() => acked >= ackedAtRestart + 40, "40 more messages published after the restart", 30_000);
    publishing = false;
    await publisher;
    const last = await lastSeq(S);
    assert.ok(last >= 80, `the stream holds ${last} messages (${failed} publishes failed during the outage)`);
    await until(() => missing(got, last).length === 0, `every sequence up to ${last} (missing: ${missing(got, last).slice(0, 10).join(",")})`, 30_000);
    assert.ok(st.some((s) => s.type === "reconnected"), JSON.stringify(st));
    assert.ok(!st.some((s) => s.type === "consumer_deleted" || s.type === "consumer_not_found" || s.type === "stream_not_found"), JSON.stringify(st));
    assert.equal(await settlesWithin(msgs.closed(), 10), false, "consume() ended");
    await msgs.stop();
    assert.equal(await msgs.closed(), null);
    assert.deepEqual(uncaught.errors, []);
  });

  it("a server down for a while (reconnects failing): consume() neither throws nor ends, a waiting next() resolves null, delivery resumes after the restart", async () => {
    const S = await setup("DOWN");
    const c = await js.consumers.get(S, "C");
    const seqs: number[] = [];
    const msgs = await c.consume({ max_messages: 10, expires: 2_000, idle_heartbeat: 500 });
    const st = statuses(msgs);
    let thrown: unknown;
    const loop = (async () => {
      try {
        for await (const m of msgs) {
          seqs.push(m.seq);
          m.ack();
        }
      } catch (err) {
        thrown = err;
      }
    })();
    for (let i = 0; i < 5; i++) await pubJs.publish(`${S}.m`, String(i));
    await until(() => seqs.length === 5, "5 messages before the kill");
    // a second consumer for next(): it ends (null) when the connection drops
    await jsm.consumers.add(S, { durable_name: "N", ack_policy: "explicit", deliver_policy: "new" });
    const n = await js.consumers.get(S, "N");
    const waiting = n.next({ expires: 30_000 });
    waiting.catch(() => undefined);
    await sleep(100);
    const reconnecting = new Promise<void>((resolve) => {
      let attempts = 0;
      const off = nc.on("reconnecting", () => {
        if (++attempts >= 4) {
          off();
          resolve();
        }
      });
    });
    await srv.killAndWait(nc);
    assert.ok(await settlesWithin(waiting, 10_000), "next() did not end when the server went away");
    assert.equal(await waiting, null);
    // several reconnect attempts fail while the server stays down (well past 2 heartbeats)
    assert.ok(await settlesWithin(reconnecting, 20_000), "no failing reconnect attempts");
    await sleep(1_500);
    assert.equal(await settlesWithin(loop, 10), false, "the iteration ended while the server was down");
    assert.equal(thrown, undefined);
    await srv.restartAndWait(nc);
    for (let i = 5; i < 10; i++) await pubJs.publish(`${S}.m`, String(i), { retries: 10 });
    await until(() => seqs.length >= 10, "5 more messages after the restart", 20_000);
    assert.deepEqual([...new Set(seqs)].sort((a, b) => a - b), seqsTo(10));
    assert.ok(st.some((s) => s.type === "reconnected"), JSON.stringify(st));
    assert.ok(!st.some((s) => s.type === "error" || s.type === "consumer_deleted" || s.type === "consumer_not_found"), JSON.stringify(st));
    await msgs.stop();
    await loop;
    assert.equal(thrown, undefined);
    assert.equal(await msgs.closed(), null);
    assert.deepEqual(uncaught.errors, []);
  });
});
