// stop() and the end of a service, run by stop.test.ts (default server) and oldest.test.ts
// (nats-server 2.9.10): in-flight requests are answered, iterators end, then no subscription is
// left; the connection closing, a refused subscription or stop(err) end it with their reason.
import { it, before } from "node:test";
import { strict as assert } from "node:assert";
import { connect, InvalidArgumentError, NoRespondersError, PermissionViolationError, TimeoutError, type NatsConnection } from "../../src/index.js";
import { Svcm } from "../../src/services/index.js";
import { useServer } from "../support/fixtures.js";
import type { ServerOptions } from "../support/server.js";
import { until } from "../support/helpers.js";
import { gate, serverSubs, uniq, untilNoServerSubs } from "./helpers.js";

const AUTH = `
authorization {
  users = [
    { user: "ok", password: "pw" }
    { user: "noep", password: "pw", permissions: { subscribe: { deny: ["forbidden.>"] } } }
    { user: "nosrv", password: "pw", permissions: { subscribe: { deny: ["$SRV.>"] } } }
  ]
}
`;

/** Registers the stop tests (call inside a describe). */
export function stopSuite(server: ServerOptions = {}): void {
  const srv = useServer({ server: { ...server, monitor: true, config: AUTH }, connection: { user: "ok", pass: "pw" } });
  let client: NatsConnection;
  before(async () => {
    client = await srv.connect();
  });

  it("stop() with 20 requests in flight answers all of them, then no subscription is left", async () => {
    const nc = await srv.connect();
    const s = await new Svcm(nc).add({ name: uniq("drain"), version: "1.0.0" });
    const subject = uniq("drain");
    const hold = gate();
    let received = 0;
    s.addEndpoint("slow", {
      subject,
      handler: async (_e, m) => {
        received++;
        await hold.promise;
        m.respond(`done ${m.string()}`);
      },
    });
    const iter = s.addEndpoint("iter", { subject: `${subject}.iter` });
    await nc.flush();
    const replies = Array.from({ length: 20 }, (_, i) => client.request(i % 2 ? subject : `${subject}.iter`, String(i), { timeout: 30_000 }));
    await until(() => received === 10, "the handler holds its 10 requests");
    await client.flush();
    await nc.flush(); // the 10 for the iterator have arrived too (nobody iterates yet)

    let stopped = false;
    const stopping = s.stop().then((r) => ((stopped = true), r));
    assert.equal(s.isStopped, true);
    await nc.flush();
    await client.flush();
    assert.equal(stopped, false, "stop() waits for the requests in flight");

    const served: string[] = [];
    const loop = (async () => {
      for await (const m of iter) {
        served.push(m.string());
        m.respond(`done ${m.string()}`);
      }
    })();
    hold.open();
    assert.equal(await stopping, null);
    await loop; // the iterator ended with the service
    assert.equal(served.length, 10);
    const texts = (await Promise.all(replies)).map((m) => m.string());
    assert.deepEqual(texts, Array.from({ length: 20 }, (_, i) => `done ${i}`));
    assert.equal(await s.stopped, null);
    assert.deepEqual(await serverSubs(srv.server, nc), []);
    await assert.rejects(client.request(subject), NoRespondersError);
    await assert.rejects(client.request(`$SRV.PING.${s.info().name}`), NoRespondersError);
    const st = (await s.stats()).endpoints;
    assert.deepEqual(st.map((e) => e.num_requests), [10, 10]);
    await nc.close();
  });

  it("stop(err) resolves `stopped` with err; a second stop() changes nothing", async () => {
    const nc = await srv.connect();
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    const reason = new Error("shutting down");
    const p1 = s.stop(reason);
    const p2 = s.stop(new Error("other"));
    assert.equal(await p1, reason);
    assert.equal(await p2, reason);
    assert.equal(await s.stopped, reason);
    await untilNoServerSubs(srv.server, nc);
    await nc.close();
  });

  it("stop() with a handler that never settles resolves with TimeoutError after `timeout`, and no subscription is left", async () => {
    const nc = await srv.connect();
    const s = await new Svcm(nc).add({ name: uniq("stuck"), version: "1.0.0" });
    const subject = uniq("stuck");
    let received = 0;
    s.addEndpoint("stuck", {
      subject,
      handler: () => {
        received++;
        return new Promise<void>(() => undefined); // never settles
      },
    });
    await nc.flush();
    const reply = client.request(subject, "x", { timeout: 1_500 }).then(
      () => "answered",
      (e: Error) => e.name,
    );
    await until(() => received === 1, "the handler got the request");
    assert.throws(() => s.stop(undefined, { timeout: -1 }), InvalidArgumentError);
    const r = await s.stop(undefined, { timeout: 300 });
    assert.ok(r instanceof TimeoutError, String(r));
    assert.match(r.message, /handlers still running after 300 ms/);
    assert.equal(await s.stopped, r);
    await untilNoServerSubs(srv.server, nc);
    assert.equal(await reply, "TimeoutError", "the stuck request was never answered");
    await nc.close();
  });

  it("the connection closing stops the service (close: null; drain: null after handling what arrived)", async () => {
    const nc = await srv.connect();
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    const iter = s.addEndpoint("it", { subject: uniq("it") });
    const loop = (async () => {
      for await (const m of iter) m.respond();
    })();
    await nc.close();
    assert.equal(await s.stopped, null);
    assert.equal(s.isStopped, true);
    await loop;
    assert.equal(await s.stop(), null);

    const nc2 = await srv.connect();
    const s2 = await new Svcm(nc2).add({ name: uniq(), version: "1.0.0" });
    const subject = uniq("dr");
    const hold = gate();
    let got = 0;
    s2.addEndpoint("dr", {
      subject,
      handler: async (_e, m) => {
        got++;
        await hold.promise;
        m.respond("late");
      },
    });
    await nc2.flush();
    const reply = client.request(subject, undefined, { timeout: 30_000 });
    await until(() => got === 1, "the request arrived");
    const draining = nc2.drain();
    hold.open();
    assert.equal(await s2.stopped, null);
    assert.equal((await reply).string(), "late");
    await draining;
  });

  it("an endpoint subscription the server refuses stops the service with the permissions error", async () => {
    const nc = await connect({ servers: srv.url, user: "noep", pass: "pw" });
    srv.track(nc);
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    s.addEndpoint("nope", { subject: "forbidden.x", handler: () => {} });
    const err = await s.stopped;
    assert.ok(err instanceof PermissionViolationError, String(err));
    assert.equal(err.subject, "forbidden.x");
    await untilNoServerSubs(srv.server, nc);
    assert.equal(nc.isClosed(), false);
  });

  it("add() rejects when the $SRV subjects are refused, leaving nothing behind", async () => {
    const nc = await connect({ servers: srv.url, user: "nosrv", pass: "pw" });
    srv.track(nc);
    await assert.rejects(new Svcm(nc).add({ name: uniq(), version: "1.0.0" }), PermissionViolationError);
    await untilNoServerSubs(srv.server, nc);
  });

  it("add() on a closed connection rejects; stop() on a closed connection resolves", async () => {
    const nc = await srv.connect();
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    await nc.close();
    assert.equal(await s.stop(), null);
    await assert.rejects(new Svcm(nc).add({ name: uniq(), version: "1.0.0" }), { code: "CONNECTION_CLOSED" });
  });
}
