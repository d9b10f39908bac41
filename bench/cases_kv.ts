// The Key-Value cases (`--case kv-`), written once against adapter_js.ts.
//
// Each run creates its bucket (memory storage, history 1, allow_direct as the case says; each
// client's own `create`) before its warm-up and deletes it after the timed part.
//   kv-put-128B-mem            awaited `kv.put()` one at a time over 1,000 keys; p50/p99 per put
//   kv-get-{direct,nodirect}-128B-mem
//                              awaited `kv.get()` one at a time over 1,000 keys filled before;
//                              allow_direct true (direct get, `$JS.API.DIRECT.GET`) or false (the
//                              stream leader's `STREAM.MSG.GET`); p50/p99 per get
//   kv-watch-128B-mem          `kv.watch()` of a bucket filled with warm-up + count keys, timed from
//                              the warm-up's last entry to the last initial value
import { performance } from "node:perf_hooks";
import type { BenchConn, BenchJetStream, CaseSpec } from "./adapter.js";
import type { BenchKv } from "./adapter_js.js";
import type { Measured, RunContext } from "./cases.js";
import { fillStream, waitForCount } from "./cases_consume.js";
import { streamName } from "./util.js";

const KEYS = 1_000;
/** Timed entries of kv-watch: about a second for the fastest client, as the core cases (NOTES §12). */
const WATCH_COUNT = 400_000;

export function kvCases(quick: boolean): CaseSpec[] {
  const div = quick ? 10 : 1;
  const size = 128;
  const mem = "memory storage, history 1";
  return [
    {
      id: "kv-put-128B-mem", kind: "kvput", size, count: 5_000 / div, storage: "memory", keys: KEYS, direct: true,
      description: `${(5_000 / div).toLocaleString("en-US")} kv.put() of ${size} B, each awaited, over ${KEYS} keys (${mem})`,
    },
    ...[true, false].map((direct): CaseSpec => ({
      id: `kv-get-${direct ? "direct" : "nodirect"}-128B-mem`, kind: "kvget", size, count: 10_000 / div, storage: "memory", keys: KEYS, direct,
      description: `${(10_000 / div).toLocaleString("en-US")} kv.get() of ${size} B values, each awaited, over ${KEYS} keys; ` +
        `allow_direct ${direct} (${mem})`,
    })),
    {
      id: "kv-watch-128B-mem", kind: "kvwatch", size, count: WATCH_COUNT / div, storage: "memory", direct: true,
      description: `kv.watch() of a bucket of ${((WATCH_COUNT * 1.1) / div).toLocaleString("en-US")} keys of ${size} B: ` +
        `the last ${(WATCH_COUNT / div).toLocaleString("en-US")} initial values timed (${mem})`,
    },
  ];
}

const keyOf = (i: number) => `k${i}`;

async function withBucket(
  ctx: RunContext, body: (kv: BenchKv, conn: BenchConn, js: BenchJetStream, bucket: string) => Promise<Measured>,
): Promise<Measured> {
  const conn = await ctx.open("kv");
  const js = await conn.jetstream();
  const kvm = await conn.kv();
  const bucket = streamName(ctx.tag);
  const kv = await kvm.create({ name: bucket, storage: ctx.spec.storage ?? "memory", direct: ctx.spec.direct ?? true });
  try {
    return await body(kv, conn, js, bucket);
  } finally {
    await kvm.delete(bucket).catch(() => undefined);
  }
}

/** Fills keys k0..k(n-1) (core publishes to `$KV.<bucket>.<key>`), waiting until stored. */
function fillKeys(ctx: RunContext, conn: BenchConn, js: BenchJetStream, bucket: string, n: number): Promise<void> {
  return fillStream(conn, () => js.streamMessages(`KV_${bucket}`), (i) => `$KV.${bucket}.${keyOf(i)}`, ctx.data, n);
}

async function runKvPut(ctx: RunContext): Promise<Measured> {
  return withBucket(ctx, async (kv, _conn, js, bucket) => {
    const keys = ctx.spec.keys ?? KEYS;
    for (let i = 0; i < ctx.warm; i++) await kv.put(keyOf(i % keys), ctx.data);
    const n = ctx.spec.count;
    const lat = new Float64Array(n);
    ctx.start();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await kv.put(keyOf((ctx.warm + i) % keys), ctx.data);
      lat[i] = performance.now() - t;
    }
    const elapsedMs = ctx.stop();
    const stored = await js.streamMessages(`KV_${bucket}`);
    const expected = Math.min(keys, ctx.warm + n);
    if (stored !== expected) throw new Error(`bucket holds ${stored} entries, expected ${expected}`);
    return { done: n, elapsedMs, latenciesMs: lat };
  });
}

async function runKvGet(ctx: RunContext): Promise<Measured> {
  return withBucket(ctx, async (kv, conn, js, bucket) => {
    const keys = ctx.spec.keys ?? KEYS;
    await fillKeys(ctx, conn, js, bucket, keys);
    const get = async (i: number) => {
      const v = await kv.get(keyOf(i % keys));
      if (v === null || v.length !== ctx.spec.size) throw new Error(`get ${keyOf(i % keys)}: ${v === null ? "no value" : `${v.length} bytes`}`);
    };
    for (let i = 0; i < ctx.warm; i++) await get(i);
    const n = ctx.spec.count;
    const lat = new Float64Array(n);
    ctx.start();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await get(ctx.warm + i);
      lat[i] = performance.now() - t;
    }
    return { done: n, elapsedMs: ctx.stop(), latenciesMs: lat };
  });
}

async function runKvWatch(ctx: RunContext): Promise<Measured> {
  return withBucket(ctx, async (kv, conn, js, bucket) => {
    const total = ctx.warm + ctx.spec.count;
    await fillKeys(ctx, conn, js, bucket, total);
    let n = 0;
    let bytes = 0;
    let stalled = false;
    const w = await kv.watch();
    let onDone!: () => void;
    const reached = new Promise<void>((resolve) => { onDone = resolve; });
    const watching = waitForCount(ctx, () => n, total, reached, () => {
      stalled = true;
      w.stop();
    });
    watching.catch(() => undefined);
    let endAt: number | undefined;
    for await (const e of w.entries) {
      bytes += e.value.length;
      if (++n === ctx.warm) ctx.start();
      else if (n === total) {
        endAt = performance.now(); // leaving the loop stops the watch: not timed
        break;
      }
    }
    const elapsedMs = ctx.stop(endAt);
    w.stop();
    onDone();
    if (stalled || n !== total) await watching;
    if (n !== total) throw new Error(`the watch ended after ${n} of ${total} entries`);
    if (bytes !== n * ctx.spec.size) throw new Error(`got ${bytes} value bytes in ${n} entries of ${ctx.spec.size} B`);
    return { done: ctx.spec.count, elapsedMs };
  });
}

export const kvBodies = {
  kvput: runKvPut,
  kvget: runKvGet,
  kvwatch: runKvWatch,
} satisfies Partial<Record<CaseSpec["kind"], (ctx: RunContext) => Promise<Measured>>>;
