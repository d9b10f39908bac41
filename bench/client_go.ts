// nats.go behind the BenchClient seam: bench/go/main.go, run once per measurement as a subprocess
// that prints one JSON line. Two ways to build it, tried in this order:
//
// 1. Go module (bench/go/go.mod + go.sum pin github.com/nats-io/nats.go): `go build` with the `go`
//    on PATH (else /usr/local/go/bin/go), GOTOOLCHAIN=local, -mod=readonly, fetching through the Go
//    module proxy on the first build. The binary is kept outside the repository, in
//    <cacheDir>/bench-go/<hash of the .go files, go.mod and go.sum>/natsbench, and reused
//    while those files are unchanged.
// 2. Debian fallback, when there is no Go or the module build fails (no proxy, Go too old):
//    Debian's Go (golang-go) in GOPATH mode against Debian's nats.go
//    (golang-github-nats-io-go-nats-dev, sources under /usr/share/gocode/src), installed with
//    apt-get when missing and we are root; main.go is copied to a scratch folder so the module
//    files beside it play no part. jetstream.go (nats.go's jetstream package, not in Debian's
//    nats.go 1.22) stays behind too: such a binary fails the js-* cases, saying why.
//
// When neither works `prepareGoClient` says why, and the nats.go column says so.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { accessSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cacheDir, goCommand } from "#nats-servers";
import type { BenchClient, CaseSpec, RunMetrics } from "./adapter.js";
import { buildDir, describe, repoRoot } from "./util.js";

const MODULE_FILES = ["main.go", "jetstream.go", "consume.go", "kv.go", "obj.go", "go.mod", "go.sum"];
const NATS_GO_MODULE = "github.com/nats-io/nats.go";
const DEBIAN_PACKAGES = ["golang-go", "golang-github-nats-io-go-nats-dev"];
const SYSTEM_GOPATH = "/usr/share/gocode";
const NATS_GO_SRC = join(SYSTEM_GOPATH, "src/github.com/nats-io/nats.go");
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const BUILD_TIMEOUT_MS = 5 * 60_000;
/** A run's own limit is 60 s (as in-process), plus process start and connection set-up. */
const RUN_TIMEOUT_MS = 75_000;

const log = (s: string) => console.error(`bench: ${s}`);

/** How the nats.go program was built; goes into the results JSON. */
export interface GoBuildInfo {
  /** nats.go's own version constant (nats.Version), as "v1.55.0". */
  natsGo: string;
  /** The Go release the binary was built with (runtime.Version()), as "go1.26.8". */
  go: string;
  build: "module" | "debian";
  /** For a module build: the required module and version from go.mod. */
  module?: string;
  binary: string;
  /** For a Debian build: the package versions dpkg reports. */
  debianPackages?: Record<string, string>;
  /** For a Debian build: why the module build was not used. */
  moduleUnavailable?: string;
}

export type GoPrepared = { client: BenchClient; info: GoBuildInfo } | { unavailable: string };

/** Builds (or reuses) the nats.go program: the Go module first, then Debian's packages; never throws. */
export function prepareGoClient(): GoPrepared {
  let moduleWhy: string;
  try {
    const built = buildModule();
    if ("bin" in built) return ready(built.bin, { build: "module", module: built.module });
    moduleWhy = built.why;
  } catch (err) {
    moduleWhy = describe(err);
  }
  log(`nats.go module build not available (${moduleWhy}); falling back to Debian's ${DEBIAN_PACKAGES.join(" and ")}`);
  try {
    const built = buildDebian();
    if ("bin" in built) {
      const packages = debianPackages();
      return ready(built.bin, { build: "debian", ...(Object.keys(packages).length ? { debianPackages: packages } : {}), moduleUnavailable: moduleWhy });
    }
    return { unavailable: `module build: ${moduleWhy}; Debian fallback: ${built.why}` };
  } catch (err) {
    return { unavailable: `module build: ${moduleWhy}; Debian fallback: ${describe(err)}` };
  }
}

type Built = { bin: string } | { why: string };

