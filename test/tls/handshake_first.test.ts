// `tls.handshakeFirst`: the TLS handshake happens before the server's INFO (nats-server 2.10.4+
// `handshake_first`). nats-server 2.9.10 cannot do this, so a scripted TLS server plays the
// server: it writes nothing until the TLS handshake is done, then INFO, PONG, and MSG for PUBs.
// A loopback TCP relay in front of it records who sent the first byte. Against real 2.9.10
// servers, handshakeFirst must fail quickly with a clear error.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { createServer as createNetServer, connect as netConnect, type Server as NetServer, type Socket } from "node:net";
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from "node:tls";
import { readFileSync } from "node:fs";
import { TlsError } from "../../src/index.js";
import { NatsServer, serverFor, versionAtLeast } from "../support/server.js";
import { poll } from "../support/ports.js";
import { generateCerts, serverTlsBlock, type TestCerts } from "../support/certs.js";
import { Connections, connectFails, roundTrip } from "../support/helpers.js";

const INFO = '{"server_id":"x","version":"2.10.4","proto":1,"headers":true,"max_payload":1048576,"tls_required":true}';
const TLS_HANDSHAKE_RECORD = 0x16;

/** One client connection accepted by the scripted server (after its TLS handshake). */
interface ScriptedConn {
  socket: TLSSocket;
  /** Control lines received, without CRLF (payloads excluded). */
  lines: string[];
  connect?: Record<string, unknown>;
  /** subject -> sid */
  subs: Map<string, string>;
  published: { subject: string; data: string }[];
}

/** A TLS server that speaks just enough NATS after the handshake: INFO, PONG, SUB, PUB -> MSG. */
class ScriptedTlsServer {
  readonly conns: ScriptedConn[] = [];
  private constructor(private readonly server: TlsServer) {}

  static async start(certs: TestCerts): Promise<ScriptedTlsServer> {
    const server = createTlsServer({ cert: readFileSync(certs.serverCertFile), key: readFileSync(certs.serverKeyFile) });
    const s = new ScriptedTlsServer(server);
    server.on("secureConnection", (socket) => s.accept(socket));
    server.on("tlsClientError", () => undefined);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return s;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  private accept(socket: TLSSocket): void {
    const c: ScriptedConn = { socket, lines: [], subs: new Map(), published: [] };
    this.conns.push(c);
    socket.on("error", () => undefined);
    socket.write(`INFO ${INFO}\r\n`);
    let buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const eol = buf.indexOf("\r\n");
        if (eol < 0) return;
        const line = buf.subarray(0, eol).toString();
        const [op, ...args] = line.split(" ");
        if (op === "PUB") {
          const size = Number(args[args.length - 1]);
          if (buf.length < eol + 2 + size + 2) return; // wait for the whole payload
          const data = buf.subarray(eol + 2, eol + 2 + size).toString();
          buf = buf.subarray(eol + 2 + size + 2);
          c.lines.push(line);
          c.published.push({ subject: args[0]!, data });
          const sid = c.subs.get(args[0]!);
          if (sid !== undefined) socket.write(`MSG ${args[0]} ${sid} ${Buffer.byteLength(data)}\r\n${data}\r\n`);
          continue;
        }
        buf = buf.subarray(eol + 2);
        c.lines.push(line);
        if (op === "CONNECT") c.connect = JSON.parse(line.slice("CONNECT ".length)) as Record<string, unknown>;
        else if (op === "PING") socket.write("PONG\r\n");
        else if (op === "SUB") c.subs.set(args[0]!, args[args.length - 1]!);
      }
    });
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** What the relay saw on one connection: the first byte from the client, and server bytes before it. */
interface RelayRecord {
  firstClientByte?: number;
  serverBytesBeforeClient?: number;
}

