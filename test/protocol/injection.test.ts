// Protocol injection through the public API: subjects, reply subjects, queue names, header keys
// and values carrying CR/LF/space/tab are rejected before anything is sent. Checked on the wire
// against the fake server (it records every line) and end to end against a real nats-server.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect, headers, BadSubjectError, InvalidArgumentError, type NatsConnection, type Msg } from "../../src/index.js";
import { FakeServer, type FakeConnection } from "../support/fake_server.js";
import { useServer } from "../support/fixtures.js";
import { Connections } from "../support/helpers.js";
import { recordStatus } from "../support/events.js";

const EVIL = "\nPUB evil 1\r\nx";
const BAD_SUBJECTS = [
  `ok${EVIL}`, `evil\r\nPUB evil 1\r\nx`, EVIL, "a b", "a\tb", "a\r\n", "a\rb", "a\nb", "ok\r\nSUB > 99", "ok 5\r\nx\r\nPUB evil", " ", "\t", "\r\n", "a..b", ".a", "a.",
];
const BAD_QUEUES = [`q${EVIL}`, "q\r\nPUB evil 1\r\nx", "q q", "q\tq", "q\r\n", " ", "\r\n"];
const BAD_HEADER_KEYS = [`X${EVIL}`, "X\r\nPUB evil 1\r\nx", "X Y", "X\tY", "X:Y", "X\r\n", ""];
const BAD_HEADER_VALUES = [`v${EVIL}`, "v\r\nPUB evil 1\r\nx", "v\r", "v\n", "\r\n\r\nPUB evil 1\r\nx"];

const MUX_SUB = /^SUB _INBOX\.[0-9A-Za-z]{22}\.\* \d+$/;

function isBadSubject(e: unknown): boolean {
  return e instanceof BadSubjectError && e instanceof InvalidArgumentError && e.code === "BAD_SUBJECT";
}
function isInvalidArgument(e: unknown): boolean {
  return e instanceof InvalidArgumentError && (e.code === "INVALID_ARGUMENT" || e.code === "BAD_SUBJECT");
}

/** Every injection attempt through a connection; `legit` publishes a few valid frames in between. */
async function attackAll(nc: NatsConnection): Promise<void> {
  for (const s of BAD_SUBJECTS) {
    assert.throws(() => nc.publish(s, "x"), isBadSubject, `publish ${JSON.stringify(s)}`);
    assert.throws(() => nc.publish("ok.subject", "x", { reply: s }), isBadSubject, `reply ${JSON.stringify(s)}`);
    assert.throws(() => nc.subscribe(s), isBadSubject, `subscribe ${JSON.stringify(s)}`);
    let p: Promise<Msg> | undefined;
    assert.doesNotThrow(() => {
      p = nc.request(s, "x", { timeout: 1000 });
    }, `request ${JSON.stringify(s)} must reject, not throw`);
    await assert.rejects(p!, isBadSubject, `request ${JSON.stringify(s)}`);
    await assert.rejects(nc.request("ok.subject", "x", { timeout: 1000, noMux: true, reply: s }), isBadSubject, `request reply ${JSON.stringify(s)}`);
  }
  for (const q of BAD_QUEUES) assert.throws(() => nc.subscribe("ok.subject", { queue: q }), isBadSubject, `queue ${JSON.stringify(q)}`);
  const h = headers();
  for (const k of BAD_HEADER_KEYS) {
    assert.throws(() => h.set(k, "v"), isInvalidArgument, `header key ${JSON.stringify(k)}`);
    assert.throws(() => h.append(k, "v"), isInvalidArgument, `header key ${JSON.stringify(k)}`);
  }
  for (const v of BAD_HEADER_VALUES) {
    assert.throws(() => h.set("K", v), isInvalidArgument, `header value ${JSON.stringify(v)}`);
    assert.throws(() => h.append("K", v), isInvalidArgument, `header value ${JSON.stringify(v)}`);
  }
  assert.throws(() => headers(503, `d${EVIL}`), isInvalidArgument);
  // a look-alike headers object cannot smuggle raw bytes
  const fake = { encode: () => new TextEncoder().encode(`NATS/1.0\r\n\r\n${EVIL}`) } as unknown as ReturnType<typeof headers>;
  assert.throws(() => nc.publish("ok.subject", "x", { headers: fake }), isInvalidArgument);
  await assert.rejects(nc.request("ok.subject", "x", { timeout: 1000, headers: fake }), isInvalidArgument);
}

