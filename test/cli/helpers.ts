/**
 * Runs the built `tsnats` command (packages/cli/dist/main.js, built by scripts/setup.mjs) as a child
 * process, with a clean environment: no NATS_* variables from the caller, a private config
 * directory (contexts) per test file, no colours. Every wait is bounded.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after } from "node:test";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const CLI = join(ROOT, "packages/cli/dist/main.js");
export const BIN = join(ROOT, "packages/cli/bin/tsnats.js");

if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (node scripts/setup.mjs)`);

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  /** Written to stdin, which is then closed (default: stdin is /dev/null). */
  input?: string | Uint8Array;
  cwd?: string;
  /** Kill the child after this long (default 30 s) and fail. */
  timeout?: number;
}

/** A temporary directory removed when the test file ends. */
export function tempDir(prefix = "tsnats-cli-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** The children's config directory (contexts) unless a test gives its own: empty, for this file only. */
const configDir = tempDir("tsnats-cli-config-");

/** The environment of a child: the caller's minus NATS_*, with a private config dir. */
export function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("NATS_") && k !== "TSNATS_CONFIG_DIR") env[k] = v;
  Object.assign(env, { TSNATS_CONFIG_DIR: configDir, NO_COLOR: "1", FORCE_COLOR: undefined }, extra);
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  return env;
}

/** A child still running: its output so far, a way to wait for a line, and to stop it. */
export class Running {
  stdout = "";
  stderr = "";
  readonly done: Promise<RunResult>;
  readonly #child: ChildProcess;

  constructor(args: string[], opts: RunOptions = {}) {
    this.#child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: childEnv(opts.env),
      stdio: [opts.input !== undefined ? "pipe" : "ignore", "pipe", "pipe"],
    });
    this.#child.stdout!.setEncoding("utf8").on("data", (d: string) => (this.stdout += d));
    this.#child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
    if (opts.input !== undefined) this.#child.stdin!.end(opts.input);
    const limit = opts.timeout ?? 30_000;
    this.done = new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#child.kill("SIGKILL");
        reject(new Error(`tsnats ${args.join(" ")} did not finish within ${limit} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`));
      }, limit);
      this.#child.on("error", reject);
      this.#child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
    // a failure surfaces where the test awaits `done`, not as an unhandled rejection
    this.done.catch(() => undefined);
  }

  /** Resolves once stdout or stderr matches; rejects after `timeout` ms or if the child exits first. */
  async waitFor(re: RegExp, timeout = 10_000): Promise<void> {
    const deadline = Date.now() + timeout;
    let exited = false;
    void this.done.then(() => (exited = true), () => (exited = true));
    while (!re.test(this.stdout) && !re.test(this.stderr)) {
      if (exited) throw new Error(`exited before printing ${re}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${re} within ${timeout} ms\nstdout: ${this.stdout}\nstderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a signal (default SIGINT, as Ctrl-C) and waits for the exit. */
  async stop(signal: NodeJS.Signals = "SIGINT"): Promise<RunResult> {
    this.#child.kill(signal);
    return this.done;
  }
}

/** Runs `tsnats ARGS...` to the end. */
export function tsnats(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Running(args, opts).done;
}

/** Runs it and fails (showing both outputs) unless it exits 0. */
export async function ok(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await tsnats(args, opts);
  if (r.code !== 0) throw new Error(`tsnats ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

/** The lines of a text, without empty ones. */
export function lines(text: string): string[] {
  return text.split("\n").filter((l) => l.trim() !== "");
}
