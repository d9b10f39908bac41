// Objects against a real nats-server (current): every size (0 B, 1 B, one chunk, one chunk + 1,
// 1 MiB + 7) put from every kind of source and read back every way, byte for byte, with the
// digest, chunk count and stored JSON nats.go writes; chunk sizes; strings, blobs and files; info,
// list, delete and showDeleted; update and rename; headers and metadata; any UTF-8 name; failed and
// aborted puts cleaned up; the portable (browser) entry; bad names and options refused before
// anything is sent.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { headers, type NatsConnection } from "../../src/index.js";
import { jetstreamManager, type JetStreamManager } from "../../src/jetstream/index.js";
import { Objm, type ObjectStore, ObjectExistsError, ObjectNotFoundError } from "../../src/obj/node.js";
import { Objm as PortableObjm } from "../../src/obj/index.js";
import { encodeName } from "../../src/obj/encoding.js";
import { useServer } from "../support/fixtures.js";
import { failsWith, refusedLocally } from "../jetstream/helpers.js";
import { goDigest, readAll, sourceOf, SOURCE_KINDS, testBytes, uniqBucket } from "./helpers.js";

const CHUNK = 128 * 1024;
const SIZES = [0, 1, CHUNK, CHUNK + 1, 1024 * 1024 + 7];

