/**
 * The nats.go side of the interop tests: Go modules under test/ (each pinning
 * github.com/nats-io/nats.go), built with `go build` into `<cacheDir()>/test-<module>/<hash of main.go,
 * go.mod, go.sum>/<program>` and reused while those three files are unchanged (the same scheme as
 * bench/client_go.ts). The build runs with GOTOOLCHAIN=local, GOFLAGS="-mod=readonly -buildvcs=false",
 * CGO_ENABLED=0 and GOWORK=off; the first one downloads nats.go through the Go module proxy.
 *
 *   test/go        jsinterop (JetStream): {@link goInterop} → {@link GoInterop}
 *   test/go-micro  gomicro (services):    {@link goProgram}("go-micro", "gomicro") → {@link GoProgram}
 *
 * Each builds once per process; when Go is missing or the build fails the promise rejects with an
 * error saying why, so the tests that need nats.go fail with that message (they are never skipped).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir, goCommand } from "#nats-servers";

const MODULE_FILES = ["main.go", "go.mod", "go.sum"];
const NATS_GO_MODULE = "github.com/nats-io/nats.go";
const BUILD_TIMEOUT_MS = 5 * 60_000;
/** A hang guard for one run (each run waits at most 10 s for the server itself). */
const RUN_TIMEOUT_MS = 30_000;

/** A stored message as nats.go returned it (`get`, `consume`). */
export interface GoStoredMsg {
  subject: string;
  seq: number;
  data_b64: string;
  /** nats.Header as is: key → every value, in order. */
  headers: Record<string, string[]>;
  /** "direct" (nats.go used direct get: the stream allows it), "api" (STREAM.MSG.GET) or "consumer". */
  via: "api" | "direct" | "consumer";
  time: string;
}

export interface GoPubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

/** A stream's config as nats.go decoded it: durations as time.Duration (String() and nanoseconds). */
export interface GoStreamView {
  name: string;
  subjects: string[];
  /** time.Duration.String(): "1m0s" */
  max_age: string;
  max_age_ns: number;
  duplicate_window: string;
  duplicate_window_ns: number;
  metadata: Record<string, string>;
  allow_direct: boolean;
  storage: string;
  description: string;
  messages: number;
}

/** Why nats.go cannot be used here (Go missing, the build or the module download failed). */
export class GoUnavailableError extends Error {
  override readonly name = "GoUnavailableError";
}

