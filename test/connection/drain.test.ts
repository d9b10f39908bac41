// Draining subscriptions and connections against a real nats-server.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { useServer } from "../support/fixtures.js";
import { busy, range, settlesWithin, untilWithin } from "../support/helpers.js";
import {
  connect,
  createInbox,
  ConnectionClosedError,
  DrainingError,
  TimeoutError,
  type NatsConnection,
  type Subscription,
} from "../../src/index.js";

const until = untilWithin(5_000);
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe("drain", () => {
  const srv = useServer();
  let pub: NatsConnection;

  before(async () => {
    pub = await srv.connect();
  });

  /** A new connection whose iterator subscription (never consumed) has received 10 messages. */
  async function withTenQueued(prefix: string): Promise<{ nc: NatsConnection; subj: string; sub: Subscription }> {
    const nc = await connect({ servers: srv.url });
    const subj = createInbox(prefix);
    const sub = nc.subscribe(subj);
    await nc.flush();
    for (let i = 0; i < 10; i++) pub.publish(subj, String(i));
    await pub.flush();
    await until(() => sub.getReceived() === 10, "10 received");
    return { nc, subj, sub };
  }

  it("sub.drain() resolves only after every received message was handed to the callback", async () => {
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("subdrain");
    let handled = 0;
    const sub = nc.subscribe(subj, {
      callback: () => {
        busy(0.05);
        handled++;
      },
    });
    await nc.flush();
    for (let i = 0; i < 1000; i++) pub.publish(subj, `m${i}`);
    await pub.flush();
    let atResolve = -1;
    let receivedAtResolve = -1;
    await sub.drain().then(() => {
      atResolve = handled;
      receivedAtResolve = sub.getReceived();
    });
    // everything published before the drain reached the subscription, and all of it was handled
    assert.equal(receivedAtResolve, 1000);
    assert.equal(atResolve, 1000);
    assert.equal(sub.getProcessed(), 1000);
    assert.equal(sub.getPending(), 0);
    assert.equal(sub.isClosed(), true);
    // interest is gone; the connection stays usable
    assert.equal(nc.isClosed(), false);
    for (let i = 0; i < 10; i++) pub.publish(subj, "late");
    await pub.flush();
    await nc.flush();
    assert.equal(handled, 1000);
  });

  it("sub.drain() on an iterator waits until the queued messages were consumed", async () => {
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("subdrainit");
    const sub = nc.subscribe(subj);
    await nc.flush();
    for (let i = 0; i < 100; i++) pub.publish(subj, String(i));
    await pub.flush();
    const drained = sub.drain();
    // nobody consumes yet: the drain cannot be complete
    assert.equal(await settlesWithin(drained, 150), false, "drain resolved while messages were still queued");
    assert.equal(sub.getReceived(), 100);
    const seen: number[] = [];
    for await (const m of sub) seen.push(Number(m.string()));
    assert.deepEqual(seen, range(100));
    await drained;
    assert.equal(sub.isClosed(), true);
    assert.equal(sub.getProcessed(), 100);
  });

  it("close() while a sub.drain() waits for its consumer ends the subscription", async () => {
    const { nc, sub } = await withTenQueued("drclose");
    const drained = sub.drain();
    await nc.flush(); // the UNSUB went out and was acknowledged
    assert.equal(sub.isClosed(), false);
    await nc.close();
    assert.equal(await settlesWithin(sub.closed, 1_000), true, "sub.closed must resolve once the connection is closed");
    assert.equal(await settlesWithin(drained, 1_000), true, "sub.drain() must settle once the connection is closed");
    assert.equal(sub.isClosed(), true);
  });

  it("nc.drain() processes every message of callback and iterator subscriptions, flushes, then closes", async () => {
    const nc = await connect({ servers: srv.url });
    const subjA = createInbox("drA");
    const subjB = createInbox("drB");
    const outSubj = createInbox("drOut");
    let cbCount = 0;
    nc.subscribe(subjA, {
      callback: () => {
        busy(0.05);
        cbCount++;
      },
    });
    const itSub = nc.subscribe(subjB);
    let itCount = 0;
    const loop = (async () => {
      for await (const _m of itSub) {
        itCount++;
        if (itCount % 50 === 0) await tick(); // a consumer that takes its time
      }
    })();
    // what the draining connection publishes itself must reach others
    const outSub = pub.subscribe(outSubj);
    await pub.flush();
    await nc.flush();
    for (let i = 0; i < 500; i++) {
      pub.publish(subjA, `a${i}`);
      pub.publish(subjB, `b${i}`);
    }
    await pub.flush();
    for (let i = 0; i < 100; i++) nc.publish(outSubj, `o${i}`);

    const closeEvents: unknown[] = [];
    nc.on("close", (s) => closeEvents.push(s));
    const drained = nc.drain();
    assert.equal(nc.isDraining(), true);
    assert.equal(nc.isClosed(), false);
    await drained;

    assert.equal(cbCount, 500, "every callback message handled");
    assert.equal(await settlesWithin(loop, 2_000), true, "iterator loop ends");
    assert.equal(itCount, 500, "every iterator message yielded");
    assert.equal(nc.isClosed(), true);
    assert.equal(nc.isDraining(), false);
    assert.equal(await nc.closed(), undefined);
    assert.equal(closeEvents.length, 1);

    await pub.flush();
    assert.equal(outSub.getReceived(), 100, "publishes made before drain() were flushed");
    outSub.unsubscribe();

    assert.throws(() => nc.publish(outSubj, "x"), ConnectionClosedError);
    await assert.rejects(nc.drain(), (e: unknown) => e instanceof ConnectionClosedError && e.code === "CONNECTION_CLOSED");
  });

  it("subscribe() during drain throws DrainingError; drain() twice is the same drain", async () => {
    const nc = await connect({ servers: srv.url });
    const subj = createInbox("dring");
    const sub = nc.subscribe(subj);
    await nc.flush();
    pub.publish(subj, "one");
    await pub.flush();
    const d1 = nc.drain();
    const d2 = nc.drain();
    let thrown: unknown;
    try {
      nc.subscribe(createInbox("late"));
    } catch (err) {
      thrown = err;
    }
    assert.ok(thrown instanceof DrainingError, `expected DrainingError, got ${String(thrown)}`);
    assert.equal(thrown.code, "DRAINING");
    // the queued message is still delivered
    assert.equal((await sub.next({ timeout: 5_000 })).string(), "one");
    await Promise.all([d1, d2]);
    assert.equal(nc.isClosed(), true);
    assert.equal(await nc.closed(), undefined);
  });

  it("drain() of a connection without subscriptions closes it normally", async () => {
    const nc = await connect({ servers: srv.url });
    await nc.drain();
    assert.equal(nc.isClosed(), true);
    assert.equal(await nc.closed(), undefined);
  });

  it("drain({timeout}) too short for a blocked iterator rejects with TimeoutError and still closes", async () => {
    const { nc, subj, sub } = await withTenQueued("drto");
    await assert.rejects(nc.drain({ timeout: 200 }), (err: unknown) => {
      assert.ok(err instanceof TimeoutError, `expected TimeoutError, got ${String(err)}`);
      assert.equal(err.code, "TIMEOUT");
      return true;
    });
    assert.equal(nc.isClosed(), true);
    assert.equal(nc.isDraining(), false);
    assert.equal(await settlesWithin(nc.closed(), 2_000), true, "closed() resolves");
    assert.ok((await nc.closed()) instanceof TimeoutError, "closed() reports why the connection ended");
    assert.throws(() => nc.publish(subj, "x"), ConnectionClosedError);
    // a closed connection leaves no live subscription behind (as with close())
    assert.equal(await settlesWithin(sub.closed, 1_000), true, "the drained subscription must end when the connection closes");
    assert.equal(sub.isClosed(), true);
  });
});