/** A loopback TCP relay to `targetPort` that records who spoke first on each connection. */
class Relay {
  readonly records: RelayRecord[] = [];
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: NetServer) {}

  static async start(targetPort: number): Promise<Relay> {
    const server = createNetServer();
    const r = new Relay(server);
    server.on("connection", (client) => {
      const upstream = netConnect({ host: "127.0.0.1", port: targetPort });
      const rec: RelayRecord = {};
      r.records.push(rec);
      let fromServer = 0;
      for (const s of [client, upstream]) {
        r.sockets.add(s);
        s.on("error", () => undefined);
        s.on("close", () => {
          r.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on("data", (d: Buffer) => {
        if (rec.firstClientByte === undefined) {
          rec.firstClientByte = d[0];
          rec.serverBytesBeforeClient = fromServer;
        }
        upstream.write(d);
      });
      upstream.on("data", (d: Buffer) => {
        fromServer += d.length;
        client.write(d);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return r;
  }

  get port(): number {
    return (this.server.address() as { port: number }).port;
  }

  /** Cuts every relayed connection (the client sees the server go away). */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let certs: TestCerts;
let scripted: ScriptedTlsServer;
let relay: Relay;
const conns = new Connections();
const open = conns.open;

before(async () => {
  certs = await generateCerts();
  scripted = await ScriptedTlsServer.start(certs);
  relay = await Relay.start(scripted.port);
});

after(async () => {
  await conns.closeAll();
  await relay?.stop();
  await scripted?.stop();
  certs?.cleanup();
});

describe("handshakeFirst against a TLS-first server", () => {
  it("does the TLS handshake before any byte from the server, then a message round trip works", async () => {
    const before = scripted.conns.length;
    const recBefore = relay.records.length;
    const nc = await open({ servers: `tls://127.0.0.1:${relay.port}`, tls: { handshakeFirst: true, caFile: certs.caFile } });
    assert.equal(scripted.conns.length, before + 1);
    const rec = relay.records[recBefore]!;
    assert.equal(rec.firstClientByte, TLS_HANDSHAKE_RECORD, "the client's first byte should start a TLS handshake record");
    assert.equal(rec.serverBytesBeforeClient, 0, "the client spoke before the server sent anything");

    assert.equal(nc.info?.version, "2.10.4");
    assert.equal(nc.info?.tls_required, true);
    const conn = scripted.conns[before]!;
    assert.equal(conn.connect?.tls_required, true, "CONNECT should say the connection is encrypted");
    assert.deepEqual(conn.lines.slice(0, 2).map((l) => l.split(" ")[0]), ["CONNECT", "PING"]);

    const sub = nc.subscribe("hf.echo");
    nc.publish("hf.echo", "hello, tls first");
    const m = await sub.next({ timeout: 2_000 });
    assert.equal(m.subject, "hf.echo");
    assert.equal(m.string(), "hello, tls first");
    assert.deepEqual(conn.published, [{ subject: "hf.echo", data: "hello, tls first" }]);
    await nc.close();
  });

  it("works with a nats:// URL and the CA as PEM text", async () => {
    const before = scripted.conns.length;
    const nc = await open({ servers: `nats://127.0.0.1:${relay.port}`, tls: { handshakeFirst: true, ca: certs.caPem } });
    const sub = nc.subscribe("hf.pem", { max: 1 });
    nc.publish("hf.pem", "x");
    assert.equal((await sub.next({ timeout: 2_000 })).string(), "x");
    assert.equal(scripted.conns[before]?.connect?.tls_required, true);
    await nc.close();
  });

  it("without handshakeFirst the client waits for INFO and the same server never answers", async () => {
    const recBefore = relay.records.length;
    const err = await connectFails({ servers: `tls://127.0.0.1:${relay.port}`, tls: { caFile: certs.caFile }, timeout: 300 });
    // the client sent nothing: it was waiting for the server's INFO
    assert.equal(relay.records[recBefore]?.firstClientByte, undefined);
    assert.ok(["NO_SERVERS", "TIMEOUT"].includes(err.code), `unexpected ${err.code}: ${err.message}`);
  });

  it("verifies the server certificate: the wrong CA fails with TLS_ERROR", async () => {
    const err = await connectFails({ servers: `tls://127.0.0.1:${relay.port}`, tls: { handshakeFirst: true, caFile: certs.otherCaFile } });
    assert.ok(err instanceof TlsError, `expected TlsError, got ${err.name}: ${err.message}`);
  });

  it("reconnects with the handshake first again, and resends the subscription", async () => {
    const before = scripted.conns.length;
    const recBefore = relay.records.length;
    const nc = await open({
      servers: `tls://127.0.0.1:${relay.port}`,
      tls: { handshakeFirst: true, caFile: certs.caFile },
      reconnectTimeWait: 20,
      reconnectJitterTLS: 0,
      maxReconnectAttempts: -1,
    });
    let reconnects = 0;
    nc.on("reconnect", () => reconnects++);
    const sub = nc.subscribe("hf.re");
    await nc.flush();
    relay.cutAll();
    await poll(() => (reconnects > 0 ? true : undefined), 5_000, () => "the client did not reconnect");
    assert.equal(scripted.conns.length, before + 2);
    const second = relay.records[recBefore + 1]!;
    assert.equal(second.firstClientByte, TLS_HANDSHAKE_RECORD);
    assert.equal(second.serverBytesBeforeClient, 0);
    const conn2 = scripted.conns[before + 1]!;
    nc.publish("hf.re", "again");
    assert.equal((await sub.next({ timeout: 2_000 })).string(), "again");
    assert.ok(conn2.subs.has("hf.re"), `the subscription was not resent: ${JSON.stringify(conn2.lines)}`);
    await nc.close();
  });
});

describe("handshakeFirst against a real nats-server", () => {
  // nats-server 2.10.4 added `tls { handshake_first: true }`; older servers always send INFO in
  // plain text first, so there handshakeFirst must be refused cleanly with TLS_ERROR.
  let srv: NatsServer;
  const conns = new Connections();
  before(async () => {
    const supported = versionAtLeast(serverFor().version, "2.10.4");
    srv = await NatsServer.start({ config: serverTlsBlock(certs, supported ? "handshake_first: true" : "") });
  });
  after(async () => {
    await conns.closeAll();
    await srv?.stop();
  });

  it("connects and round-trips where the server has handshake_first, else fails with TLS_ERROR", async () => {
    const opts = { servers: `tls://${srv.hostport}`, tls: { handshakeFirst: true, caFile: certs.caFile }, timeout: 2_000 };
    if (srv.atLeast("2.10.4")) {
      const nc = await conns.open(opts);
      assert.equal(nc.info?.tls_required, true);
      await roundTrip(nc);
    } else {
      const err = await connectFails(opts);
      assert.equal(err.code, "TLS_ERROR", `${err.code}: ${err.message}`);
    }
  });

  it("a client without handshakeFirst fails on a handshake_first server (no INFO comes), and connects to an older one", async () => {
    const opts = { servers: `tls://${srv.hostport}`, tls: { caFile: certs.caFile }, timeout: 1_000 };
    if (srv.atLeast("2.10.4")) {
      const err = await connectFails(opts);
      assert.ok(["TIMEOUT", "NO_SERVERS", "TLS_ERROR"].includes(err.code), `${err.code}: ${err.message}`);
    } else {
      await roundTrip(await conns.open(opts));
    }
  });
});

describe("handshakeFirst against servers that send INFO first", () => {
  let plain: NatsServer;
  let tlsSrv: NatsServer;
  before(async () => {
    [plain, tlsSrv] = await Promise.all([NatsServer.start(), NatsServer.start({ config: serverTlsBlock(certs) })]);
  });
  after(async () => {
    await Promise.all([plain?.stop(), tlsSrv?.stop()]);
  });

  it("a plain nats-server fails with TLS_ERROR instead of hanging", async () => {
    const err = await connectFails({ servers: plain.url, tls: { handshakeFirst: true, caFile: certs.caFile }, timeout: 1_000 });
    assert.ok(err instanceof TlsError, `expected TlsError, got ${err.name}: ${err.message}`);
    assert.equal(err.code, "TLS_ERROR");
  });

  it("a TLS nats-server (INFO in plain text first) fails with TLS_ERROR too", async () => {
    const err = await connectFails({ servers: `tls://${tlsSrv.hostport}`, tls: { handshakeFirst: true, caFile: certs.caFile }, timeout: 1_000 });
    assert.ok(err instanceof TlsError, `expected TlsError, got ${err.name}: ${err.message}`);
  });

  it("a failed handshakeFirst connect leaves no timer running", async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const before = timers();
    const err = await connectFails({ servers: plain.url, tls: { handshakeFirst: true, caFile: certs.caFile }, timeout: 3_000 });
    assert.equal(err.code, "TLS_ERROR");
    // a timer left behind keeps the process alive for `timeout` ms after connect() has rejected
    assert.equal(timers(), before, "connect() rejected but left a timer running");
  });

  it("a server that accepts but never answers fails after the timeout", async () => {
    const silent = createNetServer((s) => s.on("error", () => undefined));
    const sockets: Socket[] = [];
    silent.on("connection", (s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const err = await connectFails({ servers: `tls://127.0.0.1:${port}`, tls: { handshakeFirst: true, caFile: certs.caFile }, timeout: 300 });
      assert.ok(["TLS_ERROR", "TIMEOUT", "NO_SERVERS"].includes(err.code), `unexpected ${err.code}: ${err.message}`);
      assert.match(`${err.message} ${String((err.cause as Error | undefined)?.message)}`, /time/i);
      assert.equal(sockets.length, 1);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
