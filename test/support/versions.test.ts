// The launcher runs every pinned nats-server generation (nats-servers.json: current, mid, oldest):
// each starts with the version it claims, with JetStream, as a 3-node JetStream cluster, and as a
// hub with a leaf node where each side has its own JetStream domain.
import { describe, it, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect, type NatsConnection } from "../../src/index.js";
import { NatsCluster, NatsLeafPair, NatsServer, serverFor, versionAtLeast, type ServerRole } from "./server.js";
import { pinnedServers, compareVersions } from "#nats-servers";

const roles: ServerRole[] = ["current", "mid", "oldest"];

/** Account info of the JetStream behind `prefix` (e.g. `$JS.API` or `$JS.hub.API`). */
async function accountInfo(nc: NatsConnection, prefix: string): Promise<Record<string, unknown>> {
  const m = await nc.request(`${prefix}.INFO`, undefined, { timeout: 5_000 });
  return m.json<Record<string, unknown>>();
}

for (const role of roles) {
  describe(`nats-server "${role}"`, () => {
    const conns: NatsConnection[] = [];
    after(() => Promise.all(conns.map((nc) => nc.close())));
    const open = async (servers: string | string[]): Promise<NatsConnection> => {
      const nc = await connect({ servers });
      conns.push(nc);
      return nc;
    };

    it("is the pinned version unless a stand-in is named", async () => {
      const r = serverFor(role);
      const pin = pinnedServers()[role];
      if (r.note) assert.ok(r.note.length > 0);
      else assert.equal(compareVersions(r.version, pin.version), 0, `${role}: ${r.path} is ${r.version}, pinned ${pin.version}`);
      await using s = await NatsServer.start({ version: role, jetstream: true });
      assert.equal(s.version, r.version);
      const nc = await open(s.url);
      assert.equal(nc.info?.version, r.version);
      const ai = await accountInfo(nc, "$JS.API");
      assert.equal(typeof ai.memory, "number", JSON.stringify(ai));
      // API level: reported from 2.11 on
      const api = ai.api as { level?: number } | undefined;
      if (versionAtLeast(r.version, "2.11.0")) assert.ok((api?.level ?? 0) >= 1, JSON.stringify(api));
      else assert.equal(api?.level, undefined);
    });

    it("forms a 3-node JetStream cluster", async () => {
      await using c = await NatsCluster.start(3, { version: role, jetstream: true });
      await c.waitForRoutes();
      await c.waitForJetStream();
      const nc = await open(c.urls);
      const ai = await accountInfo(nc, "$JS.API");
      assert.equal(typeof ai.streams, "number", JSON.stringify(ai));
    });

    it("runs a hub and a leaf node with separate JetStream domains", async () => {
      await using pair = await NatsLeafPair.start({ version: role });
      const nc = await open(pair.leaf.url);
      const hub = await accountInfo(nc, "$JS.hub.API");
      const leaf = await accountInfo(nc, "$JS.leaf.API");
      assert.equal(hub.domain, "hub", JSON.stringify(hub));
      assert.equal(leaf.domain, "leaf", JSON.stringify(leaf));
    });
  });
}
