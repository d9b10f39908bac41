// Operator mode (JWT auth) against a real nats-server trusting an operator created by the test
// (test/support/operator.ts): creds files, creds text and JWT+seed connect; a wrong signature, a
// revoked user and an untrusted account are refused; an expiring user JWT is disconnected with
// "User Authentication Expired"; the creds file is read again on every reconnect.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { writeFile } from "node:fs/promises";
import { NatsServer } from "../support/server.js";
import { errorText, recordStatus, statusText } from "../support/events.js";
import { recordNonces, roundTrip, until, type RoundTripOptions } from "../support/helpers.js";
import { restartAndReconnect } from "../support/fixtures.js";
import { credsDir, TestAccount, TestOperator, writeCredsFile, type TestUser } from "../support/operator.js";
import {
  AuthorizationError,
  connect,
  createAccount,
  createOperator,
  createUser,
  credsAuthenticator,
  credsFile,
  encodeUserJwt,
  formatCreds,
  jwtAuthenticator,
  PermissionViolationError,
  UserAuthenticationExpiredError,
  type Status,
} from "../../src/index.js";

function assertNoSecrets(text: string, users: TestUser[]): void {
  for (const u of users) {
    assert.ok(!text.includes(u.seed), "a seed leaked");
    assert.ok(!text.includes(u.seed.slice(2, 30)), "part of a seed leaked");
  }
}

/** What roundTrip() sends in this file. */
const RT: RoundTripOptions = { prefix: "op", text: "hi" };

