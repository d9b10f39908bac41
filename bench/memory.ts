// The slow-consumer memory case. A subscriber whose callback blocks its event loop 1 ms per
// message runs in a child process of its own (memory_child.ts) with pending limits set; a raw
// publisher (another child, the same for every client) sends 1 KiB messages at full speed for
// the window (10 s). The parent samples the subscriber's RSS from /proc every 250 ms and checks
// that it grew by no more than the byte limit plus 50 MB, that every message the client read was
// either processed, dropped and counted, or still pending, and whether the server cut the
// subscriber off as a slow consumer. One repetition per client.
import { fork, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PubResult, SubReady, SubResult } from "./memory_child.js";
import type { ServerHandle } from "./server.js";
import { KiB, MiB, buildDir, describe } from "./util.js";

export interface MemoryOptions {
  windowMs: number;
  size: number;
  pending: { msgs: number; bytes: number };
  /** Allowed RSS growth on top of the byte limit. */
  slackBytes: number;
}

export function memoryOptions(quick: boolean): MemoryOptions {
  return { windowMs: quick ? 2_000 : 10_000, size: KiB, pending: { msgs: 10_000, bytes: 16 * MiB }, slackBytes: 50e6 };
}

export interface MemoryResult {
  client: string;
  version?: string;
  ok: boolean;
  error?: string;
  windowMs: number;
  size: number;
  /** The limits asked for, and whether the client has such limits at all. */
  pending: { msgs: number; bytes: number; honoured: boolean };
  rss?: { baselineMB: number; peakMB: number; growthMB: number; boundMB: number; hwmMB?: number; samples: number };
  /** growth ≤ bound (for a client without limits, the same bound is applied). */
  withinBound?: boolean;
  published?: number;
  sub?: SubResult;
  /** received = processed + dropped + pending (every message read is accounted for). */
  accounted?: boolean;
  /** "Slow Consumer" lines in the server log during the window (undefined: server not ours). */
  serverSlowConsumer?: number;
  series?: { ms: number; rssMB: number }[];
}

const READY_TIMEOUT_MS = 20_000;
const RESULT_GRACE_MS = 20_000;
const SAMPLE_MS = 250;
const SUB_EXTRA_MS = 500;
const MB = 1e6;

/** VmRSS and VmHWM of a process, in bytes (Linux /proc). */
function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN) * 1024;
    const out = { rss: kb("VmRSS"), hwm: kb("VmHWM") };
    return Number.isFinite(out.rss) ? out : undefined;
  } catch {
    return undefined;
  }
}

function nextMessage<T>(child: ChildProcess, type: string, ms: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const done = (f: () => void) => { clearTimeout(timer); child.off("message", onMsg); child.off("exit", onExit); f(); };
    const onMsg = (m: { type?: string; error?: string }) => {
      if (m.type === type) done(() => resolve(m as T));
      else if (m.type === "result" && m.error) done(() => reject(new Error(`${what}: ${m.error}`)));
    };
    const onExit = (code: number | null, sig: string | null) => done(() => reject(new Error(`${what} exited (${code ?? sig})`)));
    const timer = setTimeout(() => done(() => reject(new Error(`${what}: no ${type} within ${ms} ms`))), ms);
    child.on("message", onMsg);
    child.on("exit", onExit);
  });
}

/** Asks a child to close and exit ({type: "bye"}); SIGKILL after 5 s. */
function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => { clearTimeout(timer); resolve(); });
    if (child.connected) child.send({ type: "bye" });
    else child.kill("SIGTERM");
  });
}

const round = (n: number) => Math.round(n * 10) / 10;

