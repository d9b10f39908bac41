// JSONCodec / StringCodec, and the typed `encoded()` connection against a real nats-server.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { encoded, InvalidArgumentError, JSONCodec, StringCodec, NatsConnection, NoRespondersError, type Msg } from "../../src/index.js";
import { useServer } from "../support/fixtures.js";
import { poll } from "../support/ports.js";

describe("codecs", () => {
  it("StringCodec round-trips UTF-8 text", () => {
    const sc = StringCodec();
    for (const s of ["", "hello", "ünïcödé ✓ 日本語 🚀", "line\r\nbreak", "\u0000nul"]) {
      const bytes = sc.encode(s);
      assert.ok(bytes instanceof Uint8Array);
      assert.equal(sc.decode(bytes), s);
    }
    assert.deepEqual([...sc.encode("é")], [0xc3, 0xa9]);
  });

  it("JSONCodec round-trips JSON values", () => {
    const jc = JSONCodec();
    const values: unknown[] = [0, -1.5, "str", true, false, null, [], [1, "two", { three: 3 }], { a: { b: ["c", null] }, u: "✓" }];
    for (const v of values) assert.deepEqual(jc.decode(jc.encode(v)), v);
    assert.equal(new TextDecoder().decode(jc.encode({ a: 1 })), '{"a":1}');
  });

  it("JSONCodec decodes an empty payload as undefined and rejects invalid JSON", () => {
    const jc = JSONCodec();
    assert.equal(jc.decode(new Uint8Array(0)), undefined);
    assert.throws(() => jc.decode(new TextEncoder().encode("{nope")), (e: unknown) => e instanceof InvalidArgumentError && e.cause instanceof SyntaxError);
  });

  it("JSONCodec applies a reviver", () => {
    const jc = JSONCodec<{ when: Date }>((k, v) => (k === "when" ? new Date(v as string) : v));
    const d = new Date("2024-01-02T03:04:05.000Z");
    const out = jc.decode(jc.encode({ when: d }));
    assert.ok(out.when instanceof Date);
    assert.equal(out.when.getTime(), d.getTime());
  });
});

describe("encoded connection", () => {
  interface Order {
    id: number;
    item: string;
    tags: string[];
  }
  const server = useServer();
  let nc: NatsConnection;
  before(async () => {
    nc = await server.connect();
  });

  it("publish/subscribe with decoded values", async () => {
    const orders = encoded(nc, JSONCodec<Order>());
    assert.equal(orders.nc, nc);
    const got: { value: Order | undefined; subject: string }[] = [];
    const sub = orders.subscribe("orders.new", (value, msg) => {
      got.push({ value, subject: msg.subject });
    });
    const sent: Order[] = [
      { id: 1, item: "tea", tags: [] },
      { id: 2, item: "café ☕", tags: ["hot", "large"] },
    ];
    for (const o of sent) orders.publish("orders.new", o);
    await nc.flush();
    await poll(() => (got.length === 2 ? true : undefined), 5_000, () => `got ${got.length} orders`);
    assert.deepEqual(got.map((g) => g.value), sent);
    assert.deepEqual(got.map((g) => g.subject), ["orders.new", "orders.new"]);
    sub.unsubscribe();
  });

  it("the encoded payload is plain JSON for other clients", async () => {
    const enc = encoded(nc, JSONCodec<Order>());
    const raw = nc.subscribe("orders.raw", { max: 1 });
    enc.publish("orders.raw", { id: 9, item: "x", tags: ["a"] });
    const m = await raw.next({ timeout: 5_000 });
    assert.equal(m.string(), '{"id":9,"item":"x","tags":["a"]}');
    assert.deepEqual(m.json(), { id: 9, item: "x", tags: ["a"] });
  });

  it("typed request/respond", async () => {
    interface Add {
      a: number;
      b: number;
    }
    interface Sum {
      sum: number;
    }
    const req = encoded(nc, JSONCodec<Add>());
    const res = encoded(nc, JSONCodec<Sum>());
    const answered: boolean[] = [];
    const sub = req.subscribe("math.add", (v, msg) => {
      answered.push(res.respond(msg, { sum: v.a + v.b }));
    });
    await nc.flush();
    const r: Sum = await req.request("math.add", { a: 2, b: 40 }, { timeout: 5_000 }, JSONCodec<Sum>());
    assert.deepEqual(r, { sum: 42 });
    const many = await Promise.all([1, 2, 3].map((i) => req.request<Sum>("math.add", { a: i, b: i }, { timeout: 5_000 }, JSONCodec<Sum>())));
    assert.deepEqual(many, [{ sum: 2 }, { sum: 4 }, { sum: 6 }]);
    assert.deepEqual(answered, [true, true, true, true]);
    sub.unsubscribe();
  });

  it("StringCodec request with the same codec for the reply", async () => {
    const s = encoded(nc, StringCodec());
    const sub = s.subscribe("upper", (v, msg) => {
      s.respond(msg, v.toUpperCase());
    });
    await nc.flush();
    assert.equal(await s.request("upper", "shout ✓", { timeout: 5_000 }), "SHOUT ✓");
    sub.unsubscribe();
  });

  it("request errors pass through (no responders)", async () => {
    const enc = encoded(nc, JSONCodec<{ q: string }>());
    await assert.rejects(enc.request("nobody.here", { q: "?" }, { timeout: 10_000 }), NoRespondersError);
  });

  it("a bad JSON payload goes to onError, and later messages still decode", async () => {
    const enc = encoded(nc, JSONCodec<{ n: number }>());
    const values: { n: number }[] = [];
    const errors: { err: Error; msg?: Msg }[] = [];
    const sub = enc.subscribe("json.bad", (value) => values.push(value), { onError: (err, msg) => errors.push({ err, msg }) });
    nc.publish("json.bad", "{this is not json");
    enc.publish("json.bad", { n: 7 });
    await nc.flush();
    await poll(() => (values.length + errors.length === 2 ? true : undefined), 5_000, () => `got ${values.length + errors.length} callbacks`);
    assert.equal(errors.length, 1);
    assert.ok(errors[0]!.err instanceof InvalidArgumentError, String(errors[0]!.err));
    assert.equal(errors[0]!.msg?.string(), "{this is not json");
    assert.deepEqual(values, [{ n: 7 }]);
    assert.equal(sub.isClosed(), false);
    sub.unsubscribe();
  });

  it("without onError a decode error is reported as an error status event", async () => {
    const enc = encoded(nc, JSONCodec<{ n: number }>());
    const statusErrors: Error[] = [];
    const off = nc.on("error", (s) => {
      if (s.type === "error") statusErrors.push(s.error);
    });
    const values: { n: number }[] = [];
    const sub = enc.subscribe("json.bad2", (value) => values.push(value));
    nc.publish("json.bad2", "not json");
    enc.publish("json.bad2", { n: 1 });
    await nc.flush();
    await poll(() => (values.length === 1 && statusErrors.length === 1 ? true : undefined), 5_000, () => `values ${values.length} errors ${statusErrors.length}`);
    assert.ok(statusErrors[0] instanceof InvalidArgumentError);
    off();
    sub.unsubscribe();
  });

  it("a bad JSON reply rejects the typed request with the decode error", async () => {
    const enc = encoded(nc, JSONCodec<{ n: number }>());
    const sub = nc.subscribe("json.badreply", { callback: (_e, m) => m.respond("<html>") });
    await nc.flush();
    await assert.rejects(enc.request("json.badreply", { n: 1 }, { timeout: 5_000 }), InvalidArgumentError);
    sub.unsubscribe();
  });
});
