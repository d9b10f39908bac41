// Request/reply and requestMany against a real nats-server.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import {
  headers,
  NatsConnection,
  NatsError,
  NoRespondersError,
  TimeoutError,
  InvalidArgumentError,
  type ConnectionOptions,
  type Msg,
  type RequestManyOptions,
  type Subscription,
} from "../../src/index.js";
import { NatsServer, monitorGet } from "../support/server.js";
import { poll, sleep } from "../support/ports.js";
import { assertRejectsWithAbortReason, Connections } from "../support/helpers.js";

interface ConnzSubDetail {
  subject: string;
  sid: string;
  max?: number;
}
interface Connz {
  connections: { cid: number; name?: string; subscriptions_list?: string[]; subscriptions_list_detail?: ConnzSubDetail[] }[];
}

let server: NatsServer;
const conns = new Connections(() => ({ servers: server.url }));

/** A connection to the server named `name` (so that /connz can find it); closed in after(). */
function open(name: string, extra: ConnectionOptions = {}): Promise<NatsConnection> {
  return conns.open({ name, ...extra });
}

/** The subscriptions the server holds for the connection named `name`. */
async function serverSubs(name: string): Promise<ConnzSubDetail[]> {
  const cz = await monitorGet<Connz>(server.monitorPort!, "/connz?subs=detail");
  const c = cz.connections.find((x) => x.name === name);
  assert.ok(c, `connection '${name}' not in /connz`);
  return c.subscriptions_list_detail ?? [];
}

/**
 * Waits until the server's subscriptions for the connection named `name` pass `done` (by default:
 * until there are none); fails after `timeoutMs` with `what` and the subscriptions seen last.
 */
async function untilServerSubs(name: string, what: string, timeoutMs: number, done = (subs: ConnzSubDetail[]) => subs.length === 0): Promise<void> {
  let last: ConnzSubDetail[] = [];
  await poll(async () => (done((last = await serverSubs(name))) ? true : undefined), timeoutMs, () => `${what}: ${JSON.stringify(last)}`);
}

async function collect(it: AsyncIterable<Msg>): Promise<string[]> {
  const out: string[] = [];
  for await (const m of it) out.push(m.string());
  return out;
}

let uniq = 0;
const subj = (base: string): string => `${base}.${++uniq}`;

before(async () => {
  server = await NatsServer.start({ monitor: true });
});

after(async () => {
  await conns.closeAll();
  await server.stop();
});

