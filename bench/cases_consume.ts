// The JetStream consumer cases (`--case js-consume`, `js-fetch`, `js-ordered`), written once
// against adapter_js.ts as cases.ts does against adapter.ts.
//
// Each run creates its stream (memory storage, one subject) and fills it with warm-up + count
// messages of 128 B before anything is timed (core publishes, 10,000 at a time, each chunk waited
// for until stored: nats-server drops core publishes beyond a stream's ingest queue), then adds a
// durable pull consumer (deliver all; explicit acks or ack_policy none; the server's defaults
// otherwise, so max_ack_pending 1,000) and consumes every message. The timed part runs from the
// warm-up's last message to the last message (for explicit acks: to the flush after its ack).
// Afterwards the run checks the payload bytes, and (consumer info) that the consumer delivered
// everything and, with acks, that its ack floor reached the last message.
import { performance } from "node:perf_hooks";
import type { BenchConn, CaseSpec } from "./adapter.js";
import type { BenchAckPolicy, BenchConsumer, BenchConsumers, BenchJsMsg } from "./adapter_js.js";
import { withStream, type Measured, type RunContext } from "./cases.js";

/** A consumer (or watcher) that gets nothing new for this long has stalled: the run fails. */
export const CONSUME_STALL_MS = 5_000;
const FILL_CHUNK = 10_000;
const FILL_TIMEOUT_MS = 20_000;
const CHECK_TIMEOUT_MS = 5_000;
const CONSUMER = "bench";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Timed messages per case: about a second or less for the fastest client (a run timed 0.2-0.3 s
 * measured mostly how warm a JIT-compiled client was, and moved by +-10% from run to run: NOTES
 * §12). The stream holds a tenth more for the warm-up.
 */
const COUNTS: Record<string, number> = {
  "js-consume-100-ack-mem": 100_000,
  "js-consume-1000-ack-mem": 200_000,
  "js-consume-100-noack-mem": 200_000,
  "js-consume-1000-noack-mem": 400_000,
  "js-fetch-100-ack-mem": 100_000,
  "js-fetch-1000-ack-mem": 200_000,
  "js-ordered-100-mem": 200_000,
};

/** The consumer cases. `quick` divides the counts by 10. */
export function consumeCases(quick: boolean): CaseSpec[] {
  const div = quick ? 10 : 1;
  const size = 128;
  const cases: CaseSpec[] = [];
  const counted = (id: string): { count: number; n: string } => {
    const count = COUNTS[id]! / div;
    return { count, n: count.toLocaleString("en-US") };
  };
  for (const ack of ["explicit", "none"] as const) {
    for (const batch of [100, 1000]) {
      const id = `js-consume-${batch}-${ack === "explicit" ? "ack" : "noack"}-mem`;
      const { count, n } = counted(id);
      cases.push({
        id, kind: "jsconsume", size, count, storage: "memory", batch, ack,
        description: `consume() of ${n} stored messages of ${size} B, max_messages ${batch}, ` +
          `${ack === "explicit" ? "each acked (ack_policy explicit)" : "ack_policy none"} (memory storage)`,
      });
    }
  }
  for (const batch of [100, 1000]) {
    const id = `js-fetch-${batch}-ack-mem`;
    const { count, n } = counted(id);
    cases.push({
      id, kind: "jsfetch", size, count, storage: "memory", batch, ack: "explicit",
      description: `fetch() of ${batch} at a time, one after another, until ${n} stored messages of ${size} B are read, each acked (memory storage)`,
    });
  }
  const { count, n } = counted("js-ordered-100-mem");
  cases.push({
    id: "js-ordered-100-mem", kind: "jsordered", size, count, storage: "memory", batch: 100, ack: "none",
    description: `ordered consumer consume() of ${n} stored messages of ${size} B, max_messages 100 (memory storage)`,
  });
  return cases;
}

/**
 * Publishes `n` messages (core publishes to `subject(i)`) and waits until the stream holds `base + n`.
 * Chunks of 10,000, each waited for, keep within nats-server's per-stream ingest queue.
 */
export async function fillStream(
  conn: BenchConn, stored: () => Promise<number>, subject: (i: number) => string, data: Uint8Array, n: number, base = 0,
): Promise<void> {
  for (let i = 0; i < n;) {
    const end = Math.min(n, i + FILL_CHUNK);
    for (; i < end; i++) conn.publish(subject(i), data);
    await conn.flush();
    const deadline = performance.now() + FILL_TIMEOUT_MS;
    for (;;) {
      const have = await stored();
      if (have >= base + i) break;
      if (performance.now() > deadline) throw new Error(`filling: the stream holds ${have} messages after ${base + i} were published`);
      await sleep(5);
    }
  }
}

/**
 * Resolves when `count()` reaches `target`; rejects when it does not move for CONSUME_STALL_MS
 * (calling `onStall` first) or when a connection closed.
 */
