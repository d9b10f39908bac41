// Self-tests for the test harness (real nats-server launcher and scripted fake server), using raw
// node:net sockets only.
import { test, describe, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect, type Socket } from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { NatsServer, NatsCluster, serverBinary } from "./server.js";
import { FakeServer } from "./fake_server.js";
import { freePort, sleep } from "./ports.js";

/** A minimal line-oriented raw client. */
class RawClient {
  readonly lines: string[] = [];
  chunks = 0;
  #buf = "";
  #waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  private constructor(readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (s: string) => {
      this.chunks++;
      this.#buf += s;
      let i: number;
      while ((i = this.#buf.indexOf("\r\n")) >= 0) {
        const line = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 2);
        this.lines.push(line);
        for (const w of [...this.#waiters]) {
          if (w.test(line)) {
            this.#waiters.splice(this.#waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    socket.on("error", () => undefined);
  }
  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }
  /** Waits for a line (past or future) matching `re`; fails after `ms`. */
  line(re: RegExp, ms = 3000): Promise<string> {
    const found = this.lines.find((l) => re.test(l));
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no line ${re} within ${ms} ms: ${JSON.stringify(this.lines)}`)), ms);
      this.#waiters.push({ test: (l) => re.test(l), resolve: (l) => (clearTimeout(t), resolve(l)) });
    });
  }
  async info(): Promise<Record<string, unknown>> {
    const l = await this.line(/^INFO /);
    return JSON.parse(l.slice(5)) as Record<string, unknown>;
  }
  write(s: string): void {
    this.socket.write(s);
  }
  /** INFO, CONNECT+PING, PONG. */
  async handshake(): Promise<Record<string, unknown>> {
    const info = await this.info();
    this.write('CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":true}\r\nPING\r\n');
    await this.line(/^PONG$/);
    return info;
  }
  close(): void {
    this.socket.destroy();
  }
}

const clients: RawClient[] = [];
async function raw(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}
after(() => clients.forEach((c) => c.close()));

describe("NatsServer", () => {
  const servers: NatsServer[] = [];
  after(() => Promise.all(servers.map((s) => s.stop())));

  test("serverBinary() finds nats-server", () => {
    assert.ok(existsSync(serverBinary()), serverBinary());
  });

  test("starts on a random loopback port and answers CONNECT+PING with PONG", async () => {
    const s = await NatsServer.start({ monitor: true, websocket: true, serverName: "solo" });
    servers.push(s);
    assert.equal(s.host, "127.0.0.1");
    assert.ok(s.port > 0);
    assert.equal(s.url, `nats://127.0.0.1:${s.port}`);
    assert.equal(s.hostport, `127.0.0.1:${s.port}`);
    assert.ok(s.monitorPort && s.websocketPort && s.monitorPort !== s.port);
    assert.equal(s.websocketUrl, `ws://127.0.0.1:${s.websocketPort}`);
    assert.equal(s.clusterPort, undefined);
    assert.ok(s.pid > 0 && s.running);
    assert.match(readFileSync(s.configFile, "utf8"), /^port: -1$/m);
    const c = await raw(s.port);
    const info = await c.handshake();
    assert.equal(info.port, s.port);
    assert.equal(info.server_name, "solo");
    assert.match(s.stderr(), /Server is ready/);
  });

  test("two servers get different ports", async () => {
    const [a, b] = await Promise.all([NatsServer.start(), NatsServer.start()]);
    servers.push(a!, b!);
    assert.notEqual(a!.port, b!.port);
    assert.notEqual(a!.dir, b!.dir);
  });

  test("kill + restart keeps the port; stop is idempotent and removes the dir", async () => {
    const s = await NatsServer.start();
    servers.push(s);
    const { port, pid } = s;
    await s.kill();
    assert.equal(s.running, false);
    await assert.rejects(RawClient.connect(port), /ECONNREFUSED/);
    assert.equal(await s.restart(), s);
    assert.equal(s.port, port);
    assert.notEqual(s.pid, pid);
    await (await raw(s.port)).handshake();
    // restart while running kills first
    await s.restart();
    assert.equal(s.port, port);
    await (await raw(s.port)).handshake();
    await s.stop();
    await s.stop();
    assert.equal(existsSync(s.dir), false);
  });

  test("JetStream store dir lives in a temp dir and is removed by stop()", async () => {
    const s = await NatsServer.start({ jetstream: true });
    servers.push(s);
    assert.ok(s.dir.startsWith(tmpdir()));
    assert.ok(s.storeDir && s.storeDir.startsWith(s.dir));
    const info = await (await raw(s.port)).handshake();
    assert.equal(info.jetstream, true);
    assert.ok(existsSync(s.storeDir!));
    await s.stop();
    assert.equal(existsSync(s.dir), false);
  });

  test("signal('ldm') sends an INFO with ldm:true and the server exits", async () => {
    const s = await NatsServer.start({ lameDuckDuration: "5s" });
    servers.push(s);
    const c = await raw(s.port);
    await c.handshake();
    await s.signal("ldm");
    const ldm = await c.line(/^INFO .*"ldm":true/);
    assert.ok(ldm);
    await s.waitForExit(8000);
    assert.equal(s.running, false);
  });

  test("a bad config fails fast with the server's stderr", async () => {
    await assert.rejects(NatsServer.start({ config: "this is { not valid" }), /exited during startup/);
  });
});

