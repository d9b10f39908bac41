// Object store interop with the official clients, against a real nats-server (current): for every
// size (0 B, 1 B, one chunk, one chunk + 1, 1 MiB + 7) and chunk size (default, 64 KiB, 1000 B),
// under names with '/', an object put by any of tsnats, nats.js and nats.go is read back byte for
// byte by the two others, and all three write the same digest string and the same number of chunks
// for the same bytes. Non-ASCII names (encoded from their UTF-8 bytes, as nats.go does) work
// between tsnats and nats.go; nats.js v3 cannot encode them (it base64s the name's UTF-16 code units
// as Latin-1), so its legs use ASCII names, and a test pins that limitation. Metadata, headers and
// links written by one client mean the same to the others, and a deleted object is gone for all.
//
//   nats.js: @nats-io/transport-node + @nats-io/obj (v3, devDependencies), in this process.
//   nats.go: test/go-obj (nats.go v1.55), built by test/support/go_client.ts and run once per
//            operation; when Go or the module proxy is missing these cases fail saying why.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as natsJsConnect, type NatsConnection as NatsJsConnection } from "@nats-io/transport-node";
import { Objm as NatsJsObjm, type ObjectStore as NatsJsObjectStore } from "@nats-io/obj";
import { type NatsConnection } from "../../src/index.js";
import { Objm, type ObjectStore } from "../../src/obj/node.js";
import { useServer } from "../support/fixtures.js";
import { goProgram, type GoProgram } from "../support/go_client.js";
import { goDigest, MiB, readAll, testBytes, uniqBucket } from "./helpers.js";

const CHUNK = 128 * 1024;

/** An ObjectInfo as nats.go prints it (its JSON form). */
interface GoInfo {
  name: string;
  description?: string;
  headers?: Record<string, string[]>;
  metadata?: Record<string, string>;
  options?: { max_chunk_size?: number; link?: { bucket: string; name?: string } };
  bucket: string;
  nuid: string;
  size: number;
  mtime: string;
  chunks: number;
  digest?: string;
  deleted?: boolean;
}

/** Each case under a non-ASCII name (tsnats and nats.go) and an ASCII one with '/' (for nats.js, see below). */
const CASES: { label: string; size: number; chunk?: number; name: string; ascii: string }[] = [
  { label: "0 B", size: 0, name: "空/empty ✓", ascii: "empty/zero bytes.bin" },
  { label: "1 B", size: 1, name: "one/byte é", ascii: "one/byte" },
  { label: "one chunk", size: CHUNK, name: "dir/sub/日本語 ファイル.bin", ascii: "dir/sub/one chunk.bin" },
  { label: "one chunk + 1", size: CHUNK + 1, name: "emoji/🚀 rocket.bin", ascii: "dir/sub/one chunk+1.bin" },
  { label: "1 MiB + 7", size: MiB + 7, name: "a/b/c/ümlaut ñ Ω.dat", ascii: "a/b/c/1MiB+7.dat" },
  { label: "1 MiB + 7 in 64 KiB chunks", size: MiB + 7, chunk: 64 * 1024, name: "chunks/64k/ß", ascii: "chunks/64k/x" },
  { label: "10,001 B in 1000 B chunks", size: 10_001, chunk: 1000, name: "chunks/1000/ä/ö/ü", ascii: "chunks/1000/x=y?z" },
];

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

