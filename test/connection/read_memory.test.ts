// The TCP transport reads into memory it reuses unless a message handed to the application still
// views it. These tests keep every message (callback, iterator, a queue behind a slow callback, a
// TLS-free plain socket) across thousands of reads of every size, and check each byte afterwards.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { useServer } from "../support/fixtures.js";
import { busy, untilWithin } from "../support/helpers.js";
import { createInbox, headers, type Msg, type NatsConnection } from "../../src/index.js";

const until = untilWithin(30_000);
const SIZES = [0, 1, 17, 100, 1000, 5000, 8191, 8192, 20_000, 70_000, 200_000];
const N = 1200;

/** Payload of message `i`: its size from SIZES, bytes derived from i and the offset. */
function payload(i: number): Uint8Array {
  const b = new Uint8Array(SIZES[i % SIZES.length]!);
  for (let k = 0; k < b.length; k++) b[k] = (i * 31 + k * 7) & 0xff;
  return b;
}

/** A 100-byte payload derived from i. */
function small(i: number): Uint8Array {
  const b = new Uint8Array(100);
  for (let k = 0; k < b.length; k++) b[k] = (i * 13 + k * 3) & 0xff;
  return b;
}

/** Subject of message `i`: lengths vary, so control lines also fall across reads. */
function subjectOf(base: string, i: number): string {
  return `${base}.s${"s".repeat(i % 97)}.${i}`;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(b);
}

/** Checks every kept message against what was published. */
function verify(kept: Msg[], base: string): void {
  assert.equal(kept.length, N);
  for (let i = 0; i < N; i++) {
    const m = kept[i]!;
    assert.equal(m.subject, subjectOf(base, i), `subject of ${i}`);
    assert.equal(m.reply, i % 3 === 0 ? `reply.${i}` : undefined, `reply of ${i}`);
    assert.equal(m.headers?.get("Seq") ?? "", i % 2 === 0 ? String(i) : "", `headers of ${i}`);
    assert.ok(sameBytes(m.data, payload(i)), `payload of ${i}`);
  }
}

function publishAll(pub: NatsConnection, base: string): void {
  for (let i = 0; i < N; i++) {
    const h = i % 2 === 0 ? headers() : undefined;
    h?.set("Seq", String(i));
    pub.publish(subjectOf(base, i), payload(i), { ...(i % 3 === 0 ? { reply: `reply.${i}` } : {}), ...(h ? { headers: h } : {}) });
  }
}

describe("read memory reused by the TCP transport", () => {
  const srv = useServer();
  let pub: NatsConnection;

  before(async () => {
    pub = await srv.connect();
  });

  it("messages kept by a callback, an iterator and a slow callback's queue stay intact", async () => {
    await using nc = await srv.connect();
    const base = createInbox("reads");
    const byCallback: Msg[] = [];
    const byQueue: Msg[] = [];
    const byIterator: Msg[] = [];
    nc.subscribe(`${base}.>`, { callback: (_e, m) => byCallback.push(m) });
    // blocks now and then, so later messages wait in its queue (copied out of the read)
    nc.subscribe(`${base}.>`, {
      pending: { msgs: -1, bytes: -1 },
      callback: (_e, m) => {
        byQueue.push(m);
        if (byQueue.length % 50 === 0) busy(15);
      },
    });
    const it = nc.subscribe(`${base}.>`);
    const iterating = (async () => {
      for await (const m of it) {
        byIterator.push(m);
        if (byIterator.length === N) break;
      }
    })();
    await nc.flush();
    publishAll(pub, base);
    await pub.flush();
    await until(() => byCallback.length === N && byQueue.length === N, "all delivered");
    await iterating;
    verify(byCallback, base);
    verify(byQueue, base);
    verify(byIterator, base);
  });

  it("bursts a slow subscription queues, mixed with small messages whose views another one keeps", async () => {
    await using nc = await srv.connect();
    const base = createInbox("grown");
    // a slow subscription: its messages are queued (copied), so those reads are reused (and grow)
    let queued = 0;
    nc.subscribe(`${base}.q`, {
      pending: { msgs: -1, bytes: -1 },
      callback: () => {
        if (++queued % 500 === 0) busy(20);
      },
    });
    const views: Uint8Array[] = [];
    nc.subscribe(`${base}.v`, { callback: (_e, m) => views.push(m.data) });
    await nc.flush();
    const big = new Uint8Array(1024).fill(0x51);
    let want = 0;
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 6000; i++) pub.publish(`${base}.q`, big);
      // small messages in bulk: whole reads of them are parsed in place, and their views kept
      for (let i = 0; i < 2000; i++) pub.publish(`${base}.v`, small(want++));
      await pub.flush();
    }
    await until(() => queued === 18_000 && views.length === want, "all delivered");
    for (let i = 0; i < want; i++) assert.ok(sameBytes(views[i]!, small(i)), `payload of ${i}`);
  });

  it("views of message data kept past the callback stay intact, even when the rest of a read is dropped", async () => {
    await using nc = await srv.connect();
    const base = createInbox("views");
    const views: Uint8Array[] = [];
    let seen = 0;
    nc.subscribe(`${base}.>`, {
      callback: (_e, m) => {
        // keeps every seventh payload view; the others are garbage at once
        if (seen++ % 7 === 0) views.push(m.data);
      },
    });
    await nc.flush();
    publishAll(pub, base);
    await pub.flush();
    await until(() => seen === N, "all delivered");
    let k = 0;
      for (let i = 0; i < N; i += 7) assert.ok(sameBytes(views[k++]!, payload(i)), `payload of ${i}`);
  });

  it("a message of 32 KiB or more comes in memory of its own; smaller ones may view the read", async () => {
    await using nc = await srv.connect();
    const subj = createInbox("own");
    const sizes = [100, 20_000, 32 * 1024 - 1, 32 * 1024, 70_000, 200_000];
    const got: Msg[] = [];
    nc.subscribe(subj, { callback: (_e, m) => got.push(m) });
    await nc.flush();
    for (let r = 0; r < 20; r++) for (const n of sizes) pub.publish(subj, new Uint8Array(n).fill(n & 0xff));
    await pub.flush();
    await until(() => got.length === 20 * sizes.length, "all delivered");
    for (const m of got) {
      const d = m.data;
      assert.ok(d.every((b) => b === (d.length & 0xff)), `payload of ${d.length} B`);
      // the large ones own exactly their bytes: keeping one keeps no read alive
      if (d.length >= 32 * 1024) assert.equal(d.buffer.byteLength, d.length, `memory of a ${d.length}-byte message`);
    }
  });
});
