// `tsnats obj` (a file stored and read back byte-identical, also by nats.js) and `tsnats micro`
// (finding a nats.js service; `micro serve` found and called by nats.js) as child processes.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as natsJsConnect, type NatsConnection as NatsJsConnection } from "@nats-io/transport-node";
import { Objm as NatsJsObjm } from "@nats-io/obj";
import { Svcm as NatsJsSvcm } from "@nats-io/services";
import { useServer } from "../support/fixtures.js";
import { Running, lines, ok, tempDir, tsnats } from "./helpers.js";

describe("tsnats obj and micro", () => {
  const srv = useServer({ server: { jetstream: true } });
  let js: NatsJsConnection;
  const s = (...args: string[]): string[] => ["-s", srv.url, ...args];
  before(async () => {
    js = await natsJsConnect({ servers: srv.url });
  });
  after(async () => {
    await js?.close();
  });

  it("obj add, put a file, get it back byte-identical (and nats.js reads the same bytes), ls, info", async () => {
    const dir = tempDir();
    const file = join(dir, "photo.bin");
    const bytes = randomBytes(700 * 1024 + 123);
    writeFileSync(file, bytes);
    const add = await ok(s("obj", "add", "files", "--description", "my files"));
    assert.match(add.stdout, /Object Store bucket files created/);

    const put = await ok(s("obj", "put", "files", file, "--description", "a photo", "-H", "Content-Type:application/octet-stream", "--chunk-size", "64KB"));
    assert.match(put.stdout, /Object information for files > photo\.bin/);
    assert.match(put.stdout, /Size: 700 KiB \(716,923 bytes\)/);
    assert.match(put.stdout, /Chunks: 11\n/);
    assert.match(put.stdout, /Digest: SHA-256=/);
    assert.doesNotMatch(put.stderr, /█/, "no progress bar when stderr is not a terminal");

    const out = join(dir, "back.bin");
    const get = await ok(s("obj", "get", "files", "photo.bin", "-O", out));
    assert.match(get.stderr, /Wrote 700 KiB to .*back\.bin/);
    assert.ok(readFileSync(out).equals(bytes), "tsnats reads back the same bytes");
    const toStdout = await tsnats(s("obj", "get", "files", "photo.bin", "-O", "-"));
    assert.equal(toStdout.code, 0);
    assert.equal(Buffer.byteLength(toStdout.stdout, "latin1") > 0, true);

    const os = await new NatsJsObjm(js as never).open("files");
    const viaNatsJs = await os.getBlob("photo.bin");
    assert.ok(viaNatsJs && Buffer.from(viaNatsJs).equals(bytes), "nats.js reads the same bytes");
    await os.putBlob({ name: "from-natsjs.txt" }, new TextEncoder().encode("hello from nats.js"));
    const cwd = tempDir();
    await ok(s("obj", "get", "files", "from-natsjs.txt"), { cwd });
    assert.equal(readFileSync(join(cwd, "from-natsjs.txt"), "utf8"), "hello from nats.js", "default output: the name, in the current directory");

    await ok(s("obj", "put", "files", "--name", "notes.txt"), { input: "from stdin" });
    const ls = await ok(s("obj", "ls", "files"));
    assert.match(ls.stdout, /Bucket files \(3 objects\)/);
    assert.match(ls.stdout, /│ photo\.bin\s+│ 700 KiB │/);
    const buckets = await ok(s("obj", "ls"));
    assert.match(buckets.stdout, /│ files\s+│ my files\s+│/);
    const info = JSON.parse((await ok(s("--json", "obj", "info", "files", "photo.bin"))).stdout) as { size: number; chunks: number; description: string; headers: Record<string, string[]> };
    assert.deepEqual([info.size, info.chunks, info.description], [716_923, 11, "a photo"]);
    assert.deepEqual(info.headers["Content-Type"], ["application/octet-stream"]);
  });

  it("obj watch, rm, seal, and the errors for missing objects", async () => {
    const watch = new Running(s("obj", "watch", "files", "--count", "2"));
    await watch.waitFor(/Watching bucket files/);
    await ok(s("obj", "put", "files", "--name", "late.txt"), { input: "late" });
    await ok(s("obj", "rm", "files", "late.txt", "-f"));
    const w = await watch.done;
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(lines(w.stdout).map((l) => l.replace(/^\[[^\]]+\] /, "")), ["PUT files > late.txt: 4 B in 1 chunks", "DEL files > late.txt"]);

    const missing = await tsnats(s("obj", "get", "files", "late.txt"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tsnats: OBJECT_NOT_FOUND: no object files > late\.txt/);
    const noFile = await tsnats(s("obj", "put", "files", "/nonexistent/file.bin"));
    assert.equal(noFile.code, 1);
    assert.match(noFile.stderr, /^tsnats: ENOENT: /);

    await ok(s("obj", "seal", "files", "-f"));
    assert.match((await ok(s("obj", "info", "files"))).stdout, /Sealed: true/);
    const sealed = await tsnats(s("obj", "put", "files", "--name", "x"), { input: "x" });
    assert.equal(sealed.code, 1);
    await ok(s("obj", "rm", "files", "-f"));
    assert.match((await tsnats(s("obj", "ls", "files"))).stderr, /BUCKET_NOT_FOUND/);
  });

  it("micro ls, info, stats and ping find a nats.js service", async () => {
    const svc = await new NatsJsSvcm(js as never).add({ name: "calc", version: "1.2.3", description: "nats.js calculator", metadata: { lang: "js" } });
    svc.addEndpoint("double", { subject: "calc.double", handler: (_e, m) => void m.respond(String(2 * Number(m.string()))) });
    svc.addEndpoint("fail", { subject: "calc.fail", handler: (_e, m) => void m.respondError(500, "broken") });
    await js.flush();
    const id = svc.info().id;
    try {
      assert.equal((await ok(s("req", "calc.double", "21", "--raw"))).stdout, "42\n");
      await tsnats(s("req", "calc.fail", "x"));

      const ls = await ok(s("micro", "ls"));
      assert.match(ls.stdout, new RegExp(`│ calc\\s+│ 1\\.2\\.3\\s+│ ${id}\\s+│ nats\\.js calculator\\s+│\\s+2 │`));
      const info = await ok(s("micro", "info", "calc"));
      assert.match(info.stdout, new RegExp(`Service calc 1\\.2\\.3 \\(${id}\\)`));
      assert.match(info.stdout, /Metadata: lang=js/);
      assert.match(info.stdout, /│ double\s+│ calc\.double\s+│ q\s+│\s+1 │\s+0 │/);
      assert.match(info.stdout, /│ fail\s+│ calc\.fail\s+│ q\s+│\s+1 │/);
      const stats = await ok(s("micro", "stats", "calc"));
      assert.match(stats.stdout, /calc service statistics: 2 requests, \d+ errors?/);
      assert.match(stats.stdout, new RegExp(`│ ${id} │ double\\s+│\\s+1 │`));
      const ping = await ok(s("micro", "ping", "calc"));
      assert.match(ping.stdout, new RegExp(`^calc 1\\.2\\.3 ${id}: `));
      const asJson = JSON.parse((await ok(s("--json", "micro", "ls"))).stdout) as { name: string; id: string }[];
      assert.deepEqual(asJson.map((x) => [x.name, x.id]), [["calc", id]]);
      const none = await tsnats(s("micro", "info", "nosuch"));
      assert.equal(none.code, 1);
      assert.match(none.stderr, /^tsnats: SERVICE_NOT_FOUND: /);
    } finally {
      await svc.stop();
    }
  });

  it("micro serve runs an echo service that nats.js finds and calls", async () => {
    const serve = new Running(s("micro", "serve", "echo", "--count", "2"));
    await serve.waitFor(/Service echo 1\.0\.0 \(id \S+\) is listening on "echo"/);
    const m = await js.request("echo", "hello", { timeout: 5000 });
    assert.equal(m.string(), "hello");
    const client = new NatsJsSvcm(js as never).client();
    const infos = [];
    for await (const i of await client.info("echo")) infos.push(i);
    assert.equal(infos.length, 1);
    assert.equal(infos[0]!.endpoints[0]!.subject, "echo");
    assert.equal((await ok(s("req", "echo", "again", "--raw"))).stdout, "again\n");
    const r = await serve.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[#2\] echo: 5 bytes/);
  });
});
