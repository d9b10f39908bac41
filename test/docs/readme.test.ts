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
const usage = readme.slice(readme.indexOf("## Basic usage"), readme.indexOf("## JetStream"));
const jsSection = readme.slice(readme.indexOf("## JetStream"), readme.indexOf("### API", readme.indexOf("## JetStream")));
const codeBlocks = (text: string): string[] => [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const svcStart = readme.indexOf("\n## Services\n");
const svcSection = svcStart < 0 ? "" : readme.slice(svcStart, readme.indexOf("\n## ", svcStart + 1));
const svcBlocks = codeBlocks(svcSection);
const kvStart = readme.indexOf("\n## Key-Value\n");
const kvSection = kvStart < 0 ? "" : readme.slice(kvStart, readme.indexOf("\n## ", kvStart + 1));
const kvBlocks = codeBlocks(kvSection);
const objStart = readme.indexOf("\n## Object Store\n");
const objSection = objStart < 0 ? "" : readme.slice(objStart, readme.indexOf("\n## ", objStart + 1));
const objBlocks = codeBlocks(objSection);
const blocks = [...codeBlocks(usage), ...codeBlocks(jsSection), ...svcBlocks, ...kvBlocks, ...objBlocks];

describe("README examples", () => {
  let server: NatsServer;
  let dir: string;
  before(async () => {
    server = await NatsServer.start({ jetstream: true });
    dir = mkdtempSync(join(tmpdir(), "tsnats-readme-"));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has examples to run", () => assert.ok(blocks.length >= 5));

  it("has a Services section with examples", () => assert.ok(svcBlocks.length >= 3, "README.md ## Services has ```ts examples"));

  it("examples/services.ts runs", () => {
    const r = spawnSync(process.execPath, [join(root, "build/examples/services.js")], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, NATS_URL: server.url },
    });
    assert.equal(r.status, 0, `examples/services.ts failed:\n${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /2 \+ 3 = 5/);
    assert.match(r.stdout, /divide 1 \/ 0: error 422 division by zero/);
    assert.match(r.stdout, /ping: 2 instances answered/);
    assert.match(r.stdout, /stopped: true/);
  });

  it("has an Object Store section with examples", () => assert.ok(objBlocks.length >= 2, "README.md ## Object Store has ```ts examples"));

  it("examples/obj.ts runs", () => {
    const r = spawnSync(process.execPath, [join(root, "build/examples/obj.js")], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, NATS_URL: server.url },
    });
    assert.equal(r.status, 0, `examples/obj.ts failed:\n${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /put 3145728 bytes in 24 chunks, digest SHA-256=[A-Za-z0-9_-]{43}=/);
    assert.match(r.stdout, /get: same bytes/);
    assert.match(r.stdout, /watch saw: data\/3 MiB ✓\.bin, notes\.txt, notes\.txt \(deleted\)/);
  });

  it("has a Key-Value section with examples", () => assert.ok(kvBlocks.length >= 3, "README.md ## Key-Value has ```ts examples"));

  it("examples/kv.ts runs (its TTL part refused cleanly before 2.11)", () => {
    const r = spawnSync(process.execPath, [join(root, "build/examples/kv.js")], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, NATS_URL: server.url },
    });
    assert.equal(r.status, 0, `examples/kv.ts failed:\n${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /stale update: WRONG_LAST_SEQUENCE/);
    assert.match(r.stdout, /create again: KEY_EXISTS/);
    assert.match(r.stdout, /history: 3 revisions: hello \| hello again \| cas winner/);
    assert.match(r.stdout, /watched: PUT user\.alice@1, .*DEL user\.bob@5, PUT user\.bob@6, PUT user\.done@7/);
    assert.match(r.stdout, /typed: alice uses the dark theme at 14px/);
    if (server.atLeast("2.11.0")) assert.match(r.stdout, /ttl: the key expired, watchers saw PURGE \(MaxAge\)/);
    else assert.match(r.stdout, /ttl: bucket option 'markerTTL' needs nats-server 2\.11\.0 or newer; the server is /);
  });

  it("examples/jetstream.ts runs against a JetStream server", () => {
    const r = spawnSync(process.execPath, [join(root, "build/examples/jetstream.js")], {
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, NATS_URL: server.url },
    });
    assert.equal(r.status, 0, `examples/jetstream.ts failed:\n${r.stderr}\n${r.stdout}`);
    assert.match(r.stdout, /stored 100 of 100/);
  });

  blocks.forEach((code, i) => {
    it(`example ${i + 1} runs`, () => {
      const lib = pathToFileURL(join(root, "build/src/index.js")).href;
      const jsLib = pathToFileURL(join(root, "build/src/jetstream/index.js")).href;
      const svcLib = pathToFileURL(join(root, "build/src/services/index.js")).href;
      const kvLib = pathToFileURL(join(root, "build/src/kv/index.js")).href;
      const objLib = pathToFileURL(join(root, "build/src/obj/node.js")).href;
      const src = code
        .replace(/from "tsnats"/g, `from ${JSON.stringify(lib)}`)
        .replace(/from "tsnats\/jetstream"/g, `from ${JSON.stringify(jsLib)}`)
        .replace(/from "tsnats\/services"/g, `from ${JSON.stringify(svcLib)}`)
        .replace(/from "tsnats\/kv"/g, `from ${JSON.stringify(kvLib)}`)
        .replace(/from "tsnats\/obj"/g, `from ${JSON.stringify(objLib)}`)
        .replace(/"nats:\/\/127\.0\.0\.1:4222"/g, JSON.stringify(server.url))
        .replace(/connect\(\)/g, `connect({ servers: ${JSON.stringify(server.url)} })`);
      const file = join(dir, `example${i}.mjs`);
      writeFileSync(file, src);
      const r = spawnSync(process.execPath, [file], { encoding: "utf8", timeout: 20_000 });
      if (!server.atLeast("2.11.0") && /priority_policy/.test(code)) {
        // priority groups, pause and unpin need 2.11: the example must stop with the clean refusal
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /FeatureNotSupportedError: .* needs nats-server 2\.11\.0 or newer; the server is /);
        return;
      }
      if (!server.atLeast("2.11.0") && /markerTTL/.test(code)) {
        // Key-Value limit markers and per-key TTLs need 2.11: the example stops with the clean refusal
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /FeatureNotSupportedError: .* needs nats-server 2\.11\.0 or newer; the server is /);
        return;
      }
      if (!server.atLeast("2.12.0") && /allow_atomic|allow_msg_counter|allow_msg_ttl/.test(code)) {
        // an older server cannot do these: the example must stop at once with the clean refusal
        assert.notEqual(r.status, 0);
        assert.match(r.stderr, /FeatureNotSupportedError: .* needs nats-server 2\.1[12]\.0 or newer; the server is /);
        return;
      }
      assert.equal(r.status, 0, `example ${i + 1} failed:\n${r.stderr}\n${r.stdout}`);
    });
  });
});
