// Core publish/subscribe against a real nats-server: callbacks, iterators, next(), wildcards,
// queue groups, headers, payload shapes, max_payload and noEcho.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { useServer } from "../support/fixtures.js";
import { assertRejectsWithAbortReason, untilWithin } from "../support/helpers.js";
import {
  connect,
  createInbox,
  headers,
  MaxPayloadExceededError,
  NatsError,
  TimeoutError,
  type Msg,
  type NatsConnection,
} from "../../src/index.js";

const te = new TextEncoder();

/** Byte-wise equality (a received payload may be a Buffer view; compare the bytes only). */
function sameBytes(actual: Uint8Array, expected: Uint8Array): void {
  assert.ok(actual instanceof Uint8Array);
  assert.deepEqual(Array.from(actual), Array.from(expected));
}

const until = untilWithin(5_000);

describe("publish/subscribe", () => {
  const srv = useServer();
  let nc: NatsConnection;
  let nc2: NatsConnection;

  before(async () => {
    nc = await srv.connect();
    nc2 = await srv.connect();
  });

  it("delivers to a callback subscription, in order, with subject and sid", async () => {
    const subj = createInbox("cb");
    const got: Msg[] = [];
    const errs: unknown[] = [];
    const sub = nc.subscribe(subj, {
      callback: (err, m) => {
        if (err) errs.push(err);
        else got.push(m);
      },
    });
    await nc.flush();
    for (let i = 0; i < 10; i++) nc2.publish(subj, `m${i}`);
    await nc2.flush();
    await until(() => got.length === 10, "10 messages");
    await nc.flush();
    assert.equal(got.length, 10);
    assert.deepEqual(errs, []);
    assert.deepEqual(
      got.map((m) => m.string()),
      Array.from({ length: 10 }, (_, i) => `m${i}`),
    );
    for (const m of got) {
      assert.equal(m.subject, subj);
      assert.equal(m.reply, undefined);
      assert.equal(m.sid, sub.getID());
    }
    sub.unsubscribe();
  });

  it("decodes subject and reply, ASCII or not, in either order and after the message was queued", async () => {
    const base = createInbox("names");
    const cases = [
      { subject: `${base}.ascii.subject.of.some.length`, reply: `${base}.r.$JS.ACK.S.C.1.2.3.4.5` },
      { subject: `${base}.sübject.é`, reply: `${base}.reply` },
      { subject: `${base}.s`, reply: `${base}.rëply.✓.🚀` },
      { subject: `${base}.ü`, reply: `${base}.ö` },
    ];
    const got: Msg[] = [];
    const sub = nc.subscribe(`${base}.>`, { callback: (_e, m) => got.push(m) });
    const iter = nc.subscribe(`${base}.>`);
    await nc.flush();
    for (const c of cases) nc2.publish(c.subject, "x", { reply: c.reply });
    await nc2.flush();
    await until(() => got.length === cases.length, "all messages");
    got.forEach((m, i) => {
      // reply first on even messages, subject first on odd ones
      if (i % 2 === 0) {
        assert.equal(m.reply, cases[i]!.reply);
        assert.equal(m.subject, cases[i]!.subject);
      } else {
        assert.equal(m.subject, cases[i]!.subject);
        assert.equal(m.reply, cases[i]!.reply);
      }
    });
    let i = 0;
    for await (const m of iter) {
      assert.equal(m.subject, cases[i]!.subject);
      assert.equal(m.reply, cases[i]!.reply);
      if (++i === cases.length) break;
    }
    sub.unsubscribe();
  });

  it("delivers to an async iterator subscription", async () => {
    const subj = createInbox("it");
    const sub = nc.subscribe(subj);
    await nc.flush();
    for (let i = 0; i < 5; i++) nc2.publish(subj, `v${i}`, { reply: "my.reply" });
    await nc2.flush();
    const seen: string[] = [];
    for await (const m of sub) {
      assert.equal(m.subject, subj);
      assert.equal(m.reply, "my.reply");
      seen.push(m.string());
      if (seen.length === 5) break;
    }
    assert.deepEqual(seen, ["v0", "v1", "v2", "v3", "v4"]);
    // break ends the subscription
    await sub.closed;
    assert.equal(sub.isClosed(), true);
  });

  it("next() returns a message, times out with TimeoutError, and rejects with the abort reason", async () => {
    const subj = createInbox("next");
    const sub = nc.subscribe(subj);
    await nc.flush();
    nc2.publish(subj, "first");
    const m = await sub.next({ timeout: 5_000 });
    assert.equal(m.string(), "first");

    await assert.rejects(sub.next({ timeout: 50 }), (err: unknown) => {
      assert.ok(err instanceof TimeoutError);
      assert.ok(err instanceof NatsError);
      assert.equal(err.code, "TIMEOUT");
      return true;
    });

    // the timed-out waiter must not swallow the next message
    nc2.publish(subj, "second");
    assert.equal((await sub.next({ timeout: 5_000 })).string(), "second");

    // aborted while waiting, and already aborted
    await assertRejectsWithAbortReason((signal) => sub.next({ signal }));

    // the aborted waiters must not swallow later messages either
    nc2.publish(subj, "third");
    assert.equal((await sub.next({ timeout: 5_000 })).string(), "third");
    assert.equal(sub.getReceived(), 3);
    sub.unsubscribe();
  });

  it("matches '*' to exactly one token and '>' to one or more trailing tokens", async () => {
    const p = createInbox("wc");
    const star = nc.subscribe(`${p}.*`);
    const full = nc.subscribe(`${p}.>`);
    const mid = nc.subscribe(`${p}.*.end`);
    await nc.flush();
    const subjects = [p, `${p}.a`, `${p}.a.b`, `${p}.a.end`, `${p}.a.b.end`, `${p}x.a`, `x.${p}.a`];
    for (const s of subjects) nc2.publish(s, s);
    await nc2.flush();
    await nc.flush();
    const collect = async (sub: typeof star, n: number): Promise<string[]> => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await sub.next({ timeout: 2_000 })).subject);
      // nothing else arrived
      assert.equal(sub.getPending(), 0);
      await assert.rejects(sub.next({ timeout: 30 }), TimeoutError);
      return out;
    };
    assert.deepEqual(await collect(star, 1), [`${p}.a`]);
    assert.deepEqual(await collect(full, 4), [`${p}.a`, `${p}.a.b`, `${p}.a.end`, `${p}.a.b.end`]);
    assert.deepEqual(await collect(mid, 1), [`${p}.a.end`]);
    for (const s of [star, full, mid]) s.unsubscribe();
  });

  it("splits work across queue group members while plain subscribers get everything", async () => {
    const subj = createInbox("q");
    const counts = [0, 0, 0];
    let plain = 0;
    await using extra = await connect({ servers: srv.url });
    // members on different connections, one on the same connection as the plain subscriber
    const owners = [nc, nc2, extra];
    const subs = owners.map((c, i) => c.subscribe(subj, { queue: "workers", callback: () => counts[i]!++ }));
    const plainSub = nc.subscribe(subj, { callback: () => plain++ });
    await Promise.all(owners.map((c) => c.flush()));
    for (let i = 0; i < 300; i++) extra.publish(subj, String(i));
    await extra.flush();
    await until(() => plain === 300 && counts[0]! + counts[1]! + counts[2]! === 300, "all deliveries");
    await Promise.all(owners.map((c) => c.flush()));
    assert.equal(plain, 300);
    assert.equal(counts[0]! + counts[1]! + counts[2]!, 300);
    for (const c of counts) assert.ok(c > 0, `every member gets some work: ${counts.join(",")}`);
    assert.equal(subs[0]!.getQueue(), "workers");
    assert.equal(plainSub.getQueue(), undefined);
    for (const s of [...subs, plainSub]) s.unsubscribe();
  });

  it("round-trips headers with multiple values and preserved case between connections", async () => {
    const subj = createInbox("hdr");
    const sub = nc.subscribe(subj);
    await nc.flush();
    const h = headers();
    h.append("X-Multi", "one");
    h.append("X-Multi", "two");
    h.append("X-Multi", "three with spaces");
    h.set("MiXeD-CaSe", "Value: with colon");
    h.set("x-multi", "lower is another key");
    nc2.publish(subj, "body", { headers: h });
    const m = await sub.next({ timeout: 5_000 });
    assert.equal(m.string(), "body");
    const rh = m.headers;
    assert.ok(rh);
    assert.deepEqual(rh.values("X-Multi"), ["one", "two", "three with spaces"]);
    assert.equal(rh.get("X-Multi"), "one");
    assert.deepEqual(rh.values("x-multi"), ["lower is another key"]);
    assert.equal(rh.get("MiXeD-CaSe"), "Value: with colon");
    assert.ok(rh.keys().includes("MiXeD-CaSe"));
    assert.equal(rh.has("mixed-case"), false);
    assert.equal(rh.has("mixed-case", true), true);
    assert.equal(rh.code, 0);
    assert.equal(rh.hasError, false);

    // headers with an empty payload
    const h2 = headers();
    h2.set("Only", "headers");
    nc2.publish(subj, undefined, { headers: h2 });
    const m2 = await sub.next({ timeout: 5_000 });
    assert.equal(m2.data.length, 0);
    assert.equal(m2.headers?.get("Only"), "headers");

    // no headers → undefined
    nc2.publish(subj, "plain");
    const m3 = await sub.next({ timeout: 5_000 });
    assert.equal(m3.headers, undefined);
    sub.unsubscribe();
  });

  it("carries string, Uint8Array, empty and binary (CR LF inside) payloads unchanged", async () => {
    const subj = createInbox("payload");
    const sub = nc.subscribe(subj);
    await nc.flush();
    const binary = new Uint8Array([0, 13, 10, 255, 1, 13, 10, 13, 10, 0x4d, 0x53, 0x47, 32, 13, 10, 128]);
    const msgLike = te.encode("MSG x 1 5\r\nhello\r\nPING\r\n");
    const unicode = "héllo wörld ✓ 🚀";
    nc2.publish(subj, "text");
    nc2.publish(subj, te.encode("bytes"));
    nc2.publish(subj);
    nc2.publish(subj, "");
    nc2.publish(subj, new Uint8Array(0));
    nc2.publish(subj, binary);
    nc2.publish(subj, msgLike);
    nc2.publish(subj, unicode);
    const next = () => sub.next({ timeout: 5_000 });
    assert.equal((await next()).string(), "text");
    sameBytes((await next()).data, te.encode("bytes"));
    for (let i = 0; i < 3; i++) {
      const e = await next();
      assert.ok(e.data instanceof Uint8Array);
      assert.equal(e.data.length, 0);
      assert.equal(e.string(), "");
    }
    sameBytes((await next()).data, binary);
    sameBytes((await next()).data, msgLike);
    const u = await next();
    assert.equal(u.string(), unicode);
    assert.equal(u.data.length, te.encode(unicode).length);
    // the connection is still healthy after frames that look like protocol text
    await nc.flush();
    await nc2.flush();
    sub.unsubscribe();
  });

  it("json() parses a JSON payload", async () => {
    const subj = createInbox("json");
    const sub = nc.subscribe(subj);
    await nc.flush();
    nc2.publish(subj, JSON.stringify({ a: 1, b: ["x"] }));
    assert.deepEqual((await sub.next({ timeout: 5_000 })).json(), { a: 1, b: ["x"] });
    sub.unsubscribe();
  });

  it("noEcho suppresses a connection's own messages; the default delivers them", async () => {
    const subj = createInbox("echo");
    await using quiet = await connect({ servers: srv.url, noEcho: true });
    await using loud = await connect({ servers: srv.url });
    let quietGot = 0;
    let loudGot = 0;
    quiet.subscribe(subj, { callback: () => quietGot++ });
    loud.subscribe(subj, { callback: () => loudGot++ });
    await quiet.flush();
    await loud.flush();
    quiet.publish(subj, "from quiet");
    loud.publish(subj, "from loud");
    await quiet.flush();
    await loud.flush();
    // others always get them: quiet sees loud's message only, loud sees both
    await until(() => loudGot === 2 && quietGot === 1, "deliveries");
    await quiet.flush();
    await loud.flush();
    assert.equal(quietGot, 1);
    assert.equal(loudGot, 2);
  });
});

