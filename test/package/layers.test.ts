// The layering of ../shared/DESIGN.md, checked on the sources: util/ and auth/ (with the leaf
// version.ts) at the bottom, then protocol/, transport/, connection/; no file of these layers
// imports from a layer above it (nor from the entry points, encoded.ts, jetstream/...).
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { repoRoot as root, tsFiles as walk } from "../support/sources.js";

const src = join(root, "src");

/** Rank of each lower layer: a file may import only from ranks at or below its own. */
const RANKS: Record<string, number> = { util: 0, auth: 0, "version.ts": 0, protocol: 1, transport: 2, connection: 3 };

function rankOf(file: string): number | undefined {
  const first = relative(src, file).split(sep)[0]!;
  return RANKS[first];
}


/** Relative specifiers of static imports, `export ... from` and dynamic `import("...")`. */
function relativeImports(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s*["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/g)) {
    specs.push((m[1] ?? m[2])!);
  }
  return specs;
}

describe("source layering", () => {
  it("finds the sources", () => {
    const files = walk(src);
    assert.ok(files.some((f) => f.endsWith(join("transport", "tcp.ts"))), `no sources under ${src}`);
  });

  it("util/, auth/, protocol/, transport/ and connection/ import nothing from a layer above them", () => {
    const violations: string[] = [];
    for (const file of walk(src)) {
      const rank = rankOf(file);
      if (rank === undefined) continue; // entry points and higher layers may import anything below
      for (const spec of relativeImports(readFileSync(file, "utf8"))) {
        const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
        const targetRank = rankOf(target);
        if (targetRank === undefined || targetRank > rank) violations.push(`${relative(root, file)} imports ${spec}`);
      }
    }
    assert.deepEqual(violations, []);
  });

  it("transport/ does not import from connection/", () => {
    const offenders = walk(join(src, "transport")).filter((f) => relativeImports(readFileSync(f, "utf8")).some((s) => s.includes("/connection/")));
    assert.deepEqual(offenders.map((f) => relative(root, f)), []);
  });
});
