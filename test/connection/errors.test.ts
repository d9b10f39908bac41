// Server-reported errors (permissions, authorization) and credentials, against real nats-servers.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import {
  connect,
  AuthorizationError,
  NatsConnection,
  NatsError,
  PermissionViolationError,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Status,
} from "../../src/index.js";
import { NatsServer } from "../support/server.js";
import { poll } from "../support/ports.js";
import { Connections } from "../support/helpers.js";

const PERMS = `authorization {
  users = [
    { user: a, password: a, permissions: { publish: { deny: ["secret.>"] }, subscribe: { deny: ["hidden.>"] } } }
  ]
}`;
const TOKEN = "s3cr3t-t0ken";

let userServer: NatsServer;
let tokenServer: NatsServer;
const conns = new Connections();
const open = conns.open;

/** Collects `error` status events. */
function errorsOf(nc: NatsConnection): Error[] {
  const out: Error[] = [];
  nc.on("error", (s: Status) => {
    if (s.type === "error") out.push(s.error);
  });
  return out;
}

function isAuthError(e: unknown): boolean {
  assert.ok(e instanceof AuthorizationError, `expected AuthorizationError, got ${String(e)}`);
  assert.ok(e instanceof NatsError);
  assert.equal(e.code, "AUTHORIZATION_VIOLATION");
  return true;
}

before(async () => {
  [userServer, tokenServer] = await Promise.all([
    NatsServer.start({ config: PERMS }),
    NatsServer.start({ config: `authorization { token: "${TOKEN}" }` }),
  ]);
});

after(async () => {
  await conns.closeAll();
  await Promise.all([userServer.stop(), tokenServer.stop()]);
});

describe("permissions violations", () => {
  let nc: NatsConnection;
  let errors: Error[];
  before(async () => {
    nc = await open({ servers: userServer.url, user: "a", pass: "a" });
    errors = errorsOf(nc);
    // an echo service on an allowed subject, to show the connection is still usable
    nc.subscribe("echo", { callback: (_e, m) => m.respond(m.data) });
    await nc.flush();
  });

  async function nextError(): Promise<PermissionViolationError> {
    const e = await poll(() => errors.shift(), 5_000, () => "no error status event");
    assert.ok(e instanceof PermissionViolationError, `expected PermissionViolationError, got ${String(e)}`);
    assert.equal(e.code, "PERMISSIONS_VIOLATION");
    return e;
  }

  it("publish to a denied subject: error event, connection stays up", async () => {
    nc.publish("secret.plans", "classified");
    const e = await nextError();
    assert.equal(e.operation, "publish");
    assert.equal(e.subject, "secret.plans");
    assert.ok(nc.isConnected());
    assert.equal((await nc.request("echo", "still here", { timeout: 5_000 })).string(), "still here");
    assert.equal(errors.length, 0);
  });

  it("subscribe to a denied subject: error event, the iterator throws the error, closed resolves", async () => {
    const sub = nc.subscribe("hidden.things");
    const e = await nextError();
    assert.equal(e.operation, "subscribe");
    assert.equal(e.subject, "hidden.things");
    await assert.rejects(
      (async () => {
        for await (const m of sub) assert.fail(`unexpected message ${m.subject}`);
      })(),
      (err: unknown) => err === e,
    );
    await sub.closed;
    assert.equal(sub.isClosed(), true);
    assert.equal(sub.getError(), e);
    // next() on the dead subscription fails with the same error
    await assert.rejects(sub.next({ timeout: 1_000 }), (err: unknown) => err instanceof PermissionViolationError);
    assert.ok(nc.isConnected());
    assert.equal((await nc.request("echo", "after sub", { timeout: 5_000 })).string(), "after sub");
  });

  it("a denied callback subscription ends with the error; other subscriptions keep working", async () => {
    const allowed: string[] = [];
    const ok = nc.subscribe("visible.x", { callback: (_e, m) => allowed.push(m.string()) });
    const denied = nc.subscribe("hidden.cb", { callback: () => assert.fail("no message expected") });
    const e = await nextError();
    assert.equal(e.subject, "hidden.cb");
    await denied.closed;
    assert.equal(denied.getError(), e);
    assert.equal(ok.isClosed(), false);
    nc.publish("visible.x", "v1");
    await nc.flush();
    await poll(() => (allowed.length === 1 ? true : undefined), 5_000, () => "allowed subscription got nothing");
    assert.deepEqual(allowed, ["v1"]);
    ok.unsubscribe();
  });

  it("a denied queue subscription is matched by subject and queue", async () => {
    const q = nc.subscribe("hidden.q", { queue: "workers" });
    const e = await nextError();
    assert.equal(e.operation, "subscribe");
    assert.equal(e.subject, "hidden.q");
    assert.equal(e.queue, "workers");
    await q.closed;
    assert.equal(q.getError(), e);
  });

  it("a request to a denied subject rejects with the PermissionViolationError", async () => {
    await assert.rejects(nc.request("secret.req", "x", { timeout: 10_000 }), (err: unknown) => {
      assert.ok(err instanceof PermissionViolationError, String(err));
      assert.equal(err.code, "PERMISSIONS_VIOLATION");
      assert.equal(err.operation, "publish");
      assert.equal(err.subject, "secret.req");
      return true;
    });
    await nextError();
    // requests to allowed subjects are not affected
    assert.equal((await nc.request("echo", "ok", { timeout: 5_000 })).string(), "ok");
  });

  it("a noMux request to a denied subject rejects with the PermissionViolationError too", async () => {
    await assert.rejects(nc.request("secret.req2", "x", { timeout: 5_000, noMux: true }), (err: unknown) => {
      assert.ok(err instanceof PermissionViolationError, `expected PermissionViolationError, got ${String(err)}`);
      assert.equal(err.subject, "secret.req2");
      return true;
    });
    await nextError();
  });

  it("the connection was never lost", async () => {
    assert.ok(nc.isConnected());
    assert.equal(nc.stats().reconnects, 0);
    assert.equal(nc.isClosed(), false);
  });
});

