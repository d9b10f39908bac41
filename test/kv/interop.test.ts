// Key-Value interop with the official clients against a real nats-server (current): the same script
// of operations (put, create, update, delete, purge — with conflicts, binary and empty values)
// run by tsnats, nats.js and nats.go on buckets each of them made gives the same results and the
// same histories (revisions, operations, values) whichever client reads them; gets, gets by
// revision and keys agree; per-key TTLs and their limit markers agree; and buckets made with the
// same options are laid out the same (exactly as nats.go for tsnats).
//
//   nats.js: @nats-io/transport-node + @nats-io/kv (v3, devDependencies), in this process.
//   nats.go: test/go-kv (kvinterop, nats.go v1.55), built by test/support/go_client.ts and run once
//            per call. When Go or the module proxy is missing, these cases fail saying why.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect as natsJsConnect, type NatsConnection as NatsJsConnection } from "@nats-io/transport-node";
import { JetStreamApiError as NatsJsApiError } from "@nats-io/jetstream";
import { Kvm as NatsJsKvm, type KV as NatsJsKV, type KvEntry as NatsJsEntry } from "@nats-io/kv";
import { NatsError, type NatsConnection } from "../../src/index.js";
import type { StreamConfig } from "../../src/jetstream/index.js";
import { Kvm, type Bucket } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { collect, goKv, lines, row, uniq, userMeta, type GoKv, type OpResult, type Row, type ScriptOp } from "./helpers.js";

const enc = new TextEncoder();
const BIN = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);

/** The script every client runs on its own fresh bucket (history 10): revisions are deterministic. */
const SCRIPT: ScriptOp[] = [
  { op: "put", key: "a", value: enc.encode("1") },
  { op: "put", key: "b", value: enc.encode("2") },
  { op: "create", key: "c.d", value: enc.encode("3") },
  { op: "create", key: "a", value: enc.encode("x") },
  { op: "update", key: "a", value: enc.encode("4"), revision: 1 },
  { op: "update", key: "a", value: enc.encode("x"), revision: 1 },
  { op: "delete", key: "b" },
  { op: "create", key: "b", value: enc.encode("5") },
  { op: "purge", key: "b" },
  { op: "create", key: "b", value: enc.encode("6") },
  { op: "put", key: "bin", value: BIN },
  { op: "put", key: "empty", value: new Uint8Array(0) },
  { op: "delete", key: "c.d", revision: 3 },
  { op: "delete", key: "a", revision: 1 },
  { op: "purge", key: "a", revision: 4 },
  { op: "update", key: "b", value: enc.encode("7"), revision: 8 },
  { op: "create", key: "empty", value: enc.encode("x") },
  { op: "put", key: "c.d", value: enc.encode("héllo ✓") },
];

/** What every client must report for SCRIPT (delete/purge revisions are 0: nats.go and nats.js return none). */
const EXPECTED: string[] = [
  "put a 1", "put b 2", "create c.d 3", "create a key_exists", "update a 4", "update a wrong_last_sequence",
  "delete b 0", "create b 6", "purge b 0", "create b 8", "put bin 9", "put empty 10", "delete c.d 0",
  "delete a wrong_last_sequence", "purge a 0", "update b 13", "create empty key_exists", "put c.d 14",
];

const show = (r: OpResult): string => `${r.op} ${r.key} ${r.error || r.revision}`;

function errorName(op: string, err: unknown): string {
  if (err instanceof NatsError) {
    if (err.code === "KEY_EXISTS") return "key_exists";
    if (err.code === "WRONG_LAST_SEQUENCE") return "wrong_last_sequence";
    return `${err.code}: ${err.message}`;
  }
  // nats.js: a create over a live key fails with the server's wrong-last-sequence error itself
  if (err instanceof NatsJsApiError && (err.code === 10071 || err.code === 10164)) return op === "create" ? "key_exists" : "wrong_last_sequence";
  return String(err);
}

async function runTsnats(kv: Bucket, ops: ScriptOp[]): Promise<OpResult[]> {
  const out: OpResult[] = [];
  for (const o of ops) {
    const v = o.value ?? new Uint8Array(0);
    const prev = o.revision ? { previousSeq: o.revision } : {};
    try {
      let revision = 0;
      if (o.op === "put") revision = await kv.put(o.key, v);
      else if (o.op === "create") revision = await kv.create(o.key, v, o.ttl_ms ? { ttl: o.ttl_ms } : {});
      else if (o.op === "update") revision = await kv.update(o.key, v, o.revision!);
      else if (o.op === "delete") await kv.delete(o.key, prev);
      else await kv.purge(o.key, prev);
      out.push({ op: o.op, key: o.key, revision, error: "" });
    } catch (err) {
      out.push({ op: o.op, key: o.key, revision: 0, error: errorName(o.op, err) });
    }
  }
  return out;
}

