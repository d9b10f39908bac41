// `{ timeout?, signal? }` of every Key-Value call that waits, against a real nats-server (current):
// the Kvm's create / update / createOrUpdate / open / delete and a bucket's get / put / create /
// update / delete / purge / status / destroy / purgeDeletes and the iteration of keys() / history().
// For each: bad options are refused before anything is sent, an aborted signal rejects at once with
// its reason and sends nothing, an abort while the server does not answer (frozen with SIGSTOP)
// rejects with the reason at once, and a timeout rejects with TimeoutError.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsConnection } from "../../src/index.js";
import { Kvm, type Bucket } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { collect, uniq } from "./helpers.js";
import { abortedBefore, abortedWhileWaiting, firstOf, Outgoing, refusesBadCallOptions, rejectsWithReason, timesOut, whileFrozen } from "../jetstream/abort_helpers.js";

/** Every call that waits, given its `{ timeout?, signal? }`: what it is and how to make it. */
type Call = [what: string, call: (kv: Bucket, kvm: Kvm, o: { timeout?: number; signal?: AbortSignal }) => Promise<unknown>];

describe("Key-Value calls take { timeout?, signal? }", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let kvm: Kvm;
  let kv: Bucket;
  let out: Outgoing;
  const frozen = (fn: () => Promise<void>): Promise<void> => whileFrozen(srv.server, fn);

  /** Calls that change nothing the other calls rely on (the destructive ones get their own buckets). */
  const calls: Call[] = [
    ["kvm.create", (_kv, m, o) => m.create(uniq("NEW"), { storage: "memory", ...o })],
    ["kvm.update", (kv, m, o) => m.update(kv.bucket, { storage: "memory", history: 5, ...o })],
    ["kvm.createOrUpdate", (kv, m, o) => m.createOrUpdate(kv.bucket, { storage: "memory", history: 5, ...o })],
    ["kvm.open", (kv, m, o) => m.open(kv.bucket, o)],
    ["kvm.delete", (_kv, m, o) => m.delete(uniq("GONE"), o)],
    ["get", (kv, _m, o) => kv.get("k", o)],
    ["get revision", (kv, _m, o) => kv.get("k", { revision: 1, ...o })],
    ["put", (kv, _m, o) => kv.put("p", "v", o)],
    ["put previousSeq", (kv, _m, o) => kv.put("p", "v", { previousSeq: 0, ...o })],
    ["create", (kv, _m, o) => kv.create(uniq("c"), "v", o)],
    ["update", (kv, _m, o) => kv.update("u", "v", 1, o)],
    ["delete", (kv, _m, o) => kv.delete("d", o)],
    ["purge", (kv, _m, o) => kv.purge("pg", o)],
    ["status", (kv, _m, o) => kv.status(o)],
    ["purgeDeletes", (kv, _m, o) => kv.purgeDeletes(o)],
    ["destroy", (kv, _m, o) => kv.destroy(o)],
    ["keys", (kv, _m, o) => firstOf(kv.keys(">", o))],
    ["keys(filters)", (kv, _m, o) => firstOf(kv.keys(["k", "p"], o))],
    ["history", (kv, _m, o) => firstOf(kv.history(o))],
    ["history(key)", (kv, _m, o) => firstOf(kv.history({ key: "k", ...o }))],
  ];

  /** A bucket of its own for the calls that remove things (their request may be applied after a thaw). */
  const target = async (what: string): Promise<Bucket> =>
    ["destroy", "kvm.update", "kvm.createOrUpdate"].includes(what) ? kvm.create(uniq("OWN"), { storage: "memory" }) : kv;

  before(async () => {
    nc = await srv.connect();
    const spyNc = await srv.connect();
    kvm = new Kvm(nc);
    kv = await kvm.create(uniq("AB"), { storage: "memory", history: 5 });
    await kv.put("k", "1");
    await kv.put("u", "1");
    await kv.put("d", "1");
    await kv.put("pg", "1");
    out = await Outgoing.on(nc, spyNc, ["$JS.API.>", "$KV.>"]);
  });

  it("bad timeout / signal values are refused before anything is sent", async () => {
    for (const [what, call] of calls) await refusesBadCallOptions(out, what, (o) => call(kv, kvm, o));
    await refusesBadCallOptions(out, "kvm.create with options in `open`", (o) => kvm.create(uniq("X"), {}, o as never));
    await refusesBadCallOptions(out, "history() with an unknown option", () => kv.history({ keys: "k" } as never));
  });

  it("an aborted signal rejects at once with its reason and sends nothing", async () => {
    for (const [what, call] of calls) {
      const b = await target(what);
      await abortedBefore(out, what, (signal) => call(b, kvm, { signal }));
    }
    assert.equal((await kv.get("k"))?.string(), "1", "the bucket is intact");
    assert.equal(await kv.get("p"), null, "the aborted puts stored nothing");
  });

  it("an abort while the server does not answer rejects at once with the reason", async () => {
    for (const [what, call] of calls) {
      const b = await target(what);
      await abortedWhileWaiting(what, (signal) => call(b, kvm, { signal }), frozen, 60);
    }
    await nc.flush();
  });

  it("a timeout rejects with TimeoutError (it bounds the whole call)", async () => {
    for (const [what, call] of calls) {
      const b = await target(what);
      await timesOut(what, (timeout) => call(b, kvm, { timeout }), frozen, 120);
    }
    await nc.flush();
  });

  it("keys() / history(): an abort in the middle of the iteration ends it with the reason", async () => {
    const b = await kvm.create(uniq("IT"), { storage: "memory" });
    for (let i = 0; i < 5; i++) await b.put(`i${i}`, String(i));
    const ac = new AbortController();
    const reason = new Error("enough keys");
    const seen: string[] = [];
    const loop = (async () => {
      for await (const k of b.keys(">", { signal: ac.signal })) {
        seen.push(k);
        if (seen.length === 2) ac.abort(reason);
      }
    })();
    await rejectsWithReason(loop, reason, "keys loop", 2_000);
    assert.equal(seen.length, 2);
    // the watch behind it was stopped: its consumer goes away
    let consumers = -1;
    for (let i = 0; i < 100 && consumers !== 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      consumers = (await b.status()).streamInfo.state.consumer_count;
    }
    assert.equal(consumers, 0, "the keys consumer was deleted");
  });

  it("with a signal that does not abort and a timeout long enough, every call works as before", async () => {
    const o = { timeout: 10_000, signal: new AbortController().signal };
    const b = await kvm.create(uniq("OK"), { storage: "memory", history: 3, ...o });
    assert.equal(await b.put("a", "1", o), 1);
    assert.equal(await b.create("b", "2", o), 2);
    assert.equal(await b.update("a", "3", 1, o), 3);
    assert.equal((await b.get("a", o))?.string(), "3");
    assert.equal((await b.get("a", { revision: 1, ...o }))?.string(), "1");
    assert.deepEqual((await collect(b.keys(">", o))).sort(), ["a", "b"]);
    assert.deepEqual((await collect(b.history({ key: "a", ...o }))).map((e) => e.string()), ["1", "3"]);
    assert.equal(await b.delete("b", o), 4);
    assert.equal(await b.purge("a", o), 5);
    assert.equal(await b.purgeDeletes({ olderMillis: 0, ...o }), 3);
    assert.equal((await b.status(o)).values, 0);
    assert.equal((await kvm.open(b.bucket, o)).bucket, b.bucket);
    assert.equal((await kvm.createOrUpdate(b.bucket, { storage: "memory", history: 4, ...o })).bucket, b.bucket);
    assert.equal((await kvm.update(b.bucket, { storage: "memory", history: 2, ...o })).bucket, b.bucket);
    assert.equal(await b.destroy(o), true);
  });
});
