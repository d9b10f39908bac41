// The discovery client, run by client.test.ts (default server) and oldest.test.ts (nats-server
// 2.9.10): ping / info / stats of every service, of one kind, of one instance; no service at all;
// strategies; validation; service errors and bad replies surfaced; the API prefix.
import { it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { InvalidArgumentError, type NatsConnection } from "../../src/index.js";
import { Svcm, type InfoResponse, type PingResponse, type Service, type ServiceClient } from "../../src/services/index.js";
import { useServer } from "../support/fixtures.js";
import type { ServerOptions } from "../support/server.js";
import { INFO_SCHEMA, PING_SCHEMA, STATS_SCHEMA } from "./schemas.js";
import { assertSchema, collect, uniq } from "./helpers.js";

/** Registers the discovery client tests (call inside a describe). */
export function clientSuite(server: ServerOptions = {}): void {
  const srv = useServer({ server });
  let nc: NatsConnection;
  let other: NatsConnection;
  let svcm: Svcm;
  const services: Service[] = [];
  const kind = uniq("kind");
  const single = uniq("single");
  before(async () => {
    nc = await srv.connect();
    other = await srv.connect();
    svcm = new Svcm(other);
    // two instances of `kind` (on two connections) and one of `single`
    for (const [conn, name] of [[nc, kind], [other, kind], [nc, single]] as const) {
      const s = await new Svcm(conn).add({ name, version: "1.0.0", metadata: { on: conn === nc ? "nc" : "other" } });
      s.addEndpoint("e", { subject: `${name}.e`, handler: (_e, m) => m.respond("e") });
      services.push(s);
    }
  });
  after(async () => {
    await Promise.all(services.map((s) => s.stop()));
  });

  /** Waits for exactly `n` replies (or 10 s). */
  const exactly = (n: number): ServiceClient => svcm.client({ strategy: "count", maxMessages: n, maxWait: 10_000 });
  const ids = (list: { id: string }[]): string[] => list.map((x) => x.id).sort();

  it("pings every service, every instance of a kind, one instance", async () => {
    const all = await collect(exactly(3).ping());
    assert.deepEqual(ids(all), ids(services.map((s) => ({ id: s.id }))));
    for (const p of all) assertSchema(PING_SCHEMA, p, "PING");
    const ofKind = await collect(exactly(2).ping(kind));
    assert.deepEqual(ids(ofKind), ids(services.slice(0, 2).map((s) => ({ id: s.id }))));
    assert.ok(ofKind.every((p) => p.name === kind));
    const one = await collect(exactly(1).ping(kind, services[1]!.id));
    assert.deepEqual(one.map((p: PingResponse) => [p.name, p.id, p.metadata.on]), [[kind, services[1]!.id, "other"]]);
  });

  it("gets info and stats the same ways", async () => {
    const infos = await collect(exactly(2).info(kind));
    for (const i of infos) assertSchema(INFO_SCHEMA, i, "INFO");
    assert.deepEqual(infos.map((i: InfoResponse) => i.endpoints.map((e) => e.subject)), [[`${kind}.e`], [`${kind}.e`]]);
    await nc.request(`${single}.e`);
    const [stats] = await collect(exactly(1).stats(single, services[2]!.id));
    assertSchema(STATS_SCHEMA, stats, "STATS");
    assert.equal(stats!.endpoints[0]!.num_requests, 1);
  });

  it("the stall and timer strategies collect every reply", async () => {
    const stall = await collect(svcm.client({ maxWait: 10_000, stall: 2_000 }).ping(kind));
    assert.equal(stall.length, 2);
    const timer = await collect(svcm.client({ strategy: "timer", maxWait: 1_500 }).ping());
    assert.equal(timer.length, 3);
  });

  it("finds nothing (and does not throw) when no service answers", async () => {
    assert.deepEqual(await collect(svcm.client().ping(uniq("nobody"))), []);
    assert.deepEqual(await collect(exactly(1).info(uniq("nobody"), "abc")), []);
  });

  it("refuses bad names and options before sending anything", () => {
    const before = other.stats().outMsgs;
    const c = svcm.client();
    assert.throws(() => c.ping("", "someid"), /needs the service's name/);
    assert.throws(() => c.info("a.b"), InvalidArgumentError);
    assert.throws(() => c.stats("ok", "x y"), InvalidArgumentError);
    for (const bad of [{ strategy: "sentinel" }, { strategy: "count" }, { maxWait: -1 }, { stall: 0 }, { timeout: 5 }, { apiPrefix: "a b" }, { apiPrefix: "" }]) {
      assert.throws(() => svcm.client(bad as never), InvalidArgumentError, JSON.stringify(bad));
    }
    assert.equal(other.stats().outMsgs, before);
  });

  it("uses another API prefix when told; a reply that is not JSON fails the iteration", async () => {
    const prefix = uniq("PFX");
    const sub = nc.subscribe(`${prefix}.PING.>`, { callback: (_e, m) => m.respond(m.subject.endsWith(".bad") ? "not json" : JSON.stringify({ type: "io.nats.micro.v1.ping_response", name: "imported" })) });
    await nc.flush();
    const c = svcm.client({ apiPrefix: prefix, strategy: "count", maxMessages: 1, maxWait: 10_000 });
    assert.deepEqual((await collect(c.ping("imported"))).map((p) => p.name), ["imported"]);
    await assert.rejects(collect(c.ping("x", "bad")), { code: "BAD_SERVICE_RESPONSE" });
    sub.unsubscribe();
  });
}
