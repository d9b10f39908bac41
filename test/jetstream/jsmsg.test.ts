// JsMsg and its ack subject: parseAckSubject for v1 (9 tokens) and v2 (11+ tokens) subjects and the
// malformed ones (NotJetStreamMessageError, never a crash); against real servers: the delivery info,
// nak (with a delay), term (with a reason on current, plain +TERM on oldest), working() holding off
// redelivery, ackAck, v2 subjects from a server with the js_ack_fc_v2 flag, and what acks do on an
// ack_policy none message.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { createInbox, InvalidArgumentError, NatsError, type NatsConnection } from "../../src/index.js";
import {
  jetstream,
  jetstreamManager,
  JsMsg,
  NotJetStreamMessageError,
  parseAckSubject,
  type JetStreamClient,
  type JetStreamManager,
  type PullConsumer,
} from "../../src/jetstream/index.js";
import { AckScanner, scanAckSubject } from "../../src/jetstream/ack_subject.js";
import { useServer } from "../support/fixtures.js";
import { sleep } from "../support/ports.js";
import { failsWith, filledPullConsumer } from "./helpers.js";

const TS = "1700000000123456789";

function notJs(reply: string | undefined): void {
  let err: unknown;
  try {
    parseAckSubject(reply);
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof NotJetStreamMessageError, `${JSON.stringify(reply)}: ${String(err)}`);
  assert.ok(err instanceof NatsError);
  assert.equal(err.code, "NOT_JETSTREAM_MESSAGE");
}

