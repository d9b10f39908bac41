// Starts a private nats-server on 127.0.0.1 with a random port and JetStream enabled (file store in
// its temp dir), or uses $NATS_URL (the js-* cases need JetStream there). The server is the
// pinned `current` one from nats-servers.json (resolveServer in scripts/lib/nats_servers.mjs;
// NATS_SERVER_BIN overrides it there).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { resolveServer } from "#nats-servers";

export interface ServerHandle {
  url: string;
  /** "2.15.2"; for an external server, the version from its INFO (undefined when it cannot be read). */
  version: string | undefined;
  /** The binary the bench started; undefined for an external server. */
  path?: string;
  /** From resolveServer: "NATS_SERVER_BIN", or why the pinned binary is not the one running. */
  note?: string;
  /** True when the bench started the server (and so owns it). */
  owned: boolean;
  stop(): Promise<void>;
  /** Calls `listener` with each line the server logs from now on (none for an external server). */
  onLog(listener: (line: string) => void): () => void;
}

const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const INFO_TIMEOUT_MS = 3_000;

/** The version in the INFO line a server sends first; undefined when it cannot be read. */
export function infoVersion(url: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(url.includes("://") ? url.split(",")[0] : `nats://${url.split(",")[0]}`);
    } catch {
      resolve(undefined);
      return;
    }
    const sock = netConnect({ host: u.hostname || "127.0.0.1", port: Number(u.port || 4222) });
    let buf = "";
    const done = (v: string | undefined) => { sock.destroy(); clearTimeout(timer); resolve(v); };
    const timer = setTimeout(() => done(undefined), INFO_TIMEOUT_MS);
    sock.setEncoding("utf8");
    sock.on("data", (s: string) => {
      buf += s;
      const end = buf.indexOf("\r\n");
      if (end < 0) return;
      try {
        const info = JSON.parse(buf.slice(0, end).replace(/^INFO\s+/, "")) as { version?: string };
        done(info.version);
      } catch {
        done(undefined);
      }
    });
    sock.on("error", () => done(undefined));
  });
}

/** Uses $NATS_URL when set; otherwise starts a nats-server that `stop()` (or process exit) ends. */
export async function startServer(): Promise<ServerHandle> {
  const external = process.env.NATS_URL;
  if (external) {
    return { url: external, version: await infoVersion(external), owned: false, stop: async () => {}, onLog: () => () => {} };
  }

  const resolved = resolveServer("current");
  const bin = resolved.path;
  const dir = mkdtempSync(join(tmpdir(), "tsnats-bench-"));
  const conf = join(dir, "server.conf");
  // JetStream on, for the js-* cases; its file store lives in the temp dir, removed at stop.
  writeFileSync(conf, [
    `host: "127.0.0.1"`,
    `port: -1`,
    `ports_file_dir: ${JSON.stringify(dir)}`,
    `jetstream: { store_dir: ${JSON.stringify(join(dir, "js"))} }`,
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
      version: resolved.version,
      path: bin,
      ...(resolved.note ? { note: resolved.note } : {}),
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
