// Key-Value on older servers. "oldest" (nats-server 2.9.10): what KV needs from 2.10/2.11 — markerTTL,
// per-key TTL, purge TTL, compression, metadata, several key filters, sources of another bucket
// (subject transforms) — is refused with FEATURE_NOT_SUPPORTED before anything is sent and nothing
// is created, while everything else works (create after delete, CAS, watch with initialized, keys,
// history, purgeDeletes, the bucket's own ttl). "mid" (2.11.x): limit markers and per-key TTL work.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import { Kvm, type Bucket } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { until } from "../support/helpers.js";
import { collect, failsWith, lines, Recorder, row, uniq, unsupported, userMeta } from "./helpers.js";

describe('KV on "oldest" (nats-server 2.9.10)', () => {
  const srv = useServer({ server: { jetstream: true, version: "oldest" } });
  let nc: NatsConnection;
  let kvm: Kvm;
  let kv: Bucket;
  before(async () => {
    nc = await srv.connect();
    assert.equal(nc.info?.version, "2.9.10");
    kvm = new Kvm(nc);
    kv = await kvm.create(uniq("OLD"), { history: 5, storage: "memory" });
  });

  it("refuses markerTTL, compression and metadata on create and update, creating nothing", async () => {
    const before = await collect(kvm.names());
    const b = uniq("OLDNEW");
    const e1 = await unsupported(nc, () => kvm.create(b, { markerTTL: 5_000 }), "2.11.0", "create markerTTL");
    assert.match(e1.message, /markerTTL/);
    await unsupported(nc, () => kvm.createOrUpdate(b, { markerTTL: 5_000 }), "2.11.0", "createOrUpdate markerTTL");
    await unsupported(nc, () => kvm.update(kv.bucket, { history: 5, storage: "memory", markerTTL: 5_000 }), "2.11.0", "update markerTTL");
    assert.match((await unsupported(nc, () => kvm.create(b, { compression: true }), "2.10.0", "compression")).message, /compression/);
    assert.match((await unsupported(nc, () => kvm.create(b, { metadata: { a: "b" } }), "2.10.0", "metadata")).message, /metadata/);
    await unsupported(nc, () => kvm.create(b, { sources: [{ name: kv.bucket }] }), "2.10.0", "a source bucket of another name (transforms)");
    assert.deepEqual(await collect(kvm.names()), before, "nothing was created");
    assert.equal((await kv.status()).markerTTL, 0);
  });

  it("refuses a per-key TTL, a purge TTL and several key filters, sending nothing", async () => {
    const e = await unsupported(nc, () => kv.create("ttl", "v", { ttl: 5_000 }), "2.11.0", "create with ttl");
    assert.match(e.message, /TTL/);
    await unsupported(nc, () => kv.purge("ttl", { ttl: 5_000 }), "2.11.0", "purge with ttl");
    await unsupported(nc, () => kv.watch({ key: ["a", "b"] }), "2.10.0", "watch several keys");
    await unsupported(nc, () => kv.keys(["a", "b"]), "2.10.0", "keys with several filters");
    await unsupported(nc, () => kv.history({ key: ["a", "b"] }), "2.10.0", "history of several keys");
    assert.equal(await kv.get("ttl"), null);
    // a bad ttl is still a bad argument first
    await failsWith(() => kv.create("ttl", "v", { ttl: 5 }), "INVALID_ARGUMENT");
  });

  it("everything else works: entries, create after delete and purge, CAS, history, keys, purgeDeletes", async () => {
    const k = await kvm.create(uniq("OLDOK"), { history: 5, storage: "memory", description: "2.9" });
    assert.equal(await k.put("a", "1"), 1);
    assert.equal(await k.create("b", "2"), 2);
    await failsWith(() => k.create("b", "x"), "KEY_EXISTS");
    assert.equal(await k.update("a", "3", 1), 3);
    await failsWith(() => k.update("a", "x", 1), "WRONG_LAST_SEQUENCE");
    await k.delete("b");
    assert.equal(await k.get("b"), null);
    assert.equal(await k.create("b", "back"), 5);
    await k.purge("b");
    assert.equal(await k.create("b", "again"), 7);
    assert.equal((await k.get("a", { revision: 1 }))?.string(), "1");
    assert.equal((await k.get("a"))?.string(), "3");
    assert.deepEqual(lines((await collect(k.history({ key: "b" }))).map(row)), ["b@6 PURGE ", "b@7 PUT 616761696e"]);
    assert.deepEqual((await collect(k.keys())).sort(), ["a", "b"]);
    assert.deepEqual(await collect(k.keys("b")), ["b"]);
    await k.delete("a");
    await k.purgeDeletes({ olderMillis: -1 });
    assert.deepEqual((await collect(k.history())).map((e) => e.key), ["b", "b"]);
    const s = await k.status();
    assert.equal(s.description, "2.9");
    assert.equal(s.history, 5);
    assert.equal(s.isCompressed, false);
    assert.deepEqual(userMeta(s.metadata), {});
    assert.ok((await collect(kvm.names())).includes(k.bucket));
    const up = await (await kvm.update(k.bucket, { history: 7, storage: "memory" })).status();
    assert.equal(up.history, 7);
    assert.equal(up.description, undefined, "update replaces the options");
    assert.equal((await (await kvm.createOrUpdate(k.bucket, { history: 8, storage: "memory" })).status()).history, 8);
  });

  it("watch: initial values, initialized once (also for an empty match), then changes", async () => {
    const k = await kvm.create(uniq("OLDW"), { storage: "memory" });
    const empty = new Recorder(k.watch());
    await empty.watcher.initialized;
    await k.put("a", "1");
    await k.put("b", "2");
    await k.delete("a");
    const r = new Recorder(k.watch({ key: "*" }));
    await r.watcher.initialized;
    await until(() => r.atInit !== undefined, "initialized");
    assert.equal(r.atInit, 2);
    const live = new Recorder(k.watch({ ignoreDeletes: true, key: "b" }));
    await live.watcher.initialized;
    await k.put("b", "3");
    await r.count(3);
    await empty.count(4);
    await live.count(2);
    assert.deepEqual(lines(r.entries.map(row)), ["b@2 PUT 32", "a@3 DEL ", "b@4 PUT 33"]);
    await Promise.all([r.stop(), empty.stop(), live.stop()]);
  });

  it("the bucket's own ttl (max_age) works", async () => {
    const k = await kvm.create(uniq("OLDTTL"), { storage: "memory", ttl: 1_000 });
    await k.put("a", "1");
    let gone = false;
    const t = setInterval(() => void k.get("a").then((e) => (gone = e === null)), 100);
    try {
      await until(() => gone, "the value to expire", 8_000);
    } finally {
      clearInterval(t);
    }
  });
});

