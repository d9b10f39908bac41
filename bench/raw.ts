// The raw-socket ceiling: what one Node event loop moves through bare sockets with no client in
// between. Publishers write pre-built PUB frames in 512 KiB batches (waiting for 'drain' when
// write() says so, and giving the event loop a turn per batch, as the client cases do);
// subscribers count MSG frames by scanning bytes; a responder answers each request with a
// pre-built payload (not in the req-*-ext cases, where the bench's external responder answers).
// Every ratio tsnats/ceiling has this limit beside it.
import { connect as netConnect, type Socket } from "node:net";
import { once } from "node:events";
import { performance } from "node:perf_hooks";
import type { BenchClient, CaseSpec, GcStats, RunMetrics } from "./adapter.js";
import { collectGarbage, gcWindow } from "./gc.js";
import { percentile } from "./report.js";
import { CpuWindow, KiB, describe, payload, warmCount, withTimeout, yieldToIo } from "./util.js";

const RUN_LIMIT_MS = 60_000;
const STALL_MS = 2_000;
const BATCH_BYTES = 512 * KiB;
const CRLF = Buffer.from("\r\n");

/** Splits a server byte stream into frames, counting MSG frames without decoding them. */
export class FrameScanner {
  msgs = 0;
  /** Called per MSG with its header line (`buf[start..end)`, without CRLF), when set. */
  onMsg?: (buf: Buffer, start: number, end: number) => void;
  onPing?: () => void;
  onPong?: () => void;
  onError?: (line: string) => void;
  private skip = 0;
  private partial: Buffer | undefined;

  feed(chunk: Buffer): void {
    let buf = chunk;
    if (this.partial) {
      buf = Buffer.concat([this.partial, chunk]);
      this.partial = undefined;
    }
    let i = 0;
    const n = buf.length;
    while (i < n) {
      if (this.skip > 0) {
        const k = Math.min(this.skip, n - i);
        this.skip -= k;
        i += k;
        continue;
      }
      const nl = buf.indexOf(10, i);
      if (nl < 0) {
        this.partial = Buffer.from(buf.subarray(i));
        return;
      }
      const end = buf[nl - 1] === 13 ? nl - 1 : nl;
      const c = buf[i];
      if (c === 77 /* M */) {
        let size = 0;
        let mul = 1;
        for (let j = end - 1; j > i && buf[j] !== 32; j--, mul *= 10) size += (buf[j] - 48) * mul;
        this.msgs++;
        this.onMsg?.(buf, i, end);
        this.skip = size + 2;
      } else if (c === 80 /* P */) {
        if (buf[i + 1] === 73 /* I */) this.onPing?.();
        else this.onPong?.();
      } else if (c === 45 /* - */) {
        this.onError?.(buf.toString("latin1", i, end));
      }
      i = nl + 1;
    }
  }
}

/** The reply subject of a MSG header line ("MSG subj sid reply size"), or undefined. */
function replyOf(buf: Buffer, start: number, end: number): Buffer | undefined {
  const s1 = buf.indexOf(32, start);
  const s2 = buf.indexOf(32, s1 + 1);
  const s3 = buf.indexOf(32, s2 + 1);
  const s4 = buf.indexOf(32, s3 + 1);
  if (s4 < 0 || s4 >= end) return undefined;
  return buf.subarray(s3 + 1, s4);
}

export class RawConn {
  readonly scanner = new FrameScanner();
  private pongs: (() => void)[] = [];
  closedReason: string | undefined;

  private constructor(readonly sock: Socket) {
    sock.on("data", (chunk: Buffer) => this.scanner.feed(chunk));
    this.scanner.onPing = () => { sock.write("PONG\r\n"); };
    this.scanner.onPong = () => { this.pongs.shift()?.(); };
    this.scanner.onError = (line) => { this.closedReason ??= `server: ${line}`; };
    sock.on("error", (err) => { this.closedReason ??= describe(err); });
    sock.on("close", () => { this.closedReason ??= "connection closed"; });
  }

  /** Connects, sends CONNECT (echo on, so one connection can publish to itself) and a PING. */
  static async open(url: string, name: string): Promise<RawConn> {
    const u = new URL(url);
    const sock = netConnect({ host: u.hostname, port: Number(u.port || 4222), noDelay: true });
    await once(sock, "connect");
    const c = new RawConn(sock);
    const connect = { verbose: false, pedantic: false, protocol: 1, echo: true, lang: "raw", version: "0", name };
    sock.write(`CONNECT ${JSON.stringify(connect)}\r\n`);
    await withTimeout(c.ping(), 5_000, "raw CONNECT");
    return c;
  }

