// Ordered consumers (ADR-17, pull variant) against real servers: 10,000 messages yielded exactly once
// and in stream order while the server-side consumer is deleted, the server restarted (SIGKILL; the
// file stream survives, the memory consumer does not) and the heartbeats lost (server SIGSTOPped with
// the connection up), a `reset` status each time and no consumer left behind; filters, deliver
// policies, headers_only, name_prefix, fetch/next continuing where the last left off, stop()
// deleting the server-side consumer; on "oldest" (2.9.10) several filter subjects are refused.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { headers, InvalidArgumentError, type NatsConnection } from "../../src/index.js";
import {
  jetstream,
  jetstreamManager,
  StreamNotFoundError,
  type ConsumerStatus,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type OrderedConsumer,
} from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { sleep } from "../support/ports.js";
import { collect, failsWith, uniq, unsupported, statusesOf } from "./helpers.js";


/** The server-side consumers of `stream` whose names start with `prefix`. */
async function consumersWith(jsm: JetStreamManager, stream: string, prefix: string): Promise<string[]> {
  return (await collect(jsm.consumers.names(stream))).filter((n) => n.startsWith(`${prefix}_`));
}

/** Stream sequences and payloads of the messages of one fetch. */
async function fetchAll(oc: OrderedConsumer, max: number, expires = 1_000): Promise<JsMsg[]> {
  return collect(await oc.fetch({ max_messages: max, expires }));
}

const seqs = (ms: JsMsg[]): number[] => ms.map((m) => m.seq);

