/**
 * Small helpers shared by the test harness: reading the nats-server ports file,
 * finding a free loopback port, bounded sleeps and polling.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createServer } from "node:net";

/** Contents of the `nats-server_<pid>.ports` file written to `ports_file_dir`. */
export interface PortsInfo {
  nats?: string[];
  cluster?: string[];
  websocket?: string[];
  monitoring?: string[];
  leafnodes?: string[];
  mqtt?: string[];
  profile?: string[];
}

/** Resolves after `ms` milliseconds (a ref'd timer, so it keeps the event loop alive). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `fn` every `intervalMs` until it returns a value other than `undefined`, or throws
 * `timeoutMessage()` (evaluated lazily) once `timeoutMs` has passed. Errors thrown by `fn`
 * are treated as "not yet" and the last one is appended to the timeout message.
 */
export async function poll<T>(
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  timeoutMessage: () => string,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      if (err instanceof PollAbort) throw err.cause;
      lastErr = err;
    }
    if (Date.now() >= deadline) {
      const suffix = lastErr ? ` (last error: ${String((lastErr as Error).message ?? lastErr)})` : "";
      throw new Error(timeoutMessage() + suffix);
    }
    await sleep(intervalMs);
  }
}

/** Throw from a `poll` callback to stop polling at once and reject with `cause`. */
export class PollAbort extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

/** Path of the ports file a server with `pid` writes into `dir`. */
export function portsFilePath(dir: string, pid: number): string {
  return join(dir, `nats-server_${pid}.ports`);
}

/**
 * Reads and parses the ports file once. Returns `undefined` while the file is missing or not
 * yet complete (partially written JSON, or one of the `required` listener kinds still absent).
 */
export async function readPortsFile(
  dir: string,
  pid: number,
  required: (keyof PortsInfo)[] = ["nats"],
): Promise<PortsInfo | undefined> {
  let text: string;
  try {
    text = await readFile(portsFilePath(dir, pid), "utf8");
  } catch {
    return undefined;
  }
  let info: PortsInfo;
  try {
    info = JSON.parse(text) as PortsInfo;
  } catch {
    return undefined;
  }
  for (const k of required) if (!info[k]?.length) return undefined;
  return info;
}

/** Extracts the port number from a URL such as `nats://127.0.0.1:4222` or `http://127.0.0.1:8222`. */
export function portOf(url: string | undefined): number | undefined {
  if (!url) return undefined;
  const m = /:(\d+)\/?$/.exec(url);
  return m ? Number(m[1]) : undefined;
}

/**
 * Returns a loopback TCP port that was free a moment ago (bind to port 0, read, close).
 * Useful for "nothing listens here" tests; racy by nature, so do not use it to start servers.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
