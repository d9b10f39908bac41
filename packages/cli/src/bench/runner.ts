// What every bench shares: its flags, splitting the messages between clients, one connection per
// client, and a progress bar fed from a counter (so the hot loops only add to a number).
import type { Command } from "commander";
import { connect, type NatsConnection } from "tsnats";
import { UsageError, note } from "../output.js";
import { connectionOptions, type Session } from "../options.js";
import { progressBar, wantProgress, type Progress } from "../progress.js";
import { parseInteger, parseSize } from "../util.js";

export interface BenchFlags {
  clients: string;
  msgs: string;
  size: string;
  csv?: string;
  progress?: boolean;
  json?: boolean;
}

export interface BenchSetup {
  clients: number;
  msgs: number;
  size: number;
  payload: Uint8Array;
  csv?: string;
  json: boolean;
  progress: boolean;
  /** How many of the messages client `i` handles. */
  share(i: number): number;
}

/** Adds --clients, --msgs, --size, --csv, --no-progress. */
export function addBenchFlags(cmd: Command, defaults: { msgs?: number | string; size?: string; clients?: number } = {}): Command {
  return cmd
    .option("--clients <n>", "number of concurrent clients, each with its own connection", String(defaults.clients ?? 1))
    .option("--msgs <n>", "number of messages (or operations) in all", String(defaults.msgs ?? 100_000))
    .option("--size <size>", "message size, e.g. 128, 1KB, 16KiB", defaults.size ?? "128")
    .option("--csv <file>", "also write the results to this CSV file")
    .option("--no-progress", "do not draw a progress bar");
}

export function benchSetup(f: BenchFlags): BenchSetup {
  const clients = parseInteger(f.clients, "--clients", 1);
  const msgs = parseInteger(f.msgs, "--msgs", 1);
  const size = parseSize(f.size, "--size");
  if (size < 0) throw new UsageError("--size cannot be negative");
  if (clients > msgs) throw new UsageError(`--clients (${clients}) cannot be more than --msgs (${msgs})`);
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i++) payload[i] = 97 + (i % 26);
  const base = Math.floor(msgs / clients);
  const extra = msgs % clients;
  return {
    clients,
    msgs,
    size,
    payload,
    csv: f.csv,
    json: Boolean(f.json),
    progress: wantProgress(f),
    share: (i) => base + (i < extra ? 1 : 0),
  };
}

/** One connection per client. */
export async function connectClients(s: Session, n: number, label: string): Promise<NatsConnection[]> {
  const out: NatsConnection[] = [];
  try {
    for (let i = 0; i < n; i++) {
      out.push(await connect(connectionOptions(s.settings, { name: `tsnats bench ${label} #${i + 1}`, reconnect: false, pending: { msgs: -1, bytes: -1 } })));
    }
  } catch (err) {
    await closeClients(out);
    throw err;
  }
  return out;
}

export async function closeClients(ncs: NatsConnection[]): Promise<void> {
  await Promise.all(ncs.map((nc) => nc.close().catch(() => undefined)));
}

/** A turn of the event loop for I/O (socket writes and reads happen in between). */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Counts progress from the hot loops and redraws the bar ten times a second. */
export class Tracker {
  done = 0;
  readonly #bar: Progress;
  #timer?: NodeJS.Timeout;

  constructor(label: string, total: number, enabled: boolean) {
    this.#bar = progressBar({ label, total, enabled });
    if (this.#bar.active) {
      this.#timer = setInterval(() => this.#bar.update(this.done), 100);
      this.#timer.unref();
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#bar.update(this.done);
    this.#bar.stop();
  }
}

/** "Starting ..." on stderr (not with --json). */
export function starting(b: BenchSetup, what: string): void {
  if (!b.json) note(`Starting ${what}: ${b.msgs.toLocaleString("en-US")} msgs of ${b.size} B, ${b.clients} client${b.clients > 1 ? "s" : ""}`);
}

/** Publishes `n` messages, yielding to I/O about every 512 KiB of payload. */
export async function publishLoop(nc: NatsConnection, subject: string, payload: Uint8Array, n: number, t: Tracker): Promise<void> {
  const batch = Math.max(16, Math.floor((512 * 1024) / Math.max(1, payload.length)));
  for (let i = 0; i < n;) {
    const from = i;
    const end = Math.min(n, i + batch);
    for (; i < end; i++) nc.publish(subject, payload);
    t.done += end - from;
    if (i < n) await yieldToIo();
  }
}
