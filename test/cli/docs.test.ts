// The README's "Command line" section cannot drift from the tool: every `tsnats ...` command shown
// in its shell examples exists, and every flag it uses is one that command (or the global set) takes.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, ok } from "./helpers.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const start = readme.indexOf("\n## Command line\n");
const section = start < 0 ? "" : readme.slice(start, readme.indexOf("\n## ", start + 1));
const shellLines = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1]!.split("\n"));

/** Words of a shell command line (quotes removed; no expansion). */
function words(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

const GROUPS = new Set(["context", "server", "stream", "consumer", "kv", "obj", "micro", "bench"]);
const SUBGROUPS = new Set(["bench js", "bench kv", "server check"]);
const GLOBAL_WITH_VALUE = new Set(["-s", "--server", "--context", "--creds", "--nkey", "--user", "--password", "--token", "--timeout"]);

/** Each `tsnats` invocation of the examples: its command path and the flags it uses. */
function invocations(): { path: string[]; flags: string[]; line: string }[] {
  const out: { path: string[]; flags: string[]; line: string }[] = [];
  for (const raw of shellLines) {
    const line = raw.replace(/\s+#\s.*$/, "");
    for (const seg of line.split(/&&|&|\|/)) {
      const w = words(seg.trim());
      const at = w.indexOf("tsnats");
      if (at < 0) continue;
      const rest = w.slice(at + 1);
      const path: string[] = [];
      const flags: string[] = [];
      for (let i = 0; i < rest.length; i++) {
        const t = rest[i]!;
        if (t.startsWith("-")) {
          flags.push(t.split("=")[0]!);
          if (GLOBAL_WITH_VALUE.has(t)) i++;
          continue;
        }
        const wanted = path.length === 0 || (path.length === 1 && GROUPS.has(path[0]!)) || (path.length === 2 && SUBGROUPS.has(path.join(" ")));
        if (!wanted) continue;
        path.push(t);
      }
      out.push({ path, flags, line: seg.trim() });
    }
  }
  return out;
}

describe("README ## Command line", () => {
  it("has shell examples", () => assert.ok(invocations().length >= 15, `found ${invocations().length}`));

  it("shows only commands and flags the tool has", async () => {
    const global = (await ok(["--help"])).stdout;
    const helps = new Map<string, string>();
    for (const inv of invocations()) {
      const key = inv.path.join(" ");
      if (!helps.has(key)) helps.set(key, (await ok([...inv.path, "--help"])).stdout);
      const help = `${helps.get(key)}\n${global}`;
      for (const f of inv.flags) {
        if (f === "--help" || f === "--version") continue;
        assert.ok(new RegExp(`(^|[\\s,])${f.replace(/[-]/g, "\\-")}([\\s,=]|$)`, "m").test(help), `\`${inv.line}\`: ${f} is not a flag of \`tsnats ${key}\``);
      }
    }
  });
});