describe('KV on "mid" (nats-server 2.11.x)', () => {
  const srv = useServer({ server: { jetstream: true, version: "mid" } });
  let nc: NatsConnection;
  let kvm: Kvm;
  before(async () => {
    nc = await srv.connect();
    assert.match(nc.info?.version ?? "", /^2\.11\./);
    kvm = new Kvm(nc);
  });

  it("markerTTL, per-key TTL and limit markers work; watchers see the MaxAge marker", async () => {
    const kv = await kvm.create(uniq("MID"), { markerTTL: 1_000, history: 3, storage: "memory", compression: true, metadata: { v: "2.11" } });
    const s = await kv.status();
    assert.equal(s.markerTTL, 1_000);
    assert.equal(s.isCompressed, true);
    assert.equal(userMeta(s.metadata).v, "2.11");
    const w = new Recorder(kv.watch({ key: ["short", "long"] }));
    await w.watcher.initialized;
    const r1 = await kv.create("short", "v", { ttl: 1_000 });
    await kv.put("long", "stays");
    const m = await w.seen((e) => e.key === "short" && e.operation === "PURGE", "the MaxAge marker", 10_000);
    assert.equal(m.markerReason, "MaxAge");
    assert.ok(m.revision > r1);
    assert.equal(await kv.get("short"), null);
    assert.ok((await kv.create("short", "again")) > m.revision);
    const rp = await kv.purge("long", { ttl: 1_000 });
    await w.seen((e) => e.revision === rp, "the purge");
    assert.deepEqual(await collect(kv.keys(["short", "long"])), ["short"]);
    await w.stop();
  });
});
