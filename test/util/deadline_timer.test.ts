// Unit tests of the single timer behind request deadlines: armed at the earliest deadline it was
// told of, never moved later, re-armed with what the owner says is next. No server needed; the
// checks are about order and about nothing firing before its deadline, never about how soon.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { DeadlineTimer } from "../../src/util/deadline_timer.js";

/** Records with deadlines, expired by a DeadlineTimer; `fired` lists them in the order they expired. */
function harness() {
  const due = new Map<string, number>();
  const fired: { name: string; late: number }[] = [];
  let calls = 0;
  let done: () => void = () => undefined;
  const timer = new DeadlineTimer((now) => {
    calls++;
    let next = Infinity;
    for (const [name, at] of due) {
      if (at <= now) {
        due.delete(name);
        fired.push({ name, late: now - at });
      } else if (at < next) next = at;
    }
    if (due.size === 0) done();
    return next;
  });
  const add = (name: string, inMs: number) => {
    const at = Math.ceil(performance.now() + inMs);
    due.set(name, at);
    timer.add(at);
  };
  const allFired = new Promise<void>((r) => (done = r));
  return { timer, due, fired, add, allFired, calls: () => calls };
}

describe("DeadlineTimer", () => {
  it("expires records in deadline order, whatever order they were added in, and none early", async () => {
    const h = harness();
    h.add("c", 60);
    h.add("a", 10); // earlier than the armed one: re-arms
    h.add("d", 80);
    h.add("b", 30); // between: the timer stays at a's deadline
    await h.allFired;
    assert.deepEqual(h.fired.map((f) => f.name), ["a", "b", "c", "d"]);
    for (const f of h.fired) assert.ok(f.late >= 0, `${f.name} expired before its deadline`);
  });

  it("fires for a record settled meanwhile, finds nothing due and re-arms for the next", async () => {
    const h = harness();
    h.add("gone", 5);
    h.add("kept", 40);
    h.due.delete("gone"); // settled early: the timer is not told
    await h.allFired;
    assert.deepEqual(h.fired.map((f) => f.name), ["kept"]);
    assert.ok(h.calls() >= 2, "one firing for the settled record's deadline, one for the kept record");
  });

  it("is not armed for a deadline of Infinity, and stop() disarms it", async () => {
    let calls = 0;
    const t = new DeadlineTimer(() => {
      calls++;
      return Infinity;
    });
    t.add(Infinity);
    t.add(Math.ceil(performance.now() + 5));
    t.stop();
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(calls, 0);
    // armed again after stop()
    t.add(Math.ceil(performance.now() + 1));
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(calls, 1);
  });
});
