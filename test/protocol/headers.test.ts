// Unit tests of message headers (MsgHdrs / headers()). No server needed.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { headers, MsgHdrs, InvalidArgumentError, ProtocolError } from "../../src/index.js";

const enc = new TextEncoder();
const td = new TextDecoder();

function isInvalidArgument(e: unknown): boolean {
  return e instanceof InvalidArgumentError && e.code === "INVALID_ARGUMENT";
}

describe("MsgHdrs basics", () => {
  it("set/get/has/values/keys/delete", () => {
    const h = headers();
    assert.ok(h instanceof MsgHdrs);
    assert.equal(h.get("A"), "");
    assert.equal(h.has("A"), false);
    assert.deepEqual(h.values("A"), []);
    assert.deepEqual(h.keys(), []);
    h.set("A", "1");
    h.set("B", "2");
    assert.equal(h.get("A"), "1");
    assert.equal(h.has("A"), true);
    assert.deepEqual(h.values("B"), ["2"]);
    assert.deepEqual(h.keys(), ["A", "B"]);
    h.delete("A");
    assert.equal(h.has("A"), false);
    assert.equal(h.get("A"), "");
    assert.deepEqual(h.keys(), ["B"]);
    h.delete("nope"); // no-op
    assert.deepEqual(h.keys(), ["B"]);
  });

  it("append keeps earlier values; set replaces them", () => {
    const h = headers();
    h.append("X", "1");
    h.append("X", "2");
    h.append("X", "3");
    assert.equal(h.get("X"), "1");
    assert.deepEqual(h.values("X"), ["1", "2", "3"]);
    h.set("X", "only");
    assert.deepEqual(h.values("X"), ["only"]);
  });

  it("values() returns a copy", () => {
    const h = headers();
    h.append("X", "1");
    h.values("X").push("2");
    assert.deepEqual(h.values("X"), ["1"]);
  });

  it("empty values are kept", () => {
    const h = headers();
    h.set("E", "");
    assert.equal(h.has("E"), true);
    assert.deepEqual(h.values("E"), [""]);
    assert.equal(td.decode(h.encode()), "NATS/1.0\r\nE: \r\n\r\n");
  });

  it("keys keep their case and lookups are case-sensitive by default", () => {
    const h = headers();
    h.set("Content-Type", "a");
    h.set("content-type", "b");
    assert.deepEqual(h.keys(), ["Content-Type", "content-type"]);
    assert.equal(h.get("Content-Type"), "a");
    assert.equal(h.get("content-type"), "b");
    assert.equal(h.get("CONTENT-TYPE"), "");
    assert.equal(h.has("CONTENT-TYPE"), false);
    assert.deepEqual(h.values("CONTENT-TYPE"), []);
    h.delete("CONTENT-TYPE");
    assert.equal(h.keys().length, 2);
  });

  it("ignoreCase lookups, set, append and delete", () => {
    const h = headers();
    h.append("Trace-Id", "1");
    h.append("trace-id", "2");
    assert.equal(h.get("TRACE-ID", true), "1");
    assert.equal(h.has("TRACE-ID", true), true);
    assert.deepEqual(h.values("TRACE-ID", true), ["1", "2"]);
    // append with ignoreCase goes to the first key with the same name, keeping its case
    h.append("TRACE-ID", "3", true);
    assert.deepEqual(h.keys(), ["Trace-Id", "trace-id"]);
    assert.deepEqual(h.values("Trace-Id"), ["1", "3"]);
    // set with ignoreCase removes every case variant
    h.set("TRACE-id", "x", true);
    assert.deepEqual(h.keys(), ["TRACE-id"]);
    assert.deepEqual(h.values("trace-id", true), ["x"]);
    // delete with ignoreCase removes every case variant
    h.append("Trace-Id", "y");
    h.delete("trace-ID", true);
    assert.deepEqual(h.keys(), []);
  });

  it("is iterable as [key, values]", () => {
    const h = headers();
    h.append("A", "1");
    h.append("A", "2");
    h.set("b", "3");
    assert.deepEqual([...h], [["A", ["1", "2"]], ["b", ["3"]]]);
    assert.equal(h.size, 2);
  });
});