describe("injection against the fake server", () => {
  let fake: FakeServer;
  const conns = new Connections();
  before(async () => {
    fake = await FakeServer.start();
  });
  after(async () => {
    await conns.closeAll();
    await fake.stop();
  });

  async function session(): Promise<{ nc: NatsConnection; conn: FakeConnection }> {
    const ncP = connect({ servers: fake.url, reconnect: false });
    const conn = await fake.nextConnection();
    const nc = await ncP;
    conns.track(nc);
    return { nc, conn };
  }

  /** Flushes, then checks the fake server saw exactly CONNECT, PING and `legit` (+ the flush PING). */
  async function assertOnlyLegit(nc: NatsConnection, conn: FakeConnection, legit: string[]): Promise<void> {
    await nc.flush();
    await conn.waitFor("PING");
    const lines = conn.lines.filter((l) => l !== "PING");
    assert.equal(lines.filter((l) => l.startsWith("CONNECT {")).length, 1, JSON.stringify(lines));
    // a request may legitimately create the shared reply subscription before its publish fails
    const mux = lines.filter((l) => MUX_SUB.test(l));
    assert.ok(mux.length <= 1, JSON.stringify(lines));
    const rest = lines.filter((l) => !l.startsWith("CONNECT {") && !MUX_SUB.test(l)).map((l) => l.replace(/^(SUB .*) \d+$/, "$1"));
    assert.deepEqual(rest, legit);
    assert.ok(!conn.lines.some((l) => !l.startsWith("CONNECT {") && l.includes("evil")), JSON.stringify(conn.lines));
    assert.ok(!conn.published.some((f) => f.subject.includes("evil") || (f.reply ?? "").includes("evil")));
  }

  // First on purpose: the subject validator's cache starts as "", so the very first check matters.
  it("an empty subject is rejected by the first publish of the process", async () => {
    const { nc, conn } = await session();
    assert.throws(() => nc.publish(""), isBadSubject, "publish('')");
    assert.throws(() => nc.publish("ok", "x", { reply: "" }), isBadSubject, "reply ''");
    assert.throws(() => nc.subscribe(""), isBadSubject, "subscribe('')");
    assert.throws(() => nc.subscribe("ok", { queue: "" }), isBadSubject, "queue ''");
    await assert.rejects(nc.request("", "x", { timeout: 1000 }), isBadSubject);
    await assertOnlyLegit(nc, conn, []);
  });

  it("bad subjects, replies, queues and headers throw or reject; nothing extra is sent", async () => {
    const { nc, conn } = await session();
    nc.publish("legit.a", "1");
    await attackAll(nc);
    const h = headers();
    h.set("K", "v");
    nc.publish("legit.b", "2", { reply: "legit.reply", headers: h });
    nc.subscribe("legit.>", { queue: "legit-q" });
    await assertOnlyLegit(nc, conn, ["PUB legit.a 1", "HPUB legit.b legit.reply 18 19", "SUB legit.> legit-q"]);
    assert.deepEqual(conn.published.map((f) => [f.subject, f.reply, Buffer.from(f.data).toString()]), [
      ["legit.a", undefined, "1"],
      ["legit.b", "legit.reply", "2"],
    ]);
    assert.equal(Buffer.from(conn.published[1]!.headers!).toString(), "NATS/1.0\r\nK: v\r\n\r\n");
    assert.equal(nc.isClosed(), false);
  });

  it("each attempt alone leaves the wire untouched", async () => {
    const { nc, conn } = await session();
    for (const s of BAD_SUBJECTS) {
      assert.throws(() => nc.publish(s), isBadSubject);
      assert.throws(() => nc.subscribe("x", { queue: BAD_QUEUES[0]! }), isBadSubject);
      await nc.flush();
    }
    await assertOnlyLegit(nc, conn, []);
  });

  it("a payload holding protocol text is sent as payload with its byte count", async () => {
    const { nc, conn } = await session();
    const payload = `x\r\nPUB evil 1\r\ny\r\n\u00e9`;
    nc.publish("legit.p", payload);
    await nc.flush();
    assert.deepEqual(conn.lines.filter((l) => l !== "PING" && !l.startsWith("CONNECT {")), [`PUB legit.p ${Buffer.byteLength(payload)}`]);
    assert.equal(conn.published.length, 1);
    assert.equal(Buffer.from(conn.published[0]!.data).toString(), payload);
  });

  it("a bad inboxPrefix is rejected before connecting", async () => {
    const before = fake.connections.length;
    for (const prefix of [`_INBOX${EVIL}`, "a b", "a\tb", "a\r\nb", "a.*", "a.>", ".a", "a.", ""]) {
      await assert.rejects(connect({ servers: fake.url, reconnect: false, inboxPrefix: prefix }), isInvalidArgument, JSON.stringify(prefix));
    }
    const { nc, conn } = await session(); // a round trip later: no connection was attempted by the rejected ones
    await assertOnlyLegit(nc, conn, []);
    assert.equal(fake.connections.length, before + 1);
  });

  it("a connection name with CR/LF cannot break the CONNECT line", async () => {
    const name = `app${EVIL}`;
    let nc: NatsConnection | undefined;
    const ncP = connect({ servers: fake.url, reconnect: false, name });
    try {
      nc = await ncP;
    } catch (err) {
      assert.ok(isInvalidArgument(err), String(err));
      return;
    }
    conns.track(nc);
    const conn = fake.connections[fake.connections.length - 1]!;
    await assertOnlyLegit(nc, conn, []);
    assert.equal(conn.connectInfo?.name, name);
  });
});