describe("max_payload", () => {
  const srv = useServer({ server: { config: "max_payload: 1024" } });
  let nc: NatsConnection;

  before(async () => {
    nc = await srv.connect();
  });

  it("reports the server's max_payload in info", () => {
    assert.equal(nc.info?.max_payload, 1024);
  });

  it("accepts exactly max_payload bytes and rejects max_payload+1 synchronously", async () => {
    const subj = createInbox("max");
    const sub = nc.subscribe(subj);
    await nc.flush();
    const exact = new Uint8Array(1024).fill(7);
    nc.publish(subj, exact);
    const m = await sub.next({ timeout: 5_000 });
    assert.equal(m.data.length, 1024);
    sameBytes(m.data, exact);

    const before = nc.stats().outMsgs;
    let thrown: unknown;
    try {
      nc.publish(subj, new Uint8Array(1025));
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof MaxPayloadExceededError, `expected MaxPayloadExceededError, got ${String(thrown)}`);
    assert.equal(thrown.code, "MAX_PAYLOAD_EXCEEDED");
    assert.throws(() => nc.publish(subj, "x".repeat(1025)), MaxPayloadExceededError);
    // multi-byte characters count as their UTF-8 length: 513 × 2 bytes = 1026
    assert.throws(() => nc.publish(subj, "é".repeat(513)), MaxPayloadExceededError);
    assert.equal(nc.stats().outMsgs, before, "a rejected publish is not counted");

    // header bytes count toward the limit as well
    const h = headers();
    h.set("K", "v");
    assert.throws(() => nc.publish(subj, new Uint8Array(1024), { headers: h }), MaxPayloadExceededError);

    // the connection is unharmed: nothing was sent, and it still works
    await nc.flush();
    assert.equal(nc.isConnected(), true);
    assert.equal(sub.getPending(), 0);
    nc.publish(subj, "after");
    assert.equal((await sub.next({ timeout: 5_000 })).string(), "after");
    sub.unsubscribe();
  });
});