describe("parseAckSubject", () => {
  it("v1: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending> (9 tokens)", () => {
    const i = parseAckSubject(`$JS.ACK.ORDERS.worker.2.1042.17.${TS}.5`);
    assert.deepEqual(i, {
      stream: "ORDERS",
      consumer: "worker",
      domain: "",
      deliveryCount: 2,
      redeliveryCount: 2,
      redelivered: true,
      streamSequence: 1042,
      deliverySequence: 17,
      timestampNanos: BigInt(TS),
      pending: 5,
    });
    assert.equal(typeof i.timestampNanos, "bigint");
    const first = parseAckSubject(`$JS.ACK.S.C.1.1.1.0.0`);
    assert.equal(first.deliveryCount, 1);
    assert.equal(first.redelivered, false);
    assert.equal(first.timestampNanos, 0n);
  });

  it("v2: domain and account hash (11 tokens); '_' is no domain; tokens after the 11th are ignored", () => {
    const noDomain = parseAckSubject(`$JS.ACK._.ACCHASH.S.C.3.10.9.${TS}.0`);
    assert.equal(noDomain.domain, "");
    assert.equal(noDomain.accountHash, "ACCHASH");
    assert.equal(noDomain.stream, "S");
    assert.equal(noDomain.consumer, "C");
    assert.equal(noDomain.deliveryCount, 3);
    assert.equal(noDomain.streamSequence, 10);
    assert.equal(noDomain.deliverySequence, 9);
    assert.equal(noDomain.timestampNanos, BigInt(TS));
    assert.equal(noDomain.pending, 0);
    const hub = parseAckSubject(`$JS.ACK.hub.H.S.C.1.2.3.${TS}.4`);
    assert.equal(hub.domain, "hub");
    assert.equal(hub.pending, 4);
    const extra = parseAckSubject(`$JS.ACK.hub.H.S.C.1.2.3.${TS}.4.r4nd0m`);
    assert.deepEqual(extra, hub);
    const more = parseAckSubject(`$JS.ACK.hub.H.S.C.1.2.3.${TS}.4.x.y.z.notanumber`);
    assert.deepEqual(more, hub);
  });

  it("scanAckSubject: the numbers and the places of the names, for v1 and v2 subjects", () => {
    for (const reply of [`$JS.ACK.ORDERS.worker.2.1042.17.${TS}.5`, `$JS.ACK._.ACCHASH.S.C.3.10.9.${TS}.0`, `$JS.ACK.hub.H.S.C.1.2.3.${TS}.4.x.y`]) {
      const m = scanAckSubject(reply);
      const i = parseAckSubject(reply);
      assert.equal(m.deliveryCount, i.deliveryCount);
      assert.equal(m.streamSequence, i.streamSequence);
      assert.equal(m.deliverySequence, i.deliverySequence);
      assert.equal(m.pending, i.pending);
      assert.equal(reply.slice(m.names.streamFrom, m.names.streamTo), i.stream);
      assert.equal(reply.slice(m.names.consumerFrom, m.names.consumerTo), i.consumer);
      assert.equal(reply.slice(m.tsFrom, m.tsTo), TS);
      assert.equal(m.names.accFrom >= 0 ? reply.slice(m.names.accFrom, m.names.accTo) : undefined, i.accountHash);
    }
  });

  it("malformed subjects throw NotJetStreamMessageError (NOT_JETSTREAM_MESSAGE)", () => {
    const bad = [
      undefined,
      "",
      "foo",
      "$JS.ACK",
      "$JS.ACK.",
      `$JS.ACK.S.C.1.2.3.${TS}`, // 8 tokens
      `$JS.ACK.d.h.S.C.1.2.3.${TS}`, // 10 tokens
      `$JS.ACK.S.C.x.2.3.${TS}.4`, // non-numeric delivered
      `$JS.ACK.S.C.1.x.3.${TS}.4`, // sseq
      `$JS.ACK.S.C.1.2.x.${TS}.4`, // cseq
      `$JS.ACK.S.C.1.2.3.x.4`, // timestamp
      `$JS.ACK.S.C.1.2.3.${TS}.x`, // pending
      `$JS.ACK.S.C.-1.2.3.${TS}.4`,
      `$JS.ACK.S.C.1e3.2.3.${TS}.4`,
      `$JS.ACK.S.C.0x1.2.3.${TS}.4`,
      `$JS.ACK.S.C. 1.2.3.${TS}.4`,
      `$JS.ACK.S.C..2.3.${TS}.4`,
      `$JS.ACK..C.1.2.3.${TS}.4`, // empty stream token
      `$JS.ACK.S..1.2.3.${TS}.4`, // empty consumer token
      `$JS.ACK.d.h.S.C.1.2.x.${TS}.4`, // v2, non-numeric
      `$JS.ACK.d..S.C.1.2.3.${TS}.4`, // v2, empty account hash
      `$JS.NAK.S.C.1.2.3.${TS}.4`,
      `$JS.ACKS.S.C.1.2.3.${TS}.4`,
      `$js.ack.S.C.1.2.3.${TS}.4`,
      `_INBOX.S.C.1.2.3.${TS}.4.5`,
      `x.$JS.ACK.S.C.1.2.3.${TS}.4`,
    ];
    for (const b of bad) notJs(b);
  });

  it("never crashes: random mutations of valid subjects parse or throw NotJetStreamMessageError", () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = ["", ".", "..", "_", "0", "9", "-", "x", " ", "\u00e9", "99999999999999999999999", "$JS", "ACK"];
    const bases = [`$JS.ACK.S.C.1.2.3.${TS}.4`, `$JS.ACK._.H.S.C.1.2.3.${TS}.4`, `$JS.ACK.d.H.S.C.1.2.3.${TS}.4.r`];
    let parsed = 0;
    for (let i = 0; i < 5_000; i++) {
      const t = bases[rnd(bases.length)]!.split(".");
      for (let k = 0, edits = 1 + rnd(3); k < edits; k++) {
        const at = rnd(t.length + 1);
        const op = rnd(3);
        const tok = alphabet[rnd(alphabet.length)]!;
        if (op === 0) t.splice(at, 1);
        else if (op === 1) t.splice(at, 0, tok);
        else t[Math.min(at, t.length - 1)] = tok;
      }
      const s = t.join(".");
      try {
        const info = parseAckSubject(s);
        parsed++;
        for (const n of [info.deliveryCount, info.streamSequence, info.deliverySequence, info.pending]) assert.ok(Number.isInteger(n) && n >= 0, s);
        assert.ok(info.stream.length > 0 && info.consumer.length > 0, s);
      } catch (err) {
        if (!(err instanceof NotJetStreamMessageError)) assert.fail(`${JSON.stringify(s)} threw ${String(err)}`);
      }
    }
    assert.ok(parsed > 0, "some mutations are still valid");
  });

  it("AckScanner (one per consumer): what scanAckSubject gives for every subject, whatever it scanned before", () => {
    let seed = 777;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const names = ["$JS.ACK.S.C.", "$JS.ACK.S.C2.", "$JS.ACK.S.C.C.", "$JS.ACK._.H.S.C.", "$JS.ACK.S.C.1.2.", "$JS.ACK.d.H.S.C."];
    const tails = ["1.2.3." + TS + ".4", "12.34567.890." + TS + ".0", "1.2.3." + TS + ".4.r", "1.2.3." + TS, "1.2.x." + TS + ".4", "1.2.3." + TS + ".4.", "1..3." + TS + ".4", ""];
    const scanner = new AckScanner();
    const outcome = (f: () => unknown): unknown => {
      try {
        return f();
      } catch (err) {
        assert.ok(err instanceof NotJetStreamMessageError, String(err));
        return "not a JetStream message";
      }
    };
    let same = 0;
    for (let i = 0; i < 3_000; i++) {
      // mostly one consumer's subjects in a row, now and then another's or a broken one
      const reply = i % 7 === 0 ? names[rnd(names.length)]! + tails[rnd(tails.length)]! : `$JS.ACK.S.C.${1 + rnd(3)}.${i}.${i}.${TS}.${rnd(100)}`;
      const want = outcome(() => scanAckSubject(reply));
      assert.deepEqual(outcome(() => scanner.scan(reply)), want, reply);
      if (typeof want === "object") same++;
    }
    assert.ok(same > 2_000);
    assert.throws(() => scanner.scan(undefined), NotJetStreamMessageError);
  });
});