describe("ordered consumer: 10,000 messages exactly once, in order, across failures", () => {
  const N = 10_000;
  const srv = useServer({ server: { jetstream: true }, connection: { reconnectTimeWait: 100, maxReconnectAttempts: -1 } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  const S = uniq("ORD");
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    // a file stream: it survives a SIGKILL; the ordered consumer's memory consumer does not
    await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "file" });
    const acks = [];
    for (let i = 1; i <= N; i++) acks.push(js.publishAsync(`${S}.${i % 7}`, `m${i}`));
    await Promise.all(acks);
    assert.equal((await jsm.streams.info(S)).state.messages, N);
  });

  /**
   * Consumes the whole stream with a fresh ordered consumer (name prefix `prefix`), runs `disrupt`
   * (not awaited by the loop) once message `at` was yielded, and checks order, exactly-once, the
   * reset statuses and that at most one server-side consumer is left; then stops and waits for the
   * server-side consumer to go.
   */
  async function throughDisruption(what: string, disrupt: (oc: OrderedConsumer) => Promise<void>, ctx: JetStreamClient = js, at = 3_000): Promise<ConsumerStatus[]> {
    const prefix = uniq(`oc${what}`);
    const oc = await ctx.consumers.get(S, { name_prefix: prefix });
    const msgs = await oc.consume({ max_messages: 200, expires: 2_000, idle_heartbeat: 500 });
    const statuses = statusesOf(msgs);
    const firstName = oc.name;
    assert.ok(firstName.startsWith(`${prefix}_`), firstName);
    let expected = 1;
    let disruption: Promise<void> | undefined;
    let doneAt = 0;
    for await (const m of msgs) {
      if (m.seq !== expected) assert.fail(`${what}: got stream seq ${m.seq}, want ${expected}`);
      if (m.string() !== `m${expected}`) assert.fail(`${what}: seq ${m.seq} carries ${m.string()}`);
      if (m.seq === at) disruption = disrupt(oc).then(() => void (doneAt = expected));
      if (m.seq === N) break;
      expected++;
    }
    assert.equal(expected, N, `${what}: the iteration ended early at ${expected}`);
    await disruption;
    assert.ok(doneAt > 0 && doneAt < N, `${what}: the disruption was over at message ${doneAt}, not in the middle`);
    const resets = statuses.filter((s): s is Extract<ConsumerStatus, { type: "reset" }> => s.type === "reset");
    assert.ok(resets.length >= 1, `${what}: no reset status (${JSON.stringify(statuses.map((s) => s.type))})`);
    for (const r of resets) assert.ok(r.name.startsWith(`${prefix}_`) && r.name !== firstName, `${what}: reset to ${r.name}`);
    assert.equal(resets[resets.length - 1]!.name, oc.name, "the last reset names the current consumer");
    const left = await consumersWith(jsm, S, prefix);
    assert.ok(left.length <= 1, `${what}: server-side consumers left: ${left.join(", ")}`);
    assert.ok(left.length === 0 || left[0] === oc.name, `${what}: ${left[0]} is not the current ${oc.name}`);
    // the break stopped it: the server-side consumer goes (stop() deletes it)
    assert.equal(await msgs.closed(), null);
    for (let i = 0; ; i++) {
      if ((await consumersWith(jsm, S, prefix)).length === 0) break;
      if (i > 100) assert.fail(`${what}: the consumer was not deleted after stop()`);
      await sleep(100);
    }
    return statuses;
  }

  it("(a) its server-side consumer deleted", { timeout: 60_000 }, async () => {
    const st = await throughDisruption("del", async (oc) => {
      assert.equal(await jsm.consumers.delete(S, oc.name), true);
    });
    // found out by a 409 on an open pull, by the existence check, or (when no pull was open at the
    // time) by the missed heartbeats of the next one
    assert.ok(st.some((s) => ["consumer_deleted", "consumer_not_found", "heartbeats_missed"].includes(s.type)), JSON.stringify(st.map((s) => s.type)));
  });

  it("(b) the server restarted (SIGKILL): the memory consumer is gone, the file stream is kept", { timeout: 60_000 }, async () => {
    const st = await throughDisruption("restart", async () => {
      await srv.killAndWait(nc);
      await srv.restartAndWait(nc);
    });
    assert.ok(st.some((s) => s.type === "reconnected"), JSON.stringify(st.map((s) => s.type)));
  });

  it("(c) heartbeats lost: the server frozen (SIGSTOP) for longer than 2 x idle_heartbeat, connection up", { timeout: 60_000 }, async () => {
    // a short API timeout makes the recreate attempts time out (and retry) while the server is frozen
    const jsShort = jetstream(nc, { timeout: 1_000 });
    const st = await throughDisruption(
      "hb",
      async () => {
        const pid = srv.server.pid;
        process.kill(pid, "SIGSTOP");
        try {
          await sleep(3_500);
        } finally {
          process.kill(pid, "SIGCONT");
        }
      },
      jsShort,
    );
    assert.ok(st.some((s) => s.type === "heartbeats_missed"), JSON.stringify(st.map((s) => s.type)));
    assert.ok(nc.isConnected(), "the connection stayed up");
  });

  it("(d) the server down for longer than 2 x idle_heartbeat (SIGKILL, 1.5 s, restart)", { timeout: 60_000 }, async () => {
    await throughDisruption("down", async () => {
      await srv.killAndWait(nc);
      await sleep(1_500);
      await srv.restartAndWait(nc);
    });
  });
});

