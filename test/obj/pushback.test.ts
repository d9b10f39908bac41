// Puts against a server that pushes back (current nats-server): a stream whose ingest queue holds
// only 2 messages answers most of a put's window with `429 Too Many Requests`, and a server frozen
// for 2.5 s lets every ack in flight time out (while it still stores those chunks afterwards). In
// both cases the put slows down and succeeds, with every chunk stored exactly once and in order.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type NatsConnection } from "../../src/index.js";
import { jetstreamManager, JetStreamApiError, type JetStreamManager } from "../../src/jetstream/index.js";
import { Objm, type ObjectInfo, type ObjectStore } from "../../src/obj/node.js";
import { useServer } from "../support/fixtures.js";
import { goDigest, MiB, readAll, sleep, testBytes, uniqBucket } from "./helpers.js";

/** The failed JetStream publishes (tsnats' diagnostics channel) while `fn` runs. */
async function publishErrors<T>(fn: () => Promise<T>): Promise<{ value: T; errors: Error[] }> {
  const errors: Error[] = [];
  const onEvent = (e: unknown): void => {
    const err = (e as { error?: Error }).error;
    if (err) errors.push(err);
  };
  subscribe("tsnats:js.publish", onEvent);
  try {
    return { value: await fn(), errors };
  } finally {
    unsubscribe("tsnats:js.publish", onEvent);
  }
}

/** The object reads back as `data`, and its chunk subject holds exactly `info.chunks` messages. */
async function intact(jsm: JetStreamManager, os: ObjectStore, info: ObjectInfo, data: Uint8Array): Promise<void> {
  assert.deepEqual([info.size, info.digest], [data.length, goDigest(data)]);
  const subject = `$O.${os.bucket}.C.${info.nuid}`;
  const si = await jsm.streams.info(os.stream, { subjects_filter: subject });
  assert.equal(si.state.subjects?.[subject], info.chunks, "each chunk stored exactly once");
  const r = (await os.get(info.name))!;
  assert.ok(Buffer.from(await readAll(r.data)).equals(Buffer.from(data)), "same bytes back");
  assert.equal(await r.error, null);
}

describe("puts under push-back", () => {
  const store = mkdtempSync(join(tmpdir(), "tsnats-obj-pushback-"));
  const srv = useServer({ server: { config: `jetstream { store_dir: ${JSON.stringify(store)}, max_buffered_msgs: 2 }` } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let os: ObjectStore;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
    os = await new Objm(nc).create(uniqBucket("push"));
  });
  after(() => rmSync(store, { recursive: true, force: true }));

  it("429 Too Many Requests from a full ingest queue slows the put down; it succeeds", { timeout: 120_000 }, async (t) => {
    const data = testBytes(8 * MiB + 3, 429);
    const { value: info, errors } = await publishErrors(() => os.putBlob("busy/8MiB", data));
    const tooMany = errors.filter((e) => e instanceof JetStreamApiError && e.status === 429);
    assert.ok(tooMany.length > 0, `the server pushed back (${errors.length} failed publishes: ${errors[0]?.message})`);
    assert.equal(errors.length, tooMany.length, `only 429s: ${errors.map((e) => e.message).join("; ")}`);
    t.diagnostic(`${tooMany.length} chunk publishes answered 429 for ${info.chunks} chunks`);
    await intact(jsm, os, info, data);
  });

  it("acks that time out while the server is frozen slow the put down; nothing is stored twice", { timeout: 120_000 }, async (t) => {
    const data = testBytes(6 * MiB + 11, 503);
    let thawed: Promise<void> = Promise.resolve();
    /** The data in 64 KiB pieces; the server freezes for 2.5 s once 2 MiB have been read. */
    async function* source(): AsyncGenerator<Uint8Array> {
      for (let off = 0; off < data.length; off += 64 * 1024) {
        if (off === 2 * MiB) {
          process.kill(srv.server.pid, "SIGSTOP");
          thawed = sleep(2_500).finally(() => process.kill(srv.server.pid, "SIGCONT"));
        }
        yield data.subarray(off, off + 64 * 1024);
      }
    }
    // 1 s per ack: the 2.5 s freeze still times acks out, and a server catching up on 2 busy cores
    // (the whole suite running) is not mistaken for one that stays frozen (500 ms failed that way)
    const { value: info, errors } = await publishErrors(() => os.put({ name: "frozen/6MiB" }, source(), { timeout: 1_000 }));
    await thawed;
    const timeouts = errors.filter((e) => (e as { code?: string }).code === "TIMEOUT");
    assert.ok(timeouts.length > 0, "acks timed out while the server was frozen");
    t.diagnostic(`${timeouts.length} chunk acks timed out (${errors.length} failed publishes) for ${info.chunks} chunks`);
    await intact(jsm, os, info, data);
    // the put goes on at full speed once the server is back
    const again = testBytes(2 * MiB, 7);
    await intact(jsm, os, await os.put({ name: "frozen/after" }, again, { timeout: 1_000 }), again);
  });
});
