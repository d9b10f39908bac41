// The child side of child_client.ts: `node build/bench/run_child.js <client>` loads one JavaScript
// client (or the raw ceiling), says it is ready, then runs each case it is sent over IPC, one at a
// time, and reports its metrics. It ends when the bench does (the parent kills it on exit).
import type { BenchClient } from "./adapter.js";
import type { ChildJob, ChildReport } from "./child_client.js";
import { inProcessClient } from "./cases.js";
import { JS_CLIENTS } from "./clients.js";
import { rawClient } from "./raw.js";
import { collectGarbage } from "./gc.js";
import { getHeapSpaceStatistics } from "node:v8";

async function load(key: string): Promise<BenchClient> {
  if (key === "ceiling") return rawClient;
  const loader = JS_CLIENTS[key];
  if (!loader) throw new Error(`unknown client ${key}`);
  return inProcessClient((await loader()).client);
}

const send = (r: ChildReport): void => {
  process.send!(r);
};

const mb = (n: number): string => (n / 1e6).toFixed(1);

/**
 * BENCH_DEBUG: the run's span (monotonic µs, the clock of `--cpu-prof` profiles), then the child's
 * memory after a full collection, once a case's run is done; the heap spaces when a run starts.
 */
function debugMemory(id: string, started: bigint): void {
  console.error(`[${process.argv[2]}] ${id} ran from ${started / 1000n} to ${process.hrtime.bigint() / 1000n} µs`);
  collectGarbage();
  const m = process.memoryUsage();
  console.error(`[${process.argv[2]}] after ${id}: heap ${mb(m.heapUsed)}/${mb(m.heapTotal)} MB, external ${mb(m.external)}, arrayBuffers ${mb(m.arrayBuffers)}, rss ${mb(m.rss)}; ${spaceSizes()}`);
}

/** Each heap space's used / total MB. */
function spaceSizes(): string {
  return getHeapSpaceStatistics().map((s) => `${s.space_name.replace("_space", "")} ${mb(s.space_used_size)}/${mb(s.space_size)}`).join(", ");
}

const client = await load(process.argv[2] ?? "");
process.on("message", (job: ChildJob) => {
  const started = process.hrtime.bigint();
  if (process.env.BENCH_DEBUG) console.error(`[${process.argv[2]}] ${job.spec.id} starts: ${spaceSizes()}`);
  void client.run(job.spec, job.url, job.tag).then(
    (metrics) => {
      if (process.env.BENCH_DEBUG) debugMemory(job.spec.id, started);
      send({ type: "metrics", metrics });
    },
    (err: unknown) => send({ type: "metrics", metrics: { ok: false, error: String(err), count: job.spec.count, elapsedMs: 0, msgsPerSec: 0, mbPerSec: 0 } }),
  );
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
