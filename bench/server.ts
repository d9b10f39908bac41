// Starts a private nats-server on 127.0.0.1 with a random port, or uses $NATS_URL.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

export interface ServerHandle {
  url: string;
  /** "2.9.10", or undefined for an external server (ask a connection's INFO instead). */
  version: string | undefined;
  /** True when the bench started the server (and so owns it). */
  owned: boolean;
  stop(): Promise<void>;
  /** Calls `listener` with each line the server logs from now on (none for an external server). */
  onLog(listener: (line: string) => void): () => void;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export function findServerBinary(): string {
  const env = process.env.NATS_SERVER_BIN;
  if (env) {
    if (!existsSync(env)) throw new Error(`NATS_SERVER_BIN=${env} does not exist`);
    return env;
  }
  for (const p of ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]) {
    if (existsSync(p)) return p;
  }
  try {
    const p = execFileSync("sh", ["-c", "command -v nats-server"], { encoding: "utf8" }).trim();
    if (p) return p;
  } catch {
    // not on PATH
  }
  throw new Error("nats-server not found: install it or set NATS_SERVER_BIN (or point NATS_URL at a server)");
}

function binaryVersion(bin: string): string | undefined {
  try {
    const out = execFileSync(bin, ["--version"], { encoding: "utf8" }).trim();
    return /v?(\d+\.\d+\.\d+\S*)/.exec(out)?.[1] ?? out;
  } catch {
    return undefined;
  }
}

/** Uses $NATS_URL when set; otherwise starts a nats-server that `stop()` (or process exit) ends. */
export async function startServer(): Promise<ServerHandle> {
  const external = process.env.NATS_URL;
  if (external) {
    return { url: external, version: undefined, owned: false, stop: async () => {}, onLog: () => () => {} };
  }

  const bin = findServerBinary();
  const dir = mkdtempSync(join(tmpdir(), "tsnats-bench-"));
  const conf = join(dir, "server.conf");
  writeFileSync(conf, [
    `host: "127.0.0.1"`,
    `port: -1`,
    `ports_file_dir: ${JSON.stringify(dir)}`,
    "",
  ].join("\n"));

  const child = spawn(bin, ["-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  const logTail: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let partial = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line) continue;
      logTail.push(line);
      for (const l of listeners) l(line);
    }
    if (logTail.length > 50) logTail.splice(0, logTail.length - 50);
  });
  let exited: number | string | null = null;
  child.on("exit", (code, signal) => { exited = code ?? signal ?? "?"; });
  // Never leave the server behind, whatever way this process ends.
  const killOnExit = () => { if (exited === null) child.kill("SIGKILL"); };
  process.on("exit", killOnExit);

  const cleanup = () => {
    process.off("exit", killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    const url = await waitForPortsFile(child, dir, () => exited, logTail);
    return {
      url,
      version: binaryVersion(bin),
      owned: true,
      stop: async () => {
        await stopChild(child, () => exited);
        cleanup();
      },
      onLog: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    };
  } catch (err) {
    await stopChild(child, () => exited);
    cleanup();
    throw err;
  }
}

async function waitForPortsFile(
  child: ChildProcess,
  dir: string,
  exited: () => number | string | null,
  logTail: string[],
): Promise<string> {
  const file = join(dir, `nats-server_${child.pid}.ports`);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited() !== null) {
      throw new Error(`nats-server exited (${exited()}) during start:\n${logTail.join("\n")}`);
    }
    if (existsSync(file)) {
      try {
        const ports = JSON.parse(readFileSync(file, "utf8")) as { nats?: string[] };
        const url = ports.nats?.[0];
        if (url) return url;
      } catch {
        // partly written: read it again on the next turn
      }
    }
    await sleep(20);
  }
  throw new Error(`nats-server did not write ${file} within ${START_TIMEOUT_MS} ms:\n${logTail.join("\n")}`);
}

async function stopChild(child: ChildProcess, exited: () => number | string | null): Promise<void> {
  if (exited() !== null) return;
  child.kill("SIGTERM");
  const deadline = Date.now() + STOP_TIMEOUT_MS;
  while (exited() === null && Date.now() < deadline) await sleep(20);
  if (exited() === null) {
    child.kill("SIGKILL");
    const hard = Date.now() + STOP_TIMEOUT_MS;
    while (exited() === null && Date.now() < hard) await sleep(20);
  }
}
