// Msg.respond() against a real nats-server. A message received with a reply is answered to the
// reply's bytes as the server sent them (no decoding to a string and back): an ASCII inbox, a
// UTF-8 reply and a reply read by the application first all get their answer at the exact subject;
// a queued (copied) message still answers; `flush` works as for publish(); bad data, an oversized
// payload or a bad `flush` are refused with nothing sent; counted in stats; buffered while
// disconnected up to the reconnect buffer, past it refused, and delivered after the reconnect.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import {
  headers,
  InvalidArgumentError,
  MaxPayloadExceededError,
  ReconnectBufferExceededError,
  type Msg,
  type NatsConnection,
} from "../../src/index.js";
import { useServer } from "../support/fixtures.js";

/** Subscribes `nc` to `subject` (flushed); `first` resolves with the first message on it. */
async function firstOn(nc: NatsConnection, subject: string): Promise<{ first: Promise<Msg> }> {
  const sub = nc.subscribe(subject, { max: 1 });
  await nc.flush();
  const first = (async () => {
    for await (const m of sub) return m;
    throw new Error(`no message on ${subject}`);
  })();
  return { first };
}

/** Publishes `ask` with `reply` from `asker`, and resolves with the message `responder` got. */
async function received(responder: NatsConnection, asker: NatsConnection, ask: string, reply: string): Promise<Msg> {
  let got!: (m: Msg) => void;
  const p = new Promise<Msg>((r) => (got = r));
  const sub = responder.subscribe(ask, { max: 1, callback: (_e, m) => got(m) });
  await responder.flush();
  asker.publish(ask, "question", { reply });
  const m = await p;
  assert.equal(sub.isClosed(), true);
  return m;
}

describe("Msg.respond()", () => {
  const srv = useServer({ connection: { reconnectTimeWait: 50, maxReconnectAttempts: -1 } });
  let asker: NatsConnection;
  let responder: NatsConnection;
  before(async () => {
    asker = await srv.connect();
    responder = await srv.connect();
  });

  it("answers to the reply subject exactly as received: ASCII, UTF-8, read first or not", async () => {
    for (const [i, reply] of ["_INBOX.resp.a1", "rép.ünï.ćode.1", "plain.reply.read-first"].entries()) {
      const answer = await firstOn(asker, reply);
      const m = await received(responder, asker, `respond.exact.${i}`, reply);
      if (reply.endsWith("read-first")) assert.equal(m.reply, reply);
      assert.equal(m.respond(`answer ${i}`), true);
      const a = await answer.first;
      assert.equal(a.subject, reply);
      assert.equal(a.string(), `answer ${i}`);
    }
  });

  it("answers with bytes, with an empty payload, with headers, and from a queued (copied) message", async () => {
    const bytes = await firstOn(asker, "respond.shapes.bytes");
    let m = await received(responder, asker, "respond.shapes.1", "respond.shapes.bytes");
    assert.equal(m.respond(new Uint8Array([1, 2, 3])), true);
    assert.deepEqual([...(await bytes.first).data], [1, 2, 3]);

    const empty = await firstOn(asker, "respond.shapes.empty");
    m = await received(responder, asker, "respond.shapes.2", "respond.shapes.empty");
    assert.equal(m.respond(), true);
    assert.equal((await empty.first).data.length, 0);

    const withHeaders = await firstOn(asker, "respond.shapes.hdrs");
    m = await received(responder, asker, "respond.shapes.3", "respond.shapes.hdrs");
    const h = headers();
    h.set("X-Answer", "42");
    assert.equal(m.respond("with headers", { headers: h }), true);
    const wh = await withHeaders.first;
    assert.equal(wh.headers?.get("X-Answer"), "42");
    assert.equal(wh.string(), "with headers");

    // an iterated subscription queues (and copies) what it receives before it is taken
    const queued = await firstOn(asker, "respond.shapes.queued");
    const sub = responder.subscribe("respond.shapes.4", { max: 1 });
    await responder.flush();
    asker.publish("respond.shapes.4", "q", { reply: "respond.shapes.queued" });
    await asker.flush();
    await responder.flush();
    for await (const qm of sub) assert.equal(qm.respond("from the queue"), true);
    assert.equal((await queued.first).string(), "from the queue");
  });

  it("a message without a reply: false, nothing sent", async () => {
    let got!: (m: Msg) => void;
    const p = new Promise<Msg>((r) => (got = r));
    responder.subscribe("respond.noreply", { max: 1, callback: (_e, m) => got(m) });
    await responder.flush();
    asker.publish("respond.noreply", "x");
    const m = await p;
    const before = responder.stats().outMsgs;
    assert.equal(m.respond("nobody"), false);
    assert.equal(responder.stats().outMsgs, before);
  });

  it("flush: true and false deliver; bad data, a bad flush or an oversized payload are refused, nothing sent", async () => {
    const answers: string[] = [];
    const all = asker.subscribe("respond.opts.>", { callback: (_e, a) => answers.push(`${a.subject}=${a.string()}`) });
    await asker.flush();
    const m1 = await received(responder, asker, "respond.opts.q1", "respond.opts.now");
    const m2 = await received(responder, asker, "respond.opts.q2", "respond.opts.later");
    const m3 = await received(responder, asker, "respond.opts.q3", "respond.opts.bad");
    const before = responder.stats();
    assert.throws(() => m3.respond(42 as unknown as string), InvalidArgumentError);
    assert.throws(() => m3.respond("x", { flush: "yes" as unknown as boolean }), InvalidArgumentError);
    const max = responder.info!.max_payload;
    assert.throws(() => m3.respond(new Uint8Array(max + 1)), MaxPayloadExceededError);
    assert.equal(responder.stats().outMsgs, before.outMsgs);
    assert.equal(responder.stats().outBytes, before.outBytes);
    assert.equal(m1.respond("now", { flush: true }), true);
    assert.equal(m2.respond("later", { flush: false }), true);
    const after = responder.stats();
    assert.equal(after.outMsgs - before.outMsgs, 2);
    assert.equal(after.outBytes - before.outBytes, "now".length + "later".length);
    await responder.flush();
    await asker.flush();
    for (let i = 0; i < 50 && answers.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    all.unsubscribe();
    // answers to the bad attempts never came: only the two good ones, in order
    assert.deepEqual(answers.filter((a) => !a.startsWith("respond.opts.q")), ["respond.opts.now=now", "respond.opts.later=later"]);
  });
});

describe("Msg.respond() while disconnected", () => {
  const srv = useServer({ connection: { reconnectTimeWait: 50, maxReconnectAttempts: -1, reconnectBufSize: 256 } });

  it("is buffered and delivered after the reconnect; past the reconnect buffer it throws and nothing of it is sent", async () => {
    // one connection asks and answers: after a reconnect its subscriptions go out before what it buffered
    const nc = await srv.connect();
    const answers: string[] = [];
    nc.subscribe("respond.dc.answer.>", { callback: (_e, a) => answers.push(`${a.subject}=${a.string()}`) });
    const m1 = await received(nc, nc, "respond.dc.q1", "respond.dc.answer.kept");
    const m2 = await received(nc, nc, "respond.dc.q2", "respond.dc.answer.refused");
    await srv.killAndWait(nc);
    assert.equal(m1.respond("kept while away"), true);
    assert.throws(() => m2.respond("x".repeat(300)), ReconnectBufferExceededError);
    await srv.restartAndWait(nc);
    await nc.flush();
    for (let i = 0; i < 100 && answers.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
    await nc.flush();
    assert.deepEqual(answers, ["respond.dc.answer.kept=kept while away"]);
  });
});
