// Key-Value topologies against real servers (current): a bucket used through another JetStream
// domain (a leaf node's client reaching the hub's domain), a mirror bucket in the leaf's domain that
// answers reads (even with the hub gone) while its writes go to the origin, a local mirror and an
// aggregate of source buckets, and a bucket with three replicas on a cluster.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect, type NatsConnection } from "../../src/index.js";
import { Kvm, type Bucket } from "../../src/kv/index.js";
import { useCluster, useServer } from "../support/fixtures.js";
import { NatsLeafPair } from "../support/server.js";
import { ApiSpy, collect, eventually, lines, Recorder, row, uniq } from "./helpers.js";


describe("KV across JetStream domains (leaf node)", () => {
  let pair: NatsLeafPair;
  const conns: NatsConnection[] = [];
  let leafNc: NatsConnection;
  let hubNc: NatsConnection;
  before(async () => {
    pair = await NatsLeafPair.start();
    leafNc = await connect({ servers: pair.leaf.url });
    hubNc = await connect({ servers: pair.hub.url });
    conns.push(leafNc, hubNc);
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    await pair.stop();
  });

  it("a client of the leaf uses a bucket of the hub's domain: every operation", async () => {
    const kvm = new Kvm(leafNc, { domain: "hub" });
    const b = uniq("HUB");
    const spy = await ApiSpy.on(hubNc, "$JS.API.>");
    const kv = await kvm.create(b, { history: 5, storage: "memory" });
    const w = new Recorder(kv.watch());
    await w.watcher.initialized;
    assert.equal(await kv.put("a", "1"), 1);
    assert.equal(await kv.create("b", "2"), 2);
    assert.equal(await kv.update("a", "3", 1), 3);
    await kv.delete("b");
    assert.equal(await kv.create("b", "back"), 5);
    await kv.purge("b");
    assert.equal((await kv.get("a"))?.string(), "3");
    assert.equal((await kv.get("a", { revision: 1 }))?.string(), "1");
    assert.equal(await kv.get("b"), null);
    assert.deepEqual(await collect(kv.keys()), ["a"]);
    assert.deepEqual(lines((await collect(kv.history())).map(row)), ["a@1 PUT 31", "a@3 PUT 33", "b@6 PURGE "]);
    await w.count(6);
    assert.deepEqual(w.revisions(), [1, 2, 3, 4, 5, 6]);
    const s = await kv.status();
    assert.equal(s.values, 3);
    assert.ok((await collect(kvm.names())).includes(b));
    await w.stop();
    await hubNc.flush();
    spy.stop();
    assert.ok(spy.count(`$JS.API.STREAM.CREATE.KV_${b}`) === 1, "the hub's JetStream made the bucket");
    // the hub's own clients see the same bucket, in the hub's domain
    const onHub = await new Kvm(hubNc).open(b);
    assert.equal((await onHub.get("a"))?.string(), "3");
    // and the leaf's own domain has no such bucket
    await assert.rejects(new Kvm(leafNc).open(b), (e: unknown) => (e as { code?: string }).code === "BUCKET_NOT_FOUND");
    assert.equal(await kvm.delete(b), true);
  });

  it("a mirror in the leaf's domain of a hub bucket: reads and watches locally, writes to the origin, answers with the hub gone", async () => {
    const origin = uniq("ORIGIN");
    const hubKv = await new Kvm(hubNc).create(origin, { history: 3, storage: "file" });
    await hubKv.put("x", "1");
    await hubKv.put("y", "2");
    await hubKv.delete("y");
    const mirrorName = uniq("MIRROR");
    const leafKvm = new Kvm(leafNc);
    const mirror = await leafKvm.create(mirrorName, { mirror: { name: origin, domain: "hub" }, storage: "file", history: 3 });
    const mc = (await mirror.status()).streamInfo.config;
    assert.equal(mc.mirror?.name, `KV_${origin}`);
    assert.equal(mc.mirror?.external?.api, "$JS.hub.API");
    assert.equal(mc.mirror_direct, true);
    assert.equal(mc.subjects, undefined);
    await eventually(async () => (await mirror.status()).values === 3, "the mirror to catch up");
    assert.equal((await mirror.get("x"))?.string(), "1");
    assert.equal(await mirror.get("y"), null);
    assert.equal((await mirror.get("x"))?.key, "x", "keys are the origin's keys");
    assert.deepEqual(await collect(mirror.keys()), ["x"]);
    const w = new Recorder(mirror.watch());
    await w.watcher.initialized;
    assert.deepEqual(lines(w.entries.map(row)), ["x@1 PUT 31", "y@3 DEL "]);
    // a write through the mirror goes to the origin (through the hub's API prefix), then comes back
    const rev = await mirror.put("z", "3");
    assert.equal(rev, 4, "the origin's revision");
    assert.equal((await hubKv.get("z"))?.string(), "3");
    await w.seen((e) => e.key === "z", "the write mirrored back");
    await w.stop();
    // the mirror keeps answering reads with the hub gone
    await pair.hub.kill();
    assert.equal((await mirror.get("z"))?.string(), "3");
    assert.deepEqual((await collect(mirror.keys())).sort(), ["x", "z"]);
    assert.deepEqual((await collect(mirror.history({ key: "x" }))).map((e) => e.string()), ["1"]);
    await pair.hub.restart();
  });
});

