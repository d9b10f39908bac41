// The WebSocket transport (ws:// and wss://) against nats-server's websocket listener. On Node 20
// (no global WebSocket) the sockets come from the optional `ws` package.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { createServer, type Server as NetServer, type Socket } from "node:net";
import WebSocket from "ws";
import { NatsServer } from "../support/server.js";
import { freePort } from "../support/ports.js";
import { useServer } from "../support/fixtures.js";
import { nextEvent } from "../support/events.js";
import { untilWithin } from "../support/helpers.js";
import { generateCerts, serverTlsConfig, type TestCerts } from "../support/certs.js";
import {
  connect,
  createInbox,
  headers,
  ConnectionError,
  NoServersError,
  TlsError,
  type Msg,
  type NatsConnection,
} from "../../src/index.js";
import { connectWith } from "../../src/connection/connect.js";
import { parseServer } from "../../src/connection/servers.js";
import { nodeWebSocketOpener } from "../../src/transport/node_factory.js";
import { WebSocketTransport, webSocketTransportFactory, type WebSocketLike, type WebSocketOpener } from "../../src/transport/websocket.js";
import type { TransportEvents } from "../../src/transport/transport.js";

const te = new TextEncoder();
const td = new TextDecoder();

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return b;
}

function sameBytes(actual: Uint8Array, expected: Uint8Array): void {
  assert.equal(actual.length, expected.length, "payload length");
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.length).equals(expected), "payload bytes differ");
}

const until = untilWithin(5_000);

/** A raw transport (no NATS connection on top) that records what it receives. */
async function rawTransport(url: string, tls?: { caFile: string }) {
  let text = "";
  let chunks = 0;
  let drains = 0;
  let closedWith: Error | undefined | null = null;
  const events: TransportEvents = {
    data: (c) => {
      chunks++;
      text += td.decode(c);
    },
    close: (err) => (closedWith = err),
    drain: () => drains++,
  };
  const t = await WebSocketTransport.connect(parseServer(url), { timeout: 3_000, tls: tls ?? null }, events, nodeWebSocketOpener);
  return {
    t,
    text: () => text,
    chunks: () => chunks,
    drains: () => drains,
    closedWith: () => closedWith,
    waitFor: (s: string) => until(() => text.includes(s), JSON.stringify(s)),
  };
}

/** The cause of a failed connect (NoServersError wraps the last server's error). */
function causeOf(err: unknown): Error {
  assert.ok(err instanceof NoServersError, `expected NoServersError, got ${String(err)}`);
  assert.ok(err.cause instanceof Error, "NoServersError without a cause");
  return err.cause;
}