async function runNatsJs(kv: NatsJsKV, ops: ScriptOp[]): Promise<OpResult[]> {
  const out: OpResult[] = [];
  for (const o of ops) {
    const v = o.value ?? new Uint8Array(0);
    try {
      let revision = 0;
      if (o.op === "put") revision = await kv.put(o.key, v);
      else if (o.op === "create") revision = await kv.create(o.key, v, o.ttl_ms ? `${o.ttl_ms / 1000}s` : undefined);
      else if (o.op === "update") revision = await kv.update(o.key, v, o.revision!);
      else if (o.op === "delete") await kv.delete(o.key, o.revision ? { previousSeq: o.revision } : {});
      else await kv.purge(o.key, o.revision ? { previousSeq: o.revision } : {});
      out.push({ op: o.op, key: o.key, revision, error: "" });
    } catch (err) {
      out.push({ op: o.op, key: o.key, revision: 0, error: errorName(o.op, err) });
    }
  }
  return out;
}

const jsRow = (e: NatsJsEntry): Row => row({ key: e.key, revision: e.revision, operation: e.operation, raw: e.value });

/** Histories and reads of one bucket through each client. */
interface Views {
  tsnats: Row[];
  natsJs: Row[];
  natsGo: Row[];
}

describe("KV interop with nats.js and nats.go", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jnc: NatsJsConnection;
  let kvm: Kvm;
  let jkvm: NatsJsKvm;
  let go: GoKv;
  /** The three buckets, named for the client that made them and ran the script. */
  const made: Record<"tsnats" | "natsJs" | "natsGo", string> = { tsnats: uniq("BYTS"), natsJs: uniq("BYJS"), natsGo: uniq("BYGO") };
  const results: Record<string, OpResult[]> = {};
  before(async () => {
    nc = await srv.connect();
    jnc = await natsJsConnect({ servers: srv.url });
    kvm = new Kvm(nc);
    jkvm = new NatsJsKvm(jnc);
    go = await goKv();
  });
  after(async () => {
    await jnc?.close();
  });

  async function views(bucket: string): Promise<Views> {
    const kv = await kvm.open(bucket);
    const jkv = await jkvm.open(bucket);
    const jsHist: Row[] = [];
    for await (const e of await jkv.history()) jsHist.push(jsRow(e));
    return { tsnats: (await collect(kv.history())).map(row), natsJs: jsHist, natsGo: await go.history(srv.url, bucket) };
  }

  it("the script gives the same results in every client, on a bucket each one made", async () => {
    await kvm.create(made.tsnats, { history: 10, storage: "memory" });
    await jkvm.create(made.natsJs, { history: 10, storage: "memory" });
    await go.create(srv.url, { bucket: made.natsGo, history: 10, storage: "memory" });
    results.tsnats = await runTsnats(await kvm.open(made.tsnats), SCRIPT);
    results.natsJs = await runNatsJs(await jkvm.open(made.natsJs), SCRIPT);
    results.natsGo = await go.script(srv.url, made.natsGo, SCRIPT);
    assert.deepEqual(results.tsnats.map(show), EXPECTED, "tsnats");
    assert.deepEqual(results.natsGo.map(show), EXPECTED, "nats.go");
    assert.deepEqual(results.natsJs.map(show), EXPECTED, "nats.js");
  });

  it("every bucket's history reads the same from every client, and the same as the others'", async () => {
    assert.ok(results.tsnats, "the script ran");
    const want = [
      // what is left of the 14 writes: the purges at 7 and 12 removed b@2,5,6 and a@1,4
      "c.d@3 PUT 33", "b@7 PURGE ", "b@8 PUT 36", "bin@9 PUT " + Buffer.from(BIN).toString("hex"), "empty@10 PUT ", "c.d@11 DEL ",
      "a@12 PURGE ", "b@13 PUT 37", "c.d@14 PUT " + Buffer.from("héllo ✓").toString("hex"),
    ];
    for (const [by, bucket] of Object.entries(made)) {
      const v = await views(bucket);
      assert.deepEqual(lines(v.tsnats), want, `${by}'s bucket read by tsnats`);
      assert.deepEqual(lines(v.natsGo), want, `${by}'s bucket read by nats.go`);
      assert.deepEqual(lines(v.natsJs), want, `${by}'s bucket read by nats.js`);
    }
  });

  it("gets, gets by revision and keys agree", async () => {
    for (const [by, bucket] of Object.entries(made)) {
      const kv = await kvm.open(bucket);
      const jkv = await jkvm.open(bucket);
      for (const key of ["a", "b", "c.d", "bin", "empty", "missing"]) {
        const ts = await kv.get(key);
        const gg = await go.get(srv.url, bucket, key);
        const je = await jkv.get(key);
        const js = je && je.operation === "PUT" ? jsRow(je) : null; // nats.js returns markers from get
        assert.deepEqual(ts && row(ts), gg, `${by}: get ${key} (tsnats vs nats.go)`);
        assert.deepEqual(js, gg, `${by}: get ${key} (nats.js vs nats.go)`);
      }
      for (const [key, rev] of [["c.d", 3], ["b", 8], ["b", 13], ["a", 12], ["a", 3]] as const) {
        const ts = await kv.get(key, { revision: rev });
        const gg = await go.get(srv.url, bucket, key, rev).catch(() => null);
        assert.deepEqual(ts && row(ts), gg, `${by}: get ${key}@${rev}`);
      }
      const keys = ["b", "bin", "c.d", "empty"];
      assert.deepEqual((await collect(kv.keys())).sort(), keys, `${by}: tsnats keys`);
      assert.deepEqual((await go.keys(srv.url, bucket)).sort(), keys, `${by}: nats.go keys`);
      const jk: string[] = [];
      for await (const k of await jkv.keys()) jk.push(k);
      assert.deepEqual(jk.sort(), keys, `${by}: nats.js keys`);
    }
  });

  // History 1: with more history the server raises a per-message TTL below the marker TTL to it
  // (nats-server 2.11 and 2.15 store `Nats-TTL: 60` for a 1 s TTL under a 60 s marker TTL).
  it("per-key TTLs: the same Nats-TTL header and the same MaxAge markers whichever client wrote them", async () => {
    const ttl: ScriptOp[] = [
      { op: "put", key: "keep", value: enc.encode("k") },
      { op: "create", key: "short", value: enc.encode("s"), ttl_ms: 1_000 },
    ];
    const b = { tsnats: uniq("TTLTS"), natsJs: uniq("TTLJS"), natsGo: uniq("TTLGO") };
    await kvm.create(b.tsnats, { markerTTL: 60_000, storage: "memory" });
    await jkvm.create(b.natsJs, { markerTTL: 60_000, storage: "memory" as never });
    await go.create(srv.url, { bucket: b.natsGo, limit_marker_ttl_ms: 60_000, storage: "memory" });
    const r = [
      await runTsnats(await kvm.open(b.tsnats), ttl),
      await runNatsJs(await jkvm.open(b.natsJs), ttl),
      await go.script(srv.url, b.natsGo, ttl),
    ];
    for (const x of r) assert.deepEqual(x.map(show), ["put keep 1", "create short 2"]);
    const jsm = kvm.js.jetstreamManager();
    for (const bucket of Object.values(b)) {
      const m = await jsm.streams.getMessage(`KV_${bucket}`, { seq: 2 });
      assert.equal(m?.headers?.get("Nats-TTL"), "1s", bucket);
    }
    const want = ["keep@1 PUT 6b", "short@3 PURGE "];
    for (const bucket of Object.values(b)) {
      const kv = await kvm.open(bucket);
      for (let i = 0; i < 100 && (await collect(kv.history())).at(-1)?.revision !== 3; i++) await new Promise((res) => setTimeout(res, 100));
      const v = await views(bucket);
      assert.deepEqual(lines(v.tsnats), want, `${bucket} read by tsnats`);
      assert.deepEqual(lines(v.natsGo), want, `${bucket} read by nats.go`);
      assert.deepEqual(lines(v.natsJs), want, `${bucket} read by nats.js`);
      assert.equal((await collect(kv.history({ key: "short" })))[0]?.markerReason, "MaxAge");
    }
  });

  it("buckets made with the same options are laid out the same (tsnats exactly as nats.go)", async () => {
    const options = { history: 5, ttl: 90_000, max_bytes: 1 << 20, maxValueSize: 1024, description: "layout", compression: true, metadata: { team: "kv" }, markerTTL: 5_000 };
    const b = { tsnats: uniq("LAYTS"), natsJs: uniq("LAYJS"), natsGo: uniq("LAYGO"), tsDefault: uniq("DEFTS"), goDefault: uniq("DEFGO") };
    await kvm.create(b.tsnats, { ...options, storage: "memory" });
    await jkvm.create(b.natsJs, { ...options, storage: "memory" as never });
    await go.create(srv.url, {
      bucket: b.natsGo, history: 5, ttl_ms: 90_000, max_bytes: 1 << 20, max_value_size: 1024, storage: "memory",
      description: "layout", compression: true, metadata: { team: "kv" }, limit_marker_ttl_ms: 5_000,
    });
    await kvm.create(b.tsDefault);
    await go.create(srv.url, { bucket: b.goDefault });
    const jsm = kvm.js.jetstreamManager();
    const layout = async (bucket: string): Promise<Partial<StreamConfig>> => {
      const { name: _n, subjects, metadata, ...c } = (await jsm.streams.info(`KV_${bucket}`)).config;
      assert.deepEqual(subjects, [`$KV.${bucket}.>`]);
      return { ...c, metadata: userMeta(metadata) };
    };
    assert.deepEqual(await layout(b.tsnats), await layout(b.natsGo), "tsnats and nats.go, every option");
    assert.deepEqual(await layout(b.tsDefault), await layout(b.goDefault), "tsnats and nats.go, defaults");
    // nats.js sets the same limits (it differs in deny_delete, which it leaves off)
    const js = await layout(b.natsJs);
    const ts = await layout(b.tsnats);
    const differ = Object.keys({ ...js, ...ts }).filter((k) => JSON.stringify(js[k as keyof StreamConfig]) !== JSON.stringify(ts[k as keyof StreamConfig]));
    assert.deepEqual(differ, ["deny_delete"], `nats.js and tsnats differ in ${differ.join(", ")}`);
  });
});
