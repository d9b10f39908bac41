// Protocol behaviour that a real nats-server cannot be made to show: exact CONNECT fields, frames split
// across reads, malformed frames, a server that stops answering PINGs, INFO changing mid-connection,
// and unusual -ERRs. Uses the scripted fake server.
import { describe, it, afterEach } from "node:test";
import { strict as assert } from "node:assert";
import {
  connect,
  headers,
  AuthorizationError,
  MaxPayloadExceededError,
  NatsConnection,
  NatsError,
  ProtocolError,
  ServerError,
  StaleConnectionError,
  type ConnectionOptions,
  type Msg,
  type Status,
} from "../../src/index.js";
import { VERSION } from "../../src/version.js";
import { FakeServer, type FakeConnection, type FakeServerOptions } from "../support/fake_server.js";
import { freePort, poll } from "../support/ports.js";
import { Connections } from "../support/helpers.js";
import { recordStatus } from "../support/events.js";

let fakes: FakeServer[] = [];
const conns = new Connections();

afterEach(async () => {
  await conns.closeAll();
  await Promise.all(fakes.map((f) => f.stop()));
  fakes = [];
});

/** A fake server and a client connected to it (handshake done). */
async function setup(
  opts: ConnectionOptions = {},
  fakeOpts: FakeServerOptions = {},
): Promise<{ fake: FakeServer; conn: FakeConnection; nc: NatsConnection; events: Status[] }> {
  const fake = await FakeServer.start(fakeOpts);
  fakes.push(fake);
  const [nc, conn] = await Promise.all([connect({ servers: fake.url, ...opts }), fake.nextConnection()]);
  conns.track(nc);
  const events = recordStatus(nc);
  return { fake, conn, nc, events };
}

/** Subscribes and returns the sid the client sent in its SUB. */
async function sidOf(conn: FakeConnection, subject: string): Promise<string> {
  const line = await conn.waitFor((l) => l.startsWith(`SUB ${subject} `));
  return line.split(" ").pop()!;
}

const waitEvent = (events: Status[], type: Status["type"]): Promise<Status> =>
  poll(() => events.find((e) => e.type === type), 5_000, () => `no '${type}' event; got ${JSON.stringify(events.map((e) => e.type))}`);

