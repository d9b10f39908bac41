// Reading objects against a real nats-server (current, file storage): readers that pause (200 ms
// every MiB, and once for longer than a pull lives) still get every byte; the get recovers when its
// consumer is deleted, when the server restarts, and when heartbeats stop while the server is
// frozen; a stored digest that does not match (or cannot be read), missing chunks, a cancelled
// reader and an aborted get end with the error on ObjectResult.error (and on the stream).
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { headers, type NatsConnection } from "../../src/index.js";
import { jetstream, jetstreamManager, type JetStreamManager } from "../../src/jetstream/index.js";
import { Objm, DigestMismatchError, type ObjectStore } from "../../src/obj/node.js";
import { encodeName } from "../../src/obj/encoding.js";
import { restartAndReconnect, useServer } from "../support/fixtures.js";
import { poll } from "../support/ports.js";
import { collect, failsWith } from "../jetstream/helpers.js";
import { drain, MiB, readAll, sleep, testBytes, uniqBucket } from "./helpers.js";

/** The `code` of an error (NatsError and Node errors have one). */
const codeOf = (e: Error | null): unknown => (e as { code?: unknown } | null)?.code;

/** Reads a web stream to its end, calling `atMiB(n)` (awaited) each time the n-th MiB has been read. */
async function readPausing(stream: ReadableStream<Uint8Array>, atMiB: (n: number) => Promise<void>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  let total = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) return Buffer.concat(parts);
    parts.push(r.value);
    const before = Math.floor(total / MiB);
    total += r.value.length;
    for (let n = before + 1; n <= Math.floor(total / MiB); n++) await atMiB(n);
  }
}

/** A Node Writable that keeps what it is given and pauses `ms` each time another MiB has come. */
function pausingSink(ms: number, parts: Buffer[]): Writable {
  let total = 0;
  return new Writable({
    highWaterMark: 64 * 1024,
    write(c: Buffer, _e, cb) {
      parts.push(c);
      const crossed = Math.floor((total + c.length) / MiB) > Math.floor(total / MiB);
      total += c.length;
      if (crossed) setTimeout(cb, ms);
      else cb();
    },
  });
}

