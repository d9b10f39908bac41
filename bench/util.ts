// Small helpers shared by the bench modules.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import type { RunMetrics } from "./adapter.js";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const KiB = 1024;
export const MiB = 1024 * KiB;

/** The fewest untimed operations before a timed part, where the count allows (NOTES.md §18). */
export const WARM_FLOOR = 5_000;

/**
 * Untimed operations before a run's timed part, the same for every client (bench/go/main.go has the
 * same rule): a tenth of `count`, and at least `count` itself up to WARM_FLOOR. A JavaScript
 * client's JIT recompiles its hot code in every run after the forced collection between runs,
 * and a tenth of a few thousand requests ended before it had.
 */
export function warmCount(count: number): number {
  return Math.max(1, Math.ceil(count / 10), Math.min(count, WARM_FLOOR));
}

/** "16B", "1KiB", "16KiB". */
export function sizeLabel(n: number): string {
  return n % KiB === 0 ? `${n / KiB}KiB` : `${n}B`;
}

/** A payload of `size` printable bytes. */
export function payload(size: number): Uint8Array {
  const p = new Uint8Array(size);
  for (let i = 0; i < size; i++) p[i] = 97 + (i % 26);
  return p;
}

export const yieldToIo = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export function describe(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as Error & { code?: unknown }).code;
    return `${err.name}${code !== undefined ? ` [${String(code)}]` : ""}: ${err.message}`;
  }
  return String(err);
}

/** The repository root (build/bench/*.js and bench/*.ts both find it). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, "package.json"))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

/** The directory of the compiled bench modules (build/bench). */
export function buildDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** The stream of a JetStream run, from its tag (stream names take no dots); main.go derives it the same way. */
export function streamName(tag: string): string {
  return `BENCH_${tag.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/**
 * CPU time of this process over a timed part: `start()` where it starts, `stop()` where it ends
 * (a later `stop()` wins; none before `metrics()` means "until now"). `process.cpuUsage()` is the
 * whole process: every thread, every connection and callback in it.
 */
export class CpuWindow {
  private t0: NodeJS.CpuUsage | undefined;
  private used: NodeJS.CpuUsage | undefined;
  private threads0: ThreadCpu | undefined;
  private threadsUsed: ThreadCpu | undefined;

  start(): void {
    this.used = undefined;
    this.threadsUsed = undefined;
    this.threads0 = process.env.BENCH_DEBUG ? threadCpu() : undefined;
    this.t0 = process.cpuUsage();
  }

  stop(): void {
    if (this.t0) this.used = process.cpuUsage(this.t0);
    const t0 = this.threads0;
    const t1 = t0 ? threadCpu() : undefined;
    if (t0 && t1) this.threadsUsed = { mainMs: t1.mainMs - t0.mainMs, otherMs: t1.otherMs - t0.otherMs };
  }

  /**
   * BENCH_DEBUG on Linux: the timed part's CPU split between the main thread and the process's other
   * threads (V8's compiler and GC helpers, libuv's pool), in 10 ms clock ticks.
   */
  threads(): ThreadCpu | undefined {
    return this.threadsUsed;
  }

  /** The RunMetrics CPU fields for `done` messages; empty when the timed part never started. */
  metrics(done: number): Pick<RunMetrics, "cpuUserMs" | "cpuSysMs" | "cpuUsPerMsg"> {
    if (!this.t0) return {};
    if (!this.used) this.stop();
    const u = this.used ?? { user: 0, system: 0 };
    return {
      cpuUserMs: u.user / 1000,
      cpuSysMs: u.system / 1000,
      ...(done > 0 ? { cpuUsPerMsg: (u.user + u.system) / done } : {}),
    };
  }
}

/** CPU time (user + system, ms) of a process's main thread and of its other threads. */
export interface ThreadCpu {
  mainMs: number;
  otherMs: number;
}

/** This process's ThreadCpu from /proc (undefined where there is none). */
function threadCpu(): ThreadCpu | undefined {
  try {
    let mainMs = 0;
    let otherMs = 0;
    for (const t of readdirSync("/proc/self/task")) {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ms = (Number(f[11]) + Number(f[12])) * 10;
      if (t === String(process.pid)) mainMs += ms;
      else otherMs += ms;
    }
    return { mainMs, otherMs };
  } catch {
    return undefined;
  }
}
