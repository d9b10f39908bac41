// User/password and token authentication against real nats-servers: from options, from the URL,
// and from authenticators (called on every connect and reconnect, with the server's nonce).
// URL credentials apply to their own server only; bad credentials never leak into errors.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { generateKeyPairSync } from "node:crypto";
import { inspect } from "node:util";
import {
  createInbox,
  AuthorizationError,
  NatsError,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Auth,
  type ConnectionOptions,
} from "../../src/index.js";
import { NatsServer } from "../support/server.js";
import { poll } from "../support/ports.js";
import { Connections, connectFails, roundTrip, type RoundTripOptions } from "../support/helpers.js";

const USER = "derek";
const PASS = "s3cret-Pa55";
const PASS_B = "other-Pa55word";
/** Characters that must be percent-encoded in a URL. */
const ODD_PASS = "p@ss:w/rd%?#";
const TOKEN = "t0ken-Xy9-secret";

/** A syntactically valid nkey user public key, so that the server sends a nonce in INFO. */
function nkeyUserPublicKey(): string {
  const { publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  const body = Buffer.concat([Buffer.from([20 << 3]), raw]); // prefix byte 'U'
  let crc = 0;
  for (const b of body) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  const bytes = Buffer.concat([body, Buffer.from([crc & 0xff, crc >> 8])]);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = 0;
  let value = 0;
  let out = "";
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

const q = JSON.stringify;
let userServer: NatsServer;
let userServerB: NatsServer;
let tokenServer: NatsServer;
let nonceServer: NatsServer;
const conns = new Connections();
const open = conns.open;

/** What roundTrip() sends in this file. */
const RT: RoundTripOptions = { prefix: "auth", text: "authenticated", timeoutMs: 2_000 };

/** Every piece of text an error exposes: messages, names, stacks and inspect() output, down its cause chain. */
function errorText(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 10; depth++) {
    parts.push(String(e), inspect(e, { depth: 5 }));
    if (e instanceof Error) parts.push(e.message, e.stack ?? "");
    e = (e as { cause?: unknown }).cause;
  }
  return parts.join("\n");
}

function assertNoSecret(err: unknown, ...secrets: string[]): void {
  const text = errorText(err);
  for (const s of secrets) {
    assert.ok(!text.includes(s), `the error exposes a secret: ${text}`);
    assert.ok(!text.includes(encodeURIComponent(s)), `the error exposes a secret (URL-encoded): ${text}`);
  }
}

function assertAuthError(err: NatsError): void {
  assert.ok(err instanceof AuthorizationError, `expected AuthorizationError, got ${err.name} (${err.code}): ${err.message}`);
  assert.equal(err.code, "AUTHORIZATION_VIOLATION");
}

before(async () => {
  [userServer, userServerB, tokenServer, nonceServer] = await Promise.all([
    NatsServer.start({ config: `authorization { user: ${q(USER)}, password: ${q(PASS)} }` }),
    NatsServer.start({ config: `authorization { user: ${q(USER)}, password: ${q(PASS_B)} }` }),
    NatsServer.start({ config: `authorization { token: ${q(TOKEN)} }` }),
    NatsServer.start({
      config: `authorization { users = [ { user: ${q(USER)}, password: ${q(ODD_PASS)} }, { nkey: ${q(nkeyUserPublicKey())} } ] }`,
    }),
  ]);
});

after(async () => {
  await conns.closeAll();
  await Promise.all([userServer, userServerB, tokenServer, nonceServer].map((s) => s?.stop()));
});

describe("credentials from options and URLs", () => {
  it("user and pass options", async () => {
    const nc = await open({ servers: userServer.url, user: USER, pass: PASS });
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("user:pass in the URL", async () => {
    const nc = await open({ servers: `nats://${USER}:${PASS}@${userServer.hostport}` });
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("percent-encoded user:pass in the URL is decoded", async () => {
    const nc = await open({ servers: `nats://${USER}:${encodeURIComponent(ODD_PASS)}@${nonceServer.hostport}` });
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("token option", async () => {
    const nc = await open({ servers: tokenServer.url, token: TOKEN });
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("token in the URL", async () => {
    const nc = await open({ servers: `nats://${TOKEN}@${tokenServer.hostport}` });
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("URL credentials win over the options for that URL only", async () => {
    // server A only accepts PASS (given in its URL); server B only accepts PASS_B (the options)
    const nc = await open({
      servers: [`nats://${USER}:${PASS}@${userServer.hostport}`, userServerB.url],
      user: USER,
      pass: PASS_B,
      noRandomize: true,
      reconnectTimeWait: 20,
      reconnectJitter: 0,
    });
    assert.equal(nc.getServer(), userServer.hostport);
    await roundTrip(nc, RT);
    await nc.reconnect();
    assert.equal(nc.getServer(), userServerB.hostport, "B should accept the option credentials");
    await roundTrip(nc, RT);
    await nc.reconnect();
    assert.equal(nc.getServer(), userServer.hostport, "A should get its URL credentials again");
    await roundTrip(nc, RT);
    assert.equal(nc.stats().reconnects, 2);
    await nc.close();
  });

  it("the option credentials alone are refused by the server whose URL carried different ones", async () => {
    const err = await connectFails({ servers: userServer.url, user: USER, pass: PASS_B });
    assertAuthError(err);
  });
});

describe("authenticators", () => {
  it("usernamePasswordAuthenticator with strings and with functions", async () => {
    const a = await open({ servers: userServer.url, authenticator: usernamePasswordAuthenticator(USER, PASS) });
    await roundTrip(a, RT);
    await a.close();
    let calls = 0;
    const b = await open({
      servers: userServer.url,
      authenticator: usernamePasswordAuthenticator(
        () => USER,
        () => {
          calls++;
          return PASS;
        },
      ),
    });
    await roundTrip(b, RT);
    assert.equal(calls, 1);
    await b.close();
  });

  it("tokenAuthenticator with a string and with a function", async () => {
    const a = await open({ servers: tokenServer.url, authenticator: tokenAuthenticator(TOKEN) });
    await roundTrip(a, RT);
    await a.close();
    const b = await open({ servers: tokenServer.url, authenticator: tokenAuthenticator(() => TOKEN) });
    await roundTrip(b, RT);
    await b.close();
  });

  it("a custom authenticator gets the server's nonce and may be async", async () => {
    const nonces: (string | undefined)[] = [];
    const nc = await open({
      servers: nonceServer.url,
      authenticator: async (nonce?: string): Promise<Auth> => {
        nonces.push(nonce);
        await new Promise((r) => setTimeout(r, 5));
        return { user: USER, pass: ODD_PASS };
      },
    });
    await roundTrip(nc, RT);
    assert.equal(nonces.length, 1);
    assert.equal(typeof nonces[0], "string");
    assert.ok(nonces[0]!.length > 0);
    assert.equal(nonces[0], nc.info?.nonce, "the authenticator should get the nonce of the INFO it answers");
    await nc.close();
  });

  it("the authenticator is called again on every reconnect (and may rotate credentials)", async () => {
    const TOKEN_2 = "rotated-T0ken-2";
    const srv = await NatsServer.start({ config: `authorization { token: ${q(TOKEN)} }` });
    try {
      let calls = 0;
      let current = TOKEN;
      const nc = await open({
        servers: srv.url,
        authenticator: (): Auth => {
          calls++;
          return { auth_token: current };
        },
        reconnectTimeWait: 50,
        reconnectJitter: 0,
        maxReconnectAttempts: -1,
      });
      let reconnects = 0;
      nc.on("reconnect", () => reconnects++);
      const subj = createInbox("reauth");
      const sub = nc.subscribe(subj);
      await nc.flush();
      assert.equal(calls, 1);
      for (let round = 1; round <= 2; round++) {
        if (round === 2) {
          // the restarted server only accepts a new token, which only the authenticator knows
          srv.setOptions({ config: `authorization { token: ${q(TOKEN_2)} }` });
          current = TOKEN_2;
        }
        await srv.kill();
        await srv.restart();
        await poll(() => (reconnects >= round ? true : undefined), 10_000, () => `no reconnect in round ${round}`);
        nc.publish(subj, `round ${round}`);
        assert.equal((await sub.next({ timeout: 2_000 })).string(), `round ${round}`);
      }
      // attempts refused while the server was down never get as far as the authenticator
      assert.equal(calls, 3, "one authenticator call per connection");
      assert.equal(reconnects, 2);
      await nc.close();
    } finally {
      await srv.stop();
    }
  });

  it("a throwing authenticator fails the connect with its message", async () => {
    const err = await connectFails({
      servers: userServer.url,
      authenticator: () => {
        throw new Error("no credentials today");
      },
    });
    assert.match(`${err.message} ${String((err.cause as Error | undefined)?.message)}`, /no credentials today/);
  });
});

describe("bad credentials", () => {
  it("a wrong password fails with AuthorizationError that does not show the password", async () => {
    const wrong = "wr0ng-Pa55-zz";
    for (const opts of [
      { servers: userServer.url, user: USER, pass: wrong },
      { servers: `nats://${USER}:${wrong}@${userServer.hostport}` },
      { servers: userServer.url, authenticator: usernamePasswordAuthenticator(USER, wrong) },
    ] as ConnectionOptions[]) {
      const err = await connectFails(opts);
      assertAuthError(err);
      assertNoSecret(err, wrong, PASS);
    }
  });

  it("a wrong token fails with AuthorizationError that does not show the token", async () => {
    const wrong = "bad-T0ken-zz";
    for (const opts of [
      { servers: tokenServer.url, token: wrong },
      { servers: `nats://${wrong}@${tokenServer.hostport}` },
      { servers: tokenServer.url, authenticator: tokenAuthenticator(wrong) },
    ] as ConnectionOptions[]) {
      const err = await connectFails(opts);
      assertAuthError(err);
      assertNoSecret(err, wrong, TOKEN);
    }
  });

  it("no credentials at all fails with AuthorizationError", async () => {
    assertAuthError(await connectFails({ servers: userServer.url }));
    assertAuthError(await connectFails({ servers: tokenServer.url }));
  });

  it("an unreachable URL with credentials does not show them either", async () => {
    const stopped = await NatsServer.start();
    const hostport = stopped.hostport;
    await stopped.stop();
    const err = await connectFails({ servers: `nats://${USER}:${PASS}@${hostport}`, timeout: 500 });
    assert.equal(err.code, "NO_SERVERS");
    assertNoSecret(err, PASS);
  });

  it("credentials the server stops accepting close the connection with AuthorizationError, without the password", async () => {
    const srv = await NatsServer.start({ config: `authorization { user: ${q(USER)}, password: ${q(PASS)} }` });
    try {
      const nc = await open({ servers: srv.url, user: USER, pass: PASS, reconnectTimeWait: 20, reconnectJitter: 0, maxReconnectAttempts: -1 });
      const statusErrors: unknown[] = [];
      nc.on("disconnect", (s) => statusErrors.push(s));
      nc.on("reconnecting", (s) => statusErrors.push(s));
      // the restarted server accepts another password only
      srv.setOptions({ config: `authorization { user: ${q(USER)}, password: ${q(PASS_B)} }` });
      await srv.kill();
      await srv.restart();
      const reason = await nc.closed();
      assert.ok(reason instanceof AuthorizationError, `closed with ${String(reason)}`);
      assertNoSecret(reason, PASS);
      assert.ok(!inspect(statusErrors, { depth: 6 }).includes(PASS), "a status event exposes the password");
    } finally {
      await srv.stop();
    }
  });
});
