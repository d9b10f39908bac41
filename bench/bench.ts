// tsnats vs nats.js throughput and latency benchmark.
//
// Run everything (starts its own nats-server on 127.0.0.1, random port; about 1.5 minutes):
//   npm run bench                                   (= setup + build, then node build/bench/bench.js)
// Run one case (substring of the case id), quickly, both clients:
//   node build/bench/bench.js --case pubsub-1KiB --quick
// More examples:
//   node build/bench/bench.js --case req-seq --reps 5
//   node build/bench/bench.js --clients nats.js --quick      (only nats.js, e.g. while src/ is broken)
//   NATS_URL=nats://127.0.0.1:4222 node build/bench/bench.js (use a running server instead)
//
// Options: --quick (10x fewer messages), --case <substr>[,<substr>...], --reps N (default 3),
//          --clients tsnats,nats.js, --out <file> (default bench/results/latest.json), --help.
// Case ids: pub-{16B,128B,1KiB,16KiB}, pubsub-{same}, req-seq-128B, req-inflight100-128B.
//
// Method: each case runs the clients alternately (A B A B ...) for --reps repetitions; each run
// uses fresh connections and a fresh subject, does an untimed warm-up of 10% of the messages, then
// times the rest. The table shows the median and min–max msgs/s per client, payload MB/s
// (10^6 bytes/s; requests count one direction), request latency percentiles, GC collections and
// pause time inside the timed part (node:perf_hooks 'gc' entries), and the ratio of each client's
// median msgs/s to nats.js'. pub→sub reports how many messages the subscriber got when the server
// dropped some (slow consumer). It measures and prints only: no thresholds, no assertions.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import type { BenchClient, CaseSpec, ClientModule } from "./adapter.js";
import { defaultCases, inProcessClient } from "./cases.js";
import { formatTable, summarize, writeResults, type RawRun, type Results } from "./report.js";
import { startServer, type ServerHandle } from "./server.js";

const KNOWN_CLIENTS: Record<string, () => Promise<{ client: ClientModule }>> = {
  "tsnats": () => import("./client_tsnats.js"),
  "nats.js": () => import("./client_natsjs.js"),
};
const BASELINE = "nats.js";

const USAGE = `usage: node build/bench/bench.js [--quick] [--case <substr>[,...]] [--reps N]
                                   [--clients ${Object.keys(KNOWN_CLIENTS).join(",")}] [--out <file>]`;

function repoRoot(): string {
  // build/bench/bench.js -> the repository is two levels up.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      case: { type: "string" },
      reps: { type: "string", default: "3" },
      clients: { type: "string", default: Object.keys(KNOWN_CLIENTS).join(",") },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const reps = Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer, got ${values.reps}`);
  const clients = values.clients.split(",").map((s) => s.trim()).filter(Boolean);
  for (const c of clients) {
    if (!KNOWN_CLIENTS[c]) throw new Error(`unknown client ${c} (known: ${Object.keys(KNOWN_CLIENTS).join(", ")})`);
  }
  return {
    quick: values.quick,
    caseFilter: values.case,
    reps,
    clients,
    out: values.out ?? join(repoRoot(), "bench", "results", "latest.json"),
  };
}

function selectCases(all: CaseSpec[], filter: string | undefined): CaseSpec[] {
  if (!filter) return all;
  const parts = filter.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  const chosen = all.filter((c) => parts.some((p) => c.id.toLowerCase().includes(p)));
  if (chosen.length === 0) throw new Error(`--case ${filter} matches none of: ${all.map((c) => c.id).join(", ")}`);
  return chosen;
}

async function loadClients(names: string[]): Promise<{ loaded: ClientModule[]; failed: { name: string; error: string }[] }> {
  const loaded: ClientModule[] = [];
  const failed: { name: string; error: string }[] = [];
  for (const name of names) {
    try {
      loaded.push((await KNOWN_CLIENTS[name]()).client);
    } catch (err) {
      failed.push({ name, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return { loaded, failed };
}

async function serverVersion(server: ServerHandle, mods: ClientModule[]): Promise<string | undefined> {
  if (server.version || mods.length === 0) return server.version;
  try {
    const conn = await mods[0].connector.connect(server.url, "bench-probe");
    const v = conn.serverVersion();
    await conn.close();
    return v;
  } catch {
    return undefined;
  }
}

function progress(run: RawRun): string {
  const what = run.ok ? `${Math.round(run.msgsPerSec).toLocaleString("en-US")} msgs/s` : `FAILED: ${run.error}`;
  const extra: string[] = [];
  if (run.p50Us !== undefined) extra.push(`p50 ${run.p50Us.toFixed(1)} µs, p99 ${run.p99Us?.toFixed(1)} µs`);
  if (run.received !== undefined && run.received < run.count) extra.push(`received ${run.received}/${run.count}`);
  if (run.connClosed) extra.push(run.connClosed);
  if (run.gc) extra.push(`gc ${run.gc.count}/${run.gc.ms.toFixed(1)} ms`);
  return `  ${run.case} rep ${run.rep} ${run.client.padEnd(8)} ${what} (${(run.elapsedMs / 1000).toFixed(2)} s${extra.length ? "; " + extra.join("; ") : ""})`;
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const cases = selectCases(defaultCases(opts.quick), opts.caseFilter);
  const { loaded, failed } = await loadClients(opts.clients);
  for (const f of failed) console.error(`bench: client ${f.name} could not be loaded, skipping it: ${f.error}`);
  if (loaded.length === 0) {
    console.error("bench: no client to run");
    return 1;
  }
  const clients: BenchClient[] = loaded.map(inProcessClient);
  const baseline = clients.some((c) => c.name === BASELINE) ? BASELINE : clients[0].name;

  const server = await startServer();
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\nbench: ${sig}, stopping the server`);
    void server.stop().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const version = await serverVersion(server, loaded);
    console.error(`bench: nats-server ${version ?? "?"} at ${server.url}; node ${process.version}; ` +
      `clients ${clients.map((c) => `${c.name} ${c.version}`).join(", ")}; ${opts.reps} reps${opts.quick ? " (quick)" : ""}`);

    const runs: RawRun[] = [];
    let seq = 0;
    for (const spec of cases) {
      console.error(`${spec.id}: ${spec.count.toLocaleString("en-US")} ${spec.kind.startsWith("req") ? "requests" : "messages"} of ${spec.size} B`);
      for (let rep = 1; rep <= opts.reps; rep++) {
        for (const client of clients) {
          const tag = `${spec.id}.${rep}.${client.name.replace(/\W/g, "")}.${seq++}`;
          const m = await client.run(spec, server.url, tag);
          if (interrupted) return new Promise<number>(() => {}); // onSignal exits the process
          const run: RawRun = { case: spec.id, client: client.name, rep, ...m };
          runs.push(run);
          console.error(progress(run));
        }
      }
    }

    const summary = summarize(cases, clients.map((c) => c.name), runs, baseline);
    console.log("");
    console.log(formatTable(summary, baseline));
    for (const f of failed) console.log(`(${f.name} not run: ${f.error})`);

    const results: Results = {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
      server: { url: server.url, version, owned: server.owned },
      clients: clients.map((c) => ({ name: c.name, version: c.version })),
      baseline,
      mode: { quick: opts.quick, reps: opts.reps, ...(opts.caseFilter ? { caseFilter: opts.caseFilter } : {}) },
      cases,
      runs,
      summary,
    };
    writeResults(resolve(opts.out), results);
    console.log(`\nresults: ${resolve(opts.out)}`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await server.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
    process.exit(1);
  },
);
