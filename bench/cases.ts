// The benchmark cases, written once against the adapter in adapter.ts.
import { performance } from "node:perf_hooks";
import {
  JS_KINDS, type BenchClient, type BenchConn, type BenchJetStream, type CaseSpec, type ClientModule, type GcStats,
  type RunMetrics,
} from "./adapter.js";
import { collectGarbage, gcWindow } from "./gc.js";
import { percentile } from "./report.js";
import { CpuWindow, KiB, describe, payload, sizeLabel, streamName, warmCount, withTimeout, yieldToIo } from "./util.js";
import { consumeBodies, consumeCases } from "./cases_consume.js";
import { kvBodies, kvCases } from "./cases_kv.js";
import { objBodies, objCases } from "./cases_obj.js";

/** The longest one run may take before it is abandoned and reported as an error. */
const RUN_LIMIT_MS = 60_000;
/** pub→sub: the subscriber is considered done when it got nothing new for this long. */
const STALL_MS = 2_000;
const REQUEST_TIMEOUT_MS = 5_000;
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * Core message counts are chosen so that one timed run of the fastest client takes about 1 s or
 * more on the 2-cpu machine of bench/NOTES.md (publish and pub→sub: the raw ceiling included; at
 * 100 requests in flight the ceiling is 2–3x faster than any client and takes ~0.5 s); every
 * client gets the same count. nats.js takes 3–5x as long on the 16 B and 128 B publishes and on
 * requests in flight. `quick` divides by 10.
 */
export function defaultCases(quick: boolean): CaseSpec[] {
  const div = quick ? 10 : 1;
  const cases: CaseSpec[] = [];
  const pub: [number, number][] = [[16, 6_000_000], [128, 4_000_000], [KiB, 2_500_000], [16 * KiB, 200_000]];
  for (const [size, count] of pub) cases.push({ id: `pub-${sizeLabel(size)}`, kind: "pub", size, count: count / div });
  const pubsub: [number, number][] = [[16, 2_000_000], [128, 2_000_000], [KiB, 1_000_000], [16 * KiB, 80_000]];
  for (const [size, count] of pubsub) cases.push({ id: `pubsub-${sizeLabel(size)}`, kind: "pubsub", size, count: count / div });
  for (const [size, count] of pubsub) cases.push({ id: `pubsub-1conn-${sizeLabel(size)}`, kind: "pubsub1", size, count: count / div });
  // Requests: the client answers itself (a responder connection in the same process), and the
  // -ext variants, where one external responder process answers every client (responder.ts).
  for (const ext of [false, true]) {
    const x = ext ? "-ext" : "";
    const more = ext ? { externalResponder: true } : {};
    cases.push({ id: `req-seq${x}-128B`, kind: "req", size: 128, count: 20_000 / div, ...more });
    cases.push({ id: `req-inflight100${x}-128B`, kind: "reqpar", size: 128, count: 150_000 / div, inflight: 100, ...more });
  }
  cases.push(...jetStreamCases(quick));
  cases.push(...consumeCases(quick), ...kvCases(quick), ...objCases(quick));
  return cases;
}

/**
 * The JetStream cases (`--case js` selects them all). Each run creates its own stream (one
 * subject, the storage named in the id, 1 replica; `allow_atomic` for the batch case) before its
 * warm-up and deletes it after the timed part. Counts keep the whole JetStream part of a full
 * run (3 repetitions, 3 clients) under about 4 minutes: nats.js' async publishing (~30k msgs/s,
 * CPU-bound) sets the async count at 150,000 (50,000 before NOTES.md §10: tsnats and nats.go then
 * timed 0.2 s, too short for a JIT-compiled client to be measured warm).
 */
export function jetStreamCases(quick: boolean): CaseSpec[] {
  const div = quick ? 10 : 1;
  const cases: CaseSpec[] = [];
  const storages = [["mem", "memory"], ["file", "file"]] as const;
  for (const [label, storage] of storages) {
    cases.push({ id: `js-pub-sync-128B-${label}`, kind: "jspub", size: 128, count: 5_000 / div, storage });
  }
  for (const window of [1000, 4000]) {
    for (const [label, storage] of storages) {
      cases.push({ id: `js-pub-async-128B-w${window}-${label}`, kind: "jsasync", size: 128, count: 150_000 / div, storage, window });
    }
  }
  // 1,200 batches: about a second for the fastest client (600 were timed 0.4-0.5 s: NOTES §12)
  cases.push({ id: "js-batch-100-mem", kind: "jsbatch", size: 128, count: (1_200 / div) * 100, storage: "memory", batch: 100 });
  return cases;
}

