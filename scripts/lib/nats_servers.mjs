// The nats-server versions tsnats is tested against, and where their binaries are.
// Read by scripts/setup.mjs (which builds or installs them), the test harness, the demo and the
// bench. The versions themselves are pinned in ../../nats-servers.json, nowhere else.
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** @typedef {"current" | "mid" | "oldest"} ServerRole */
/** @typedef {{ version: string, from: "go" | "debian" }} ServerPin */
/** @typedef {{ role: ServerRole, path: string, version: string, note?: string }} ResolvedServer */

/** The repository root: the nearest folder above this file that holds nats-servers.json. */
function findRoot() {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "nats-servers.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("nats-servers.json not found above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** @type {ServerRole[]} */
export const ROLES = ["current", "mid", "oldest"];

/** @returns {Record<ServerRole, ServerPin>} */
export function pinnedServers() {
  return JSON.parse(readFileSync(join(findRoot(), "nats-servers.json"), "utf8"));
}

/** The cache folder for built servers: $TSNATS_CACHE, else $XDG_CACHE_HOME/tsnats, else ~/.cache/tsnats. */
export function cacheDir() {
  if (process.env.TSNATS_CACHE) return process.env.TSNATS_CACHE;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "tsnats");
}

/** Where `go install` puts a Go-module version of nats-server. */
export function goServerPath(version) {
  return join(cacheDir(), "nats-server", version, "nats-server");
}

function executable(p) {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Debian's /usr/sbin/nats-server, else a nats-server on PATH; null when there is none. */
export function systemServerPath() {
  for (const p of ["/usr/sbin/nats-server", "/usr/bin/nats-server"]) if (executable(p)) return p;
  for (const d of (process.env.PATH ?? "").split(delimiter)) {
    if (d && executable(join(d, "nats-server"))) return join(d, "nats-server");
  }
  return null;
}

/** The `go` command: on PATH, else /usr/local/go/bin/go; null when Go is missing. */
export function goCommand() {
  for (const d of (process.env.PATH ?? "").split(delimiter)) {
    if (d && executable(join(d, "go"))) return join(d, "go");
  }
  return executable("/usr/local/go/bin/go") ? "/usr/local/go/bin/go" : null;
}

const versionCache = new Map();
/** "2.15.2" for a binary that prints "nats-server: v2.15.2"; cached per path. */
export function binaryVersion(path) {
  let v = versionCache.get(path);
  if (v === undefined) {
    const out = execFileSync(path, ["--version"], { encoding: "utf8", timeout: 10_000 });
    const m = /v?(\d+\.\d+\.\d+(?:-[\w.]+)?)/.exec(out);
    if (!m) throw new Error(`cannot read the version of ${path}: ${out.trim()}`);
    v = m[1];
    versionCache.set(path, v);
  }
  return v;
}

/** Compares dotted versions numerically ("2.9.10" < "2.10.4"); pre-release suffixes are ignored. */
export function compareVersions(a, b) {
  const pa = a.replace(/^v/, "").split(/[.-]/).slice(0, 3).map(Number);
  const pb = b.replace(/^v/, "").split(/[.-]/).slice(0, 3).map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Every server binary present on this machine (pinned Go builds and the system one), newest first. */
function availableServers() {
  const pins = pinnedServers();
  const found = [];
  for (const role of ROLES) {
    if (pins[role].from !== "go") continue;
    const p = goServerPath(pins[role].version);
    if (executable(p)) found.push(p);
  }
  const sys = systemServerPath();
  if (sys) found.push(sys);
  return found
    .map((path) => ({ path, version: binaryVersion(path) }))
    .sort((x, y) => compareVersions(y.version, x.version));
}

/**
 * The binary to run for a role. `NATS_SERVER_BIN` wins for every role. A pinned Go build is used
 * when it is in the cache, Debian's package for `oldest`; when the pinned binary is missing, the
 * newest server on the machine stands in (with a `note` saying so). Throws when there is none.
 * @param {ServerRole} role
 * @returns {ResolvedServer}
 */
export function resolveServer(role = "current") {
  const pin = pinnedServers()[role];
  if (!pin) throw new Error(`unknown nats-server role "${role}" (want ${ROLES.join(", ")})`);
  const env = process.env.NATS_SERVER_BIN;
  if (env) {
    if (!executable(env)) throw new Error(`NATS_SERVER_BIN=${env} is not an executable file`);
    return { role, path: env, version: binaryVersion(env), note: "NATS_SERVER_BIN" };
  }
  const pinned = pin.from === "go" ? goServerPath(pin.version) : systemServerPath();
  if (pinned && executable(pinned)) {
    const version = binaryVersion(pinned);
    const note = compareVersions(version, pin.version) === 0 ? undefined : `pinned ${pin.version}`;
    return { role, path: pinned, version, ...(note ? { note } : {}) };
  }
  const best = availableServers()[0];
  if (!best) throw new Error(`no nats-server found for "${role}" (${pin.version}): run \`node scripts/setup.mjs\` or set NATS_SERVER_BIN`);
  return { role, path: best.path, version: best.version, note: `${pin.version} missing; newest found stands in` };
}

/**
 * Builds a Go-module version of nats-server into the cache with `go install` (a no-op when present).
 * Returns null on success, else a one-line reason.
 */
export function buildGoServer(version, log = () => {}) {
  const target = goServerPath(version);
  if (executable(target)) return null;
  const go = goCommand();
  if (!go) return "Go is not installed";
  const tmp = `${dirname(target)}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  log(`building nats-server ${version} with go install (first run only)`);
  const r = spawnSync(go, ["install", `github.com/nats-io/nats-server/v2@${version}`], {
    env: { ...process.env, GOBIN: tmp, CGO_ENABLED: "0" },
    stdio: ["ignore", "inherit", "inherit"],
    timeout: 20 * 60_000,
  });
  if (r.status !== 0 || !existsSync(join(tmp, "nats-server"))) {
    rmSync(tmp, { recursive: true, force: true });
    return `go install github.com/nats-io/nats-server/v2@${version} failed${r.error ? `: ${r.error.message}` : ""}`;
  }
  mkdirSync(dirname(dirname(target)), { recursive: true });
  rmSync(dirname(target), { recursive: true, force: true });
  renameSync(tmp, dirname(target));
  return null;
}