  /** A PING/PONG round trip: everything written before it was processed by the server. */
  ping(): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.closedReason) return reject(new Error(this.closedReason));
      this.pongs.push(resolve);
      this.sock.write("PING\r\n");
    });
  }

  /** Writes, and waits for 'drain' when the socket asks for it. */
  async write(buf: Uint8Array): Promise<void> {
    if (!this.sock.write(buf)) await once(this.sock, "drain");
  }

  /** Writes `n` frames of `frameLen` bytes from `batch` (which holds `perBatch` of them). */
  async writeFrames(batch: Buffer, frameLen: number, perBatch: number, n: number): Promise<void> {
    for (let left = n; left > 0;) {
      const k = Math.min(perBatch, left);
      await this.write(k === perBatch ? batch : batch.subarray(0, k * frameLen));
      left -= k;
      if (this.closedReason) throw new Error(this.closedReason);
      await yieldToIo();
    }
  }

  close(): void {
    this.closedReason ??= "closed by the bench";
    this.sock.destroy();
  }
}

/** `count` copies of one PUB frame back to back (at least one, about BATCH_BYTES in all). */
export function pubFrames(subject: string, size: number, reply?: string): { batch: Buffer; frameLen: number; perBatch: number } {
  const frame = Buffer.concat([
    Buffer.from(`PUB ${subject}${reply ? ` ${reply}` : ""} ${size}\r\n`), payload(size), CRLF,
  ]);
  const perBatch = Math.max(1, Math.floor(BATCH_BYTES / frame.length));
  return { batch: Buffer.concat(Array.from({ length: perBatch }, () => frame)), frameLen: frame.length, perBatch };
}

interface Measured {
  done: number;
  elapsedMs: number;
  latenciesMs?: Float64Array;
}

interface Ctx {
  spec: CaseSpec;
  url: string;
  subject: string;
  warm: number;
  open(role: string): Promise<RawConn>;
  start(): void;
  stop(at?: number): number;
}

async function rawPub(ctx: Ctx): Promise<Measured> {
  const c = await ctx.open("pub");
  const f = pubFrames(ctx.subject, ctx.spec.size);
  await c.writeFrames(f.batch, f.frameLen, f.perBatch, ctx.warm);
  await c.ping();
  ctx.start();
  await c.writeFrames(f.batch, f.frameLen, f.perBatch, ctx.spec.count);
  await c.ping();
  return { done: ctx.spec.count, elapsedMs: ctx.stop() };
}

async function rawPubSub(ctx: Ctx, oneConn: boolean): Promise<Measured> {
  const sub = await ctx.open(oneConn ? "pubsub" : "sub");
  const pub = oneConn ? sub : await ctx.open("pub");
  sub.sock.write(`SUB ${ctx.subject} 1\r\n`);
  await sub.ping();
  const s = sub.scanner;
  const f = pubFrames(ctx.subject, ctx.spec.size);
  // Resolves when the subscriber has `target` messages (checked after each read), or when nothing
  // new came for STALL_MS (or the connection closed); to the time of the last progress.
  const waitFor = (target: number): Promise<{ at: number; got: number }> => new Promise((resolve) => {
    let last = s.msgs;
    let lastAt = performance.now();
    const finish = (at: number) => {
      clearInterval(watch);
      sub.sock.off("data", onData);
      resolve({ at, got: s.msgs });
    };
    const onData = () => { if (s.msgs >= target) finish(performance.now()); };
    const watch = setInterval(() => {
      const now = performance.now();
      if (s.msgs !== last) { last = s.msgs; lastAt = now; }
      if (now - lastAt > STALL_MS || sub.closedReason) finish(lastAt);
    }, 50);
    sub.sock.on("data", onData);
    if (s.msgs >= target) finish(performance.now());
  });
  const warm = pub.writeFrames(f.batch, f.frameLen, f.perBatch, ctx.warm);
  await waitFor(ctx.warm);
  await warm;
  const base = s.msgs;
  ctx.start();
  const done = pub.writeFrames(f.batch, f.frameLen, f.perBatch, ctx.spec.count);
  const end = await waitFor(base + ctx.spec.count);
  const elapsedMs = ctx.stop(end.at);
  await done.catch(() => undefined);
  return { done: end.got - base, elapsedMs };
}

/** A responder that answers every request with a pre-built payload of the same size, one write per read. */
async function rawResponder(ctx: Ctx): Promise<void> {
  const r = await ctx.open("responder");
  const body = Buffer.concat([Buffer.from(` ${ctx.spec.size}\r\n`), payload(ctx.spec.size), CRLF]);
  const PUB = Buffer.from("PUB ");
  let out: Buffer[] = [];
  r.scanner.onMsg = (buf, start, end) => {
    const reply = replyOf(buf, start, end);
    if (reply) out.push(PUB, Buffer.from(reply), body);
  };
  r.sock.on("data", () => {
    if (out.length === 0) return;
    r.sock.write(Buffer.concat(out));
    out = [];
  });
  r.sock.write(`SUB ${ctx.subject} 1\r\n`);
  await r.ping();
}