/**
 * Publishes `n` messages, giving the event loop a turn about every 512 KiB of payload, as a real
 * producer loop would: socket writes and (for pub→sub) the subscriber's reads happen in between.
 */
async function publishN(conn: BenchConn, subject: string, data: Uint8Array, n: number): Promise<void> {
  const batch = Math.max(16, Math.floor((512 * KiB) / Math.max(1, data.length)));
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + batch);
    for (; i < end; i++) conn.publish(subject, data);
    if (i < n) await yieldToIo();
  }
}

export interface Measured {
  done: number;
  received?: number;
  elapsedMs: number;
  latenciesMs?: Float64Array;
  subErrors?: number;
}

export interface RunContext {
  spec: CaseSpec;
  /** The run's unique tag (subject suffix; the stream name of a JetStream run derives from it). */
  tag: string;
  subject: string;
  data: Uint8Array;
  warm: number;
  open(role: string): Promise<BenchConn>;
  /** Set when a connection closed by itself during the run. */
  closedReason(): string | undefined;
  /** Starts the timed part (and its GC and CPU windows). */
  start(): void;
  /**
   * Ends the timed part; returns elapsed ms. `at` is a performance.now() timestamp, if known (it
   * ends the wall-clock and GC windows there; the CPU window ends at the call).
   */
  stop(at?: number): number;
}

async function runPub(ctx: RunContext): Promise<Measured> {
  const c = await ctx.open("pub");
  await publishN(c, ctx.subject, ctx.data, ctx.warm);
  await c.flush();
  ctx.start();
  await publishN(c, ctx.subject, ctx.data, ctx.spec.count);
  await c.flush();
  return { done: ctx.spec.count, elapsedMs: ctx.stop() };
}

/** pub→sub over two connections (`oneConn` false) or one connection that both publishes and subscribes. */
async function runPubSub(ctx: RunContext, oneConn: boolean): Promise<Measured> {
  const sub = await ctx.open(oneConn ? "pubsub" : "sub");
  const pub = oneConn ? sub : await ctx.open("pub");
  let received = 0;
  let bytes = 0;
  let target = 0;
  let subErrors = 0;
  let reachedAt = 0;
  let onTarget: (() => void) | undefined;
  sub.subscribe(ctx.subject, (m) => {
    bytes += m.data.length;
    if (++received === target) {
      reachedAt = performance.now();
      onTarget?.();
    }
  }, { onError: () => { subErrors++; } });
  await sub.flush();

  // Resolves when `target` messages arrived, when nothing arrived for STALL_MS, or when a
  // connection closed (the server cuts off a slow consumer); to the time of the last progress.
  const waitFor = (n: number): Promise<number> => new Promise((resolve) => {
    target = n;
    let last = received;
    let lastAt = performance.now();
    const finish = (at: number) => { clearInterval(watch); onTarget = undefined; resolve(at); };
    const watch = setInterval(() => {
      const now = performance.now();
      if (received !== last) { last = received; lastAt = now; }
      if (now - lastAt > STALL_MS || ctx.closedReason() !== undefined) finish(lastAt);
    }, 50);
    onTarget = () => finish(reachedAt);
    if (received >= n) finish(performance.now());
  });

  const warmPub = publishN(pub, ctx.subject, ctx.data, ctx.warm);
  await waitFor(ctx.warm);
  await warmPub;
  received = 0;
  bytes = 0;

  ctx.start();
  const pubDone = publishN(pub, ctx.subject, ctx.data, ctx.spec.count).then(() => pub.flush());
  const endAt = await waitFor(ctx.spec.count);
  const elapsedMs = ctx.stop(endAt);
  await pubDone.catch(() => undefined);
  if (bytes !== received * ctx.spec.size) {
    throw new Error(`subscriber got ${bytes} payload bytes in ${received} messages of ${ctx.spec.size} B`);
  }
  return { done: received, received, elapsedMs, subErrors };
}

async function startResponder(ctx: RunContext): Promise<BenchConn> {
  const responder = await ctx.open("responder");
  responder.subscribe(ctx.subject, (m) => { m.respond(m.data); });
  await responder.flush();
  return responder;
}

/** The responder echoes the request, so a reply of another size is a client bug. */
function checkReply(ctx: RunContext, reply: Uint8Array): void {
  if (reply.length !== ctx.spec.size) throw new Error(`reply has ${reply.length} bytes, expected ${ctx.spec.size}`);
}

