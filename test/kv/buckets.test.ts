// Key-Value buckets against a real nats-server (current): the backing stream laid out as nats.go
// lays it out, create / update / createOrUpdate / open / delete / list / names, and what each bucket
// option does (history, ttl, max_bytes, maxValueSize, storage, replicas, description, republish,
// allow_direct, compression, metadata, markerTTL). Mirrors and sources: domains.test.ts.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { createInbox, type NatsConnection } from "../../src/index.js";
import { JetStreamApiError, type JetStreamManager } from "../../src/jetstream/index.js";
import { BucketExistsError, BucketNotFoundError, Kvm, type KvStatus } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { until } from "../support/helpers.js";
import { ApiSpy, collect, failsWith, uniq, userMeta } from "./helpers.js";

describe("KV buckets", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let kvm: Kvm;
  let jsm: JetStreamManager;
  before(async () => {
    nc = await srv.connect();
    kvm = new Kvm(nc);
    jsm = kvm.js.jetstreamManager();
  });

  it("the backing stream: KV_<bucket>, $KV.<bucket>.>, rollup, discard new, deny delete, direct", async () => {
    const b = uniq("LAYOUT");
    const kv = await kvm.create(b);
    assert.equal(kv.bucket, b);
    const c = (await jsm.streams.info(`KV_${b}`)).config;
    assert.equal(c.name, `KV_${b}`);
    assert.deepEqual(c.subjects, [`$KV.${b}.>`]);
    assert.equal(c.max_msgs_per_subject, 1);
    assert.equal(c.max_age, 0);
    assert.equal(c.duplicate_window, 120_000);
    assert.equal(c.max_bytes, -1);
    assert.equal(c.max_msg_size, -1);
    assert.equal(c.max_msgs, -1);
    assert.equal(c.max_consumers, -1);
    assert.equal(c.storage, "file");
    assert.equal(c.num_replicas, 1);
    assert.equal(c.retention, "limits");
    assert.equal(c.discard, "new");
    assert.equal(c.allow_rollup_hdrs, true);
    assert.equal(c.deny_delete, true);
    assert.equal(c.deny_purge, false);
    assert.equal(c.allow_direct, true);
    assert.ok(!c.mirror_direct);
    assert.ok(!c.allow_msg_ttl);
    assert.ok(!c.compression || c.compression === "none");
    // a TTL under two minutes is also the duplicate window
    const t = uniq("LAYOUT");
    await kvm.create(t, { ttl: 30_000 });
    const tc = (await jsm.streams.info(`KV_${t}`)).config;
    assert.equal(tc.max_age, 30_000);
    assert.equal(tc.duplicate_window, 30_000);
  });

  it("create: the same options again is fine, other options are BUCKET_EXISTS", async () => {
    const b = uniq("DUP");
    await kvm.create(b, { history: 3, storage: "memory" });
    const again = await kvm.create(b, { history: 3, storage: "memory" });
    await again.put("k", "v");
    const err = await failsWith<BucketExistsError>(() => kvm.create(b, { history: 4, storage: "memory" }), "BUCKET_EXISTS");
    assert.ok(err instanceof BucketExistsError);
    assert.ok(err.cause instanceof JetStreamApiError && err.cause.errCode === 10058, String(err.cause));
    assert.equal((await (await kvm.open(b)).status()).history, 3);
  });

  it("update and createOrUpdate change a bucket's options; update of a missing one is BUCKET_NOT_FOUND", async () => {
    const b = uniq("UPD");
    const kv = await kvm.create(b, { history: 2, storage: "memory" });
    for (let i = 1; i <= 4; i++) await kv.put("k", String(i));
    const up = await kvm.update(b, { history: 5, description: "more history", ttl: 3_600_000, storage: "memory" });
    const s = await up.status();
    assert.equal(s.history, 5);
    assert.equal(s.description, "more history");
    assert.equal(s.ttl, 3_600_000);
    assert.equal(s.values, 2, "what was dropped before stays dropped");
    for (let i = 5; i <= 9; i++) await up.put("k", String(i));
    assert.equal((await collect(up.history({ key: "k" }))).length, 5);
    const missing = uniq("NOPE");
    const err = await failsWith(() => kvm.update(missing, { history: 2 }), "BUCKET_NOT_FOUND");
    assert.ok(err instanceof BucketNotFoundError);
    // createOrUpdate: creates, then updates
    const c = uniq("COU");
    const k1 = await kvm.createOrUpdate(c, { history: 1, storage: "memory" });
    assert.equal((await k1.status()).history, 1);
    const k2 = await kvm.createOrUpdate(c, { history: 7, storage: "memory", description: "d" });
    assert.equal((await k2.status()).history, 7);
    assert.equal((await kvm.open(c)).bucket, c);
  });

  it("update replaces the options: what is not given goes back to its default (markerTTL stays on)", async () => {
    const b = uniq("REPL");
    await kvm.create(b, { history: 3, ttl: 60_000, description: "d", compression: true, metadata: { m: "1" }, republish: { src: `$KV.${b}.>`, dest: `re.${b}.>` }, markerTTL: 5_000 });
    const s = await (await kvm.update(b, { history: 2 })).status();
    assert.equal(s.history, 2);
    assert.equal(s.ttl, 0);
    assert.equal(s.description, undefined);
    assert.equal(s.isCompressed, false);
    assert.deepEqual(userMeta(s.metadata), {});
    assert.equal(s.streamInfo.config.republish, undefined);
    assert.equal(s.markerTTL, 5_000, "limit markers cannot be turned off");
    const back = await (await kvm.update(b, { history: 2, compression: true, description: "again", metadata: { m: "2" } })).status();
    assert.equal(back.isCompressed, true);
    assert.equal(back.description, "again");
    assert.deepEqual(userMeta(back.metadata), { m: "2" });
  });

  it("open binds to an existing bucket; a missing one is BUCKET_NOT_FOUND", async () => {
    const b = uniq("OPEN");
    const created = await kvm.create(b, { storage: "memory" });
    await created.put("k", "v");
    const opened = await kvm.open(b);
    assert.equal((await opened.get("k"))?.string(), "v");
    const err = await failsWith(() => kvm.open(uniq("MISSING")), "BUCKET_NOT_FOUND");
    assert.ok(err instanceof BucketNotFoundError);
    // another manager on the same connection, or on a JetStream context
    const viaJs = await new Kvm(kvm.js).open(b);
    assert.equal((await viaJs.get("k"))?.string(), "v");
  });

  it("delete removes the bucket; deleting a missing one is BUCKET_NOT_FOUND", async () => {
    const b = uniq("DEL");
    await kvm.create(b, { storage: "memory" });
    assert.equal(await kvm.delete(b), true);
    await failsWith(() => kvm.open(b), "BUCKET_NOT_FOUND");
    await failsWith(() => kvm.delete(b), "BUCKET_NOT_FOUND");
  });

  it("list yields KvStatus of every bucket and nothing else; names yields their names", async () => {
    const plain = uniq("NOTKV");
    await jsm.streams.add({ name: plain, subjects: [`${plain}.>`], storage: "memory" });
    const a = uniq("LA");
    const b = uniq("LB");
    await (await kvm.create(a, { storage: "memory", history: 2, description: "list me" })).put("x", "1");
    await kvm.create(b, { storage: "memory" });
    const names = await collect(kvm.names());
    assert.ok(names.includes(a) && names.includes(b), names.join());
    assert.ok(!names.includes(plain) && !names.some((n) => n.startsWith("KV_")), names.join());
    const list: KvStatus[] = await collect(kvm.list());
    assert.deepEqual(list.map((s) => s.bucket).sort(), [...names].sort());
    const sa = list.find((s) => s.bucket === a)!;
    assert.equal(sa.values, 1);
    assert.equal(sa.history, 2);
    assert.equal(sa.description, "list me");
    assert.equal(sa.backingStore, "JetStream");
    assert.equal(sa.streamInfo.config.name, `KV_${a}`);
  });

  it("history keeps that many values per key", async () => {
    const kv = await kvm.create(uniq("HIST"), { history: 3, storage: "memory" });
    for (let i = 1; i <= 6; i++) await kv.put("k", String(i));
    await kv.put("other", "x");
    assert.deepEqual((await collect(kv.history({ key: "k" }))).map((e) => e.string()), ["4", "5", "6"]);
    assert.equal((await kv.status()).values, 4);
  });

  it("ttl: values expire", async () => {
    const kv = await kvm.create(uniq("TTL"), { ttl: 1_000, storage: "memory" });
    await kv.put("k", "short-lived");
    assert.equal((await kv.get("k"))?.string(), "short-lived");
    let gone = false;
    const poll = (): void => void kv.get("k").then((e) => (gone = e === null));
    const t = setInterval(poll, 100);
    try {
      await until(() => gone, "the value to expire", 8_000);
    } finally {
      clearInterval(t);
    }
    assert.equal((await kv.status()).values, 0);
  });

  it("max_bytes and maxValueSize: writes over the limits are refused by the server", async () => {
    const kv = await kvm.create(uniq("LIM"), { max_bytes: 4096, maxValueSize: 1024, storage: "memory" });
    await kv.put("ok", new Uint8Array(900));
    const big = await failsWith<JetStreamApiError>(() => kv.put("big", new Uint8Array(2000)), "JETSTREAM_API");
    assert.match(big.description, /size/i);
    assert.equal(await kv.get("big"), null);
    let full: unknown;
    for (let i = 0; i < 10 && full === undefined; i++) await kv.put(`f${i}`, new Uint8Array(900)).catch((e: unknown) => (full = e));
    assert.ok(full instanceof JetStreamApiError, `the bucket filled up: ${String(full)}`);
    assert.match(full.description, /bytes|resources/i);
    const s = await kv.status();
    assert.ok(s.bytes <= 4096, String(s.bytes));
  });

  it("storage and replicas: memory or file; more replicas than a single server has is refused", async () => {
    const m = await (await kvm.create(uniq("MEM"), { storage: "memory", replicas: 1 })).status();
    assert.equal(m.storage, "memory");
    assert.equal(m.replicas, 1);
    const f = await (await kvm.create(uniq("FILE"), { storage: "file" })).status();
    assert.equal(f.storage, "file");
    const err = await failsWith<JetStreamApiError>(() => kvm.create(uniq("R3"), { replicas: 3 }), "JETSTREAM_API");
    assert.match(err.description, /replica/i);
  });

  it("description, metadata and compression are kept and reported by status", async () => {
    const kv = await kvm.create(uniq("META"), { description: "a described bucket", metadata: { owner: "team-a", tier: "gold" }, compression: true });
    await kv.put("k", "x".repeat(10_000));
    const s = await kv.status();
    assert.equal(s.description, "a described bucket");
    assert.deepEqual(userMeta(s.metadata), { owner: "team-a", tier: "gold" });
    assert.equal(s.isCompressed, true);
    assert.equal(s.streamInfo.config.compression, "s2");
    assert.equal((await kv.get("k"))?.string().length, 10_000);
  });

  it("republish: every change is also published on a core subject", async () => {
    const b = uniq("REPUB");
    const dest = createInbox("repub");
    const sub = nc.subscribe(`${dest}.>`);
    await nc.flush();
    const kv = await kvm.create(b, { storage: "memory", republish: { src: `$KV.${b}.>`, dest: `${dest}.>` } });
    await kv.put("k", "v");
    await kv.delete("k");
    const put = await sub.next({ timeout: 5_000 });
    const del = await sub.next({ timeout: 5_000 });
    assert.equal(put.subject, `${dest}.k`, "the wildcard maps the key");
    assert.equal(put.string(), "v");
    assert.equal(put.headers?.get("Nats-Sequence"), "1");
    assert.equal(put.headers?.get("Nats-Stream"), `KV_${b}`);
    assert.equal(del.headers?.get("KV-Operation"), "DEL");
    sub.unsubscribe();
    assert.deepEqual((await kv.status()).streamInfo.config.republish, { src: `$KV.${b}.>`, dest: `${dest}.>` });
  });

  it("allow_direct: false reads through the stream leader (STREAM.MSG.GET)", async () => {
    const kv = await kvm.create(uniq("NODIRECT"), { allow_direct: false, storage: "memory", history: 2 });
    assert.equal((await kv.status()).streamInfo.config.allow_direct, false);
    await kv.put("k", "a");
    await kv.put("k", "b");
    const spy = await ApiSpy.on(nc);
    assert.equal((await kv.get("k"))?.string(), "b");
    assert.equal((await kv.get("k", { revision: 1 }))?.string(), "a");
    await kv.delete("k");
    assert.equal(await kv.get("k"), null);
    await nc.flush();
    spy.stop();
    assert.equal(spy.count("$JS.API.DIRECT.GET"), 0);
    assert.equal(spy.count(`$JS.API.STREAM.MSG.GET.KV_${kv.bucket}`), 3);
  });

  it("markerTTL turns on per-message TTL and subject delete markers", async () => {
    const kv = await kvm.create(uniq("MARK"), { markerTTL: 2_000, storage: "memory" });
    const c = (await kv.status()).streamInfo.config;
    assert.equal(c.allow_msg_ttl, true);
    assert.equal(c.subject_delete_marker_ttl, 2_000);
    assert.equal((await kv.status()).markerTTL, 2_000);
  });
});
