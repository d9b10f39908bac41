// The $SRV monitoring subjects, run by monitoring.test.ts (default server) and oldest.test.ts
// (nats-server 2.9.10): PING / INFO / STATS at all three levels with the exact JSON (validated
// against the schemas), exact counters after 100 requests, reset, and the stats handler.
import { it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { headers, type NatsConnection } from "../../src/index.js";
import { Svcm, ServiceError, ServiceHandlerError, type Service, type StatsResponse } from "../../src/services/index.js";
import { useServer } from "../support/fixtures.js";
import type { ServerOptions } from "../support/server.js";
import { busy, until } from "../support/helpers.js";
import { INFO_SCHEMA, PING_SCHEMA, STATS_SCHEMA } from "./schemas.js";
import { assertSchema, collect, uniq } from "./helpers.js";

/** Registers the monitoring tests (call inside a describe). */
export function monitoringSuite(server: ServerOptions = {}): void {
  const srv = useServer({ server });
  let nc: NatsConnection;
  let client: NatsConnection;
  let svc: Service;
  let name: string;
  let subject: string;
  before(async () => {
    nc = await srv.connect();
    client = await srv.connect();
    name = uniq("mon");
    subject = uniq("mon");
    svc = await new Svcm(nc).add({ name, version: "1.2.3-beta.1+b7", description: "monitored", metadata: { team: "core" } });
    svc.addEndpoint("echo", { subject, metadata: { doc: "echoes" }, handler: (_e, m) => m.respond(m.data) });
    svc.addGroup(`${subject}_g`, null).addEndpoint("grouped", (_e, m) => m.respond("g"));
    await nc.flush();
  });
  after(async () => {
    await svc.stop();
  });

  /** The one reply of this file's service on `subj`, parsed. */
  const ask = async <T>(subj: string): Promise<T> => (await client.request(subj, undefined, { timeout: 5000 })).json<T>();

  it("answers PING, INFO and STATS on all three levels with the same exact documents", async () => {
    const identity = { name, id: svc.id, version: "1.2.3-beta.1+b7", metadata: { team: "core" } };
    const endpoints = [
      { name: "echo", subject, queue_group: "q", metadata: { doc: "echoes" } },
      { name: "grouped", subject: `${subject}_g.grouped`, queue_group: "", metadata: {} },
    ];
    for (const level of ["", `.${name}`, `.${name}.${svc.id}`]) {
      const ping = await ask<Record<string, unknown>>(`$SRV.PING${level}`);
      assertSchema(PING_SCHEMA, ping, `PING${level}`);
      assert.deepEqual(ping, { type: "io.nats.micro.v1.ping_response", ...identity });

      const info = await ask<Record<string, unknown>>(`$SRV.INFO${level}`);
      assertSchema(INFO_SCHEMA, info, `INFO${level}`);
      assert.deepEqual(info, { type: "io.nats.micro.v1.info_response", ...identity, description: "monitored", endpoints });
      assert.deepEqual(info, svc.info() as unknown);

      const stats = await ask<StatsResponse>(`$SRV.STATS${level}`);
      assertSchema(STATS_SCHEMA, stats, `STATS${level}`);
      assert.equal(stats.type, "io.nats.micro.v1.stats_response");
      assert.deepEqual({ name: stats.name, id: stats.id, version: stats.version, metadata: stats.metadata }, identity);
      assert.deepEqual(
        stats.endpoints.map((e) => [e.name, e.subject, e.queue_group]),
        endpoints.map((e) => [e.name, e.subject, e.queue_group]),
      );
    }
  });

  it("does not answer another name or id", async () => {
    for (const subj of [`$SRV.PING.${name}x`, `$SRV.PING.${name}.nope`, `$SRV.INFO.other`, `$SRV.STATS.${name}.${svc.id}x`]) {
      await assert.rejects(client.request(subj, undefined, { timeout: 5000 }), { code: "NO_RESPONDERS" }, subj);
    }
  });

  it("counts exactly: 100 requests, every 7th answered with an error, headers alone do not make an error", async () => {
    svc.reset();
    const errSubject = `${subject}.mixed`;
    const s2 = await new Svcm(nc).add({ name: uniq("count"), version: "1.0.0" });
    s2.addEndpoint("mixed", {
      subject: errSubject,
      handler: (_e, m) => {
        const i = Number(m.string());
        if (i % 7 === 3) {
          m.respondError(400 + (i % 3), `bad ${i}`);
          return;
        }
        const h = headers();
        h.set("X-Ok", "1"); // headers that are not the error headers
        m.respond(String(i), { headers: h });
      },
    });
    await nc.flush();
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => client.request(errSubject, String(i), { timeout: 10_000 })));
    replies.forEach((r, i) => assert.equal(r.headers?.has("Nats-Service-Error"), i % 7 === 3, `reply ${i}`));
    // the 100 went out together (the server picks their order): one more error, alone, is the last one
    const last = await client.request(errSubject, "703", { timeout: 5000 });
    assert.equal(last.headers?.get("Nats-Service-Error"), "bad 703");
    const errors = 14 + 1; // 3, 10, …, 94, and 703

    const local = await s2.stats();
    const [ep] = local.endpoints;
    assert.equal(ep!.num_requests, 101);
    assert.equal(ep!.num_errors, errors);
    assert.equal(ep!.last_error, "401:bad 703");
    assert.ok(Number.isInteger(ep!.processing_time) && ep!.processing_time >= 0);
    assert.equal(ep!.average_processing_time, Math.floor(ep!.processing_time / 101));
    const remote = await ask<StatsResponse>(`$SRV.STATS.${s2.info().name}`);
    assertSchema(STATS_SCHEMA, remote, "STATS after 101 requests");
    assert.deepEqual(remote.endpoints, local.endpoints);

    // a hand-made reply with the error headers counts as an error too
    s2.addEndpoint("manual", {
      subject: `${errSubject}.manual`,
      handler: (_e, m) => {
        const h = headers();
        h.set("Nats-Service-Error", "hand made");
        h.set("Nats-Service-Error-Code", "409");
        m.respond(undefined, { headers: h });
      },
    });
    await nc.flush();
    await client.request(`${errSubject}.manual`);
    const manual = (await s2.stats()).endpoints[1]!;
    assert.deepEqual([manual.num_requests, manual.num_errors, manual.last_error], [1, 1, "409:hand made"]);
    await s2.stop();
  });

  it("measures processing time in integer nanoseconds, until an async handler settles", async () => {
    const s = await new Svcm(nc).add({ name: uniq("time"), version: "1.0.0" });
    const subj = uniq("time");
    s.addEndpoint("sync", { subject: subj, handler: (_e, m) => { busy(5); m.respond(); } });
    // the time is spent after the handler returned its promise
    s.addEndpoint("async", { subject: `${subj}.async`, handler: async (_e, m) => { await Promise.resolve(); busy(5); m.respond(); } });
    await nc.flush();
    for (let i = 0; i < 3; i++) {
      await client.request(subj);
      await client.request(`${subj}.async`);
    }
    for (const ep of (await s.stats()).endpoints) {
      assert.equal(ep.num_requests, 3, ep.name);
      assert.ok(Number.isInteger(ep.processing_time) && Number.isInteger(ep.average_processing_time), ep.name);
      assert.ok(ep.processing_time >= 15_000_000, `${ep.name}: 3 × 5 ms is at least 15,000,000 ns, got ${ep.processing_time}`);
      assert.equal(ep.average_processing_time, Math.floor(ep.processing_time / 3), ep.name);
    }
    await s.stop();
  });

  it("info() and reset() are synchronous, stats() is async", async () => {
    const info = svc.info();
    assert.ok(!(info instanceof Promise));
    assert.equal(info.endpoints.length, 2);
    assert.equal(svc.reset(), undefined);
    const stats = svc.stats();
    assert.ok(stats instanceof Promise);
    assertSchema(STATS_SCHEMA, await stats, "stats()");
  });

  it("reset() zeroes the counters and moves `started`", async () => {
    await client.request(subject, "x");
    const before = await svc.stats();
    assert.ok(before.endpoints[0]!.num_requests >= 1);
    svc.reset();
    const after = await svc.stats();
    assert.ok(Date.parse(after.started) >= Date.parse(before.started));
    for (const e of after.endpoints) {
      assert.deepEqual([e.num_requests, e.num_errors, e.last_error, e.processing_time, e.average_processing_time], [0, 0, "", 0, 0]);
    }
    assert.deepEqual(after.endpoints.map((e) => e.queue_group), ["q", ""]);
    await client.request(subject, "y");
    assert.equal((await svc.stats()).endpoints[0]!.num_requests, 1);
  });

  it("adds the stats handler's data per endpoint; a failing one answers STATS with a 500", async () => {
    const reported: Error[] = [];
    let fail = false;
    const s = await new Svcm(nc).add({
      name: uniq("data"),
      version: "1.0.0",
      statsHandler: async (ep) => {
        await Promise.resolve();
        if (fail) throw new Error("no data today");
        return { for: ep.name, subject: ep.subject };
      },
      errorHandler: (e) => reported.push(e),
    });
    const sub = uniq("data");
    s.addEndpoint("one", { subject: sub, handler: () => {} });
    s.addEndpoint("two", { subject: `${sub}.two`, handler: () => {} });
    await nc.flush();
    const id = s.id;
    const stats = await ask<StatsResponse>(`$SRV.STATS.${s.info().name}.${id}`);
    assertSchema(STATS_SCHEMA, stats, "STATS with data");
    assert.deepEqual(stats.endpoints.map((e) => e.data), [{ for: "one", subject: sub }, { for: "two", subject: `${sub}.two` }]);

    fail = true;
    await assert.rejects(s.stats(), (e: unknown) => e instanceof ServiceHandlerError && /no data today/.test(e.message));
    const rm = await client.request(`$SRV.STATS.${s.info().name}.${id}`);
    const se = errorHeadersOf(rm.headers);
    assert.equal(se.code, "500");
    assert.match(se.description, /error handling STATS request: .*no data today/);
    await until(() => reported.length === 1, "the failing stats handler reported");
    assert.ok(reported[0] instanceof ServiceHandlerError);
    // the discovery client surfaces it as a ServiceError
    const it = svcClient(nc).stats(s.info().name, id);
    await assert.rejects(collect(it), (e: unknown) => e instanceof ServiceError && e.status === 500);
    await s.stop();
  });

  /** The raw error headers of a reply. */
  function errorHeadersOf(h: ReturnType<typeof headers> | undefined): { code: string; description: string } {
    return { code: h?.get("Nats-Service-Error-Code") ?? "", description: h?.get("Nats-Service-Error") ?? "" };
  }
  const svcClient = (conn: NatsConnection) => new Svcm(conn).client({ strategy: "count", maxMessages: 1, maxWait: 5000 });
}
