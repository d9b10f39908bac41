// retryOnFailedConnect: connect() resolves with no server up, keeps trying, and once a real
// nats-server starts on the chosen port it connects and delivers what was published in between.
import { describe, it, after } from "node:test";
import { strict as assert } from "node:assert";
import { NatsServer } from "../support/server.js";
import { countStatus, recordStatus } from "../support/events.js";
import { Connections, until } from "../support/helpers.js";
import { freePort } from "../support/ports.js";
import { connect, ConnectionError, NoServersError } from "../../src/index.js";

describe("retryOnFailedConnect", () => {
  const servers: NatsServer[] = [];
  const conns = new Connections();
  after(async () => {
    await conns.closeAll();
    for (const s of servers) await s.stop();
  });

  it("resolves at once, buffers, and delivers once the server starts on the chosen port", async () => {
    const port = await freePort();
    const nc = await conns.open({ servers: `nats://127.0.0.1:${port}`, retryOnFailedConnect: true, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    const ev = recordStatus(nc);
    assert.equal(nc.isConnected(), false);
    assert.equal(nc.isClosed(), false);
    assert.equal(nc.getServer(), "");

    const got: string[] = [];
    nc.subscribe("retry.data", { callback: (_e, m) => got.push(m.string()) }); // subscribed before any server exists
    for (let i = 0; i < 50; i++) nc.publish("retry.data", `m${i}`);
    assert.ok(nc.buffered() > 0, "publishes are held until the first connection");
    await until(() => countStatus(ev, "reconnecting") >= 2, "at least two failed attempts");
    assert.equal(nc.isConnected(), false);

    const srv = await NatsServer.start({ port });
    servers.push(srv);
    await until(() => nc.isConnected(), "the first connection");
    assert.equal(nc.getServer(), srv.hostport);
    await nc.flush();
    await until(() => got.length >= 50, "the 50 messages published before the server existed");
    assert.deepEqual(
      got,
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
    assert.equal(nc.buffered(), 0);
    assert.equal(nc.stats().reconnects, 0, "the first connection is not a reconnect");
    assert.equal(countStatus(ev, "close"), 0);

    // afterwards it is an ordinary connection: a second client sees its messages
    const other = await conns.open({ servers: srv.url });
    const seen: string[] = [];
    other.subscribe("retry.more", { callback: (_e, m) => seen.push(m.string()) });
    await other.flush();
    nc.publish("retry.more", "hello");
    await nc.flush();
    await until(() => seen.length === 1, "a message to a second client");
  });

  it("gives up after maxReconnectAttempts and closes with NoServersError", async () => {
    const port = await freePort();
    const nc = await connect({ servers: `127.0.0.1:${port}`, retryOnFailedConnect: true, reconnectTimeWait: 20, maxReconnectAttempts: 3 });
    const ev = recordStatus(nc);
    const err = await nc.closed();
    assert.ok(err instanceof NoServersError, `closed() resolved to ${String(err)}`);
    assert.equal(err.code, "NO_SERVERS");
    assert.ok(err.cause instanceof ConnectionError, `cause is ${String(err.cause)}`);
    assert.ok(countStatus(ev, "reconnecting") <= 3);
    assert.equal(nc.isClosed(), true);
  });

  it("without it, connect() to a port nobody listens on rejects with NoServersError", async () => {
    const port = await freePort();
    const err = await connect({ servers: `127.0.0.1:${port}` }).then(
      async (nc) => {
        await nc.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    assert.ok(err instanceof NoServersError, `connect rejected with ${String(err)}`);
    assert.ok(err.cause instanceof ConnectionError);
  });
});
