// Subscription lifecycle against a real nats-server: auto-unsubscribe (max / unsubscribe(n)),
// unsubscribe(), counters, and how subscriptions end.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { useServer } from "../support/fixtures.js";
import { settlesWithin, untilWithin } from "../support/helpers.js";
import { connect, createInbox, NatsError, TimeoutError, type Msg, type NatsConnection, type Subscription } from "../../src/index.js";

const until = untilWithin(5_000);

describe("subscriptions", () => {
  const srv = useServer();
  let nc: NatsConnection;
  let pub: NatsConnection;

  before(async () => {
    nc = await srv.connect();
    pub = await srv.connect();
  });

  /** Publishes `n` numbered messages from the other connection and waits until the server has them. */
  async function publish(subj: string, n: number, from = 0): Promise<void> {
    for (let i = from; i < from + n; i++) pub.publish(subj, String(i));
    await pub.flush();
  }

  /** A callback subscription on `subj` that counts its messages, once the first `n` published have arrived. */
  async function countingSub(subj: string, n: number, what = `${n} messages`): Promise<{ sub: Subscription; count: () => number }> {
    let count = 0;
    const sub = nc.subscribe(subj, { callback: () => count++ });
    await nc.flush();
    await publish(subj, n);
    await until(() => count === n, what);
    return { sub, count: () => count };
  }

  it("max: 5 on an iterator yields exactly 5 messages, then the iterator ends and closed resolves", async () => {
    const subj = createInbox("max");
    const sub = nc.subscribe(subj, { max: 5 });
    assert.equal(sub.getMax(), 5);
    await nc.flush();
    await publish(subj, 12);
    const seen: string[] = [];
    for await (const m of sub) seen.push(m.string()); // must end on its own
    assert.deepEqual(seen, ["0", "1", "2", "3", "4"]);
    assert.equal(await settlesWithin(sub.closed, 2_000), true);
    assert.equal(sub.isClosed(), true);
    assert.equal(sub.getReceived(), 5);
    assert.equal(sub.getProcessed(), 5);
    assert.equal(sub.getPending(), 0);
    // nothing more arrives later either
    await publish(subj, 3, 100);
    await nc.flush();
    assert.equal(sub.getReceived(), 5);
  });

  it("max: 5 on a callback subscription delivers exactly 5 and closes", async () => {
    const subj = createInbox("maxcb");
    const seen: string[] = [];
    const sub = nc.subscribe(subj, { max: 5, callback: (_e, m) => seen.push(m.string()) });
    await nc.flush();
    await publish(subj, 20);
    assert.equal(await settlesWithin(sub.closed, 5_000), true, "closed resolves");
    await nc.flush();
    assert.deepEqual(seen, ["0", "1", "2", "3", "4"]);
    assert.equal(sub.isClosed(), true);
    assert.equal(sub.getReceived(), 5);
    assert.equal(sub.getProcessed(), 5);
  });

  it("unsubscribe(10) after 3 received delivers 7 more, then closes (callback)", async () => {
    const subj = createInbox("unsubn");
    const seen: number[] = [];
    const sub = nc.subscribe(subj, { callback: (_e, m) => seen.push(Number(m.string())) });
    await nc.flush();
    await publish(subj, 3);
    await until(() => seen.length === 3, "3 messages");
    sub.unsubscribe(10);
    assert.equal(sub.isClosed(), false);
    await nc.flush();
    await publish(subj, 20, 3);
    assert.equal(await settlesWithin(sub.closed, 5_000), true, "closed resolves after the 10th");
    await nc.flush();
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(sub.getReceived(), 10);
    assert.equal(sub.isClosed(), true);
  });

  it("unsubscribe(10) after 3 received delivers 7 more, then ends (iterator)", async () => {
    const subj = createInbox("unsubnit");
    const sub = nc.subscribe(subj);
    await nc.flush();
    await publish(subj, 3);
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) seen.push((await sub.next({ timeout: 5_000 })).string());
    sub.unsubscribe(10);
    await nc.flush();
    await publish(subj, 20, 3);
    for await (const m of sub) seen.push(m.string());
    assert.deepEqual(seen, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    assert.equal(sub.getReceived(), 10);
    assert.equal(sub.isClosed(), true);
  });

  it("unsubscribe(n) with n not above what was received ends the subscription at once", async () => {
    const subj = createInbox("unsublow");
    const { sub, count } = await countingSub(subj, 4);
    sub.unsubscribe(2);
    assert.equal(await settlesWithin(sub.closed, 2_000), true);
    assert.equal(sub.isClosed(), true);
    await publish(subj, 5, 10);
    await nc.flush();
    assert.equal(count(), 4);
  });

  it("unsubscribe() stops delivery to a callback subscription", async () => {
    const subj = createInbox("unsub");
    const { sub, count } = await countingSub(subj, 3);
    sub.unsubscribe();
    assert.equal(sub.isClosed(), true);
    assert.equal(await settlesWithin(sub.closed, 2_000), true);
    await nc.flush(); // the UNSUB reached the server
    await publish(subj, 10, 3);
    await nc.flush();
    assert.equal(count(), 3);
    assert.equal(sub.getReceived(), 3);
    // idempotent
    sub.unsubscribe();
    sub.unsubscribe(5);
    assert.equal(sub.isClosed(), true);
  });

  it("unsubscribe() ends a pending iterator and a waiting next()", async () => {
    const subj = createInbox("unsubit");
    const sub = nc.subscribe(subj);
    await nc.flush();
    const loop = (async () => {
      let n = 0;
      for await (const _m of sub) n++;
      return n;
    })();
    await publish(subj, 2);
    await until(() => sub.getProcessed() === 2, "2 processed");
    sub.unsubscribe();
    assert.equal(await loop, 2);
    await sub.closed;
    // next() on an ended subscription rejects instead of hanging
    await assert.rejects(sub.next({ timeout: 2_000 }), (err: unknown) => {
      assert.ok(err instanceof NatsError);
      assert.notEqual(err.code, "TIMEOUT", "next() on a closed subscription must not wait");
      return true;
    });
  });

  it("counts received, processed, pending and pending bytes for an iterator", async () => {
    const subj = createInbox("count");
    const sub = nc.subscribe(subj);
    await nc.flush();
    const payloads = ["a", "bb", "ccc", "dddd", "eeeee"];
    for (const p of payloads) pub.publish(subj, p);
    await pub.flush();
    await until(() => sub.getReceived() === 5, "5 received");
    assert.equal(sub.getProcessed(), 0);
    assert.equal(sub.getPending(), 5);
    assert.equal(sub.getPendingBytes(), 15);
    assert.equal(sub.getDropped(), 0);
    assert.equal(sub.isClosed(), false);
    assert.equal((await sub.next()).string(), "a");
    assert.equal((await sub.next()).string(), "bb");
    assert.equal(sub.getProcessed(), 2);
    assert.equal(sub.getPending(), 3);
    assert.equal(sub.getPendingBytes(), 12);
    assert.equal(sub.getReceived(), 5);
    sub.unsubscribe();
    assert.equal(sub.isClosed(), true);
    assert.equal(sub.getPending(), 0);
  });

  it("counts received === processed for a callback subscription", async () => {
    const subj = createInbox("countcb");
    const { sub } = await countingSub(subj, 50, "50 callbacks");
    assert.equal(sub.getReceived(), 50);
    assert.equal(sub.getProcessed(), 50);
    assert.equal(sub.getPending(), 0);
    assert.equal(sub.getDropped(), 0);
    assert.equal(sub.getSubject(), subj);
    sub.unsubscribe();
  });

  it("gives every subscription its own id and routes messages by it", async () => {
    const subj = createInbox("two");
    const a = nc.subscribe(subj);
    const b = nc.subscribe(subj);
    assert.notEqual(a.getID(), b.getID());
    await nc.flush();
    await publish(subj, 1);
    const [ma, mb] = await Promise.all([a.next({ timeout: 5_000 }), b.next({ timeout: 5_000 })]);
    assert.equal(ma.sid, a.getID());
    assert.equal(mb.sid, b.getID());
    a.unsubscribe();
    await nc.flush();
    await publish(subj, 1, 1);
    assert.equal((await b.next({ timeout: 5_000 })).string(), "1");
    assert.equal(a.getReceived(), 1);
    b.unsubscribe();
  });

  it("a subscription with a callback is not iterable and next() rejects", async () => {
    const sub = nc.subscribe(createInbox("cbonly"), { callback: () => undefined });
    assert.throws(() => sub[Symbol.asyncIterator]());
    await assert.rejects(sub.next({ timeout: 1_000 }), (err: unknown) => err instanceof NatsError && !(err instanceof TimeoutError));
    sub.unsubscribe();
  });

  it("closing the connection ends its subscriptions: closed resolves and iterators finish", async () => {
    const c = await connect({ servers: srv.url });
    const subj = createInbox("close");
    const it = c.subscribe(subj);
    const cb = c.subscribe(subj, { callback: () => undefined });
    await c.flush();
    const received: Msg[] = [];
    const loop = (async (s: Subscription) => {
      for await (const m of s) received.push(m);
    })(it);
    await publish(subj, 1);
    await until(() => received.length === 1, "1 message");
    await c.close();
    assert.equal(await settlesWithin(loop, 2_000), true, "iterator ends");
    assert.equal(await settlesWithin(it.closed, 2_000), true);
    assert.equal(await settlesWithin(cb.closed, 2_000), true);
    assert.equal(it.isClosed(), true);
    assert.equal(cb.isClosed(), true);
    // unsubscribe after close is harmless
    it.unsubscribe();
    cb.unsubscribe();
  });
});