describe("MsgHdrs encode/decode", () => {
  it("encodes multi-values as repeated lines", () => {
    const h = headers();
    h.append("A", "1");
    h.append("A", "2");
    h.set("B", "x: y");
    assert.equal(td.decode(h.encode()), "NATS/1.0\r\nA: 1\r\nA: 2\r\nB: x: y\r\n\r\n");
    assert.equal(h.toString(), "NATS/1.0\r\nA: 1\r\nA: 2\r\nB: x: y\r\n\r\n");
  });

  it("an empty header block is 12 bytes", () => {
    assert.equal(td.decode(headers().encode()), "NATS/1.0\r\n\r\n");
    assert.equal(headers().encode().length, 12);
  });

  it("encodes the status code and description", () => {
    assert.equal(td.decode(headers(503).encode()), "NATS/1.0 503\r\n\r\n");
    assert.equal(td.decode(headers(404, "No Messages").encode()), "NATS/1.0 404 No Messages\r\n\r\n");
  });

  it("round trips keys, repeated values, case and UTF-8 values", () => {
    const h = headers(409, "Consumer Deleted");
    h.append("Nats-Msg-Id", "abc");
    h.append("multi", "1");
    h.append("multi", "2");
    h.append("Multi", "3");
    h.set("utf", "caf\u00e9 \u4e16\u754c \u{1F600}");
    h.set("colon", "a:b:c");
    h.set("tilde~!#$%&'*+-.^_`|", "v");
    const d = MsgHdrs.decode(h.encode());
    assert.equal(d.code, 409);
    assert.equal(d.description, "Consumer Deleted");
    assert.deepEqual(d.keys(), h.keys());
    for (const k of h.keys()) assert.deepEqual(d.values(k), h.values(k), k);
    assert.equal(td.decode(d.encode()), td.decode(h.encode()));
  });

  it("decodes status lines", () => {
    const cases: [string, number, string, boolean][] = [
      ["NATS/1.0 503\r\n\r\n", 503, "", true],
      ["NATS/1.0 404 No Messages\r\n\r\n", 404, "No Messages", true],
      ["NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 5\r\n\r\n", 408, "Request Timeout", true],
      ["NATS/1.0 100 Idle Heartbeat\r\nNats-Last-Consumer: 2\r\nNats-Last-Stream: 7\r\n\r\n", 100, "Idle Heartbeat", false],
      ["NATS/1.0\r\nA: 1\r\n\r\n", 0, "", false],
    ];
    for (const [block, code, description, hasError] of cases) {
      const h = MsgHdrs.decode(enc.encode(block));
      assert.equal(h.code, code, block);
      assert.equal(h.description, description, block);
      assert.equal(h.hasError, hasError, block);
    }
    const hb = MsgHdrs.decode(enc.encode(cases[3]![0]));
    assert.equal(hb.get("Nats-Last-Consumer"), "2");
    assert.equal(hb.get("Nats-Last-Stream"), "7");
    // the status is not a header
    assert.equal(hb.has("Status"), false);
    assert.equal(hb.has("Description"), false);
  });

  it("decodes repeated keys, whitespace after the colon, and keeps key case", () => {
    const h = MsgHdrs.decode(enc.encode("NATS/1.0\r\nA: 1\r\nA:2\r\nA:   3  \r\na: low\r\n\r\n"));
    assert.deepEqual(h.values("A"), ["1", "2", "3"]);
    assert.deepEqual(h.values("a"), ["low"]);
    assert.deepEqual(h.values("a", true), ["1", "2", "3", "low"]);
  });

  it("rejects a block that is not NATS/1.0", () => {
    for (const bad of ["HTTP/1.1 200\r\n\r\n", "NATS", ""]) {
      assert.throws(() => MsgHdrs.decode(enc.encode(bad)), (e: unknown) => e instanceof ProtocolError && e.code === "PROTOCOL_ERROR", JSON.stringify(bad));
    }
  });
});

