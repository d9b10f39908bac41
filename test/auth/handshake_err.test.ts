// A server -ERR that arrives in the same TCP chunk as the handshake PONG. nats-server 2.9.10 does
// this for a user JWT that expires during the second it connects: it accepts the CONNECT (PONG),
// then its expiry timer fires at once and it writes "-ERR 'User Authentication Expired'" and
// closes. A real server produces this only by timing, so the fake server sends the exact bytes.
import { describe, it, after } from "node:test";
import { strict as assert } from "node:assert";
import { FakeServer } from "../support/fake_server.js";
import { AuthorizationError, connect } from "../../src/index.js";

const INFO = 'INFO {"server_id":"fake","version":"2.9.10","proto":1,"headers":true,"max_payload":1048576,"nonce":"abc"}\r\n';

describe("handshake: -ERR right after PONG", () => {
  let fake: FakeServer | undefined;

  after(async () => {
    await fake?.stop();
  });

  it("reports 'User Authentication Expired' sent in the same chunk as the handshake PONG", async () => {
    fake = await FakeServer.start({ autoHandshake: false });
    const pending = connect({ servers: fake.url, reconnect: false });
    const conn = await fake.nextConnection();
    conn.send(INFO);
    await conn.waitFor((l) => l.startsWith("PING"));
    conn.send("PONG\r\n-ERR 'User Authentication Expired'\r\n");
    const nc = await pending;
    // the real server closes right after the -ERR; give the client time to act on it first
    const timer = setTimeout(() => conn.close(), 1_000);
    const reason = await nc.closed();
    clearTimeout(timer);
    // (listeners attached after connect() resolves may miss the error event; closed() keeps the reason)
    assert.ok(reason instanceof AuthorizationError, `closed() should resolve to the -ERR's auth error, got ${String(reason)}`);
    assert.equal(reason.code, "USER_AUTHENTICATION_EXPIRED");
  });
});
