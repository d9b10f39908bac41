// publish(..., { flush: true }) hands the frame to the socket at once, not at the end of the turn:
// a subscriber in another process gets it while this process is still busy in a synchronous loop.
// Without the option the frame waits for the loop to end; with flush: false it waits for a later turn
// of the event loop, unless an ordinary frame written after it takes it along. (Ordering of events across processes,
// compared on one clock; no duration is asserted.)
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { once } from "node:events";
import { pathToFileURL } from "node:url";
import { join, resolve } from "node:path";
import { useServer } from "../support/fixtures.js";
import type { NatsConnection } from "../../src/index.js";

const lib = pathToFileURL(join(resolve(import.meta.dirname, "../../src"), "index.js")).href;

/** A subscriber in a child process: prints "ready", then `<Date.now()>` for every message. */
async function subscriber(url: string, subject: string): Promise<{ child: ChildProcessWithoutNullStreams; times: number[] }> {
  const code = `
    const { connect } = await import(${JSON.stringify(lib)});
    const nc = await connect({ servers: ${JSON.stringify(url)} });
    nc.subscribe(${JSON.stringify(subject)}, { callback: () => process.stdout.write(Date.now() + "\\n") });
    await nc.flush();
    process.stdout.write("ready\\n");
    process.stdin.on("end", () => nc.close().then(() => process.exit(0)));
    process.stdin.resume();
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: "pipe" });
  const times: number[] = [];
  let buf = "";
  let ready!: () => void;
  const isReady = new Promise<void>((r) => (ready = r));
  child.stdout.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line === "ready") ready();
      else times.push(Number(line));
    }
  });
  await Promise.race([isReady, once(child, "exit").then(() => assert.fail("the subscriber process exited"))]);
  return { child, times };
}

/** Keeps this process busy (no event loop turns) for `ms`; returns when it stopped being busy. */
function busy(ms: number): number {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // spin
  }
  return Date.now();
}

describe("publish's flush option", () => {
  const srv = useServer();
  let nc: NatsConnection;
  let sub: { child: ChildProcessWithoutNullStreams; times: number[] };
  before(async () => {
    nc = await srv.connect();
    sub = await subscriber(srv.url, "flush.test");
  });
  after(async () => {
    sub.child.stdin.end();
    await once(sub.child, "exit");
  });

  async function arrival(count = 1): Promise<number> {
    for (let i = 0; i < 100 && sub.times.length < count; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sub.times.length, count, `the subscriber got ${count} message(s)`);
    const last = sub.times[count - 1];
    sub.times.length = 0;
    return last;
  }

  it("the frame leaves at once: the other process has it before this one stops being busy", async () => {
    nc.publish("flush.test", "now", { flush: true });
    const idleAgain = busy(1_500);
    assert.ok((await arrival()) < idleAgain, "received while the publisher was still busy");
  });

  it("without it the frame waits for the end of the turn", async () => {
    nc.publish("flush.test", "later");
    const idleAgain = busy(1_500);
    assert.ok((await arrival()) >= idleAgain, "received only once the publisher's loop went on");
  });

  it("flush: false waits for a later turn, and still goes out with nothing else written", async () => {
    nc.publish("flush.test", "no hurry", { flush: false });
    // a task queued after the publish: an ordinary frame would have left before it (on a microtask)
    const idleAgain = await new Promise<number>((r) => queueMicrotask(() => r(busy(1_500))));
    assert.ok((await arrival()) >= idleAgain, "the unhurried frame waited for the next turn");
  });

  it("flush: false does not hold back an ordinary frame published after it in the same task", async () => {
    nc.publish("flush.test", "no hurry", { flush: false });
    nc.publish("flush.test", "ordinary");
    const idleAgain = await new Promise<number>((r) => queueMicrotask(() => r(busy(1_500))));
    assert.ok((await arrival(2)) < idleAgain, "both left at the end of the task, before the busy one ran");
  });

  it("rejects a flush option that is not a boolean, sending nothing", () => {
    const before = nc.stats().outMsgs;
    assert.throws(() => nc.publish("flush.test", "x", { flush: "yes" as unknown as boolean }), /flush must be/);
    assert.equal(nc.stats().outMsgs, before, "nothing was sent");
  });
});