describe("operator mode (JWT authentication)", () => {
  const op = new TestOperator();
  const acct = op.account("A");
  const now = Math.floor(Date.now() / 1000);
  // a user whose JWTs issued up to `now` are revoked by its account
  const revokedKey = createUser();
  const revAcct = op.account("R", { revocations: { [revokedKey.getPublicKey()]: now } });
  let srv: NatsServer;
  let dir: string;
  let cleanup: () => Promise<void>;

  before(async () => {
    ({ dir, cleanup } = await credsDir());
    srv = await NatsServer.start({ config: op.config() });
  });

  after(async () => {
    await srv?.stop();
    await cleanup?.();
  });

  it("connects with credsFile(path), and pub/sub works", async () => {
    const user = acct.user({ name: "alice" });
    const path = await writeCredsFile(dir, user.creds, "alice.creds");
    const nc = await connect({ servers: srv.url, authenticator: credsFile(path) });
    try {
      assert.equal(typeof nc.info?.nonce, "string");
      await roundTrip(nc, RT);
    } finally {
      await nc.close();
    }
  });

  it("connects with credsAuthenticator(text | bytes) and jwtAuthenticator(jwt, seed)", async () => {
    const user = acct.user();
    const te = new TextEncoder();
    for (const authenticator of [credsAuthenticator(user.creds), credsAuthenticator(te.encode(user.creds)), jwtAuthenticator(user.jwt, user.seed)]) {
      const nc = await connect({ servers: srv.url, authenticator });
      try {
        await roundTrip(nc, RT);
      } finally {
        await nc.close();
      }
    }
  });

  it("refuses a user JWT presented with another user's seed (bad signature)", async () => {
    const alice = acct.user();
    const mallory = acct.user();
    const path = await writeCredsFile(dir, formatCreds(alice.jwt, mallory.seed), "mixed.creds");
    await assert.rejects(connect({ servers: srv.url, authenticator: credsFile(path), reconnect: false }), (err: unknown) => {
      assert.ok(err instanceof AuthorizationError, errorText(err));
      assert.equal(err.code, "AUTHORIZATION_VIOLATION");
      assertNoSecrets(errorText(err), [alice, mallory]);
      return true;
    });
  });

  it("refuses a JWT sent without a signature, and a user of an account the server does not trust", async () => {
    const user = acct.user();
    await assert.rejects(connect({ servers: srv.url, authenticator: jwtAuthenticator(user.jwt), reconnect: false }), AuthorizationError);
    const stranger = new TestAccount(createOperator(), "stranger").user();
    await assert.rejects(connect({ servers: srv.url, authenticator: credsAuthenticator(stranger.creds), reconnect: false }), AuthorizationError);
    const unknownAcct = new TestAccount(op.key, "not-preloaded").user();
    await assert.rejects(connect({ servers: srv.url, authenticator: credsAuthenticator(unknownAcct.creds), reconnect: false }), AuthorizationError);
  });

  it("refuses a revoked user, but accepts the same key with a JWT issued after the revocation", async () => {
    const revoked = revAcct.user({ iat: now - 10 }, revokedKey);
    await assert.rejects(connect({ servers: srv.url, authenticator: credsAuthenticator(revoked.creds), reconnect: false }), (err: unknown) => {
      assert.ok(err instanceof AuthorizationError, errorText(err));
      assert.match(err.code, /^(AUTHORIZATION_VIOLATION|USER_AUTHENTICATION_REVOKED)$/);
      assertNoSecrets(errorText(err), [revoked]);
      return true;
    });
    const reissued = revAcct.user({ iat: now + 1 }, revokedKey);
    const nc = await connect({ servers: srv.url, authenticator: credsAuthenticator(reissued.creds) });
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("refuses an already expired user JWT", async () => {
    const user = acct.user({ exp: Math.floor(Date.now() / 1000) - 5 });
    await assert.rejects(connect({ servers: srv.url, authenticator: credsAuthenticator(user.creds), reconnect: false }), AuthorizationError);
  });

  it("reports 'User Authentication Expired' when the JWT expires, then closes with an authorization error", async () => {
    const user = acct.user({ exp: Math.floor(Date.now() / 1000) + 3 });
    const path = await writeCredsFile(dir, user.creds, "expiring.creds");
    const nc = await connect({ servers: srv.url, authenticator: credsFile(path), reconnectTimeWait: 50, reconnectJitter: 0, maxReconnectAttempts: 50 });
    const events = recordStatus(nc);
    await roundTrip(nc, RT);
    const reason = await nc.closed();
    const expired = events.find((e): e is Extract<Status, { type: "error" }> => e.type === "error" && e.error instanceof UserAuthenticationExpiredError);
    assert.ok(expired, `an error event with UserAuthenticationExpiredError, got ${statusText(events)}`);
    assert.equal((expired.error as UserAuthenticationExpiredError).code, "USER_AUTHENTICATION_EXPIRED");
    assert.match(expired.error.message, /user authentication expired/i);
    assert.ok(reason instanceof AuthorizationError, `closed() resolves to an authorization error, got ${errorText(reason)}`);
    assert.equal(events[events.length - 1]!.type, "close");
    assertNoSecrets(statusText(events) + errorText(reason), [user]);
  });

  it("calls the authenticator again on reconnect", async () => {
    const user = acct.user();
    const path = await writeCredsFile(dir, user.creds, "counted.creds");
    const { authenticator, nonces } = recordNonces(credsFile(path));
    const nc = await connect({ servers: srv.url, authenticator, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    try {
      assert.equal(nonces.length, 1);
      await restartAndReconnect(srv, nc);
      assert.ok(nonces.length >= 2);
      assert.notEqual(nonces[nonces.length - 1], nonces[0]);
      await roundTrip(nc, RT);
    } finally {
      await nc.close();
    }
  });

  it("reads the creds file again on every connect (a rotated file takes effect on reconnect)", async () => {
    const first = acct.user();
    const restricted = acct.user({ nats: { pub: { deny: ["rotated.>"] } } });
    const path = await writeCredsFile(dir, first.creds, "rotating.creds");
    const nc = await connect({ servers: srv.url, authenticator: credsFile(path), reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    try {
      const events = recordStatus(nc);
      nc.publish("rotated.a", "allowed");
      await nc.flush();
      await roundTrip(nc, RT);
      assert.ok(!events.some((e) => e.type === "error"), "the first user may publish to rotated.>");

      await writeFile(path, restricted.creds, { mode: 0o600 });
      await restartAndReconnect(srv, nc);
      nc.publish("rotated.b", "denied");
      await nc.flush();
      await until(() => events.some((e) => e.type === "error"), "the permissions violation");
      const err = events.find((e) => e.type === "error") as Extract<Status, { type: "error" }>;
      assert.ok(err.error instanceof PermissionViolationError, errorText(err.error));
      assert.equal((err.error as PermissionViolationError).subject, "rotated.b");
      assertNoSecrets(statusText(events), [first, restricted]);
    } finally {
      await nc.close();
    }
  });

  it("fails the reconnect when the creds file disappears, with the path but no secret in the reason", async () => {
    const user = acct.user();
    const path = await writeCredsFile(dir, user.creds, "vanishing.creds");
    const nc = await connect({ servers: srv.url, authenticator: credsFile(path), reconnect: false });
    await nc.close();
    await writeFile(path, "");
    await assert.rejects(connect({ servers: srv.url, authenticator: credsFile(path), reconnect: false }), (err: unknown) => {
      assert.match(errorText(err), /no nkey seed found/);
      return true;
    });
    await assert.rejects(connect({ servers: srv.url, authenticator: credsFile(`${path}.missing`), reconnect: false }), (err: unknown) => {
      assert.match(errorText(err), /ENOENT/);
      assertNoSecrets(errorText(err), [user]);
      return true;
    });
  });

  it("issues JWTs the server accepts from an account signing key", async () => {
    const signer = createAccount();
    const signed = op.account("S");
    signed.issue({ signing_keys: [signer.getPublicKey()] });
    const srv2 = await NatsServer.start({ config: op.config() });
    try {
      const user = createUser();
      const jwt = encodeUserJwt(user, signer, { nats: { issuer_account: signed.pub } });
      const nc = await connect({ servers: srv2.url, authenticator: jwtAuthenticator(jwt, user.getSeed()) });
      await roundTrip(nc, RT);
      await nc.close();
    } finally {
      await srv2.stop();
    }
  });
});
