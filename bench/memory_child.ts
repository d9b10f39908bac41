// The two child processes of the slow-consumer memory case (memory.ts), talking to it over IPC:
//
//   memory_child.js sub <client> <url> <subject> <pendingMsgs> <pendingBytes>
//     A subscriber whose callback busy-waits 1 ms per message (it blocks the event loop, so it
//     lives in its own process, where the parent can watch its RSS from outside).
//   memory_child.js pub <url> <subject> <size>
//     A raw-socket publisher (the same for every client under test) writing pre-built PUB frames
//     as fast as the server takes them (respecting write() backpressure).
// Both send {type: "ready"}, wait for {type: "go", ms}, work for `ms`, send {type: "result"}
// (the subscriber then stops its busy work), and close and exit on {type: "bye"}.
import { performance } from "node:perf_hooks";
import type { BenchConn, BenchSub, SubCounters } from "./adapter.js";
import { JS_CLIENTS } from "./clients.js";
import { collectGarbage } from "./gc.js";
import { RawConn, pubFrames } from "./raw.js";
import { describe, withTimeout } from "./util.js";

export interface SubReady { type: "ready"; client: string; version: string; pendingLimits: boolean }
export interface SubResult extends SubCounters {
  type: "result";
  /** Here `processed` counts the callbacks that finished their 1 ms of work in the window
   * (the snapshot is taken inside one, which the client has not counted yet); this is the
   * client's own counter. */
  clientProcessed: number;
  /** process.memoryUsage() at the end of the window, MB: where the RSS went. */
  memory: { heapUsedMB: number; heapTotalMB: number; arrayBuffersMB: number; arrayBuffersAfterGcMB: number };
  subErrors: number;
  firstSubError?: string;
  connClosed?: string;
  error?: string;
}
/** `published`: frames handed to the socket; the last few MB may still be in socket buffers. */
export interface PubResult { type: "result"; published: number; elapsedMs: number; error?: string }

const BUSY_MS = 1;

/** Resolves to `ms` on {type: "go"}; `onBye` runs on {type: "bye"} (or when the parent goes away). */
function control(onBye: () => void): Promise<number> {
  process.on("disconnect", onBye);
  return new Promise((resolve) => {
    process.on("message", (m: { type?: string; ms?: number }) => {
      if (m.type === "go") resolve(m.ms ?? 0);
      else if (m.type === "bye") onBye();
    });
  });
}

function send(msg: object): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

async function runSub(clientName: string, url: string, subject: string, msgs: number, bytes: number): Promise<void> {
  const load = JS_CLIENTS[clientName];
  if (!load) throw new Error(`unknown client ${clientName}`);
  const mod = (await load()).client;
  const conn: BenchConn = await mod.connector.connect(url, `bench-memory-${clientName}`);
  let connClosed: string | undefined;
  let finished = false;
  void conn.closed().then((err) => {
    if (!finished) connClosed = `connection closed${err ? `: ${describe(err)}` : ""}`;
  }, () => undefined);

  let endAt = Infinity;
  let busyDone = 0;
  let sink = 0;
  /**
   * The slow consumer: blocking CPU work until `until`. The clock is read once per 1,000 steps of
   * arithmetic: performance.now() allocates (process.hrtime's array), and reading it in a tight
   * loop made ~400 MB/s of garbage, which grew V8's young generation to its 2 × 16 MB maximum and
   * was most of the RSS growth measured, whatever the client.
   */
  const busyWork = (until: number): void => {
    let x = sink;
    do {
      for (let k = 0; k < 1000; k++) x = (x * 31 + k) | 0;
    } while (performance.now() < until);
    sink = x;
  };
  let subErrors = 0;
  let firstSubError: string | undefined;
  const sub: BenchSub = conn.subscribe(subject, () => {
    if (finished) return;
    const until = performance.now() + BUSY_MS;
    busyWork(until);
    busyDone++;
    if (until >= endAt) void finish();
  }, {
    pending: { msgs, bytes },
    onError: (err) => { subErrors++; firstSubError ??= describe(err); },
  });
  await conn.flush();

  const bye = async () => {
    finished = true;
    await withTimeout(conn.close(), 5_000, "close").catch(() => undefined);
    process.exit(0);
  };
  // Counters as of the end of the window; then the busy work stops, so the backlog drains fast.
  const finish = async () => {
    if (finished) return;
    finished = true;
    clearInterval(watch);
    const c = sub.counters();
    const mu = process.memoryUsage();
    const mb = (n: number) => Math.round(n / 1e5) / 10;
    collectGarbage(); // what is still referenced (by the pending queue) rather than not yet collected
    const memory = {
      heapUsedMB: mb(mu.heapUsed), heapTotalMB: mb(mu.heapTotal), arrayBuffersMB: mb(mu.arrayBuffers),
      arrayBuffersAfterGcMB: mb(process.memoryUsage().arrayBuffers),
    };
    const result: SubResult = { type: "result", ...c, processed: busyDone, clientProcessed: c.processed, memory, subErrors };
    if (firstSubError) result.firstSubError = firstSubError;
    if (connClosed) result.connClosed = connClosed;
    await send(result);
  };
  // When no message arrives (e.g. the server cut the connection), a timer ends the window.
  const watch = setInterval(() => { if (performance.now() >= endAt) void finish(); }, 50);
  const go = control(() => void bye());
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await send({ type: "ready", client: mod.name, version: mod.version, pendingLimits: mod.pendingLimits } satisfies SubReady);
  const ms = await go;
  endAt = performance.now() + ms;
}

async function runPub(url: string, subject: string, size: number): Promise<void> {
  const c = await RawConn.open(url, "bench-memory-publisher");
  const f = pubFrames(subject, size);
  const go = control(() => { c.close(); process.exit(0); });
  await send({ type: "ready" });
  const ms = await go;
  const t0 = performance.now();
  let published = 0;
  let error: string | undefined;
  try {
    while (performance.now() - t0 < ms) {
      await c.writeFrames(f.batch, f.frameLen, f.perBatch, f.perBatch);
      published += f.perBatch;
    }
  } catch (err) {
    error = describe(err);
  }
  const result: PubResult = { type: "result", published, elapsedMs: performance.now() - t0 };
  if (error) result.error = error;
  await send(result);
}

const [role, ...args] = process.argv.slice(2);
const main = role === "sub"
  ? runSub(args[0], args[1], args[2], Number(args[3]), Number(args[4]))
  : role === "pub"
    ? runPub(args[0], args[1], Number(args[2]))
    : Promise.reject(new Error(`usage: memory_child.js sub|pub ...`));
main.catch(async (err: unknown) => {
  await send({ type: "result", error: describe(err) });
  process.exit(1);
});