async function runRequestSequential(ctx: RunContext): Promise<Measured> {
  if (!ctx.spec.externalResponder) await startResponder(ctx);
  const req = await ctx.open("requester");
  for (let i = 0; i < ctx.warm; i++) checkReply(ctx, await req.request(ctx.subject, ctx.data, REQUEST_TIMEOUT_MS));
  const n = ctx.spec.count;
  const lat = new Float64Array(n);
  ctx.start();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const reply = await req.request(ctx.subject, ctx.data, REQUEST_TIMEOUT_MS);
    lat[i] = performance.now() - t;
    checkReply(ctx, reply);
  }
  return { done: n, elapsedMs: ctx.stop(), latenciesMs: lat };
}

async function runRequestInFlight(ctx: RunContext): Promise<Measured> {
  if (!ctx.spec.externalResponder) await startResponder(ctx);
  const req = await ctx.open("requester");
  const inflight = ctx.spec.inflight ?? 100;
  const drive = async (total: number): Promise<void> => {
    let issued = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && issued < total) {
        issued++;
        try {
          checkReply(ctx, await req.request(ctx.subject, ctx.data, REQUEST_TIMEOUT_MS));
        } catch (err) {
          failed = true;
          throw err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(inflight, total) }, worker));
  };
  await drive(ctx.warm);
  ctx.start();
  await drive(ctx.spec.count);
  return { done: ctx.spec.count, elapsedMs: ctx.stop() };
}

// JetStream. The stream is created before the warm-up and deleted after the timed part; after the
// timed part the run also checks that the stream holds every message published (warm-up included).

export async function withStream(
  ctx: RunContext, allowAtomic: boolean,
  body: (js: BenchJetStream, conn: BenchConn, stream: string) => Promise<{ m: Measured; expected: number }>,
): Promise<Measured> {
  const c = await ctx.open("js");
  const js = await c.jetstream();
  const name = streamName(ctx.tag);
  await js.addStream({ name, subject: ctx.subject, storage: ctx.spec.storage ?? "memory", allowAtomic });
  try {
    const { m, expected } = await body(js, c, name);
    const stored = await js.streamMessages(name);
    if (stored !== expected) throw new Error(`stream ${name} holds ${stored} messages, expected ${expected}`);
    return m;
  } finally {
    await js.deleteStream(name).catch(() => undefined);
  }
}

async function runJsPub(ctx: RunContext): Promise<Measured> {
  return withStream(ctx, false, async (js) => {
    for (let i = 0; i < ctx.warm; i++) await js.publish(ctx.subject, ctx.data);
    const n = ctx.spec.count;
    const lat = new Float64Array(n);
    ctx.start();
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      await js.publish(ctx.subject, ctx.data);
      lat[i] = performance.now() - t;
    }
    return { m: { done: n, elapsedMs: ctx.stop(), latenciesMs: lat }, expected: ctx.warm + n };
  });
}

/** Async publishes with the client's window; timed until every ack is in. */
async function runJsAsync(ctx: RunContext): Promise<Measured> {
  return withStream(ctx, false, async (js) => {
    const pub = js.asyncPublisher(ctx.spec.window ?? 1000);
    const drive = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const r = pub.ready();
        if (r) await r;
        pub.publish(ctx.subject, ctx.data);
      }
      await pub.complete();
    };
    await drive(ctx.warm);
    const n = ctx.spec.count;
    ctx.start();
    await drive(n);
    const elapsedMs = ctx.stop();
    const { acks, errors, firstError } = pub.counts();
    if (errors > 0 || acks !== ctx.warm + n) {
      throw new Error(`${acks} acks and ${errors} errors for ${ctx.warm + n} publishes${firstError ? ` (first: ${firstError})` : ""}`);
    }
    return { m: { done: n, elapsedMs }, expected: ctx.warm + n };
  });
}

/** Atomic batches one after another; `count` messages in batches of `batch`, latency per batch. */
async function runJsBatch(ctx: RunContext): Promise<Measured> {
  const size = ctx.spec.batch ?? 100;
  const batches = Math.max(1, Math.floor(ctx.spec.count / size));
  const warm = warmCount(batches);
  return withStream(ctx, true, async (js) => {
    for (let i = 0; i < warm; i++) await js.batch(ctx.subject, ctx.data, size);
    const lat = new Float64Array(batches);
    ctx.start();
    for (let i = 0; i < batches; i++) {
      const t = performance.now();
      await js.batch(ctx.subject, ctx.data, size);
      lat[i] = performance.now() - t;
    }
    return { m: { done: batches * size, elapsedMs: ctx.stop(), latenciesMs: lat }, expected: (warm + batches) * size };
  });
}

