// Unit tests of the token table behind async-publish acks: records keyed by increasing tokens,
// removed mostly in order, with stragglers that outlive their ring slot. No server needed.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { TokenTable } from "../../src/util/token_table.js";

interface Rec {
  token: number;
  name: string;
}

const rec = (token: number): Rec => ({ token, name: `r${token}` });

describe("TokenTable", () => {
  it("finds, takes and counts records", () => {
    const t = new TokenTable<Rec>(4);
    for (let i = 0; i < 5; i++) t.set(rec(i));
    assert.equal(t.size, 5);
    assert.equal(t.get(3)?.name, "r3");
    assert.equal(t.take(3)?.name, "r3");
    assert.equal(t.take(3), undefined, "taken once");
    assert.equal(t.get(3), undefined);
    assert.equal(t.get(99), undefined, "never added");
    assert.equal(t.take(-1), undefined);
    assert.equal(t.size, 4);
    assert.deepEqual(t.values().map((r) => r.token).sort((a, b) => a - b), [0, 1, 2, 4]);
  });

  it("keeps a straggler whose slot came round again, and a token of the same slot is not mistaken for it", () => {
    const t = new TokenTable<Rec>(1); // the smallest ring: 64 slots
    t.set(rec(0)); // never acknowledged in time
    for (let i = 1; i < 64 * 5; i++) {
      t.set(rec(i));
      assert.equal(t.take(i)?.token, i);
    }
    assert.equal(t.size, 1);
    assert.equal(t.get(64), undefined, "same slot as 0, long gone");
    assert.equal(t.get(0)?.name, "r0");
    assert.deepEqual(t.values().map((r) => r.token), [0]);
    assert.equal(t.take(0)?.name, "r0");
    assert.equal(t.size, 0);
    assert.deepEqual(t.values(), []);
  });

  it("holds many more records than it expected, then lets them go in any order", () => {
    const t = new TokenTable<Rec>(8);
    const n = 5_000;
    for (let i = 0; i < n; i++) t.set(rec(i));
    assert.equal(t.size, n);
    assert.equal(t.values().length, n);
    // odd tokens first, then even ones backwards
    for (let i = 1; i < n; i += 2) assert.equal(t.take(i)?.token, i);
    for (let i = n - 2; i >= 0; i -= 2) assert.equal(t.take(i)?.token, i);
    assert.equal(t.size, 0);
    assert.deepEqual(t.values(), []);
  });

  it("grows from a small ring as records pile up, and finds every one after each doubling", () => {
    const t = new TokenTable<Rec>(3_000);
    for (let i = 0; i < 3_000; i++) {
      t.set(rec(i));
      if ((i & (i + 1)) === 0) for (let j = 0; j <= i; j++) assert.equal(t.get(j)?.token, j, `token ${j} after ${i + 1} records`);
    }
    assert.equal(t.size, 3_000);
    for (let i = 2_999; i >= 0; i -= 3) assert.equal(t.take(i)?.token, i);
    assert.equal(t.size, 2_000);
    assert.equal(t.values().length, 2_000);
  });

  it("matches a Map under random churn", () => {
    const t = new TokenTable<Rec>(200);
    const m = new Map<number, Rec>();
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let next = 0;
    for (let step = 0; step < 20_000; step++) {
      if (rnd(3) < 2 || m.size === 0) {
        const r = rec(next++);
        t.set(r);
        m.set(r.token, r);
      } else {
        // mostly among the oldest few, sometimes any token ever issued (late or forged acks)
        const keys = [...m.keys()];
        const token = rnd(10) === 0 ? rnd(next + 5) : keys[rnd(Math.min(keys.length, 4))]!;
        assert.equal(t.take(token), m.get(token));
        m.delete(token);
      }
      assert.equal(t.size, m.size);
    }
    assert.deepEqual(t.values().map((r) => r.token).sort((a, b) => a - b), [...m.keys()].sort((a, b) => a - b));
    t.clear();
    assert.equal(t.size, 0);
    assert.equal(t.get(next - 1), undefined);
  });
});