describe("WebSocket transport over ws://", () => {
  const srv = useServer({ server: { websocket: true } });
  let tcp: NatsConnection;
  let ws: NatsConnection;

  before(async () => {
    tcp = await srv.connect({ name: "tcp" });
    ws = await srv.connect({ servers: srv.server.websocketUrl!, name: "ws" });
  });

  it("connects through the websocket listener, not the TCP port", async () => {
    assert.match(srv.server.websocketUrl!, /^ws:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(srv.server.websocketPort, srv.server.port);
    assert.equal(ws.isConnected(), true);
    assert.equal(ws.getServer(), `127.0.0.1:${srv.server.websocketPort}`);
    const r = await rawTransport(srv.server.websocketUrl!);
    try {
      assert.equal(r.t.encrypted, false);
      assert.equal(r.t.canUpgrade, false);
      await r.waitFor("INFO {");
      assert.ok(r.t.write(te.encode('CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n')));
      await r.waitFor("PONG\r\n");
    } finally {
      r.t.close();
    }
  });

  it("publishes and subscribes in both directions with TCP clients", async () => {
    const subj = createInbox("ps");
    const fromTcp: string[] = [];
    const fromWs: string[] = [];
    ws.subscribe(`${subj}.toWs`, { callback: (_e, m) => fromTcp.push(m.string()) });
    tcp.subscribe(`${subj}.toTcp`, { callback: (_e, m) => fromWs.push(m.string()) });
    await Promise.all([ws.flush(), tcp.flush()]);
    for (let i = 0; i < 50; i++) {
      tcp.publish(`${subj}.toWs`, `t${i}`);
      ws.publish(`${subj}.toTcp`, `w${i}`);
    }
    await Promise.all([ws.flush(), tcp.flush()]);
    await until(() => fromTcp.length === 50 && fromWs.length === 50, "50 messages each way");
    assert.deepEqual(fromTcp, Array.from({ length: 50 }, (_, i) => `t${i}`));
    assert.deepEqual(fromWs, Array.from({ length: 50 }, (_, i) => `w${i}`));
  });

  it("does request/reply both ways", async () => {
    const subj = createInbox("rr");
    tcp.subscribe(`${subj}.tcp`, { callback: (_e, m) => m.respond(`tcp:${m.string()}`) });
    ws.subscribe(`${subj}.ws`, { callback: (_e, m) => m.respond(`ws:${m.string()}`) });
    await Promise.all([ws.flush(), tcp.flush()]);
    assert.equal((await ws.request(`${subj}.tcp`, "a", { timeout: 2_000 })).string(), "tcp:a");
    assert.equal((await tcp.request(`${subj}.ws`, "b", { timeout: 2_000 })).string(), "ws:b");
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => ws.request(`${subj}.tcp`, `${i}`, { timeout: 2_000 })));
    assert.deepEqual(many.map((m) => m.string()), Array.from({ length: 20 }, (_, i) => `tcp:${i}`));
  });

  it("carries headers", async () => {
    const subj = createInbox("hdr");
    const got = new Promise<Msg>((resolve) => tcp.subscribe(subj, { max: 1, callback: (_e, m) => resolve(m) }));
    await tcp.flush();
    const h = headers();
    h.set("X-Trace", "abc");
    h.append("X-Multi", "1");
    h.append("X-Multi", "2");
    ws.publish(subj, "with headers", { headers: h });
    const m = await got;
    assert.equal(m.string(), "with headers");
    assert.equal(m.headers?.get("X-Trace"), "abc");
    assert.deepEqual(m.headers?.values("X-Multi"), ["1", "2"]);
  });

  it("moves a 512 KiB message each way intact", async () => {
    const subj = createInbox("big");
    const up = pattern(512 * 1024, 1);
    const down = pattern(512 * 1024, 2);
    const atTcp = new Promise<Msg>((resolve) => tcp.subscribe(`${subj}.up`, { max: 1, callback: (_e, m) => resolve(m) }));
    const atWs = new Promise<Msg>((resolve) => ws.subscribe(`${subj}.down`, { max: 1, callback: (_e, m) => resolve(m) }));
    await Promise.all([ws.flush(), tcp.flush()]);
    ws.publish(`${subj}.up`, up);
    tcp.publish(`${subj}.down`, down);
    sameBytes((await atTcp).data, up);
    sameBytes((await atWs).data, down);
  });

  it("reassembles a 512 KiB message the server split into 4 KiB WebSocket frames", async () => {
    // nats-server limits frames to 4096 bytes for clients whose User-Agent starts with "Mozilla/"
    let messages = 0;
    const browserLike: WebSocketOpener = (url) => {
      const sock = new WebSocket(url, { perMessageDeflate: false, headers: { "User-Agent": "Mozilla/5.0 (tsnats test)" } });
      sock.addEventListener("message", () => messages++);
      return sock as unknown as WebSocketLike;
    };
    const nc = await connectWith({ servers: srv.server.websocketUrl! }, webSocketTransportFactory(browserLike));
    try {
      const subj = createInbox("frames");
      const got = new Promise<Msg>((resolve) => nc.subscribe(subj, { max: 1, callback: (_e, m) => resolve(m) }));
      await nc.flush();
      const before = messages;
      const payload = pattern(512 * 1024, 3);
      tcp.publish(subj, payload);
      const m = await got;
      sameBytes(m.data, payload);
      assert.ok(messages - before >= 128, `expected the message to span >= 128 frames, got ${messages - before}`);
    } finally {
      await nc.close();
    }
  });

  it("applies backpressure: write() returns false past the high-water mark, then drain", async () => {
    const r = await rawTransport(srv.server.websocketUrl!);
    try {
      await r.waitFor("INFO {");
      r.t.write(te.encode('CONNECT {"verbose":false,"protocol":1}\r\n'));
      // 64 x 512 KiB PUBs to a subject nobody listens on, as one 32 MiB write
      const body = new Uint8Array(512 * 1024);
      const head = te.encode(`PUB nobody.listens ${body.length}\r\n`);
      const one = head.length + body.length + 2;
      const all = new Uint8Array(64 * one);
      for (let i = 0; i < 64; i++) {
        all.set(head, i * one);
        all.set(te.encode("\r\n"), i * one + head.length + body.length);
      }
      assert.equal(r.t.write(all), false, "a 32 MiB write should exceed the high-water mark");
      await until(() => r.drains() === 1, "the drain event");
      assert.ok(r.t.write(te.encode("PING\r\n")));
      await r.waitFor("PONG\r\n");
      assert.equal(r.closedWith(), null);
    } finally {
      r.t.close();
    }
  });

  it("reports the server closing the socket through events.close", async () => {
    const own = await NatsServer.start({ websocket: true });
    try {
      const r = await rawTransport(own.websocketUrl!);
      await r.waitFor("INFO {");
      await own.kill();
      await until(() => r.closedWith() !== null, "the close event");
      assert.ok(r.closedWith() instanceof ConnectionError, `got ${String(r.closedWith())}`);
    } finally {
      await own.stop();
    }
  });

  it("reconnects after the server is killed and restarted, restoring subscriptions", async () => {
    const own = await NatsServer.start({ websocket: true });
    const wsUrl = own.websocketUrl!;
    const nc = await connect({ servers: wsUrl, reconnectTimeWait: 50, reconnectJitter: 0, maxReconnectAttempts: -1 });
    try {
      const subj = createInbox("rc");
      const got: string[] = [];
      nc.subscribe(subj, { callback: (_e, m) => got.push(m.string()) });
      await nc.flush();
      const disconnected = nextEvent(nc, "disconnect");
      const reconnected = nextEvent(nc, "reconnect");
      await own.kill();
      await disconnected;
      await own.restart();
      assert.equal(own.websocketUrl, wsUrl, "restart keeps the websocket port");
      await reconnected;
      await nc.flush();
      const pub = await connect({ servers: own.url });
      try {
        pub.publish(subj, "after restart");
        await pub.flush();
        await until(() => got.length === 1, "the message published after the restart");
        assert.deepEqual(got, ["after restart"]);
        const reply = new Promise<string>((resolve) => pub.subscribe(`${subj}.svc`, { max: 1, callback: (_e, m) => resolve(m.string()) }));
        await pub.flush();
        nc.publish(`${subj}.svc`, "from ws");
        assert.equal(await reply, "from ws");
      } finally {
        await pub.close();
      }
    } finally {
      await nc.close();
      await own.stop();
    }
  });

  it("fails with a ConnectionError naming the URL when nothing listens", async () => {
    const port = await freePort();
    const err = await connect({ servers: `ws://127.0.0.1:${port}`, reconnect: false, timeout: 2_000 }).then(
      () => assert.fail("connect should fail"),
      (e: unknown) => e,
    );
    const cause = causeOf(err);
    assert.ok(cause instanceof ConnectionError, `expected ConnectionError, got ${String(cause)}`);
    assert.match(cause.message, new RegExp(`ws://127\\.0\\.0\\.1:${port}`));
    assert.match(cause.message, /ECONNREFUSED/);
  });

  it("fails with a ConnectionError when the port does not speak WebSocket", async () => {
    const err = await connect({ servers: `ws://127.0.0.1:${srv.server.port}`, reconnect: false, timeout: 2_000 }).then(
      () => assert.fail("connect should fail"),
      (e: unknown) => e,
    );
    const cause = causeOf(err);
    assert.ok(cause instanceof ConnectionError, `expected ConnectionError, got ${String(cause)}`);
    assert.match(cause.message, new RegExp(`ws://127\\.0\\.0\\.1:${srv.server.port}`));
  });

  it("times out when the opening handshake never completes", async () => {
    const sockets: Socket[] = [];
    const silent: NetServer = createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const err = await connect({ servers: `ws://127.0.0.1:${port}`, reconnect: false, timeout: 300 }).then(
        () => assert.fail("connect should fail"),
        (e: unknown) => e,
      );
      const cause = causeOf(err);
      assert.ok(cause instanceof ConnectionError, `expected ConnectionError, got ${String(cause)}`);
      assert.match(cause.message, /timed out/i);
      assert.ok(sockets.length >= 1, "the client never reached the silent server");
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe("WebSocket transport over wss://", () => {
  let certs: TestCerts;
  let srv: NatsServer;

  before(async () => {
    certs = await generateCerts();
    srv = await NatsServer.start({ websocket: { tls: serverTlsConfig(certs) } });
  });

  after(async () => {
    await srv?.stop();
    certs?.cleanup();
  });

  it("connects with the test CA and exchanges messages and requests", async () => {
    assert.match(srv.websocketUrl!, /^wss:\/\/127\.0\.0\.1:\d+$/);
    const nc = await connect({ servers: srv.websocketUrl!, tls: { caFile: certs.caFile } });
    const tcp = await connect({ servers: srv.url });
    try {
      const subj = createInbox("wss");
      tcp.subscribe(subj, { callback: (_e, m) => m.respond(`echo:${m.string()}`) });
      await tcp.flush();
      assert.equal((await nc.request(subj, "over tls", { timeout: 2_000 })).string(), "echo:over tls");
      const payload = pattern(256 * 1024, 4);
      const got = new Promise<Msg>((resolve) => nc.subscribe(`${subj}.big`, { max: 1, callback: (_e, m) => resolve(m) }));
      await nc.flush();
      tcp.publish(`${subj}.big`, payload);
      sameBytes((await got).data, payload);
    } finally {
      await nc.close();
      await tcp.close();
    }
  });

  it("reports the transport as encrypted", async () => {
    const r = await rawTransport(srv.websocketUrl!, { caFile: certs.caFile });
    try {
      assert.equal(r.t.encrypted, true);
      await r.waitFor("INFO {");
    } finally {
      r.t.close();
    }
  });

  it("accepts the CA as PEM text too", async () => {
    const nc = await connect({ servers: srv.websocketUrl!, tls: { ca: certs.caPem } });
    try {
      await nc.flush();
      assert.equal(nc.isConnected(), true);
    } finally {
      await nc.close();
    }
  });

  it("uses the global WebSocket when there is one, but ws when TLS options must be passed", async () => {
    const g = globalThis as { WebSocket?: unknown };
    const saved = g.WebSocket;
    let constructed = 0;
    g.WebSocket = class CountingWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        constructed++;
      }
    };
    const plain = await NatsServer.start({ websocket: true });
    try {
      const a = await connect({ servers: plain.websocketUrl! });
      await a.flush();
      await a.close();
      assert.equal(constructed, 1, "ws:// should use the global WebSocket");
      const b = await connect({ servers: srv.websocketUrl!, tls: { caFile: certs.caFile } });
      await b.flush();
      await b.close();
      assert.equal(constructed, 1, "wss:// with a CA must not use the global WebSocket (it cannot take TLS options)");
    } finally {
      g.WebSocket = saved;
      await plain.stop();
    }
  });

  it("fails with a TlsError when wss:// meets a plain ws listener", async () => {
    const plain = await NatsServer.start({ websocket: true });
    try {
      const url = `wss://127.0.0.1:${plain.websocketPort}`;
      const err = await connect({ servers: url, tls: { caFile: certs.caFile }, reconnect: false }).then(
        () => assert.fail("connect should fail"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof TlsError, `expected TlsError, got ${String(err)} (cause: ${String((err as Error).cause)})`);
      assert.ok(err.message.includes(url), err.message);
    } finally {
      await plain.stop();
    }
  });

  it("rejects a server certificate from an unknown CA with a TlsError", async () => {
    const err = await connect({ servers: srv.websocketUrl!, tls: { caFile: certs.otherCaFile }, reconnect: false }).then(
      () => assert.fail("connect should fail"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof TlsError, `expected TlsError, got ${String(err)} (cause: ${String((err as Error).cause)})`);
    assert.match(err.message, new RegExp(`wss://127\\.0\\.0\\.1:${srv.websocketPort}`));
  });
});