/** A stream with `n` messages "m1".."m<n>" and an explicit-ack pull consumer on it. */
const setup = (js: JetStreamClient, jsm: JetStreamManager, n: number, cfg: Record<string, unknown> = {}): Promise<{ S: string; c: PullConsumer }> =>
  filledPullConsumer(js, jsm, "JM", n, cfg, (i) => `m${i + 1}`);

/** Waits until `check` holds for the consumer's info (acks are processed asynchronously). */
async function untilInfo(jsm: JetStreamManager, S: string, check: (ci: Awaited<ReturnType<JetStreamManager["consumers"]["info"]>>) => boolean, what: string): Promise<void> {
  for (let i = 0; ; i++) {
    const ci = await jsm.consumers.info(S, "C");
    if (check(ci)) return;
    if (i > 200) assert.fail(`${what}: ${JSON.stringify({ ack_floor: ci.ack_floor, num_ack_pending: ci.num_ack_pending, num_redelivered: ci.num_redelivered })}`);
    await sleep(20);
  }
}

/** What is sent to the consumer's ack subjects, seen from a second connection. */
async function ackSpy(nc: NatsConnection, S: string): Promise<string[]> {
  const seen: string[] = [];
  nc.subscribe(`$JS.ACK.${S}.>`, { callback: (_e, m) => seen.push(m.string()) });
  await nc.flush();
  return seen;
}

