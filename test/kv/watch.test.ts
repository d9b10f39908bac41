// Key-Value watchers against a real nats-server (current): the initial values then live changes,
// every option (include lastValue / allHistory / updatesOnly, ignoreDeletes, headersOnly, one or
// several key filters, resumeFromRevision, callback), and `initialized`: it resolves exactly once,
// after every initial value was handed on — at once for an empty bucket, a filter matching nothing,
// only deletes with ignoreDeletes, and updatesOnly; after the whole history with allHistory; and
// with writers busy while the watch starts. Server restarts: watch_restart.test.ts.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import { StreamNotFoundError } from "../../src/jetstream/index.js";
import { Kvm, type Bucket, type KvEntry } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { settlesWithin, until } from "../support/helpers.js";
import { lines, Recorder, row, uniq } from "./helpers.js";

/** Waits for `initialized`, then checks it resolved once, after exactly `n` entries were handed on. */
async function initializedAfter<T>(r: Recorder<T>, n: number): Promise<void> {
  await r.watcher.initialized;
  await until(() => r.atInit !== undefined, "the initialized callback");
  assert.equal(r.initCalls, 1);
  assert.equal(r.atInit, n, `initialized after ${r.atInit} entries, want ${n}`);
}

const ops = (es: KvEntry[]): string[] => lines(es.map(row));

