// Key-Value watchers keep going across server restarts (file store; the server is SIGKILLed and
// restarted three times while a writer keeps writing): each watcher resumes after the last revision
// it delivered — no gap, no repeat — and `initialized` resolved exactly once.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import { Kvm, type Bucket } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { nextEvent } from "../support/events.js";
import { until } from "../support/helpers.js";
import { Recorder, uniq } from "./helpers.js";

const RESTARTS = 3;
const INITIAL = 20;

describe("KV watch across server restarts", () => {
  const srv = useServer({ server: { jetstream: true } });
  const reconnecting = { reconnectTimeWait: 100, reconnectJitter: 50, maxReconnectAttempts: -1, timeout: 1_000 };
  let writerNc: NatsConnection;
  let watchNc: NatsConnection;
  let kv: Bucket;
  before(async () => {
    writerNc = await srv.connect(reconnecting);
    watchNc = await srv.connect(reconnecting);
    const b = uniq("RESTART");
    // a short API timeout: a put in flight when the server dies fails fast and is retried
    kv = await new Kvm(writerNc, { timeout: 1_000 }).create(b, { storage: "file", history: 1 });
    for (let i = 0; i < INITIAL; i++) await kv.put(`init.${i}`, String(i));
  });

  it(`resumes after ${RESTARTS} restarts with no gap and no repeat`, async () => {
    const watched = await new Kvm(watchNc).open(kv.bucket);
    const r = new Recorder(watched.watch());
    const h = new Recorder(watched.watch({ include: "allHistory", key: "w.*" }));
    const viaCallback: number[] = [];
    const cb = watched.watch({ callback: (e) => void viaCallback.push(e.revision) });
    await Promise.all([r.watcher.initialized, h.watcher.initialized, cb.initialized]);
    assert.equal(r.entries.length, INITIAL);

    // Every attempt writes a fresh key, so a write whose ack was lost in a crash is never replaced
    // by its retry: the stream keeps every revision from 1 to its last sequence.
    let writing = true;
    let attempt = 0;
    let stored = 0;
    const writer = (async () => {
      while (writing) {
        const n = ++attempt;
        try {
          await kv.put(`w.${n}`, String(n));
          stored++;
        } catch {
          await new Promise((res) => setTimeout(res, 50));
        }
      }
    })();

    for (let i = 1; i <= RESTARTS; i++) {
      const target = r.entries.length + 20;
      await r.count(target, `entries before restart ${i}`, 20_000);
      const reconnected = Promise.all([nextEvent(writerNc, "reconnect", 30_000), nextEvent(watchNc, "reconnect", 30_000)]);
      await srv.server.kill();
      await new Promise((res) => setTimeout(res, 200));
      await srv.server.restart();
      await reconnected;
      const after = stored;
      await until(() => stored >= after + 20, `writes after restart ${i}`, 20_000);
    }
    const seenBefore = r.entries.length;
    await r.count(seenBefore + 20, "entries after the last restart", 30_000);
    writing = false;
    await writer;

    const last = (await kv.status()).streamInfo.state.last_seq;
    const all = Array.from({ length: last }, (_, i) => i + 1);
    await r.seen((e) => e.revision === last, `revision ${last} (have ${r.revisions().slice(-3).join(",")})`, 30_000);
    await until(() => viaCallback.includes(last), `revision ${last} through the callback`, 30_000);
    await until(() => h.entries.length === last - INITIAL, `all ${last - INITIAL} w.* revisions`, 30_000);

    assert.deepEqual(r.revisions(), all, "default watch: every revision once, in order");
    assert.deepEqual(viaCallback, all, "callback watch: every revision once, in order");
    assert.deepEqual(h.revisions(), all.slice(INITIAL), "allHistory + filter watch: every revision once, in order");
    assert.equal(r.initCalls, 1);
    assert.equal(h.initCalls, 1);
    assert.equal(r.atInit, INITIAL);
    assert.ok(r.entries.every((e, i) => e.revision === i + 1 && (i < INITIAL ? e.key === `init.${i}` : e.key.startsWith("w."))));
    await Promise.all([r.stop(), h.stop(), cb.stop()]);
  });
});
