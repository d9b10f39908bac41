// Service API interop with the official clients, run by interop.test.ts (current server) and
// oldest.test.ts (nats-server 2.9.10): each side's discovery client finds the other side's services
// (PING / INFO / STATS by name and by id) and reads the same documents; each calls the other's
// endpoints, and service errors mean the same to both.
//
//   nats.js: @nats-io/services (devDependency) over @nats-io/transport-node, in this process.
//   nats.go: test/go-micro (nats.go's micro package), built by test/support/go_client.ts. When Go or
//            the module proxy is missing, the cases that need nats.go fail saying why (never skipped).
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect as natsJsConnect, type NatsConnection as NatsJsConnection } from "@nats-io/transport-node";
import { Svcm as NatsJsSvcm, ServiceError as NatsJsServiceError } from "@nats-io/services";
import type { NatsConnection } from "../../src/index.js";
import { Svcm, serviceError, type InfoResponse, type PingResponse, type Service, type StatsResponse } from "../../src/services/index.js";
import { useServer } from "../support/fixtures.js";
import type { ServerOptions } from "../support/server.js";
import { assertSchema, collect, uniq } from "./helpers.js";
import { INFO_SCHEMA, PING_SCHEMA, STATS_SCHEMA } from "./schemas.js";
import { GoMicroService, goMicro, type Discovered, type GoReply } from "./go_micro.js";

const td = new TextDecoder();

/** A tsnats service like the README's: echo, math.add (JSON [a, b]), fail (error 503 with data). */
async function tsnatsService(nc: NatsConnection, name: string): Promise<Service> {
  const s = await new Svcm(nc).add({ name, version: "1.0.0", description: "tsnats service", metadata: { lang: "ts" }, statsHandler: (e) => ({ endpoint: e.name }) });
  s.addEndpoint("echo", { subject: `${name}.echo`, metadata: { kind: "echo" }, handler: (_e, m) => m.respond(m.data) });
  s.addGroup(`${name}.math`).addEndpoint("add", (_e, m) => {
    const [a, b] = m.json<[number, number]>();
    m.respondJson(a + b);
  });
  s.addEndpoint("fail", { subject: `${name}.fail`, handler: (_e, m) => m.respondError(503, "unavailable", "try later") });
  await nc.flush();
  return s;
}

