// The nats.go side of the service interop tests: test/go-micro (nats.go's micro package), built by
// test/support/go_client.ts. One-shot subcommands (discover, call) run through GoProgram.run; `serve`
// is a long-running child that serves until its stdin closes.
import { spawn, type ChildProcess } from "node:child_process";
import { goProgram, type GoProgram } from "../support/go_client.js";

export const goMicro = (): Promise<GoProgram> => goProgram("go-micro", "gomicro");

/** What `gomicro discover` prints per reply: nats.go's struct re-encoded, and the reply as received. */
export interface Discovered<T = Record<string, unknown>> {
  decoded: T;
  raw: Record<string, unknown>;
}

/** A reply as `gomicro call` saw it. */
export interface GoReply {
  data: string;
  headers: Record<string, string[]>;
}

/** A nats.go micro service in a child process (see test/go-micro/main.go `serve`). */
export class GoMicroService {
  private readonly exited: Promise<{ code: number | null; stderr: string }>;

  private constructor(
    private readonly child: ChildProcess,
    /** micro.Service.Info() once it listens. */
    readonly info: { id: string; name: string; endpoints: { name: string; subject: string }[] },
    exited: Promise<{ code: number | null; stderr: string }>,
  ) {
    this.exited = exited;
  }

  static start(prog: GoProgram, url: string, name: string, version: string): Promise<GoMicroService> {
    const child = spawn(prog.bin, ["serve", url, name, version], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exited = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on("close", (code) => resolve({ code, stderr })));
    return new Promise((resolve, reject) => {
      let out = "";
      const onData = (c: string): void => {
        out += c;
        const nl = out.indexOf("\n");
        if (nl < 0) return;
        child.stdout!.off("data", onData);
        try {
          resolve(new GoMicroService(child, JSON.parse(out.slice(0, nl)), exited));
        } catch (err) {
          child.kill("SIGKILL");
          reject(err as Error);
        }
      };
      child.stdout!.setEncoding("utf8").on("data", onData);
      void exited.then(({ code }) => reject(new Error(`gomicro serve exited (${code}) before it listened: ${stderr}`)));
    });
  }

  /** Closes its stdin: micro's Stop, a drain, exit 0; rejects with its stderr otherwise. */
  async stop(): Promise<void> {
    this.child.stdin!.end();
    const { code, stderr } = await this.exited;
    if (code !== 0) throw new Error(`gomicro serve exited with ${code}: ${stderr}`);
  }

  /** For an after() hook: ends the child whatever state it is in. */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}
