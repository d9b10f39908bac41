// Unit tests of the protocol parser: every frame kind, split at every byte offset, garbage input,
// malformed frames, and the zero-copy fast path. No server needed.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { Parser, MAX_CONTROL_LINE, type ParserHandler } from "../../src/protocol/parser.js";
import { ProtocolError } from "../../src/util/errors.js";

const enc = new TextEncoder();
const td = new TextDecoder();

type Ev =
  | { t: "msg"; sid: number; subject: string; reply: string | undefined; hdrLen: number; data: string }
  | { t: "info"; json: string }
  | { t: "ping" }
  | { t: "pong" }
  | { t: "ok" }
  | { t: "err"; text: string };

interface RawMsg {
  sid: number;
  line: Uint8Array;
  ss: number;
  se: number;
  rs: number;
  re: number;
  hdrLen: number;
  data: Uint8Array;
}

/**
 * Records frames. MSG subject/reply/data are decoded only in `events()` (after all feeding), like
 * the connection's lazily decoded messages: the parser must not reuse buffers it handed out.
 */
class Recorder implements ParserHandler {
  private readonly raw: (RawMsg | Ev)[] = [];
  lastData?: Uint8Array;
  onMsg(sid: number, line: Uint8Array, ss: number, se: number, rs: number, re: number, hdrLen: number, buf: Uint8Array, start: number, end: number): void {
    const data = buf.subarray(start, end);
    this.lastData = data;
    this.raw.push({ sid, line, ss, se, rs, re, hdrLen, data });
  }
  onInfo(json: string): void {
    this.raw.push({ t: "info", json });
  }
  onPing(): void {
    this.raw.push({ t: "ping" });
  }
  onPong(): void {
    this.raw.push({ t: "pong" });
  }
  onOk(): void {
    this.raw.push({ t: "ok" });
  }
  onErr(text: string): void {
    this.raw.push({ t: "err", text });
  }
  events(): Ev[] {
    return this.raw.map((r) => {
      if ("t" in r) return r;
      return {
        t: "msg",
        sid: r.sid,
        subject: td.decode(r.line.subarray(r.ss, r.se)),
        reply: r.re > r.rs ? td.decode(r.line.subarray(r.rs, r.re)) : undefined,
        hdrLen: r.hdrLen,
        data: Buffer.from(r.data).toString("latin1"),
      };
    });
  }
}

function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

/** Feeds `input` cut at `cuts` (each piece is its own ArrayBuffer); returns events (throws through). */
function feed(input: Uint8Array, cuts: number[] = []): Ev[] {
  const rec = new Recorder();
  const p = new Parser(rec);
  let prev = 0;
  for (const c of [...cuts, input.length]) {
    p.parse(input.slice(prev, c));
    prev = c;
  }
  return rec.events();
}

/** Like feed() but never throws: returns the events so far and the error, if any. */
function outcome(input: Uint8Array, cuts: number[]): { events: Ev[]; err?: unknown; parser: Parser } {
  const rec = new Recorder();
  const p = new Parser(rec);
  let prev = 0;
  try {
    for (const c of [...cuts, input.length]) {
      p.parse(input.slice(prev, c));
      prev = c;
    }
  } catch (err) {
    return { events: rec.events(), err, parser: p };
  }
  return { events: rec.events(), parser: p };
}

const msg = (sid: number, subject: string, data: string, reply?: string, hdrLen = 0): Ev => ({ t: "msg", sid, subject, reply, hdrLen, data });

const HDR = "NATS/1.0 503 No Responders\r\nA: 1\r\nA: 2\r\nb-key: x y\r\n\r\n";
const HDR_LEN = Buffer.byteLength(HDR);
const TRICKY = "a\r\nMSG foo 1 2\r\nhi\r\nPING\r\n";