/** Registers the interop tests (call inside a describe). */
export function interopSuite(server: ServerOptions = {}): void {
  let njs: NatsJsConnection | undefined;
  // registered before the server fixture's own `after`, so it runs while the server is still up
  after(async () => {
    await njs?.close();
  });
  const srv = useServer({ server });
  let nc: NatsConnection;
  before(async () => {
    nc = await srv.connect();
    njs = await natsJsConnect({ servers: srv.url });
  });
  /** The nats.js connection (from the `before` hook on). */
  const nj = (): NatsJsConnection => njs!;

  const client = () => new Svcm(nc).client({ strategy: "count", maxMessages: 1, maxWait: 10_000 });

  describe("nats.js (@nats-io/services)", () => {
    it("discovers a tsnats service and calls its endpoints", async () => {
      const name = uniq("ts4js");
      const s = await tsnatsService(nc, name);
      const jsClient = new NatsJsSvcm(nj() as never).client({ strategy: "count", maxMessages: 1, maxWait: 10_000 } as never);
      const pings = [];
      for await (const p of await jsClient.ping(name)) pings.push(p);
      assert.deepEqual(pings, [{ type: "io.nats.micro.v1.ping_response", name, id: s.id, version: "1.0.0", metadata: { lang: "ts" } }]);
      const infos = [];
      for await (const i of await jsClient.info(name, s.id)) infos.push(i);
      assert.deepEqual(infos, [s.info()]);

      assert.equal(td.decode((await nj().request(`${name}.echo`, "hi")).data), "hi");
      assert.equal((await nj().request(`${name}.math.add`, "[2,3]")).json(), 5);
      const failed = await nj().request(`${name}.fail`);
      assert.ok(NatsJsServiceError.isServiceError(failed as never));
      const se = NatsJsServiceError.toServiceError(failed as never)!;
      assert.deepEqual([se.code, se.message, td.decode(failed.data)], [503, "unavailable", "try later"]);

      const stats = [];
      for await (const st of await jsClient.stats(name, s.id)) stats.push(st);
      assert.equal(stats.length, 1);
      assert.deepEqual(stats[0], await s.stats());
      assert.deepEqual(
        (stats[0] as unknown as StatsResponse).endpoints.map((e) => [e.name, e.num_requests, e.num_errors, e.last_error, e.data]),
        [
          ["echo", 1, 0, "", { endpoint: "echo" }],
          ["add", 1, 0, "", { endpoint: "add" }],
          ["fail", 1, 1, "503:unavailable", { endpoint: "fail" }],
        ],
      );
      await s.stop();
    });

    it("tsnats discovers a nats.js service and calls its endpoints", async () => {
      const name = uniq("js4ts");
      const js = await new NatsJsSvcm(nj() as never).add({ name, version: "2.0.0", description: "nats.js service", metadata: { lang: "js" } });
      js.addEndpoint("echo", { subject: `${name}.echo`, metadata: { kind: "echo" }, handler: (_e, m) => void m.respond(m.data) });
      js.addGroup(`${name}.math`).addEndpoint("add", (_e, m) => {
        const [a, b] = m.json<[number, number]>();
        m.respond(JSON.stringify(a + b));
      });
      js.addEndpoint("fail", { subject: `${name}.fail`, handler: (_e, m) => void m.respondError(503, "unavailable", "try later") });
      await nj().flush();
      const id = js.info().id;

      const [ping] = await collect(client().ping(name));
      assertSchema(PING_SCHEMA, ping, "nats.js PING");
      assert.deepEqual(ping, { type: "io.nats.micro.v1.ping_response", name, id, version: "2.0.0", metadata: { lang: "js" } });
      const [info] = await collect(client().info(name, id));
      assert.deepEqual(
        (info as InfoResponse).endpoints.map((e) => [e.name, e.subject, e.queue_group, e.metadata]),
        [
          ["echo", `${name}.echo`, "q", { kind: "echo" }],
          ["add", `${name}.math.add`, "q", undefined],
          ["fail", `${name}.fail`, "q", undefined],
        ],
      );

      assert.equal((await nc.request(`${name}.echo`, "hi")).string(), "hi");
      assert.equal((await nc.request(`${name}.math.add`, "[2,3]")).json(), 5);
      const failed = await nc.request(`${name}.fail`);
      assert.deepEqual([serviceError(failed)?.status, serviceError(failed)?.description, failed.string()], [503, "unavailable", "try later"]);

      const [stats] = await collect(client().stats(name));
      assert.equal(stats!.type, "io.nats.micro.v1.stats_response");
      assert.ok(!Number.isNaN(Date.parse(stats!.started)));
      assert.deepEqual(
        stats!.endpoints.map((e) => [e.name, e.num_requests]),
        [
          ["echo", 1],
          ["add", 1],
          ["fail", 1],
        ],
      );
      await js.stop();
      assert.deepEqual(await collect(client().ping(name)), []);
    });
  });

  describe("nats.go (micro)", () => {
    let go: GoMicroService | undefined;
    after(async () => {
      await go?.kill();
    });

    it("nats.go decodes a tsnats service's PING / INFO / STATS strictly and calls its endpoints", async () => {
      const prog = await goMicro();
      const name = uniq("ts4go");
      const s = await tsnatsService(nc, name);
      const [ping] = await prog.run<Discovered>(["discover", srv.url, "PING", "1", name]);
      assertSchema(PING_SCHEMA, ping!.raw, "PING as nats.go got it");
      assert.deepEqual(ping!.decoded, { name, id: s.id, version: "1.0.0", metadata: { lang: "ts" }, type: "io.nats.micro.v1.ping_response" });
      const [info] = await prog.run<Discovered>(["discover", srv.url, "INFO", "1", name, s.id]);
      assertSchema(INFO_SCHEMA, info!.raw, "INFO as nats.go got it");
      assert.deepEqual(info!.decoded, s.info());

      const echo = (await prog.run<GoReply>(["call", srv.url, `${name}.echo`, "from go"]))[0]!;
      assert.equal(echo.data, "from go");
      const sum = (await prog.run<GoReply>(["call", srv.url, `${name}.math.add`, "[20,22]"]))[0]!;
      assert.equal(sum.data, "42");
      const failed = (await prog.run<GoReply>(["call", srv.url, `${name}.fail`, ""]))[0]!;
      assert.deepEqual(failed, { data: "try later", headers: { "Nats-Service-Error": ["unavailable"], "Nats-Service-Error-Code": ["503"] } });

      const [stats] = await prog.run<Discovered<{ started: string; endpoints: Record<string, unknown>[] }>>(["discover", srv.url, "STATS", "1", name, s.id]);
      assertSchema(STATS_SCHEMA, stats!.raw, "STATS as nats.go got it");
      const local = await s.stats();
      // time.Time and time.Duration round-trip: the same instant, the same nanoseconds
      assert.equal(Date.parse(stats!.decoded.started), Date.parse(local.started));
      assert.deepEqual(
        stats!.decoded.endpoints.map((e) => [e.name, e.num_requests, e.num_errors, e.last_error, e.data, e.processing_time, e.average_processing_time]),
        local.endpoints.map((e) => [e.name, e.num_requests, e.num_errors, e.last_error, e.data, e.processing_time, e.average_processing_time]),
      );
      assert.deepEqual(local.endpoints.map((e) => [e.num_requests, e.num_errors]), [[1, 0], [1, 0], [1, 1]]);
      await s.stop();
    });

    it("tsnats discovers a nats.go micro service and calls its endpoints", async () => {
      const prog = await goMicro();
      const name = uniq("go4ts");
      go = await GoMicroService.start(prog, srv.url, name, "3.1.4");
      const id = go.info.id;
      const pings = await collect(client().ping(name));
      assert.deepEqual(pings, [{ type: "io.nats.micro.v1.ping_response", name, id, version: "3.1.4", metadata: { lang: "go" } } as PingResponse]);
      const [info] = await collect(client().info(name, id));
      assert.equal(info!.description, "nats.go micro service");
      assert.deepEqual(
        info!.endpoints.map((e) => [e.name, e.subject, e.queue_group, e.metadata]),
        [
          ["echo", "echo", "q", { kind: "echo" }],
          ["add", "math.add", "q", null],
          ["fail", "fail", "q", null],
        ],
      );

      assert.equal((await nc.request("echo", "hi go")).string(), "hi go");
      assert.equal((await nc.request("math.add", "[1.5,2]")).json(), 3.5);
      const bad = await nc.request("math.add", "nope");
      assert.deepEqual([serviceError(bad)?.status, serviceError(bad)?.description], [400, "bad input"]);
      const failed = await nc.request("fail");
      assert.deepEqual([serviceError(failed)?.status, serviceError(failed)?.description, failed.string()], [503, "unavailable", "try later"]);

      const [stats] = await collect(client().stats(name, id));
      assertSchema(STATS_SCHEMA, stats, "nats.go STATS");
      assert.deepEqual(
        stats!.endpoints.map((e) => [e.name, e.num_requests, e.num_errors, e.last_error, e.data]),
        [
          ["echo", 1, 0, "", { endpoint: "echo" }],
          ["add", 2, 1, "400:bad input", { endpoint: "add" }],
          ["fail", 1, 1, "503:unavailable", { endpoint: "fail" }],
        ],
      );
      await go.stop();
      go = undefined;
      assert.deepEqual(await collect(client().ping(name)), []);
    });
  });
}
