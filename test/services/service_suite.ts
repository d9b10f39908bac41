// Services, run by service.test.ts (default server) and oldest.test.ts (nats-server 2.9.10):
// validation before anything is sent, endpoints and groups with their subjects and queue groups as
// the server sees them, handler and iterator endpoints, respond / respondJson / respondError,
// handlers that throw, and queue groups splitting load.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { BadSubjectError, headers, InvalidArgumentError, type NatsConnection } from "../../src/index.js";
import { Svcm, ServiceError, ServiceHandlerError, ServiceStoppedError, serviceError, type ServiceMsg } from "../../src/services/index.js";
import { useServer } from "../support/fixtures.js";
import type { ServerOptions } from "../support/server.js";
import { until } from "../support/helpers.js";
import { serverSubs, subList, uniq } from "./helpers.js";

const VERB_SUBS = (name: string, id: string): string[] =>
  ["PING", "INFO", "STATS"].flatMap((v) => [`$SRV.${v}`, `$SRV.${v}.${name}`, `$SRV.${v}.${name}.${id}`]);

/** Registers the service tests (call inside a describe). */
export function serviceSuite(server: ServerOptions = {}): void {
  const srv = useServer({ server: { ...server, monitor: true } });
  let nc: NatsConnection;
  let client: NatsConnection;
  before(async () => {
    nc = await srv.connect();
    client = await srv.connect();
  });

  describe("validation (nothing is sent)", () => {
    const bad: [string, Record<string, unknown>, RegExp][] = [
      ["empty name", { name: "", version: "1.0.0" }, /service name must be a non-empty string/],
      ["name with a dot", { name: "a.b", version: "1.0.0" }, /invalid service name "a.b"/],
      ["name with a space", { name: "a b", version: "1.0.0" }, /invalid service name/],
      ["name with a wildcard", { name: "a*", version: "1.0.0" }, /invalid service name/],
      ["missing version", { name: "a" }, /SemVer/],
      ["version 1.0", { name: "a", version: "1.0" }, /SemVer/],
      ["version v1.0.0", { name: "a", version: "v1.0.0" }, /SemVer/],
      ["version with a leading zero", { name: "a", version: "01.0.0" }, /SemVer/],
      ["prerelease with a leading zero", { name: "a", version: "1.0.0-01" }, /SemVer/],
      ["metadata not strings", { name: "a", version: "1.0.0", metadata: { n: 1 } }, /metadata 'n' must be a string/],
      ["metadata an array", { name: "a", version: "1.0.0", metadata: [] }, /metadata must be an object/],
      ["empty queue", { name: "a", version: "1.0.0", queue: "" }, /null for no queue group/],
      ["queue with a space", { name: "a", version: "1.0.0", queue: "a b" }, /whitespace/],
      ["unknown option", { name: "a", version: "1.0.0", queueGroup: "x" }, /unknown service option 'queueGroup'/],
      ["statsHandler not a function", { name: "a", version: "1.0.0", statsHandler: 1 }, /statsHandler must be a function/],
      ["description not a string", { name: "a", version: "1.0.0", description: 5 }, /description must be a string/],
    ];
    for (const [label, config, message] of bad) {
      it(`refuses ${label}`, async () => {
        const before = nc.stats().outMsgs;
        const err = await new Svcm(nc).add(config as never).then(
          () => assert.fail("add() should reject"),
          (e: unknown) => e as Error,
        );
        assert.ok(err instanceof InvalidArgumentError, `${label}: ${String(err)}`);
        assert.match(err.message, message);
        assert.equal(nc.stats().outMsgs, before);
      });
    }

    it("accepts SemVer with prerelease and build metadata", async () => {
      for (const version of ["0.0.0", "1.2.3-rc.1", "1.0.0-alpha.beta+exp.sha.5114f85", "10.20.30+build"]) {
        const s = await new Svcm(nc).add({ name: uniq(), version });
        assert.equal(s.info().version, version);
        await s.stop();
      }
    });

    it("refuses bad endpoints and groups before subscribing", async () => {
      const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
      const h = () => {};
      const subsBefore = (await serverSubs(srv.server, nc)).length;
      assert.throws(() => s.addEndpoint("a.b", h), /invalid endpoint name "a.b"/);
      assert.throws(() => s.addEndpoint("", h), InvalidArgumentError);
      assert.throws(() => s.addEndpoint("e", { handler: h, subject: "a..b" }), BadSubjectError);
      assert.throws(() => s.addEndpoint("e", { handler: h, subject: "a.>.b" }), BadSubjectError);
      assert.throws(() => s.addEndpoint("e", { handler: h, queue: "" }), BadSubjectError);
      assert.throws(() => s.addEndpoint("e", { handler: h, metadata: { a: 1 } as never }), /metadata 'a' must be a string/);
      assert.throws(() => s.addEndpoint("e", { handler: h, pending: { msgs: -5 } }), InvalidArgumentError);
      assert.throws(() => s.addEndpoint("e", { handler: h, nope: 1 } as never), /unknown endpoint option 'nope'/);
      assert.throws(() => s.addEndpoint("e", { handler: 5 } as never), /handler must be a function/);
      assert.throws(() => s.addGroup("a.>"), /may not contain '>'/);
      assert.throws(() => s.addGroup("a b"), BadSubjectError);
      assert.throws(() => s.addGroup("g", ""), BadSubjectError);
      await nc.flush();
      assert.equal((await serverSubs(srv.server, nc)).length, subsBefore);
      assert.deepEqual(s.info().endpoints, []);
      await s.stop();
      assert.throws(() => s.addEndpoint("late", h), ServiceStoppedError);
    });
  });

  it("subscribes nine plain $SRV subjects and one subscription per endpoint, queue groups resolved", async () => {
    const name = uniq("layout");
    const s = await new Svcm(nc).add({ name, version: "1.0.0", queue: "svcq" });
    const h = () => {};
    s.addEndpoint("a", h); // service queue
    s.addEndpoint("b", { handler: h, subject: "b.*.x", queue: "own" }); // its own
    s.addEndpoint("c", { handler: h, queue: null }); // none
    const g = s.addGroup("g"); // inherits svcq
    g.addEndpoint("d", h);
    const noq = s.addGroup("nq", null);
    noq.addEndpoint("e", h); // none, from the group
    noq.addEndpoint("f", { handler: h, queue: "back" }); // endpoint wins over the group
    noq.addGroup("deeper").addEndpoint("h", h); // nested: nq.deeper.h, still none
    s.addGroup("").addEndpoint("i", h); // an empty group adds no prefix
    await nc.flush();
    // nothing else subscribes on this connection while the test runs
    const expected = [...VERB_SUBS(name, s.id), "a svcq", "b.*.x own", "c", "g.d svcq", "nq.e", "nq.f back", "nq.deeper.h", "i svcq"];
    assert.deepEqual(subList(await serverSubs(srv.server, nc)), expected.sort());
    assert.deepEqual(
      s.info().endpoints.map((e) => [e.name, e.subject, e.queue_group]),
      [
        ["a", "a", "svcq"],
        ["b", "b.*.x", "own"],
        ["c", "c", ""],
        ["d", "g.d", "svcq"],
        ["e", "nq.e", ""],
        ["f", "nq.f", "back"],
        ["h", "nq.deeper.h", ""],
        ["i", "i", "svcq"],
      ],
    );
    await s.stop();
  });

  it('uses queue group "q" by default; `queue: null` on the service means none', async () => {
    const a = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    a.addEndpoint("qa", { handler: () => {}, subject: uniq("qa") });
    const b = await new Svcm(nc).add({ name: uniq(), version: "1.0.0", queue: null });
    b.addEndpoint("qb", { handler: () => {}, subject: uniq("qb") });
    b.addGroup("grp", "gq").addEndpoint("qc", () => {});
    assert.equal(a.info().endpoints[0]!.queue_group, "q");
    assert.equal(b.info().endpoints[0]!.queue_group, "");
    assert.equal(b.info().endpoints[1]!.queue_group, "gq");
    await nc.flush();
    const subs = subList(await serverSubs(srv.server, nc));
    assert.ok(subs.includes(`${a.info().endpoints[0]!.subject} q`));
    assert.ok(subs.includes(b.info().endpoints[0]!.subject));
    await Promise.all([a.stop(), b.stop()]);
  });

  it("keeps metadata: {} by default, copies (never shares) what it was given", async () => {
    const meta = { region: "eu" };
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0", metadata: meta, description: "d" });
    const epMeta = { kind: "x" };
    s.addEndpoint("m", { handler: () => {}, metadata: epMeta });
    s.addEndpoint("n", () => {});
    meta.region = "us";
    epMeta.kind = "y";
    const info = s.info();
    assert.deepEqual(info.metadata, { region: "eu" });
    assert.equal(info.description, "d");
    assert.deepEqual(info.endpoints.map((e) => e.metadata), [{ kind: "x" }, {}]);
    info.metadata.region = "changed";
    assert.deepEqual(s.info().metadata, { region: "eu" });
    const plain = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    assert.deepEqual(plain.info().metadata, {});
    assert.equal(plain.info().description, "");
    await Promise.all([s.stop(), plain.stop()]);
  });

  it("handlers see the whole request and answer with respond, respondJson and respondError", async () => {
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    const seen: { subject: string; reply?: string; hdr: string; data: string }[] = [];
    const g = s.addGroup(uniq("api"));
    g.addEndpoint("echo", {
      subject: "echo.*",
      handler: (err, m) => {
        assert.equal(err, null);
        seen.push({ subject: m.subject, reply: m.reply, hdr: m.headers?.get("X-Req") ?? "", data: m.string() });
        const h = headers();
        h.set("X-Echo", m.subject);
        m.respond(m.data, { headers: h });
      },
    });
    g.addEndpoint("json", (_e, m) => m.respondJson({ got: m.json<{ n: number }>().n + 1 }));
    g.addEndpoint("err", (_e, m) => {
      const h = headers();
      h.set("X-Extra", "kept");
      m.respondError(418, "teapot", "details", { headers: h });
    });
    await nc.flush();
    const req = headers();
    req.set("X-Req", "yes");
    const r1 = await client.request(`${g.prefix}.echo.one`, "payload", { headers: req });
    assert.equal(r1.string(), "payload");
    assert.equal(r1.headers?.get("X-Echo"), `${g.prefix}.echo.one`);
    assert.equal(seen[0]!.subject, `${g.prefix}.echo.one`);
    assert.equal(seen[0]!.hdr, "yes");
    assert.ok(seen[0]!.reply?.startsWith("_INBOX."));
    assert.equal(serviceError(r1), null);

    const r2 = await client.request(`${g.prefix}.json`, JSON.stringify({ n: 41 }));
    assert.deepEqual(r2.json(), { got: 42 });

    const r3 = await client.request(`${g.prefix}.err`, "");
    assert.equal(r3.string(), "details");
    assert.equal(r3.headers?.get("Nats-Service-Error"), "teapot");
    assert.equal(r3.headers?.get("Nats-Service-Error-Code"), "418");
    assert.equal(r3.headers?.get("X-Extra"), "kept");
    const e = serviceError(r3);
    assert.ok(e instanceof ServiceError);
    assert.equal(e.status, 418);
    assert.equal(e.description, "teapot");
    await s.stop();
  });

  it("respondError and respondJson refuse bad arguments without sending", async () => {
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    const errors: string[] = [];
    const subject = uniq("args");
    s.addEndpoint("args", {
      subject,
      handler: (_e, m) => {
        const bad = [() => m.respondError(1.5, "x"), () => m.respondError(400, ""), () => m.respondError(400, "two\nlines"), () => m.respondJson(10n), () => m.respondJson(undefined)];
        for (const f of bad) {
          try {
            f();
          } catch (err) {
            errors.push((err as Error).constructor.name);
          }
        }
        m.respond("ok");
      },
    });
    await nc.flush();
    assert.equal((await client.request(subject)).string(), "ok");
    assert.deepEqual(errors, Array(5).fill("InvalidArgumentError"));
    const [st] = (await s.stats()).endpoints;
    assert.deepEqual([st!.num_requests, st!.num_errors], [1, 0]);
    await s.stop();
  });

  it("a handler that throws (or rejects) answers 500 and tells the error handler", async () => {
    const reported: Error[] = [];
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0", errorHandler: (e) => reported.push(e) });
    const subject = uniq("boom");
    s.addEndpoint("boom", { subject, handler: () => { throw new Error("kaput\nsecond line"); } });
    s.addEndpoint("async", { subject: `${subject}.async`, handler: async () => { await Promise.resolve(); throw new TypeError("late"); } });
    s.addEndpoint("coded", { subject: `${subject}.coded`, handler: () => { throw new ServiceError(404, "no such thing"); } });
    s.addEndpoint("answered", { subject: `${subject}.answered`, handler: (_e, m) => { m.respond("fine"); throw new Error("after"); } });
    await nc.flush();
    const r1 = await client.request(subject);
    assert.equal(serviceError(r1)?.status, 500);
    assert.equal(serviceError(r1)?.description, "kaput second line");
    const r2 = await client.request(`${subject}.async`);
    assert.deepEqual([serviceError(r2)?.status, serviceError(r2)?.description], [500, "late"]);
    const r3 = await client.request(`${subject}.coded`);
    assert.deepEqual([serviceError(r3)?.status, serviceError(r3)?.description], [404, "no such thing"]);
    const r4 = await client.request(`${subject}.answered`);
    assert.equal(r4.string(), "fine");
    assert.equal(serviceError(r4), null);
    await until(() => reported.length === 4, "four reports");
    assert.ok(reported.every((e) => e instanceof ServiceHandlerError));
    assert.deepEqual(reported.map((e) => (e as ServiceHandlerError).endpoint).sort(), ["answered", "async", "boom", "coded"]);
    assert.ok(reported.some((e) => e.cause instanceof TypeError));
    const stats = (await s.stats()).endpoints;
    assert.deepEqual(
      stats.map((e) => [e.name, e.num_requests, e.num_errors, e.last_error]),
      [
        ["boom", 1, 1, "500:kaput second line"],
        ["async", 1, 1, "500:late"],
        ["coded", 1, 1, "404:no such thing"],
        ["answered", 1, 0, ""], // its reply carried no error headers: reported, not counted
      ],
    );
    await s.stop();
  });

  it("endpoints without a handler are async iterables of ServiceMsg", async () => {
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    const subject = uniq("iter");
    const iter = s.addEndpoint("iter", { subject });
    const served: string[] = [];
    const loop = (async () => {
      for await (const m of iter) {
        served.push(m.string());
        if (m.string() === "bad") m.respondError(400, "bad input");
        else m.respond(m.string().toUpperCase());
      }
    })();
    await nc.flush();
    assert.equal((await client.request(subject, "a")).string(), "A");
    assert.equal(serviceError(await client.request(subject, "bad"))?.status, 400);
    assert.equal((await client.request(subject, "c")).string(), "C");
    await s.stop();
    await loop; // the iteration ended with the service
    assert.deepEqual(served, ["a", "bad", "c"]);
    const [st] = (await s.stats()).endpoints;
    assert.deepEqual([st!.num_requests, st!.num_errors, st!.last_error], [3, 1, "400:bad input"]);
  });

  it("leaving an iterator endpoint's loop stops the service", async () => {
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
    const subject = uniq("leave");
    const iter = s.addEndpoint("leave", { subject });
    const loop = (async () => {
      for await (const m of iter) {
        m.respond("bye");
        break;
      }
    })();
    await nc.flush();
    assert.equal((await client.request(subject)).string(), "bye");
    await loop;
    assert.equal(await s.stopped, null);
    assert.equal(s.isStopped, true);
  });

  it("two instances in one queue group split the load; without a queue group each gets everything", async () => {
    const name = uniq("split");
    const subject = uniq("work");
    const nc2 = await srv.connect();
    const counts = [0, 0];
    const make = async (conn: NatsConnection, i: number, queue?: null) => {
      const s = await new Svcm(conn).add({ name, version: "1.0.0", ...(queue === null ? { queue } : {}) });
      s.addEndpoint("work", { subject: queue === null ? `${subject}.all` : subject, handler: (_e, m: ServiceMsg) => { counts[i]!++; m.respond(String(i)); } });
      await conn.flush();
      return s;
    };
    const [a, b] = await Promise.all([make(nc, 0), make(nc2, 1)]);
    const N = 60;
    await Promise.all(Array.from({ length: N }, () => client.request(subject)));
    assert.equal(counts[0]! + counts[1]!, N);
    assert.ok(counts[0]! > 0 && counts[1]! > 0, `both instances work: ${counts}`);
    const [sa, sb] = await Promise.all([a.stats(), b.stats()]);
    assert.equal(sa.endpoints[0]!.num_requests + sb.endpoints[0]!.num_requests, N);
    await Promise.all([a.stop(), b.stop()]);

    counts.fill(0);
    const [c, d] = await Promise.all([make(nc, 0, null), make(nc2, 1, null)]);
    for (let i = 0; i < 10; i++) client.publish(`${subject}.all`);
    await until(() => counts[0] === 10 && counts[1] === 10, "every instance got every request");
    await Promise.all([c.stop(), d.stop()]);
  });

  it("applies pending limits to the endpoint's subscription and reports dropped requests", async () => {
    const reported: Error[] = [];
    const s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0", errorHandler: (e) => reported.push(e) });
    const subject = uniq("slow");
    const iter = s.addEndpoint("slow", { subject, pending: { msgs: 5 } });
    await nc.flush();
    for (let i = 0; i < 20; i++) client.publish(subject, String(i));
    await client.flush();
    await until(() => reported.length > 0, "a slow consumer report");
    assert.equal(reported[0]!.constructor.name, "SlowConsumerError");
    const got: string[] = [];
    const loop = (async () => {
      for await (const m of iter) got.push(m.string());
    })();
    await s.stop();
    await loop;
    assert.deepEqual(got, ["0", "1", "2", "3", "4"]);
    // the dropped ones were never handled nor answered: they count nowhere
    const [st] = (await s.stats()).endpoints;
    assert.deepEqual([st!.num_requests, st!.num_errors, st!.last_error], [5, 0, ""]);
  });

  it("several services share one connection", async () => {
    const [a, b] = await Promise.all([new Svcm(nc).add({ name: uniq(), version: "1.0.0" }), new Svcm(nc).add({ name: uniq(), version: "2.0.0" })]);
    assert.notEqual(a.id, b.id);
    const sa = uniq("sa");
    const sb = uniq("sb");
    a.addEndpoint("x", { subject: sa, handler: (_e, m) => m.respond("a") });
    b.addEndpoint("x", { subject: sb, handler: (_e, m) => m.respond("b") });
    await nc.flush();
    assert.equal((await client.request(sa)).string(), "a");
    assert.equal((await client.request(sb)).string(), "b");
    await a.stop();
    assert.equal((await client.request(sb)).string(), "b");
    await b.stop();
  });

  it("`await using` stops the service at the end of the scope", async () => {
    const subject = uniq("scoped");
    let stopped: Promise<Error | null> | undefined;
    {
      await using s = await new Svcm(nc).add({ name: uniq(), version: "1.0.0" });
      s.addEndpoint("scoped", { subject, handler: (_e, m) => m.respond("in scope") });
      await nc.flush();
      assert.equal((await client.request(subject)).string(), "in scope");
      stopped = s.stopped;
    }
    assert.equal(await stopped, null);
    await assert.rejects(client.request(subject), { code: "NO_RESPONDERS" });
  });

  it("Svcm needs a connection", () => {
    assert.throws(() => new Svcm({} as never), InvalidArgumentError);
  });
}
