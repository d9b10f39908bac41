// connect(): server URL forms, option validation, and failures (no server, no INFO).
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import {
  connect,
  ConnectionError,
  InvalidArgumentError,
  NatsConnection,
  NatsError,
  NoServersError,
  TimeoutError,
  type ConnectionOptions,
} from "../../src/index.js";
import { NatsServer, monitorGet } from "../support/server.js";
import { FakeServer } from "../support/fake_server.js";
import { freePort } from "../support/ports.js";
import { Connections } from "../support/helpers.js";

let a: NatsServer;
let b: NatsServer;
const conns = new Connections();
const open = conns.open;

async function totalConnections(s: NatsServer): Promise<number> {
  const v = await monitorGet<{ total_connections: number }>(s.monitorPort!, "/varz");
  assert.equal(typeof v.total_connections, "number");
  return v.total_connections;
}

/** connect() either throws synchronously or rejects: both count, with an InvalidArgumentError. */
async function rejectsInvalid(opts: unknown, what: RegExp | string): Promise<void> {
  await assert.rejects(
    async () => connect(opts as ConnectionOptions),
    (e: unknown) => {
      assert.ok(e instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(e)}`);
      assert.ok(e instanceof NatsError);
      assert.equal(e.code, "INVALID_ARGUMENT");
      if (typeof what === "string") assert.ok(e.message.includes(what), e.message);
      else assert.match(e.message, what);
      return true;
    },
  );
}

before(async () => {
  [a, b] = await Promise.all([NatsServer.start({ monitor: true }), NatsServer.start({ monitor: true })]);
});

after(async () => {
  await conns.closeAll();
  await Promise.all([a.stop(), b.stop()]);
});

describe("server URL forms", () => {
  it("host:port", async () => {
    const nc = await open({ servers: a.hostport });
    await nc.flush();
    assert.equal(nc.getServer(), a.hostport);
    assert.equal(nc.info?.port, a.port);
  });

  it("nats://host:port", async () => {
    const nc = await open({ servers: a.url });
    await nc.flush();
    assert.equal(nc.getServer(), a.hostport);
  });

  it("a comma-separated list in one string (spaces allowed)", async () => {
    const nc1 = await open({ servers: `${a.url}, ${b.hostport}`, noRandomize: true });
    assert.equal(nc1.getServer(), a.hostport);
    const nc2 = await open({ servers: `${b.hostport} ,nats://${a.hostport}`, noRandomize: true });
    assert.equal(nc2.getServer(), b.hostport);
    // a dead first entry: the second entry of the string is reached
    const dead = await freePort();
    const nc3 = await open({ servers: `127.0.0.1:${dead},${b.url}`, noRandomize: true });
    assert.equal(nc3.getServer(), b.hostport);
  });

  it("an array of URLs, mixing forms", async () => {
    const nc1 = await open({ servers: [b.url, a.hostport], noRandomize: true });
    assert.equal(nc1.getServer(), b.hostport);
    const dead = await freePort();
    const nc2 = await open({ servers: [`nats://127.0.0.1:${dead}`, a.hostport], noRandomize: true });
    assert.equal(nc2.getServer(), a.hostport);
    // an array entry may itself be a comma-separated list
    const nc3 = await open({ servers: [`127.0.0.1:${dead},${b.hostport}`], noRandomize: true });
    assert.equal(nc3.getServer(), b.hostport);
  });

  it("with randomization every listed server is eventually used", async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40 && seen.size < 2; i++) {
      const nc = await connect({ servers: [a.url, b.url] });
      seen.add(nc.getServer());
      await nc.close();
    }
    assert.deepEqual([...seen].sort(), [a.hostport, b.hostport].sort());
  });

  it("rejects malformed URLs and unsupported schemes", async () => {
    await rejectsInvalid({ servers: "http://127.0.0.1:4222" }, /scheme/);
    await rejectsInvalid({ servers: "nats://127.0.0.1:99999" }, /99999/);
    await rejectsInvalid({ servers: "nats://bad host:4222" }, /server URL/);
    await rejectsInvalid({ servers: " , " }, /servers/);
  });
});

