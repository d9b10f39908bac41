// Statistics over repeated runs, the printed table and the JSON file.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { CaseSpec, RunMetrics } from "./adapter.js";
import type { GoBuildInfo } from "./client_go.js";
import type { MemoryResult } from "./memory.js";
import type { ResponderStats } from "./responder.js";

export interface RawRun extends RunMetrics {
  case: string;
  client: string;
  rep: number;
  /** req-*-ext cases: the external responder's report (requests answered, its own CPU time). */
  responder?: ResponderStats;
}

export interface Range {
  median: number;
  min: number;
  max: number;
}

export interface CaseSummary {
  case: string;
  client: string;
  /** Successful runs the statistics are over (out of `runs`). */
  okRuns: number;
  runs: number;
  msgsPerSec?: Range;
  mbPerSec?: Range;
  /** Client CPU µs per message over the timed part (RunMetrics.cpuUsPerMsg). */
  cpuUsPerMsg?: Range;
  p50Us?: Range;
  p99Us?: Range;
  /** Lowest subscriber count over the runs, when a pub→sub run lost messages. */
  minReceived?: number;
  gcCount?: Range;
  gcMs?: Range;
  errors?: string[];
}

/**
 * Per case: tsnats' median msgs/s divided by each other client's, and tsnats' median CPU µs per
 * message divided by each other client's (below 1: tsnats uses less CPU); null: not measured.
 */
export interface CaseRatios {
  case: string;
  medians: Record<string, number | null>;
  ratios: Record<string, number | null>;
  cpuUsPerMsg: Record<string, number | null>;
  cpuRatios: Record<string, number | null>;
}

/** `sorted` ascending; nearest-rank with linear interpolation. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function range(values: (number | undefined)[]): Range | undefined {
  const v = values.filter((x): x is number => x !== undefined && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  return { median: percentile(v, 0.5), min: v[0], max: v[v.length - 1] };
}

export function summarize(cases: CaseSpec[], clients: string[], runs: RawRun[]): CaseSummary[] {
  const out: CaseSummary[] = [];
  for (const spec of cases) {
    const perClient: CaseSummary[] = [];
    for (const client of clients) {
      const mine = runs.filter((r) => r.case === spec.id && r.client === client);
      if (mine.length === 0) continue;
      const ok = mine.filter((r) => r.ok);
      const s: CaseSummary = { case: spec.id, client, okRuns: ok.length, runs: mine.length };
      const set = <K extends keyof CaseSummary>(k: K, v: CaseSummary[K] | undefined) => { if (v !== undefined) s[k] = v; };
      set("msgsPerSec", range(ok.map((r) => r.msgsPerSec)));
      set("mbPerSec", range(ok.map((r) => r.mbPerSec)));
      set("cpuUsPerMsg", range(ok.map((r) => r.cpuUsPerMsg)));
      set("p50Us", range(ok.map((r) => r.p50Us)));
      set("p99Us", range(ok.map((r) => r.p99Us)));
      set("gcCount", range(ok.map((r) => r.gc?.count)));
      set("gcMs", range(ok.map((r) => r.gc?.ms)));
      const lost = ok.filter((r) => r.received !== undefined && r.received < r.count);
      if (lost.length > 0) s.minReceived = Math.min(...lost.map((r) => r.received ?? 0));
      const errors = [...new Set(mine.map((r) => r.error ?? r.connClosed).filter((e): e is string => !!e))];
      if (errors.length > 0) s.errors = errors;
      perClient.push(s);
    }
    out.push(...perClient);
  }
  return out;
}

/** `subject` (tsnats) over each of `others`, per case, on median msgs/s and on median CPU per message. */
export function ratios(cases: CaseSpec[], summaries: CaseSummary[], subject: string, others: string[]): CaseRatios[] {
  return cases.map((spec) => {
    const find = (client: string) => summaries.find((s) => s.case === spec.id && s.client === client);
    const median = (client: string) => find(client)?.msgsPerSec?.median ?? null;
    const cpuMedian = (client: string) => find(client)?.cpuUsPerMsg?.median ?? null;
    const mine = median(subject);
    const myCpu = cpuMedian(subject);
    const medians: Record<string, number | null> = { [subject]: mine };
    const cpu: Record<string, number | null> = { [subject]: myCpu };
    const out: Record<string, number | null> = {};
    const cpuOut: Record<string, number | null> = {};
    for (const o of others) {
      const m = median(o);
      const c = cpuMedian(o);
      medians[o] = m;
      cpu[o] = c;
      out[`${subject}/${o}`] = mine !== null && m ? mine / m : null;
      cpuOut[`${subject}/${o}`] = myCpu !== null && c ? myCpu / c : null;
    }
    return { case: spec.id, medians, ratios: out, cpuUsPerMsg: cpu, cpuRatios: cpuOut };
  });
}