describe("authorization", () => {
  it("a wrong password rejects connect() with AuthorizationError", async () => {
    await assert.rejects(connect({ servers: userServer.url, user: "a", pass: "wrong" }), isAuthError);
    await assert.rejects(connect({ servers: userServer.url }), isAuthError);
  });

  it("a wrong token rejects connect() with AuthorizationError", async () => {
    await assert.rejects(connect({ servers: tokenServer.url, token: "nope" }), isAuthError);
    await assert.rejects(connect({ servers: tokenServer.url, reconnect: false }), isAuthError);
  });

  it("user/pass from the options", async () => {
    const nc = await open({ servers: userServer.url, user: "a", pass: "a" });
    await nc.flush();
    assert.ok(nc.isConnected());
  });

  it("user/pass from the URL", async () => {
    const nc = await open({ servers: `nats://a:a@127.0.0.1:${userServer.port}` });
    await nc.flush();
    assert.equal(nc.getServer(), userServer.hostport);
  });

  it("URL user/pass win over option credentials for that URL", async () => {
    const nc = await open({ servers: `nats://a:a@127.0.0.1:${userServer.port}`, user: "a", pass: "wrong" });
    await nc.flush();
    assert.ok(nc.isConnected());
    await assert.rejects(connect({ servers: `nats://a:wrong@127.0.0.1:${userServer.port}`, user: "a", pass: "a" }), isAuthError);
  });

  it("token from the options", async () => {
    const nc = await open({ servers: tokenServer.url, token: TOKEN });
    await nc.flush();
    assert.ok(nc.isConnected());
  });

  it("token from the URL", async () => {
    const nc = await open({ servers: `nats://${TOKEN}@127.0.0.1:${tokenServer.port}` });
    await nc.flush();
    assert.equal(nc.getServer(), tokenServer.hostport);
  });

  it("URL token wins over the option token for that URL", async () => {
    const nc = await open({ servers: `nats://${TOKEN}@127.0.0.1:${tokenServer.port}`, token: "wrong" });
    await nc.flush();
    assert.ok(nc.isConnected());
    await assert.rejects(connect({ servers: `nats://wrong@127.0.0.1:${tokenServer.port}`, token: TOKEN }), isAuthError);
  });

  it("URL credentials apply to their URL only; the other servers get the option credentials", async () => {
    // the first server's URL carries a wrong token; the second server must be tried with user/pass a:a
    const nc = await open({
      servers: [`nats://wrong@127.0.0.1:${tokenServer.port}`, userServer.url],
      noRandomize: true,
      user: "a",
      pass: "a",
    });
    await nc.flush();
    assert.equal(nc.getServer(), userServer.hostport);
  });

  it("authenticators supply credentials", async () => {
    const a = await open({ servers: userServer.url, authenticator: usernamePasswordAuthenticator("a", () => "a") });
    await a.flush();
    const t = await open({ servers: tokenServer.url, authenticator: tokenAuthenticator(() => TOKEN) });
    await t.flush();
    await assert.rejects(connect({ servers: tokenServer.url, authenticator: tokenAuthenticator("bad") }), isAuthError);
  });
});
