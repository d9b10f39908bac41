// Reconnecting to a single real nats-server: kill/restart, re-sent subscriptions (with the remaining
// auto-unsubscribe count), forced reconnect, stale connection (SIGSTOPped server), reconnect disabled,
// authorization errors, per-URL credentials, drain() and in-flight requests across an outage.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { NatsServer, monitorGet } from "../support/server.js";
import { useServer } from "../support/fixtures.js";
import { nextEvent, recordStatus, statusTypes } from "../support/events.js";
import { range, until } from "../support/helpers.js";
import { sleep } from "../support/ports.js";
import {
  connect,
  AuthorizationError,
  ConnectionClosedError,
  NatsError,
  StaleConnectionError,
  TimeoutError,
} from "../../src/index.js";

describe("reconnect to a single server", () => {
  const srv = useServer({ server: { monitor: true }, connection: { reconnectTimeWait: 100, maxReconnectAttempts: -1 }, resetAfterEach: true });

  it("keeps subscriptions and delivers outage publishes in order after each restart", async () => {
    const nc = await srv.connect();
    const ev = recordStatus(nc);
    const got: number[] = [];
    nc.subscribe("rc.seq", { callback: (_e, m) => got.push(Number(m.string())) });
    let seq = 0;
    const publish = (n: number) => {
      for (let i = 0; i < n; i++) nc.publish("rc.seq", String(seq++));
    };
    publish(10);
    await nc.flush();
    await until(() => got.length === 10, "the first 10 messages");

    for (let round = 1; round <= 2; round++) {
      await srv.killAndWait(nc);
      assert.equal(nc.isConnected(), false);
      assert.equal(nc.getServer(), "");
      publish(100); // into the reconnect buffer
      assert.ok(nc.buffered() > 0, "outage publishes are held in the reconnect buffer");
      await srv.restartAndWait(nc);
      publish(10);
      await nc.flush();
      await until(() => got.length >= seq, `all ${seq} messages after restart ${round}`);
      assert.equal(nc.stats().reconnects, round);
      assert.equal(nc.buffered(), 0);
    }
    assert.deepEqual(got, range(seq), "every message exactly once, in publish order");
    assert.deepEqual(statusTypes(ev, ["disconnect", "reconnect", "close"]), ["disconnect", "reconnect", "disconnect", "reconnect"]);
    const attempts = ev.filter((s) => s.type === "reconnecting");
    assert.ok(attempts.length >= 2);
    for (const a of attempts) if (a.type === "reconnecting") assert.equal(a.server, srv.server.hostport);
  });

  it("re-sends an auto-unsubscribe with the remaining count", async () => {
    const nc = await srv.connect();
    const sub = nc.subscribe("rc.max", { max: 5, callback: () => undefined });
    let sentinels = 0;
    nc.subscribe("rc.sentinel", { callback: () => sentinels++ });
    nc.publish("rc.max", "a");
    nc.publish("rc.max", "b");
    await nc.flush();
    await until(() => sub.getReceived() === 2, "2 messages before the outage");

    await srv.killAndWait(nc);
    await srv.restartAndWait(nc);
    await nc.flush();
    const before = nc.stats().inMsgs;
    for (let i = 0; i < 10; i++) nc.publish("rc.max", `x${i}`);
    nc.publish("rc.sentinel"); // the server delivers in order: once it is here, nothing else is coming
    await until(() => sentinels === 1, "the sentinel");
    // the server itself stopped after 3 (UNSUB <sid> 3 re-sent), not 5: count what arrived on the wire
    assert.equal(nc.stats().inMsgs - before, 3 + 1);
    assert.equal(sub.getReceived(), 5);
    await sub.closed;
    assert.equal(sub.isClosed(), true);
  });

  it("nc.reconnect() forces a reconnect: events, stats, working subscriptions", async () => {
    const nc = await srv.connect();
    const other = await srv.connect();
    const ev = recordStatus(nc);
    const got: string[] = [];
    nc.subscribe("rc.forced", { callback: (_e, m) => got.push(m.string()) });
    await nc.flush();
    other.publish("rc.forced", "before");
    await until(() => got.length === 1, "a message before the forced reconnect");

    await nc.reconnect();
    assert.equal(nc.isConnected(), true);
    assert.equal(nc.getServer(), srv.server.hostport);
    assert.equal(nc.stats().reconnects, 1);
    assert.deepEqual(statusTypes(ev, ["disconnect", "reconnecting", "reconnect"]), ["disconnect", "reconnecting", "reconnect"]);
    await nc.flush();
    other.publish("rc.forced", "after");
    await until(() => got.length === 2, "a message after the forced reconnect");
    assert.deepEqual(got, ["before", "after"]);
  });

  it("nc.reconnect() loses no publish it had accepted (the server is alive)", async () => {
    const nc = await srv.connect();
    const counter = await srv.connect();
    let received = 0;
    counter.subscribe("rc.bulk", { callback: () => received++ });
    await counter.flush();
    await nc.flush();
    const payload = new Uint8Array(16 * 1024);
    const n = 1024; // 16 MiB
    // while the server is paused the socket fills up, so part of what was accepted is still queued
    // in the client's socket when the forced reconnect happens
    process.kill(srv.server.pid, "SIGSTOP");
    try {
      for (let i = 0; i < n; i++) nc.publish("rc.bulk", payload);
    } finally {
      process.kill(srv.server.pid, "SIGCONT");
    }
    await nc.reconnect();
    nc.publish("rc.bulk", "end");
    await nc.flush();
    await until(() => received >= n + 1, "the bulk publishes", 3_000).catch(() => undefined);
    assert.equal(received, n + 1, `${n + 1 - received} accepted publishes were lost by the forced reconnect`);
  });

  it("a stale connection (server stops answering) reconnects instead of closing", async () => {
    const nc = await srv.connect({ pingInterval: 100, maxPingOut: 2, timeout: 300 });
    const ev = recordStatus(nc);
    const got: string[] = [];
    nc.subscribe("rc.stale", { callback: (_e, m) => got.push(m.string()) });
    await nc.flush();
    const stale = nextEvent(nc, "staleConnection");
    process.kill(srv.server.pid, "SIGSTOP");
    try {
      await stale;
    } finally {
      process.kill(srv.server.pid, "SIGCONT");
    }
    await nextEvent(nc, "reconnect");
    assert.equal(nc.isClosed(), false);
    assert.equal(nc.stats().reconnects, 1);
    const seq = statusTypes(ev, ["staleConnection", "disconnect", "reconnect"]);
    assert.deepEqual(seq.slice(0, 3), ["staleConnection", "disconnect", "reconnect"]);
    const disc = ev.find((s) => s.type === "disconnect");
    assert.ok(disc?.type === "disconnect" && disc.error instanceof StaleConnectionError);
    await nc.flush();
    nc.publish("rc.stale", "alive");
    await until(() => got.length === 1, "a message after the stale reconnect");
  });

  it("reconnect: false closes on the first disconnect", async () => {
    const nc = await srv.connect({ reconnect: false });
    const ev = recordStatus(nc);
    await srv.server.kill();
    const err = await nc.closed();
    assert.ok(err instanceof NatsError, `closed() resolved to ${String(err)}`);
    assert.equal(nc.isClosed(), true);
    assert.deepEqual(statusTypes(ev, ["disconnect", "reconnecting", "reconnect", "close"]), ["disconnect", "close"]);
    assert.throws(() => nc.publish("rc.x"), ConnectionClosedError);
    await assert.rejects(nc.reconnect(), ConnectionClosedError);
  });

  it("the same authorization error twice stops retrying; a single server closes with it", { timeout: 20_000 }, async () => {
    const auth = await NatsServer.start({ config: `authorization { user: "u", password: "p1" }` });
    try {
      const nc = await connect({ servers: auth.url, user: "u", pass: "p1", reconnectTimeWait: 50, maxReconnectAttempts: -1 });
      const ev = recordStatus(nc);
      auth.setOptions({ config: `authorization { user: "u", password: "p2" }` });
      await auth.restart();
      const err = await nc.closed(); // would never resolve if it kept retrying (-1 = forever)
      assert.ok(err instanceof AuthorizationError, `closed() resolved to ${String(err)}`);
      assert.equal(err.code, "AUTHORIZATION_VIOLATION");
      assert.equal(nc.isClosed(), true);
      assert.ok(ev.filter((s) => s.type === "reconnecting").length >= 2);
      assert.equal(ev.filter((s) => s.type === "reconnect").length, 0);
    } finally {
      await auth.stop();
    }
  });

  it("credentials in a URL are used for that server only", async () => {
    const a = await NatsServer.start({ config: `authorization { user: "ua", password: "pa" }` });
    const b = await NatsServer.start({ config: `authorization { user: "ub", password: "pb" }` });
    try {
      const nc = await connect({
        servers: [`nats://ua:pa@${a.hostport}`, b.url],
        noRandomize: true,
        user: "ub",
        pass: "pb",
        reconnectTimeWait: 50,
        maxReconnectAttempts: -1,
      });
      srv.track(nc);
      assert.equal(nc.getServer(), a.hostport);
      const rec = nextEvent(nc, "reconnect");
      await a.kill();
      await rec; // b accepts only ub/pb: the URL's ua/pa must not be sent to it
      assert.equal(nc.getServer(), b.hostport);
      await a.restart();
      await nc.reconnect(); // next in the pool is a again, with the URL's credentials
      assert.equal(nc.getServer(), a.hostport);
      await nc.flush();
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  it("drain() during a reconnect completes once reconnected, after sending the buffered publishes", async () => {
    const nc = await srv.connect();
    const got: string[] = [];
    const sub = nc.subscribe("rc.drain", { callback: (_e, m) => got.push(m.string()) });
    await nc.flush();
    await srv.killAndWait(nc);
    for (let i = 0; i < 20; i++) nc.publish("rc.drain.out", String(i));
    let drained = false;
    const d = nc.drain().then(() => (drained = true));
    await sleep(200);
    assert.equal(drained, false, "drain cannot complete while the server is down");
    assert.equal(nc.isDraining(), true);
    await srv.server.restart();
    await d;
    assert.equal(await nc.closed(), undefined);
    await sub.closed;
    const varz = await monitorGet<{ in_msgs: number }>(srv.server.monitorPort!, "/varz");
    assert.ok(varz.in_msgs >= 20, `the restarted server received ${varz.in_msgs} messages, want the 20 buffered`);
  });

  it("drain() rejects with TimeoutError at its timeout when the server never returns", async () => {
    const nc = await srv.connect();
    nc.subscribe("rc.drain2");
    await nc.flush();
    await srv.killAndWait(nc);
    const err = await nc.drain({ timeout: 300 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof TimeoutError, `drain rejected with ${String(err)}`);
    assert.equal(nc.isClosed(), true);
    assert.equal(await nc.closed(), err);
  });

  it("an in-flight request whose reply is lost rejects with TimeoutError at its own timeout", async () => {
    const nc = await srv.connect({ requestTimeout: 3_000 });
    const hole = await srv.connect();
    let seen = 0;
    hole.subscribe("rc.hole", { callback: () => seen++ }); // never replies
    await hole.flush();
    let settled = false;
    const res = nc.request("rc.hole", "q").then(
      () => ((settled = true), undefined),
      (e: unknown) => ((settled = true), e),
    );
    await until(() => seen === 1, "the request to reach the silent responder");
    await srv.killAndWait(nc);
    await sleep(50);
    assert.equal(settled, false, "the disconnect must not fail the request");
    await srv.restartAndWait(nc);
    assert.equal(settled, false, "the reconnect must not fail the request");
    const err = await res;
    assert.ok(err instanceof TimeoutError, `request rejected with ${String(err)}`);
    assert.equal(err.code, "TIMEOUT");
  });

  it("failRequestsOnDisconnect rejects in-flight requests at once on disconnect", async () => {
    const nc = await srv.connect({ failRequestsOnDisconnect: true, requestTimeout: 10_000 });
    const hole = await srv.connect();
    let seen = 0;
    hole.subscribe("rc.hole2", { callback: () => seen++ });
    await hole.flush();
    const res = nc.request("rc.hole2", "q").then(
      () => undefined,
      (e: unknown) => e,
    );
    await until(() => seen === 1, "the request to reach the silent responder");
    await srv.server.kill();
    const err = await res;
    assert.ok(err instanceof NatsError, `request rejected with ${String(err)}`);
    assert.ok(!(err instanceof TimeoutError), "rejected because of the disconnect, not the timeout");
    assert.equal(nc.isConnected(), false, "rejected while still disconnected");
    assert.equal(nc.isClosed(), false, "the connection itself keeps reconnecting");
  });
});