describe("reading objects", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let os: ObjectStore;
  let dir: string;
  const twenty = testBytes(20 * MiB, 20);
  const eight = testBytes(8 * MiB, 8);
  before(async () => {
    nc = await srv.connect({ maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    jsm = await jetstreamManager(nc);
    os = await new Objm(nc).create(uniqBucket("read"));
    await os.putBlob("twenty", twenty);
    await os.putBlob("eight", eight);
    dir = mkdtempSync(join(tmpdir(), "tsnats-obj-read-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** The consumers reading from the bucket's stream right now. */
  const consumers = (): Promise<string[]> => collect(jsm.consumers.names(os.stream));

  it("20 MiB with readers that pause 200 ms every MiB (a web stream and a Node pipeline at once)", { timeout: 60_000 }, async () => {
    const web = (await os.get("twenty"))!;
    const node = (await os.get("twenty"))!;
    const parts: Buffer[] = [];
    const [bytes] = await Promise.all([readPausing(web.data, () => sleep(200)), pipeline(node.readable(), pausingSink(200, parts))]);
    assert.ok(bytes.equals(twenty), "web stream bytes");
    assert.ok(Buffer.concat(parts).equals(twenty), "Node pipeline bytes");
    assert.deepEqual([await web.error, await node.error], [null, null]);
    await poll(async () => ((await consumers()).length === 0 ? true : undefined), 10_000, () => "the readers' consumers are deleted at the end");
  });

  it("a reader that stops for longer than a pull lives (11 s) resumes and gets every byte", { timeout: 60_000 }, async () => {
    const r = (await os.get("eight"))!;
    const bytes = await readPausing(r.data, (n) => (n === 2 ? sleep(11_000) : Promise.resolve()));
    assert.ok(bytes.equals(eight));
    assert.equal(await r.error, null);
  });

  it("the get recovers when its consumer is deleted while the reader pauses", { timeout: 60_000 }, async () => {
    const r = (await os.get("eight"))!;
    let deleted: string[] = [];
    const bytes = await readPausing(r.data, async (n) => {
      if (n !== 1) return;
      deleted = await consumers();
      for (const c of deleted) await jsm.consumers.delete(os.stream, c);
    });
    assert.equal(deleted.length, 1, "the reader had one consumer");
    assert.ok(bytes.equals(eight));
    assert.equal(await r.error, null);
  });

  it("the get recovers when the server restarts in the middle", { timeout: 60_000 }, async () => {
    const r = (await os.get("eight"))!;
    const bytes = await readPausing(r.data, async (n) => {
      if (n === 2) await restartAndReconnect(srv.server, nc);
    });
    assert.ok(bytes.equals(eight));
    assert.equal(await r.error, null);
  });

  it("the get recovers from missed heartbeats while the server is frozen (16 s)", { timeout: 90_000 }, async () => {
    const r = (await os.get("twenty"))!;
    let before: string[] = [];
    let after: string[] = [];
    let thawed: Promise<void> = Promise.resolve();
    const bytes = await readPausing(r.data, async (n) => {
      if (n === 1) {
        before = await consumers();
        // the reader goes on: it drains what was buffered and pulls again; that pull gets no heartbeat
        // (5 s apart), and two missed ones (checked every 2.5 s) are noticed within 12.5 s, well before the thaw
        process.kill(srv.server.pid, "SIGSTOP");
        thawed = sleep(16_000).finally(() => process.kill(srv.server.pid, "SIGCONT"));
      }
      if (n === 10) after = await consumers();
    });
    await thawed;
    assert.equal(before.length, 1);
    assert.equal(after.length, 1);
    assert.notEqual(after[0], before[0], "the ordered consumer was recreated after the missed heartbeats");
    assert.ok(bytes.equals(twenty));
    assert.equal(await r.error, null);
  });

  /** Rewrites the meta message of `name` (as another client could) with `change` applied to its JSON. */
  async function tamper(store: ObjectStore, name: string, change: (info: Record<string, unknown>) => void): Promise<void> {
    const subject = `$O.${store.bucket}.M.${encodeName(name)}`;
    const m = (await jsm.streams.getMessage(store.stream, { last_by_subj: subject }))!;
    const info = m.json<Record<string, unknown>>();
    change(info);
    const h = headers();
    h.set("Nats-Rollup", "sub");
    await jetstream(nc).publish(subject, JSON.stringify(info), { headers: h });
  }

  it("a stored digest that does not match: the error is on ObjectResult.error, the stream, readable(), getBlob and getFile", async () => {
    const data = testBytes(3 * MiB + 5, 3);
    await os.putBlob("tampered", data);
    const wrong = Buffer.from(testBytes(32, 99)).toString("base64url");
    await tamper(os, "tampered", (i) => (i.digest = `SHA-256=${wrong}=`));

    const r = (await os.get("tampered"))!;
    const read = await drain(r.data);
    const err = await r.error;
    assert.ok(err instanceof DigestMismatchError, String(err));
    assert.equal(err.code, "DIGEST_MISMATCH");
    assert.equal(read.error, err, "the stream errors with the same error");
    assert.equal(err.expected, `SHA-256=${wrong}=`);

    const viaNode = (await os.get("tampered"))!;
    await assert.rejects(pipeline(viaNode.readable(), new Writable({ write: (_c, _e, cb) => cb() })), (e: Error) => (e as { code?: string }).code === "DIGEST_MISMATCH");
    assert.equal(codeOf(await viaNode.error), "DIGEST_MISMATCH");
    await failsWith(() => os.getBlob("tampered"), "DIGEST_MISMATCH");
    const file = join(dir, "tampered.bin");
    await failsWith(() => os.getFile("tampered", file), "DIGEST_MISMATCH");
    assert.equal(existsSync(file), false, "getFile removes what it wrote");
  });

  it("an unreadable digest, missing chunks and a wrong size are errors too", async () => {
    await os.putBlob("bad-digest", testBytes(1000));
    await tamper(os, "bad-digest", (i) => (i.digest = "SHA-256=not base64!"));
    await failsWith(() => os.getBlob("bad-digest"), "BAD_OBJECT", "unreadable digest");

    const info = await os.putBlob("no-chunks", testBytes(300_000));
    await jsm.streams.purge(os.stream, { filter: `$O.${os.bucket}.C.${info.nuid}` });
    const r = (await os.get("no-chunks"))!;
    assert.equal((await drain(r.data)).error, await r.error);
    assert.equal(codeOf(await r.error), "BAD_OBJECT");

    await os.putBlob("short", testBytes(300_000));
    await tamper(os, "short", (i) => (i.size = 300_001));
    await failsWith(() => os.getBlob("short"), "BAD_OBJECT", "size larger than the chunks");
  });

  it("a reader that cancels, and a get aborted by its signal, end with the error and leave no consumer", async () => {
    const earlier = await consumers();
    const r = (await os.get("eight"))!;
    const reader = r.data.getReader();
    await reader.read();
    await reader.cancel("enough");
    assert.equal(codeOf(await r.error), "CANCELLED");

    const ac = new AbortController();
    const a = (await os.get("eight", { signal: ac.signal }))!;
    const ar = a.data.getReader();
    await ar.read();
    ac.abort(new Error("stop now"));
    await assert.rejects(async () => {
      for (;;) if ((await ar.read()).done) break;
    }, /stop now/);
    assert.equal((await a.error)?.message, "stop now");
    const left = async (): Promise<string[]> => (await consumers()).filter((c) => !earlier.includes(c));
    await poll(async () => ((await left()).length === 0 ? true : undefined), 10_000, () => "consumers left after cancel/abort");
    // the bucket still reads fine
    assert.ok(Buffer.from(await readAll((await os.get("eight"))!.data)).equals(eight));
  });
});