function ready(bin: string, how: Omit<GoBuildInfo, "natsGo" | "go" | "binary">): GoPrepared {
  const v = probeVersion(bin);
  if (!v) return { unavailable: `${bin} built but \`${bin} version\` failed` };
  const info: GoBuildInfo = { natsGo: v.natsGo, go: v.go, ...how, binary: bin };
  const detail = how.build === "module" ? `${v.go}, Go module` : `${v.go}, Debian packages`;
  log(`nats.go ${v.natsGo} (${detail}): ${bin}`);
  return { client: goClient(bin, v.natsGo, detail), info };
}

/** `natsbench version` prints nats.Version and runtime.Version(): "1.55.0 go1.26.8". */
function probeVersion(bin: string): { natsGo: string; go: string } | undefined {
  const r = spawnSync(bin, ["version"], { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0 || !r.stdout) return undefined;
  const [nats, go] = r.stdout.trim().split(/\s+/);
  if (!nats) return undefined;
  return { natsGo: nats.startsWith("v") ? nats : `v${nats}`, go: go ?? "go?" };
}

function executable(p: string): boolean {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function failure(what: string, r: ReturnType<typeof spawnSync>): string {
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(0, 8).join(" | ");
  const how = r.error ? describe(r.error) : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  return `${what} failed (${how})${out ? `: ${out}` : ""}`;
}

/** Go's caches need a home; give them one under the cache folder when $HOME is not set. */
function withGoCaches(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!env.HOME && !env.XDG_CACHE_HOME && !env.GOCACHE) env.GOCACHE = join(tmpdir(), "tsnats-bench-gocache");
  return env;
}

// 1. The Go module.

function buildModule(): Built & { module?: string } {
  const go = goCommand();
  if (!go) return { why: "Go is not installed (no go on PATH or at /usr/local/go/bin/go)" };
  const dir = join(repoRoot(), "bench", "go");
  const hash = createHash("sha256");
  for (const f of MODULE_FILES) {
    const p = join(dir, f);
    if (!existsSync(p)) return { why: `${p} is missing` };
    hash.update(`${f}\0`).update(readFileSync(p)).update("\0");
  }
  const goMod = readFileSync(join(dir, "go.mod"), "utf8");
  const required = new RegExp(`^\\s*(?:require\\s+)?${NATS_GO_MODULE.replace(/\./g, "\\.")}\\s+(v\\S+)`, "m").exec(goMod)?.[1];
  const module = `${NATS_GO_MODULE} ${required ?? "?"}`;
  const bin = join(cacheDir(), "bench-go", hash.digest("hex").slice(0, 16), "natsbench");
  if (executable(bin) && probeVersion(bin)) return { bin, module };

  mkdirSync(dirname(bin), { recursive: true });
  const tmp = `${bin}.tmp-${process.pid}`;
  log(`building bench/go with ${go} (Go module, ${module}; first run only)`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GO111MODULE: "on",
    GOFLAGS: "-mod=readonly -buildvcs=false",
    GOTOOLCHAIN: "local",
    GOWORK: "off",
    CGO_ENABLED: "0",
  };
  if (!env.GOPATH && !env.GOMODCACHE && !env.HOME) env.GOPATH = join(cacheDir(), "gopath");
  const r = spawnSync(go, ["build", "-o", tmp, "."], { cwd: dir, env: withGoCaches(env), encoding: "utf8", timeout: BUILD_TIMEOUT_MS });
  if (r.status !== 0 || !executable(tmp)) {
    rmSync(tmp, { force: true });
    return { why: failure(`${go} build`, r) };
  }
  renameSync(tmp, bin);
  return { bin, module };
}

// 2. Debian's packages (GOPATH mode).

function findDebianGo(): string | undefined {
  if (process.env.GO_BIN) return existsSync(process.env.GO_BIN) ? process.env.GO_BIN : undefined;
  for (const p of ["/usr/bin/go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go"]) {
    if (existsSync(p)) return p;
  }
  const r = spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

/** Installs the Debian packages when something is missing and we are root; returns why not otherwise. */
function ensureInstalled(): string | undefined {
  if (findDebianGo() && existsSync(NATS_GO_SRC)) return undefined;
  const missing = [!findDebianGo() ? "go" : "", !existsSync(NATS_GO_SRC) ? "nats.go sources" : ""].filter(Boolean).join(" and ");
  if (process.getuid?.() !== 0) {
    return `${missing} not found and not root (install: sudo apt-get install ${DEBIAN_PACKAGES.join(" ")})`;
  }
  log(`${missing} not found: apt-get install ${DEBIAN_PACKAGES.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const install = () => spawnSync("apt-get", ["install", "-y", "--no-install-recommends", ...DEBIAN_PACKAGES],
    { stdio: ["ignore", "inherit", "inherit"], env, timeout: INSTALL_TIMEOUT_MS });
  let r = install();
  if (r.status !== 0) {
    spawnSync("apt-get", ["update"], { stdio: ["ignore", "inherit", "inherit"], env, timeout: INSTALL_TIMEOUT_MS });
    r = install();
  }
  if (r.status !== 0) {
    return `apt-get install ${DEBIAN_PACKAGES.join(" ")} failed (${r.error ? describe(r.error) : `exit ${r.status}`})`;
  }
  if (!findDebianGo() || !existsSync(NATS_GO_SRC)) return `${missing} still not found after apt-get install`;
  return undefined;
}

function buildDebian(): Built {
  const why = ensureInstalled();
  if (why) return { why };
  const go = findDebianGo()!;
  const src = join(repoRoot(), "bench", "go", "main.go");
  if (!existsSync(src)) return { why: `${src} is missing` };
  const outDir = join(buildDir(), "go");
  mkdirSync(outDir, { recursive: true });
  const bin = join(outDir, "natsgo-bench");
  // A scratch folder holding only main.go: GOPATH mode, nothing of the module beside it.
  const work = mkdtempSync(join(tmpdir(), "tsnats-natsgo-"));
  try {
    copyFileSync(src, join(work, "main.go"));
    const env = withGoCaches({ ...process.env, GO111MODULE: "off", GOPATH: SYSTEM_GOPATH, GOFLAGS: "", GOTOOLCHAIN: "local", CGO_ENABLED: "0" });
    log(`building bench/go/main.go with ${go} in GOPATH mode against ${NATS_GO_SRC}`);
    const r = spawnSync(go, ["build", "-o", bin, "main.go"], { cwd: work, env, encoding: "utf8", timeout: BUILD_TIMEOUT_MS });
    if (r.status !== 0) return { why: failure(`${go} build (GOPATH mode)`, r) };
    return { bin };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The Debian package versions, when dpkg knows them. */
function debianPackages(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of DEBIAN_PACKAGES) {
    const r = spawnSync("dpkg-query", ["-W", "-f", "${Version}", p], { encoding: "utf8" });
    if (r.status === 0 && r.stdout) out[p] = r.stdout;
  }
  return out;
}

function goClient(bin: string, version: string, detail: string): BenchClient {
  return {
    name: "nats.go",
    version,
    detail,
    run(spec: CaseSpec, url: string, tag: string): Promise<RunMetrics> {
      const args = ["-url", url, "-kind", spec.kind, "-size", String(spec.size), "-count", String(spec.count),
        "-inflight", String(spec.inflight ?? 100), "-storage", spec.storage ?? "memory",
        "-window", String(spec.window ?? 1000), "-batch", String(spec.batch ?? 100), "-tag", tag,
        // Flags the consumer and KV kinds add (consume.go, kv.go): only for them.
        ...(spec.ack ? ["-ack", spec.ack] : []), ...(spec.direct !== undefined ? [`-direct=${spec.direct}`] : []),
        ...(spec.keys !== undefined ? ["-keys", String(spec.keys)] : []),
        ...(spec.externalResponder ? ["-external"] : [])];
      return new Promise((resolve) => {
        const fail = (error: string): RunMetrics => ({ ok: false, error, count: spec.count, elapsedMs: 0, msgsPerSec: 0, mbPerSec: 0 });
        const child = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (s: string) => { stdout += s; });
        child.stderr.setEncoding("utf8").on("data", (s: string) => { stderr = (stderr + s).slice(-2000); });
        const timer = setTimeout(() => child.kill("SIGKILL"), RUN_TIMEOUT_MS);
        child.on("error", (err) => { clearTimeout(timer); resolve(fail(`natsgo-bench: ${describe(err)}`)); });
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          const line = stdout.trim().split("\n").pop() ?? "";
          try {
            resolve(JSON.parse(line) as RunMetrics);
          } catch {
            const why = signal === "SIGKILL" ? `killed after ${RUN_TIMEOUT_MS} ms` : `exit ${code ?? signal}`;
            resolve(fail(`natsgo-bench ${why}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
          }
        });
      });
    },
  };
}
