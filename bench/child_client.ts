// Runs the measurements of each JavaScript client (tsnats, nats.js, the raw ceiling) in a child
// process of its own that lives for the whole bench, as nats.go runs in its own process: every
// client then has a heap of its own (no client pays, in its collections, for the bench's heap with
// both client libraries and every earlier result in it) and keeps its JIT warm across cases, as a
// long-running application does. The child (run_child.ts) loads the client and runs the cases it
// is sent one at a time. `--in-process` keeps the old way (every JS client in the bench's process).
import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import type { BenchClient, CaseSpec, RunMetrics } from "./adapter.js";
import { buildDir, describe } from "./util.js";

/** A run that has not reported after this long is stopped (the case bodies stop at 60 s). */
const CHILD_LIMIT_MS = 120_000;

export interface ChildJob {
  spec: CaseSpec;
  url: string;
  tag: string;
}

export type ChildReport = { type: "ready" } | { type: "metrics"; metrics: RunMetrics };

function failed(spec: CaseSpec, error: string): RunMetrics {
  return { ok: false, error, count: spec.count, elapsedMs: 0, msgsPerSec: 0, mbPerSec: 0 };
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** Lets every client child end (its IPC channel closes) and waits for it, killing a late one. */
export async function stopChildren(): Promise<void> {
  await Promise.all([...live].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) return resolve();
    const timer = setTimeout(() => c.kill("SIGKILL"), 5_000);
    c.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    if (c.connected) c.disconnect();
    else c.kill("SIGTERM");
  })));
}

/** One long-lived child for client `key`; runs jobs one at a time. */
class ChildRunner {
  private child?: ChildProcess;
  private ready?: Promise<void>;
  /** Settles the run in progress (with a failure when the child dies under it). */
  private current?: (m: RunMetrics | string) => void;

  constructor(private readonly key: string) {}

  private start(): Promise<void> {
    // BENCH_CHILD_ARGS: node options for the children only (e.g. "--cpu-prof --cpu-prof-dir=DIR")
    const execArgv = process.env.BENCH_CHILD_ARGS?.split(/\s+/).filter(Boolean) ?? [];
    const child = fork(join(buildDir(), "run_child.js"), [this.key], { stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv });
    this.child = child;
    live.add(child);
    this.ready = new Promise<void>((resolve, reject) => {
      child.on("message", (r: ChildReport) => {
        if (r.type === "ready") resolve();
        else this.current?.(r.metrics);
      });
      child.once("error", (err) => reject(err));
      child.once("exit", (code, signal) => {
        live.delete(child);
        if (this.child === child) this.child = undefined;
        const why = `${this.key} child exited (${signal ?? code})`;
        reject(new Error(why));
        this.current?.(why);
      });
    });
    // between runs the idle child must not keep the bench alive; until it is ready it must (with
    // NATS_URL nothing else holds the event loop, and the bench would end while it waits)
    void this.ready.then(() => {
      child.unref();
      (child.channel as { unref?: () => void } | undefined)?.unref?.();
    }, () => undefined);
    return this.ready;
  }

  async run(job: ChildJob): Promise<RunMetrics> {
    try {
      await (this.child ? this.ready : this.start());
    } catch (err) {
      return failed(job.spec, `could not start the ${this.key} child: ${describe(err)}`);
    }
    const child = this.child!;
    (child.channel as { ref?: () => void } | undefined)?.ref?.();
    try {
      const r = await new Promise<RunMetrics | string>((resolve) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          resolve(`${this.key} child reported nothing within ${CHILD_LIMIT_MS} ms`);
        }, CHILD_LIMIT_MS);
        this.current = (m) => {
          clearTimeout(timer);
          this.current = undefined;
          resolve(m);
        };
        child.send(job);
      });
      return typeof r === "string" ? failed(job.spec, r) : r;
    } finally {
      (child.channel as { unref?: () => void } | undefined)?.unref?.();
    }
  }
}

/** `inner` (loaded in this process for its name, version and cases) measured in a child process. */
export function childClient(inner: BenchClient, key: string): BenchClient {
  const runner = new ChildRunner(key);
  return {
    name: inner.name,
    version: inner.version,
    ...(inner.detail ? { detail: inner.detail } : {}),
    ...(inner.unsupported ? { unsupported: inner.unsupported } : {}),
    run: (spec, url, tag) => runner.run({ spec, url, tag }),
  };
}
