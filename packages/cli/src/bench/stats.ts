// Bench results: per-client counts and timings, latency histograms (HdrHistogram, microseconds),
// the report table and the CSV file.
import { writeFileSync } from "node:fs";
import * as hdr from "hdr-histogram-js";
import { humanBytes, humanCount, humanDuration, printJson, printTable } from "../output.js";

export type Histogram = hdr.Histogram;

/** A histogram of latencies in microseconds (1 µs to 1 hour, 3 significant digits). */
export function newHistogram(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

/** Records a latency given in milliseconds. */
export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

/**
 * One client's operations one after another: `op(j)` for j = 0..n-1 (until `signal` aborts), each
 * timed into a latency histogram and counted into `progress`; `op` returns the bytes it moved.
 */
export async function timedSequence(n: number, signal: AbortSignal, progress: { done: number }, op: (j: number) => Promise<number>): Promise<ClientResult> {
  const latency = newHistogram();
  const start = performance.now();
  let bytes = 0;
  for (let j = 0; j < n && !signal.aborted; j++) {
    const t0 = performance.now();
    bytes += await op(j);
    recordMs(latency, performance.now() - t0);
    progress.done++;
  }
  return { msgs: n, bytes, start, end: performance.now(), latency };
}

/** What one client did. */
export interface ClientResult {
  msgs: number;
  bytes: number;
  /** performance.now() at the first and after the last message. */
  start: number;
  end: number;
  latency?: Histogram;
}

export interface Latency {
  count: number;
  min: number;
  avg: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

export interface Summary {
  msgs: number;
  bytes: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  latency?: Latency;
}

/** Latencies in milliseconds. */
function latencyOf(h: Histogram | undefined): Latency | undefined {
  if (!h || h.totalCount === 0) return undefined;
  const ms = (us: number): number => us / 1000;
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    avg: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

function summarize(msgs: number, bytes: number, start: number, end: number, latency?: Histogram): Summary {
  const seconds = Math.max(end - start, 1e-3) / 1000;
  return { msgs, bytes, seconds, msgsPerSec: msgs / seconds, mbPerSec: bytes / seconds / 1_000_000, latency: latencyOf(latency) };
}

/** One client's figures, and the aggregate over all clients (from the first start to the last end). */
export function summarizeAll(results: ClientResult[]): { clients: Summary[]; total: Summary } {
  const clients = results.map((r) => summarize(r.msgs, r.bytes, r.start, r.end, r.latency));
  let merged: Histogram | undefined;
  for (const r of results) {
    if (!r.latency) continue;
    merged ??= newHistogram();
    merged.add(r.latency);
  }
  const total = summarize(
    results.reduce((a, r) => a + r.msgs, 0),
    results.reduce((a, r) => a + r.bytes, 0),
    Math.min(...results.map((r) => r.start)),
    Math.max(...results.map((r) => r.end)),
    merged,
  );
  return { clients, total };
}

export interface ReportOptions {
  title: string;
  /** What is counted: "msgs" (default), "requests", "ops". */
  unit?: string;
  csv?: string;
  json?: boolean;
  /** Extra lines printed after the tables (checks, notes). */
  notes?: string[];
}

const fmtRate = (n: number): string => humanCount(Math.round(n));
const fmtMb = (n: number): string => n.toFixed(2);
const fmtLat = (ms: number): string => humanDuration(ms, "0µs");

/** Prints the per-client table, the totals and the latency percentiles; writes the CSV if asked. */
export function report(benchmark: string, results: ClientResult[], o: ReportOptions): void {
  const { clients, total } = summarizeAll(results);
  if (o.csv) writeCsv(o.csv, benchmark, clients, total);
  if (o.json) {
    printJson({ benchmark, title: o.title, total, clients, notes: o.notes });
    return;
  }
  const unit = o.unit ?? "msgs";
  console.log(o.title);
  console.log("");
  const row = (name: string, c: Summary): unknown[] => [name, humanCount(c.msgs), fmtRate(c.msgsPerSec), fmtMb(c.mbPerSec), humanDuration(c.seconds * 1000)];
  const rows = clients.length > 1 ? [...clients.map((c, i) => row(`#${i + 1}`, c)), row("all clients", total)] : [row("#1", total)];
  printTable(["Client", unit[0]!.toUpperCase() + unit.slice(1), `${unit}/s`, "MB/s", "Time"], rows, { align: ["left", "right", "right", "right", "right"] });
  const withLatency = clients.map((c, i) => [c, i] as const).filter(([c]) => c.latency);
  if (total.latency) {
    console.log("");
    const lrow = (name: string, l: Latency): unknown[] => [name, humanCount(l.count), fmtLat(l.min), fmtLat(l.avg), fmtLat(l.p50), fmtLat(l.p90), fmtLat(l.p99), fmtLat(l.p999), fmtLat(l.max)];
    const lrows = withLatency.length > 1 ? withLatency.map(([c, i]) => lrow(`#${i + 1}`, c.latency!)) : [];
    lrows.push(lrow(clients.length > 1 ? "all clients" : "#1", total.latency));
    printTable(["Latency", "Samples", "min", "avg", "p50", "p90", "p99", "p99.9", "max"], lrows, { align: ["left", "right", "right", "right", "right", "right", "right", "right", "right"] });
  }
  console.log("");
  if (clients.length > 1) {
    const rates = clients.map((c) => c.msgsPerSec);
    const avg = rates.reduce((a, b) => a + b, 0) / rates.length;
    const sd = Math.sqrt(rates.reduce((a, b) => a + (b - avg) ** 2, 0) / rates.length);
    console.log(`Per client: min ${fmtRate(Math.min(...rates))}, avg ${fmtRate(avg)}, max ${fmtRate(Math.max(...rates))}, stddev ${fmtRate(sd)} ${unit}/s`);
  }
  console.log(`${humanCount(total.msgs)} ${unit} in ${humanDuration(total.seconds * 1000)}: ${fmtRate(total.msgsPerSec)} ${unit}/s, ${fmtMb(total.mbPerSec)} MB/s (${humanBytes(total.bytes)})`);
  for (const n of o.notes ?? []) console.log(n);
  if (o.csv) console.log(`Results written to ${o.csv}`);
}

function writeCsv(file: string, benchmark: string, clients: Summary[], total: Summary): void {
  const head = "benchmark,client,msgs,bytes,seconds,msgs_per_sec,mb_per_sec,lat_min_ms,lat_avg_ms,lat_p50_ms,lat_p90_ms,lat_p99_ms,lat_p999_ms,lat_max_ms";
  const row = (name: string, s: Summary): string => {
    const l = s.latency;
    const lat = l ? [l.min, l.avg, l.p50, l.p90, l.p99, l.p999, l.max].map((v) => v.toFixed(4)) : ["", "", "", "", "", "", ""];
    return [benchmark, name, s.msgs, s.bytes, s.seconds.toFixed(6), s.msgsPerSec.toFixed(1), s.mbPerSec.toFixed(3), ...lat].join(",");
  };
  writeFileSync(file, `${[head, ...clients.map((c, i) => row(String(i + 1), c)), row("total", total)].join("\n")}\n`);
}
