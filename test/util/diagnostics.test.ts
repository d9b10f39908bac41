// node:diagnostics_channel events ("tsnats:*") seen by a subscriber, against real nats-servers.
import { describe, it, before, after, afterEach } from "node:test";
import { strict as assert } from "node:assert";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import {
  connect,
  diagnosticsChannels,
  headers,
  ConnectionError,
  NoRespondersError,
  TimeoutError,
  type ServerInfo,
} from "../../src/index.js";
import { NatsServer } from "../support/server.js";
import { poll } from "../support/ports.js";
import { Connections } from "../support/helpers.js";

type Rec = Record<string, unknown>;
const NAMES = ["connect", "connected", "publish", "request", "disconnect", "reconnect", "close"] as const;
type Name = (typeof NAMES)[number];

/** Every message published on each tsnats channel while subscribed. */
const seen: Record<Name, Rec[]> = { connect: [], connected: [], publish: [], request: [], disconnect: [], reconnect: [], close: [] };
const handlers = new Map<Name, (m: unknown) => void>();

function clearSeen(): void {
  for (const n of NAMES) seen[n].length = 0;
}

let server: NatsServer;
const conns = new Connections(() => ({ servers: server.url }));

before(async () => {
  for (const n of NAMES) {
    const h = (m: unknown) => seen[n].push(m as Rec);
    handlers.set(n, h);
    subscribe(`tsnats:${n}`, h);
  }
  server = await NatsServer.start();
});

after(async () => {
  await conns.closeAll();
  for (const [n, h] of handlers) unsubscribe(`tsnats:${n}`, h);
  await server.stop();
});

afterEach(clearSeen);

const open = conns.open;

describe("diagnostics channels", () => {
  it("the exported channels are the named node:diagnostics_channel channels", () => {
    assert.equal(diagnosticsChannels.connect.hasSubscribers, true);
    assert.equal(diagnosticsChannels.publish.hasSubscribers, true);
    assert.equal(diagnosticsChannels.request.hasSubscribers, true);
    assert.equal(diagnosticsChannels.disconnect.hasSubscribers, true);
    assert.equal(diagnosticsChannels.close.hasSubscribers, true);
  });

  it("tsnats:connect carries the server and its INFO; tsnats:connected the handshake time", async () => {
    const nc = await open();
    assert.equal(seen.connect.length, 1);
    const c = seen.connect[0]!;
    assert.equal(c.server, server.hostport);
    const info = c.info as ServerInfo;
    assert.equal(info.server_id, nc.info?.server_id);
    assert.equal(info.port, server.port);
    assert.equal(seen.connected.length, 1);
    assert.equal(seen.connected[0]!.server, server.hostport);
    assert.equal(typeof seen.connected[0]!.ms, "number");
    assert.ok((seen.connected[0]!.ms as number) >= 0);
  });

  it("tsnats:publish carries subject, reply and size (payload plus header bytes)", async () => {
    const nc = await open();
    clearSeen();
    nc.publish("diag.pub", "hello");
    nc.publish("diag.pub.reply", new Uint8Array(10), { reply: "diag.inbox" });
    const h = headers();
    h.set("X-Diag", "1");
    nc.publish("diag.pub.hdr", "abc", { headers: h });
    nc.publish("diag.pub.empty");
    assert.deepEqual(
      seen.publish.map((p) => ({ ...p })),
      [
        { subject: "diag.pub", reply: undefined, size: 5 },
        { subject: "diag.pub.reply", reply: "diag.inbox", size: 10 },
        { subject: "diag.pub.hdr", reply: undefined, size: 3 + h.encode().length },
        { subject: "diag.pub.empty", reply: undefined, size: 0 },
      ],
    );
    // a rejected publish is not reported
    assert.throws(() => nc.publish("bad subject", "x"));
    assert.equal(seen.publish.length, 4);
    await nc.flush();
  });

  it("tsnats:request reports success with a duration, and failures with the error", async () => {
    const nc = await open();
    nc.subscribe("diag.svc", { callback: (_e, m) => m.respond("ok") });
    nc.subscribe("diag.silent", { callback: () => undefined });
    await nc.flush();
    clearSeen();
    await nc.request("diag.svc", "q", { timeout: 5_000 });
    await assert.rejects(nc.request("diag.none", "q", { timeout: 10_000 }), NoRespondersError);
    await assert.rejects(nc.request("diag.silent", "q", { timeout: 100 }), TimeoutError);
    assert.equal(seen.request.length, 3);
    const [ok, none, slow] = seen.request;
    assert.equal(ok!.subject, "diag.svc");
    assert.equal(typeof ok!.ms, "number");
    assert.equal(ok!.error, undefined);
    assert.equal(none!.subject, "diag.none");
    assert.ok(none!.error instanceof NoRespondersError);
    assert.equal(slow!.subject, "diag.silent");
    assert.ok(slow!.error instanceof TimeoutError);
    // the request itself went out on tsnats:publish with its reply inbox
    const reqPub = seen.publish.find((p) => p.subject === "diag.svc");
    assert.ok(reqPub && typeof reqPub.reply === "string" && reqPub.reply.startsWith("_INBOX."), JSON.stringify(reqPub));
    // and the answer, published to the request's reply as received, under that subject
    const answer = seen.publish.find((p) => p.subject === reqPub!.reply);
    assert.ok(answer && answer.size === 2, JSON.stringify(answer));
  });

  it("tsnats:close after close() has no error", async () => {
    const nc = await connect({ servers: server.url });
    clearSeen();
    await nc.close();
    assert.equal(seen.close.length, 1);
    assert.equal(seen.close[0]!.error, undefined);
    assert.equal(seen.disconnect.length, 0);
  });

  it("tsnats:disconnect and tsnats:reconnect on a forced reconnect", async () => {
    const nc = await open({ reconnectTimeWait: 10 });
    clearSeen();
    await nc.reconnect();
    assert.equal(seen.disconnect.length, 1);
    assert.equal(seen.disconnect[0]!.server, server.hostport);
    assert.ok(seen.disconnect[0]!.error instanceof ConnectionError);
    await poll(() => (seen.reconnect.length === 1 ? true : undefined), 5_000, () => "no tsnats:reconnect");
    assert.equal(seen.reconnect[0]!.server, server.hostport);
    assert.equal(seen.connect.length, 0, "tsnats:connect is for the first connection only");
    assert.equal(seen.connected.length, 1);
    assert.equal(seen.close.length, 0);
  });

  it("tsnats:disconnect then tsnats:close with the error when the server goes away", async () => {
    const own = await NatsServer.start();
    try {
      const nc = await connect({ servers: own.url, reconnect: false });
      clearSeen();
      await own.kill();
      const err = await nc.closed();
      assert.ok(err instanceof Error);
      assert.equal(seen.disconnect.length, 1);
      assert.equal(seen.disconnect[0]!.server, own.hostport);
      assert.equal(seen.disconnect[0]!.error, err);
      assert.equal(seen.close.length, 1);
      assert.equal(seen.close[0]!.error, err);
    } finally {
      await own.stop();
    }
  });
});