describe("ordered consumer: filters, deliver policies, fetch/next", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  /** A memory stream: OP.a a1 (1), OP.b b1 (2), OP.c c1 (3), OP.a a2 (4), OP.b b2 (5). */
  const S = uniq("OP");
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    await jsm.streams.add({ name: S, subjects: [`${S}.*`], storage: "memory" });
    for (const [s, d] of [["a", "a1"], ["b", "b1"], ["c", "c1"], ["a", "a2"], ["b", "b2"]] as const) {
      const h = headers();
      h.set("X-Src", d);
      await js.publish(`${S}.${s}`, d, { headers: h });
    }
  });

  it("everything, in order, by default", async () => {
    const oc = await js.consumers.get(S);
    const ms = await fetchAll(oc, 6);
    assert.deepEqual(seqs(ms), [1, 2, 3, 4, 5]);
    assert.deepEqual(
      ms.map((m) => m.string()),
      ["a1", "b1", "c1", "a2", "b2"],
    );
    assert.equal(ms[0]!.info.stream, S);
    assert.equal(ms[0]!.info.consumer, oc.name);
  });

  it("filter_subjects: one, and several (2.10+)", async () => {
    // (each fetch asks for exactly what the filter should give: an unfiltered consumer would give 1, 2, …)
    const one = await js.consumers.get(S, { filter_subjects: `${S}.b` });
    assert.deepEqual(seqs(await fetchAll(one, 2)), [2, 5]);
    const oneArr = await js.consumers.get(S, { filter_subjects: [`${S}.c`] });
    assert.deepEqual(seqs(await fetchAll(oneArr, 1)), [3]);
    const several = await js.consumers.get(S, { filter_subjects: [`${S}.a`, `${S}.c`] });
    assert.deepEqual(seqs(await fetchAll(several, 3)), [1, 3, 4]);
    const ci = await jsm.consumers.info(S, several.name);
    assert.deepEqual(ci.config.filter_subjects, [`${S}.a`, `${S}.c`]);
    assert.equal(ci.config.ack_policy, "none");
    assert.equal(ci.config.mem_storage, true);
  });

  it("deliver_policy last, by_start_sequence, last_per_subject (with and without a filter)", async () => {
    const last = await js.consumers.get(S, { deliver_policy: "last" });
    assert.deepEqual(seqs(await fetchAll(last, 2)), [5], "only the last message, then the pull expires");
    const from3 = await js.consumers.get(S, { deliver_policy: "by_start_sequence", opt_start_seq: 3 });
    assert.deepEqual(seqs(await fetchAll(from3, 3)), [3, 4, 5]);
    const lps = await js.consumers.get(S, { deliver_policy: "last_per_subject" });
    assert.deepEqual(seqs(await fetchAll(lps, 3)), [3, 4, 5]);
    const lpsA = await js.consumers.get(S, { deliver_policy: "last_per_subject", filter_subjects: `${S}.a` });
    assert.deepEqual(seqs(await fetchAll(lpsA, 1)), [4]);
  });

  it("headers_only: no payload, the headers and Nats-Msg-Size", async () => {
    const oc = await js.consumers.get(S, { headers_only: true, filter_subjects: `${S}.c` });
    const [m, ...rest] = await fetchAll(oc, 1);
    assert.equal(rest.length, 0);
    assert.equal(m!.seq, 3);
    assert.equal(m!.data.length, 0);
    assert.equal(m!.headers?.get("Nats-Msg-Size"), "2");
    assert.equal(m!.headers?.get("X-Src"), "c1");
  });

  it("name_prefix names the server-side consumers <prefix>_<serial>", async () => {
    const prefix = uniq("myoc");
    const oc = await js.consumers.get(S, { name_prefix: prefix });
    assert.equal(oc.name, "", "nothing is created before the first pull");
    assert.equal((await fetchAll(oc, 5)).length, 5);
    assert.match(oc.name, new RegExp(`^${prefix}_\\d+$`));
    assert.deepEqual(await consumersWith(jsm, S, prefix), [oc.name]);
    await failsWith(() => js.consumers.get(S, { name_prefix: "bad.prefix" }), "INVALID_ARGUMENT");
  });

  it("fetch and next continue where the last call left off", async () => {
    const oc = await js.consumers.get(S);
    assert.deepEqual(seqs(await collect(await oc.fetch({ max_messages: 2, expires: 2_000 }))), [1, 2]);
    const name = oc.name;
    assert.equal((await oc.next({ expires: 2_000 }))?.seq, 3);
    assert.deepEqual(seqs(await collect(await oc.fetch({ max_messages: 1, expires: 2_000 }))), [4]);
    assert.equal((await oc.next({ expires: 2_000 }))?.seq, 5);
    assert.equal(await oc.next({ expires: 1_000 }), null, "nothing more: next() resolves null");
    assert.equal(oc.name, name, "one server-side consumer served every call");
    await js.publish(`${S}.a`, "a3");
    const m = await oc.next({ expires: 2_000 });
    assert.equal(m?.string(), "a3");
    // after its consumer is deleted, the next call recreates it from the last sequence + 1
    await jsm.consumers.delete(S, oc.name);
    await js.publish(`${S}.a`, "a4");
    let got: JsMsg | null = null;
    for (let i = 0; i < 3 && !got; i++) got = await oc.next({ expires: 1_000 });
    assert.equal(got?.string(), "a4");
    assert.equal(got?.seq, m!.seq + 1);
    assert.notEqual(oc.name, name);
  });

  it("deliver_policy new: only what is published after consume() starts", async () => {
    const oc = await js.consumers.get(S, { deliver_policy: "new", filter_subjects: `${S}.n` });
    const msgs = await oc.consume({ expires: 2_000 });
    await js.publish(`${S}.n`, "n1");
    await js.publish(`${S}.n`, "n2");
    const got: string[] = [];
    for await (const m of msgs) {
      got.push(m.string());
      if (got.length === 2) break;
    }
    assert.deepEqual(got, ["n1", "n2"]);
  });

  it("consume() then stop(): the iteration ends and the server-side consumer is deleted", async () => {
    const prefix = uniq("stopoc");
    const oc = await js.consumers.get(S, { name_prefix: prefix });
    const msgs = await oc.consume({ expires: 2_000 });
    const it = msgs[Symbol.asyncIterator]();
    assert.equal((await it.next()).value?.seq, 1);
    assert.deepEqual(await consumersWith(jsm, S, prefix), [oc.name]);
    await msgs.stop();
    // what was already received is still yielded, in order, then the iteration ends
    const rest: number[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value.seq);
    assert.deepEqual(rest, rest.map((_, i) => i + 2));
    assert.equal(await msgs.closed(), null);
    for (let i = 0; ; i++) {
      if ((await consumersWith(jsm, S, prefix)).length === 0) break;
      if (i > 100) assert.fail("the consumer was not deleted after stop()");
      await sleep(100);
    }
  });

  it("acks on its messages are no-ops (ack_policy none)", async () => {
    const oc = await js.consumers.get(S);
    const m = await oc.next({ expires: 2_000 });
    assert.ok(m);
    const out = nc.stats().outMsgs;
    assert.equal(m.ack(), false);
    assert.equal(m.nak(), false);
    assert.equal(m.working(), false);
    assert.equal(m.term(), false);
    assert.equal(await m.ackAck(), false);
    assert.equal(nc.stats().outMsgs, out, "nothing was sent");
  });

  it("get(stream) of a missing stream rejects with STREAM_NOT_FOUND; bad options are refused", async () => {
    const e = await failsWith(() => js.consumers.get("NO_SUCH_STREAM"), "STREAM_NOT_FOUND");
    assert.ok(e instanceof StreamNotFoundError);
    const bad = await failsWith(() => js.consumers.get(S, { filter_subjects: "a b" }), "INVALID_ARGUMENT");
    assert.ok(bad instanceof InvalidArgumentError);
    await failsWith(() => js.consumers.get(S, { durable: "x" } as never), "INVALID_ARGUMENT");
  });
});

