// Unit tests of the outbound frame encoder (OutboundBuffer). No server needed.
import { describe, it, mock } from "node:test";
import { strict as assert } from "node:assert";
import { OutboundBuffer, payloadLength } from "../../src/protocol/encoder.js";
import { headers } from "../../src/protocol/headers.js";

const enc = new TextEncoder();
const SLAB = 256 * 1024;

/** The untaken bytes of `ob` as a latin1 string (one char per byte), leaving the buffer empty. */
function takeStr(ob: OutboundBuffer): string {
  const b = ob.take();
  return b === null ? "" : Buffer.from(b).toString("latin1");
}

/** A JS string as its UTF-8 bytes in latin1 form (to compare with takeStr). */
function utf8(s: string): string {
  return Buffer.from(s, "utf8").toString("latin1");
}

function pubStr(ob: OutboundBuffer, subject: string, reply: string | undefined, payload: string | Uint8Array, hdrs?: Uint8Array): number {
  return ob.pub(subject, reply, hdrs, payload, payloadLength(payload));
}

describe("OutboundBuffer frames", () => {
  it("PUB without reply", () => {
    const ob = new OutboundBuffer();
    const n = pubStr(ob, "foo.bar", undefined, "hello");
    assert.equal(takeStr(ob), "PUB foo.bar 5\r\nhello\r\n");
    assert.equal(n, "PUB foo.bar 5\r\nhello\r\n".length);
  });

  it("PUB with reply", () => {
    const ob = new OutboundBuffer();
    pubStr(ob, "foo", "_INBOX.abc", enc.encode("xyz"));
    assert.equal(takeStr(ob), "PUB foo _INBOX.abc 3\r\nxyz\r\n");
  });

  it("empty payloads still carry the trailing CRLF", () => {
    const ob = new OutboundBuffer();
    pubStr(ob, "x", undefined, "");
    pubStr(ob, "x", undefined, new Uint8Array(0));
    ob.pub("x", undefined, undefined, "", payloadLength(undefined));
    assert.equal(takeStr(ob), "PUB x 0\r\n\r\n".repeat(3));
  });

  it("sizes with several digits", () => {
    const ob = new OutboundBuffer();
    for (const size of [9, 10, 99, 100, 1000, 65536]) {
      pubStr(ob, "s", undefined, new Uint8Array(size).fill(0x61));
      assert.equal(takeStr(ob), `PUB s ${size}\r\n${"a".repeat(size)}\r\n`);
    }
  });

  it("HPUB: header size and total size", () => {
    const h = headers();
    h.set("A", "1");
    h.append("A", "2");
    const block = h.encode();
    const blockStr = "NATS/1.0\r\nA: 1\r\nA: 2\r\n\r\n";
    assert.equal(Buffer.from(block).toString("latin1"), blockStr);
    const ob = new OutboundBuffer();
    const n = pubStr(ob, "foo", undefined, "hello", block);
    const want = `HPUB foo ${blockStr.length} ${blockStr.length + 5}\r\n${blockStr}hello\r\n`;
    assert.equal(takeStr(ob), want);
    assert.equal(n, want.length);
    pubStr(ob, "foo", "rep.ly", "", block);
    assert.equal(takeStr(ob), `HPUB foo rep.ly ${blockStr.length} ${blockStr.length}\r\n${blockStr}\r\n`);
  });

  it("HPUB with a status line and a UTF-8 header value counts bytes", () => {
    const h = headers(503, "No Responders");
    h.set("K", "v\u00e9\u4e16");
    const block = h.encode();
    const blockStr = utf8("NATS/1.0 503 No Responders\r\nK: v\u00e9\u4e16\r\n\r\n");
    assert.equal(block.length, blockStr.length);
    const ob = new OutboundBuffer();
    pubStr(ob, "s", undefined, "\u00e9", block);
    assert.equal(takeStr(ob), `HPUB s ${blockStr.length} ${blockStr.length + 2}\r\n${blockStr}${utf8("\u00e9")}\r\n`);
  });

  it("HPUB with the header block as text (as publish passes it) writes the same bytes", () => {
    const h = headers(503, "No Responders");
    h.set("K", "v\u00e9\u4e16");
    h.append("K", "\u{1F600}");
    const text = h.wire();
    const asBytes = new OutboundBuffer();
    const asText = new OutboundBuffer();
    const n1 = asBytes.pub("s", "r", h.encode(), "body\u00e9", payloadLength("body\u00e9"));
    const n2 = asText.pub("s", "r", text, "body\u00e9", payloadLength("body\u00e9"), Buffer.byteLength(text));
    const n3 = new OutboundBuffer().pub("s", "r", text, "body\u00e9", payloadLength("body\u00e9"));
    assert.equal(n2, n1);
    assert.equal(n3, n1);
    assert.equal(takeStr(asText), takeStr(asBytes));
  });

  it("a one-off subject (a received reply) is written as any other, with or without reply and headers", () => {
    const h = headers();
    h.set("K", "v\u00e9");
    const text = h.wire();
    const cases: [string, string | undefined, string | undefined, string][] = [
      ["$JS.ACK.S.C.1.2.3.4.5", undefined, undefined, "+ACK"],
      ["_INBOX.x.\u00e9", "r.1", undefined, "body"],
      ["_INBOX.y", undefined, text, "b\u00e9"],
      ["_INBOX.z", "r.2", text, ""],
    ];
    for (const [subject, reply, hdrs, payload] of cases) {
      const cached = new OutboundBuffer();
      const once = new OutboundBuffer();
      // twice each: the second write of the cached one comes from its caches
      for (let i = 0; i < 2; i++) {
        const n1 = cached.pub(subject, reply, hdrs, payload, payloadLength(payload));
        const n2 = once.pub(subject, reply, hdrs, payload, payloadLength(payload), undefined, true);
        assert.equal(n2, n1, subject);
      }
      assert.equal(takeStr(once), takeStr(cached), subject);
    }
  });

  it("UTF-8 subjects, replies and string payloads use byte lengths", () => {
    const ob = new OutboundBuffer();
    const subject = "caf\u00e9.\u4e16\u754c.\u{1F600}";
    const payload = "h\u00e9llo \u4e16 \u{1F600}";
    assert.equal(payloadLength(payload), Buffer.byteLength(payload));
    assert.notEqual(payloadLength(payload), payload.length);
    const n = pubStr(ob, subject, "r.\u00e9", payload);
    const want = utf8(`PUB ${subject} r.\u00e9 ${Buffer.byteLength(payload)}\r\n${payload}\r\n`);
    assert.equal(takeStr(ob), want);
    assert.equal(n, want.length);
  });

  it("SUB with and without queue", () => {
    const ob = new OutboundBuffer();
    ob.sub("foo.*", undefined, 1);
    ob.sub("foo.>", "workers", 42);
    ob.sub("\u00e9.x", "q\u00e9", 1234567890);
    assert.equal(takeStr(ob), utf8("SUB foo.* 1\r\nSUB foo.> workers 42\r\nSUB \u00e9.x q\u00e9 1234567890\r\n"));
  });

  it("UNSUB with and without max", () => {
    const ob = new OutboundBuffer();
    ob.unsub(7);
    ob.unsub(7, 1);
    ob.unsub(123, 0);
    ob.unsub(9007199254740991, 100000);
    assert.equal(takeStr(ob), "UNSUB 7\r\nUNSUB 7 1\r\nUNSUB 123 0\r\nUNSUB 9007199254740991 100000\r\n");
  });

  it("PING, PONG, line and raw", () => {
    const ob = new OutboundBuffer();
    ob.ping();
    ob.pong();
    ob.line('CONNECT {"name":"\u00e9"}');
    ob.raw(enc.encode("PING\r\n"));
    assert.equal(takeStr(ob), utf8('PING\r\nPONG\r\nCONNECT {"name":"\u00e9"}\r\nPING\r\n'));
  });
});