function repoRoot(module: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "test", module, "go.mod"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new GoUnavailableError(`test/${module}/go.mod not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

interface Ran {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  error?: Error;
}

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeout: number }): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { ...opts, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, killSignal: "SIGKILL" }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; signal?: NodeJS.Signals | null }) | null;
      resolve({
        code: e ? (typeof e.code === "number" ? e.code : null) : 0,
        signal: e?.signal ?? null,
        stdout,
        stderr,
        ...(e && typeof e.code !== "number" && !e.signal ? { error: e } : {}),
      });
    });
  });
}

function outcome(r: Ran): string {
  if (r.error) return r.error.message;
  if (r.signal) return `killed by ${r.signal}`;
  return `exit ${r.code}`;
}

function tail(s: string, lines = 12): string {
  return s.trim().split("\n").slice(-lines).join("\n");
}

/** A built program: one subprocess per call, JSON lines out. */
export class GoProgram {
  constructor(
    /** Path of the binary. */
    readonly bin: string,
    /** nats.go's version ("v1.55.0") and the Go release it was built with ("go1.26.8"). */
    readonly natsGo: string,
    readonly go: string,
  ) {}

  /** Runs a subcommand; resolves to its stdout lines parsed as JSON, rejects with its stderr. */
  async run<T>(args: string[]): Promise<T[]> {
    const r = await run(this.bin, args, { timeout: RUN_TIMEOUT_MS });
    if (r.code !== 0) throw new Error(`nats.go (${basename(this.bin)} ${args.join(" ")}) failed (${outcome(r)}): ${tail(r.stderr) || "(no stderr)"}`);
    return r.stdout
      .split("\n")
      .filter((l) => l.trim().length > 0)
      .map((l) => JSON.parse(l) as T);
  }
}

/** test/go: JetStream through nats.go's jetstream package. */
export class GoInterop extends GoProgram {
  /** Stream.GetMsg for each seq (direct get when the stream allows it, as nats.go decides). */
  get(url: string, stream: string, ...seqs: number[]): Promise<GoStoredMsg[]> {
    return this.run<GoStoredMsg>(["get", url, stream, ...seqs.map(String)]);
  }

  /** The first `count` messages of `stream` through an ordered consumer. */
  consume(url: string, stream: string, count: number): Promise<GoStoredMsg[]> {
    return this.run<GoStoredMsg>(["consume", url, stream, String(count)]);
  }

  /** JetStream.PublishMsg with these headers (every value appended in order) and msgID ("" for none). */
  async pub(url: string, subject: string, data: Uint8Array, headers: Record<string, string[]>, msgID = ""): Promise<GoPubAck> {
    const [ack] = await this.run<GoPubAck>(["pub", url, subject, Buffer.from(data).toString("base64"), JSON.stringify(headers), msgID]);
    return ack!;
  }

  /** The stream's info as nats.go decoded it. */
  async info(url: string, stream: string): Promise<GoStreamView> {
    const [v] = await this.run<GoStreamView>(["info", url, stream]);
    return v!;
  }

  /** CreateOrUpdateConsumer: a durable pull consumer `name` with explicit acks. */
  async addConsumer(url: string, stream: string, name: string): Promise<{ name: string; ack_policy: string }> {
    const [v] = await this.run<{ name: string; ack_policy: string }>(["addconsumer", url, stream, name]);
    return v!;
  }

  /** Consumer.Fetch of `count` messages from the durable `consumer`, each acknowledged with DoubleAck. */
  fetchAck(url: string, stream: string, consumer: string, count: number): Promise<(GoStoredMsg & { delivered: number })[]> {
    return this.run<GoStoredMsg & { delivered: number }>(["fetchack", url, stream, consumer, String(count)]);
  }

  /** JetStream.CreateStream (memory storage, metadata {"created-by": "nats.go"}); durations are Go durations ("90s"). */
  async add(url: string, stream: string, subject: string, maxAge: string, duplicateWindow: string): Promise<GoStreamView> {
    const [v] = await this.run<GoStreamView>(["add", url, stream, subject, maxAge, duplicateWindow]);
    return v!;
  }
}

async function probe(bin: string): Promise<GoProgram | undefined> {
  if (!executable(bin)) return undefined;
  const r = await run(bin, ["version"], { timeout: 10_000 });
  if (r.code !== 0) return undefined;
  const [natsGo, go] = r.stdout.trim().split(/\s+/);
  if (!natsGo) return undefined;
  return new GoProgram(bin, natsGo.startsWith("v") ? natsGo : `v${natsGo}`, go ?? "go?");
}

async function build(module: string, program: string): Promise<GoProgram> {
  const go = goCommand();
  if (!go) {
    throw new GoUnavailableError(
      "nats.go interop needs Go (1.26+), and there is none: no `go` on PATH or at /usr/local/go/bin/go. Install Go to run the nats.go half of these tests.",
    );
  }
  const dir = join(repoRoot(module), "test", module);
  const hash = createHash("sha256");
  for (const f of MODULE_FILES) {
    const p = join(dir, f);
    if (!existsSync(p)) throw new GoUnavailableError(`nats.go interop: ${p} is missing`);
    hash.update(`${f}\0`).update(readFileSync(p)).update("\0");
  }
  const bin = join(cacheDir(), `test-${module}`, hash.digest("hex").slice(0, 16), program);
  const cached = await probe(bin);
  if (cached) return cached;

  const goMod = readFileSync(join(dir, "go.mod"), "utf8");
  const required = /^\s*(?:require\s+)?github\.com\/nats-io\/nats\.go\s+(v\S+)/m.exec(goMod)?.[1] ?? "?";
  mkdirSync(dirname(bin), { recursive: true });
  // Concurrent test processes may build at once: each writes its own file, the rename is atomic.
  const tmp = `${bin}.tmp-${process.pid}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GO111MODULE: "on",
    GOFLAGS: "-mod=readonly -buildvcs=false",
    GOTOOLCHAIN: "local",
    GOWORK: "off",
    CGO_ENABLED: "0",
  };
  // Go's caches need a home.
  if (!env.GOPATH && !env.GOMODCACHE && !env.HOME) env.GOPATH = join(cacheDir(), "gopath");
  if (!env.HOME && !env.XDG_CACHE_HOME && !env.GOCACHE) env.GOCACHE = join(tmpdir(), "tsnats-test-gocache");
  const r = await run(go, ["build", "-o", tmp, "."], { cwd: dir, env, timeout: BUILD_TIMEOUT_MS });
  if (r.code !== 0 || !executable(tmp)) {
    rmSync(tmp, { force: true });
    const proxy = (await run(go, ["env", "GOPROXY"], { env, timeout: 10_000 })).stdout.trim() || "?";
    throw new GoUnavailableError(
      `nats.go interop: \`${go} build\` of test/${module} failed (${outcome(r)}); it needs ${NATS_GO_MODULE} ${required} from the Go module ` +
        `cache or the Go module proxy (GOPROXY=${proxy}) and Go new enough for test/${module}/go.mod (GOTOOLCHAIN=local):\n${tail(`${r.stdout}\n${r.stderr}`)}`,
    );
  }
  renameSync(tmp, bin);
  const built = await probe(bin);
  if (!built) throw new GoUnavailableError(`nats.go interop: ${bin} was built but \`${bin} version\` failed`);
  return built;
}

const building = new Map<string, Promise<GoProgram>>();

/**
 * The program of the Go module test/<module>, built as `program` (or taken from the cache) on the
 * first call of the process; rejects with a {@link GoUnavailableError} saying why when it cannot be had.
 */
export function goProgram(module: string, program: string): Promise<GoProgram> {
  let p = building.get(module);
  if (!p) building.set(module, (p = build(module, program)));
  return p;
}

/** The JetStream interop program (test/go), as {@link goProgram} builds it. */
export async function goInterop(): Promise<GoInterop> {
  const p = await goProgram("go", "jsinterop");
  return new GoInterop(p.bin, p.natsGo, p.go);
}
