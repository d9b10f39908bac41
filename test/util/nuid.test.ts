// Unit tests of the NUID generator. No server needed.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { nuid, Nuid, createInbox } from "../../src/index.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const NUID_RE = /^[0-9A-Za-z]{22}$/;

/** Private state, reached through a cast to force a rollover. */
interface NuidInternals {
  seqHi: number;
  seqLo: number;
  inc: number;
}
const HALF = 62 ** 5;

/** The 10-char sequence part as a BigInt. */
function seqOf(id: string): bigint {
  let v = 0n;
  for (const c of id.slice(12)) v = v * 62n + BigInt(ALPHABET.indexOf(c));
  return v;
}

describe("NUID", () => {
  it("is 22 characters of the base-62 alphabet", () => {
    for (let i = 0; i < 10_000; i++) {
      const id = nuid.next();
      assert.match(id, NUID_RE);
    }
  });

  it("100k ids are unique", () => {
    const n = new Nuid();
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(n.next());
    assert.equal(seen.size, 100_000);
  });

  it("ids share a prefix and the sequence grows by 33..332", () => {
    const n = new Nuid();
    let prev = n.next();
    for (let i = 0; i < 1000; i++) {
      const id = n.next();
      assert.equal(id.slice(0, 12), prev.slice(0, 12));
      const step = seqOf(id) - seqOf(prev);
      assert.ok(step >= 33n && step < 333n, `step ${step}`);
      prev = id;
    }
  });

  it("two generators have different prefixes", () => {
    assert.notEqual(new Nuid().next().slice(0, 12), new Nuid().next().slice(0, 12));
  });

  it("reset changes the prefix", () => {
    const n = new Nuid();
    const before = n.next();
    n.reset();
    const after = n.next();
    assert.match(after, NUID_RE);
    assert.notEqual(after.slice(0, 12), before.slice(0, 12));
  });

  it("the low half carries into the high half", () => {
    const n = new Nuid();
    const st = n as unknown as NuidInternals;
    const prefix = n.next().slice(0, 12);
    st.seqHi = 5;
    st.seqLo = HALF - 1;
    const id = n.next();
    assert.match(id, NUID_RE);
    assert.equal(id.slice(0, 12), prefix);
    assert.equal(seqOf(id), 6n * BigInt(HALF) + BigInt(st.inc - 1));
  });

  it("sequence rollover gives a new prefix and still valid, unique ids", () => {
    const n = new Nuid();
    const st = n as unknown as NuidInternals;
    const first = n.next();
    st.seqHi = HALF - 1;
    st.seqLo = HALF - 1 - st.inc;
    const last = n.next(); // the largest sequence before the end
    assert.match(last, NUID_RE);
    assert.equal(last.slice(0, 12), first.slice(0, 12));
    assert.equal(last.slice(12), "zzzzzzzzzz");
    const seen = new Set<string>([first, last]);
    const rolled = n.next();
    assert.match(rolled, NUID_RE);
    assert.notEqual(rolled.slice(0, 12), first.slice(0, 12));
    for (let i = 0; i < 1000; i++) seen.add(n.next());
    seen.add(rolled);
    assert.equal(seen.size, 1003);
    for (const id of seen) assert.match(id, NUID_RE);
  });

  it("createInbox uses the prefix and a NUID", () => {
    assert.match(createInbox(), /^_INBOX\.[0-9A-Za-z]{22}$/);
    assert.match(createInbox("my.app"), /^my\.app\.[0-9A-Za-z]{22}$/);
    assert.notEqual(createInbox(), createInbox());
  });
});