describe("NatsCluster", () => {
  let cluster: NatsCluster | undefined;
  after(() => cluster?.stop());

  test("3 nodes form routes, advertise each other, and a node restarts on its ports", async () => {
    cluster = await NatsCluster.start(3, { jetstream: true });
    const [s0, s1, s2] = cluster.servers as [NatsServer, NatsServer, NatsServer];
    assert.equal(new Set(cluster.urls).size, 3);
    assert.ok(s0.clusterPort && s1.clusterPort && s2.clusterPort);
    assert.match(readFileSync(s1.configFile, "utf8"), new RegExp(`nats-route://127.0.0.1:${s0.clusterPort}`));
    await cluster.waitForRoutes();
    const info = await (await raw(s0.port)).handshake();
    const urls = info.connect_urls as string[];
    assert.ok(urls.includes(s1.hostport) && urls.includes(s2.hostport), JSON.stringify(urls));
    await cluster.waitForJetStream();

    const { port, clusterPort } = s2;
    await s2.kill();
    await s2.restart();
    assert.equal(s2.port, port);
    assert.equal(s2.clusterPort, clusterPort);
    await cluster.waitForRoutes();
    await cluster.stop();
    assert.ok(cluster.servers.every((s) => !s.running && !existsSync(s.dir)));
  });
});

describe("FakeServer", () => {
  const fakes: FakeServer[] = [];
  after(() => Promise.all(fakes.map((f) => f.stop())));
  async function fake(opts?: Parameters<typeof FakeServer.start>[0]): Promise<FakeServer> {
    const f = await FakeServer.start(opts);
    fakes.push(f);
    return f;
  }

  test("handshake: INFO on accept, PONG to CONNECT+PING (split across reads)", async () => {
    const f = await fake({ info: { max_payload: 1024 } });
    assert.equal(f.url, `nats://127.0.0.1:${f.port}`);
    const c = await raw(f.port);
    const next = f.nextConnection();
    const info = await c.info();
    assert.equal(info.max_payload, 1024);
    assert.equal(info.port, f.port);
    c.write('CONNECT {"verbose":fa');
    await sleep(10);
    c.write('lse}\r\nPI');
    await sleep(10);
    c.write("NG\r\n");
    await c.line(/^PONG$/);
    const conn = await next;
    assert.deepEqual(conn.connectInfo, { verbose: false });
    assert.deepEqual(conn.lines, ['CONNECT {"verbose":false}', "PING"]);
    assert.equal(f.connections.length, 1);
  });

  test("records control lines and PUB/HPUB payloads (partial reads buffered)", async () => {
    const f = await fake();
    const c = await raw(f.port);
    await c.handshake();
    const conn = await f.nextConnection();
    c.write("PUB foo 5\r\nhel");
    await sleep(10);
    c.write("lo\r\nHPUB bar r.1 12 14\r\nNATS/1.0\r\n\r\nhi\r\nSUB baz q 1\r\nPUB e 0\r\n\r\nUNSUB 1 2\r\n");
    await conn.waitFor("UNSUB");
    assert.deepEqual(conn.lines.slice(2), ["PUB foo 5", "HPUB bar r.1 12 14", "SUB baz q 1", "PUB e 0", "UNSUB 1 2"]);
    const enc = new TextEncoder();
    assert.deepEqual(conn.published, [
      { subject: "foo", data: enc.encode("hello") },
      { subject: "bar", reply: "r.1", headers: enc.encode("NATS/1.0\r\n\r\n"), data: enc.encode("hi") },
      { subject: "e", data: new Uint8Array(0) },
    ]);
    assert.equal(await conn.waitFor(/^SUB /), "SUB baz q 1");
    await assert.rejects(conn.waitFor("NEVER", 50), /timed out/);
  });

  test("autoPong off: client PINGs go unanswered until switched back on", async () => {
    const f = await fake();
    const c = await raw(f.port);
    await c.handshake();
    const conn = await f.nextConnection();
    conn.autoPong = false;
    const before = c.lines.length;
    c.write("PING\r\n");
    await conn.waitFor((l) => l === "PING" && conn.lines.filter((x) => x === "PING").length === 2);
    await sleep(100);
    assert.equal(c.lines.length, before);
    conn.autoPong = true;
    c.write("PING\r\n");
    await sleep(50);
    assert.deepEqual(c.lines.slice(before), ["PONG"]);
  });

  test("sendSplit, info() and msg() reach the client; stop() closes sockets", async () => {
    const f = await fake();
    const c = await raw(f.port);
    await c.handshake();
    const conn = await f.nextConnection();
    const chunksBefore = c.chunks;
    await conn.sendSplit("MSG foo 1 5\r\nhello\r\n", [3, 14]);
    await c.line(/^hello$/);
    assert.ok(c.chunks - chunksBefore >= 3, `chunks: ${c.chunks - chunksBefore}`);
    conn.info({ connect_urls: ["127.0.0.1:1"] });
    assert.match(await c.line(/^INFO .*connect_urls/), /127\.0\.0\.1:1/);
    conn.msg("bar", 2, "x", { reply: "r" });
    await c.line(/^MSG bar 2 r 1$/);
    const closed = new Promise((r) => c.socket.once("close", r));
    await f.stop();
    await closed;
    await conn.closed;
  });

  test("autoHandshake off: nothing is sent, the connection is handed out on accept", async () => {
    const f = await fake({ autoHandshake: false });
    await assert.rejects(f.nextConnection(50), /no client connection/);
    const c = await raw(f.port);
    const conn = await f.nextConnection();
    await sleep(50);
    assert.equal(c.lines.length, 0);
    c.write("garbage\r\n");
    assert.equal(await conn.waitFor("garbage"), "garbage");
    c.close();
    await conn.closed;
    await assert.rejects(conn.waitFor("x"), /closed/);
  });

  test("freePort() returns a port nobody listens on", async () => {
    const p = await freePort();
    await assert.rejects(RawClient.connect(p), /ECONNREFUSED/);
  });
});