describe("KV watch", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let kvm: Kvm;
  const bucket = (history = 1): Promise<Bucket> => kvm.create(uniq("W"), { storage: "memory", history });
  before(async () => {
    nc = await srv.connect();
    kvm = new Kvm(nc);
  });

  it("default: the last value of every key (markers included), then every change", async () => {
    const kv = await bucket(5);
    await kv.put("a", "1");
    await kv.put("b", "2");
    await kv.put("a", "3");
    await kv.put("c", "4");
    await kv.delete("c");
    const r = new Recorder(kv.watch());
    await initializedAfter(r, 3);
    assert.deepEqual(ops(r.entries), ["b@2 PUT 32", "a@3 PUT 33", "c@5 DEL "]);
    assert.deepEqual(r.entries.map((e) => e.delta), [2, 1, 0], "delta counts what is still to come");
    assert.equal(r.entries[0]!.bucket, kv.bucket);
    await kv.put("b", "5");
    await kv.delete("a");
    await kv.purge("b");
    await r.count(6);
    assert.deepEqual(ops(r.entries.slice(3)), ["b@6 PUT 35", "a@7 DEL ", "b@8 PURGE "]);
    assert.ok(r.entries.every((e) => e.created instanceof Date && !Number.isNaN(e.created.getTime())));
    await r.stop();
    assert.equal(await r.watcher.closed(), null);
  });

  it("include allHistory: every revision, and initialized after the last of them", async () => {
    const kv = await bucket(10);
    for (let i = 1; i <= 4; i++) await kv.put("a", String(i));
    await kv.put("b", "x");
    await kv.delete("a");
    const r = new Recorder(kv.watch({ include: "allHistory" }));
    await initializedAfter(r, 6);
    assert.deepEqual(r.revisions(), [1, 2, 3, 4, 5, 6]);
    await kv.put("b", "y");
    await r.count(7);
    assert.equal(r.entries[6]!.revision, 7);
    await r.stop();
  });

  it("include updatesOnly: nothing old, initialized at once, then the changes", async () => {
    const kv = await bucket();
    await kv.put("a", "old");
    const r = new Recorder(kv.watch({ include: "updatesOnly" }));
    await initializedAfter(r, 0);
    await kv.put("a", "new");
    await kv.delete("a");
    await r.count(2);
    assert.deepEqual(ops(r.entries), ["a@2 PUT 6e6577", "a@3 DEL "]);
    await r.stop();
  });

  it("ignoreDeletes skips DEL and PURGE, in the initial values and after", async () => {
    const kv = await bucket();
    await kv.put("a", "1");
    await kv.put("d", "x");
    await kv.delete("d");
    await kv.put("p", "y");
    await kv.purge("p");
    const r = new Recorder(kv.watch({ ignoreDeletes: true }));
    await initializedAfter(r, 1);
    await kv.delete("a");
    await kv.purge("d");
    await kv.put("z", "2");
    await r.count(2);
    assert.deepEqual(ops(r.entries), ["a@1 PUT 31", "z@8 PUT 32"]);
    await r.stop();
  });

  it("headersOnly: entries without values, operations still right", async () => {
    const kv = await bucket();
    await kv.put("a", "x".repeat(5000));
    await kv.put("b", "y");
    await kv.delete("b");
    const r = new Recorder(kv.watch({ headersOnly: true }));
    await initializedAfter(r, 2);
    assert.deepEqual(ops(r.entries), ["a@1 PUT ", "b@3 DEL "]);
    await kv.put("c", "zzz");
    await r.count(3);
    assert.equal(r.entries[2]!.operation, "PUT");
    assert.equal(r.entries[2]!.value.length, 0);
    await r.stop();
  });

  it("key filters: one key, a wildcard, several filters", async () => {
    const kv = await bucket();
    for (const k of ["a.1", "a.2", "b.1", "c"]) await kv.put(k, k);
    const one = new Recorder(kv.watch({ key: "a.1" }));
    const wild = new Recorder(kv.watch({ key: "*.1" }));
    const many = new Recorder(kv.watch({ key: ["a.>", "c"] }));
    await initializedAfter(one, 1);
    await initializedAfter(wild, 2);
    await initializedAfter(many, 3);
    for (const k of ["a.1", "a.2", "b.1", "c", "d"]) await kv.put(k, `${k}!`);
    await one.count(2);
    await wild.count(4);
    await many.count(6);
    await kv.put("end", "x");
    await nc.flush();
    assert.deepEqual(one.entries.map((e) => e.key), ["a.1", "a.1"]);
    assert.deepEqual(wild.entries.map((e) => e.key), ["a.1", "b.1", "a.1", "b.1"]);
    assert.deepEqual(many.entries.map((e) => e.key), ["a.1", "a.2", "c", "a.1", "a.2", "c"]);
    await Promise.all([one.stop(), wild.stop(), many.stop()]);
  });

  it("resumeFromRevision: every entry from that revision on (inclusive), then the changes", async () => {
    const kv = await bucket(10);
    for (let i = 1; i <= 6; i++) await kv.put(i % 2 ? "odd" : "even", String(i));
    const r = new Recorder(kv.watch({ resumeFromRevision: 4 }));
    await initializedAfter(r, 3);
    assert.deepEqual(r.revisions(), [4, 5, 6]);
    await kv.put("odd", "7");
    await r.count(4);
    assert.equal(r.entries[3]!.revision, 7);
    await r.stop();
    // with a key filter, and past the end: nothing initial
    const f = new Recorder(kv.watch({ key: "even", resumeFromRevision: 3 }));
    await initializedAfter(f, 2);
    assert.deepEqual(f.revisions(), [4, 6]);
    await f.stop();
    const past = new Recorder(kv.watch({ resumeFromRevision: 100 }));
    await initializedAfter(past, 0);
    await past.stop();
  });

  it("initialized at once: an empty bucket, a filter that matches nothing, only deletes with ignoreDeletes", async () => {
    const empty = await bucket();
    const r1 = new Recorder(empty.watch());
    await initializedAfter(r1, 0);
    await empty.put("first", "1");
    await r1.count(1);
    await r1.stop();

    const kv = await bucket(5);
    await kv.put("a", "1");
    const r2 = new Recorder(kv.watch({ key: "nothing.>" }));
    await initializedAfter(r2, 0);
    const r3 = new Recorder(kv.watch({ key: ["x", "y.*"] }));
    await initializedAfter(r3, 0);
    await Promise.all([r2.stop(), r3.stop()]);

    const dels = await bucket(5);
    for (const k of ["a", "b", "c"]) {
      await dels.put(k, "v");
      await dels.delete(k);
    }
    await dels.put("p", "v");
    await dels.purge("p");
    const r4 = new Recorder(dels.watch({ ignoreDeletes: true }));
    await initializedAfter(r4, 0);
    const r5 = new Recorder(dels.watch({ ignoreDeletes: true, include: "allHistory" }));
    await initializedAfter(r5, 3); // a, b, c (the purge removed p's value)
    assert.ok(r5.entries.every((e) => e.operation === "PUT"));
    await dels.put("b", "back");
    await r4.count(1);
    assert.equal(r4.entries[0]!.key, "b");
    await Promise.all([r4.stop(), r5.stop()]);
  });

  it("initialized with writers busy while the watch starts: once, after every value that existed before", async () => {
    // history > 1: with history 1 a value that existed when the watch began can be replaced (and so
    // removed) before the consumer reaches it; then the key's first entry is its newer value
    const kv = await bucket(20);
    const KEYS = 50;
    for (let i = 0; i < KEYS; i++) await kv.put(`k${i}`, "0");
    let writing = true;
    let written = 0;
    const writer = (async () => {
      for (let n = 1; writing; n++) {
        await kv.put(`k${n % (KEYS + 10)}`, String(n));
        written++;
      }
    })();
    await until(() => written >= 20, "the writer to get going");
    const before = (await kv.status()).streamInfo.state.last_seq;
    const r = new Recorder(kv.watch());
    await r.watcher.initialized;
    await until(() => r.atInit !== undefined, "the initialized callback");
    const atInit = r.atInit!;
    await until(() => written >= 300, "more writes after the watch started", 20_000);
    writing = false;
    await writer;
    const last = (await kv.status()).streamInfo.state.last_seq;
    await r.seen((e) => e.revision === last, "the last write");
    assert.equal(r.initCalls, 1);
    const initial = r.entries.slice(0, atInit);
    const keysAtInit = new Set(initial.map((e) => e.key));
    assert.ok(keysAtInit.size >= KEYS, `every key that existed when the watch began came before initialized (${keysAtInit.size})`);
    assert.equal(new Set(initial.map((e) => e.key)).size, initial.length, "initial values are one per key");
    assert.ok(initial.every((e) => e.revision <= last));
    const revs = r.revisions();
    for (let i = 1; i < revs.length; i++) assert.ok(revs[i]! > revs[i - 1]!, `revisions increase: ${revs[i - 1]} then ${revs[i]}`);
    assert.ok(revs.filter((x) => x > before).length > 0);
    await r.stop();
  });

  it("callback form: every initial value passed (and awaited) before initialized; a throwing callback goes on", async () => {
    const kv = await bucket();
    for (let i = 0; i < 5; i++) await kv.put(`k${i}`, String(i));
    const seen: string[] = [];
    const w = kv.watch({
      callback: async (e) => {
        await new Promise((res) => setTimeout(res, 5));
        seen.push(e.key);
        if (e.key === "k1" || e.key === "boom") throw new Error("a callback that throws");
      },
    });
    await w.initialized;
    assert.equal(seen.length, 5, "every initial value went through the callback first");
    assert.throws(() => w[Symbol.asyncIterator](), /callback/);
    await kv.put("boom", "x");
    await kv.put("after", "y");
    await until(() => seen.includes("after"), "the entry after a throwing callback");
    await w.stop();
    assert.equal(await w.closed(), null);
  });

  it("stop and break end the watch and remove its consumer; a destroyed bucket ends it with an error", async () => {
    const kv = await bucket();
    await kv.put("a", "1");
    const w = kv.watch();
    for await (const e of w) {
      assert.equal(e.key, "a");
      break;
    }
    assert.equal(await w.closed(), null);
    const consumers = async (): Promise<number> => (await kv.status()).streamInfo.state.consumer_count;
    let n = await consumers();
    for (let i = 0; i < 100 && n > 0; i++) n = await new Promise((res) => setTimeout(() => void consumers().then(res), 20));
    assert.equal(n, 0, "the watch's consumer is gone");
    assert.throws(() => w[Symbol.asyncIterator](), /already iterating/);

    const r = new Recorder(kv.watch());
    await initializedAfter(r, 1);
    await kv.destroy();
    assert.ok(await settlesWithin(r.done, 15_000), "the watch ended");
    const err = await r.done;
    assert.ok(err instanceof StreamNotFoundError, `the loop ended with ${String(err)}`);
    assert.ok((await r.watcher.closed()) instanceof StreamNotFoundError);
  });
});