describe("request (muxed, the default)", () => {
  it("answers 500 concurrent requests, each with its own reply, over ONE wildcard inbox subscription", async () => {
    const responder = await open("mux-responder");
    const nc = await open("mux-requester");
    const subject = subj("mux.echo");
    let served = 0;
    responder.subscribe(subject, {
      callback: (_err, m) => {
        served++;
        // answer out of order: every 7th reply is delayed
        const n = Number(m.string());
        if (n % 7 === 0) setTimeout(() => m.respond(`reply-${n}`), 5);
        else m.respond(`reply-${n}`);
      },
    });
    await responder.flush();

    const N = 500;
    const replies = await Promise.all(Array.from({ length: N }, (_, i) => nc.request(subject, String(i), { timeout: 10_000 })));
    assert.equal(served, N);
    for (let i = 0; i < N; i++) assert.equal(replies[i]!.string(), `reply-${i}`, `request ${i} got another request's reply`);
    // a second batch reuses the same subscription
    const again = await Promise.all(Array.from({ length: 50 }, (_, i) => nc.request(subject, String(1000 + i), { timeout: 10_000 })));
    again.forEach((m, i) => assert.equal(m.string(), `reply-${1000 + i}`));

    const subs = await serverSubs("mux-requester");
    assert.equal(subs.length, 1, `expected one subscription, got ${JSON.stringify(subs)}`);
    assert.match(subs[0]!.subject, /^_INBOX\.[^.]+\.\*$/);
    // every reply came in on that wildcard
    const prefix = subs[0]!.subject.slice(0, -1);
    for (const m of replies) assert.ok(m.subject.startsWith(prefix), m.subject);
  });

  it("a slow reply still finds its request after a thousand later requests came and went", async () => {
    const responder = await open("mux-straggler-responder");
    const nc = await open("mux-straggler-requester");
    const subject = subj("mux.straggler");
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    responder.subscribe(subject, {
      callback: (_err, m) => {
        if (m.string() === "slow") void released.then(() => m.respond("slow reply"));
        else m.respond(m.data);
      },
    });
    await responder.flush();
    const slow = nc.request(subject, "slow", { timeout: 10_000 });
    for (let round = 0; round < 10; round++) {
      const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => nc.request(subject, `${round}-${i}`, { timeout: 10_000 })));
      replies.forEach((m, i) => assert.equal(m.string(), `${round}-${i}`));
    }
    release();
    assert.equal((await slow).string(), "slow reply");
  });

  it("uses the connection's inboxPrefix for the mux subscription", async () => {
    const nc = await open("mux-prefix", { inboxPrefix: "_MYBOX.app" });
    const subject = subj("mux.prefix");
    let reply: string | undefined;
    nc.subscribe(subject, { callback: (_e, m) => ((reply = m.reply), m.respond("ok")) });
    await nc.flush();
    assert.equal((await nc.request(subject, "x", { timeout: 5_000 })).string(), "ok");
    assert.match(reply!, /^_MYBOX\.app\.[^.]+\.[^.]+$/);
    const subs = await serverSubs("mux-prefix");
    assert.ok(subs.some((s) => /^_MYBOX\.app\.[^.]+\.\*$/.test(s.subject)), JSON.stringify(subs));
  });

  it("rejects with NoRespondersError long before a big timeout when nobody listens", async () => {
    const nc = await open("mux-noresp");
    const subject = subj("nobody.home");
    await assert.rejects(nc.request(subject, "x", { timeout: 10_000 }), (err: unknown) => {
      assert.ok(err instanceof NoRespondersError, String(err));
      assert.ok(err instanceof NatsError);
      assert.equal(err.code, "NO_RESPONDERS");
      assert.equal(err.subject, subject);
      return true;
    });
    assert.ok(nc.isConnected());
  });

  it("rejects with TimeoutError when the responder never answers", async () => {
    const nc = await open("mux-timeout");
    const subject = subj("silent");
    let seen = 0;
    nc.subscribe(subject, { callback: () => seen++ });
    await nc.flush();
    await assert.rejects(nc.request(subject, "x", { timeout: 200 }), (err: unknown) => {
      assert.ok(err instanceof TimeoutError, String(err));
      assert.equal(err.code, "TIMEOUT");
      return true;
    });
    assert.equal(seen, 1);
    // a late reply to the timed-out request is ignored and later requests still work
    const subject2 = subj("answers");
    nc.subscribe(subject2, { callback: (_e, m) => m.respond("fine") });
    assert.equal((await nc.request(subject2, "", { timeout: 5_000 })).string(), "fine");
  });

  it("times out each request at its own deadline, a short one sent after long ones included", async () => {
    const nc = await open("mux-deadlines");
    const silent = subj("silent.mixed");
    const answers = subj("answers.mixed");
    nc.subscribe(silent, { callback: () => undefined });
    nc.subscribe(answers, { callback: (_e, m) => m.respond("ok") });
    await nc.flush();
    const order: string[] = [];
    const track = (name: string, p: Promise<Msg>) =>
      p.then(
        () => order.push(`${name}:replied`),
        (err: unknown) => order.push(`${name}:${err instanceof TimeoutError ? "timeout" : String(err)}`),
      );
    const t0 = performance.now();
    const long = track("long", nc.request(silent, "", { timeout: 600 }));
    const mid = track("mid", nc.request(silent, "", { timeout: 300 }));
    const short = track("short", nc.request(silent, "", { timeout: 100 }));
    // answered while the three wait: settles without touching their deadlines
    await track("answered", nc.request(answers, "", { timeout: 5_000 }));
    await short;
    assert.ok(performance.now() - t0 >= 100, "the short request timed out before its deadline");
    await Promise.all([mid, long]);
    assert.ok(performance.now() - t0 >= 600, "the long request timed out before its deadline");
    assert.deepEqual(order, ["answered:replied", "short:timeout", "mid:timeout", "long:timeout"]);
    // and a request after all that still gets its reply
    assert.equal((await nc.request(answers, "", { timeout: 5_000 })).string(), "ok");
    // a timeout of Infinity never fires: the request waits for its (late) reply
    const late = subj("answers.late");
    nc.subscribe(late, { callback: (_e, m) => void sleep(50).then(() => m.respond("late")) });
    await nc.flush();
    assert.equal((await nc.request(late, "", { timeout: Infinity })).string(), "late");
  });

  it("uses requestTimeout from the connection options when no timeout is given", async () => {
    const nc = await open("mux-deftimeout", { requestTimeout: 150 });
    const subject = subj("silent.default");
    nc.subscribe(subject, { callback: () => undefined });
    await nc.flush();
    await assert.rejects(nc.request(subject, "x"), TimeoutError);
  });

  it("rejects with the signal's reason when aborted, and at once for an already-aborted signal", async () => {
    const nc = await open("mux-abort");
    const subject = subj("slow");
    nc.subscribe(subject, { callback: () => undefined });
    await nc.flush();
    await assertRejectsWithAbortReason((signal) => nc.request(subject, "x", { timeout: 10_000, signal }), 20);
  });

  it("carries request headers to the responder and reply headers back", async () => {
    const nc = await open("mux-headers");
    const subject = subj("hdrs");
    nc.subscribe(subject, {
      callback: (_e, m) => {
        const h = headers();
        h.set("X-Echo", m.headers?.get("X-Req") ?? "missing");
        h.append("X-Multi", "1");
        h.append("X-Multi", "2");
        m.respond(`got ${m.string()}`, { headers: h });
      },
    });
    await nc.flush();
    const h = headers();
    h.set("X-Req", "hello-header");
    const r = await nc.request(subject, "body", { timeout: 5_000, headers: h });
    assert.equal(r.string(), "got body");
    assert.equal(r.headers?.get("X-Echo"), "hello-header");
    assert.deepEqual(r.headers?.values("X-Multi"), ["1", "2"]);
  });

  it("rejects a bad subject or a negative timeout with an argument error", async () => {
    const nc = await open("mux-badargs");
    await assert.rejects(nc.request("bad subject", "x"), (e: unknown) => e instanceof InvalidArgumentError && e.code === "BAD_SUBJECT");
    await assert.rejects(nc.request("ok.subject", "x", { timeout: -1 }), (e: unknown) => e instanceof InvalidArgumentError && e.code === "INVALID_ARGUMENT");
  });
});

