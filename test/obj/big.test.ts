// A 500 MiB object against a real nats-server (current, file storage in the server's temp dir):
// put from fs.createReadStream, get through ObjectResult.readable() piped into
// fs.createWriteStream; the bytes and SHA-256 are identical, the digest is nats.go's, and the
// process RSS (sampled throughout each transfer) grows by less than 100 MiB in either direction.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { type NatsConnection } from "../../src/index.js";
import { jetstreamManager } from "../../src/jetstream/index.js";
import { Objm, type ObjectStore } from "../../src/obj/node.js";
import { useServer } from "../support/fixtures.js";
import { MiB, rssSampler, uniqBucket } from "./helpers.js";

const SIZE_MIB = 500;
const CHUNK = 128 * 1024;
const RSS_LIMIT = 100 * MiB;

/** Writes `mib` MiB to `path` (one random MiB repeated, each copy stamped with its index); resolves to its SHA-256. */
function writeSource(path: string, mib: number): Buffer {
  const block = randomBytes(MiB);
  const hash = createHash("sha256");
  const fd = openSync(path, "w");
  try {
    for (let i = 0; i < mib; i++) {
      block.writeUInt32BE(i, 0);
      writeSync(fd, block);
      hash.update(block);
    }
  } finally {
    closeSync(fd);
  }
  return hash.digest();
}

async function fileSha256(path: string): Promise<Buffer> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path, { highWaterMark: MiB }), hash);
  return hash.digest();
}

const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;

describe("a 500 MiB object, file to file", () => {
  const srv = useServer({ server: { jetstream: { maxFile: "1536MB" } } });
  let nc: NatsConnection;
  let objm: Objm;
  let os: ObjectStore;
  let dir: string;
  before(async () => {
    nc = await srv.connect();
    objm = new Objm(nc);
    os = await objm.create(uniqBucket("big"), { storage: "file" });
    dir = mkdtempSync(join(tmpdir(), "tsnats-obj-big-"));
  });
  after(async () => {
    await objm.delete(os.bucket).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("same bytes and SHA-256 back; RSS grows by less than 100 MiB during the put and the get", async (t) => {
    const src = join(dir, "source.bin");
    const dst = join(dir, "copy.bin");
    const sha = writeSource(src, SIZE_MIB);
    const size = SIZE_MIB * MiB;
    const name = "big/500 MiB ✓.bin";

    const putBase = process.memoryUsage().rss;
    const putRss = rssSampler();
    const started = performance.now();
    const info = await os.put({ name }, createReadStream(src));
    const putMs = performance.now() - started;
    const putPeak = putRss.stop();
    assert.deepEqual(
      [info.size, info.chunks, info.digest],
      [size, size / CHUNK, `SHA-256=${sha.toString("base64").replace(/\+/g, "-").replace(/\//g, "_")}`],
    );
    const jsm = await jetstreamManager(nc);
    const chunkSubject = `$O.${os.bucket}.C.${info.nuid}`;
    const stored = (await jsm.streams.info(os.stream, { subjects_filter: chunkSubject })).state.subjects?.[chunkSubject];
    assert.equal(stored, size / CHUNK, "every chunk stored once");

    const getBase = process.memoryUsage().rss;
    const getRss = rssSampler();
    const got = performance.now();
    const r = (await os.get(name))!;
    await pipeline(r.readable(), createWriteStream(dst));
    const getMs = performance.now() - got;
    const getPeak = getRss.stop();
    assert.equal(await r.error, null);
    assert.equal(statSync(dst).size, size);
    assert.deepEqual(await fileSha256(dst), sha);

    t.diagnostic(`put: ${(size / MiB / (putMs / 1000)).toFixed(0)} MB/s, RSS ${mib(putBase)} -> peak ${mib(putPeak)} (+${mib(putPeak - putBase)})`);
    t.diagnostic(`get: ${(size / MiB / (getMs / 1000)).toFixed(0)} MB/s, RSS ${mib(getBase)} -> peak ${mib(getPeak)} (+${mib(getPeak - getBase)})`);
    assert.ok(putPeak - putBase < RSS_LIMIT, `RSS grew by ${mib(putPeak - putBase)} during the put`);
    assert.ok(getPeak - getBase < RSS_LIMIT, `RSS grew by ${mib(getPeak - getBase)} during the get`);
    rmSync(src);
    rmSync(dst);
  });
});
