// Pending limits and slow consumers against a real nats-server: messages over a subscription's
// limits are dropped and counted, the callback and the status stream hear about it, and the
// pending queue never grows past the limits.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { useServer } from "../support/fixtures.js";
import { busy, untilWithin } from "../support/helpers.js";
import { connect, createInbox, SlowConsumerError, type NatsConnection, type Status, type Subscription } from "../../src/index.js";

const until = untilWithin(15_000);

/** Samples a subscription's pending counts on every turn of the event loop (and on demand). */
class PendingProbe {
  maxMsgs = 0;
  maxBytes = 0;
  private readonly timer: ReturnType<typeof setInterval>;
  constructor(private readonly sub: Subscription) {
    this.timer = setInterval(() => this.sample(), 1);
  }
  sample(): void {
    this.maxMsgs = Math.max(this.maxMsgs, this.sub.getPending());
    this.maxBytes = Math.max(this.maxBytes, this.sub.getPendingBytes());
  }
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}

describe("slow consumers and pending limits", () => {
  const srv = useServer();
  let pub: NatsConnection;

  before(async () => {
    pub = await srv.connect();
  });

  it("a blocking callback over pending {msgs: 100} drops, counts, reports SLOW_CONSUMER, and stays bounded", async () => {
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("slowcb");
    const fastSubj = createInbox("fast");
    const statuses: Status[] = [];
    nc.on("slowConsumer", (s) => statuses.push(s));
    const cbErrors: unknown[] = [];
    let handled = 0;
    let maxSeenInCallback = 0;
    const sub: Subscription = nc.subscribe(subj, {
      pending: { msgs: 100 },
      callback: (err, m) => {
        maxSeenInCallback = Math.max(maxSeenInCallback, sub.getPending());
        if (err) {
          cbErrors.push(err);
          return;
        }
        assert.ok(m);
        handled++;
        busy(2);
      },
    });
    // another subscription on the same connection is not limited by the slow one's limits
    let fast = 0;
    const fastSub = nc.subscribe(fastSubj, { callback: () => fast++ });
    const probe = new PendingProbe(sub);
    await nc.flush();

    const N = 5000;
    for (let i = 0; i < N; i++) {
      pub.publish(subj, `m${i}`);
      pub.publish(fastSubj, `f${i}`);
    }
    await pub.flush();
    await until(() => sub.getReceived() === N && sub.getPending() === 0, "all received and the queue emptied");
    await until(() => fast === N, "all fast messages");
    probe.stop();

    assert.ok(sub.getDropped() > 0, "messages were dropped");
    assert.equal(sub.getReceived(), sub.getProcessed() + sub.getDropped() + sub.getPending());
    assert.equal(handled, sub.getProcessed(), "every processed message reached the callback");
    assert.ok(probe.maxMsgs <= 100, `pending reached ${probe.maxMsgs}`);
    assert.ok(maxSeenInCallback <= 100, `pending reached ${maxSeenInCallback}`);

    assert.ok(cbErrors.length > 0, "the callback's err argument saw the slow consumer");
    const e = cbErrors[0];
    assert.ok(e instanceof SlowConsumerError, `expected SlowConsumerError, got ${String(e)}`);
    assert.equal(e.code, "SLOW_CONSUMER");
    assert.equal(e.subject, subj);
    assert.equal(e.sid, sub.getID());
    assert.ok(e.dropped > 0);

    assert.ok(statuses.length > 0, "a slowConsumer status was emitted");
    const s = statuses[0]!;
    assert.equal(s.type, "slowConsumer");
    if (s.type === "slowConsumer") {
      assert.equal(s.subject, subj);
      assert.equal(s.sid, sub.getID());
      assert.ok(s.dropped > 0);
      assert.ok(s.error instanceof SlowConsumerError);
    }

    assert.equal(fastSub.getDropped(), 0, "the other subscription lost nothing");
    assert.equal(fastSub.getProcessed(), N);
    // the connection survived and still delivers
    assert.equal(nc.isConnected(), true);
    assert.equal(nc.stats().inMsgs, 2 * N);
    pub.publish(subj, "after");
    await pub.flush();
    await until(() => sub.getReceived() === N + 1 && sub.getPending() === 0, "one more message");
    assert.equal(sub.getReceived(), sub.getProcessed() + sub.getDropped());
  });

  it("an iterator nobody consumes keeps at most pending.msgs messages and counts the rest as dropped", async () => {
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("slowit");
    const statuses: Status[] = [];
    nc.on("slowConsumer", (s) => statuses.push(s));
    const sub = nc.subscribe(subj, { pending: { msgs: 100 } });
    const probe = new PendingProbe(sub);
    await nc.flush();
    const N = 5000;
    for (let i = 0; i < N; i++) pub.publish(subj, String(i));
    await pub.flush();
    await until(() => sub.getReceived() === N, "all received");
    probe.stop();
    assert.equal(sub.getPending(), 100);
    assert.equal(sub.getDropped(), N - 100);
    assert.equal(sub.getProcessed(), 0);
    assert.equal(sub.getReceived(), sub.getProcessed() + sub.getDropped() + sub.getPending());
    assert.ok(probe.maxMsgs <= 100, `pending reached ${probe.maxMsgs}`);
    assert.ok(statuses.some((s) => s.type === "slowConsumer" && s.subject === subj && s.error instanceof SlowConsumerError));

    // what was kept is delivered in order
    let prev = -1;
    for (let i = 0; i < 100; i++) {
      const v = Number((await sub.next({ timeout: 1_000 })).string());
      assert.ok(v > prev, `order broken: ${v} after ${prev}`);
      prev = v;
    }
    assert.equal(sub.getPending(), 0);
    assert.equal(sub.getProcessed(), 100);
    // once there is room again, messages are accepted again
    pub.publish(subj, "fresh");
    await pub.flush();
    assert.equal((await sub.next({ timeout: 5_000 })).string(), "fresh");
    assert.equal(sub.getDropped(), N - 100);
    assert.equal(sub.getReceived(), sub.getProcessed() + sub.getDropped() + sub.getPending());
  });

  it("pending {bytes} caps the queued bytes of an iterator", async () => {
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("slowbytes");
    const sub = nc.subscribe(subj, { pending: { bytes: 1000 } });
    const probe = new PendingProbe(sub);
    await nc.flush();
    const payload = new Uint8Array(100).fill(65);
    const N = 200;
    for (let i = 0; i < N; i++) pub.publish(subj, payload);
    await pub.flush();
    await until(() => sub.getReceived() === N, "all received");
    probe.stop();
    assert.equal(sub.getPending(), 10);
    assert.equal(sub.getPendingBytes(), 1000);
    assert.equal(sub.getDropped(), N - 10);
    assert.ok(probe.maxBytes <= 1000, `pending bytes reached ${probe.maxBytes}`);
    assert.equal(sub.getReceived(), sub.getProcessed() + sub.getDropped() + sub.getPending());
  });

  it("pending {bytes} bounds a blocking callback subscription and reports SLOW_CONSUMER", async () => {
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("slowcbbytes");
    const limit = 4096;
    const cbErrors: unknown[] = [];
    let maxBytesInCallback = 0;
    const sub: Subscription = nc.subscribe(subj, {
      pending: { bytes: limit },
      callback: (err) => {
        maxBytesInCallback = Math.max(maxBytesInCallback, sub.getPendingBytes());
        if (err) cbErrors.push(err);
        else busy(2);
      },
    });
    const probe = new PendingProbe(sub);
    await nc.flush();
    const payload = new Uint8Array(64).fill(1);
    const N = 3000;
    for (let i = 0; i < N; i++) pub.publish(subj, payload);
    await pub.flush();
    await until(() => sub.getReceived() === N && sub.getPending() === 0, "all received and the queue emptied");
    probe.stop();
    assert.ok(sub.getDropped() > 0);
    assert.equal(sub.getReceived(), sub.getProcessed() + sub.getDropped());
    assert.ok(probe.maxBytes <= limit, `pending bytes reached ${probe.maxBytes}`);
    assert.ok(maxBytesInCallback <= limit, `pending bytes reached ${maxBytesInCallback}`);
    assert.ok(probe.maxMsgs <= limit / 64);
    assert.ok(cbErrors.some((e) => e instanceof SlowConsumerError && e.code === "SLOW_CONSUMER"));
  });

  it("a quick callback that pauses once catches up with a fast stream, dropping nothing", async () => {
    // publisher and subscriber share this process, as in an application that does both: during the
    // pause nothing is read, then the socket delivers a flood; queued quick callbacks must work it
    // off faster than the socket refills it (they once got 2 ms per turn and never caught up)
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("pause");
    const N = 3_000_000;
    let handled = 0;
    const errors: unknown[] = [];
    const sub = nc.subscribe(subj, {
      callback: (err) => {
        if (err) {
          errors.push(err);
          return;
        }
        if (++handled === 200_000) busy(300);
      },
    });
    await nc.flush();
    const payload = new Uint8Array(16);
    for (let i = 0; i < N; ) {
      const end = Math.min(N, i + 32_768);
      for (; i < end; i++) pub.publish(subj, payload);
      await new Promise((r) => setImmediate(r));
    }
    await pub.flush();
    await until(() => sub.getReceived() === N && sub.getPending() === 0, "all received and the queue emptied");
    assert.equal(sub.getDropped(), 0, `${sub.getDropped()} dropped`);
    assert.equal(handled, N);
    assert.deepEqual(errors, []);
  });
});
