// Unit tests of CallWait, the deadline and signal of one call made of several steps: a call that
// has only a timeout makes no AbortController until someone reads its signal, and still rejects
// at its deadline; the caller's abort reaches the race, the steps and the combined signal. No
// server needed (the JetStream, KV and Object Store suites use it against real servers); the
// checks are about what settles and with what, never about how soon.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { CallWait, withCallWait } from "../../src/util/abort.js";
import { TimeoutError } from "../../src/util/errors.js";

const never = <T>(): Promise<T> => new Promise<T>(() => undefined);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("CallWait", () => {
  it("without timeout or signal: passes the promise through, steps carry nothing", async () => {
    const w = new CallWait(undefined, "call");
    assert.equal(w.signal, undefined);
    assert.deepEqual(w.step(), {});
    assert.equal(w.remaining(), undefined);
    assert.equal(await w.race(Promise.resolve(7)), 7);
    w.done();
  });

  it("with a timeout only: the race rejects at the deadline with the call's TimeoutError", async () => {
    const w = new CallWait({ timeout: 30 }, "commit of atomic batch X");
    const step = w.step();
    assert.ok(step.timeout! >= 1 && step.timeout! <= 30);
    assert.equal(step.signal, undefined, "a step times out by itself: no signal without the caller's");
    const t0 = performance.now();
    await assert.rejects(w.race(never()), (err: unknown) => {
      assert.ok(err instanceof TimeoutError);
      assert.equal((err as Error).message, "commit of atomic batch X timed out after 30 ms");
      return true;
    });
    assert.ok(performance.now() - t0 >= 29, "not before the deadline");
    // after the deadline: steps throw the same error, a new race rejects at once, and the signal
    // (made now) is already aborted with it
    assert.throws(() => w.step(), TimeoutError);
    await assert.rejects(w.race(Promise.resolve(1)), TimeoutError);
    const s = w.signal!;
    assert.ok(s.aborted);
    assert.ok(s.reason instanceof TimeoutError);
    w.done();
  });

  it("the signal read before the deadline aborts at it, with the race's error", async () => {
    const w = new CallWait({ timeout: 20 }, "call");
    const s = w.signal!;
    assert.equal(s.aborted, false);
    assert.equal(w.step().signal, s, "once made, steps carry the combined signal");
    let raced: unknown;
    await w.race(never()).catch((e: unknown) => (raced = e));
    assert.ok(s.aborted);
    assert.equal(s.reason, raced);
    w.done();
  });

  it("every pending race rejects at the deadline; settled ones are let go", async () => {
    const w = new CallWait({ timeout: 20 }, "call");
    assert.equal(await w.race(sleep(1).then(() => "quick")), "quick");
    const a = w.race(never());
    const b = w.race(never());
    await assert.rejects(a, TimeoutError);
    await assert.rejects(b, TimeoutError);
    w.done();
  });

  it("a result before the deadline wins, and done() stops the timer", async () => {
    const w = new CallWait({ timeout: 10_000 }, "call");
    assert.equal(await w.race(sleep(5).then(() => "ok")), "ok");
    w.done(); // the test would keep the process for 10 s if the timer were left running
    assert.equal(await w.race(Promise.resolve("again")), "again");
  });

  it("a rejection before the deadline is the race's own", async () => {
    const w = new CallWait({ timeout: 10_000 }, "call");
    const boom = new Error("boom");
    await assert.rejects(w.race(Promise.reject(boom)), (e: unknown) => e === boom);
    w.done();
  });

  it("the caller's abort rejects the race, and steps carry the caller's signal", async () => {
    const ac = new AbortController();
    const w = new CallWait({ timeout: 10_000, signal: ac.signal }, "call");
    assert.equal(w.step().signal, ac.signal);
    const r = w.race(never());
    ac.abort(new Error("stop"));
    await assert.rejects(r, /stop/);
    assert.throws(() => w.step(), /stop/);
    assert.ok(w.signal!.aborted, "the combined signal made after the abort is aborted");
    w.done();
  });

  it("the caller's abort reaches a combined signal made before it", async () => {
    const ac = new AbortController();
    const w = new CallWait({ timeout: 10_000, signal: ac.signal }, "call");
    const s = w.signal!;
    assert.notEqual(s, ac.signal);
    ac.abort(new Error("stop"));
    assert.ok(s.aborted);
    assert.match(String((s.reason as Error).message), /stop/);
    w.done();
  });

  it("a signal that already aborted throws before anything happens", () => {
    const ac = new AbortController();
    ac.abort(new Error("early"));
    assert.throws(() => new CallWait({ timeout: 1_000, signal: ac.signal }, "call"), /early/);
  });

  it("withCallWait: times out the whole call, with the call's name", async () => {
    await assert.rejects(withCallWait({ timeout: 15 }, "status", () => never()), /status timed out after 15 ms/);
    assert.equal(await withCallWait({ timeout: 1_000 }, "status", async (w) => w.step().timeout! > 0), true);
  });
});
