// A real 3-node nats-server cluster: server pool order, discovery from INFO connect_urls (update
// events, ignoreDiscoveredServers), and a publisher that survives three node kills without losing or
// duplicating a single message it accepted.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import type { NatsServer } from "../support/server.js";
import { useCluster, waitForRoutedInterest } from "../support/fixtures.js";
import { nextEvent } from "../support/events.js";
import { until } from "../support/helpers.js";
import { connect, type NatsConnection } from "../../src/index.js";

type Update = { added: string[]; deleted: string[] };
function updates(nc: NatsConnection): Update[] {
  const list: Update[] = [];
  nc.on("update", (s) => {
    if (s.type === "update") list.push({ added: [...s.added], deleted: [...s.deleted] });
  });
  return list;
}

describe("cluster", () => {
  const cluster = useCluster({ size: 3, connection: { reconnectTimeWait: 100, maxReconnectAttempts: -1 } });

  it("configured servers are tried in order with noRandomize, shuffled otherwise", async () => {
    const [n0, n1, n2] = cluster.servers;
    const ordered = [n2!.url, n0!.url, n1!.url];
    const seenOrdered = new Set<string>();
    const seenRandom = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const nc = await connect({ servers: ordered, noRandomize: true, ignoreDiscoveredServers: true });
      seenOrdered.add(nc.getServer());
      await nc.close();
    }
    for (let i = 0; i < 30; i++) {
      const nc = await connect({ servers: ordered, ignoreDiscoveredServers: true });
      seenRandom.add(nc.getServer());
      await nc.close();
    }
    assert.deepEqual([...seenOrdered], [n2!.hostport]);
    assert.ok(seenRandom.size >= 2, `30 randomized connections all went to ${[...seenRandom].join(", ")}`);
  });

  it("learns the other nodes from the seed; update events track nodes leaving and returning", async () => {
    const [seed, n1, n2] = cluster.servers as [NatsServer, NatsServer, NatsServer];
    const nc = await cluster.connect({ servers: seed.url });
    const pinned = await cluster.connect({ servers: seed.url, ignoreDiscoveredServers: true });
    const ups = updates(nc);
    const pinnedUps = updates(pinned);
    assert.equal(nc.getServer(), seed.hostport);
    assert.deepEqual(nc.discoveredServers().sort(), [n1.hostport, n2.hostport].sort());
    assert.deepEqual(pinned.discoveredServers(), []);

    await n2.kill();
    await until(() => ups.some((u) => u.deleted.includes(n2.hostport)), `an update deleting ${n2.hostport}`);
    assert.deepEqual(nc.discoveredServers(), [n1.hostport]);
    await n2.restart();
    await cluster.waitForRoutes();
    await until(() => ups.some((u) => u.added.includes(n2.hostport)), `an update adding ${n2.hostport}`);
    assert.deepEqual(nc.discoveredServers().sort(), [n1.hostport, n2.hostport].sort());
    assert.deepEqual(ups.map((u) => [...u.added, ...u.deleted]).flat().sort(), [n2.hostport, n2.hostport]);
    assert.deepEqual(pinnedUps, []);
    assert.deepEqual(pinned.discoveredServers(), []);
    assert.equal(nc.isConnected() && pinned.isConnected(), true);
  });

  it("20,000 messages across 3 kills of the publisher's node: none lost, none duplicated", { timeout: 60_000 }, async (t) => {
    const TOTAL = 20_000;
    const PRE = 3_000; // per round, published and confirmed before the kill
    const OUTAGE = 3_000; // per round, published while disconnected (reconnect buffer)
    const SUBJECT = "res.data";
    const nodes = cluster.servers;
    const subNode = nodes[2]!;
    const sub = await cluster.connect({ servers: subNode.url, ignoreDiscoveredServers: true });
    const subCounts = new Uint8Array(TOTAL);
    let subReceived = 0;
    let inOrder = true;
    let last = -1;
    sub.subscribe(SUBJECT, {
      callback: (_e, m) => {
        const seq = Number(m.string());
        subCounts[seq]!++;
        subReceived++;
        if (seq <= last) inOrder = false;
        last = seq;
      },
    });
    await sub.flush();
    const subNodeId = sub.info!.server_id;

    const pub = await cluster.connect({ servers: nodes[0]!.url }); // the seed only; the rest is discovered
    await until(() => pub.discoveredServers().length === 2, "discovery of the other two nodes");
    const pubCounts = new Uint8Array(TOTAL);
    let pubReceived = 0;
    pub.subscribe(SUBJECT, {
      callback: (_e, m) => {
        pubCounts[Number(m.string())]!++;
        pubReceived++;
      },
    });
    await pub.flush();

    let seq = 0;
    const publish = (n: number) => {
      for (let i = 0; i < n && seq < TOTAL; i++) pub.publish(SUBJECT, String(seq++));
    };
    const bothHaveAll = () => until(() => subReceived >= seq && pubReceived >= seq, `both subscribers to have ${seq} messages`, 20_000);
    const interestEverywhere = () =>
      waitForRoutedInterest(
        nodes.filter((n) => n !== subNode),
        subNodeId,
        SUBJECT,
        "the subscriber's interest to reach every node",
      );

    const reconnectMs: number[] = [];
    const trail: string[] = [];
    pub.on("*", (s) => trail.push(`${s.type}${"server" in s ? " " + s.server : ""}${s.type === "reconnecting" ? ` #${s.attempt} +${s.delay.toFixed(0)}ms` : ""}`));

    let forced = 0;
    let t0 = 0;
    for (let round = 0; round < 3; round++) {
      // the subscriber's node is never killed: move the publisher off it first
      while (pub.getServer() === subNode.hostport) {
        await pub.reconnect();
        forced++;
      }
      await interestEverywhere();
      publish(PRE);
      await pub.flush();
      await bothHaveAll();

      const victim = nodes.find((n) => n.hostport === pub.getServer())!;
      assert.notEqual(victim, subNode);
      const disc = nextEvent(pub, "disconnect").then((s) => ((t0 = performance.now()), s));
      const rec = nextEvent(pub, "reconnect").then((s) => (reconnectMs.push(performance.now() - t0), s));
      const killed = victim.kill(); // SIGKILL is sent synchronously; publish as soon as the client notices
      await disc;
      assert.equal(pub.isConnected(), false);
      publish(OUTAGE);
      assert.ok(pub.buffered() > 0, "outage publishes go to the reconnect buffer");
      await killed;
      await rec;
      assert.notEqual(pub.getServer(), victim.hostport);
      await pub.flush();
      await bothHaveAll();
      await victim.restart();
      await cluster.waitForRoutes();
    }
    await interestEverywhere();
    publish(TOTAL - seq);
    await pub.flush();
    await bothHaveAll();

    const missing = (c: Uint8Array) => c.reduce((n, v) => n + (v === 0 ? 1 : 0), 0);
    const duplicated = (c: Uint8Array) => c.reduce((n, v) => n + (v > 1 ? 1 : 0), 0);
    t.diagnostic(`subscriber: ${missing(subCounts)} missing, ${duplicated(subCounts)} duplicated of ${TOTAL}`);
    t.diagnostic(`reconnect times (disconnect -> reconnect, ms): ${reconnectMs.map((m) => m.toFixed(1)).join(", ")}`);
    t.diagnostic(`publisher events: ${trail.join(" | ")}`);
    t.diagnostic(`longest reconnect: ${Math.max(...reconnectMs).toFixed(1)} ms; forced moves off the subscriber's node: ${forced}`);
    assert.equal(seq, TOTAL);
    assert.equal(missing(subCounts), 0, "messages missing at the subscriber");
    assert.equal(duplicated(subCounts), 0, "messages duplicated at the subscriber");
    assert.equal(subReceived, TOTAL);
    assert.equal(inOrder, true, "the subscriber saw the sequence in order");
    assert.equal(missing(pubCounts), 0, "messages missing on the publisher's own subscription");
    assert.equal(duplicated(pubCounts), 0, "messages duplicated on the publisher's own subscription");
    assert.equal(pub.stats().reconnects, 3 + forced);
    assert.equal(sub.stats().reconnects, 0);
  });
});
