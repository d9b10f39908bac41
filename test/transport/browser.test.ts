// The browser entry (src/browser.ts): it bundles for platform "browser" without any `node:`
// module, and the bundle connects from headless Chromium to nats-server's websocket listener.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { fileURLToPath } from "node:url";
import { build, type BuildResult, type Metafile } from "esbuild";
import { NatsServer } from "../support/server.js";
import { launchChromium, requireChromium, serveStatic, type Chromium, type StaticServer } from "../support/browser_page.js";
import { connect, createInbox, headers, type NatsConnection } from "../../src/index.js";
import * as browserEntry from "../../src/browser.js";
import * as nodeEntry from "../../src/index.js";

const BROWSER_JS = fileURLToPath(new URL("../../src/browser.js", import.meta.url));
const INDEX_JS = fileURLToPath(new URL("../../src/index.js", import.meta.url));
/** The subpath modules built on the core: each must bundle for the browser too. */
const MODULE_ENTRIES = ["jetstream", "kv", "obj", "services"].map((m) => [m, fileURLToPath(new URL(`../../src/${m}/index.js`, import.meta.url))] as const);

/** `import ... from "node:x"`, `import("node:x")`, `export ... from "node:x"`, `require("node:x")`. */
const NODE_IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']node:[^"']*["']/;

function bundle(entry: string): Promise<BuildResult<{ write: false; metafile: true }>> {
  return build({
    entryPoints: [entry],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
}

function inputsOf(meta: Metafile): string[] {
  return Object.keys(meta.inputs);
}

describe("browser bundle", () => {
  let text: string;
  let inputs: string[];

  before(async () => {
    const r = await bundle(BROWSER_JS);
    assert.deepEqual(r.errors, [], "esbuild reported errors");
    assert.equal(r.outputFiles.length, 1);
    text = r.outputFiles[0]!.text;
    inputs = inputsOf(r.metafile);
  });

  it("builds with no errors and no node: import or require", () => {
    assert.ok(text.length > 10_000, `bundle suspiciously small (${text.length} bytes)`);
    const m = NODE_IMPORT.exec(text);
    assert.equal(m, null, `the bundle imports a Node module: ${m?.[0]}`);
    assert.deepEqual(inputs.filter((p) => p.startsWith("node:")), []);
  });

  it("leaves out the TCP/TLS transports and the ws package", () => {
    assert.ok(inputs.some((p) => p.endsWith("src/transport/websocket.js")), "websocket transport missing from the bundle");
    const nodeOnly = inputs.filter((p) => /src\/transport\/(tcp|tls|node_factory)\.js$|node_modules\/ws\//.test(p));
    assert.deepEqual(nodeOnly, []);
  });

  for (const [name, entry] of MODULE_ENTRIES) {
    it(`tsnats/${name} bundles for the browser with no node: import and no Node transport`, async () => {
      const r = await bundle(entry);
      assert.deepEqual(r.errors, []);
      const out = r.outputFiles[0]!.text;
      assert.equal(NODE_IMPORT.exec(out), null, `tsnats/${name} imports a Node module`);
      const ins = inputsOf(r.metafile);
      assert.deepEqual(ins.filter((p) => p.startsWith("node:") || /src\/transport\/(tcp|tls|node_factory)\.js$/.test(p)), []);
      assert.ok(ins.some((p) => p.includes(`src/${name}/`)));
    });
  }

  it("the same check catches the Node entry (which needs node:net)", async () => {
    const err = await bundle(INDEX_JS).then(
      () => assert.fail("bundling src/index.js for the browser should fail"),
      (e: unknown) => e as { errors?: { text: string }[] },
    );
    assert.ok(err.errors?.some((e) => /node:(net|tls|fs)/.test(e.text)), `unexpected errors: ${JSON.stringify(err.errors)}`);
  });
});

describe("browser entry API", () => {
  it("exports what the Node entry exports, minus the node:crypto/node:fs auth helpers", async () => {
    // nkeys, JWTs and creds need node:crypto (and credsFile node:fs): Node-only
    const nodeOnlyModules = ["nkeys", "jwt", "creds", "creds_file"].map((m) => new URL(`../../src/auth/${m}.js`, import.meta.url).href);
    const nodeOnly = new Set((await Promise.all(nodeOnlyModules.map((u) => import(u)))).flatMap((m) => Object.keys(m as object)));
    const missing = Object.keys(nodeEntry).filter((k) => !(k in browserEntry));
    assert.deepEqual(missing.filter((k) => !nodeOnly.has(k)), [], "exports missing from the browser entry");
    assert.ok(missing.includes("credsAuthenticator") || !("credsAuthenticator" in nodeEntry));
    assert.equal(browserEntry.NatsConnection, nodeEntry.NatsConnection);
    assert.equal(browserEntry.InvalidArgumentError, nodeEntry.InvalidArgumentError);
    assert.match(browserEntry.createInbox(), /^_INBOX\.[A-Za-z0-9]+$/);
  });

  it("rejects servers that are not ws:// or wss:// with InvalidArgumentError", async () => {
    for (const servers of [undefined, [], "nats://127.0.0.1:4222", "tls://127.0.0.1:4222", "127.0.0.1:4222", ["ws://127.0.0.1:1", "nats://127.0.0.1:2"], "ws://127.0.0.1:1,nats://127.0.0.1:2"]) {
      await assert.rejects(browserEntry.connect(servers === undefined ? undefined : { servers }), (e: unknown) => {
        assert.ok(e instanceof browserEntry.InvalidArgumentError, `servers ${JSON.stringify(servers)}: got ${String(e)}`);
        return true;
      });
    }
  });
});

describe("in headless Chromium", () => {
  let srv: NatsServer;
  let responder: NatsConnection;
  let site: StaticServer;
  let browser: Chromium;
  const seen: { data: string; agent: string }[] = [];
  const subject = createInbox("browser.svc");

  before(async () => {
    requireChromium(); // fail (never skip) with a clear message when Chromium is missing
    const r = await bundle(BROWSER_JS);
    assert.deepEqual(r.errors, []);
    const page = `<!doctype html><meta charset="utf-8"><title>tsnats</title>
<script type="module">
import * as nats from "/tsnats.js";
globalThis.nats = nats;
globalThis.tsnatsReady = true;
</script>`;
    site = await serveStatic({
      "/": { type: "text/html; charset=utf-8", body: page },
      "/favicon.ico": { type: "image/x-icon", body: new Uint8Array(0) },
      "/tsnats.js": { type: "text/javascript; charset=utf-8", body: r.outputFiles[0]!.contents },
    });
    srv = await NatsServer.start({ websocket: true });
    responder = await connect({ servers: srv.url, name: "node-responder" });
    responder.subscribe(subject, {
      callback: (_e, m) => {
        seen.push({ data: m.data.length > 64 ? `<${m.data.length} bytes>` : m.string(), agent: m.headers?.get("User-Agent") ?? "" });
        const h = headers();
        h.set("X-Responder", "node");
        m.respond(m.data.length > 64 ? m.data : `node says hi to ${m.string()}`, { headers: h });
      },
    });
    await responder.flush();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await responder?.close();
    await srv?.stop();
    await site?.close();
  });

  it("does request/reply with a Node responder over ws://", async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    try {
      await page.goto(`${site.origin}/`);
      await page.waitForFunction(() => (globalThis as { tsnatsReady?: boolean }).tsnatsReady === true, undefined, { timeout: 10_000 });
      const result = await page.evaluate(
        async ({ url, subject }) => {
          const g = globalThis as any;
          const nats = g.nats;
          const nc = await nats.connect({ servers: url, name: "chromium" });
          try {
            const h = nats.headers();
            h.set("User-Agent", g.navigator.userAgent);
            const m = await nc.request(subject, "the browser", { timeout: 5_000, headers: h });
            // a 200 KiB echo: the server sends browsers frames of at most 4 KiB
            const big = new Uint8Array(200 * 1024);
            for (let i = 0; i < big.length; i++) big[i] = (i * 7 + 3) & 0xff;
            const echo = await nc.request(subject, big, { timeout: 5_000 });
            let same = echo.data.length === big.length;
            for (let i = 0; same && i < big.length; i++) same = echo.data[i] === big[i];
            return {
              reply: m.string(),
              responder: m.headers?.get("X-Responder") ?? null,
              server: nc.getServer(),
              bigEchoed: same,
              hasWebSocket: typeof g.WebSocket === "function",
              hasProcess: typeof g.process !== "undefined",
            };
          } finally {
            await nc.close();
          }
        },
        { url: srv.websocketUrl!, subject },
      );
      assert.deepEqual(problems, []);
      assert.equal(result.reply, "node says hi to the browser");
      assert.equal(result.responder, "node");
      assert.equal(result.server, `127.0.0.1:${srv.websocketPort}`);
      assert.equal(result.bigEchoed, true, "the 200 KiB payload did not round-trip intact");
      assert.equal(result.hasWebSocket, true);
      assert.equal(result.hasProcess, false, "the page is not a real browser environment");
      assert.equal(seen.length, 2);
      assert.equal(seen[0]!.data, "the browser");
      assert.match(seen[0]!.agent, /Chrome\//, `request did not come from Chromium: ${seen[0]!.agent}`);
      assert.equal(seen[1]!.data, `<${200 * 1024} bytes>`);
    } finally {
      await page.close();
    }
  });
});
