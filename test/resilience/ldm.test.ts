// Lame duck mode on a real 3-node cluster: `nats-server --signal ldm` on the node a client is connected
// to raises the `ldm` status event, and the client moves to another node with its subscriptions intact.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsServer } from "../support/server.js";
import { useCluster, waitForRoutedInterest } from "../support/fixtures.js";
import { nextEvent, recordStatus, statusTypes } from "../support/events.js";
import { until } from "../support/helpers.js";
import type { NatsConnection } from "../../src/index.js";

describe("lame duck mode", () => {
  const cluster = useCluster({ size: 3, server: { lameDuckDuration: "30s" } });

  /** A client of the lame duck node (tried first) that has discovered the other two. */
  async function duckClient(duck: NatsServer): Promise<NatsConnection> {
    const nc = await cluster.connect({ servers: duck.url, noRandomize: true, reconnectTimeWait: 100, maxReconnectAttempts: -1 });
    await until(() => nc.discoveredServers().length === 2, "discovery of the other nodes");
    return nc;
  }

  /** An observer on a node that stays up and never follows discovered servers. */
  function observerOn(node: NatsServer): Promise<NatsConnection> {
    return cluster.connect({ servers: node.url, ignoreDiscoveredServers: true });
  }

  /** Waits until every node other than the observer's knows of the observer's interest in `subject`. */
  function observerInterest(obs: NatsConnection, observerNode: NatsServer, subject: string): Promise<void> {
    const others = cluster.servers.filter((s) => s !== observerNode);
    return waitForRoutedInterest(others, obs.info!.server_id, subject, "the observer's interest to reach every node");
  }

  it("raises `ldm` and moves to another node without losing subscriptions", { timeout: 30_000 }, async () => {
    const [, duck, observerNode] = cluster.servers as [NatsServer, NatsServer, NatsServer];
    const nc = await duckClient(duck);
    const obs = await observerOn(observerNode);
    assert.equal(nc.getServer(), duck.hostport);

    const ev = recordStatus(nc);
    const got: string[] = [];
    const sub = nc.subscribe("ldm.in", { callback: (_e, m) => got.push(m.string()) });
    const auto = nc.subscribe("ldm.auto", { max: 3, callback: () => undefined });
    const seen: string[] = [];
    obs.subscribe("ldm.out", { callback: (_e, m) => seen.push(m.string()) });
    await obs.flush();
    await nc.flush();
    // before: obs -> nc across the route, nc -> obs across the route
    await until(() => {
      obs.publish("ldm.in", "probe");
      return got.length > 0;
    }, "the first message across the cluster");
    obs.publish("ldm.auto", "1");
    await until(() => auto.getReceived() === 1, "the first auto-unsubscribe message");

    const ldm = nextEvent(nc, "ldm");
    const rec = nextEvent(nc, "reconnect");
    await duck.signal("ldm");
    const ldmEvent = await ldm;
    assert.ok(ldmEvent.type === "ldm" && ldmEvent.server === duck.hostport, `ldm event: ${JSON.stringify(ldmEvent)}`);
    await rec;
    assert.equal(nc.isConnected(), true);
    assert.notEqual(nc.getServer(), duck.hostport, "moved off the lame duck node");
    assert.ok(
      cluster.servers.some((s) => s !== duck && s.hostport === nc.getServer()),
      `connected to ${nc.getServer()}`,
    );
    assert.deepEqual(statusTypes(ev, ["ldm", "disconnect", "reconnect", "close"]), ["ldm", "disconnect", "reconnect"]);
    assert.equal(nc.stats().reconnects, 1);

    // after: the same subscriptions keep receiving, and publishing still reaches the observer
    const before = got.length;
    await until(() => {
      obs.publish("ldm.in", "after");
      return got.length > before;
    }, "a message on the old subscription after the move");
    assert.equal(sub.isClosed(), false);
    for (let i = 0; i < 5; i++) obs.publish("ldm.auto", `x${i}`);
    await obs.flush();
    await until(() => auto.getReceived() === 3, "the remaining 2 auto-unsubscribe messages");
    await until(() => {
      nc.publish("ldm.out", "hello");
      return seen.length > 0;
    }, "a publish from the moved client");
    // the lame duck node would otherwise linger for lame_duck_duration; bring it back for the next test
    await duck.restart();
    await cluster.waitForRoutes();
  });

  it("loses nothing published across the switch", { timeout: 30_000 }, async () => {
    const [, duck, observerNode] = cluster.servers as [NatsServer, NatsServer, NatsServer];
    const obs = await observerOn(observerNode);
    const TOTAL = 200_000; // upper bound; stops 5,000 after the reconnect
    const counts = new Uint8Array(TOTAL); // indexed by sequence number
    let received = 0;
    obs.subscribe("ldm.flow", {
      callback: (_e, m) => {
        counts[new DataView(m.data.buffer, m.data.byteOffset, 4).getUint32(0)]!++;
        received++;
      },
    });
    await obs.flush();
    const nc = await duckClient(duck);
    // every node the publisher may use must know about the observer's interest before we start
    await observerInterest(obs, observerNode, "ldm.flow");
    let seq = 0;
    let atLdm = -1;
    let atReconnect = -1;
    nc.on("ldm", () => (atLdm = seq));
    nc.on("reconnect", () => (atReconnect = seq));
    const payload = new Uint8Array(256);
    const view = new DataView(payload.buffer);
    let signalled: Promise<void> | undefined;
    // publish a slice on every turn of the event loop: before the signal, between the ldm INFO and the
    // reconnect, and after it, until 5,000 more went out through the new node
    await new Promise<void>((resolve, reject) => {
      const tick = () => {
        try {
          // a well-behaved publisher: only adds more while little is waiting to be written
          for (let i = 0; i < 100 && seq < TOTAL && nc.buffered() < 256 * 1024; i++) {
            view.setUint32(0, seq++);
            nc.publish("ldm.flow", payload);
          }
        } catch (err) {
          reject(err as Error);
          return;
        }
        if (seq >= 5_000 && !signalled) signalled = duck.signal("ldm");
        if (seq < TOTAL && (atReconnect < 0 || seq < atReconnect + 5_000)) setImmediate(tick);
        else resolve();
      };
      tick();
    });
    await signalled;
    assert.ok(atLdm >= 5_000 && atReconnect >= atLdm && seq > atReconnect, `ldm at #${atLdm}, reconnect at #${atReconnect}, last #${seq}`);
    assert.notEqual(nc.getServer(), duck.hostport);
    await nc.flush();
    await until(() => received >= seq, `${seq} messages at the observer`, 15_000).catch(() => undefined);
    const sent = counts.subarray(0, seq);
    const missing = sent.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
    const dups = sent.reduce((n, v) => n + (v > 1 ? 1 : 0), 0);
    assert.equal(missing, 0, `${missing} of ${seq} accepted publishes lost across the lame duck switch`);
    assert.equal(received, seq);
    assert.equal(dups, 0);
    await duck.restart();
    await cluster.waitForRoutes();
  });

  it("loses nothing accepted before the ldm INFO, even with the socket still full", { timeout: 30_000 }, async () => {
    const [, duck, observerNode] = cluster.servers as [NatsServer, NatsServer, NatsServer];
    const obs = await observerOn(observerNode);
    let received = 0;
    obs.subscribe("ldm.burst", { callback: () => received++ });
    await obs.flush();
    const nc = await duckClient(duck);
    await observerInterest(obs, observerNode, "ldm.burst");
    const rec = nextEvent(nc, "reconnect");
    const n = 1024;
    const payload = new Uint8Array(16 * 1024);
    // pause the node so that 16 MiB cannot be written at once; the ldm signal is handled as soon as it
    // resumes, while the client still has accepted bytes queued for the (live) lame duck server
    process.kill(duck.pid, "SIGSTOP");
    try {
      for (let i = 0; i < n; i++) nc.publish("ldm.burst", payload);
      await duck.signal("ldm");
    } finally {
      process.kill(duck.pid, "SIGCONT");
    }
    await rec;
    nc.publish("ldm.burst", "end");
    await nc.flush();
    await until(() => received >= n + 1, "every message at the observer", 3_000).catch(() => undefined);
    assert.equal(received, n + 1, `${n + 1 - received} accepted publishes lost when moving off the lame duck server`);
    await duck.kill();
  });
});