describe("object store interop with nats.js and nats.go", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsNc: NatsJsConnection;
  let go: GoProgram;
  let os: ObjectStore;
  let jsOs: NatsJsObjectStore;
  let dir: string;
  before(async () => {
    nc = await srv.connect();
    os = await new Objm(nc).create(uniqBucket("interop"));
    jsNc = await natsJsConnect({ servers: srv.url, name: "interop-natsjs-obj" });
    jsOs = await new NatsJsObjm(jsNc).open(os.bucket);
    dir = mkdtempSync(join(tmpdir(), "tsnats-obj-interop-"));
    go = await goProgram("go-obj", "objinterop");
  });
  after(async () => {
    await jsNc?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** nats.go's Put of `data` under `name` (chunk 0: its default). */
  async function goPut(name: string, data: Uint8Array, chunk = 0): Promise<GoInfo> {
    const file = join(dir, "go-put.bin");
    writeFileSync(file, data);
    const [info] = await go.run<GoInfo>(["objput", srv.url, os.bucket, b64(name), file, String(chunk)]);
    return info!;
  }

  /** nats.go's Get of `name`: the bytes, its info, and what reading returned ("" when the digest matched). */
  async function goGet(name: string): Promise<{ data: Buffer; info: GoInfo; error: string }> {
    const file = join(dir, "go-get.bin");
    const [r] = await go.run<{ info: GoInfo; error: string }>(["objget", srv.url, os.bucket, b64(name), file]);
    return { data: readFileSync(file), info: r!.info, error: r!.error };
  }

  async function goInfo(name: string): Promise<GoInfo | { not_found: true }> {
    const [r] = await go.run<GoInfo | { not_found: true }>(["objinfo", srv.url, os.bucket, b64(name)]);
    return r!;
  }

  async function jsGet(name: string): Promise<Buffer> {
    const r = await jsOs.get(name);
    assert.ok(r, `nats.js finds '${name}'`);
    const data = Buffer.from(await readAll(r.data));
    assert.equal((await r.error) ?? null, null, "nats.js verified the digest (its error resolves to undefined on success)");
    return data;
  }

  async function tsGet(name: string): Promise<Buffer> {
    const r = (await os.get(name))!;
    assert.ok(r, `tsnats finds '${name}'`);
    const data = Buffer.from(await readAll(r.data));
    assert.equal(await r.error, null, "tsnats verified the digest");
    return data;
  }

  for (const c of CASES) {
    it(`${c.label}: put by each client, read by the two others, the same digest and chunk count`, async () => {
      const data = Buffer.from(testBytes(c.size, c.size + 17));
      const chunk = c.chunk ?? CHUNK;
      const chunks = Math.ceil(c.size / chunk);
      const digest = goDigest(data);
      const options = c.chunk ? { max_chunk_size: c.chunk } : undefined;
      const meta = (name: string): { name: string; options?: { max_chunk_size: number } } => ({ name, ...(options ? { options } : {}) });

      // tsnats → nats.go (the non-ASCII name) and nats.js (an ASCII one)
      const ts = await os.put(meta(`ts/${c.name}`), data);
      assert.deepEqual([ts.digest, ts.chunks], [digest, chunks]);
      const fromGo = await goGet(`ts/${c.name}`);
      assert.equal(fromGo.error, "", "nats.go verified the digest");
      assert.ok(fromGo.data.equals(data), "nats.go read tsnats' bytes");
      assert.deepEqual(
        [fromGo.info.name, fromGo.info.size, fromGo.info.chunks, fromGo.info.digest, fromGo.info.nuid, fromGo.info.options?.max_chunk_size],
        [`ts/${c.name}`, c.size, chunks, digest, ts.nuid, chunk],
      );
      const tsAscii = await os.put(meta(`ts/${c.ascii}`), data);
      assert.ok((await jsGet(`ts/${c.ascii}`)).equals(data), "nats.js read tsnats' bytes");
      assert.deepEqual([(await jsOs.info(`ts/${c.ascii}`))?.digest, (await jsOs.info(`ts/${c.ascii}`))?.chunks], [tsAscii.digest, chunks]);

      // nats.go → tsnats and nats.js
      const g = await goPut(`go/${c.name}`, data, c.chunk ?? 0);
      assert.deepEqual([g.digest, g.chunks, g.size], [digest, chunks, c.size], "nats.go's digest string and chunk count are tsnats'");
      const gi = (await os.info(`go/${c.name}`))!;
      assert.deepEqual([gi.name, gi.digest, gi.chunks, gi.nuid, gi.options?.max_chunk_size], [`go/${c.name}`, digest, chunks, g.nuid, chunk]);
      assert.ok(!Number.isNaN(Date.parse(gi.mtime)) && !gi.mtime.startsWith("0001"), `mtime from the message, not Go's zero time: ${gi.mtime}`);
      assert.ok((await tsGet(`go/${c.name}`)).equals(data), "tsnats read nats.go's bytes");
      await goPut(`go/${c.ascii}`, data, c.chunk ?? 0);
      assert.ok((await jsGet(`go/${c.ascii}`)).equals(data), "nats.js read nats.go's bytes");

      // nats.js → tsnats and nats.go
      const j = await jsOs.putBlob(meta(`js/${c.ascii}`), data);
      assert.deepEqual([j.digest, j.chunks], [digest, chunks], "nats.js's digest string and chunk count are tsnats'");
      assert.ok((await tsGet(`js/${c.ascii}`)).equals(data), "tsnats read nats.js's bytes");
      const jsFromGo = await goGet(`js/${c.ascii}`);
      assert.equal(jsFromGo.error, "");
      assert.ok(jsFromGo.data.equals(data), "nats.go read nats.js's bytes");
    });
  }

  it("non-ASCII names: tsnats and nats.go agree (UTF-8); nats.js v3 cannot encode them (it base64s Latin-1 code units)", async () => {
    // nats.js builds the meta subject with btoa(name): it throws for any character above U+00FF, and
    // puts U+0080..U+00FF on another subject than nats.go's, so only ASCII names interoperate with it
    await assert.rejects(jsOs.putBlob({ name: "日本語" }, new Uint8Array(1)), /character|Latin1|range/i);
    await os.putString("名前/ファイル ✓", "utf-8 name");
    const g = await goGet("名前/ファイル ✓");
    assert.deepEqual([g.data.toString(), g.error, g.info.name], ["utf-8 name", "", "名前/ファイル ✓"]);
  });

  it("description, headers and metadata written by tsnats are nats.go's and nats.js's", async () => {
    const name = "meta/with meta";
    await os.putString({ name, description: "described", headers: { "X-Multi": ["a", "b"], "Content-Type": ["text/plain"] }, metadata: { owner: "tsnats", "k-2": "v ✓" } }, "with meta");
    const g = (await goInfo(name)) as GoInfo;
    assert.deepEqual([g.description, g.headers, g.metadata], ["described", { "X-Multi": ["a", "b"], "Content-Type": ["text/plain"] }, { owner: "tsnats", "k-2": "v ✓" }]);
    const j = (await jsOs.info(name))!;
    assert.deepEqual([j.description, j.metadata, j.headers?.values("X-Multi")], ["described", { owner: "tsnats", "k-2": "v ✓" }, ["a", "b"]]);
  });

  it("links written by one client are followed by the others; deletes are seen by all", async () => {
    const target = await os.putString("links/target", "the target");
    await os.link("links/from tsnats", target);
    const viaGo = await goGet("links/from tsnats");
    assert.deepEqual([viaGo.data.toString(), viaGo.error], ["the target", ""]);
    assert.equal((await jsGet("links/from tsnats")).toString(), "the target");

    const jsTarget = (await jsOs.info("links/target"))!;
    await jsOs.link("links/from nats.js", jsTarget);
    assert.equal(await os.getString("links/from nats.js"), "the target");
    assert.deepEqual((await os.info("links/from nats.js"))!.options?.link, { bucket: os.bucket, name: "links/target" });

    await os.delete("links/target");
    assert.deepEqual(await goInfo("links/target"), { not_found: true });
    assert.equal(await jsOs.get("links/target"), null);
    await goPut("go/deleted", new TextEncoder().encode("x"));
    await jsOs.delete("go/deleted");
    assert.equal(await os.info("go/deleted"), null);
    assert.equal((await os.info("go/deleted", { showDeleted: true }))?.deleted, true);
  });
});
