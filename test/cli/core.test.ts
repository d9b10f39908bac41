// The `tsnats` command as a user runs it (a child process per command) against a real nats-server:
// usage errors, unreachable servers, pub/sub/req/reply both ways with nats.js, rtt, server
// commands (with a system account), credentials, contexts and environment variables.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { statSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connect as natsJsConnect, headers as natsJsHeaders, type NatsConnection as NatsJsConnection, type Msg as NatsJsMsg } from "@nats-io/transport-node";
import { createUser } from "../../src/index.js";
import { generateCerts, serverTlsBlock, type TestCerts } from "../support/certs.js";
import { useServer } from "../support/fixtures.js";
import { NatsServer } from "../support/server.js";
import { Running, lines, ok, tempDir, tsnats } from "./helpers.js";

/** Asserts a failed run printed exactly one line on stderr, with a code and no stack trace. */
function assertOneLineError(r: { code: number | null; stderr: string }, code: string): void {
  assert.notEqual(r.code, 0, "exit status");
  const errLines = lines(r.stderr);
  assert.equal(errLines.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(errLines[0]!, new RegExp(`^tsnats: ${code}: `));
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

describe("tsnats: usage and errors", () => {
  it("--help lists the commands and exits 0", async () => {
    const r = await ok(["--help"]);
    for (const c of ["pub", "sub", "req", "reply", "stream", "consumer", "kv", "obj", "micro", "bench", "context", "server", "rtt"]) {
      assert.match(r.stdout, new RegExp(`\\n  ${c}[| ]`), `--help mentions ${c}`);
    }
    assert.match((await ok(["stream", "add", "--help"])).stdout, /--max-age <duration>/);
    assert.match((await ok(["--version"])).stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it("a bad flag, a missing argument and a bad value each exit non-zero with one readable line", async () => {
    const bad = await tsnats(["pub", "x", "--bogus"]);
    assertOneLineError(bad, "INVALID_ARGUMENT");
    assert.match(bad.stderr, /unknown option '--bogus'/);
    assert.match(bad.stderr, /hint: see `tsnats pub --help`/);
    const missing = await tsnats(["kv", "get", "onlybucket"]);
    assertOneLineError(missing, "INVALID_ARGUMENT");
    assert.match(missing.stderr, /missing required argument 'key'/);
    const dur = await tsnats(["--timeout", "soon", "rtt"]);
    assertOneLineError(dur, "INVALID_ARGUMENT");
    assert.match(dur.stderr, /invalid --timeout "soon"/);
    const unknown = await tsnats(["publsh", "x"]);
    assertOneLineError(unknown, "INVALID_ARGUMENT");
    assert.match(unknown.stderr, /unknown command 'publsh'/);
    assert.deepEqual([bad.code, missing.code, dur.code, unknown.code], [2, 2, 2, 2], "bad usage exits 2");
  });

  it("an unreachable server exits 1 with one line (code and hint); --trace adds the stack; --json prints it as JSON", async () => {
    const r = await tsnats(["-s", "nats://127.0.0.1:1", "pub", "x", "hello"]);
    assert.equal(r.code, 1);
    assertOneLineError(r, "NO_SERVERS");
    assert.match(r.stderr, /127\.0\.0\.1:1/);
    assert.match(r.stderr, /hint: is a nats-server running there/);
    assert.equal(r.stdout, "");
    const traced = await tsnats(["-s", "nats://127.0.0.1:1", "--trace", "rtt"]);
    assert.equal(traced.code, 1);
    assert.match(traced.stderr, /\n\s+at /, "stack with --trace");
    const json = await tsnats(["-s", "nats://127.0.0.1:1", "--json", "rtt"]);
    assert.equal(json.code, 1);
    const e = JSON.parse(json.stderr) as { error: { code: string; message: string; hint: string } };
    assert.equal(e.error.code, "NO_SERVERS");
    assert.ok(e.error.hint.length > 0);
  });
});

describe("tsnats with a nats-server", () => {
  const srv = useServer();
  let js: NatsJsConnection;
  const s = (): string[] => ["-s", srv.url];
  before(async () => {
    js = await natsJsConnect({ servers: srv.url });
  });
  after(async () => {
    await js?.close();
  });

  it("pub → a nats.js subscriber: templates, --count, headers and --reply", async () => {
    const got: NatsJsMsg[] = [];
    const sub = js.subscribe("cli.pub", { callback: (_e, m) => void got.push(m) });
    await js.flush();
    const r = await ok([...s(), "pub", "cli.pub", "msg {{Count}} of {{ .Count }}", "--count", "3", "-H", "X-Test:yes {{Count}}", "-H", "X-Two: a:b"]);
    assert.match(r.stderr, /Published 3 messages/);
    await ok([...s(), "pub", "cli.pub", "with reply", "--reply", "cli.replyto"]);
    await js.flush();
    for (let i = 0; got.length < 4 && i < 100; i++) await new Promise((res) => setTimeout(res, 20));
    sub.unsubscribe();
    assert.deepEqual(got.map((m) => m.string()), ["msg 1 of 1", "msg 2 of 2", "msg 3 of 3", "with reply"]);
    assert.equal(got[1]!.headers?.get("X-Test"), "yes 2");
    assert.equal(got[0]!.headers?.get("X-Two"), "a:b");
    assert.equal(got[3]!.reply, "cli.replyto");
  });

  it("pub reads the body from standard input when none is given", async () => {
    const sub = js.subscribe("cli.stdin", { max: 1 });
    await js.flush();
    await ok([...s(), "pub", "cli.stdin"], { input: "from stdin\n" });
    for await (const m of sub) assert.equal(m.string(), "from stdin\n");
  });

  it("a nats.js publisher → sub: messages with headers, then exit after --count", async () => {
    const child = new Running([...s(), "sub", "cli.sub.>", "--count", "2"]);
    await child.waitFor(/Subscribing on cli\.sub\.>/);
    const h = natsJsHeaders();
    h.set("Trace-Id", "abc");
    js.publish("cli.sub.one", "first", { headers: h });
    js.publish("cli.sub.two", "second");
    const r = await child.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[#1\] Received on "cli\.sub\.one"\nTrace-Id: abc\n\nfirst\n/);
    assert.match(r.stdout, /\[#2\] Received on "cli\.sub\.two"\n\nsecond\n/);
  });

  it("sub --json and --raw print one message per line; --queue shares the messages", async () => {
    const asJson = new Running([...s(), "--json", "sub", "cli.json", "--count", "2"]);
    const raw = new Running([...s(), "sub", "cli.json", "--count", "2", "--raw"]);
    const q1 = new Running([...s(), "sub", "cli.q", "--queue", "workers", "--raw"]);
    const q2 = new Running([...s(), "sub", "cli.q", "--queue", "workers", "--raw"]);
    // the "Subscribing" line goes to stderr in every mode, once the server has the interest
    for (const c of [asJson, raw]) await c.waitFor(/Subscribing on cli\.json/);
    for (const c of [q1, q2]) await c.waitFor(/Subscribing on cli\.q in queue group workers/);
    js.publish("cli.json", JSON.stringify({ a: 1 }));
    js.publish("cli.json", "plain");
    for (let i = 0; i < 20; i++) js.publish("cli.q", `job ${i}`);
    await js.flush();
    const j = await asJson.done;
    assert.equal(j.code, 0, j.stderr);
    const parsed = lines(j.stdout).map((l) => JSON.parse(l) as { subject: string; data: string });
    assert.deepEqual(parsed.map((p) => [p.subject, p.data]), [["cli.json", '{"a":1}'], ["cli.json", "plain"]]);
    assert.equal((await raw.done).stdout, '{"a":1}\nplain\n');
    for (let i = 0; lines(q1.stdout).length + lines(q2.stdout).length < 20 && i < 250; i++) await new Promise((res) => setTimeout(res, 20));
    const [a, b] = await Promise.all([q1.stop(), q2.stop()]);
    assert.equal(a.code, 0, "Ctrl-C ends sub cleanly");
    assert.equal(b.code, 0);
    const all = [...lines(a.stdout), ...lines(b.stdout)];
    assert.equal(all.length, 20, `each job once: ${a.stdout} | ${b.stdout}`);
    assert.equal(new Set(all).size, 20);
  });

  it("req ↔ reply: a fixed templated body, --echo and --command; req to nats.js responders with --replies", async () => {
    const fixed = new Running([...s(), "reply", "cli.svc", "pong {{Count}} for {{Request}}", "--count", "1"]);
    await fixed.waitFor(/Listening on "cli\.svc"/);
    const r = await ok([...s(), "req", "cli.svc", "ping"]);
    assert.equal(r.stdout, "pong 1 for ping\n");
    assert.match(r.stderr, /Received with rtt/);
    const fr = await fixed.done;
    assert.equal(fr.code, 0);
    assert.match(fr.stdout, /\[#1\] Received on "cli\.svc" with reply "_INBOX\.[^"]+"\n\nping\n/);

    const echo = new Running([...s(), "reply", "cli.echo", "--echo", "--count", "1", "-q"]);
    await echo.waitFor(/Listening on "cli\.echo"/);
    const h = natsJsHeaders();
    h.set("K", "V");
    const m = await js.request("cli.echo", "echo me", { timeout: 5000, headers: h });
    assert.equal(m.string(), "echo me");
    assert.equal(m.headers?.get("K"), "V");
    assert.equal((await echo.done).code, 0);

    const cmd = new Running([...s(), "reply", "cli.cmd", "--command", "tr a-z A-Z", "--count", "1", "-q"]);
    await cmd.waitFor(/Listening on "cli\.cmd"/);
    assert.equal((await ok([...s(), "req", "cli.cmd", "shout this", "--raw"])).stdout, "SHOUT THIS\n");
    assert.equal((await cmd.done).code, 0);

    const subs = [1, 2].map((n) => js.subscribe("cli.many", { callback: (_e, msg) => void msg.respond(`from ${n}`) }));
    await js.flush();
    const many = await ok([...s(), "req", "cli.many", "x", "--replies", "2", "--raw", "-H", "A:1"]);
    assert.deepEqual(lines(many.stdout).sort(), ["from 1", "from 2"]);
    const asJson = await ok([...s(), "--json", "req", "cli.many", "x", "--replies", "0", "--timeout", "500ms"]);
    assert.deepEqual(lines(asJson.stdout).map((l) => (JSON.parse(l) as { data: string }).data).sort(), ["from 1", "from 2"]);
    for (const sub of subs) sub.unsubscribe();
  });

  it("req without responders fails at once with NO_RESPONDERS", async () => {
    const r = await tsnats([...s(), "req", "cli.nobody", "hello"]);
    assert.equal(r.code, 1);
    assert.match(lines(r.stderr).at(-1)!, /^tsnats: NO_RESPONDERS: .*hint: no subscriber/);
  });

  it("rtt and server info/check report on the connected server", async () => {
    const r = await ok([...s(), "rtt", "--iterations", "2"]);
    assert.match(r.stdout, /^127\.0\.0\.1:\d+:\n {2}rtt .* \(average of 2/);
    const j = JSON.parse((await ok([...s(), "--json", "rtt"])).stdout) as { rtt_ms: number; server: string };
    assert.ok(j.rtt_ms > 0 && j.rtt_ms < 60_000);
    const info = await ok([...s(), "server", "info"]);
    assert.match(info.stdout, new RegExp(`Version: ${srv.server.version.replace(/\./g, "\\.")}`));
    assert.match(info.stdout, /from the connection's INFO/);
    // thresholds far above anything a loaded machine takes: the check's output is under test, not the speed
    const check = await ok([...s(), "server", "check", "connection", "--connect-warning", "1m", "--connect-critical", "2m", "--rtt-warning", "1m", "--rtt-critical", "2m"]);
    assert.match(check.stdout, /^OK connection: connected to .* \| connect_time=\S+ rtt=\S+\n$/);
    const down = await tsnats(["-s", "nats://127.0.0.1:1", "server", "check", "connection"]);
    assert.equal(down.code, 2);
    assert.match(down.stdout, /^CRITICAL connection: cannot connect/);
    const ping = await tsnats([...s(), "server", "ping"]);
    assert.equal(ping.code, 1);
    assert.match(ping.stderr, /NO_RESPONSES: .*system account/);
  });
});

describe("tsnats: credentials, system account, contexts and environment", () => {
  let server: NatsServer;
  let tokenServer: NatsServer;
  const nkeyUser = createUser();
  before(async () => {
    tokenServer = await NatsServer.start({ config: "authorization { token: t0ken-xyz }" });
    server = await NatsServer.start({
      config: `accounts {
  SYS { users: [ { user: sys, password: syspass } ] }
  APP { users: [ { user: alice, password: s3cret }, { nkey: ${nkeyUser.getPublicKey()} } ] }
}
system_account: SYS`,
    });
  });
  after(async () => {
    await server?.stop();
    await tokenServer?.stop();
  });

  it("user/password and token work; a bad password is AUTHORIZATION_VIOLATION", async () => {
    await ok(["-s", server.url, "--user", "alice", "--password", "s3cret", "rtt"]);
    await ok(["-s", tokenServer.url, "--token", "t0ken-xyz", "rtt"]);
    await ok(["-s", tokenServer.url, "--user", "t0ken-xyz", "rtt"]); // a user without a password is a token
    assertOneLineError(await tsnats(["-s", tokenServer.url, "--token", "nope", "rtt"]), "AUTHORIZATION_VIOLATION");
    const bad = await tsnats(["-s", server.url, "--user", "alice", "--password", "wrong", "rtt"]);
    assertOneLineError(bad, "AUTHORIZATION_VIOLATION");
    assert.doesNotMatch(bad.stderr, /wrong/, "the password is not printed");
  });

  it("server ping and server info use the system account", async () => {
    const sys = ["-s", server.url, "--user", "sys", "--password", "syspass"];
    const ping = await ok([...sys, "server", "ping", "--expect", "1"]);
    assert.match(ping.stdout, /1 server answered/);
    assert.match(ping.stdout, new RegExp(`│ ${server.version.replace(/\./g, "\\.")}\\s+│`));
    const info = await ok([...sys, "server", "info"]);
    assert.match(info.stdout, /Total Connections: \d+/);
    const asJson = JSON.parse((await ok([...sys, "--json", "server", "info"])).stdout) as { version: string };
    assert.equal(asJson.version, server.version);
  });

  it("contexts: add (0600, secrets never printed), ls, select, --context, NATS_CONTEXT, rm; env vars", async () => {
    const dir = tempDir();
    const env = { TSNATS_CONFIG_DIR: dir };
    const added = await ok(["context", "add", "app", "-s", server.url, "--user", "alice", "--password", "s3cret", "--description", "the app"], { env });
    assert.match(added.stdout, /Password: \*+/);
    await ok(["context", "add", "broken", "-s", "nats://127.0.0.1:1", "--token", "tok-secret"], { env });
    const file = join(dir, "contexts", "app.json");
    assert.equal(statSync(file).mode & 0o777, 0o600, "context file mode");
    assert.equal(statSync(join(dir, "contexts")).mode & 0o777, 0o700, "contexts dir mode");
    assert.equal((JSON.parse(readFileSync(file, "utf8")) as { password: string }).password, "s3cret");

    const ls = await ok(["context", "ls"], { env });
    assert.match(ls.stdout, /│ app\*\s+│ the app\s+│ nats:\/\/127\.0\.0\.1:\d+/, "the first context added is selected");
    assert.match(ls.stdout, /│ broken\s+│/);
    const everything = [ls.stdout, (await ok(["context", "info", "broken"], { env })).stdout, (await ok(["--json", "context", "ls"], { env })).stdout].join("\n");
    assert.doesNotMatch(everything, /s3cret|tok-secret/, "secrets are never printed");

    await ok(["rtt"], { env }); // the selected context's server and credentials
    await ok(["context", "select", "broken"], { env });
    assertOneLineError(await tsnats(["rtt"], { env }), "NO_SERVERS");
    await ok(["--context", "app", "rtt"], { env });
    await ok(["rtt"], { env: { ...env, NATS_CONTEXT: "app" } });
    // the environment wins over the context, a flag over the environment
    await ok(["rtt"], { env: { ...env, NATS_URL: server.url, NATS_USER: "alice", NATS_PASSWORD: "s3cret" } });
    assertOneLineError(await tsnats(["rtt"], { env: { ...env, NATS_URL: server.url, NATS_TOKEN: "nope" } }), "AUTHORIZATION_VIOLATION");
    await ok(["-s", tokenServer.url, "--token", "t0ken-xyz", "rtt"], { env: { ...env, NATS_TOKEN: "nope" } });

    await ok(["context", "rm", "broken", "-f"], { env });
    const remaining = await ok(["--json", "context", "ls"], { env });
    assert.deepEqual((JSON.parse(remaining.stdout) as { name: string }[]).map((c) => c.name), ["app"]);
    assertOneLineError(await tsnats(["--context", "nosuch", "rtt"], { env }), "CONTEXT_NOT_FOUND");
    const refused = await tsnats(["context", "rm", "app"], { env });
    assertOneLineError(refused, "INVALID_ARGUMENT");
    assert.match(refused.stderr, /-f\/--force/);
  });

  it("--creds and --nkey read their files (a missing or bad one is a one-line error)", async () => {
    const dir = tempDir();
    const r = await tsnats(["-s", server.url, "--creds", join(dir, "missing.creds"), "rtt"]);
    assert.equal(r.code, 1);
    assert.equal(lines(r.stderr).length, 1, r.stderr);
    assert.match(r.stderr, /ENOENT|no such file/);
    const seedFile = join(dir, "user.nk");
    writeFileSync(seedFile, "not a seed\n");
    const r2 = await tsnats(["-s", server.url, "--nkey", seedFile, "rtt"]);
    assert.equal(r2.code, 1);
    assert.equal(lines(r2.stderr).length, 1, r2.stderr);
    writeFileSync(seedFile, `${new TextDecoder().decode(nkeyUser.getSeed())}\n`, { mode: 0o600 });
    await ok(["-s", server.url, "--nkey", seedFile, "rtt"]);
  });
});

describe("tsnats over TLS", () => {
  let certs: TestCerts;
  let server: NatsServer;
  before(async () => {
    certs = await generateCerts();
    server = await NatsServer.start({ config: serverTlsBlock(certs, "verify: true") });
  });
  after(async () => {
    await server?.stop();
    certs?.cleanup();
  });

  it("--tls-ca, --tls-cert and --tls-key (and the context's) connect; a missing client certificate is one line", async () => {
    const tls = ["--tls-ca", certs.caFile, "--tls-cert", certs.clientCertFile, "--tls-key", certs.clientKeyFile];
    await ok(["-s", `tls://127.0.0.1:${server.port}`, ...tls, "rtt"]);
    await ok(["-s", server.url, ...tls, "pub", "x", "y"]);
    const noCert = await tsnats(["-s", server.url, "--tls-ca", certs.caFile, "rtt"]);
    assert.equal(noCert.code, 1);
    assert.equal(lines(noCert.stderr).length, 1, noCert.stderr);
    const wrongCa = await tsnats(["-s", server.url, "--tls-ca", certs.otherCaFile, "--tls-cert", certs.clientCertFile, "--tls-key", certs.clientKeyFile, "rtt"]);
    assertOneLineError(wrongCa, "TLS_ERROR");
    const dir = tempDir();
    const env = { TSNATS_CONFIG_DIR: dir };
    await ok(["context", "add", "secure", "-s", server.url, ...tls], { env });
    assert.match((await ok(["context", "info", "secure"], { env })).stdout, /TLS CA: /);
    await ok(["rtt"], { env });
  });
});
