// tsnats vs nats.js v3 vs nats.go vs a raw-socket ceiling: throughput, latency, GC and memory.
//
// Run everything (starts its own nats-server on 127.0.0.1, random port: the pinned `current`
// version from nats-servers.json, or NATS_SERVER_BIN; about 13 minutes, 8 of them the core cases):
//   npm run bench                                   (= setup + build, then node build/bench/bench.js)
// Run one case (substring of the case id), quickly, all clients:
//   node build/bench/bench.js --case pubsub-1KiB --quick
// More examples:
//   node build/bench/bench.js --case req-seq --reps 5
//   node build/bench/bench.js --case memory                  (only the slow-consumer memory case)
//   node build/bench/bench.js --case js                      (only the JetStream cases, ~3 min)
//   node build/bench/bench.js --clients nats.js,nats.go --quick
//   NATS_URL=nats://127.0.0.1:4222 node build/bench/bench.js (use a running server instead)
//   BENCH_DEBUG=1 BENCH_CHILD_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" node build/bench/bench.js --case obj-
//     (each JavaScript client's child prints every run's span in the profiles' µs clock and its
//     memory after the run; BENCH_CHILD_ARGS are node options for the children only)
//
// Options: --quick (10x fewer messages, 2 s memory window), --case <substr>[,<substr>...],
//          --reps N (default 3), --clients tsnats,nats.js,nats.go,ceiling,
//          --out <file> (default bench/results/latest.json), --in-process (run tsnats, nats.js and
//          the ceiling inside the bench's own process, as before NOTES.md §10), --help.
// Case ids: pub-{16B,128B,1KiB,16KiB}; pubsub-{same} (publisher and subscriber on two
// connections); pubsub-1conn-{same} (both on one connection); req-seq-128B (sequential requests,
// p50/p99 latency); req-inflight100-128B; req-seq-ext-128B and req-inflight100-ext-128B (the same,
// answered by one external responder process, the nats.go binary in -kind responder mode, started
// before and stopped after every run: responder.ts); memory-slow-consumer; and the JetStream cases
// (`--case js` selects them all; no ceiling column): js-pub-sync-128B-{mem,file} (awaited
// publishes one at a time, p50/p99 per publish), js-pub-async-128B-w{1000,4000}-{mem,file} (async
// publishes with that many acks in flight, timed until the last ack), js-batch-100-mem (atomic
// batches of 100, p50/p99 per batch). Each JetStream run creates its stream before and deletes it
// after, outside the timed part; the server runs with JetStream enabled (store in its temp dir).
// Consuming and KV (cases_consume.ts, cases_kv.ts; `--case js-consume,js-fetch,js-ordered,kv-`):
// js-consume-{100,1000}-{ack,noack}-mem, js-fetch-{100,1000}-ack-mem, js-ordered-100-mem (a stream
// pre-filled with 110,000-440,000 messages, all consumed; counts per case in cases_consume.ts),
// kv-put-128B-mem, kv-get-{direct,nodirect}-128B-mem, kv-watch-128B-mem (440,000 keys). Object
// Store (cases_obj.ts, `--case obj-`): obj-put-64MiB-file and obj-get-64MiB-file (three 64 MiB
// objects put from memory / read to their end as streams, MB/s).
//
// Clients: tsnats and nats.js run through the adapter in adapter.ts, each (and the ceiling) in a
// child process of its own that lives for the whole bench and runs that client's cases one at a
// time (child_client.ts, run_child.ts): its own heap and a warm JIT, as nats.go has; nats.go is
// bench/go/main.go, built as the Go module in bench/go (go.mod pins nats.go; binary cached outside
// the repository), else with Debian's Go and nats.go packages (client_go.ts; when neither builds,
// its column says why), and run as a subprocess per measurement; "ceiling" is raw.ts, bare
// sockets with pre-built frames: the limit of one Node event loop. The tables name the
// nats-server and client versions; the JSON records them too.
//
// Method: each case runs the clients alternately (A B C D A B C D ...) for --reps repetitions;
// each run uses fresh connections and a fresh subject, does an untimed warm-up (a tenth of the
// messages, and at least as many as it times up to 5,000: warmCount in util.ts), then times the rest. The tables show the median and min–max msgs/s per client,
// payload MB/s (10^6 bytes/s; requests count one direction), the client's CPU time per message
// over the timed part (µs; user + system of the whole client process: process.cpuUsage() deltas
// in-process, getrusage deltas inside the nats.go child), request latency percentiles, GC
// collections and pause time inside the timed part (node:perf_hooks 'gc' entries; blank for
// nats.go), and the ratios tsnats/nats.js, tsnats/nats.go and tsnats/ceiling of median msgs/s
// and of median CPU per message.
// The slow-consumer memory case (memory.ts) runs once per JS client. It measures and prints only:
// no thresholds, no assertions (the memory case reports whether RSS stayed within its bound).
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { BenchClient, CaseSpec, ClientModule } from "./adapter.js";
import { defaultCases, inProcessClient } from "./cases.js";
import { JS_CLIENTS } from "./clients.js";
import { childClient, stopChildren } from "./child_client.js";
import { prepareGoClient, type GoBuildInfo } from "./client_go.js";
import { formatMemoryTable, memoryOptions, runMemoryCase, type MemoryResult } from "./memory.js";
import { rawClient } from "./raw.js";
import { startExternalResponder, type ExternalResponder, type ResponderStats } from "./responder.js";
import {
  clientLabels, formatHeading, formatRatioTable, formatTable, ratios, summarize, writeResults,
  type RawRun, type Results, type ServerInfo,
} from "./report.js";
import { startServer, type ServerHandle } from "./server.js";
import { repoRoot, warmCount } from "./util.js";

