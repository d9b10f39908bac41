// The child side of child_client.ts: `node build/bench/run_child.js <client>` loads one JavaScript
// client (or the raw ceiling), says it is ready, then runs each case it is sent over IPC, one at a
// time, and reports its metrics. It ends when the bench does (the parent kills it on exit).
import type { BenchClient } from "./adapter.js";
import type { ChildJob, ChildReport } from "./child_client.js";
import { inProcessClient } from "./cases.js";
import { JS_CLIENTS } from "./clients.js";
import { rawClient } from "./raw.js";

async function load(key: string): Promise<BenchClient> {
  if (key === "ceiling") return rawClient;
  const loader = JS_CLIENTS[key];
  if (!loader) throw new Error(`unknown client ${key}`);
  return inProcessClient((await loader()).client);
}

const send = (r: ChildReport): void => {
  process.send!(r);
};

const client = await load(process.argv[2] ?? "");
process.on("message", (job: ChildJob) => {
  void client.run(job.spec, job.url, job.tag).then(
    (metrics) => send({ type: "metrics", metrics }),
    (err: unknown) => send({ type: "metrics", metrics: { ok: false, error: String(err), count: job.spec.count, elapsedMs: 0, msgsPerSec: 0, mbPerSec: 0 } }),
  );
});
process.on("disconnect", () => process.exit(0));
send({ type: "ready" });
