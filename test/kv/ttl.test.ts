// Per-key TTL and limit markers (markerTTL) against a real nats-server (current): a key created
// with a TTL expires and watchers see a PURGE entry with the marker reason `MaxAge`; so do keys
// expired by the bucket's own TTL; a purge with a TTL leaves a marker that goes away by itself; the
// markers themselves expire after markerTTL; `get` says null and `create` works on an expired key.
// Older servers: versions.test.ts.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import { JetStreamApiError } from "../../src/jetstream/index.js";
import { Kvm } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { collect, eventually, failsWith, lines, Recorder, row, uniq } from "./helpers.js";


describe("KV TTL and limit markers", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let kvm: Kvm;
  before(async () => {
    nc = await srv.connect();
    kvm = new Kvm(nc);
  });

  it("create with a ttl: the key expires, watchers see a MaxAge PURGE, the marker expires too", async () => {
    const kv = await kvm.create(uniq("KTTL"), { markerTTL: 1_000, history: 5, storage: "memory" });
    const all = new Recorder(kv.watch({ include: "allHistory" }));
    const live = new Recorder(kv.watch({ ignoreDeletes: true }));
    await Promise.all([all.watcher.initialized, live.watcher.initialized]);
    const r1 = await kv.create("short", "gone soon", { ttl: 1_000 });
    const r2 = await kv.put("stays", "here");
    const stored = await kvm.js.jetstreamManager().streams.getMessage(`KV_${kv.bucket}`, { seq: r1 });
    assert.equal(stored?.headers?.get("Nats-TTL"), "1s");

    const marker = await all.seen((e) => e.key === "short" && e.operation !== "PUT", "the limit marker", 10_000);
    assert.equal(marker.operation, "PURGE");
    assert.equal(marker.markerReason, "MaxAge");
    assert.ok(marker.revision > r2);
    assert.equal(marker.value.length, 0);
    assert.equal(await kv.get("short"), null);
    assert.equal((await kv.get("stays"))?.string(), "here");
    assert.deepEqual((await collect(kv.keys())).sort(), ["stays"]);
    assert.deepEqual(live.entries.map((e) => e.key), ["short", "stays"], "ignoreDeletes skips limit markers");

    // the marker itself lives markerTTL, then the key has no history at all
    await eventually(async () => (await collect(kv.history({ key: "short" }))).length === 0, "the marker to expire");
    const again = await kv.create("short", "back");
    assert.ok(again > marker.revision);
    await all.seen((e) => e.revision === again, "the new value");
    assert.deepEqual(lines(all.entries.map(row)), [`short@${r1} PUT ${Buffer.from("gone soon").toString("hex")}`, `stays@${r2} PUT ${Buffer.from("here").toString("hex")}`, `short@${marker.revision} PURGE `, `short@${again} PUT ${Buffer.from("back").toString("hex")}`]);
    await Promise.all([all.stop(), live.stop()]);
  });

  it("create on a key whose limit marker is still there works, with or without a ttl", async () => {
    const kv = await kvm.create(uniq("KTTL"), { markerTTL: 60_000, storage: "memory" });
    await kv.create("k", "v1", { ttl: 1_000 });
    await eventually(async () => (await collect(kv.history({ key: "k" })))[0]?.markerReason === "MaxAge", "the MaxAge marker");
    await failsWith(() => kv.update("k", "x", 1), "WRONG_LAST_SEQUENCE");
    const rev = await kv.create("k", "v2", { ttl: 60_000 });
    assert.equal((await kv.get("k"))?.revision, rev);
    await failsWith(() => kv.create("k", "v3", { ttl: 60_000 }), "KEY_EXISTS");
  });

  it("the bucket's ttl with markerTTL: expired values leave MaxAge markers for watchers", async () => {
    const kv = await kvm.create(uniq("BTTL"), { ttl: 1_000, markerTTL: 1_000, storage: "memory" });
    const w = new Recorder(kv.watch());
    await w.watcher.initialized;
    await kv.put("a", "1");
    await kv.put("b", "2");
    await w.count(4, "two puts and two markers", 10_000);
    assert.deepEqual(w.entries.map((e) => `${e.key} ${e.operation} ${e.markerReason ?? ""}`).sort(), ["a PURGE MaxAge", "a PUT ", "b PURGE MaxAge", "b PUT "]);
    await w.stop();
  });

  it("purge with a ttl: the PURGE marker removes the history, then goes away by itself", async () => {
    const kv = await kvm.create(uniq("PTTL"), { markerTTL: 1_000, history: 5, storage: "memory" });
    await kv.put("p", "1");
    await kv.put("p", "2");
    const w = new Recorder(kv.watch({ key: "p" }));
    await w.watcher.initialized;
    const rp = await kv.purge("p", { ttl: 1_000 });
    const m = await kvm.js.jetstreamManager().streams.getMessage(`KV_${kv.bucket}`, { seq: rp });
    assert.equal(m?.headers?.get("Nats-TTL"), "1s");
    assert.equal(m?.headers?.get("KV-Operation"), "PURGE");
    await eventually(async () => (await kv.status()).values === 0, "the purge marker to expire");
    await w.seen((e) => e.revision === rp, "the purge");
    assert.deepEqual(lines(w.entries.map(row)), ["p@2 PUT 32", `p@${rp} PURGE `]);
    await w.stop();
  });

  it("a per-key ttl on a bucket without markerTTL is refused by the server (per-message TTL off)", async () => {
    const kv = await kvm.create(uniq("NOMARK"), { storage: "memory" });
    const err = await failsWith<JetStreamApiError>(() => kv.create("k", "v", { ttl: 5_000 }), "JETSTREAM_API");
    assert.ok(err instanceof JetStreamApiError && err.errCode === 10166, err.message);
    assert.equal(await kv.get("k"), null);
    await failsWith(() => kv.purge("k", { ttl: 5_000 }), "JETSTREAM_API");
    // markers can be turned on later: the update enables per-key TTLs
    await kvm.update(kv.bucket, { storage: "memory", markerTTL: 2_000 });
    assert.ok((await kv.create("k", "v", { ttl: 5_000 })) > 0);
    assert.equal((await kv.status()).markerTTL, 2_000);
  });
});
