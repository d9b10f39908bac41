// The object store on the oldest server (nats-server 2.9.10): everything ADR-20 needs works there
// (objects of every size, links, rename, watch, list, delete, seal), while the bucket options that
// need 2.10 (compression, metadata) are refused with FEATURE_NOT_SUPPORTED before anything is sent
// and leave no bucket behind. The same options work on the current server (store.test.ts).
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { type NatsConnection } from "../../src/index.js";
import { FeatureNotSupportedError, JetStreamApiError } from "../../src/jetstream/index.js";
import { Objm } from "../../src/obj/node.js";
import { useServer } from "../support/fixtures.js";
import { collect, failsWith, unsupported } from "../jetstream/helpers.js";
import { goDigest, readAll, testBytes, uniqBucket } from "./helpers.js";

const CHUNK = 128 * 1024;

describe("object store on nats-server 2.9.10 (oldest)", () => {
  const srv = useServer({ server: { version: "oldest", jetstream: true } });
  let nc: NatsConnection;
  let objm: Objm;
  before(async () => {
    nc = await srv.connect();
    objm = new Objm(nc);
    assert.match(nc.info!.version, /^2\.9\./, "this suite needs the oldest server");
  });

  it("compression and metadata are refused before anything is sent; no bucket is created", async () => {
    const b = uniqBucket();
    const c = await unsupported(nc, () => objm.create(b, { compression: true }), "2.10.0", "compression");
    assert.ok(c instanceof FeatureNotSupportedError);
    assert.match(c.message, /compression/);
    const m = await unsupported(nc, () => objm.create(b, { metadata: { owner: "infra" } }), "2.10.0", "metadata");
    assert.match(m.message, /metadata/);
    assert.ok(!(await collect(objm.names())).includes(b));
    await failsWith(() => objm.open(b), "BUCKET_NOT_FOUND");
  });

  it("a plain bucket: the same layout, and objects of every size with Go's digest", async () => {
    const os = await objm.create(uniqBucket(), { description: "old", ttl: 60_000 });
    const st = await os.status();
    assert.deepEqual([st.description, st.ttl, st.compression, st.metadata, st.sealed], ["old", 60_000, false, {}, false]);
    const cfg = st.streamInfo.config;
    assert.deepEqual([cfg.discard, cfg.allow_rollup_hdrs, cfg.allow_direct], ["new", true, true]);
    for (const size of [0, 1, CHUNK, CHUNK + 1, 1024 * 1024 + 7]) {
      const data = testBytes(size);
      const info = await os.put({ name: `old/${size} ✓`, metadata: { size: String(size) } }, data);
      assert.deepEqual([info.size, info.chunks, info.digest], [size, Math.ceil(size / CHUNK), goDigest(data)]);
      const r = (await os.get(`old/${size} ✓`))!;
      assert.deepEqual(Buffer.from(await readAll(r.data)), Buffer.from(data), `size ${size}`);
      assert.equal(await r.error, null);
      assert.deepEqual((await os.info(`old/${size} ✓`))!.metadata, { size: String(size) });
    }
  });

  it("links, rename, delete, list and watch work", async () => {
    const os = await objm.create(uniqBucket());
    const other = await objm.create(uniqBucket("other"));
    const t = await os.putString("target", "hello");
    await os.link("link", t);
    assert.equal(await os.getString("link"), "hello");
    const far = await other.putString("far", "from the other bucket");
    await os.link("far-link", far);
    assert.equal(await os.getString("far-link"), "from the other bucket");
    await os.linkStore("bucket-link", other);
    assert.equal((await os.info("bucket-link"))!.isLink(), true);

    await os.update("target", { name: "renamed", description: "moved" });
    assert.equal(await os.info("target"), null);
    assert.equal(await os.getString("renamed"), "hello");
    assert.equal((await os.info("renamed"))!.description, "moved");

    const w = await os.watch();
    const it = w[Symbol.asyncIterator]();
    const initial: string[] = [];
    for (let i = 0; i < 4; i++) initial.push((await it.next()).value!.name);
    await w.initialized;
    assert.deepEqual(initial.sort(), ["bucket-link", "far-link", "link", "renamed"]);
    await os.delete("renamed");
    const del = (await it.next()).value!;
    assert.deepEqual([del.name, del.deleted, del.isUpdate], ["renamed", true, true]);
    await w.stop();
    assert.deepEqual((await os.list()).map((i) => i.name).sort(), ["bucket-link", "far-link", "link"]);
    assert.equal(await os.get("link"), null, "a link to a deleted object reads as missing");
  });

  it("seal: puts refused after it, reads still work", async () => {
    const os = await objm.create(uniqBucket());
    await os.putString("kept", "before");
    assert.equal((await os.seal()).sealed, true);
    const e = await failsWith<JetStreamApiError>(() => os.putString("new", "after"), "JETSTREAM_API", "put after seal");
    assert.ok(e instanceof JetStreamApiError);
    assert.equal(await os.getString("kept"), "before");
  });
});
