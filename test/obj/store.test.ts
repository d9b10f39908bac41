// Object store buckets against a real nats-server (current): the stream a bucket is (as nats.go
// configures it), create options (ttl in ms, storage, max bytes, description, compression,
// metadata), create/open/delete/list/names with their errors, status, seal (puts refused after it),
// destroy, and local refusal of bad bucket names and options before anything is sent.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { type NatsConnection } from "../../src/index.js";
import { jetstream, jetstreamManager, JetStreamApiError, type JetStreamManager } from "../../src/jetstream/index.js";
import { Objm, ObjectStore, BucketExistsError, BucketNotFoundError } from "../../src/obj/node.js";
import { useServer } from "../support/fixtures.js";
import { collect, failsWith, refusedLocally } from "../jetstream/helpers.js";
import { uniqBucket } from "./helpers.js";

describe("object store buckets", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let objm: Objm;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    objm = new Objm(nc);
  });

  it("a bucket is the stream OBJ_<bucket> configured as nats.go does", async () => {
    const b = uniqBucket();
    const os = await objm.create(b);
    assert.ok(os instanceof ObjectStore);
    assert.equal(os.bucket, b);
    const c = (await jsm.streams.info(`OBJ_${b}`)).config;
    assert.deepEqual(c.subjects, [`$O.${b}.C.>`, `$O.${b}.M.>`]);
    assert.deepEqual(
      [c.discard, c.allow_rollup_hdrs, c.allow_direct, c.max_bytes, c.max_age, c.storage, c.num_replicas, c.sealed ?? false],
      ["new", true, true, -1, 0, "file", 1, false],
    );
    const st = await os.status();
    assert.deepEqual(
      [st.bucket, st.description, st.ttl, st.storage, st.replicas, st.sealed, st.backingStore, st.compression, st.metadata],
      [b, "", 0, "file", 1, false, "JetStream", false, {}],
    );
    assert.equal(st.size, 0);
    assert.equal(st.streamInfo.config.name, `OBJ_${b}`);
  });

  it("create options: description, ttl (ms), max_bytes, memory storage, compression, metadata", async () => {
    const b = uniqBucket();
    const os = await objm.create(b, { description: "things", ttl: 90_000, max_bytes: 10 * 1024 * 1024, storage: "memory", replicas: 1, compression: true, metadata: { owner: "infra" } });
    const st = await os.status();
    assert.deepEqual(
      [st.description, st.ttl, st.storage, st.compression, st.metadata, st.streamInfo.config.max_bytes],
      ["things", 90_000, "memory", true, { owner: "infra" }, 10 * 1024 * 1024],
    );
    assert.equal(st.streamInfo.config.compression, "s2");
    // the limit holds: a put larger than max_bytes is refused, and leaves nothing behind
    await failsWith(() => os.putBlob("big", new Uint8Array(11 * 1024 * 1024)), "JETSTREAM_API", "put over max_bytes");
    assert.equal((await os.status()).size, 0);
    assert.equal(await os.info("big"), null);
  });

  it("create twice with the same config opens it; with another config BUCKET_EXISTS", async () => {
    const b = uniqBucket();
    await objm.create(b, { description: "one" });
    const again = await objm.create(b, { description: "one" });
    assert.equal(again.bucket, b);
    const err = await failsWith(() => objm.create(b, { description: "two" }), "BUCKET_EXISTS");
    assert.ok(err instanceof BucketExistsError);
    assert.equal((await again.status()).description, "one");
  });

  it("open, delete, and BUCKET_NOT_FOUND for a missing bucket", async () => {
    const b = uniqBucket();
    await failsWith(() => objm.open(b), "BUCKET_NOT_FOUND");
    await objm.create(b);
    const os = await objm.open(b);
    await os.putString("x", "hello");
    assert.equal(await (await objm.open(b)).getString("x"), "hello");
    assert.equal(await objm.delete(b), true);
    const gone = await failsWith<BucketNotFoundError>(() => objm.open(b), "BUCKET_NOT_FOUND");
    assert.equal(gone.bucket, b);
    await failsWith(() => objm.delete(b), "BUCKET_NOT_FOUND");
    // a store whose bucket went away says so
    await failsWith(() => os.info("x"), "BUCKET_NOT_FOUND");
    await failsWith(() => os.status(), "BUCKET_NOT_FOUND");
    await failsWith(() => os.putString("y", "z"), "BUCKET_NOT_FOUND");
  });

  it("list and names give the object stores only", async () => {
    const a = uniqBucket("lista");
    const b = uniqBucket("listb");
    await objm.create(a, { description: "A" });
    await objm.create(b);
    await jsm.streams.add({ name: uniqBucket("NOTOBJ"), subjects: [`${uniqBucket("notobj")}.>`] });
    const names = await collect(objm.names());
    assert.ok(names.includes(a) && names.includes(b), names.join(","));
    assert.ok(names.every((n) => !n.startsWith("NOTOBJ")));
    const list = await collect(objm.list());
    assert.deepEqual(list.map((s) => s.bucket).sort(), names.sort());
    assert.equal(list.find((s) => s.bucket === a)?.description, "A");
  });

  it("seal: puts, deletes and updates are refused after it, reads still work", async () => {
    const os = await objm.create(uniqBucket());
    await os.putString("kept", "before the seal");
    const st = await os.seal();
    assert.equal(st.sealed, true);
    assert.equal((await os.status()).sealed, true);
    const e = await failsWith<JetStreamApiError>(() => os.putString("new", "after the seal"), "JETSTREAM_API", "put after seal");
    assert.ok(e instanceof JetStreamApiError);
    await failsWith(() => os.putBlob("empty", null), "JETSTREAM_API", "empty put after seal");
    await failsWith(() => os.delete("kept"), "JETSTREAM_API", "delete after seal");
    await failsWith(() => os.update("kept", { description: "x" }), "JETSTREAM_API", "update after seal");
    assert.equal(await os.getString("kept"), "before the seal");
    assert.deepEqual((await os.list()).map((i) => i.name), ["kept"]);
  });

  it("destroy removes the bucket", async () => {
    const b = uniqBucket();
    const os = await objm.create(b);
    assert.equal(await os.destroy(), true);
    assert.ok(!(await collect(objm.names())).includes(b));
    await failsWith(() => os.destroy(), "BUCKET_NOT_FOUND");
  });

  it("an Objm made from a JetStream context uses it", async () => {
    const js = jetstream(nc, { timeout: 3_000 });
    const o = new Objm(js);
    const os = await o.create(uniqBucket());
    await os.putString("a", "b");
    assert.equal(await os.getString("a"), "b");
    assert.throws(() => new Objm(js, { timeout: 1 }), (e: Error) => (e as { code?: string }).code === "INVALID_ARGUMENT");
  });

  it("refuses bad bucket names and options before anything is sent", async () => {
    for (const bad of ["", "a.b", "a b", "a*", "a>", "é", "a/b", "x".repeat(252), undefined, 7]) {
      await refusedLocally(nc, () => objm.create(bad as string), `create ${JSON.stringify(bad)}`);
      await refusedLocally(nc, () => objm.open(bad as string), `open ${JSON.stringify(bad)}`);
      await refusedLocally(nc, () => objm.delete(bad as string), `delete ${JSON.stringify(bad)}`);
    }
    const b = uniqBucket();
    for (const opts of [
      { ttl: -1 },
      { ttl: "1h" },
      { storage: "disk" },
      { replicas: 0 },
      { replicas: 1.5 },
      { max_bytes: 0 },
      { compression: "yes" },
      { metadata: { a: 1 } },
      { description: 5 },
      { history: 3 },
    ]) {
      await refusedLocally(nc, () => objm.create(b, opts as never), `create ${JSON.stringify(opts)}`);
    }
    assert.ok(!(await collect(objm.names())).includes(b));
  });
});