describe("option validation", () => {
  it("an unknown option is rejected before any connection is made", async () => {
    const before = await totalConnections(a);
    await rejectsInvalid({ servers: a.url, bogusOption: true }, "bogusOption");
    await rejectsInvalid({ servers: a.url, reconectTimeWait: 10 }, "reconectTimeWait");
    // a successful connection afterwards is the only new one the server saw
    const nc = await open({ servers: a.url });
    await nc.flush();
    assert.equal(await totalConnections(a), before + 1);
  });

  it("negative or zero timeouts and other bad numbers are rejected", async () => {
    const before = await totalConnections(a);
    await rejectsInvalid({ servers: a.url, timeout: -1 }, "timeout");
    await rejectsInvalid({ servers: a.url, timeout: 0 }, "timeout");
    await rejectsInvalid({ servers: a.url, requestTimeout: -5 }, "requestTimeout");
    await rejectsInvalid({ servers: a.url, pingInterval: -1 }, "pingInterval");
    await rejectsInvalid({ servers: a.url, drainTimeout: -1 }, "drainTimeout");
    await rejectsInvalid({ servers: a.url, maxPingOut: 0 }, "maxPingOut");
    await rejectsInvalid({ servers: a.url, maxReconnectAttempts: -2 }, "maxReconnectAttempts");
    await rejectsInvalid({ servers: a.url, timeout: Number.NaN }, "timeout");
    await rejectsInvalid({ servers: a.url, replySpin: -1 }, "replySpin");
    await rejectsInvalid({ servers: a.url, replySpin: 10_001 }, "replySpin");
    await rejectsInvalid({ servers: a.url, replySpin: Number.POSITIVE_INFINITY }, "replySpin");
    await rejectsInvalid({ servers: a.url, replySpin: "100" as unknown as number }, "replySpin");
    assert.equal(await totalConnections(a), before);
  });

  it("wrongly typed options are rejected", async () => {
    await rejectsInvalid({ servers: a.url, timeout: "100" }, "timeout");
    await rejectsInvalid({ servers: a.url, reconnect: "yes" }, "reconnect");
    await rejectsInvalid({ servers: 4222 }, "servers");
    await rejectsInvalid({ servers: [a.url, 1] }, "servers");
    await rejectsInvalid({ servers: a.url, name: 5 }, "name");
    await rejectsInvalid({ servers: a.url, authenticator: "token" }, "authenticator");
    await rejectsInvalid("nats://127.0.0.1:4222", "options");
  });

  it("an invalid inboxPrefix is rejected", async () => {
    await rejectsInvalid({ servers: a.url, inboxPrefix: "bad prefix" }, "inboxPrefix");
    await rejectsInvalid({ servers: a.url, inboxPrefix: "_INBOX.*" }, "inboxPrefix");
    await rejectsInvalid({ servers: a.url, inboxPrefix: "_INBOX." }, "inboxPrefix");
  });

  it("explicitly undefined options fall back to the defaults", async () => {
    const nc = await open({ servers: a.url, timeout: undefined, name: undefined });
    await nc.flush();
    assert.ok(nc.isConnected());
  });
});

