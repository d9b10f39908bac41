// `tsnats bench`: pub, sub, request, reply, js pub|consume|fetch, kv put|get.
import type { Command } from "commander";
import { registerCoreBenches } from "./core.js";
import { registerJsBenches } from "./js.js";
import { registerKvBenches } from "./kv.js";

export function registerBench(program: Command): void {
  const bench = program
    .command("bench")
    .description("Benchmarks: msgs/s, MB/s per client and in all, and latency percentiles for requests, JetStream and KV")
    .addHelpText(
      "after",
      `
Examples:
  tsnats bench sub test --msgs 100000 &  tsnats bench pub test --msgs 100000 --clients 2
  tsnats bench reply svc &                tsnats bench request svc --clients 4 --msgs 20000
  tsnats bench js pub js.bench --storage memory --purge && tsnats bench js consume
  tsnats bench kv put --clients 2 && tsnats bench kv get --clients 2`,
    );
  registerCoreBenches(bench);
  registerJsBenches(bench);
  registerKvBenches(bench);
}
