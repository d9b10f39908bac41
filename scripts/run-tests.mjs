// Runs every compiled test file with Node's built-in test runner.
// Usage: node scripts/run-tests.mjs [substring-filter ...]
import { readdirSync, statSync } from "node:fs";
import { join, dirname, relative } from "node:path";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const testRoot = join(root, "build", "test");
const filters = process.argv.slice(2);

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

let files = walk(testRoot, []).sort();
if (filters.length) files = files.filter((f) => filters.some((s) => relative(root, f).includes(s)));
if (!files.length) {
  console.error("no test files matched");
  process.exit(1);
}
const args = [
  "--enable-source-maps",
  "--test",
  "--test-reporter=spec",
  `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`,
  "--test-timeout=120000",
  ...files,
];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
