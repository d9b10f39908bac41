// Typed buckets (a codec given to create/open) against a real nats-server (current): put, create and
// update take the typed value, get / watch / history give it back; markers carry no value. A stored
// value the codec cannot decode is an error of that entry only (ValueDecodeError when its value is
// read) — a watcher, iterated or with a callback, goes on to the next entry.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { JSONCodec, StringCodec, type Codec, type NatsConnection } from "../../src/index.js";
import { Kvm, ValueDecodeError, type Bucket, type KvEntry } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { until } from "../support/helpers.js";
import { collect, Recorder, uniq } from "./helpers.js";

interface Profile {
  name: string;
  age: number;
  tags?: string[];
}

/** What an entry's value is: the value, or the error reading it threw. */
function valueOf<T>(e: KvEntry<T>): T | Error {
  try {
    return e.value;
  } catch (err) {
    return err as Error;
  }
}

describe("KV typed buckets", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let kvm: Kvm;
  let raw: Bucket;
  let typed: Bucket<Profile>;
  before(async () => {
    nc = await srv.connect();
    kvm = new Kvm(nc);
    const b = uniq("TYPED");
    raw = await kvm.create(b, { storage: "memory", history: 5 });
    typed = await kvm.open(b, { codec: JSONCodec<Profile>() });
  });

  it("put / create / update take typed values; get and history give them back", async () => {
    const derek: Profile = { name: "Derek", age: 22, tags: ["a", "b"] };
    const r1 = await typed.put("p.derek", derek);
    const got = await typed.get("p.derek");
    assert.deepEqual(got?.value, derek);
    assert.equal(got?.string(), JSON.stringify(derek));
    assert.deepEqual(new Uint8Array(got!.raw), new TextEncoder().encode(JSON.stringify(derek)));
    await typed.update("p.derek", { ...derek, age: 23 }, r1);
    assert.equal((await typed.get("p.derek"))?.value.age, 23);
    await typed.create("p.ann", { name: "Ann", age: 30 });
    await typed.delete("p.ann");
    await typed.create("p.ann", { name: "Ann", age: 31 });
    const h = await collect(typed.history({ key: "p.ann" }));
    assert.deepEqual(h.map((e) => e.operation), ["PUT", "DEL", "PUT"]);
    assert.deepEqual(h.map((e) => e.value?.age), [30, undefined, 31], "a marker has no value");
    // created with a codec too
    const made = await kvm.create(uniq("TYPED2"), { storage: "memory" }, { codec: JSONCodec<Profile>() });
    await made.put("x", { name: "X", age: 1 });
    assert.equal((await made.get("x"))?.value.name, "X");
    // the raw view of the same bucket sees the JSON bytes
    assert.equal((await raw.get("p.derek"))?.json<Profile>().age, 23);
  });

  it("StringCodec buckets read and write strings", async () => {
    const s = await kvm.create(uniq("STR"), { storage: "memory" }, { codec: StringCodec() });
    await s.put("greeting", "héllo ✓");
    const e = await s.get("greeting");
    assert.equal(e?.value, "héllo ✓");
    assert.equal(typeof e?.value, "string");
  });

  it("a value that does not decode is an error of that entry, not of the get", async () => {
    await raw.put("p.bad", "{not json");
    const e = await typed.get("p.bad");
    assert.ok(e);
    assert.equal(e.string(), "{not json", "the raw value is still readable");
    const err = valueOf(e);
    assert.ok(err instanceof ValueDecodeError, String(err));
    assert.equal(err.code, "VALUE_DECODE");
    assert.match(err.message, /p\.bad/);
    assert.ok(err.cause instanceof Error);
  });

  it("a watcher goes on past a value that does not decode (iterated and with a callback)", async () => {
    const b = uniq("WBAD");
    const w = await kvm.create(b, { storage: "memory" }, { codec: JSONCodec<Profile>() });
    const plain = await kvm.open(b);
    await w.put("a", { name: "A", age: 1 });
    await plain.put("b", "\u0000garbage");
    await w.put("c", { name: "C", age: 3 });
    const r = new Recorder(w.watch());
    const viaCallback: (Profile | Error)[] = [];
    const cbWatch = w.watch({ callback: (e) => void viaCallback.push(valueOf(e)) });
    const throwing: string[] = [];
    const cbThrows = w.watch({
      callback: (e) => {
        throwing.push(e.key);
        void e.value.name; // throws for "b": reported nowhere, the watch goes on
      },
    });
    await Promise.all([r.watcher.initialized, cbWatch.initialized, cbThrows.initialized]);
    await plain.put("d", "also not json");
    await w.put("e", { name: "E", age: 5 });
    await r.count(5);
    await until(() => viaCallback.length === 5 && throwing.length === 5, "every entry through the callbacks");
    const vals = r.entries.map(valueOf);
    assert.deepEqual(vals.map((v) => (v instanceof Error ? (v as ValueDecodeError).code : v.name)), ["A", "VALUE_DECODE", "C", "VALUE_DECODE", "E"]);
    assert.deepEqual(viaCallback.map((v) => (v instanceof Error ? "error" : v.name)), ["A", "error", "C", "error", "E"]);
    assert.deepEqual(throwing, ["a", "b", "c", "d", "e"]);
    await Promise.all([r.stop(), cbWatch.stop(), cbThrows.stop()]);
    assert.equal(await cbThrows.closed(), null);
  });

  it("keys of a typed bucket are plain strings; a codec that cannot encode rejects the put", async () => {
    assert.ok((await collect(typed.keys("p.*"))).includes("p.derek"));
    const failing: Codec<number> = {
      encode: (v) => {
        if (v < 0) throw new RangeError("negative");
        return new TextEncoder().encode(String(v));
      },
      decode: (d) => Number(new TextDecoder().decode(d)),
    };
    const n = await kvm.create(uniq("NUM"), { storage: "memory" }, { codec: failing });
    assert.equal((await n.get("x", {}))?.value, undefined);
    await n.put("x", 41);
    assert.equal((await n.get("x"))?.value, 41);
    const before = nc.stats().outMsgs;
    await assert.rejects(n.put("x", -1), RangeError);
    assert.equal(nc.stats().outMsgs, before, "nothing was sent");
  });
});
