// Fresh-machine set-up shared by `npm test`, `npm run demo` and `npm run bench`:
// installs dependencies when missing or stale, builds or installs the pinned nats-server versions, installs Chromium for the browser test
// (same rule), and compiles the TypeScript (the library's dist/ and the `tsnats` CLI too, when stale).
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const quiet = process.argv.includes("--quiet");
const log = (s) => { if (!quiet) console.error(`[setup] ${s}`); };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });
  if (r.status !== 0) {
    console.error(`[setup] failed: ${cmd} ${args.join(" ")}`);
    process.exit(r.status ?? 1);
  }
}

function mtime(p) {
  try { return statSync(join(root, p)).mtimeMs; } catch { return 0; }
}

// 1. dependencies
const marker = "node_modules/.package-lock.json";
if (!existsSync(join(root, marker)) || mtime("package-lock.json") > mtime(marker)) {
  log("installing dependencies (npm ci)");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

/** Installs a Debian package (as root), refreshing the package lists if the first try fails. */
function aptInstall(pkg) {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  const r = spawnSync("apt-get", ["install", "-y", "--no-install-recommends", pkg], { stdio: "inherit", env });
  if (r.status !== 0) {
    run("apt-get", ["update"], { env });
    run("apt-get", ["install", "-y", "--no-install-recommends", pkg], { env });
  }
}

// 2. nats-server: the versions pinned in nats-servers.json (see scripts/lib/nats_servers.mjs).
// `current` and `mid` are built from the Go module into a cache outside the repository the first
// time; `oldest` is Debian's package. `npm run demo` does not wait for a build (--no-build-servers).
const servers = await import("./lib/nats_servers.mjs");
if (!process.argv.includes("--no-server") && !process.env.NATS_SERVER_BIN) {
  const pins = servers.pinnedServers();
  if (!servers.systemServerPath()) {
    if (process.getuid && process.getuid() === 0) {
      log(`installing Debian's nats-server (${pins.oldest.version}, the oldest supported)`);
      aptInstall("nats-server");
    } else {
      console.error(`[setup] Debian's nats-server (${pins.oldest.version}) is missing and we are not root: install it with \`sudo apt-get install nats-server\`.`);
    }
  }
  if (!process.argv.includes("--no-build-servers") && process.env.npm_lifecycle_event !== "demo") {
    for (const role of servers.ROLES) {
      if (pins[role].from !== "go") continue;
      const why = servers.buildGoServer(pins[role].version, log);
      if (why) {
        console.error(`[setup] cannot build nats-server ${pins[role].version} (${why}); tests run against the newest nats-server found instead.`);
        if (!servers.goCommand()) break;
      }
    }
  }
  if (!quiet) {
    for (const role of servers.ROLES) {
      try {
        const r = servers.resolveServer(role);
        log(`nats-server ${role.padEnd(7)} ${r.version.padEnd(8)} ${r.path}${r.note ? ` (${r.note})` : ""}`);
      } catch (err) {
        console.error(`[setup] ${err.message}`);
        process.exit(1);
      }
    }
  }
}

// 3. Chromium for the headless browser test (Debian's package; never downloaded by playwright).
// Skipped for `npm run demo` / `npm run bench` (they do not need it) and with --no-browser.
const chromiumBin = process.env.CHROMIUM_BIN || "/usr/bin/chromium";
const wantsBrowser = !process.argv.includes("--no-browser") && !["demo", "bench"].includes(process.env.npm_lifecycle_event ?? "");
if (wantsBrowser && !existsSync(chromiumBin)) {
  if (process.getuid && process.getuid() === 0) {
    log("chromium is missing: installing Debian's package (this takes a while)");
    aptInstall("chromium");
  } else {
    console.error(`[setup] Chromium was not found at ${chromiumBin} and we are not root: the browser test will fail.`);
    console.error("[setup] Install it (Debian: `sudo apt-get install chromium`) or set CHROMIUM_BIN.");
  }
}

// 4. build
if (!process.argv.includes("--no-build")) {
  log("compiling TypeScript");
  run(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"]);
}

// 5. the `tsnats` command (packages/cli, an npm workspace): it imports the library as `tsnats`
// (node_modules/tsnats links to this repository, whose exports point into dist/), so dist/ is built
// first when src/ is newer, then the CLI when its sources or dist/ are newer than its build.
/** The newest modification time of the files under a directory (0 when it does not exist). */
function newest(dir) {
  let t = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else t = Math.max(t, statSync(p).mtimeMs);
    }
  };
  try { walk(join(root, dir)); } catch { /* missing */ }
  return t;
}
if (!process.argv.includes("--no-build")) {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  if (!existsSync(join(root, "dist/index.js")) || newest("src") > mtime("dist/index.js")) {
    log("building dist/ (the library as the CLI imports it)");
    run(process.execPath, [tsc, "-p", "tsconfig.build.json"]);
  }
  const cliInputs = Math.max(newest("packages/cli/src"), mtime("packages/cli/tsconfig.json"), mtime("packages/cli/package.json"), mtime("dist/index.js"));
  if (!existsSync(join(root, "packages/cli/dist/main.js")) || cliInputs > mtime("packages/cli/dist/main.js")) {
    log("compiling the tsnats CLI (packages/cli)");
    run(process.execPath, [tsc, "-p", "packages/cli/tsconfig.json"]);
  }
}