const bodies: Record<CaseSpec["kind"], (ctx: RunContext) => Promise<Measured>> = {
  pub: runPub,
  pubsub: (ctx) => runPubSub(ctx, false),
  pubsub1: (ctx) => runPubSub(ctx, true),
  req: runRequestSequential,
  reqpar: runRequestInFlight,
  jspub: runJsPub,
  jsasync: runJsAsync,
  jsbatch: runJsBatch,
  ...consumeBodies,
  ...kvBodies,
  ...objBodies,
};

/** Wraps an in-process client module as a `BenchClient`, with GC accounting. */
export function inProcessClient(mod: ClientModule): BenchClient {
  return {
    name: mod.name,
    version: mod.version,
    ...(mod.detail ? { detail: mod.detail } : {}),
    unsupported: (spec) => (JS_KINDS.includes(spec.kind) ? mod.jetstreamUnavailable : undefined),
    async run(spec: CaseSpec, url: string, tag: string): Promise<RunMetrics> {
      collectGarbage();
      const conns: BenchConn[] = [];
      let closing = false;
      let closedReason: string | undefined;
      let t0 = 0;
      let elapsed = 0;
      let t1: number | undefined;
      let gc: { stop(at?: number): Promise<GcStats> } | undefined;
      const cpu = new CpuWindow();
      const ctx: RunContext = {
        spec,
        tag,
        subject: `bench.${tag}`,
        data: payload(spec.size),
        warm: warmCount(spec.count),
        async open(role: string): Promise<BenchConn> {
          const c = await mod.connector.connect(url, `bench-${mod.name}-${role}`);
          conns.push(c);
          void c.closed().then((err) => {
            if (!closing && closedReason === undefined) {
              closedReason = `${role} connection closed${err ? `: ${describe(err)}` : ""}`;
            }
          }, () => undefined);
          return c;
        },
        closedReason: () => closedReason,
        start(): void {
          gc = gcWindow();
          cpu.start();
          t0 = performance.now();
        },
        stop(at?: number): number {
          t1 = at ?? performance.now();
          cpu.stop();
          elapsed = t1 - t0;
          return elapsed;
        },
      };

      let m: Measured | undefined;
      let error: string | undefined;
      try {
        m = await withTimeout(bodies[spec.kind](ctx), RUN_LIMIT_MS, `${spec.id} (${mod.name})`);
      } catch (err) {
        error = describe(err);
      }
      // The GC window ends where the timed part ended (a JetStream run deletes its stream after it).
      const gcStats = gc ? await gc.stop(t1) : undefined;
      closing = true;
      await Promise.all(conns.map((c) =>
        withTimeout(c.close(), CLOSE_TIMEOUT_MS, "close").catch((err: unknown) => {
          error ??= `close failed: ${describe(err)}`;
        })));

      if (!m) {
        return { ok: false, error, count: spec.count, elapsedMs: elapsed, msgsPerSec: 0, mbPerSec: 0, gc: gcStats, connClosed: closedReason };
      }
      const secs = m.elapsedMs / 1000;
      const metrics: RunMetrics = {
        ok: error === undefined,
        count: spec.count,
        elapsedMs: Math.round(m.elapsedMs * 1000) / 1000,
        msgsPerSec: secs > 0 ? m.done / secs : 0,
        mbPerSec: secs > 0 ? (m.done * spec.size) / secs / 1e6 : 0,
        gc: gcStats,
        ...cpu.metrics(m.done),
      };
      const threads = cpu.threads();
      if (threads) console.error(`[${mod.name}] ${spec.id}: timed part's CPU on the main thread ${threads.mainMs} ms, on other threads ${threads.otherMs} ms`);
      if (error !== undefined) metrics.error = error;
      if (m.received !== undefined) metrics.received = m.received;
      if (m.subErrors) metrics.subErrors = m.subErrors;
      if (closedReason !== undefined) metrics.connClosed = closedReason;
      if (m.latenciesMs) {
        const sorted = Float64Array.from(m.latenciesMs).sort();
        metrics.p50Us = percentile(sorted, 0.5) * 1000;
        metrics.p99Us = percentile(sorted, 0.99) * 1000;
      }
      return metrics;
    },
  };
}