describe("OutboundBuffer take/truncate/reset/detach", () => {
  it("take returns null when empty, the bytes once, then null", () => {
    const ob = new OutboundBuffer();
    assert.equal(ob.take(), null);
    assert.equal(ob.length, 0);
    ob.ping();
    assert.equal(ob.length, 6);
    assert.equal(takeStr(ob), "PING\r\n");
    assert.equal(ob.length, 0);
    assert.equal(ob.take(), null);
    ob.pong();
    assert.equal(takeStr(ob), "PONG\r\n");
  });

  it("truncate undoes the frames written after a mark", () => {
    const ob = new OutboundBuffer();
    ob.ping();
    const mark = ob.length;
    pubStr(ob, "foo", undefined, "some payload");
    assert.ok(ob.length > mark);
    ob.truncate(mark);
    assert.equal(ob.length, mark);
    ob.pong();
    assert.equal(takeStr(ob), "PING\r\nPONG\r\n");
    // truncate is relative to the untaken bytes
    ob.ping();
    ob.pong();
    ob.truncate(6);
    assert.equal(takeStr(ob), "PING\r\n");
    ob.ping();
    ob.truncate(0);
    assert.equal(ob.take(), null);
  });

  it("reset drops untaken bytes only", () => {
    const ob = new OutboundBuffer();
    ob.ping();
    const taken = ob.take()!;
    ob.pong();
    ob.reset();
    assert.equal(ob.length, 0);
    assert.equal(ob.take(), null);
    assert.equal(Buffer.from(taken).toString("latin1"), "PING\r\n");
    ob.unsub(1);
    assert.equal(takeStr(ob), "UNSUB 1\r\n");
  });

  it("detach returns a copy and empties the buffer", () => {
    const ob = new OutboundBuffer();
    pubStr(ob, "a", undefined, "1");
    ob.ping();
    const d = ob.detach();
    assert.equal(Buffer.from(d).toString("latin1"), "PUB a 1\r\n1\r\nPING\r\n");
    assert.equal(ob.length, 0);
    assert.equal(ob.take(), null);
    // later writes do not touch the detached copy
    for (let i = 0; i < 100; i++) pubStr(ob, "zzzzzzzz", undefined, "zzzzzzzzzzzzzzzz");
    assert.equal(Buffer.from(d).toString("latin1"), "PUB a 1\r\n1\r\nPING\r\n");
    assert.equal(ob.detach().length, 100 * "PUB zzzzzzzz 16\r\nzzzzzzzzzzzzzzzz\r\n".length);
    assert.equal(ob.detach().length, 0);
  });
});

