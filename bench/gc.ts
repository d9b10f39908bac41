// Garbage-collection accounting for in-process runs, from node:perf_hooks 'gc' entries.
import { PerformanceObserver, constants, performance, type PerformanceEntry } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { GcStats } from "./adapter.js";

interface GcEntry {
  start: number;
  duration: number;
  major: boolean;
}

let entries: GcEntry[] = [];
let observer: PerformanceObserver | undefined;

function record(list: { getEntries(): PerformanceEntry[] }): void {
  for (const e of list.getEntries()) {
    const detail = (e as PerformanceEntry & { detail?: { kind?: number } }).detail;
    entries.push({ start: e.startTime, duration: e.duration, major: detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR });
  }
}

function ensureObserver(): void {
  if (observer) return;
  observer = new PerformanceObserver(record);
  observer.observe({ entryTypes: ["gc"] });
}

/** A full collection, so that one run's garbage is not collected during the next one's timing. */
let forceGc: (() => void) | undefined | null = null;
export function collectGarbage(): void {
  if (forceGc === null) {
    try {
      setFlagsFromString("--expose-gc");
      forceGc = runInNewContext("gc") as () => void;
    } catch {
      forceGc = undefined;
    }
  }
  forceGc?.();
}

/**
 * Starts a GC window; `stop()` resolves to the collections whose start fell inside it. `at` (a
 * performance.now() timestamp) ends the window earlier than the call, at the end of the timed part.
 */
export function gcWindow(): { stop(at?: number): Promise<GcStats> } {
  ensureObserver();
  const t0 = performance.now();
  return {
    async stop(at?: number): Promise<GcStats> {
      const t1 = at ?? performance.now();
      // Observer callbacks are delivered asynchronously: let the pending ones arrive.
      await sleep(20);
      const pending = observer?.takeRecords();
      if (pending) record({ getEntries: () => pending });
      const stats: GcStats = { count: 0, ms: 0, major: 0 };
      const keep: GcEntry[] = [];
      for (const e of entries) {
        if (e.start >= t0 && e.start <= t1) {
          stats.count++;
          stats.ms += e.duration;
          if (e.major) stats.major++;
        } else if (e.start > t1) {
          keep.push(e);
        }
      }
      entries = keep;
      stats.ms = Math.round(stats.ms * 100) / 100;
      return stats;
    },
  };
}
