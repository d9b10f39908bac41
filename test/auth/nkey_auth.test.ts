// NKey authentication against a real nats-server: `authorization { users = [ { nkey: U… } ] }`.
// The server sends a nonce, the client answers with `nkey` + `sig`; a wrong key is refused, the
// authenticator runs again on every reconnect, and no seed ever shows up in errors or events.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { NatsServer } from "../support/server.js";
import { errorText, recordStatus, statusText } from "../support/events.js";
import { recordNonces, roundTrip, type RoundTripOptions } from "../support/helpers.js";
import { restartAndReconnect } from "../support/fixtures.js";
import {
  AuthorizationError,
  connect,
  createUser,
  NatsError,
  nkeyAuthenticator,
} from "../../src/index.js";

const td = new TextDecoder();
/** What roundTrip() sends in this file. */
const RT: RoundTripOptions = { prefix: "nkey" };

describe("nkey authentication", () => {
  const user = createUser();
  const seed = td.decode(user.getSeed());
  const other = createUser();
  const otherSeed = td.decode(other.getSeed());
  let srv: NatsServer;
  let open: NatsServer;

  before(async () => {
    srv = await NatsServer.start({ config: `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }` });
    open = await NatsServer.start();
  });

  after(async () => {
    await srv?.stop();
    await open?.stop();
  });

  it("connects with the user's seed (string or bytes) and can publish and subscribe", async () => {
    for (const s of [seed, user.getSeed()]) {
      const nc = await connect({ servers: srv.url, authenticator: nkeyAuthenticator(s) });
      try {
        assert.equal(typeof nc.info?.nonce, "string", "the server sends a nonce to sign");
        await roundTrip(nc, RT);
      } finally {
        await nc.close();
      }
    }
  });

  it("is refused with another user's seed: AuthorizationError, no secret in the error", async () => {
    await assert.rejects(connect({ servers: srv.url, authenticator: nkeyAuthenticator(otherSeed), reconnect: false }), (err: unknown) => {
      assert.ok(err instanceof AuthorizationError, `expected AuthorizationError, got ${errorText(err)}`);
      assert.equal(err.code, "AUTHORIZATION_VIOLATION");
      const text = errorText(err);
      assert.ok(!text.includes(otherSeed) && !text.includes(seed), "no seed in the error");
      return true;
    });
  });

  it("is refused without credentials", async () => {
    await assert.rejects(connect({ servers: srv.url, reconnect: false }), (err: unknown) => err instanceof AuthorizationError);
  });

  it("fails clearly when the server sends no nonce", async () => {
    await assert.rejects(connect({ servers: open.url, authenticator: nkeyAuthenticator(seed), reconnect: false }), (err: unknown) => {
      assert.ok(err instanceof NatsError, errorText(err));
      assert.equal(err.code, "AUTHENTICATOR_FAILED");
      assert.match(err.message, /no nonce/);
      assert.ok(err.cause instanceof NatsError && err.cause.code === "NKEYS_NOT_SUPPORTED");
      assert.ok(!errorText(err).includes(seed));
      return true;
    });
  });

  it("reports a seed function that returns garbage without echoing it", async () => {
    const garbage = seed.slice(0, -2) + "ZZ";
    await assert.rejects(connect({ servers: srv.url, authenticator: nkeyAuthenticator(() => garbage), reconnect: false }), (err: unknown) => {
      assert.ok(err instanceof NatsError);
      assert.equal(err.code, "AUTHENTICATOR_FAILED");
      assert.match(err.message, /invalid nkey seed/);
      assert.ok(!errorText(err).includes(garbage.slice(0, 20)));
      return true;
    });
  });

  it("signs a fresh nonce on every reconnect", async () => {
    const { authenticator, nonces } = recordNonces(nkeyAuthenticator(() => seed));
    const nc = await connect({ servers: srv.url, authenticator, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    try {
      assert.equal(nonces.length, 1);
      await restartAndReconnect(srv, nc);
      assert.ok(nonces.length >= 2, "the authenticator ran again");
      const last = nonces[nonces.length - 1];
      assert.equal(typeof last, "string");
      assert.notEqual(last, nonces[0], "a new server process sends a new nonce");
      await roundTrip(nc, RT);
    } finally {
      await nc.close();
    }
  });

  it("closes with an authorization error when the key changes to a wrong one; nothing leaks in events", async () => {
    let current = seed;
    const nc = await connect({
      servers: srv.url,
      authenticator: nkeyAuthenticator(() => current),
      reconnectTimeWait: 50,
      reconnectJitter: 0,
      maxReconnectAttempts: 20,
    });
    const events = recordStatus(nc);
    current = otherSeed;
    await srv.kill();
    await srv.restart();
    const reason = await nc.closed();
    assert.ok(reason instanceof AuthorizationError, `closed with ${errorText(reason)}`);
    assert.equal(reason.code, "AUTHORIZATION_VIOLATION");
    assert.ok(events.some((e) => e.type === "disconnect"));
    assert.equal(events[events.length - 1]!.type, "close");
    const text = statusText(events) + errorText(reason);
    for (const s of [seed, otherSeed]) assert.ok(!text.includes(s) && !text.includes(s.slice(2, 30)), "no seed in status events");
  });
});