export function waitForCount(
  ctx: RunContext, count: () => number, target: number, reached: Promise<void>, onStall?: () => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let last = count();
    let lastAt = performance.now();
    const watch = setInterval(() => {
      const now = performance.now();
      const n = count();
      if (n !== last) {
        last = n;
        lastAt = now;
      }
      const closed = ctx.closedReason();
      if (now - lastAt > CONSUME_STALL_MS || closed !== undefined) {
        clearInterval(watch);
        onStall?.();
        reject(new Error(`${closed ?? `stalled for ${CONSUME_STALL_MS} ms`} after ${n} of ${target} messages`));
      }
    }, 50);
    void reached.then(() => {
      clearInterval(watch);
      resolve();
    });
  });
}

/** Polls consumer info until the consumer delivered (and, with acks, saw acked) all `total` messages. */
async function checkConsumer(cs: BenchConsumers, stream: string, total: number, ack: BenchAckPolicy): Promise<void> {
  const deadline = performance.now() + CHECK_TIMEOUT_MS;
  for (;;) {
    const s = await cs.state(stream, CONSUMER);
    const done = s.delivered === total && s.pending === 0 && (ack === "none" || s.ackFloor === total);
    if (done) return;
    if (performance.now() > deadline) {
      throw new Error(`consumer: delivered ${s.delivered}, ack floor ${s.ackFloor}, pending ${s.pending}; expected ${total} delivered` +
        (ack === "explicit" ? " and acked" : ""));
    }
    await sleep(20);
  }
}

/** Stream, filled; then the consumer (durable, or ordered when `ordered`). */
async function prepare(
  ctx: RunContext, conn: BenchConn, stored: () => Promise<number>, stream: string, total: number, ordered: boolean,
): Promise<{ cs: BenchConsumers; consumer: BenchConsumer; ack: BenchAckPolicy }> {
  await fillStream(conn, stored, () => ctx.subject, ctx.data, total);
  const cs = await conn.consumers();
  const ack: BenchAckPolicy = ordered ? "none" : ctx.spec.ack ?? "explicit";
  if (ordered) return { cs, consumer: await cs.ordered(stream), ack };
  await cs.add(stream, CONSUMER, ack);
  return { cs, consumer: await cs.get(stream, CONSUMER), ack };
}

/** consume() with a callback; `ordered`: the client's ordered consumer instead of a durable one. */
async function runConsume(ctx: RunContext, ordered: boolean): Promise<Measured> {
  return withStream(ctx, false, async (js, conn, stream) => {
    const total = ctx.warm + ctx.spec.count;
    const { cs, consumer, ack } = await prepare(ctx, conn, () => js.streamMessages(stream), stream, total, ordered);
    const doAck = ack === "explicit";
    let n = 0;
    let bytes = 0;
    let onDone!: () => void;
    const reached = new Promise<void>((resolve) => { onDone = resolve; });
    const onMsg = (m: BenchJsMsg) => {
      bytes += m.data.length;
      if (doAck) m.ack();
      if (++n === ctx.warm) ctx.start();
      else if (n === total) onDone();
    };
    const sub = await consumer.consume(ctx.spec.batch ?? 100, onMsg);
    let elapsedMs: number;
    try {
      await waitForCount(ctx, () => n, total, reached);
      if (doAck) await conn.flush();
      elapsedMs = ctx.stop();
    } finally {
      await sub.stop();
    }
    if (bytes !== n * ctx.spec.size) throw new Error(`got ${bytes} payload bytes in ${n} messages of ${ctx.spec.size} B`);
    if (!ordered) await checkConsumer(cs, stream, total, ack);
    return { m: { done: ctx.spec.count, elapsedMs }, expected: total };
  });
}

/** fetch() of `batch`, one after another, each message acked, until the stream is read. */
async function runFetch(ctx: RunContext): Promise<Measured> {
  return withStream(ctx, false, async (js, conn, stream) => {
    const total = ctx.warm + ctx.spec.count;
    const batch = ctx.spec.batch ?? 100;
    const { cs, consumer, ack } = await prepare(ctx, conn, () => js.streamMessages(stream), stream, total, false);
    const doAck = ack === "explicit";
    let n = 0;
    let bytes = 0;
    while (n < total) {
      const before = n;
      for await (const m of await consumer.fetch(Math.min(batch, total - n))) {
        bytes += m.data.length;
        if (doAck) m.ack();
        if (++n === ctx.warm) ctx.start();
      }
      if (n === before) throw new Error(`a fetch of ${batch} ended without messages after ${n} of ${total}`);
      if (ctx.closedReason() !== undefined) throw new Error(`${ctx.closedReason()} after ${n} of ${total} messages`);
    }
    if (doAck) await conn.flush();
    const elapsedMs = ctx.stop();
    if (bytes !== n * ctx.spec.size) throw new Error(`got ${bytes} payload bytes in ${n} messages of ${ctx.spec.size} B`);
    await checkConsumer(cs, stream, total, ack);
    return { m: { done: ctx.spec.count, elapsedMs }, expected: total };
  });
}

export const consumeBodies = {
  jsconsume: (ctx: RunContext) => runConsume(ctx, false),
  jsfetch: runFetch,
  jsordered: (ctx: RunContext) => runConsume(ctx, true),
} satisfies Partial<Record<CaseSpec["kind"], (ctx: RunContext) => Promise<Measured>>>;