describe("injection against a real nats-server", () => {
  const server = useServer();
  let watcher: NatsConnection;
  const seen: Msg[] = [];
  before(async () => {
    watcher = await server.connect();
    watcher.subscribe(">", {
      callback: (_err, m) => {
        if (m) seen.push(m);
      },
    });
    await watcher.flush();
  });

  it("bad input never reaches the server; the connection stays healthy", async () => {
    const nc = await server.connect();
    const statuses = recordStatus(nc);
    const start = seen.length;
    await attackAll(nc);
    assert.throws(() => nc.publish(""), isBadSubject);
    const payload = `x\r\nPUB evil 1\r\ny\r\n`;
    nc.publish("legit.payload", payload);
    const h = headers();
    h.append("K", "v1");
    h.append("K", "v2");
    nc.publish("legit.hdr", "", { headers: h });
    await nc.flush();
    await watcher.flush();
    const got = seen.slice(start);
    assert.deepEqual(got.map((m) => m.subject), ["legit.payload", "legit.hdr"]);
    assert.equal(got[0]!.string(), payload);
    assert.deepEqual(got[1]!.headers?.values("K"), ["v1", "v2"]);
    assert.ok(!seen.some((m) => m.subject.includes("evil")));
    assert.deepEqual(statuses.filter((s) => s.type === "error" || s.type === "close" || s.type === "disconnect"), []);
    assert.equal(nc.isClosed(), false);
    // requests still work end to end
    nc.subscribe("legit.echo", {
      callback: (_err, m) => {
        m?.respond(m.data);
      },
    });
    const r = await nc.request("legit.echo", "ping", { timeout: 2000 });
    assert.equal(r.string(), "ping");
  });

  it("queue subscriptions with bad names are never created", async () => {
    const nc = await server.connect();
    for (const q of BAD_QUEUES) assert.throws(() => nc.subscribe("legit.q", { queue: q }), isBadSubject);
    const got: string[] = [];
    nc.subscribe("legit.q", {
      queue: "good",
      callback: (_e, m) => {
        if (m) got.push(m.string());
      },
    });
    await nc.flush();
    watcher.publish("legit.q", "one");
    await watcher.flush();
    await nc.flush();
    assert.deepEqual(got, ["one"]);
  });
});