describe("connection failures", () => {
  it("no server listening: NoServersError naming the server and why, with the socket error as cause", async () => {
    const port = await freePort();
    await assert.rejects(connect({ servers: `127.0.0.1:${port}`, reconnect: false }), (e: unknown) => {
      assert.ok(e instanceof NoServersError, `expected NoServersError, got ${String(e)}`);
      assert.equal(e.code, "NO_SERVERS");
      assert.equal(e.message, `could not connect to any server: 127.0.0.1:${port} (ECONNREFUSED)`);
      assert.ok(e.cause instanceof Error, "cause must be set");
      assert.ok(e.cause instanceof ConnectionError, String(e.cause));
      return true;
    });
  });

  it("several dead servers: every one is tried once, then NoServersError naming each", async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    await assert.rejects(
      connect({ servers: ports.map((p) => `nats://127.0.0.1:${p}`), maxReconnectAttempts: -1, reconnectTimeWait: 10 }),
      (e: unknown) => {
        assert.ok(e instanceof NoServersError && e.cause instanceof Error, String(e));
        // the pool is shuffled: each server once, in any order
        const tried = e.message.replace("could not connect to any server: ", "").split(", ").sort();
        assert.deepEqual(tried, ports.map((p) => `127.0.0.1:${p} (ECONNREFUSED)`).sort(), e.message);
        return true;
      },
    );
  });

  it("the message lists the servers in the order tried, each with a short reason; cause is the last error", async () => {
    const locked = await NatsServer.start({ config: `authorization { user: "alice", password: "right" }` });
    try {
      const dead = await freePort();
      await assert.rejects(connect({ servers: [locked.url, `127.0.0.1:${dead}`], user: "alice", pass: "wrong", noRandomize: true }), (e: unknown) => {
        assert.ok(e instanceof NoServersError, `expected NoServersError, got ${String(e)}`);
        assert.equal(e.code, "NO_SERVERS");
        assert.equal(e.message, `could not connect to any server: ${locked.hostport} (AUTHORIZATION_VIOLATION), 127.0.0.1:${dead} (ECONNREFUSED)`);
        assert.ok(e.cause instanceof ConnectionError, `cause should be the last server's error: ${String(e.cause)}`);
        return true;
      });
    } finally {
      await locked.stop();
    }
  });

  it("a server that never sends INFO: connect() rejects after the connect timeout", async () => {
    const fake = await FakeServer.start({ autoHandshake: false });
    try {
      const p = connect({ servers: fake.url, timeout: 300, reconnect: false });
      const conn = await fake.nextConnection();
      await assert.rejects(p, (e: unknown) => {
        assert.ok(e instanceof NatsError, String(e));
        assert.equal(e.code, "NO_SERVERS");
        assert.equal(e.message, `could not connect to any server: ${fake.hostport} (TIMEOUT)`);
        assert.ok(e.cause instanceof TimeoutError, `cause should be a TimeoutError: ${String(e.cause)}`);
        return true;
      });
      // the client gave up on the socket and sent nothing
      await conn.closed;
      assert.deepEqual(conn.lines, []);
    } finally {
      await fake.stop();
    }
  });

  it("connect() to a working server in the list after one that never sends INFO", async () => {
    const fake = await FakeServer.start({ autoHandshake: false });
    try {
      const nc = await open({ servers: [fake.url, a.url], timeout: 300, noRandomize: true });
      assert.equal(nc.getServer(), a.hostport);
    } finally {
      await fake.stop();
    }
  });
});

describe("a connected client", () => {
  it("reports its name to the server and exposes the server's INFO", async () => {
    const nc = await open({ servers: a.url, name: "connect-test-client" });
    await nc.flush();
    const cz = await monitorGet<{ connections: { name?: string; lang?: string }[] }>(a.monitorPort!, "/connz");
    const me = cz.connections.find((c) => c.name === "connect-test-client");
    assert.ok(me, "named connection not found in /connz");
    assert.equal(me.lang, "tsnats");
    assert.equal(typeof nc.info?.server_id, "string");
    assert.equal(nc.info?.headers, true);
  });

  it("noEcho: the connection does not receive its own messages", async () => {
    const quiet = await open({ servers: a.url, noEcho: true });
    const other = await open({ servers: a.url });
    const got: string[] = [];
    quiet.subscribe("echo.test", { callback: (_e, m) => got.push(m.string()) });
    await quiet.flush();
    quiet.publish("echo.test", "mine");
    other.publish("echo.test", "theirs");
    await quiet.flush();
    await other.flush();
    await quiet.flush();
    assert.deepEqual(got, ["theirs"]);
  });

  it("close() resolves closed() with undefined; operations then fail with CONNECTION_CLOSED", async () => {
    const nc = await connect({ servers: a.url });
    await nc.close();
    assert.equal(await nc.closed(), undefined);
    assert.equal(nc.isClosed(), true);
    assert.throws(() => nc.publish("x", "y"), (e: unknown) => e instanceof NatsError && e.code === "CONNECTION_CLOSED");
    await assert.rejects(nc.request("x", "y"), (e: unknown) => e instanceof NatsError && e.code === "CONNECTION_CLOSED");
    await assert.rejects(nc.flush(), (e: unknown) => e instanceof NatsError && e.code === "CONNECTION_CLOSED");
  });

  it("supports await using", async () => {
    let ref: NatsConnection | undefined;
    {
      await using nc = await connect({ servers: a.url });
      ref = nc;
      await nc.flush();
    }
    assert.equal(ref.isClosed(), true);
  });
});