describe("CONNECT", () => {
  it("sends exactly the documented fields, followed by PING", async () => {
    const { conn } = await setup({ name: "fake-client" });
    const ci = conn.connectInfo!;
    assert.equal(ci.verbose, false);
    assert.equal(ci.pedantic, false);
    assert.equal(ci.echo, true);
    assert.equal(ci.headers, true);
    assert.equal(ci.no_responders, true);
    assert.equal(ci.lang, "tsnats");
    assert.equal(ci.version, VERSION);
    assert.equal(ci.protocol, 1);
    assert.equal(ci.name, "fake-client");
    // nothing else (no credentials, no unknown fields); tls_required is false on a plain connection
    assert.deepEqual(ci, {
      verbose: false,
      pedantic: false,
      tls_required: false,
      lang: "tsnats",
      version: VERSION,
      protocol: 1,
      echo: true,
      name: "fake-client",
      headers: true,
      no_responders: true,
    });
    assert.match(conn.lines[0]!, /^CONNECT \{/);
    assert.equal(conn.lines[1], "PING");
  });

  it("noEcho, credentials, and no name", async () => {
    const { conn } = await setup({ noEcho: true, user: "u", pass: "p" });
    const ci = conn.connectInfo!;
    assert.equal(ci.echo, false);
    assert.equal(ci.user, "u");
    assert.equal(ci.pass, "p");
    assert.ok(!("name" in ci));
    const t = await setup({ token: "tok" });
    assert.equal(t.conn.connectInfo!.auth_token, "tok");
  });

  it("does not ask for headers or no_responders when INFO has no headers", async () => {
    const { conn, nc } = await setup({}, { info: { headers: false } });
    const ci = conn.connectInfo!;
    assert.notEqual(ci.headers, true);
    assert.notEqual(ci.no_responders, true);
    const h = headers();
    h.set("A", "b");
    assert.throws(() => nc.publish("x", "y", { headers: h }), (e: unknown) => e instanceof NatsError && e.code === "HEADERS_NOT_SUPPORTED");
  });
});

describe("inbound frames", () => {
  const te = new TextEncoder();
  const big = "B".repeat(3000);
  const hdrBlock = "NATS/1.0\r\nX-Key: v1\r\nX-Key: v2\r\n\r\n";
  function frames(sid: string): Uint8Array {
    return te.encode(
      `MSG foo ${sid} 5\r\nhello\r\n` +
        `MSG foo ${sid} _INBOX.r1 12\r\nwith\r\nreply!\r\n` +
        `HMSG foo ${sid} ${hdrBlock.length} ${hdrBlock.length + 8}\r\n${hdrBlock}hdr-body\r\n` +
        `MSG foo ${sid} 0\r\n\r\n` +
        `MSG foo ${sid} ${big.length}\r\n${big}\r\n` +
        `HMSG foo ${sid} _INBOX.r2 ${hdrBlock.length} ${hdrBlock.length}\r\n${hdrBlock}\r\n` +
        `MSG foo ${sid} 4\r\nlast\r\n`,
    );
  }
  async function receiveAll(sub: AsyncIterable<Msg> & { next(o: { timeout: number }): Promise<Msg> }): Promise<Msg[]> {
    const out: Msg[] = [];
    for (let i = 0; i < 7; i++) out.push(await sub.next({ timeout: 5_000 }));
    return out;
  }
  function check(msgs: Msg[]): void {
    assert.deepEqual(msgs.map((m) => m.string()), ["hello", "with\r\nreply!", "hdr-body", "", big, "", "last"]);
    assert.deepEqual(msgs.map((m) => m.reply), [undefined, "_INBOX.r1", undefined, undefined, undefined, "_INBOX.r2", undefined]);
    for (const m of msgs) assert.equal(m.subject, "foo");
    assert.deepEqual(msgs[2]!.headers?.values("X-Key"), ["v1", "v2"]);
    assert.deepEqual(msgs[5]!.headers?.values("X-Key"), ["v1", "v2"]);
    assert.equal(msgs[0]!.headers, undefined);
  }

  it("MSG/HMSG frames cut at every byte of the first 150 are delivered intact", async () => {
    const { conn, nc } = await setup({ reconnect: false });
    const sub = nc.subscribe("foo");
    const sid = await sidOf(conn, "foo");
    const data = frames(sid);
    const cuts = Array.from({ length: 150 }, (_, i) => i + 1);
    await conn.sendSplit(data, cuts);
    check(await receiveAll(sub));
    assert.ok(nc.isConnected());
  });

  it("frames cut at awkward offsets (inside ops, sizes, CRLFs, header blocks, big payloads)", async () => {
    const { conn, nc } = await setup({ reconnect: false });
    const sub = nc.subscribe("foo");
    const sid = await sidOf(conn, "foo");
    const data = frames(sid);
    const text = new TextDecoder().decode(data);
    const cuts: number[] = [];
    // around every CR and LF, and inside every verb
    for (let i = 0; i < text.length; i++) {
      if (text[i] === "\r") cuts.push(i, i + 1);
      if (text.startsWith("MSG", i) || text.startsWith("HMSG", i)) cuts.push(i + 1, i + 2);
    }
    // in the middle of the big payload, twice
    const bigAt = text.indexOf(big);
    cuts.push(bigAt + 1, bigAt + 1500, bigAt + big.length - 1);
    await conn.sendSplit(data, cuts);
    check(await receiveAll(sub));
  });

  it("many frames in one write are all delivered", async () => {
    const { conn, nc } = await setup({ reconnect: false });
    const sub = nc.subscribe("foo");
    const sid = await sidOf(conn, "foo");
    conn.send(Buffer.concat([frames(sid), frames(sid), frames(sid)]));
    for (let r = 0; r < 3; r++) check(await receiveAll(sub));
  });

  it("a malformed MSG frame loses the connection with a ProtocolError", async () => {
    const { conn, nc, events } = await setup({ reconnect: false });
    nc.subscribe("foo");
    await sidOf(conn, "foo");
    conn.send("MSG foo x 3\r\nabc\r\n");
    const err = await nc.closed();
    assert.ok(err instanceof ProtocolError, `expected ProtocolError, got ${String(err)}`);
    assert.equal(err.code, "PROTOCOL_ERROR");
    const d = await waitEvent(events, "disconnect");
    assert.ok(d.type === "disconnect" && d.error instanceof ProtocolError);
    await conn.closed;
  });

  it("an unknown protocol operation is a ProtocolError", async () => {
    const { conn, nc } = await setup({ reconnect: false });
    conn.send("BOGUS something\r\n");
    const err = await nc.closed();
    assert.ok(err instanceof ProtocolError, String(err));
  });

  it("with reconnect on, a malformed frame makes the client reconnect", async () => {
    const { fake, conn, nc, events } = await setup({ reconnectTimeWait: 10 });
    const sub = nc.subscribe("foo");
    await sidOf(conn, "foo");
    conn.send("MSG foo 1 3\r\nabcXY");
    const next = await fake.nextConnection();
    await waitEvent(events, "reconnect");
    const d = events.find((e) => e.type === "disconnect");
    assert.ok(d && d.type === "disconnect" && d.error instanceof ProtocolError, JSON.stringify(d));
    // the subscription is sent again and works on the new connection
    const sid = await sidOf(next, "foo");
    next.msg("foo", sid, "after");
    assert.equal((await sub.next({ timeout: 5_000 })).string(), "after");
  });
});

describe("PING/PONG", () => {
  it("a server that stops answering PINGs: staleConnection, then closed() is a StaleConnectionError", async () => {
    const { conn, nc, events } = await setup({ pingInterval: 100, maxPingOut: 2, reconnect: false }, { autoPong: false });
    const err = await nc.closed();
    assert.ok(err instanceof StaleConnectionError, `expected StaleConnectionError, got ${String(err)}`);
    assert.equal(err.code, "STALE_CONNECTION");
    assert.ok(events.some((e) => e.type === "staleConnection"));
    assert.ok(conn.lines.filter((l) => l === "PING").length >= 3, "handshake PING plus 2 unanswered heartbeats");
  });

  it("heartbeats that are answered keep the connection up", async () => {
    const { conn, nc, events } = await setup({ pingInterval: 50, maxPingOut: 2, reconnect: false });
    await poll(() => (conn.lines.filter((l) => l === "PING").length >= 6 ? true : undefined), 5_000, () => "no heartbeat PINGs");
    assert.ok(nc.isConnected());
    assert.ok(!events.some((e) => e.type === "staleConnection"));
  });

  it("answers the server's PING with PONG", async () => {
    const { conn } = await setup();
    assert.equal(conn.lines.filter((l) => l === "PONG").length, 0);
    conn.send("PING\r\n");
    await conn.waitFor("PONG");
    conn.send("PING\r\nPING\r\nPING\r\n");
    await poll(() => (conn.lines.filter((l) => l === "PONG").length === 4 ? true : undefined), 5_000, () => `PONGs: ${JSON.stringify(conn.lines)}`);
  });
});

describe("async INFO", () => {
  it("a lower max_payload applies to later publishes", async () => {
    const { fake, conn, nc } = await setup();
    nc.publish("p", "x".repeat(200));
    conn.info({ ...fake.info, max_payload: 100 });
    await nc.flush(); // the PONG comes after the INFO
    assert.equal(nc.info?.max_payload, 100);
    assert.throws(() => nc.publish("p", "x".repeat(101)), (e: unknown) => {
      assert.ok(e instanceof MaxPayloadExceededError, String(e));
      assert.equal(e.code, "MAX_PAYLOAD_EXCEEDED");
      assert.equal(e.size, 101);
      assert.equal(e.maxPayload, 100);
      return true;
    });
    const h = headers();
    h.set("X-Pad", "y".repeat(60));
    assert.throws(() => nc.publish("p", "x".repeat(60), { headers: h }), MaxPayloadExceededError);
    await assert.rejects(nc.request("p", "x".repeat(500), { timeout: 1_000 }), MaxPayloadExceededError);
    nc.publish("p", "x".repeat(100));
    await nc.flush();
    assert.deepEqual(conn.published.map((f) => f.data.length), [200, 100]);
  });

  it("connect_urls: an update event with the added servers, listed by discoveredServers()", async () => {
    const [p1, p2] = await Promise.all([freePort(), freePort()]);
    const { fake, conn, nc, events } = await setup();
    assert.deepEqual(nc.discoveredServers(), []);
    conn.info({ ...fake.info, connect_urls: [`127.0.0.1:${p1}`, `127.0.0.1:${p2}`] });
    const u = await waitEvent(events, "update");
    assert.ok(u.type === "update");
    assert.deepEqual([...u.added].sort(), [`127.0.0.1:${p1}`, `127.0.0.1:${p2}`].sort());
    assert.deepEqual(u.deleted, []);
    assert.deepEqual(nc.discoveredServers().sort(), [`127.0.0.1:${p1}`, `127.0.0.1:${p2}`].sort());
    // a later INFO without one of them removes it
    events.length = 0;
    conn.info({ ...fake.info, connect_urls: [`127.0.0.1:${p1}`] });
    const u2 = await waitEvent(events, "update");
    assert.ok(u2.type === "update");
    assert.deepEqual(u2.added, []);
    assert.deepEqual(u2.deleted, [`127.0.0.1:${p2}`]);
    assert.deepEqual(nc.discoveredServers(), [`127.0.0.1:${p1}`]);
    // the same list again is no update
    events.length = 0;
    conn.info({ ...fake.info, connect_urls: [`127.0.0.1:${p1}`] });
    await nc.flush();
    assert.ok(!events.some((e) => e.type === "update"));
  });

  it("ignoreDiscoveredServers: connect_urls are ignored", async () => {
    const p1 = await freePort();
    const { fake, conn, nc, events } = await setup({ ignoreDiscoveredServers: true });
    conn.info({ ...fake.info, connect_urls: [`127.0.0.1:${p1}`] });
    await nc.flush();
    assert.deepEqual(nc.discoveredServers(), []);
    assert.ok(!events.some((e) => e.type === "update"));
  });

  it("an INFO that is not JSON is a ProtocolError", async () => {
    const { conn, nc } = await setup({ reconnect: false });
    conn.send("INFO {not json\r\n");
    const err = await nc.closed();
    assert.ok(err instanceof ProtocolError, String(err));
  });
});

describe("-ERR", () => {
  it("an unknown -ERR closes the connection (even with reconnect on) with a ServerError", async () => {
    const { conn, nc, events } = await setup({ reconnectTimeWait: 10 });
    conn.send("-ERR 'Something Entirely Unexpected'\r\n");
    const err = await nc.closed();
    assert.ok(err instanceof ServerError, `expected ServerError, got ${String(err)}`);
    assert.equal(err.code, "SERVER_ERROR");
    assert.match(err.message, /Something Entirely Unexpected/);
    const e = events.find((s) => s.type === "error");
    assert.ok(e && e.type === "error" && e.error === err);
    assert.ok(nc.isClosed());
    await conn.closed;
  });

  it("-ERR 'Authorization Violation' after connect with reconnect off: closed() is an AuthorizationError", async () => {
    const { conn, nc } = await setup({ reconnect: false });
    conn.send("-ERR 'Authorization Violation'\r\n");
    const err = await nc.closed();
    assert.ok(err instanceof AuthorizationError, `expected AuthorizationError, got ${String(err)}`);
    assert.equal(err.code, "AUTHORIZATION_VIOLATION");
  });

  it("-ERR 'Stale Connection' with reconnect on makes the client reconnect", async () => {
    const { fake, conn, nc, events } = await setup({ reconnectTimeWait: 10 });
    conn.send("-ERR 'Stale Connection'\r\n");
    conn.close();
    await fake.nextConnection();
    await waitEvent(events, "reconnect");
    const d = events.find((s) => s.type === "disconnect");
    assert.ok(d && d.type === "disconnect" && d.error instanceof StaleConnectionError, JSON.stringify(d));
    assert.ok(nc.isConnected());
  });

  it("a permissions violation -ERR for a sid closes exactly that subscription", async () => {
    const { conn, nc } = await setup();
    const s1 = nc.subscribe("perm.x");
    const s2 = nc.subscribe("perm.x");
    await poll(() => (conn.lines.filter((l) => l.startsWith("SUB perm.x ")).length === 2 ? true : undefined), 5_000, () => "SUBs not seen");
    conn.send(`-ERR 'Permissions Violation for Subscription to "perm.x" (sid "${s2.getID()}")'\r\n`);
    await s2.closed;
    assert.equal(s2.getError()?.constructor.name, "PermissionViolationError");
    assert.equal(s1.isClosed(), false);
    assert.ok(nc.isConnected());
    conn.msg("perm.x", s1.getID(), "still");
    assert.equal((await s1.next({ timeout: 5_000 })).string(), "still");
  });
});
