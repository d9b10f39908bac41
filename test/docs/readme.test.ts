// The README's usage examples are run as written (import path and server URL swapped in)
// against a real nats-server, so the documentation cannot drift from the library.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { NatsServer } from "../support/server.js";

const root = resolve(import.meta.dirname, "../../..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const usage = readme.slice(readme.indexOf("## Basic usage"), readme.indexOf("## Security and transports"));
const blocks = [...usage.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe("README examples", () => {
  let server: NatsServer;
  let dir: string;
  before(async () => {
    server = await NatsServer.start();
    dir = mkdtempSync(join(tmpdir(), "tsnats-readme-"));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has examples to run", () => assert.ok(blocks.length >= 3));

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs`, () => {
      const lib = pathToFileURL(join(root, "build/src/index.js")).href;
      const src = code
        .replace(/from "tsnats"/g, `from ${JSON.stringify(lib)}`)
        .replace(/"nats:\/\/127\.0\.0\.1:4222"/g, JSON.stringify(server.url))
        .replace(/connect\(\)/g, `connect({ servers: ${JSON.stringify(server.url)} })`);
      const file = join(dir, `example${i}.mjs`);
      writeFileSync(file, src);
      const r = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 20_000 });
      assert.equal(r.status, 0, `example ${i + 1} failed:\n${r.stderr}\n${r.stdout}`);
    });
  });
});