describe("OutboundBuffer growth", () => {
  it("untaken bytes survive growth past the 256 KiB slab", () => {
    const ob = new OutboundBuffer();
    const expected: string[] = [];
    for (let i = 0; ob.length < 3 * SLAB; i++) {
      const payload = `payload-${i}-`.repeat(1 + (i % 50));
      pubStr(ob, `subj.${i}`, i % 3 ? undefined : `r.${i}`, payload);
      expected.push(`PUB subj.${i}${i % 3 ? "" : ` r.${i}`} ${payload.length}\r\n${payload}\r\n`);
    }
    const want = expected.join("");
    assert.equal(ob.length, want.length);
    assert.equal(takeStr(ob), want);
  });

  it("a single frame bigger than the slab", () => {
    const ob = new OutboundBuffer();
    ob.ping();
    const big = new Uint8Array(SLAB + 12345);
    for (let i = 0; i < big.length; i++) big[i] = i & 0xff;
    pubStr(ob, "big", undefined, big);
    ob.pong();
    const out = ob.take()!;
    const head = `PING\r\nPUB big ${big.length}\r\n`;
    assert.equal(out.length, head.length + big.length + 2 + 6);
    assert.equal(Buffer.from(out.subarray(0, head.length)).toString("latin1"), head);
    assert.ok(Buffer.from(out.subarray(head.length, head.length + big.length)).equals(big), "payload bytes differ");
    assert.equal(Buffer.from(out.subarray(head.length + big.length)).toString("latin1"), "\r\nPONG\r\n");
  });

  it("bytes already taken are never overwritten by later writes", () => {
    const ob = new OutboundBuffer();
    const taken: { view: Uint8Array; want: string }[] = [];
    let pending = "";
    let total = 0;
    const take = (): void => {
      const view = ob.take();
      if (view === null) return assert.equal(pending, "");
      assert.equal(Buffer.from(view).toString("latin1"), pending);
      taken.push({ view, want: pending });
      total += view.length;
      pending = "";
    };
    for (let i = 0; total < 5 * SLAB; i++) {
      const payload = String.fromCharCode(97 + (i % 26)).repeat(100 + ((i * 7919) % 3000));
      pubStr(ob, `t.${i}`, undefined, payload);
      pending += `PUB t.${i} ${payload.length}\r\n${payload}\r\n`;
      if (i % 3 === 0) {
        ob.sub(`s.${i}`, "q", i);
        pending += `SUB s.${i} q ${i}\r\n`;
      }
      if (i % 5 === 0) {
        // leave something untaken across the next writes; sometimes undo it
        ob.ping();
        pending += "PING\r\n";
        if (i % 10 === 0) {
          ob.truncate(ob.length - 6);
          pending = pending.slice(0, -6);
        }
      }
      if (i % 2 === 0) take();
    }
    take();
    assert.ok(taken.length > 100);
    for (const [k, t] of taken.entries()) assert.equal(Buffer.from(t.view).toString("latin1"), t.want, `taken chunk ${k} was overwritten`);
  });
});