describe("MsgHdrs status properties are read-only", () => {
  it("code, description and hasError cannot be assigned", () => {
    const h = headers(503, "No Responders");
    assert.equal(typeof h.code, "number");
    assert.equal(typeof h.description, "string");
    assert.equal(typeof h.hasError, "boolean");
    const any = h as unknown as Record<string, unknown>;
    assert.throws(() => {
      any.code = 200;
    }, TypeError);
    assert.throws(() => {
      any.description = "OK";
    }, TypeError);
    assert.throws(() => {
      any.hasError = false;
    }, TypeError);
    assert.equal(h.code, 503);
    assert.equal(h.description, "No Responders");
    assert.equal(h.hasError, true);
  });

  it("hasError is true from 400 up", () => {
    assert.equal(headers().hasError, false);
    assert.equal(headers(100).hasError, false);
    assert.equal(headers(399).hasError, false);
    assert.equal(headers(400).hasError, true);
    assert.equal(headers(503).hasError, true);
  });

  it("bad status codes or descriptions are rejected", () => {
    for (const code of [-1, 1, 99, 1000, 1.5, Number.NaN]) assert.throws(() => headers(code), isInvalidArgument, String(code));
    assert.throws(() => headers(503, "a\r\nB: c"), isInvalidArgument);
    assert.throws(() => headers(503, "a\nb"), isInvalidArgument);
  });
});

describe("MsgHdrs invalid keys and values", () => {
  const badKeys = ["", "a:b", ":", "a b", " a", "a ", "a\tb", "a\r\nb", "a\rb", "a\nb", "caf\u00e9", "\u4e16", "a\u0000", "a\u007f", "X-Evil\r\nPUB evil 1\r\nx"];
  const badValues = ["a\r\nb", "a\rb", "a\nb", "\r\n", "v\r\nPUB evil 1\r\nx", "\n"];

  it("set/append reject invalid keys with InvalidArgumentError", () => {
    for (const k of badKeys) {
      const h = headers();
      assert.throws(() => h.set(k, "v"), isInvalidArgument, `set ${JSON.stringify(k)}`);
      assert.throws(() => h.append(k, "v"), isInvalidArgument, `append ${JSON.stringify(k)}`);
      assert.throws(() => h.set(k, "v", true), isInvalidArgument, `set ignoreCase ${JSON.stringify(k)}`);
      assert.equal(h.size, 0);
      assert.equal(td.decode(h.encode()), "NATS/1.0\r\n\r\n");
    }
  });

  it("set/append reject values with CR or LF with InvalidArgumentError", () => {
    for (const v of badValues) {
      const h = headers();
      h.set("K", "good");
      assert.throws(() => h.set("K", v), isInvalidArgument, `set ${JSON.stringify(v)}`);
      assert.throws(() => h.append("K", v), isInvalidArgument, `append ${JSON.stringify(v)}`);
      assert.throws(() => h.append("New", v), isInvalidArgument, `append new ${JSON.stringify(v)}`);
      // nothing was changed or cleaned up silently
      assert.deepEqual(h.values("K"), ["good"]);
      assert.equal(h.has("New"), false);
    }
  });

  it("non-string keys and values are rejected", () => {
    const h = headers();
    assert.throws(() => h.set(1 as unknown as string, "v"), isInvalidArgument);
    assert.throws(() => h.set("k", 1 as unknown as string), isInvalidArgument);
    assert.throws(() => h.append("k", undefined as unknown as string), isInvalidArgument);
  });

  it("printable ASCII keys and values with tabs, spaces and colons are accepted", () => {
    const h = headers();
    const key = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).filter((c) => c !== ":").join("");
    h.set(key, " a\tb : c ");
    assert.equal(h.get(key), " a\tb : c ");
  });
});