describe("request with noMux", () => {
  it("uses a dedicated inbox: SUB on a plain inbox, auto-unsubscribed after the reply", async () => {
    const responder = await open("nomux-responder");
    const nc = await open("nomux-requester");
    const subject = subj("nomux.echo");
    let during: ConnzSubDetail[] = [];
    let replySubject = "";
    responder.subscribe(subject, {
      callback: (_e, m) => {
        replySubject = m.reply ?? "";
        // look at the requester's subscriptions while it waits for this reply
        void serverSubs("nomux-requester").then((s) => {
          during = s;
          m.respond(`re:${m.string()}`);
        });
      },
    });
    await responder.flush();
    const r = await nc.request(subject, "one", { timeout: 10_000, noMux: true });
    assert.equal(r.string(), "re:one");
    assert.match(replySubject, /^_INBOX\.[^.]+$/, "noMux replies go to a plain inbox, not a mux token");
    assert.equal(r.subject, replySubject);
    assert.equal(during.length, 1, JSON.stringify(during));
    assert.equal(during[0]!.subject, replySubject);
    assert.equal(Number(during[0]!.max), 1, `the inbox should be auto-unsubscribed after 1 message: ${JSON.stringify(during)}`);
    await nc.flush();
    await untilServerSubs("nomux-requester", "the dedicated inbox was not unsubscribed", 5_000);
  });

  it("noMux as a connection option works for every request, with headers", async () => {
    const nc = await open("nomux-conn", { noMux: true });
    const subject = subj("nomux.conn");
    const replies: string[] = [];
    nc.subscribe(subject, {
      callback: (_e, m) => {
        replies.push(m.reply ?? "");
        const h = headers();
        h.set("X-Back", m.headers?.get("X-In") ?? "none");
        m.respond(m.data, { headers: h });
      },
    });
    await nc.flush();
    const h = headers();
    h.set("X-In", "v");
    const rs = await Promise.all([1, 2, 3].map((i) => nc.request(subject, `n${i}`, { timeout: 5_000, headers: h })));
    assert.deepEqual(rs.map((m) => m.string()), ["n1", "n2", "n3"]);
    rs.forEach((m) => assert.equal(m.headers?.get("X-Back"), "v"));
    assert.equal(new Set(replies).size, 3, "each request has its own inbox");
    for (const r of replies) assert.match(r, /^_INBOX\.[^.]+$/);
  });

  it("no responders rejects with NoRespondersError and leaves no inbox subscribed on the server", async () => {
    const nc = await open("nomux-noresp");
    await assert.rejects(nc.request(subj("nomux.none"), "x", { timeout: 10_000, noMux: true }), (e: unknown) => e instanceof NoRespondersError && e.code === "NO_RESPONDERS");
    assert.ok(nc.isConnected());
    // the server does not count the 503 status against the inbox's auto-unsubscribe max, so the
    // client must UNSUB the dedicated inbox itself
    await nc.flush();
    await untilServerSubs("nomux-noresp", "the dedicated inbox is still subscribed on the server after a no-responders reply", 2_000);
  });

  it("timeout and abort behave as with the mux and unsubscribe the dedicated inbox", async () => {
    const nc = await open("nomux-errors");
    const silent = subj("nomux.silent");
    nc.subscribe(silent, { callback: () => undefined });
    await nc.flush();
    await assert.rejects(nc.request(silent, "x", { timeout: 150, noMux: true }), TimeoutError);
    const ac = new AbortController();
    const reason = new Error("stop it");
    const p = nc.request(silent, "x", { timeout: 10_000, noMux: true, signal: ac.signal });
    setTimeout(() => ac.abort(reason), 20);
    await assert.rejects(p, (e: unknown) => e === reason);
    await nc.flush();
    await untilServerSubs("nomux-errors", "dedicated inboxes were left subscribed", 2_000, (subs) => subs.every((s) => s.subject === silent));
  });
});

