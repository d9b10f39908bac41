import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { parseServer, ServerPool } from "../../src/connection/servers.js";
import { InvalidArgumentError } from "../../src/index.js";

describe("server URLs", () => {
  it("parses every accepted form", () => {
    const cases: [string, string, string, number][] = [
      ["localhost", "nats", "localhost", 4222],
      ["127.0.0.1:4333", "nats", "127.0.0.1", 4333],
      ["nats://h:1", "nats", "h", 1],
      ["tls://h", "tls", "h", 4222],
      ["ws://h", "ws", "h", 80],
      ["wss://h", "wss", "h", 443],
      ["[::1]:5000", "nats", "::1", 5000],
    ];
    for (const [u, scheme, host, port] of cases) {
      const s = parseServer(u);
      assert.deepEqual([s.scheme, s.hostname, s.port], [scheme, host, port], u);
    }
    assert.equal(parseServer("[::1]:5000").hostport, "[::1]:5000");
  });

  it("keeps a WebSocket path and query, and none for TCP", () => {
    assert.equal(parseServer("wss://proxy.example:8443/nats?x=1").path, "/nats?x=1");
    assert.equal(parseServer("ws://h:1").path, "");
    assert.equal(parseServer("nats://h:1/ignored").path, "");
  });

  it("takes user:pass or a token from the URL", () => {
    const up = parseServer("nats://al%40ice:p%3Ass@h:1");
    assert.deepEqual([up.user, up.pass, up.token], ["al@ice", "p:ss", undefined]);
    const tok = parseServer("nats://s3cret@h:1");
    assert.deepEqual([tok.user, tok.token], [undefined, "s3cret"]);
  });

  it("rejects bad URLs", () => {
    for (const u of ["", "http://h:1", "nats://h:99999", "nats://h :1", "nats://h:0"]) {
      assert.throws(() => parseServer(u), InvalidArgumentError, u);
    }
  });

  it("pool discovery adds and removes only discovered servers", () => {
    const pool = new ServerPool(["nats://a:1"], false);
    let d = pool.update(["b:2", "c:3"], "nats");
    assert.deepEqual(d, { added: ["b:2", "c:3"], deleted: [] });
    assert.deepEqual(pool.list().map((s) => s.hostport), ["a:1", "b:2", "c:3"]);
    d = pool.update(["c:3", "a:1"], "nats");
    assert.deepEqual(d, { added: [], deleted: ["b:2"] });
    d = pool.update([], "nats");
    assert.deepEqual(d.deleted, ["c:3"]);
    assert.deepEqual(pool.list().map((s) => s.hostport), ["a:1"]);
  });
});
