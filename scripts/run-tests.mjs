// Runs the compiled test files with Node's built-in test runner, in two passes:
//   1. every test file against the `current` nats-server (nats-servers.json);
//   2. the core suites (connection, resilience, auth, TLS, transports, docs) again against `oldest`.
// Tests that need `mid` (or `oldest`) for a version guard start it themselves. The servers used are
// printed at the start and in the summary.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
//   TSNATS_PASSES=current|oldest|current,oldest (default both)
import { readdirSync, statSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ROLES, resolveServer } from "./lib/nats_servers.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const testRoot = join(root, "build", "test");
const filters = process.argv.slice(2);
/** Suites that run against every supported server generation (they are fast). */
const CORE = ["test/connection/", "test/resilience/", "test/auth/", "test/tls/", "test/transport/", "test/docs/"];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const rel = (f) => relative(join(root, "build"), f);
let files = walk(testRoot, []).sort();
if (filters.length) files = files.filter((f) => filters.some((s) => relative(root, f).includes(s)));
if (!files.length) {
  console.error("no test files matched");
  process.exit(1);
}

const servers = Object.fromEntries(ROLES.map((r) => {
  try {
    return [r, resolveServer(r)];
  } catch (err) {
    return [r, { role: r, path: "(none)", version: "-", note: err.message }];
  }
}));
const describeServer = (s) => `${s.role.padEnd(7)} nats-server ${s.version.padEnd(8)} ${s.path}${s.note ? ` (${s.note})` : ""}`;
console.log("[tests] servers:");
for (const r of ROLES) console.log(`[tests]   ${describeServer(servers[r])}`);

const wanted = (process.env.TSNATS_PASSES ?? "current,oldest").split(",");
const passes = [];
if (wanted.includes("current")) passes.push({ role: "current", files });
if (wanted.includes("oldest")) {
  const core = files.filter((f) => CORE.some((d) => rel(f).startsWith(d)));
  if (servers.oldest.path === servers.current.path && wanted.includes("current")) {
    console.log(`[tests] oldest and current are the same binary (${servers.current.path}): no second pass`);
  } else if (core.length) passes.push({ role: "oldest", files: core });
}

/** Runs one pass; resolves to { code, counts } with the runner's final tallies. */
function runPass(pass) {
  const args = [
    "--enable-source-maps",
    "--test",
    "--test-reporter=spec",
    `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
    "--test-timeout=120000",
    ...pass.files,
  ];
  console.log(`\n[tests] pass "${pass.role}": ${pass.files.length} files against ${describeServer(servers[pass.role])}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, TSNATS_SERVER: pass.role },
    });
    const counts = {};
    let tail = "";
    child.stdout.on("data", (chunk) => {
      process.stdout.write(chunk);
      const text = tail + chunk.toString("utf8");
      const lines = text.split("\n");
      tail = lines.pop() ?? "";
      for (const line of lines) {
        const m = /^ℹ (tests|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)/.exec(line);
        if (m) counts[m[1]] = Number(m[2]);
      }
    });
    child.on("close", (code) => resolve({ code: code ?? 1, counts }));
  });
}

const started = Date.now();
const results = [];
for (const pass of passes) results.push({ pass, ...(await runPass(pass)) });

console.log("\n[tests] summary:");
for (const { pass, code, counts } of results) {
  const s = servers[pass.role];
  const secs = ((counts.duration_ms ?? 0) / 1000).toFixed(1);
  console.log(
    `[tests]   ${pass.role.padEnd(7)} nats-server ${s.version} (${s.path}): ${counts.pass ?? 0} passed, ${counts.fail ?? "?"} failed, ` +
      `${counts.skipped ?? 0} skipped, ${counts.cancelled ?? 0} cancelled in ${secs} s${code ? ` — exit ${code}` : ""}`,
  );
}
console.log(`[tests]   total ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(results.some((r) => r.code !== 0) ? 1 : 0);