describe("JsMsg against current", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let spyNc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  before(async () => {
    nc = await srv.connect();
    spyNc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });

  it("info: stream, consumer, deliveryCount 1 then 2 after nak(), sequences, timestamp, pending", async () => {
    const { S, c } = await setup(js, jsm, 3);
    const before = BigInt(Date.now()) * 1_000_000n;
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    assert.equal(m.subject, `${S}.m`);
    assert.equal(m.string(), "m1");
    assert.equal(m.seq, 1);
    assert.ok(m.reply.startsWith(`$JS.ACK.${S}.C.`));
    const i = m.info;
    assert.equal(i.stream, S);
    assert.equal(i.consumer, "C");
    assert.equal(i.domain, "");
    assert.equal(i.deliveryCount, 1);
    assert.equal(i.redeliveryCount, 1);
    assert.equal(i.redelivered, false);
    assert.equal(i.streamSequence, 1);
    assert.equal(i.deliverySequence, 1);
    assert.equal(i.pending, 2);
    assert.equal(typeof i.timestampNanos, "bigint");
    // what the consumers read per message, without strings, agrees with the full info
    assert.equal(m.timestampNanos, i.timestampNanos);
    assert.equal(m.meta.pending, i.pending);
    assert.equal(m.meta.deliverySequence, i.deliverySequence);
    assert.equal(m.fromConsumer("C"), true);
    assert.equal(m.fromConsumer("CC"), false);
    assert.equal(m.fromConsumer(""), false);
    // stored a moment ago (a sanity bound on the clock, not a timing assertion)
    const skew = i.timestampNanos > before ? i.timestampNanos - before : before - i.timestampNanos;
    assert.ok(skew < 60_000_000_000n, `timestamp ${i.timestampNanos} vs now ${before}`);
    assert.equal(m.nak(), true);
    assert.equal(m.isAcked, true);
    assert.equal(m.ack(), false, "a second terminal ack is ignored");
    // the nak and the next pull race at the server (acks are processed on their own queue): the
    // pull may be served seq 2 first, and seq 1 comes back right after
    const got: JsMsg[] = [];
    for (let k = 0; k < 3 && !got.some((x) => x.seq === 1); k++) {
      const x = await c.next({ expires: 2_000 });
      assert.ok(x);
      got.push(x);
    }
    const again = got.find((x) => x.seq === 1);
    assert.ok(again, `seq 1 not redelivered: ${got.map((x) => x.seq).join(",")}`);
    assert.equal(again.info.deliveryCount, 2);
    assert.equal(again.info.redeliveryCount, 2);
    assert.equal(again.info.redelivered, true);
    assert.equal(again.info.deliverySequence, got.length + 1, "delivery sequences go on across redeliveries");
    assert.equal(again.info.timestampNanos, i.timestampNanos, "the stored time, not the delivery time");
    const second = got.find((x) => x.seq === 2) ?? (await c.next({ expires: 2_000 }));
    assert.equal(second?.info.streamSequence, 2);
    assert.equal(second?.info.deliveryCount, 1);
    assert.equal(second?.info.pending, 1);
    for (const x of [...got, second]) x?.ack();
  });

  it("term(reason): the MSG_TERMINATED advisory carries the reason; the message is not redelivered", async () => {
    const { S, c } = await setup(js, jsm, 1, { ack_wait: 1_000 });
    const spy = await ackSpy(spyNc, S);
    const adv = spyNc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${S}.C`, { max: 1 });
    await spyNc.flush();
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    assert.equal(m.term("bad payload"), true);
    const a = (await adv.next({ timeout: 5_000 })).json<{ stream: string; consumer: string; stream_seq: number; reason?: string }>();
    assert.equal(a.stream, S);
    assert.equal(a.consumer, "C");
    assert.equal(a.stream_seq, 1);
    assert.equal(a.reason, "bad payload");
    assert.deepEqual(spy, ["+TERM bad payload"]);
    await untilInfo(jsm, S, (ci) => ci.num_ack_pending === 0, "terminated");
    assert.equal(await c.next({ expires: 2_000 }), null, "not redelivered after ack_wait");
  });

  it("nak(delay) redelivers, and not before (roughly) the delay", async () => {
    const { c } = await setup(js, jsm, 1);
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    const t0 = performance.now();
    m.nak(1_000);
    const again = await c.next({ expires: 5_000 });
    const waited = performance.now() - t0;
    assert.equal(again?.seq, 1);
    assert.equal(again?.info.deliveryCount, 2);
    assert.ok(waited >= 500, `redelivered after ${waited} ms, before half of the 1000 ms delay`);
    again?.ack();
  });

  it("working() every 500 ms holds off the redelivery (ack_wait 2 s) for 3 s; without it the message comes back", async () => {
    const { c } = await setup(js, jsm, 1, { ack_wait: 2_000 });
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    // a pull waits for a redelivery while the holder keeps saying it is working
    const waiting = c.next({ expires: 3_500 });
    for (let t = 0; t < 6; t++) {
      await sleep(500);
      assert.equal(m.working(), true, "working() is repeatable");
    }
    assert.equal(await waiting, null, "no redelivery while working() was called");
    assert.equal(m.isAcked, false);
    const back = await c.next({ expires: 5_000 });
    assert.equal(back?.seq, 1, "redelivered once working() stopped");
    assert.equal(back?.info.deliveryCount, 2);
    assert.equal(await back!.ackAck(), true);
  });

  it("ackAck(): resolves true once the server confirmed; false for an acknowledged message", async () => {
    const { S, c } = await setup(js, jsm, 2);
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    assert.equal(await m.ackAck(), true);
    // confirmed: the ack is already applied
    const ci = await jsm.consumers.info(S, "C");
    assert.equal(ci.ack_floor.stream_seq, 1);
    assert.equal(await m.ackAck(), false);
    assert.equal(m.ack(), false);
    assert.equal(m.working(), false);
    const m2 = await c.next({ expires: 2_000 });
    m2!.ack();
    assert.equal(await m2!.ackAck(), false);
  });

  it("bad arguments are refused before anything is sent", async () => {
    const { S, c } = await setup(js, jsm, 1);
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    const spy = await ackSpy(spyNc, S);
    await failsWith(() => m.nak(-1), "INVALID_ARGUMENT");
    await failsWith(() => m.nak(Number.NaN), "INVALID_ARGUMENT");
    await failsWith(() => m.term("two\nlines"), "INVALID_ARGUMENT");
    assert.equal(m.isAcked, false);
    m.ack();
    await spyNc.flush();
    for (let i = 0; spy.length === 0 && i < 100; i++) await sleep(10);
    assert.deepEqual(spy, ["+ACK"]);
  });

  it("a message that is not from JetStream: info throws NOT_JETSTREAM_MESSAGE, acks throw INVALID_ARGUMENT", async () => {
    const subj = createInbox();
    const sub = nc.subscribe(subj, { max: 2 });
    nc.publish(subj, "plain");
    nc.publish(subj, "with reply", { reply: "some.reply" });
    const plain = new JsMsg(await sub.next({ timeout: 5_000 }), nc);
    const replied = new JsMsg(await sub.next({ timeout: 5_000 }), nc);
    assert.throws(() => plain.info, (e: unknown) => e instanceof NotJetStreamMessageError);
    assert.throws(() => plain.seq, (e: unknown) => e instanceof NotJetStreamMessageError);
    assert.throws(() => replied.info, (e: unknown) => e instanceof NotJetStreamMessageError);
    assert.throws(() => plain.ack(), (e: unknown) => e instanceof InvalidArgumentError);
    await assert.rejects(plain.ackAck(), (e: unknown) => e instanceof InvalidArgumentError);
  });

  it("ack_policy none: ack() sends (the server ignores it) and ackAck() rejects with NO_RESPONDERS (no ack listener on 2.15)", async () => {
    const { S, c } = await setup(js, jsm, 2, { ack_policy: "none" });
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    assert.equal(m.info.deliveryCount, 1);
    assert.equal(m.ack(), true, "the client cannot know the consumer's ack policy from the message");
    const m2 = await c.next({ expires: 2_000 });
    assert.ok(m2);
    await failsWith(() => m2.ackAck({ timeout: 5_000 }), "NO_RESPONDERS");
    const ci = await jsm.consumers.info(S, "C");
    assert.equal(ci.num_ack_pending, 0);
    assert.equal(ci.num_redelivered, 0);
    assert.equal(await c.next({ expires: 1_000 }), null, "nothing is redelivered");
  });
});

describe("JsMsg against current with v2 ack subjects (feature flag js_ack_fc_v2) and a domain", () => {
  const srv = useServer({ server: { jetstream: { domain: "hub" }, config: "feature_flags { js_ack_fc_v2: true }" } });

  it("parses the v2 subject (domain, account hash) and acks through it", async () => {
    const nc = await srv.connect();
    const js = jetstream(nc, { domain: "hub" });
    const jsm = await jetstreamManager(nc, { domain: "hub" });
    const { S, c } = await setup(js, jsm, 1);
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    assert.equal(m.reply.split(".").length >= 11, true, m.reply);
    assert.equal(m.info.domain, "hub");
    assert.ok(m.info.accountHash && m.info.accountHash.length > 0);
    assert.equal(m.info.stream, S);
    assert.equal(m.info.consumer, "C");
    assert.equal(m.info.streamSequence, 1);
    assert.equal(m.info.deliverySequence, 1);
    assert.equal(m.info.pending, 0);
    m.nak();
    const again = await c.next({ expires: 2_000 });
    assert.equal(again?.info.deliveryCount, 2);
    assert.equal(await again!.ackAck(), true);
    assert.equal((await jsm.consumers.info(S, "C")).ack_floor.stream_seq, 1);
  });
});

describe("JsMsg against oldest (2.9.10)", () => {
  const srv = useServer({ server: { jetstream: true, version: "oldest" } });
  let nc: NatsConnection;
  let spyNc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  before(async () => {
    nc = await srv.connect();
    spyNc = await srv.connect();
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
  });

  it("term(reason) sends a plain +TERM (2.9.10 would ignore a reason): the message is not redelivered", async () => {
    const { S, c } = await setup(js, jsm, 1, { ack_wait: 1_000 });
    const spy = await ackSpy(spyNc, S);
    const adv = spyNc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.${S}.C`, { max: 1 });
    await spyNc.flush();
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    assert.equal(m.info.deliveryCount, 1);
    assert.equal(m.reply.split(".").length, 9, "v1 ack subject");
    assert.equal(m.term("ignored on 2.9"), true);
    const a = (await adv.next({ timeout: 5_000 })).json<{ stream_seq: number; reason?: string }>();
    assert.equal(a.stream_seq, 1);
    assert.ok(!a.reason);
    assert.deepEqual(spy, ["+TERM"]);
    await untilInfo(jsm, S, (ci) => ci.num_ack_pending === 0, "terminated");
    assert.equal(await c.next({ expires: 2_000 }), null, "not redelivered after ack_wait");
  });

  it("nak() redelivers with deliveryCount 2; ackAck() is confirmed", async () => {
    const { S, c } = await setup(js, jsm, 1);
    const m = await c.next({ expires: 2_000 });
    assert.ok(m);
    m.nak();
    const again = await c.next({ expires: 2_000 });
    assert.equal(again?.info.deliveryCount, 2);
    assert.equal(again?.info.redelivered, true);
    assert.equal(await again!.ackAck(), true);
    assert.equal((await jsm.consumers.info(S, "C")).ack_floor.stream_seq, 1);
  });
});