describe("ordered consumer on oldest (2.9.10)", () => {
  const srv = useServer({ server: { jetstream: true, version: "oldest" } });
  let nc: NatsConnection;
  let js: JetStreamClient;
  const S = uniq("OLD");
  before(async () => {
    nc = await srv.connect();
    js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: S, subjects: [`${S}.*`], storage: "memory" });
    for (const s of ["a", "b", "c", "a"]) await js.publish(`${S}.${s}`, s);
  });

  it("several filter subjects: FEATURE_NOT_SUPPORTED before anything is sent", async () => {
    await unsupported(nc, () => js.consumers.get(S, { filter_subjects: [`${S}.a`, `${S}.b`] }), "2.10.0", "several filters on 2.9.10");
  });

  it("a single filter works; so does consume() across a deleted consumer", async () => {
    const oc = await js.consumers.get(S, { filter_subjects: `${S}.a` });
    assert.deepEqual(seqs(await fetchAll(oc, 3)), [1, 4]);
    const all = await js.consumers.get(S);
    const msgs = await all.consume({ expires: 2_000, idle_heartbeat: 500 });
    const got: number[] = [];
    for await (const m of msgs) {
      got.push(m.seq);
      if (m.seq === 2) await (await jetstreamManager(nc)).consumers.delete(S, all.name);
      if (m.seq === 2) await js.publish(`${S}.b`, "b");
      if (got.length === 5) break;
    }
    assert.deepEqual(got, [1, 2, 3, 4, 5]);
  });
});