const ALL_CLIENTS = ["tsnats", "nats.js", "nats.go", "ceiling"];
const SUBJECT = "tsnats";
const MEMORY_CASE = "memory-slow-consumer";
const MEMORY_CLIENTS = ["tsnats", "nats.js"];

const USAGE = `usage: node build/bench/bench.js [--quick] [--case <substr>[,...]] [--reps N]
                                   [--clients ${ALL_CLIENTS.join(",")}] [--out <file>] [--in-process]`;

function parseOptions() {
  const { values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      case: { type: "string" },
      reps: { type: "string", default: "3" },
      clients: { type: "string", default: ALL_CLIENTS.join(",") },
      out: { type: "string" },
      "in-process": { type: "boolean", default: false },
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
    if (!ALL_CLIENTS.includes(c)) throw new Error(`unknown client ${c} (known: ${ALL_CLIENTS.join(", ")})`);
  }
  return {
    quick: values.quick,
    caseFilter: values.case,
    reps,
    clients,
    inProcess: values["in-process"],
    out: values.out ?? join(repoRoot(), "bench", "results", "latest.json"),
  };
}

function selectCases(all: CaseSpec[], filter: string | undefined): { cases: CaseSpec[]; memory: boolean } {
  if (!filter) return { cases: all, memory: true };
  const parts = filter.split(",").map((s) => s.trim().toLowerCase()).filter(Boolean);
  const match = (id: string) => parts.some((p) => id.toLowerCase().includes(p));
  const cases = all.filter((c) => match(c.id));
  const memory = match(MEMORY_CASE);
  if (cases.length === 0 && !memory) {
    throw new Error(`--case ${filter} matches none of: ${[...all.map((c) => c.id), MEMORY_CASE].join(", ")}`);
  }
  return { cases, memory };
}