/** Every frame kind with its expected event. */
const FRAMES: { name: string; wire: string; ev: Ev }[] = [
  { name: "INFO with trailing space", wire: 'INFO {"server_id":"S1","max_payload":1048576} \r\n', ev: { t: "info", json: '{"server_id":"S1","max_payload":1048576}' } },
  { name: "MSG without reply (two spaces, as 2.9.10)", wire: "MSG foo.bar 1  5\r\nhello\r\n", ev: msg(1, "foo.bar", "hello") },
  { name: "MSG with reply", wire: "MSG foo.bar 22 _INBOX.abc.1 3\r\nabc\r\n", ev: msg(22, "foo.bar", "abc", "_INBOX.abc.1") },
  { name: "MSG with tabs and runs of whitespace", wire: "MSG\tsub.x \t 7\t\t_R.y  \t2\r\nhi\r\n", ev: msg(7, "sub.x", "hi", "_R.y") },
  { name: "MSG with empty payload", wire: "MSG e 3 0\r\n\r\n", ev: msg(3, "e", "") },
  { name: "MSG whose payload holds CRLF and frames", wire: `MSG t 4 ${TRICKY.length}\r\n${TRICKY}\r\n`, ev: msg(4, "t", TRICKY) },
  { name: "MSG with UTF-8 subject", wire: "MSG s\u00e9.\u4e16 9 1\r\nz\r\n", ev: msg(9, "s\u00e9.\u4e16", "z") },
  { name: "HMSG without reply", wire: `HMSG h.s 5 ${HDR_LEN} ${HDR_LEN + 4}\r\n${HDR}body\r\n`, ev: msg(5, "h.s", HDR + "body", undefined, HDR_LEN) },
  { name: "HMSG with reply", wire: `HMSG h.s 6 rep.ly ${HDR_LEN} ${HDR_LEN + 3}\r\n${HDR}xyz\r\n`, ev: msg(6, "h.s", HDR + "xyz", "rep.ly", HDR_LEN) },
  { name: "HMSG status only (no responders)", wire: "HMSG _INBOX.r 2 16 16\r\nNATS/1.0 503\r\n\r\n\r\n", ev: msg(2, "_INBOX.r", "NATS/1.0 503\r\n\r\n", undefined, 16) },
  { name: "PING", wire: "PING\r\n", ev: { t: "ping" } },
  { name: "PONG", wire: "PONG\r\n", ev: { t: "pong" } },
  { name: "+OK", wire: "+OK\r\n", ev: { t: "ok" } },
  { name: "-ERR", wire: "-ERR 'Authorization Violation'\r\n", ev: { t: "err", text: "Authorization Violation" } },
  { name: "lower-case msg", wire: "msg low 8 2\r\nok\r\n", ev: msg(8, "low", "ok") },
  { name: "lower-case hmsg", wire: "hmsg low 8 r 12 13\r\nNATS/1.0\r\n\r\n!\r\n", ev: msg(8, "low", "NATS/1.0\r\n\r\n!", "r", 12) },
  { name: "lower-case ping", wire: "ping\r\n", ev: { t: "ping" } },
  { name: "lower-case pong", wire: "pong\r\n", ev: { t: "pong" } },
  { name: "lower-case +ok", wire: "+ok\r\n", ev: { t: "ok" } },
  { name: "lower-case -err", wire: "-err 'Stale Connection'\r\n", ev: { t: "err", text: "Stale Connection" } },
  { name: "lower-case info", wire: 'info {"a":1}\r\n', ev: { t: "info", json: '{"a":1}' } },
];

const STREAM = bytes(FRAMES.map((f) => f.wire).join(""));
const STREAM_EVENTS = FRAMES.map((f) => f.ev);

/**
 * Feeds `input` cut at `cuts` through ONE buffer that is overwritten after every parse call, as
 * the TCP transport reuses its read memory. What views the chunk being parsed is decoded at once
 * (the connection copies such messages or marks the chunk held); anything else the parser hands
 * over (a payload or control line that spanned reads) must be the parser's own copy, and is
 * decoded only after all feeding.
 */