async function rawRequester(ctx: Ctx, inflight: number): Promise<Measured> {
  if (!ctx.spec.externalResponder) await rawResponder(ctx);
  const q = await ctx.open("requester");
  const inbox = `_INBOX.raw.${ctx.subject}`;
  q.sock.write(`SUB ${inbox} 2\r\n`);
  await q.ping();
  const f = pubFrames(ctx.subject, ctx.spec.size, inbox);
  const lat = inflight === 1 ? new Float64Array(ctx.spec.count) : undefined;

  const drive = (total: number, timed: boolean): Promise<void> => new Promise((resolve, reject) => {
    let sent = 0;
    let got = 0;
    let t = 0;
    const send = (k: number) => {
      k = Math.min(k, total - sent, f.perBatch);
      if (k <= 0) return;
      sent += k;
      if (lat) t = performance.now();
      q.sock.write(k === f.perBatch ? f.batch : f.batch.subarray(0, k * f.frameLen));
    };
    // In-flight mode: top up once per read with as many requests as replies arrived.
    let seen = 0;
    const topUp = () => {
      send(got - seen);
      seen = got;
    };
    const timer = setTimeout(() => {
      q.sock.off("data", topUp);
      reject(new Error(`raw requests: ${got}/${total} replies`));
    }, RUN_LIMIT_MS);
    q.scanner.onMsg = () => {
      if (lat && timed) lat[got] = performance.now() - t;
      if (++got === total) {
        clearTimeout(timer);
        q.scanner.onMsg = undefined;
        q.sock.off("data", topUp);
        resolve();
      } else if (lat) {
        send(1);
      }
    };
    if (!lat) q.sock.on("data", topUp);
    send(inflight);
  });
  await drive(ctx.warm, false);
  ctx.start();
  await drive(ctx.spec.count, true);
  return { done: ctx.spec.count, elapsedMs: ctx.stop(), latenciesMs: lat };
}

const bodies: Partial<Record<CaseSpec["kind"], (ctx: Ctx) => Promise<Measured>>> = {
  pub: rawPub,
  pubsub: (ctx) => rawPubSub(ctx, false),
  pubsub1: (ctx) => rawPubSub(ctx, true),
  req: (ctx) => rawRequester(ctx, 1),
  reqpar: (ctx) => rawRequester(ctx, ctx.spec.inflight ?? 100),
};

export const rawClient: BenchClient = {
  name: "ceiling",
  version: `raw node:net (node ${process.version})`,
  unsupported: (spec) => (bodies[spec.kind] ? undefined : "the raw-socket ceiling has no JetStream cases"),
  async run(spec: CaseSpec, url: string, tag: string): Promise<RunMetrics> {
    collectGarbage();
    const conns: RawConn[] = [];
    let t0 = 0;
    let elapsed = 0;
    let gc: { stop(): Promise<GcStats> } | undefined;
    const cpu = new CpuWindow();
    const ctx: Ctx = {
      spec,
      url,
      subject: `bench.${tag}`,
      warm: warmCount(spec.count),
      async open(role) {
        const c = await RawConn.open(url, `bench-raw-${role}`);
        conns.push(c);
        return c;
      },
      start() { gc = gcWindow(); cpu.start(); t0 = performance.now(); },
      stop(at?: number) { elapsed = (at ?? performance.now()) - t0; cpu.stop(); return elapsed; },
    };
    let m: Measured | undefined;
    let error: string | undefined;
    try {
      const body = bodies[spec.kind];
      if (!body) throw new Error(`the raw-socket ceiling has no ${spec.kind} case`);
      m = await withTimeout(body(ctx), RUN_LIMIT_MS, `${spec.id} (ceiling)`);
    } catch (err) {
      error = describe(err);
    }
    const gcStats = gc ? await gc.stop() : undefined;
    const closed = conns.find((c) => c.closedReason)?.closedReason;
    for (const c of conns) c.close();
    if (!m) return { ok: false, error, count: spec.count, elapsedMs: elapsed, msgsPerSec: 0, mbPerSec: 0, gc: gcStats };
    const secs = m.elapsedMs / 1000;
    const out: RunMetrics = {
      ok: true,
      count: spec.count,
      elapsedMs: Math.round(m.elapsedMs * 1000) / 1000,
      msgsPerSec: secs > 0 ? m.done / secs : 0,
      mbPerSec: secs > 0 ? (m.done * spec.size) / secs / 1e6 : 0,
      gc: gcStats,
      ...cpu.metrics(m.done),
    };
    if (spec.kind === "pubsub" || spec.kind === "pubsub1") out.received = m.done;
    if (closed) out.connClosed = closed;
    if (m.latenciesMs) {
      const sorted = Float64Array.from(m.latenciesMs).sort();
      out.p50Us = percentile(sorted, 0.5) * 1000;
      out.p99Us = percentile(sorted, 0.99) * 1000;
    }
    return out;
  },
};
