// Checks the package as npm would publish it: a clean build of dist/, `npm pack` into a temporary
// directory, then on that tarball publint (strict: warnings fail too) and Are The Types Wrong
// (profile esm-only: tsnats is ESM only, so node10 and CommonJS `require` resolution are not
// checked). Exits non-zero when either reports a problem or the tarball holds unexpected files;
// prints one summary line.
// Usage: node scripts/check-package.mjs [--no-build]   (--no-build: pack the dist/ already there)
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
/** attw problems of these resolutions are not errors for an ESM-only package (its esm-only profile). */
const IGNORED_RESOLUTIONS = ["node10", "node16-cjs"];

class Fatal extends Error {}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8", maxBuffer: 64 * 1024 * 1024, shell: process.platform === "win32" && cmd === "npm" });
  if (r.error) throw r.error;
  return r;
}

function mustRun(what, cmd, args) {
  const r = run(cmd, args);
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout}${r.stderr}`);
    throw new Fatal(`${what} failed (exit ${r.status})`);
  }
  return r;
}

/** Files the tarball must not hold: anything but dist/, README, package.json and a licence. */
function unexpectedFiles(files) {
  return files.filter((p) => !/^(dist\/.+|src\/.+\.ts|README\.md|package\.json|LICEN[CS]E(\.\w+)?)$/i.test(p) || /(^|\/)(test|tests|build)\//.test(p));
}

/** Export targets that are not in the tarball. */
function missingExports(pkg, files) {
  const missing = [];
  const walk = (sub, v) => {
    if (typeof v === "string") {
      if (!files.includes(v.replace(/^\.\//, ""))) missing.push(`exports["${sub}"] -> ${v}`);
    } else if (v && typeof v === "object") {
      for (const x of Object.values(v)) walk(sub, x);
    }
  };
  for (const [sub, v] of Object.entries(pkg.exports ?? {})) walk(sub, v);
  return missing;
}

async function lintWithPublint(tarball) {
  const { publint } = await import("publint");
  const { formatMessage } = await import("publint/utils");
  const data = readFileSync(tarball);
  const ab = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const result = await publint({ pack: { tarball: ab }, strict: true });
  const counts = { error: 0, warning: 0, suggestion: 0 };
  for (const m of result.messages) {
    counts[m.type]++;
    console.error(`[check-package] publint ${m.type}: ${formatMessage(m, result.pkg, { color: false }) ?? m.code}`);
  }
  return counts;
}

function checkTypes(tarball) {
  const bin = join(dirname(require.resolve("@arethetypeswrong/cli/package.json")), "dist", "index.js");
  const args = [bin, tarball, "--profile", "esm-only", "--no-color", "--no-emoji"];
  // the exit code applies the profile; the JSON lists every problem, ignored resolutions included
  const r = run(process.execPath, [...args, "--format", "json"]);
  let problems;
  let ignored = 0;
  try {
    const all = Object.values(JSON.parse(r.stdout).problems ?? {}).flat();
    ignored = all.filter((p) => IGNORED_RESOLUTIONS.includes(p.resolutionKind)).length;
    problems = all.length - ignored;
  } catch {
    problems = undefined;
  }
  if (r.status !== 0 || problems !== 0) {
    const table = run(process.execPath, [...args, "--format", "ascii"]);
    process.stderr.write(`${table.stdout}${table.stderr}`);
    if (problems === undefined) process.stderr.write(`${r.stdout}${r.stderr}`);
  }
  return { ok: r.status === 0 && problems === 0, problems: problems ?? "?", ignored, status: r.status };
}

async function main() {
  // 1. a clean build, so that no stale file of an earlier build is packed
  if (!process.argv.includes("--no-build")) {
    rmSync(join(root, "dist"), { recursive: true, force: true });
    mustRun("tsc -p tsconfig.build.json", process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"]);
  }
  const tmp = mkdtempSync(join(tmpdir(), "tsnats-pack-"));
  try {
    // 2. npm pack; dist/ is built already, so prepack/prepare (which build it again) are skipped
    const r = mustRun("npm pack", "npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp]);
    const [info] = JSON.parse(r.stdout.slice(r.stdout.indexOf("[")));
    const tarball = join(tmp, info.filename);
    const files = info.files.map((f) => f.path);
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const failures = [];

    // 3. the tarball's contents
    const unexpected = unexpectedFiles(files);
    if (unexpected.length) failures.push(`unexpected files in the tarball: ${unexpected.join(", ")}`);
    const missing = missingExports(pkg, files);
    if (missing.length) failures.push(`export targets missing from the tarball: ${missing.join(", ")}`);
    if (!files.some((f) => f.startsWith("dist/"))) failures.push("no dist/ in the tarball");

    // 4. publint, strict: errors and warnings fail, suggestions are printed only
    const lint = await lintWithPublint(tarball);
    if (lint.error + lint.warning) failures.push(`publint: ${lint.error} errors, ${lint.warning} warnings`);

    // 5. Are The Types Wrong
    const types = checkTypes(tarball);
    if (!types.ok) failures.push(`attw: ${types.problems} problems (exit ${types.status})`);

    const summary =
      `${info.name}@${info.version}: ${files.length} files, ${(info.size / 1024).toFixed(1)} kB packed; ` +
      `publint --strict ${lint.error + lint.warning} errors, ${lint.suggestion} suggestions; ` +
      `attw --profile esm-only ${types.problems} problems (${types.ignored} ignored: node10/require)`;
    for (const f of failures) console.error(`[check-package] ${f}`);
    if (failures.length) {
      console.error(`[check-package] FAILED ${summary}`);
      process.exitCode = 1;
    } else {
      console.log(`[check-package] ok ${summary}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

try {
  await main();
} catch (err) {
  if (!(err instanceof Fatal)) throw err;
  console.error(`[check-package] FAILED: ${err.message}`);
  process.exitCode = 1;
}