function feedReused(input: Uint8Array, cuts: number[]): Ev[] {
  const out: (Ev | (() => Ev))[] = [];
  const mem = new Uint8Array(input.length + 1);
  let current: Uint8Array = mem;
  const handler: ParserHandler = {
    onMsg(sid, line, ss, se, rs, re, hdrLen, buf, start, end) {
      const decode = (): Ev => ({
        t: "msg",
        sid,
        subject: td.decode(line.subarray(ss, se)),
        reply: re > rs ? td.decode(line.subarray(rs, re)) : undefined,
        hdrLen,
        data: Buffer.from(buf.subarray(start, end)).toString("latin1"),
      });
      if (line.buffer === current.buffer || buf.buffer === current.buffer) out.push(decode());
      else out.push(decode);
    },
    onInfo: (json) => out.push({ t: "info", json }),
    onPing: () => out.push({ t: "ping" }),
    onPong: () => out.push({ t: "pong" }),
    onOk: () => out.push({ t: "ok" }),
    onErr: (text) => out.push({ t: "err", text }),
  };
  const p = new Parser(handler);
  let prev = 0;
  for (const c of [...cuts, input.length]) {
    current = mem.subarray(0, c - prev);
    current.set(input.subarray(prev, c));
    p.parse(current);
    mem.fill(0x58); // 'X': the next read overwrites this memory
    prev = c;
  }
  return out.map((e) => (typeof e === "function" ? e() : e));
}

describe("Parser: frames", () => {
  it("reused read memory: every frame split at every offset, and the whole stream byte by byte", () => {
    for (const f of FRAMES) {
      const wire = bytes(f.wire);
      for (let a = 1; a < wire.length; a++) assert.deepEqual(feedReused(wire, [a]), [f.ev], `${f.name}: split at ${a}`);
    }
    const all = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(feedReused(STREAM, all), STREAM_EVENTS);
    for (let a = 1; a < STREAM.length; a += 3) assert.deepEqual(feedReused(STREAM, [a]), STREAM_EVENTS, `split at ${a}`);
  });

  for (const f of FRAMES) {
    it(`${f.name}: unsplit, every 2-piece split, every 3-piece split, byte by byte`, () => {
      const wire = bytes(f.wire);
      assert.deepEqual(feed(wire), [f.ev]);
      for (let a = 1; a < wire.length; a++) assert.deepEqual(feed(wire, [a]), [f.ev], `split at ${a}`);
      for (let a = 1; a < wire.length; a++) {
        for (let b = a + 1; b < wire.length; b++) assert.deepEqual(feed(wire, [a, b]), [f.ev], `split at ${a},${b}`);
      }
      const all = Array.from({ length: wire.length - 1 }, (_, i) => i + 1);
      assert.deepEqual(feed(wire, all), [f.ev]);
    });
  }

  it("all frames in one stream: unsplit, split at every offset, byte by byte, 3 pieces", () => {
    assert.deepEqual(feed(STREAM), STREAM_EVENTS);
    for (let a = 1; a < STREAM.length; a++) assert.deepEqual(feed(STREAM, [a]), STREAM_EVENTS, `split at ${a}`);
    const all = Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(feed(STREAM, all), STREAM_EVENTS);
    for (let a = 1; a < STREAM.length; a += 7) {
      for (let b = a + 1; b < STREAM.length; b += 13) assert.deepEqual(feed(STREAM, [a, b]), STREAM_EVENTS, `split at ${a},${b}`);
    }
  });

  it("-ERR without text and with unquoted text", () => {
    assert.deepEqual(feed(bytes("-ERR\r\n-ERR  plain words \r\n")), [{ t: "err", text: "" }, { t: "err", text: "plain words" }]);
  });

  it("many frames in one chunk arrive in order", () => {
    const parts: string[] = [];
    const expected: Ev[] = [];
    for (let i = 0; i < 3000; i++) {
      const k = i % 4;
      if (k === 0) {
        parts.push(`MSG s.${i} ${i} ${String(i).length}\r\n${i}\r\n`);
        expected.push(msg(i, `s.${i}`, String(i)));
      } else if (k === 1) {
        parts.push(`HMSG h.${i} ${i} r.${i} 12 ${12 + String(i).length}\r\nNATS/1.0\r\n\r\n${i}\r\n`);
        expected.push(msg(i, `h.${i}`, `NATS/1.0\r\n\r\n${i}`, `r.${i}`, 12));
      } else if (k === 2) {
        parts.push("PING\r\n");
        expected.push({ t: "ping" });
      } else {
        parts.push("MSG z 1 0\r\n\r\n");
        expected.push(msg(1, "z", ""));
      }
    }
    const all = bytes(parts.join(""));
    assert.deepEqual(feed(all), expected);
    // and in odd-sized chunks
    const cuts: number[] = [];
    for (let c = 997; c < all.length; c += 997) cuts.push(c);
    assert.deepEqual(feed(all, cuts), expected);
  });

  it("a 200 KiB payload split into many chunks", () => {
    const size = 200 * 1024;
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + (i >> 8)) & 0xff;
    const wire = Buffer.concat([Buffer.from(`MSG big 1 r.1 ${size}\r\n`), payload, Buffer.from("\r\nPING\r\n")]);
    const expected: Ev[] = [msg(1, "big", payload.toString("latin1"), "r.1"), { t: "ping" }];
    assert.deepEqual(feed(new Uint8Array(wire)), expected);
    for (const step of [1000, 4096, 65536, 100_000]) {
      const cuts: number[] = [];
      for (let c = step; c < wire.length; c += step) cuts.push(c);
      assert.deepEqual(feed(new Uint8Array(wire), cuts), expected, `chunks of ${step}`);
    }
  });

  it("an incomplete frame waits for the rest", () => {
    const rec = new Recorder();
    const p = new Parser(rec);
    p.parse(bytes("MSG foo 1 5\r\nhel"));
    assert.deepEqual(rec.events(), []);
    p.parse(bytes("lo\r"));
    assert.deepEqual(rec.events(), []);
    p.parse(bytes("\nPI"));
    assert.deepEqual(rec.events(), [msg(1, "foo", "hello")]);
    p.parse(bytes("NG\r\n"));
    assert.deepEqual(rec.events(), [msg(1, "foo", "hello"), { t: "ping" }]);
  });
});