/** CPU µs per message with about three significant digits: 0.0712 → "0.071", 35.24 → "35.2". */
export function fmtCpu(us: number): string {
  if (us >= 100) return us.toFixed(0);
  if (us >= 10) return us.toFixed(1);
  if (us >= 1) return us.toFixed(2);
  return us.toFixed(3);
}

function fmtNum(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(n >= 100 ? 0 : 1);
}

function fmtRange(r: Range | undefined, f: (n: number) => string = fmtNum): [string, string] {
  if (!r) return ["-", ""];
  return [f(r.median), `${f(r.min)}–${f(r.max)}`];
}

/**
 * A plain-text table. `groups`, when given, is a line above the header naming runs of columns
 * (`span` columns each, in order; an empty label leaves its columns blank), drawn as
 * "label ------" across them.
 */
function table(header: string[], rows: string[][], rightAlign: boolean[], groups?: { label: string; span: number }[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const spanWidth = (from: number, span: number) => widths.slice(from, from + span).reduce((a, w) => a + w, 0) + 2 * (span - 1);
  if (groups) {
    // A group label wider than its columns widens the group's last column.
    let from = 0;
    for (const g of groups) {
      const need = g.label.length - spanWidth(from, g.span);
      if (need > 0) widths[from + g.span - 1] += need;
      from += g.span;
    }
  }
  const line = (cells: string[]) => cells
    .map((c, i) => (rightAlign[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
    .join("  ")
    .trimEnd();
  const out = [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
  if (groups) {
    let from = 0;
    const cells: string[] = [];
    for (const g of groups) {
      const w = spanWidth(from, g.span);
      cells.push(g.label ? `${g.label} `.padEnd(w, "-") : " ".repeat(w));
      from += g.span;
    }
    out.unshift(cells.join("  ").trimEnd());
  }
  return out.join("\n");
}

/** The server a run measured against, as recorded in the JSON. */
export interface ServerInfo {
  url: string;
  version: string | undefined;
  owned: boolean;
  /** The binary the bench started (the pinned `current` nats-server unless NATS_SERVER_BIN). */
  path?: string;
  note?: string;
}

export interface ClientInfo {
  name: string;
  version: string;
  detail?: string;
}

/** "nats.go v1.55.0" for the table columns; a client whose version is a phrase keeps its name. */
export function clientLabels(clients: ClientInfo[]): Record<string, string> {
  return Object.fromEntries(clients.map((c) => [c.name, /\s/.test(c.version) ? c.name : `${c.name} ${c.version}`]));
}

/** The lines printed above the tables: which nats-server, and which version of each client. */
export function formatHeading(server: ServerInfo, clients: ClientInfo[]): string {
  const where = server.owned
    ? `started by the bench: ${server.path ?? "?"}${server.note ? `, ${server.note}` : ""}`
    : "external, NATS_URL";
  return [
    `nats-server ${server.version ?? "?"} (${where}) at ${server.url}`,
    `clients: ${clients.map((c) => `${c.name} ${c.version}${c.detail ? ` (${c.detail})` : ""}`).join("; ")}`,
  ].join("\n");
}

/**
 * One row per case and client: medians over the repetitions, min–max of msgs/s. `labels` names
 * the clients in the table ("nats.go v1.55.0"); a client without one is shown by name.
 */
export function formatTable(summaries: CaseSummary[], labels: Record<string, string> = {}): string {
  const header = ["case", "client", "msgs/s", "min–max", "MB/s", "cpu µs/msg", "p50 µs", "p99 µs", "gc n", "gc ms", "notes"];
  const right = [false, false, true, true, true, true, true, true, true, true, false];
  const rows: string[][] = [];
  let lastCase = "";
  for (const s of summaries) {
    const [mps, mpsRange] = fmtRange(s.msgsPerSec);
    const notes: string[] = [];
    if (s.okRuns < s.runs) notes.push(`${s.runs - s.okRuns}/${s.runs} runs failed`);
    if (s.minReceived !== undefined) notes.push(`lost msgs: min received ${s.minReceived}`);
    if (s.errors) notes.push(...s.errors);
    rows.push([
      s.case === lastCase ? "" : s.case,
      labels[s.client] ?? s.client,
      mps,
      mpsRange,
      s.mbPerSec ? s.mbPerSec.median.toFixed(1) : "-",
      s.cpuUsPerMsg ? fmtCpu(s.cpuUsPerMsg.median) : "-",
      s.p50Us ? s.p50Us.median.toFixed(1) : "",
      s.p99Us ? s.p99Us.median.toFixed(1) : "",
      s.gcCount ? String(Math.round(s.gcCount.median)) : "",
      s.gcMs ? s.gcMs.median.toFixed(1) : "",
      notes.join("; "),
    ]);
    lastCase = s.case;
  }
  return table(header, rows, right);
}

/**
 * One row per case: each client's median msgs/s, the ratios of tsnats to each, each client's
 * median CPU µs per message and the ratios of tsnats' to each (below 1: tsnats used less CPU).
 * Columns carry the clients' short names under group labels (the heading names the versions).
 * `missing` maps a client that did not run to the reason, shown instead of its numbers.
 */
export function formatRatioTable(
  rows: CaseRatios[], subject: string, others: string[], missing: Record<string, string>,
  notApplicable: Record<string, Record<string, string>> = {},
): string {
  const all = [subject, ...others];
  const header = ["case", ...all, ...others, ...all, ...others];
  const groups = [
    { label: "", span: 1 },
    { label: "msgs/s", span: all.length },
    { label: `${subject} / other, msgs/s`, span: others.length },
    { label: "cpu µs/msg", span: all.length },
    { label: `${subject} / other, cpu`, span: others.length },
  ].filter((g) => g.span > 0);
  const right = header.map((_, i) => i > 0);
  const cell = (caseId: string, clients: string[], v: number | null, f: (n: number) => string) =>
    clients.some((c) => missing[c] || notApplicable[caseId]?.[c]) ? "n/a" : v === null ? "-" : f(v);
  const x = (n: number) => `${n.toFixed(2)}x`;
  const body = rows.map((r) => [
    r.case,
    ...all.map((c) => cell(r.case, [c], r.medians[c], fmtNum)),
    ...others.map((o) => cell(r.case, [subject, o], r.ratios[`${subject}/${o}`], x)),
    ...all.map((c) => cell(r.case, [c], r.cpuUsPerMsg[c], fmtCpu)),
    ...others.map((o) => cell(r.case, [subject, o], r.cpuRatios[`${subject}/${o}`], x)),
  ]);
  const notes = Object.entries(missing).map(([c, why]) => `n/a for ${c}: ${why}`);
  // Per-case n/a (a client without that kind of case), one line per client and reason.
  const perCase = new Map<string, string[]>();
  for (const r of rows) {
    for (const [c, why] of Object.entries(notApplicable[r.case] ?? {})) {
      if (missing[c]) continue;
      const key = `${c}\0${why.replace(/^n\/a: /, "")}`;
      perCase.set(key, [...(perCase.get(key) ?? []), r.case]);
    }
  }
  for (const [key, cases] of perCase) {
    const [c, why] = key.split("\0");
    notes.push(`n/a for ${c} in ${cases.length > 3 ? `${cases.length} cases (${cases[0]} ... ${cases[cases.length - 1]})` : cases.join(", ")}: ${why}`);
  }
  return [table(header, body, right, groups), ...notes].join("\n");
}

export interface Results {
  date: string;
  node: string;
  platform: string;
  cpus: string;
  server: ServerInfo;
  /** os.loadavg() when the run started and when it ended (others may share the machine). */
  load: { start: number[]; end: number[] };
  clients: ClientInfo[];
  /** Clients asked for that could not run, with the reason. */
  unavailable: Record<string, string>;
  /** Per case id, clients that do not run that case (the ceiling has no JetStream cases), with the reason. */
  notApplicable: Record<string, Record<string, string>>;
  /** How the nats.go program was built: its nats.go version, Go release, module or Debian build. */
  natsGo?: GoBuildInfo;
  /** Versions of the Debian packages nats.go was built with (Debian fallback only). */
  debianPackages?: Record<string, string>;
  mode: { quick: boolean; reps: number; caseFilter?: string };
  cases: CaseSpec[];
  runs: RawRun[];
  summary: CaseSummary[];
  ratios: CaseRatios[];
  memory: MemoryResult[];
}

export function writeResults(path: string, results: Results): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(results, null, 2) + "\n");
}