export async function runMemoryCase(client: string, server: ServerHandle, opts: MemoryOptions, tag: string): Promise<MemoryResult> {
  const script = join(buildDir(), "memory_child.js");
  const subject = `bench.memory.${tag}`;
  const r: MemoryResult = {
    client, ok: false, windowMs: opts.windowMs, size: opts.size, pending: { ...opts.pending, honoured: false },
  };
  let slow = 0;
  const offLog = server.onLog((line) => { if (/slow consumer/i.test(line)) { slow++; if (process.env.BENCH_DEBUG) console.error(line); } });
  let sub: ChildProcess | undefined;
  let pub: ChildProcess | undefined;
  let sampler: ReturnType<typeof setInterval> | undefined;
  try {
    sub = fork(script, ["sub", client, server.url, subject, String(opts.pending.msgs), String(opts.pending.bytes)],
      { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const ready = await nextMessage<SubReady>(sub, "ready", READY_TIMEOUT_MS, `${client} subscriber`);
    r.version = ready.version;
    r.pending.honoured = ready.pendingLimits;
    pub = fork(script, ["pub", server.url, subject, String(opts.size)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    await nextMessage(pub, "ready", READY_TIMEOUT_MS, "publisher");

    const pid = sub.pid!;
    const base = procMemory(pid);
    if (!base) throw new Error("cannot read /proc/<pid>/status (the memory case needs Linux)");
    const series: { ms: number; rssMB: number }[] = [];
    const t0 = Date.now();
    let peak = base.rss;
    sampler = setInterval(() => {
      const m = procMemory(pid);
      if (!m) return;
      peak = Math.max(peak, m.rss);
      series.push({ ms: Date.now() - t0, rssMB: round(m.rss / MB) });
    }, SAMPLE_MS);

    slow = 0;
    const subResult = nextMessage<SubResult>(sub, "result", opts.windowMs + RESULT_GRACE_MS, `${client} subscriber`);
    const pubResult = nextMessage<PubResult>(pub, "result", opts.windowMs + RESULT_GRACE_MS, "publisher");
    // The subscriber's window ends a little after the publisher's, so it is slow all along.
    pub.send({ type: "go", ms: opts.windowMs });
    sub.send({ type: "go", ms: opts.windowMs + SUB_EXTRA_MS });
    const [s, p] = await Promise.allSettled([subResult, pubResult]);
    clearInterval(sampler);
    const last = procMemory(pid);
    if (last) peak = Math.max(peak, last.rss);
    if (s.status === "rejected") throw s.reason;
    if (p.status === "fulfilled") {
      r.published = p.value.published;
      if (p.value.error) r.error = `publisher: ${p.value.error}`;
    } else {
      r.error = `publisher: ${describe(p.reason)}`;
    }

    const growth = peak - base.rss;
    const bound = opts.pending.bytes + opts.slackBytes;
    r.rss = {
      baselineMB: round(base.rss / MB), peakMB: round(peak / MB), growthMB: round(growth / MB), boundMB: round(bound / MB),
      ...(last ? { hwmMB: round(last.hwm / MB) } : {}), samples: series.length,
    };
    r.withinBound = growth <= bound;
    r.sub = s.value;
    const v = s.value;
    r.accounted = v.received === v.processed + (v.dropped ?? 0) + v.pending;
    r.series = series;
    r.ok = r.error === undefined;
  } catch (err) {
    r.error = describe(err);
  } finally {
    if (sampler) clearInterval(sampler);
    await Promise.all([stopChild(sub), stopChild(pub)]);
    offLog();
    if (server.owned) r.serverSlowConsumer = slow;
  }
  return r;
}

export function formatMemoryTable(results: MemoryResult[]): string {
  const rows = results.map((r) => {
    const v = r.sub;
    const limits = r.pending.honoured ? `${r.pending.msgs} msgs / ${r.pending.bytes / MiB} MiB` : "none (no pending limits)";
    const lines = [
      `${r.client} ${r.version ?? ""}: ${r.ok ? "" : `FAILED: ${r.error}`}`.trimEnd(),
      `  limits: ${limits}; window ${r.windowMs / 1000} s; ${r.size} B messages; publisher sent ${r.published?.toLocaleString("en-US") ?? "?"}`,
    ];
    if (r.rss) {
      lines.push(`  RSS: baseline ${r.rss.baselineMB} MB, peak ${r.rss.peakMB} MB (VmHWM ${r.rss.hwmMB ?? "?"} MB), ` +
        `growth ${r.rss.growthMB} MB vs bound ${r.rss.boundMB} MB (limit + 50 MB): ${r.withinBound ? "WITHIN" : "EXCEEDED"}` +
        `${r.pending.honoured ? "" : " (bound applied although the client has no limits)"}`);
    }
    if (v) {
      lines.push(`  at the end of the window: heap used ${v.memory.heapUsedMB} MB of ${v.memory.heapTotalMB} MB, ` +
        `ArrayBuffers ${v.memory.arrayBuffersMB} MB (${v.memory.arrayBuffersAfterGcMB} MB still referenced after a full GC)`);
    }
    if (v) {
      lines.push(`  received ${v.received.toLocaleString("en-US")}, processed ${v.processed.toLocaleString("en-US")} ` +
        `(client's counter: ${v.clientProcessed.toLocaleString("en-US")}), dropped ${v.dropped === undefined ? "n/a (client does not drop)" : v.dropped.toLocaleString("en-US")}, ` +
        `pending ${v.pending.toLocaleString("en-US")}; received = processed + dropped + pending: ${r.accounted ? "yes" : "NO"}`);
      lines.push(`  slow-consumer errors reported to the subscription: ${v.subErrors}${v.firstSubError ? ` (${v.firstSubError})` : ""}`);
      lines.push(`  connection: ${v.connClosed ?? "stayed open"}; server log "Slow Consumer" lines: ${r.serverSlowConsumer ?? "unknown (external server)"}`);
    }
    return lines.join("\n");
  });
  return ["slow-consumer memory case (1 repetition per client):", ...rows].join("\n");
}
