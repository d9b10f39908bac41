// nats.go behind the BenchClient seam: bench/go/main.go, built with Debian's Go (golang-go) in
// GOPATH mode against Debian's nats.go (golang-github-nats-io-go-nats-dev, sources under
// /usr/share/gocode/src), run once per measurement as a subprocess that prints one JSON line.
// When Go or nats.go is missing the bench installs both with apt-get if it runs as root;
// otherwise (or when the build fails) `prepareGoClient` says why, and the nats.go column says so.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BenchClient, CaseSpec, RunMetrics } from "./adapter.js";
import { buildDir, describe, repoRoot } from "./util.js";

const DEBIAN_PACKAGES = ["golang-go", "golang-github-nats-io-go-nats-dev"];
const SYSTEM_GOPATH = "/usr/share/gocode";
const NATS_GO_SRC = join(SYSTEM_GOPATH, "src/github.com/nats-io/nats.go");
const INSTALL_TIMEOUT_MS = 10 * 60_000;
const BUILD_TIMEOUT_MS = 5 * 60_000;
/** A run's own limit is 60 s (as in-process), plus process start and connection set-up. */
const RUN_TIMEOUT_MS = 75_000;

function findGo(): string | undefined {
  if (process.env.GO_BIN) return existsSync(process.env.GO_BIN) ? process.env.GO_BIN : undefined;
  for (const p of ["/usr/bin/go", "/usr/lib/go/bin/go", "/usr/local/go/bin/go"]) {
    if (existsSync(p)) return p;
  }
  const r = spawnSync("sh", ["-c", "command -v go"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

const log = (s: string) => console.error(`bench: ${s}`);

/** Installs the Debian packages when something is missing and we are root; returns why not otherwise. */
function ensureInstalled(): string | undefined {
  if (findGo() && existsSync(NATS_GO_SRC)) return undefined;
  const missing = [!findGo() ? "go" : "", !existsSync(NATS_GO_SRC) ? "nats.go sources" : ""].filter(Boolean).join(" and ");
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
  if (!findGo() || !existsSync(NATS_GO_SRC)) return `${missing} still not found after apt-get install`;
  return undefined;
}

function goEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GO111MODULE: "off", GOPATH: SYSTEM_GOPATH, GOFLAGS: "", CGO_ENABLED: "0" };
  if (!env.GOCACHE && !env.HOME && !env.XDG_CACHE_HOME) env.GOCACHE = join(tmpdir(), "tsnats-bench-gocache");
  return env;
}

export type GoPrepared = { client: BenchClient } | { unavailable: string };

/** Installs (when root and missing) and builds the nats.go program; never throws. */
export function prepareGoClient(): GoPrepared {
  try {
    const why = ensureInstalled();
    if (why) return { unavailable: why };
    const go = findGo()!;
    const src = join(repoRoot(), "bench", "go", "main.go");
    if (!existsSync(src)) return { unavailable: `${src} is missing` };
    const outDir = join(buildDir(), "go");
    mkdirSync(outDir, { recursive: true });
    const bin = join(outDir, "natsgo-bench");
    const build = spawnSync(go, ["build", "-o", bin, src], { env: goEnv(), encoding: "utf8", timeout: BUILD_TIMEOUT_MS });
    if (build.status !== 0) {
      const out = `${build.stdout ?? ""}${build.stderr ?? ""}`.trim().split("\n").slice(0, 8).join(" | ");
      return { unavailable: `go build failed (${build.error ? describe(build.error) : `exit ${build.status}`}): ${out}` };
    }
    const v = spawnSync(bin, ["version"], { encoding: "utf8", timeout: 10_000 });
    const natsVersion = v.status === 0 ? v.stdout.trim() : "unknown";
    const goVersion = spawnSync(go, ["version"], { encoding: "utf8" }).stdout?.trim().split(" ")[2] ?? "go?";
    return { client: goClient(bin, `${natsVersion} (${goVersion})`) };
  } catch (err) {
    return { unavailable: describe(err) };
  }
}

function goClient(bin: string, version: string): BenchClient {
  return {
    name: "nats.go",
    version,
    run(spec: CaseSpec, url: string, tag: string): Promise<RunMetrics> {
      const args = ["-url", url, "-kind", spec.kind, "-size", String(spec.size), "-count", String(spec.count),
        "-inflight", String(spec.inflight ?? 100), "-tag", tag];
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

/** For the JSON: the Debian package versions, when dpkg knows them. */
export function goPackages(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of DEBIAN_PACKAGES) {
    const r = spawnSync("dpkg-query", ["-W", "-f", "${Version}", p], { encoding: "utf8" });
    if (r.status === 0 && r.stdout) out[p] = r.stdout;
  }
  return out;
}
