// The dispatcher's choice between running callbacks inline (in the parser's loop) and queueing
// them: driven here by busy-waiting, as callbacks and garbage collections take wall time.
// A pause among thousands of quick callbacks (a scavenge) does not make a subscriber queue; slow
// callbacks (1 ms each) queue after the 10 ms slice; quick ones queue past the 50 ms slice.
// Against a real nats-server: a 12 ms pause in the middle of a read of thousands of small messages
// does not make the subscriber queue (and drop, over a pending limit of 1,000) the rest of the read.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { Dispatcher } from "../../src/connection/dispatcher.js";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { useServer } from "../support/fixtures.js";

const lib = pathToFileURL(join(resolve(import.meta.dirname, "../../src"), "index.js")).href;

function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/** Runs `n` inline callbacks that take `each` ms; stops early once the dispatcher went backlogged. */
function callbacks(d: Dispatcher, n: number, each = 0): number {
  for (let i = 1; i <= n; i++) {
    if (each > 0) busy(each);
    d.tick();
    if (d.backlogged) return i;
  }
  return n;
}

describe("Dispatcher: inline or queued", () => {
  it("a 12 ms pause among 2,000 quick callbacks keeps them inline", () => {
    const d = new Dispatcher();
    d.startSlice();
    callbacks(d, 2_000);
    busy(12);
    callbacks(d, 32);
    assert.equal(d.backlogged, false);
  });

  it("slow callbacks (1 ms each) go to the queue once they used the 10 ms slice", () => {
    const d = new Dispatcher();
    d.startSlice();
    const n = callbacks(d, 100, 1);
    assert.equal(d.backlogged, true);
    // the clock is read every 16 callbacks: the first reading past 10 ms
    assert.ok(n >= 16 && n <= 32, `backlogged after ${n} callbacks`);
  });

  it("quick callbacks go to the queue once a slice passed 50 ms", () => {
    const d = new Dispatcher();
    d.startSlice();
    callbacks(d, 2_000);
    busy(20);
    callbacks(d, 16);
    assert.equal(d.backlogged, false, "20 ms is not enough for 2,000 quick callbacks");
    busy(35);
    callbacks(d, 16);
    assert.equal(d.backlogged, true);
  });

  it("a new slice (the next chunk read) starts the count again", () => {
    const d = new Dispatcher();
    d.startSlice();
    callbacks(d, 16, 0.2);
    assert.equal(d.backlogged, false);
    d.startSlice();
    callbacks(d, 2_000);
    busy(12);
    callbacks(d, 16);
    assert.equal(d.backlogged, false);
  });
});

/** A publisher in another process: connects, says "ready", publishes `n` 16 B messages on "go". */
async function publisher(url: string, subject: string, n: number): Promise<ChildProcessWithoutNullStreams> {
  const code = `
    const { connect } = await import(${JSON.stringify(lib)});
    const nc = await connect({ servers: ${JSON.stringify(url)} });
    process.stdout.write("ready\\n");
    process.stdin.once("data", async () => {
      const data = new Uint8Array(16);
      for (let i = 0; i < ${n}; i++) nc.publish(${JSON.stringify(subject)}, data);
      await nc.flush();
      await nc.close();
      process.exit(0);
    });
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: "pipe" });
  let out = "";
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) resolve();
    });
    child.once("exit", () => reject(new Error("the publisher process exited early")));
  });
  return child;
}

describe("Dispatcher against a real server: a pause among quick callbacks", () => {
  const srv = useServer();

  it("a 12 ms pause deep in a read of 16 B messages: nothing queued, nothing dropped", async () => {
    const sub = await srv.connect();
    const N = 20_000;
    let received = 0;
    let maxPending = 0;
    let finished!: () => void;
    const all = new Promise<void>((r) => (finished = r));
    // a pending limit well under what one read brings: queueing the rest of a read would drop
    const s = sub.subscribe("disp.pause", {
      pending: { msgs: 1_000, bytes: -1 },
      callback: (err) => {
        if (err) return;
        received++;
        // reads are 64 KiB (~1,700 of these messages) while callbacks hold views of them:
        // message 3,000 is ~1,300 callbacks into its read
        if (received === 3_000) busy(12);
        maxPending = Math.max(maxPending, s.getPending());
        if (received === N) finished();
      },
    });
    await sub.flush();
    const child = await publisher(srv.url, "disp.pause", N);
    const exited = once(child, "exit");
    child.stdin.write("go\n");
    // this process reads nothing meanwhile: the messages wait in the socket and the server, and
    // come in full reads
    busy(700);
    // every message, or whatever came before a second without progress
    for (let last = -1; received !== last && received < N; ) {
      last = received;
      await Promise.race([all, new Promise((r) => setTimeout(r, 1_000))]);
    }
    await exited;
    assert.equal(received, N);
    assert.equal(s.getDropped(), 0);
    assert.equal(maxPending, 0);
  });
});
