// `tsnats rtt`: round-trip time to the connected server.
import type { Command } from "commander";
import { humanDuration, printJson } from "./output.js";
import { action } from "./options.js";
import { parseInteger } from "./util.js";

export function registerRtt(program: Command): void {
  program
    .command("rtt")
    .description("Measure the round-trip time to the server (PING/PONG)")
    .option("--iterations <n>", "how many round trips to average", "5")
    .action(
      action({}, async (s) => {
        const iterations = parseInteger(s.opts.iterations as string, "--iterations", 1);
        const started = performance.now();
        const nc = await s.nc({ reconnect: false });
        const connectMs = performance.now() - started;
        const samples: number[] = [];
        for (let i = 0; i < iterations; i++) samples.push(await nc.rtt());
        const avg = samples.reduce((a, b) => a + b, 0) / samples.length;
        const server = nc.getServer();
        if (s.json) {
          printJson({ server, connect_ms: round(connectMs), rtt_ms: round(avg), min_ms: round(Math.min(...samples)), max_ms: round(Math.max(...samples)), samples: samples.map(round) });
          return;
        }
        console.log(`${server}:`);
        console.log(`  rtt ${humanDuration(avg)} (average of ${iterations}, min ${humanDuration(Math.min(...samples))}, max ${humanDuration(Math.max(...samples))})`);
        console.log(`  connected in ${humanDuration(connectMs)}`);
      }),
    );
}

function round(n: number): number {
  return Number(n.toFixed(3));
}
