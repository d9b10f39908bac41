// Unit tests of the ring queue used for hot FIFO paths. No server needed.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { RingQueue } from "../../src/util/queue.js";

describe("RingQueue", () => {
  it("is empty at first", () => {
    const q = new RingQueue<number>();
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
    assert.equal(q.peek(), undefined);
  });

  it("is FIFO across growth", () => {
    const q = new RingQueue<number>(2);
    for (let i = 0; i < 1000; i++) q.push(i);
    assert.equal(q.length, 1000);
    assert.equal(q.peek(), 0);
    for (let i = 0; i < 1000; i++) assert.equal(q.shift(), i);
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
  });

  it("is FIFO across wraparound and growth while wrapped", () => {
    const q = new RingQueue<number>(4);
    let next = 0;
    let expect = 0;
    // interleave pushes and shifts so the head walks around the ring many times, growing at odd moments
    for (let round = 0; round < 200; round++) {
      const pushes = 1 + ((round * 7) % 11);
      const shifts = 1 + ((round * 5) % 9);
      for (let i = 0; i < pushes; i++) q.push(next++);
      for (let i = 0; i < shifts && q.length > 0; i++) {
        assert.equal(q.peek(), expect);
        assert.equal(q.shift(), expect++);
      }
      assert.equal(q.length, next - expect);
    }
    while (q.length) assert.equal(q.shift(), expect++);
    assert.equal(expect, next);
  });

  it("grows exactly when full with the head in the middle", () => {
    const q = new RingQueue<string>(4);
    q.push("a");
    q.push("b");
    q.push("c");
    assert.equal(q.shift(), "a");
    assert.equal(q.shift(), "b");
    q.push("d");
    q.push("e");
    q.push("f"); // wraps: ring is full now (c d e f)
    q.push("g"); // grows while wrapped
    q.push("h");
    assert.deepEqual([...q.drainAll()], ["c", "d", "e", "f", "g", "h"]);
    assert.equal(q.length, 0);
  });

  it("keeps undefined-free falsy values and objects in order", () => {
    const q = new RingQueue<unknown>();
    const o = {};
    const items = [0, "", false, null, o, NaN];
    for (const it of items) q.push(it);
    assert.equal(q.length, items.length);
    const out = [...q.drainAll()];
    assert.equal(out.length, items.length);
    for (let i = 0; i < items.length; i++) assert.ok(Object.is(out[i], items[i]), `item ${i}`);
  });

  it("clear empties the queue and it stays usable", () => {
    const q = new RingQueue<number>(4);
    for (let i = 0; i < 50; i++) q.push(i);
    q.shift();
    q.clear();
    assert.equal(q.length, 0);
    assert.equal(q.shift(), undefined);
    for (let i = 0; i < 40; i++) q.push(i);
    for (let i = 0; i < 40; i++) assert.equal(q.shift(), i);
  });

  it("drainAll stops early without losing items", () => {
    const q = new RingQueue<number>();
    for (let i = 0; i < 10; i++) q.push(i);
    const got: number[] = [];
    for (const v of q.drainAll()) {
      got.push(v);
      if (v === 3) break;
    }
    assert.deepEqual(got, [0, 1, 2, 3]);
    assert.equal(q.length, 6);
    assert.equal(q.shift(), 4);
  });

  it("a non-power-of-two capacity still works", () => {
    const q = new RingQueue<number>(5);
    for (let r = 0; r < 20; r++) {
      for (let i = 0; i < 5; i++) q.push(r * 5 + i);
      for (let i = 0; i < 5; i++) assert.equal(q.shift(), r * 5 + i);
    }
  });
});