describe("OutboundBuffer writeTo and slab reuse", () => {
  it("stops when the writer asks to wait and resumes in order", () => {
    const ob = new OutboundBuffer();
    const want: string[] = [];
    for (let i = 0; ob.length < 3 * SLAB; i++) {
      const p = `m${i}-`.repeat(200);
      pubStr(ob, "w", undefined, p);
      want.push(`PUB w ${p.length}\r\n${p}\r\n`);
    }
    const got: string[] = [];
    let calls = 0;
    const first = ob.writeTo((b, done) => {
      got.push(Buffer.from(b).toString("latin1"));
      done();
      return ++calls < 2;
    });
    assert.equal(first, false);
    assert.ok(ob.length > 0);
    assert.equal(ob.writeTo((b, done) => (got.push(Buffer.from(b).toString("latin1")), done(), true)), true);
    assert.equal(ob.length, 0);
    assert.equal(got.join(""), want.join(""));
  });

  it("bytes handed out are not overwritten until released, and released slabs are reused", () => {
    const ob = new OutboundBuffer();
    const held: { bytes: Uint8Array; copy: string; done: () => void }[] = [];
    const buffers = new Set<ArrayBufferLike>();
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 200; i++) pubStr(ob, `r.${round}`, undefined, String.fromCharCode(97 + (round % 26)).repeat(1000));
      ob.writeTo((b, done) => {
        held.push({ bytes: b, copy: Buffer.from(b).toString("latin1"), done });
        buffers.add(b.buffer);
        return true;
      });
      // everything still held is intact
      for (const h of held) assert.equal(Buffer.from(h.bytes).toString("latin1"), h.copy);
      // release all but the last round's chunks
      while (held.length > 1) held.shift()!.done();
    }
    // 20 rounds of ~200 KiB would need many slabs without reuse
    assert.ok(buffers.size <= 10, `used ${buffers.size} distinct slabs`);
  });
});

describe("OutboundBuffer slab pool", () => {
  /** Publishes about `slabs` slabs' worth and hands everything out; returns the release calls. */
  function burst(ob: OutboundBuffer, slabs: number, buffers: Set<ArrayBufferLike>): (() => void)[] {
    const payload = "p".repeat(16 * 1024);
    for (let i = 0; i < slabs * 15; i++) pubStr(ob, "burst", undefined, payload);
    const dones: (() => void)[] = [];
    ob.writeTo((b, done) => {
      buffers.add(b.buffer);
      dones.push(done);
      return true;
    });
    return dones;
  }

  it("keeps the slabs of a burst for the next burst, then lets them go once bursts stop", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const ob = new OutboundBuffer();
      const buffers = new Set<ArrayBufferLike>();
      for (const d of burst(ob, 40, buffers)) d();
      const first = buffers.size;
      assert.ok(first >= 40, `first burst used ${first} slabs`);
      assert.ok(ob.pooled >= 39, `pooled ${ob.pooled}`);
      // a second burst within the linger time reuses them: (almost) no new slab
      for (const d of burst(ob, 40, buffers)) d();
      assert.ok(buffers.size <= first + 1, `second burst allocated ${buffers.size - first} new slabs`);
      // once a whole linger period passes without a new slab, the pool is cut back to 8
      mock.timers.tick(1_000);
      mock.timers.tick(1_000);
      assert.equal(ob.pooled, 8);
    } finally {
      mock.timers.reset();
    }
  });

  it("a burst that keeps needing new slabs keeps its pool", () => {
    mock.timers.enable({ apis: ["setTimeout"] });
    try {
      const ob = new OutboundBuffer();
      const buffers = new Set<ArrayBufferLike>();
      for (const d of burst(ob, 20, buffers)) d();
      // a bigger burst needs new slabs before the timer runs: the pool is kept a while longer
      for (const d of burst(ob, 30, buffers)) d();
      mock.timers.tick(1_000);
      assert.ok(ob.pooled > 8, `pooled ${ob.pooled}`);
      mock.timers.tick(1_000);
      assert.equal(ob.pooled, 8);
    } finally {
      mock.timers.reset();
    }
  });

  it("dispose() empties the pool and pools nothing released later", () => {
    const ob = new OutboundBuffer();
    const dones = burst(ob, 12, new Set());
    ob.dispose();
    for (const d of dones) d();
    assert.equal(ob.pooled, 0);
  });
});

describe("OutboundBuffer sizes", () => {
  it("writes every digit count correctly", () => {
    for (const n of [0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 1001, 9999, 10000, 10001, 65536, 99999, 100000, 1048576]) {
      const ob = new OutboundBuffer();
      const payload = new Uint8Array(n).fill(120);
      pubStr(ob, "s", undefined, payload);
      const out = Buffer.from(ob.take()!);
      const head = `PUB s ${n}\r\n`;
      assert.equal(out.subarray(0, head.length).toString("latin1"), head, `size ${n}`);
      assert.equal(out.length, head.length + n + 2);
    }
  });
});