describe("Parser: copies only when split", () => {
  it("an unsplit MSG's data is a view of the chunk", () => {
    const chunk = bytes("PING\r\nMSG foo 1 5\r\nhello\r\n");
    const rec = new Recorder();
    new Parser(rec).parse(chunk);
    const data = rec.lastData!;
    assert.equal(data.buffer, chunk.buffer);
    assert.equal(data.byteOffset, chunk.byteOffset + 19);
    assert.equal(td.decode(data), "hello");
  });

  it("an unsplit HMSG's data (header block + payload) is a view of the chunk", () => {
    const chunk = bytes("HMSG foo 1 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
    const rec = new Recorder();
    new Parser(rec).parse(chunk);
    assert.equal(rec.lastData!.buffer, chunk.buffer);
    assert.equal(rec.lastData!.length, 14);
  });

  it("a MSG whose payload spans chunks is copied out", () => {
    const wire = bytes("MSG foo 1 5\r\nhello\r\n");
    const c1 = wire.slice(0, 15);
    const c2 = wire.slice(15);
    const rec = new Recorder();
    const p = new Parser(rec);
    p.parse(c1);
    p.parse(c2);
    const data = rec.lastData!;
    assert.notEqual(data.buffer, c1.buffer);
    assert.notEqual(data.buffer, c2.buffer);
    assert.equal(td.decode(data), "hello");
  });
});

function expectProtocolError(err: unknown, what: string): void {
  assert.ok(err instanceof ProtocolError, `${what}: expected ProtocolError, got ${String(err)}`);
  assert.equal((err as ProtocolError).code, "PROTOCOL_ERROR");
}

/**
 * Asserts that `input` (fed whole and byte by byte) throws ProtocolError after exactly the frames
 * `before` (the malformed frame itself is never delivered) and that the parser stays failed.
 */
function assertMalformed(input: string | Uint8Array, what: string, before: Ev[] = []): void {
  const b = typeof input === "string" ? bytes(input) : input;
  for (const cuts of [[], Array.from({ length: b.length - 1 }, (_, i) => i + 1)]) {
    const o = outcome(b, cuts);
    assert.ok(o.err !== undefined, `${what}: no error (events ${JSON.stringify(o.events)})`);
    expectProtocolError(o.err, what);
    assert.deepEqual(o.events, before, `${what}: frames delivered before the error`);
    assert.throws(() => o.parser.parse(bytes("PING\r\n")), (e: unknown) => e instanceof ProtocolError && e.code === "PROTOCOL_ERROR", `${what}: parser must stay failed`);
  }
}

describe("Parser: malformed frames", () => {
  const cases: [string, string, Ev[]?][] = [
    ["unknown op", "FOO bar\r\n"],
    ["unknown op after a good frame", "PING\r\nPUB x 1\r\nx\r\n", [{ t: "ping" }]],
    ["op without space", "MSGfoo 1 2\r\nhi\r\n"],
    ["PING with junk", "PINGX\r\n"],
    ["+OK with junk", "+OKAY\r\n"],
    ["bare MSG", "MSG\r\n"],
    ["MSG with bad sid", "MSG foo x1 2\r\nhi\r\n"],
    ["MSG with negative size", "MSG foo 1 -2\r\nhi\r\n"],
    ["MSG with bad size digits", "MSG foo 1 2a\r\nhi\r\n"],
    ["MSG with too few args", "MSG foo 1\r\n"],
    ["MSG with one arg", "MSG foo\r\n"],
    ["MSG with too many args", "MSG foo 1 r extra 2\r\nhi\r\n"],
    ["MSG with far too many args", "MSG a b c d e f g h 2\r\nhi\r\n"],
    ["HMSG with too few args", "HMSG foo 1 12\r\n"],
    ["HMSG with too many args", "HMSG foo 1 r x 12 12\r\n"],
    ["HMSG with bad header size", "HMSG foo 1 1z 12\r\nNATS/1.0\r\n\r\n\r\n"],
    ["HMSG header size > total size", "HMSG foo 1 13 12\r\nNATS/1.0\r\n\r\n\r\n"],
    ["payload not followed by CRLF", "MSG foo 1 2\r\nhiXX\r\n"],
    ["payload followed by LF only", "MSG foo 1 2\r\nhi\nPING\r\n"],
    ["payload followed by CR and junk", "MSG foo 1 2\r\nhi\rX\n"],
    ["payload longer than announced", "MSG foo 1 2\r\nhello\r\n"],
    ["good MSG, then a payload without CRLF", "MSG a 1 1\r\nx\r\nMSG foo 1 2\r\nhiPING\r\n", [msg(1, "a", "x")]],
    ["HMSG payload not followed by CRLF", "HMSG foo 1 12 12\r\nNATS/1.0\r\n\r\nzz"],
    ["empty line", "\r\n"],
    ["garbage without LF", "\x00\x01\x02"],
    ["control character in MSG args", "MSG fo\x01o 1 2\r\nhi\r\n"],
  ];
  for (const [what, input, before] of cases) it(what, () => assertMalformed(input, what, before));

  it("a size too big to allocate is a ProtocolError, not a RangeError", () => {
    assertMalformed("MSG foo 1 999999999999999\r\nabc", "huge size");
    assertMalformed("HMSG foo 1 12 999999999999999\r\nNATS/1.0\r\n\r\n", "huge HMSG size");
  });

  it("an over-long control line without LF is rejected", () => {
    const p = new Parser(new Recorder());
    const piece = bytes("x".repeat(64 * 1024));
    let err: unknown;
    try {
      p.parse(bytes("INFO {"));
      for (let sent = 0; sent <= MAX_CONTROL_LINE + piece.length && err === undefined; sent += piece.length) p.parse(piece);
    } catch (e) {
      err = e;
    }
    assert.ok(err !== undefined, "no error after more than MAX_CONTROL_LINE bytes without LF");
    expectProtocolError(err, "over-long line");
    assert.throws(() => p.parse(bytes("\r\n")), ProtocolError);
    // the same in one chunk
    const one = new Uint8Array(MAX_CONTROL_LINE + 16).fill(0x41);
    one.set(bytes("INFO "), 0);
    assert.throws(() => new Parser(new Recorder()).parse(one), (e: unknown) => e instanceof ProtocolError && e.code === "PROTOCOL_ERROR");
  });
});

/** mulberry32: a small seeded PRNG so failures are reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = ["MSG ", "HMSG ", "msg\t", "PING", "PONG", "+OK", "-ERR ", "INFO ", "{}", " ", "  ", "\t", "\r\n", "\r\n", "\r", "\n", "foo", "a.b", "_INBOX.x", "0", "1", "2", "12", "16", "NATS/1.0", "NATS/1.0 503\r\n\r\n", "\x00", "\xff", "hi"];

function randomInput(rnd: () => number, structured: boolean): Uint8Array {
  const len = 1 + Math.floor(rnd() * 60);
  if (!structured) {
    const b = new Uint8Array(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(rnd() * 256);
    return b;
  }
  let s = "";
  for (let i = 0; i < len / 3; i++) s += TOKENS[Math.floor(rnd() * TOKENS.length)]!;
  return new Uint8Array(Buffer.from(s, "latin1"));
}

function randomCuts(rnd: () => number, n: number): number[] {
  const cuts = new Set<number>();
  const k = Math.floor(rnd() * 5);
  for (let i = 0; i < k && n > 1; i++) cuts.add(1 + Math.floor(rnd() * (n - 1)));
  return [...cuts].sort((a, b) => a - b);
}

describe("Parser: random garbage", () => {
  for (const structured of [false, true]) {
    it(`${structured ? "protocol-like" : "random"} bytes: ProtocolError or incomplete, independent of chunking`, () => {
      const rnd = prng(structured ? 0x5eed : 0xbad5eed);
      let errors = 0;
      for (let n = 0; n < 4000; n++) {
        const input = randomInput(rnd, structured);
        const tag = `case ${n} ${JSON.stringify(Buffer.from(input).toString("latin1"))}`;
        const whole = outcome(input, []);
        const split = outcome(input, randomCuts(rnd, input.length));
        const bytewise = outcome(input, Array.from({ length: input.length - 1 }, (_, i) => i + 1));
        for (const o of [whole, split, bytewise]) {
          if (o.err !== undefined) {
            expectProtocolError(o.err, tag);
            assert.throws(() => o.parser.parse(bytes("PING\r\n")), ProtocolError, tag);
            assert.throws(() => o.parser.parse(new Uint8Array(0)), ProtocolError, tag);
          }
        }
        assert.equal(split.err !== undefined, whole.err !== undefined, `${tag}: split outcome differs`);
        assert.equal(bytewise.err !== undefined, whole.err !== undefined, `${tag}: byte-wise outcome differs`);
        assert.deepEqual(split.events, whole.events, tag);
        assert.deepEqual(bytewise.events, whole.events, tag);
        if (whole.err !== undefined) errors++;
      }
      // the generator must actually exercise both paths
      assert.ok(errors > 100, `errors: ${errors}`);
      if (structured) assert.ok(errors < 3900, `errors: ${errors}`);
    });
  }

  it("random valid streams with random cuts give the same events", () => {
    const rnd = prng(42);
    for (let n = 0; n < 500; n++) {
      const picks = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => FRAMES[Math.floor(rnd() * FRAMES.length)]!);
      const input = bytes(picks.map((f) => f.wire).join(""));
      assert.deepEqual(feed(input, randomCuts(rnd, input.length)), picks.map((f) => f.ev));
    }
  });
});