describe("KV mirrors and sources on one server", () => {
  const srv = useServer({ server: { jetstream: true } });
  let kvm: Kvm;
  before(async () => {
    kvm = new Kvm(await srv.connect());
  });

  it("a local mirror: the origin's keys, read-only replica semantics, writes reach the origin", async () => {
    const origin = await kvm.create(uniq("LORIGIN"), { storage: "memory", history: 2 });
    await origin.put("a", "1");
    await origin.put("a", "2");
    const m = await kvm.create(uniq("LMIRROR"), { mirror: { name: `KV_${origin.bucket}` }, storage: "memory", history: 2 });
    assert.equal((await m.status()).streamInfo.config.mirror?.name, `KV_${origin.bucket}`, "a KV_ prefix is kept, not doubled");
    await eventually(async () => (await m.get("a"))?.string() === "2", "the mirror to catch up");
    assert.equal((await m.get("a", { revision: 1 }))?.string(), "1");
    await m.put("b", "from the mirror handle");
    // a direct get on the origin's subjects may be answered by the mirror (mirror_direct), which
    // can be a moment behind: the write reached the origin once a get sees it
    await eventually(async () => (await origin.get("b"))?.string() === "from the mirror handle", "the origin to answer with b");
    await eventually(async () => (await m.get("b")) !== null, "the mirror to get b");
    // the open()ed mirror behaves the same
    const reopened = await kvm.open(m.bucket);
    assert.deepEqual((await collect(reopened.keys())).sort(), ["a", "b"]);
  });

  it("an aggregate of source buckets: their keys under the aggregate's name", async () => {
    const s1 = await kvm.create(uniq("SRC"), { storage: "memory" });
    const s2 = await kvm.create(uniq("SRC"), { storage: "memory" });
    await s1.put("one", "1");
    await s2.put("two", "2");
    await s2.delete("two");
    await s2.put("three", "3");
    const agg = await kvm.create(uniq("AGG"), { sources: [{ name: s1.bucket }, { name: `KV_${s2.bucket}` }], storage: "memory" });
    const cfg = (await agg.status()).streamInfo.config;
    assert.deepEqual(
      cfg.sources?.map((s) => [s.name, s.subject_transforms]),
      [
        [`KV_${s1.bucket}`, [{ src: `$KV.${s1.bucket}.>`, dest: `$KV.${agg.bucket}.>` }]],
        [`KV_${s2.bucket}`, [{ src: `$KV.${s2.bucket}.>`, dest: `$KV.${agg.bucket}.>` }]],
      ],
    );
    assert.deepEqual(cfg.subjects, [`$KV.${agg.bucket}.>`]);
    await eventually(async () => (await agg.status()).values === 3, "the sources to arrive");
    assert.deepEqual((await collect(agg.keys())).sort(), ["one", "three"]);
    assert.equal((await agg.get("three"))?.string(), "3");
    assert.equal(await agg.get("two"), null, "the delete marker came along");
    await agg.put("own", "x");
    assert.equal((await agg.get("own"))?.string(), "x");
    assert.equal(await s1.get("own"), null);
  });
});

describe("KV with three replicas (cluster)", () => {
  const cluster = useCluster({ size: 3, server: { jetstream: true } });
  let kv: Bucket;
  let nc: NatsConnection;
  before(async () => {
    nc = await cluster.connect({ servers: cluster.servers.map((s) => s.url) });
    const kvm = new Kvm(nc);
    await eventually(async () => (await kvm.js.jetstreamManager().getAccountInfo()) !== undefined, "JetStream to be ready", 20_000);
    let made: Bucket | undefined;
    await eventually(async () => (made = await kvm.create(uniq("R3"), { replicas: 3, history: 2 })) !== undefined, "the R3 bucket", 20_000);
    kv = made!;
  });

  it("replicas: 3 — the bucket has three replicas and works", async () => {
    const s = await kv.status();
    assert.equal(s.replicas, 3);
    assert.equal(s.streamInfo.cluster?.replicas?.length, 2);
    await kv.put("k", "1");
    await kv.put("k", "2");
    assert.equal((await kv.get("k"))?.string(), "2");
    assert.deepEqual((await collect(kv.history({ key: "k" }))).map((e) => e.string()), ["1", "2"]);
    await assert.rejects(kv.create("k", "x"), (e: unknown) => (e as { code?: string }).code === "KEY_EXISTS");
  });
});
