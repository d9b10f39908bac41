// The external responder of the req-*-ext cases: the nats.go program (bench/go/main.go) in
// `-kind responder` mode, one process per run, the same for every client. It opens one
// connection, subscribes (no queue group) to the run's subject `bench.<tag>`, echoes each request,
// and prints "ready" once the subscription is flushed (the server has it). The bench starts it
// before a client's run, waits for "ready", runs the client (which only requests) and stops it by
// closing its stdin; it then prints one JSON line (requests answered, its CPU time). It also exits
// when the bench dies (its stdin closes), and is killed when it does not stop within STOP_MS.
import { spawn } from "node:child_process";
import { describe } from "./util.js";

const READY_MS = 15_000;
const STOP_MS = 5_000;

/** What the responder reports when it stops. */
export interface ResponderStats {
  ok: boolean;
  error?: string;
  /** Requests answered over its whole life (warm-up included). */
  answered: number;
  cpuUserMs: number;
  cpuSysMs: number;
}

export interface ExternalResponder {
  /** Closes its stdin and waits for its report (SIGKILL after STOP_MS). */
  stop(): Promise<ResponderStats>;
  /** SIGKILL, for the bench's signal handler. */
  kill(): void;
}

/** Starts the responder for the run tagged `tag`; resolves once it is subscribed and flushed. */
export function startExternalResponder(bin: string, url: string, tag: string): Promise<ExternalResponder> {
  const child = spawn(bin, ["-url", url, "-kind", "responder", "-tag", tag], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let ready = false;
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.on("close", () => {
      exited = true;
      resolve();
    });
  });
  child.stdin.on("error", () => undefined); // EPIPE when it already exited
  child.stderr.setEncoding("utf8").on("data", (s: string) => { stderr = (stderr + s).slice(-2000); });
  const why = () => stderr.trim().split("\n").slice(-3).join(" | ");
  const kill = () => { if (!exited) child.kill("SIGKILL"); };

  const handle: ExternalResponder = {
    kill,
    async stop(): Promise<ResponderStats> {
      child.stdin.end();
      const timer = setTimeout(kill, STOP_MS);
      await exit;
      clearTimeout(timer);
      const line = stdout.trim().split("\n").pop() ?? "";
      try {
        return JSON.parse(line) as ResponderStats;
      } catch {
        return { ok: false, error: `the external responder did not report (${why() || "no output"})`, answered: 0, cpuUserMs: 0, cpuSysMs: 0 };
      }
    },
  };

  return new Promise<ExternalResponder>((resolve, reject) => {
    const fail = (msg: string) => {
      if (ready) return;
      clearTimeout(timer);
      kill();
      reject(new Error(`external responder: ${msg}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${READY_MS} ms${why() ? ` (${why()})` : ""}`), READY_MS);
    child.on("error", (err) => fail(describe(err)));
    child.on("close", (code, signal) => {
      const said = why() || stdout.trim();
      fail(`exited (${code ?? signal}) before it was ready${said ? `: ${said}` : ""}`);
    });
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      stdout += s;
      if (!ready && /^ready$/m.test(stdout)) {
        ready = true;
        clearTimeout(timer);
        resolve(handle);
      }
    });
  });
}