describe("objects", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let os: ObjectStore;
  let dir: string;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    os = await new Objm(nc).create(uniqBucket());
    dir = mkdtempSync(join(tmpdir(), "tsnats-obj-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Chunk messages stored for an object (counted by the server). */
  async function storedChunks(nuid: string): Promise<number> {
    const subject = `$O.${os.bucket}.C.${nuid}`;
    const si = await jsm.streams.info(os.stream, { subjects_filter: subject });
    return si.state.subjects?.[subject] ?? 0;
  }

  for (const size of SIZES) {
    for (const kind of SOURCE_KINDS) {
      it(`${size} B from a ${kind}: same bytes back every way, Go's digest and chunk count`, async () => {
        const data = testBytes(size);
        const name = `sized/${size}/${kind}`;
        const info = await os.put({ name, description: "sized" }, sourceOf(kind, data));
        const chunks = Math.ceil(size / CHUNK);
        assert.deepEqual(
          [info.name, info.bucket, info.size, info.chunks, info.digest, info.deleted, info.description, info.options?.max_chunk_size],
          [name, os.bucket, size, chunks, goDigest(data), false, "sized", CHUNK],
        );
        assert.match(info.nuid, /^[A-Za-z0-9]{22}$/);
        assert.ok(info.revision > 0);
        assert.equal(await storedChunks(info.nuid), chunks);

        const r = (await os.get(name))!;
        assert.deepEqual([r.info.size, r.info.digest, r.info.revision], [size, info.digest, info.revision]);
        assert.deepEqual(Buffer.from(await readAll(r.data)), Buffer.from(data));
        assert.equal(await r.error, null);

        const viaNode = (await os.get(name))!;
        const parts: Buffer[] = [];
        await pipeline(viaNode.readable(), new Writable({ write: (c: Buffer, _e, cb) => (parts.push(c), cb()) }));
        assert.equal(viaNode.readable(), viaNode.readable());
        assert.deepEqual(Buffer.concat(parts), Buffer.from(data));
        assert.equal(await viaNode.error, null);

        assert.deepEqual(Buffer.from((await os.getBlob(name))!), Buffer.from(data));
      });
    }
  }

  it("stores the meta JSON as nats.go does, under the base64url name, with a subject rollup", async () => {
    const name = "json/check ✓";
    const info = await os.putString({ name, description: "d", metadata: { k: "v" }, headers: { "X-A": ["1", "2"] } }, "hello");
    const m = (await jsm.streams.getMessage(os.stream, { last_by_subj: `$O.${os.bucket}.M.${encodeName(name)}` }))!;
    assert.equal(m.headers?.get("Nats-Rollup"), "sub");
    assert.equal(m.seq, info.revision);
    assert.equal(m.string(), JSON.stringify({
      name,
      description: "d",
      headers: { "X-A": ["1", "2"] },
      metadata: { k: "v" },
      options: { max_chunk_size: CHUNK },
      bucket: os.bucket,
      nuid: info.nuid,
      size: 5,
      mtime: "0001-01-01T00:00:00Z",
      chunks: 1,
      digest: goDigest(new TextEncoder().encode("hello")),
    }));
    // the info read back takes its mtime from the message, not from the JSON
    const back = (await os.info(name))!;
    assert.equal(new Date(back.mtime).getTime(), m.time.getTime());
    assert.ok(Math.abs(new Date(back.mtime).getTime() - Date.now()) < 60_000);
  });

  it("chunk sizes: max_chunk_size is kept, and capped at the server's max_payload", async () => {
    const data = testBytes(10_001);
    const small = await os.putBlob({ name: "chunks/small", options: { max_chunk_size: 1000 } }, data);
    assert.deepEqual([small.chunks, small.options?.max_chunk_size], [11, 1000]);
    assert.equal(await storedChunks(small.nuid), 11);
    assert.deepEqual(Buffer.from((await os.getBlob("chunks/small"))!), Buffer.from(data));
    const maxPayload = nc.info!.max_payload;
    const big = testBytes(maxPayload + 5);
    const capped = await os.putBlob({ name: "chunks/capped", options: { max_chunk_size: maxPayload * 4 } }, big);
    assert.deepEqual([capped.chunks, capped.options?.max_chunk_size], [2, maxPayload]);
    assert.deepEqual(Buffer.from((await os.getBlob("chunks/capped"))!), Buffer.from(big));
  });

  it("strings, blobs and the bytes themselves as sources", async () => {
    await os.putString("s/utf8", "héllo wörld ✓ 日本");
    assert.equal(await os.getString("s/utf8"), "héllo wörld ✓ 日本");
    await os.putBlob("s/null", null);
    assert.equal((await os.getBlob("s/null"))!.length, 0);
    await os.put("s/bytes", testBytes(3000));
    assert.deepEqual(Buffer.from((await os.getBlob("s/bytes"))!), Buffer.from(testBytes(3000)));
    await os.put("s/iterable", [new Uint8Array([1, 2]), "ab", new Uint8Array([3])]);
    assert.deepEqual([...(await os.getBlob("s/iterable"))!], [1, 2, 97, 98, 3]);
    assert.equal(await os.getString("s/missing"), null);
    assert.equal(await os.getBlob("s/missing"), null);
    assert.equal(await os.get("s/missing"), null);
  });

  it("putFile and getFile stream files; getFile of a missing object writes nothing", async () => {
    const src = join(dir, "in.bin");
    const data = testBytes(3 * CHUNK + 100);
    writeFileSync(src, data);
    const info = await os.putFile("files/in.bin", src);
    assert.deepEqual([info.size, info.chunks, info.digest], [data.length, 4, goDigest(data)]);
    const out = join(dir, "out.bin");
    const got = await os.getFile("files/in.bin", out);
    assert.equal(got?.digest, info.digest);
    assert.deepEqual(readFileSync(out), Buffer.from(data));
    const none = join(dir, "none.bin");
    assert.equal(await os.getFile("files/missing", none), null);
    assert.equal(existsSync(none), false);
    const noDir = await os.getFile("files/in.bin", join(dir, "no-such-dir", "out.bin")).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    assert.equal(noDir?.code, "ENOENT", "a file that cannot be written fails the get (and ends the read)");
    const err = await os.putFile("files/x", join(dir, "does-not-exist")).then(() => undefined, (e: NodeJS.ErrnoException) => e);
    assert.equal(err?.code, "ENOENT");
    assert.equal(await os.info("files/x"), null);
  });

  it("info, list, delete and showDeleted", async () => {
    const b = await new Objm(nc).create(uniqBucket());
    assert.deepEqual(await b.list(), []);
    const a = await b.putString("a", "aaa");
    await b.putString("b", "bbb");
    assert.deepEqual((await b.list()).map((i) => i.name).sort(), ["a", "b"]);
    assert.equal(await b.delete("a"), true);
    assert.equal(await b.delete("a"), false);
    assert.equal(await b.info("a"), null);
    assert.equal(await b.get("a"), null);
    const deleted = (await b.info("a", { showDeleted: true }))!;
    assert.deepEqual([deleted.deleted, deleted.size, deleted.chunks, deleted.digest, deleted.nuid], [true, 0, 0, "", a.nuid]);
    const r = (await b.get("a", { showDeleted: true }))!;
    assert.equal(r.info.deleted, true);
    assert.equal((await readAll(r.data)).length, 0);
    assert.equal(await r.error, null);
    assert.deepEqual((await b.list()).map((i) => i.name), ["b"]);
    assert.deepEqual((await b.list({ showDeleted: true })).map((i) => [i.name, i.deleted]).sort(), [["a", true], ["b", false]]);
    const subject = `$O.${b.bucket}.C.${a.nuid}`;
    const si = await jsm.streams.info(b.stream, { subjects_filter: subject });
    assert.equal(si.state.subjects?.[subject] ?? 0, 0, "the chunks of a deleted object are purged");
    const e = await failsWith<ObjectNotFoundError>(() => b.delete("never"), "OBJECT_NOT_FOUND");
    assert.equal(e.object, "never");
    // put again over a deleted object
    await b.putString("a", "again");
    assert.equal(await b.getString("a"), "again");
  });

  it("replacing an object purges the old chunks once the new one is stored", async () => {
    const first = await os.putBlob("replace/me", testBytes(5 * CHUNK));
    const second = await os.putBlob("replace/me", testBytes(2 * CHUNK + 1, 3));
    assert.notEqual(first.nuid, second.nuid);
    assert.equal(await storedChunks(first.nuid), 0);
    assert.equal(await storedChunks(second.nuid), 3);
    assert.deepEqual(Buffer.from((await os.getBlob("replace/me"))!), Buffer.from(testBytes(2 * CHUNK + 1, 3)));
  });

  it("update: description, headers and metadata; rename; the other fields stay", async () => {
    const orig = await os.putString({ name: "upd/a", description: "one", metadata: { a: "1" } }, "payload");
    const h = headers();
    h.append("X-New", "v1");
    h.append("X-New", "v2");
    const u = await os.update("upd/a", { description: "two", headers: h });
    assert.deepEqual([u.description, u.metadata, u.headers.values("X-New"), u.digest, u.nuid, u.size], ["two", { a: "1" }, ["v1", "v2"], orig.digest, orig.nuid, 7]);
    const i = (await os.info("upd/a"))!;
    assert.deepEqual([i.description, i.metadata, i.headers.values("X-New")], ["two", { a: "1" }, ["v1", "v2"]]);
    await os.update("upd/a", { metadata: {} });
    assert.deepEqual((await os.info("upd/a"))!.metadata, {});

    const renamed = await os.update("upd/a", { name: "upd/b ✓" });
    assert.equal(renamed.name, "upd/b ✓");
    assert.equal(await os.info("upd/a", { showDeleted: true }), null, "the old meta subject is purged");
    assert.equal(await os.getString("upd/b ✓"), "payload");

    await os.putString("upd/c", "c");
    const clash = await failsWith<ObjectExistsError>(() => os.update("upd/b ✓", { name: "upd/c" }), "OBJECT_EXISTS");
    assert.equal(clash.object, "upd/c");
    await failsWith(() => os.update("upd/none", { description: "x" }), "OBJECT_NOT_FOUND");
    await os.delete("upd/c");
    await failsWith(() => os.update("upd/c", { description: "x" }), "OBJECT_NOT_FOUND");
    // renaming onto a deleted object's name is fine
    await os.update("upd/b ✓", { name: "upd/c" });
    assert.equal(await os.getString("upd/c"), "payload");
    await refusedLocally(nc, () => os.update("upd/c", { options: { max_chunk_size: 5 } } as never), "update options");
  });

  it("headers and metadata are kept with the object, as MsgHdrs or as a record", async () => {
    const h = headers();
    h.set("Content-Type", "text/plain");
    h.append("X-Multi", "a");
    h.append("X-Multi", "b");
    await os.putString({ name: "hdr/1", headers: h, metadata: { owner: "me", "x-y": "z" } }, "x");
    const i = (await os.info("hdr/1"))!;
    assert.deepEqual([i.headers.get("Content-Type"), i.headers.values("X-Multi"), i.metadata], ["text/plain", ["a", "b"], { owner: "me", "x-y": "z" }]);
    await os.putString({ name: "hdr/2", headers: { "X-R": ["1"] } }, "y");
    assert.equal((await os.info("hdr/2"))!.headers.get("X-R"), "1");
    assert.equal((await os.info("hdr/2"))!.description, "");
    for (const bad of [{ "Bad Key": ["v"] }, { "X-CR": ["a\r\nb"] }, { "X:colon": ["v"] }, { "X-N": [1] }]) {
      await refusedLocally(nc, () => os.putString({ name: "hdr/bad", headers: bad as never }, "z"), `headers ${JSON.stringify(bad)}`);
    }
  });

  it("names: any UTF-8, '/' and spaces included, in the meta subject as nats.go encodes them", async () => {
    for (const name of ["plain", "dir/sub/file.txt", "日本語 ファイル.txt", "emoji 🚀 ✓", "a=b?c&d", "with.dots.", "-", " leading space", "tab\there", "\u0000nul"]) {
      const info = await os.putString(name, `content of ${name}`);
      assert.equal(info.name, name);
      assert.equal(await os.getString(name), `content of ${name}`, name);
      const token = Buffer.from(name).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
      const m = await jsm.streams.getMessage(os.stream, { last_by_subj: `$O.${os.bucket}.M.${token}` });
      assert.equal(m?.json<{ name: string }>().name, name, name);
    }
  });

  it("a put whose source fails, or that is aborted, rejects and leaves no chunk behind", async () => {
    const b = await new Objm(nc).create(uniqBucket());
    const data = testBytes(2 * 1024 * 1024);
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, 1024 * 1024);
      throw new Error("disk on fire");
    }
    await assert.rejects(b.put("fails", failing()), /disk on fire/);
    const ac = new AbortController();
    async function* slow(): AsyncGenerator<Uint8Array> {
      yield data.subarray(0, 1024 * 1024);
      ac.abort(new Error("user gave up"));
      yield data.subarray(1024 * 1024);
    }
    await assert.rejects(b.put("aborted", slow(), { signal: ac.signal }), /user gave up/);
    await assert.rejects(b.putString("pre-aborted", "x", { signal: AbortSignal.abort(new Error("too late")) }), /too late/);
    const st = await jsm.streams.info(b.stream);
    assert.deepEqual([st.state.messages, await b.list()], [0, []], "no chunk and no info stored");
  });

  it("calls take { timeout, signal }: an aborted signal rejects with its reason", async () => {
    await os.putString("call/opts", "x");
    const reason = new Error("not any more");
    await assert.rejects(os.info("call/opts", { signal: AbortSignal.abort(reason) }), (e) => e === reason);
    await assert.rejects(os.delete("call/opts", { signal: AbortSignal.abort(reason) }), (e) => e === reason);
    await assert.rejects(os.get("call/opts", { signal: AbortSignal.abort(reason) }), (e) => e === reason);
    assert.equal((await os.info("call/opts", { timeout: 5_000, showDeleted: false }))?.size, 1);
    assert.equal(await os.delete("call/opts", { timeout: 5_000 }), true);
    assert.equal((await os.status({ timeout: 5_000 })).bucket, os.bucket);
  });

  it("the portable entry (the browser's: SHA-256 in TypeScript, web streams) writes and reads the same objects", async () => {
    const portable = await new PortableObjm(nc).open(os.bucket);
    const data = testBytes(1024 * 1024 + 7, 77);
    const info = await portable.put({ name: "portable/bin" }, sourceOf("web stream", data));
    assert.equal(info.digest, goDigest(data));
    assert.deepEqual(Buffer.from((await os.getBlob("portable/bin"))!), Buffer.from(data));
    const r = (await portable.get("portable/bin"))!;
    assert.deepEqual(Buffer.from(await readAll(r.data)), Buffer.from(data));
    assert.equal(await r.error, null);
    await failsWith(() => portable.putFile("x", join(dir, "in.bin")), "NOT_SUPPORTED", "putFile without Node");
    await failsWith(() => portable.getFile("portable/bin", join(dir, "x.bin")), "NOT_SUPPORTED", "getFile without Node");
    const r2 = (await portable.get("portable/bin"))!;
    assert.throws(() => r2.readable(), (e: Error) => (e as { code?: string }).code === "NOT_SUPPORTED");
    await r2.data.cancel();
  });

  it("refuses bad names, metas, sources and options before anything is sent", async () => {
    for (const name of ["", ".", "..", "....", "\uD800", "a\uDC00b", "x".repeat(2049), "é".repeat(1025), undefined, 5]) {
      const what = JSON.stringify(name)?.slice(0, 20);
      await refusedLocally(nc, () => os.putString(name as string, "x"), `put ${what}`);
      await refusedLocally(nc, () => os.get(name as string), `get ${what}`);
      await refusedLocally(nc, () => os.info(name as string), `info ${what}`);
      await refusedLocally(nc, () => os.delete(name as string), `delete ${what}`);
    }
    await os.putString("x".repeat(2048), "the longest name"); // the limit itself is fine
    await refusedLocally(nc, () => os.put({ name: "a", options: { link: { bucket: "b", name: "c" } } }, "x"), "put with a link");
    await refusedLocally(nc, () => os.put({ name: "a", options: { max_chunk_size: 0 } }, "x"), "chunk size 0");
    await refusedLocally(nc, () => os.put({ name: "a", options: { max_chunk_size: 1.5 } }, "x"), "chunk size 1.5");
    await refusedLocally(nc, () => os.put({ name: "a", bogus: 1 } as never, "x"), "unknown meta field");
    await refusedLocally(nc, () => os.put({ name: "a", metadata: { a: 1 } } as never, "x"), "metadata not strings");
    await refusedLocally(nc, () => os.put("a", null as never), "no source");
    await refusedLocally(nc, () => os.put("a", 42 as never), "a number as source");
    await refusedLocally(nc, () => os.putString("a", "x", { timeout: -1 }), "negative timeout");
    await refusedLocally(nc, () => os.putString("a", "x", { retries: 1 } as never), "unknown put option");
    await refusedLocally(nc, () => os.get("a", { showDeleted: "yes" } as never), "showDeleted not boolean");
    await refusedLocally(nc, () => os.list({ all: true } as never), "unknown list option");
    await refusedLocally(nc, () => os.watch({ includeHistory: true, updatesOnly: true }), "history and updates only");
    await refusedLocally(nc, () => os.putBlob("a", "text" as never), "putBlob of a string");
    for (const [what, call] of [
      ["info", (o: never) => os.info("a", o)],
      ["delete", (o: never) => os.delete("a", o)],
      ["update", (o: never) => os.update("a", { description: "x" }, o)],
      ["status", (o: never) => os.status(o)],
      ["seal", (o: never) => os.seal(o)],
      ["destroy", (o: never) => os.destroy(o)],
    ] as const) {
      await refusedLocally(nc, () => call({ timeout: -5 } as never), `${what} with a negative timeout`);
      await refusedLocally(nc, () => call({ retries: 2 } as never), `${what} with an unknown option`);
      await refusedLocally(nc, () => call({ signal: "stop" } as never), `${what} with a signal that is not one`);
    }
  });
});