describe("Msg.respond", () => {
  it("returns false without a reply subject and true with one", async () => {
    const nc = await open("respond");
    const subject = subj("respond");
    const results: boolean[] = [];
    nc.subscribe(subject, { callback: (_e, m) => results.push(m.respond("pong")) });
    await nc.flush();
    nc.publish(subject, "no reply here");
    await nc.flush();
    const r = await nc.request(subject, "with reply", { timeout: 5_000 });
    assert.equal(r.string(), "pong");
    assert.deepEqual(results, [false, true]);
  });
});

describe("requestMany", () => {
  let responder: NatsConnection;
  let nc: NatsConnection;
  const subs: Subscription[] = [];
  before(async () => {
    responder = await open("many-responder");
    nc = await open("many-requester");
  });
  after(() => subs.forEach((s) => s.unsubscribe()));

  /** Three responders on `subject`, each answering `r<i>:<payload>`; `extra` runs after each. */
  async function threeResponders(subject: string, extra?: (i: number, m: Msg) => void): Promise<void> {
    for (let i = 0; i < 3; i++) {
      subs.push(
        responder.subscribe(subject, {
          callback: (_e, m) => {
            m.respond(`r${i}:${m.string()}`);
            extra?.(i, m);
          },
        }),
      );
    }
    await responder.flush();
  }

  it("timer: collects every reply that arrives within maxWait", async () => {
    const subject = subj("many.timer");
    await threeResponders(subject);
    const got = await collect(nc.requestMany(subject, "q", { strategy: "timer", maxWait: 500 }));
    assert.deepEqual(got.sort(), ["r0:q", "r1:q", "r2:q"]);
  });

  it("timer is the default strategy", async () => {
    const subject = subj("many.default");
    await threeResponders(subject);
    const got = await collect(nc.requestMany(subject, "d", { maxWait: 400 }));
    assert.deepEqual(got.sort(), ["r0:d", "r1:d", "r2:d"]);
  });

  it("count: yields exactly maxMessages replies", async () => {
    const subject = subj("many.count");
    await threeResponders(subject);
    const got = await collect(nc.requestMany(subject, "c", { strategy: "count", maxMessages: 2, maxWait: 10_000 }));
    assert.equal(got.length, 2, JSON.stringify(got));
    for (const g of got) assert.match(g, /^r[012]:c$/);
    assert.notEqual(got[0], got[1]);
  });

  it("stall: ends once replies stop coming, so a late reply is not collected", async () => {
    const subject = subj("many.stall");
    await threeResponders(subject);
    // a fourth responder that answers long after the others
    subs.push(responder.subscribe(subject, { callback: (_e, m) => setTimeout(() => {
      try {
        m.respond("late");
      } catch {
        // the connection may be closed by then
      }
    }, 1_500) }));
    await responder.flush();
    const got = await collect(nc.requestMany(subject, "s", { strategy: "stall", stall: 200, maxWait: 10_000 }));
    assert.deepEqual(got.sort(), ["r0:s", "r1:s", "r2:s"]);
  });

  it("sentinel: ends at an empty reply, which is not yielded", async () => {
    const subject = subj("many.sentinel");
    subs.push(
      responder.subscribe(subject, {
        callback: (_e, m) => {
          for (const part of ["part1", "part2", "part3"]) m.respond(part);
          m.respond(""); // the sentinel
          m.respond("after-sentinel");
        },
      }),
    );
    await responder.flush();
    const got = await collect(nc.requestMany(subject, "go", { strategy: "sentinel", maxWait: 10_000 }));
    assert.deepEqual(got, ["part1", "part2", "part3"]);
  });

  it("passes request headers to every responder", async () => {
    const subject = subj("many.headers");
    const seen: string[] = [];
    await threeResponders(subject, (_i, m) => seen.push(m.headers?.get("X-Many") ?? "none"));
    const h = headers();
    h.set("X-Many", "yes");
    const got = await collect(nc.requestMany(subject, "h", { maxWait: 400, headers: h }));
    assert.equal(got.length, 3);
    assert.deepEqual(seen, ["yes", "yes", "yes"]);
  });

  it("throws NoRespondersError when nobody listens", async () => {
    const subject = subj("many.none");
    for (const strategy of ["timer", "count", "stall", "sentinel"] as const) {
      const opts: RequestManyOptions = { strategy, maxWait: 10_000, ...(strategy === "count" ? { maxMessages: 3 } : {}) };
      await assert.rejects(collect(nc.requestMany(subject, "x", opts)), (e: unknown) => {
        assert.ok(e instanceof NoRespondersError, `${strategy}: ${String(e)}`);
        assert.equal(e.code, "NO_RESPONDERS");
        return true;
      });
    }
  });

  it("count with maxMessages 1 and no responders leaves no inbox subscribed on the server", async () => {
    const nc2 = await open("many-noresp-count");
    await assert.rejects(collect(nc2.requestMany(subj("many.none1"), "x", { strategy: "count", maxMessages: 1, maxWait: 10_000 })), NoRespondersError);
    await nc2.flush();
    await untilServerSubs("many-noresp-count", "the requestMany inbox is still subscribed on the server after a no-responders reply", 2_000);
  });

  it("rejects bad strategy options", () => {
    const subject = subj("many.bad");
    assert.throws(() => nc.requestMany(subject, "x", { strategy: "count" }), InvalidArgumentError);
    assert.throws(() => nc.requestMany(subject, "x", { strategy: "bogus" as "timer" }), InvalidArgumentError);
    assert.throws(() => nc.requestMany(subject, "x", { maxWait: -5 }), InvalidArgumentError);
  });

  it("leaves no inbox subscription behind", async () => {
    const subject = subj("many.cleanup");
    await threeResponders(subject);
    await collect(nc.requestMany(subject, "x", { strategy: "count", maxMessages: 1, maxWait: 10_000 }));
    await collect(nc.requestMany(subject, "x", { maxWait: 200 }));
    await nc.flush();
    await sleep(20);
    await untilServerSubs("many-requester", "requestMany inboxes left subscribed", 5_000);
  });
});
