// The dispatcher's choice between running callbacks inline (in the parser's loop) and queueing
// them: driven here by busy-waiting, as callbacks and garbage collections take wall time.
// A pause among thousands of quick callbacks (a scavenge) does not make a subscriber queue; slow
// callbacks (1 ms each) queue after the 10 ms slice; quick ones queue past the 50 ms slice.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { Dispatcher } from "../../src/connection/dispatcher.js";

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