/** The clients to run, in the order they alternate, and the ones that cannot run (with why). */
async function loadClients(names: string[], needGo: boolean, inProcess: boolean): Promise<{
  clients: BenchClient[]; mods: ClientModule[]; missing: Record<string, string>; natsGo?: GoBuildInfo;
}> {
  const clients: BenchClient[] = [];
  const mods: ClientModule[] = [];
  const missing: Record<string, string> = {};
  let natsGo: GoBuildInfo | undefined;
  for (const name of names) {
    try {
      if (JS_CLIENTS[name]) {
        const mod = (await JS_CLIENTS[name]()).client;
        mods.push(mod);
        const c = inProcessClient(mod);
        clients.push(inProcess ? c : childClient(c, name));
      } else if (name === "nats.go" && needGo) {
        const go = prepareGoClient();
        if ("client" in go) {
          clients.push(go.client);
          natsGo = go.info;
        } else {
          missing[name] = go.unavailable;
        }
      } else if (name === "ceiling") {
        clients.push(inProcess ? rawClient : childClient(rawClient, name));
      }
    } catch (err) {
      missing[name] = `could not be loaded: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  return { clients, mods, missing, ...(natsGo ? { natsGo } : {}) };
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

function caseDescription(spec: CaseSpec): string {
  const n = spec.count.toLocaleString("en-US");
  const storage = `${spec.storage ?? "memory"} storage`;
  switch (spec.kind) {
    case "req":
    case "reqpar":
      return `${n} requests of ${spec.size} B${spec.kind === "reqpar" ? `, ${spec.inflight ?? 100} in flight` : ", one at a time"}, ` +
        (spec.externalResponder
          ? "answered by an external responder process (nats.go, -kind responder)"
          : "answered by a responder connection in the client's own process");
    case "jspub":
      return `${n} JetStream publishes of ${spec.size} B, each awaited (${storage})`;
    case "jsasync":
      return `${n} JetStream async publishes of ${spec.size} B, ${spec.window} in flight, timed until the last ack (${storage})`;
    case "jsbatch":
      return `${n} messages of ${spec.size} B in ${(spec.count / (spec.batch ?? 1)).toLocaleString("en-US")} atomic batches of ${spec.batch} (${storage})`;
    default:
      return spec.description ?? `${n} messages of ${spec.size} B`;
  }
}

function progress(run: RawRun): string {
  const what = run.ok ? `${Math.round(run.msgsPerSec).toLocaleString("en-US")} msgs/s` : `FAILED: ${run.error}`;
  const extra: string[] = [];
  if (run.p50Us !== undefined) extra.push(`p50 ${run.p50Us.toFixed(1)} µs, p99 ${run.p99Us?.toFixed(1)} µs`);
  if (run.received !== undefined && run.received < run.count) extra.push(`received ${run.received}/${run.count}`);
  if (run.connClosed) extra.push(run.connClosed);
  if (run.cpuUsPerMsg !== undefined) extra.push(`cpu ${run.cpuUsPerMsg < 10 ? run.cpuUsPerMsg.toFixed(3) : run.cpuUsPerMsg.toFixed(1)} µs/msg`);
  if (run.gc) extra.push(`gc ${run.gc.count}/${run.gc.ms.toFixed(1)} ms`);
  if (run.responder) extra.push(`responder answered ${run.responder.answered}`);
  return `  ${run.case} rep ${run.rep} ${run.client.padEnd(8)} ${what} (${(run.elapsedMs / 1000).toFixed(2)} s${extra.length ? "; " + extra.join("; ") : ""})`;
}

/** The program the req-*-ext cases' responder runs: the nats.go binary (built here if need be). */
function responderBinary(natsGo: GoBuildInfo | undefined, missing: Record<string, string>): { bin: string } | { unavailable: string } {
  const why = (s: string) => ({ unavailable: `the external responder is the nats.go program, which is not available: ${s}` });
  if (natsGo) return { bin: natsGo.binary };
  if (missing["nats.go"]) return why(missing["nats.go"]);
  const go = prepareGoClient();
  return "client" in go ? { bin: go.info.binary } : why(go.unavailable);
}

/**
 * One run of a req-*-ext case: the external responder is started (subscribed and flushed) before
 * the client runs and stopped after it, also when the run fails. A run whose responder reported
 * an error, or did not answer exactly warm-up + count requests, fails.
 */
async function runWithResponder(
  client: BenchClient, spec: CaseSpec, url: string, tag: string, bin: string, live: (r: ExternalResponder | undefined) => void,
): Promise<RawRun> {
  const failed = (error: string): RawRun =>
    ({ case: spec.id, client: client.name, rep: 0, ok: false, error, count: spec.count, elapsedMs: 0, msgsPerSec: 0, mbPerSec: 0 });
  let r: ExternalResponder;
  try {
    r = await startExternalResponder(bin, url, tag);
  } catch (err) {
    return failed(err instanceof Error ? err.message : String(err));
  }
  live(r);
  let run: RawRun;
  try {
    run = { case: spec.id, client: client.name, rep: 0, ...await client.run(spec, url, tag) };
  } catch (err) {
    run = failed(err instanceof Error ? err.message : String(err));
  } finally {
    live(undefined);
  }
  const stats: ResponderStats = await r.stop();
  run.responder = stats;
  const expected = spec.count + warmCount(spec.count);
  if (run.ok && (!stats.ok || stats.answered !== expected)) {
    run.ok = false;
    run.error = `external responder: ${stats.error ?? `answered ${stats.answered} requests, expected ${expected}`}`;
  }
  return run;
}

async function main(): Promise<number> {
  const opts = parseOptions();
  const { cases, memory } = selectCases(defaultCases(opts.quick), opts.caseFilter);
  const { clients, mods, missing, natsGo } = await loadClients(opts.clients, cases.length > 0, opts.inProcess);
  for (const [name, why] of Object.entries(missing)) console.error(`bench: ${name} will not run: ${why}`);
  const responder = cases.some((c) => c.externalResponder) ? responderBinary(natsGo, missing) : undefined;
  if (responder && "unavailable" in responder) console.error(`bench: the req-*-ext cases will not run: ${responder.unavailable}`);
  const memoryClients = memory ? mods.filter((m) => MEMORY_CLIENTS.includes(m.name)) : [];
  if ((cases.length > 0 && clients.length === 0) || (cases.length === 0 && memoryClients.length === 0)) {
    console.error("bench: no client to run");
    return 1;
  }

  const loadStart = loadavg();
  const server = await startServer();
  let interrupted = false;
  /** The external responder of the run in progress (req-*-ext cases), if any. */
  let liveResponder: ExternalResponder | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    liveResponder?.kill();
    console.error(`\nbench: ${sig}, stopping the server`);
    void server.stop().finally(() => process.exit(130));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  try {
    const version = await serverVersion(server, mods);
    const serverInfo: ServerInfo = {
      url: server.url, version, owned: server.owned,
      ...(server.path ? { path: server.path } : {}), ...(server.note ? { note: server.note } : {}),
    };
    const clientInfo = clients.map((c) => ({ name: c.name, version: c.version, ...(c.detail ? { detail: c.detail } : {}) }));
    const heading = formatHeading(serverInfo, clientInfo);
    const labels = clientLabels(clientInfo);
    const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
    console.error(`bench: ${server.owned
      ? `started nats-server ${version ?? "?"} (${server.path}${server.note ? `; ${server.note}` : ""})`
      : `using the nats-server at NATS_URL (version ${version ?? "?"})`} at ${server.url}`);
    console.error(`bench: node ${process.version}; ${cpus().length} cpus, load ${fmtLoad(loadStart)}; ` +
      `clients ${clientInfo.map((c) => `${c.name} ${c.version}${c.detail ? ` (${c.detail})` : ""}`).join(", ")}; ` +
      `${opts.reps} reps${opts.quick ? " (quick)" : ""}`);

    const runs: RawRun[] = [];
    /** Per case, the clients that do not run it and why (the raw ceiling has no JetStream cases). */
    const notApplicable: Record<string, Record<string, string>> = {};
    let seq = 0;
    for (const spec of cases) {
      console.error(`${spec.id}: ${caseDescription(spec)}`);
      for (const client of clients) {
        const why = client.unsupported?.(spec) ??
          (spec.externalResponder && responder && "unavailable" in responder ? responder.unavailable : undefined);
        if (why) {
          (notApplicable[spec.id] ??= {})[client.name] = why;
          console.error(`  ${spec.id} ${client.name.padEnd(8)} n/a: ${why.replace(/^n\/a: /, "")}`);
        }
      }
      for (let rep = 1; rep <= opts.reps; rep++) {
        for (const client of clients) {
          if (notApplicable[spec.id]?.[client.name]) continue;
          const tag = `${spec.id}.${rep}.${client.name.replace(/\W/g, "")}.${seq++}`;
          const run: RawRun = spec.externalResponder && responder && "bin" in responder
            ? await runWithResponder(client, spec, server.url, tag, responder.bin, (r) => { liveResponder = r; })
            : { case: spec.id, client: client.name, rep, ...await client.run(spec, server.url, tag) };
          if (interrupted) return new Promise<number>(() => {}); // onSignal exits the process
          run.rep = rep;
          runs.push(run);
          console.error(progress(run));
        }
      }
    }

    const memoryResults: MemoryResult[] = [];
    const mopts = memoryOptions(opts.quick);
    if (memoryClients.length > 0) {
      console.error(`${MEMORY_CASE}: 1 KiB messages at full speed for ${mopts.windowMs / 1000} s to a 1 ms/message subscriber; ` +
        `1 repetition per client`);
    }
    for (const mod of memoryClients) {
      const r = await runMemoryCase(mod.name, server, mopts, `${mod.name.replace(/\W/g, "")}.${seq++}`);
      if (interrupted) return new Promise<number>(() => {});
      memoryResults.push(r);
      console.error(`  ${MEMORY_CASE} ${mod.name.padEnd(8)} ` + (r.rss
        ? `RSS +${r.rss.growthMB} MB (bound ${r.rss.boundMB} MB: ${r.withinBound ? "within" : "EXCEEDED"}); ` +
          `received ${r.sub?.received}, dropped ${r.sub?.dropped ?? "n/a"}${r.error ? `; ${r.error}` : ""}`
        : `FAILED: ${r.error}`));
    }
    const loadEnd = loadavg();

    const names = clients.map((c) => c.name);
    const summary = summarize(cases, names, runs);
    const others = ALL_CLIENTS.filter((c) => c !== SUBJECT && opts.clients.includes(c));
    const ratioRows = ratios(cases, summary, SUBJECT, others);
    console.log("");
    console.log(heading);
    if (cases.length > 0) {
      console.log("");
      console.log(formatTable(summary, labels));
      if (opts.clients.includes(SUBJECT)) {
        console.log("");
        console.log(`median msgs/s and ratios (tsnats / other; ${opts.reps} repetitions, alternating; ` +
          `nats-server ${version ?? "?"}); then median client CPU µs per message over the timed part and ` +
          `its ratios (tsnats / other: below 1.00x, tsnats used less CPU per message):`);
        console.log(formatRatioTable(ratioRows, SUBJECT, others, missing, notApplicable));
      }
    }
    if (memoryResults.length > 0) {
      console.log("");
      console.log(formatMemoryTable(memoryResults));
    }
    console.log(`\nload average at start ${fmtLoad(loadStart)}, at end ${fmtLoad(loadEnd)} (${cpus().length} cpus)`);

    const results: Results = {
      date: new Date().toISOString(),
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? "?"}`,
      load: { start: loadStart, end: loadEnd },
      server: serverInfo,
      clients: clientInfo,
      unavailable: missing,
      notApplicable,
      ...(natsGo ? { natsGo } : {}),
      ...(natsGo?.debianPackages ? { debianPackages: natsGo.debianPackages } : {}),
      mode: { quick: opts.quick, reps: opts.reps, ...(opts.caseFilter ? { caseFilter: opts.caseFilter } : {}) },
      cases,
      runs,
      summary,
      ratios: ratioRows,
      memory: memoryResults,
    };
    writeResults(resolve(opts.out), results);
    console.log(`\nresults: ${resolve(opts.out)}`);
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await stopChildren();
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
