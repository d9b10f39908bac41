// Key-Value entries against a real nats-server (current): put/get (direct get, by revision),
// create (also on deleted and purged keys), update (CAS), delete and purge (with previousSeq),
// history, keys (one filter, several, none matching), purgeDeletes, status and destroy.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import { NoStreamResponseError, WrongLastSequenceError, JetStreamApiError } from "../../src/jetstream/index.js";
import { Kvm, KeyExistsError, type Bucket } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { ApiSpy, collect, failsWith, lines, row, uniq } from "./helpers.js";

const enc = new TextEncoder();

describe("KV entries", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let kvm: Kvm;
  const bucket = async (opts: Parameters<Kvm["create"]>[1] = {}): Promise<Bucket> => kvm.create(uniq("E"), { storage: "memory", ...opts });
  before(async () => {
    nc = await srv.connect();
    kvm = new Kvm(nc);
  });

  it("put and get: revisions, the entry's fields, strings, bytes and empty values", async () => {
    const kv = await bucket();
    const t0 = Date.now();
    assert.equal(await kv.put("a", "one"), 1);
    assert.equal(await kv.put("b", Uint8Array.from([0, 255, 1])), 2);
    assert.equal(await kv.put("a", '{"n":2}'), 3);
    assert.equal(await kv.put("empty", ""), 4);
    const a = await kv.get("a");
    assert.ok(a);
    assert.equal(a.bucket, kv.bucket);
    assert.equal(a.key, "a");
    assert.equal(a.revision, 3);
    assert.equal(a.operation, "PUT");
    assert.equal(a.delta, 0);
    assert.ok(a.created instanceof Date && Math.abs(a.created.getTime() - t0) < 60_000, String(a.created));
    assert.ok(a.value instanceof Uint8Array);
    assert.deepEqual(new Uint8Array(a.value), enc.encode('{"n":2}'));
    assert.equal(a.string(), '{"n":2}');
    assert.deepEqual(a.json(), { n: 2 });
    assert.deepEqual(new Uint8Array((await kv.get("b"))!.value), Uint8Array.from([0, 255, 1]));
    const empty = await kv.get("empty");
    assert.equal(empty?.operation, "PUT", "an empty value is a value, not a delete");
    assert.equal(empty?.value.length, 0);
    assert.equal(await kv.get("missing"), null);
    // keys may hold - / _ = and dots between tokens
    assert.ok((await kv.put("a-b/c_d=e.f.G9", "x")) > 0);
    assert.equal((await kv.get("a-b/c_d=e.f.G9"))?.string(), "x");
  });

  it("get uses direct get (the subject-appended form); get by revision asks for the sequence", async () => {
    const kv = await bucket({ history: 5 });
    await kv.put("k", "v1");
    await kv.put("other", "o");
    await kv.put("k", "v2");
    const spy = await ApiSpy.on(nc);
    assert.equal((await kv.get("k"))?.string(), "v2");
    assert.equal((await kv.get("k", { revision: 1 }))?.string(), "v1");
    assert.equal(await kv.get("k", { revision: 2 }), null, "revision 2 is another key's");
    assert.equal(await kv.get("k", { revision: 99 }), null, "no such revision");
    await nc.flush();
    const subjects = spy.requests.map((r) => r.subject);
    spy.stop();
    const stream = `KV_${kv.bucket}`;
    assert.equal(subjects[0], `$JS.API.DIRECT.GET.${stream}.$KV.${kv.bucket}.k`);
    assert.deepEqual(subjects.slice(1), Array(3).fill(`$JS.API.DIRECT.GET.${stream}`));
    assert.deepEqual(JSON.parse(spy.requests[1]!.body), { seq: 1 });
  });

  it("get is null for a deleted or purged key, also by the marker's revision", async () => {
    const kv = await bucket({ history: 5 });
    const r1 = await kv.put("d", "x");
    const rd = await kv.delete("d");
    assert.equal(rd, r1 + 1, "delete resolves with the marker's revision");
    assert.equal(await kv.get("d"), null);
    assert.equal(await kv.get("d", { revision: rd }), null);
    assert.equal((await kv.get("d", { revision: r1 }))?.string(), "x", "older revisions stay readable after a delete");
    await kv.put("p", "y");
    const rp = await kv.purge("p");
    assert.equal(await kv.get("p"), null);
    assert.equal(await kv.get("p", { revision: rp }), null);
  });

  it("create: new key, existing key (KEY_EXISTS), then after a delete and after a purge", async () => {
    const kv = await bucket({ history: 10 });
    const r1 = await kv.create("c", "first");
    const e = await failsWith<KeyExistsError>(() => kv.create("c", "again"), "KEY_EXISTS");
    assert.ok(e instanceof KeyExistsError);
    assert.equal(e.key, "c");
    await kv.delete("c");
    const r2 = await kv.create("c", "after delete");
    assert.ok(r2 > r1);
    assert.equal((await kv.get("c"))?.string(), "after delete");
    await kv.purge("c");
    const r3 = await kv.create("c", "after purge");
    assert.equal((await kv.get("c"))?.revision, r3);
    await failsWith(() => kv.create("c", "x"), "KEY_EXISTS");
    assert.deepEqual(
      (await collect(kv.history({ key: "c" }))).map((x) => `${x.operation} ${x.string()}`),
      ["PURGE ", "PUT after purge"],
    );
  });

  it("update is compare-and-set: the right revision stores, a stale one is WRONG_LAST_SEQUENCE", async () => {
    const kv = await bucket({ history: 3 });
    const r1 = await kv.put("u", "1");
    const r2 = await kv.update("u", "2", r1);
    assert.equal(r2, r1 + 1);
    const err = await failsWith(() => kv.update("u", "stale", r1), "WRONG_LAST_SEQUENCE");
    assert.ok(err instanceof WrongLastSequenceError && err.errCode === 10071, String(err));
    assert.equal((await kv.get("u"))?.string(), "2");
    // revision 0: only if the key never had a value (like create, but no retry on a delete marker)
    assert.ok((await kv.update("fresh", "v", 0)) > r2);
    await failsWith(() => kv.update("fresh", "v", 0), "WRONG_LAST_SEQUENCE");
    // put/delete/purge with previousSeq
    const r3 = await kv.put("u", "3", { previousSeq: r2 });
    await failsWith(() => kv.put("u", "x", { previousSeq: r2 }), "WRONG_LAST_SEQUENCE");
    await failsWith(() => kv.delete("u", { previousSeq: r2 }), "WRONG_LAST_SEQUENCE");
    const rd = await kv.delete("u", { previousSeq: r3 });
    await failsWith(() => kv.purge("u", { previousSeq: r3 }), "WRONG_LAST_SEQUENCE");
    await kv.purge("u", { previousSeq: rd });
    assert.equal(await kv.get("u"), null);
  });

  it("history: every revision oldest first, with operations; one key, several, every key; empty", async () => {
    const kv = await bucket({ history: 10 });
    await kv.put("h.a", "1");
    await kv.put("h.b", "2");
    await kv.put("h.a", "3");
    await kv.delete("h.a");
    await kv.put("x", "4");
    await kv.purge("h.b");
    const all = lines((await collect(kv.history())).map(row));
    assert.deepEqual(all, ["h.a@1 PUT 31", "h.a@3 PUT 33", "h.a@4 DEL ", "x@5 PUT 34", "h.b@6 PURGE "]);
    assert.deepEqual(lines((await collect(kv.history({ key: "h.a" }))).map(row)), ["h.a@1 PUT 31", "h.a@3 PUT 33", "h.a@4 DEL "]);
    assert.deepEqual((await collect(kv.history({ key: "h.*" }))).map((e) => e.revision), [1, 3, 4, 6]);
    assert.deepEqual((await collect(kv.history({ key: ["x", "h.b"] }))).map((e) => e.revision), [5, 6]);
    assert.deepEqual(await collect(kv.history({ key: "nothing" })), []);
    const fresh = await bucket();
    assert.deepEqual(await collect(fresh.history()), []);
  });

  it("keys: live keys only (deleted and purged left out), filtered by one or several filters", async () => {
    const kv = await bucket({ history: 5 });
    assert.deepEqual(await collect(kv.keys()), [], "an empty bucket has no keys");
    for (const k of ["a.1", "a.2", "a.3.x", "b.1", "c"]) await kv.put(k, k);
    await kv.put("a.1", "again");
    await kv.delete("a.2");
    await kv.put("gone", "x");
    await kv.purge("gone");
    const sorted = async (f?: string | string[]): Promise<string[]> => (await collect(kv.keys(f))).sort();
    assert.deepEqual(await sorted(), ["a.1", "a.3.x", "b.1", "c"]);
    assert.deepEqual(await sorted("a.*"), ["a.1"]);
    assert.deepEqual(await sorted("a.>"), ["a.1", "a.3.x"]);
    assert.deepEqual(await sorted(["b.*", "c"]), ["b.1", "c"]);
    assert.deepEqual(await sorted("*.1"), ["a.1", "b.1"]);
    assert.deepEqual(await sorted("zzz"), []);
    assert.deepEqual(await sorted(["zzz", "a.2"]), [], "a filter that only matches a deleted key");
  });

  it("keys never fetch values: a headers-only consumer, no gets", async () => {
    const kv = await bucket();
    await kv.put("k1", "x".repeat(100_000));
    await kv.put("k2", "y".repeat(100_000));
    const spy = await ApiSpy.on(nc);
    const before = nc.stats().inBytes;
    assert.deepEqual((await collect(kv.keys())).sort(), ["k1", "k2"]);
    await nc.flush();
    const cfgs = spy.consumerConfigs();
    spy.stop();
    assert.equal(cfgs.length, 1);
    assert.equal(cfgs[0]!.headers_only, true);
    assert.equal(cfgs[0]!.deliver_policy, "last_per_subject");
    assert.equal(spy.count("$JS.API.DIRECT.GET"), 0);
    assert.equal(spy.count("$JS.API.STREAM.MSG.GET"), 0);
    assert.ok(nc.stats().inBytes - before < 20_000, `no value came back (${nc.stats().inBytes - before} bytes in)`);
  });

  it("leaving a keys() loop early stops its consumer", async () => {
    const kv = await bucket();
    for (let i = 0; i < 20; i++) await kv.put(`k${i}`, "v");
    let n = 0;
    for await (const _k of kv.keys()) if (++n === 3) break;
    assert.equal(n, 3);
    let consumers = -1;
    for (let i = 0; i < 100 && consumers !== 0; i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 20));
      consumers = (await kv.status()).streamInfo.state.consumer_count;
    }
    assert.equal(consumers, 0, "the keys consumer was deleted");
  });

  it("purgeDeletes: history of deleted keys removed; young markers kept unless olderMillis <= 0", async () => {
    const kv = await bucket({ history: 10 });
    await kv.put("a", "1");
    await kv.put("a", "2");
    await kv.delete("a");
    await kv.put("b", "1");
    await kv.purge("b");
    await kv.put("live", "1");
    await kv.put("live", "2");
    assert.equal((await kv.status()).values, 6);
    await kv.purgeDeletes();
    // a: its two values gone, the young DEL marker kept; b: only its marker existed; live: untouched
    assert.deepEqual(lines((await collect(kv.history())).map(row)), ["a@3 DEL ", "b@5 PURGE ", "live@6 PUT 31", "live@7 PUT 32"]);
    await kv.purgeDeletes({ olderMillis: 1_000_000_000 });
    assert.equal((await kv.status()).values, 4, "markers younger than the threshold stay");
    await kv.purgeDeletes({ olderMillis: -1 });
    assert.deepEqual(lines((await collect(kv.history())).map(row)), ["live@6 PUT 31", "live@7 PUT 32"]);
    assert.equal(await kv.create("a", "back"), 8, "a purged-away key can be created again");
  });

  it("status: the bucket's numbers and settings (ttl and markerTTL in ms)", async () => {
    const kv = await bucket({ history: 4, ttl: 3_600_000, description: "stat", metadata: { team: "kv" }, compression: true, markerTTL: 5_000 });
    await kv.put("a", "12345");
    await kv.put("a", "67890");
    const s = await kv.status();
    assert.equal(s.bucket, kv.bucket);
    assert.equal(s.values, 2);
    assert.equal(s.history, 4);
    assert.equal(s.ttl, 3_600_000);
    assert.ok(s.bytes > 10);
    assert.equal(s.backingStore, "JetStream");
    assert.equal(s.storage, "memory");
    assert.equal(s.replicas, 1);
    assert.equal(s.description, "stat");
    assert.equal(s.metadata?.team, "kv");
    assert.equal(s.isCompressed, true);
    assert.equal(s.markerTTL, 5_000);
    assert.equal(s.streamInfo.config.name, `KV_${kv.bucket}`);
    const plain = await (await bucket()).status();
    assert.equal(plain.ttl, 0);
    assert.equal(plain.markerTTL, 0);
    assert.equal(plain.isCompressed, false);
  });

  it("destroy: the bucket is gone, a handle on it fails cleanly", async () => {
    const kv = await bucket();
    await kv.put("a", "1");
    assert.equal(await kv.destroy(), true);
    await failsWith(() => kvm.open(kv.bucket), "BUCKET_NOT_FOUND");
    const err = await kv.put("a", "2", {}).then(
      () => assert.fail("put into a destroyed bucket"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NoStreamResponseError, String(err));
    await assert.rejects(kv.get("a"), (e: unknown) => e instanceof JetStreamApiError, "get on a destroyed bucket");
    await assert.rejects(kv.status(), (e: unknown) => (e as { code?: string }).code === "STREAM_NOT_FOUND");
  });
});
