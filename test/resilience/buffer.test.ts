// The reconnect buffer against a real nats-server that is killed and restarted: publishes made while
// disconnected are kept up to reconnectBufSize bytes and sent after the reconnect (after the
// subscriptions), past the bound publish() throws ReconnectBufferExceededError, nothing is dropped silently.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { useServer } from "../support/fixtures.js";
import { range, until } from "../support/helpers.js";
import { ReconnectBufferExceededError, type NatsConnection, type Subscription } from "../../src/index.js";

/** Size of the PUB frame the client encodes for `size` payload bytes on `subject`. */
const frameSize = (subject: string, size: number): number => `PUB ${subject} ${size}\r\n`.length + size + 2;

/** Subscribes `nc` to `subject`, collecting the big-endian u32 sequence number at the start of each payload. */
function collect(nc: NatsConnection, subject: string): { got: number[]; sub: Subscription } {
  const got: number[] = [];
  const sub = nc.subscribe(subject, {
    callback: (_e, m) => got.push(m.data.length >= 4 ? new DataView(m.data.buffer, m.data.byteOffset, 4).getUint32(0) : -1),
  });
  return { got, sub };
}

/**
 * Publishes `payload` to `subject` (at most 1,000 times), its first 4 bytes set to the sequence number,
 * until publish() throws; `onAccepted` runs after every accepted publish.
 */
function publishUntilRefused(nc: NatsConnection, subject: string, payload: Uint8Array, onAccepted: () => void): { accepted: number; error: unknown } {
  const view = new DataView(payload.buffer);
  let accepted = 0;
  let error: unknown;
  for (; accepted < 1000; accepted++) {
    view.setUint32(0, accepted);
    try {
      nc.publish(subject, payload);
    } catch (err) {
      error = err;
      break;
    }
    onAccepted();
  }
  return { accepted, error };
}

describe("reconnect buffer", () => {
  const srv = useServer({ connection: { reconnectTimeWait: 100, maxReconnectAttempts: -1 }, resetAfterEach: true });

  it("throws ReconnectBufferExceededError at the bound and delivers exactly what it accepted", async () => {
    const LIMIT = 64 * 1024;
    const nc = await srv.connect({ reconnectBufSize: LIMIT });
    const { got } = collect(nc, "buf.seq");
    let ends = 0;
    nc.subscribe("buf.end", { callback: () => ends++ });
    await nc.flush();
    await srv.killAndWait(nc);
    assert.equal(nc.buffered(), 0);

    const payload = new Uint8Array(1024); // reused: publish() must copy it
    const outBefore = nc.stats().outMsgs;
    let maxHeld = 0;
    const { accepted, error } = publishUntilRefused(nc, "buf.seq", payload, () => (maxHeld = Math.max(maxHeld, nc.buffered())));
    assert.ok(error instanceof ReconnectBufferExceededError, `publish threw ${String(error)}`);
    assert.equal(error.code, "RECONNECT_BUFFER_EXCEEDED");
    const frame = frameSize("buf.seq", 1024);
    assert.equal(accepted, Math.floor(LIMIT / frame), "accepted exactly as many frames as fit in the bound");
    assert.ok(maxHeld <= LIMIT, `buffered() reached ${maxHeld} > ${LIMIT}`);
    const held = nc.buffered();
    assert.equal(held, accepted * frame);
    for (let i = 0; i < 5; i++) {
      assert.throws(() => nc.publish("buf.seq", payload), ReconnectBufferExceededError);
      assert.equal(nc.buffered(), held, "a refused publish leaves nothing behind");
    }
    assert.equal(nc.stats().outMsgs - outBefore, accepted, "refused publishes are not counted as sent");

    await srv.restartAndWait(nc);
    nc.publish("buf.end");
    await nc.flush();
    await until(() => ends === 1, "the end marker");
    assert.deepEqual(got, range(accepted), "every accepted message once, in order, and nothing else");
  });

  it("reconnectBufSize: 0 makes publish() throw while disconnected", async () => {
    const nc = await srv.connect({ reconnectBufSize: 0 });
    const { got } = collect(nc, "buf.zero");
    await nc.flush();
    await srv.killAndWait(nc);
    assert.throws(() => nc.publish("buf.zero", new Uint8Array(4)), ReconnectBufferExceededError);
    assert.throws(() => nc.publish("buf.zero"), ReconnectBufferExceededError, "even an empty message");
    assert.equal(nc.buffered(), 0);
    await srv.restartAndWait(nc);
    nc.publish("buf.zero", new Uint8Array(4));
    await nc.flush();
    await until(() => got.length === 1, "a message after the reconnect");
    assert.deepEqual(got, [0]);
  });

  it("the default bound is 8 MiB", async () => {
    const nc = await srv.connect();
    const { got } = collect(nc, "buf.big");
    await nc.flush();
    await srv.killAndWait(nc);
    const LIMIT = 8 * 1024 * 1024;
    const payload = new Uint8Array(64 * 1024);
    const { accepted, error } = publishUntilRefused(nc, "buf.big", payload, () => assert.ok(nc.buffered() <= LIMIT));
    assert.ok(error instanceof ReconnectBufferExceededError, `publish threw ${String(error)}`);
    assert.equal(accepted, Math.floor(LIMIT / frameSize("buf.big", payload.length)));
    await srv.restartAndWait(nc);
    await nc.flush();
    await until(() => got.length >= accepted, `${accepted} big messages`);
    assert.deepEqual(got, range(accepted));
  });

  it("subscriptions are re-sent before the buffer: a sub made while disconnected gets the buffered messages", async () => {
    const nc = await srv.connect();
    const { got: gone, sub: goneSub } = collect(nc, "buf.gone");
    await nc.flush();
    await srv.killAndWait(nc);
    const { got } = collect(nc, "buf.late"); // subscribed while disconnected
    const payload = new Uint8Array(8);
    for (let i = 0; i < 50; i++) {
      new DataView(payload.buffer).setUint32(0, i);
      nc.publish("buf.late", payload);
      nc.publish("buf.gone", payload);
    }
    goneSub.unsubscribe(); // unsubscribed while disconnected
    await srv.restartAndWait(nc);
    await nc.flush();
    await until(() => got.length >= 50, "the 50 buffered messages on the late subscription");
    assert.deepEqual(got, range(50));
    assert.deepEqual(gone, [], "a subscription removed during the outage receives nothing");
  });

  it("publishes made from a disconnect listener are bounded too", async () => {
    const LIMIT = 4 * 1024;
    const nc = await srv.connect({ reconnectBufSize: LIMIT });
    await nc.flush();
    const payload = new Uint8Array(1024);
    let accepted = 0;
    let error: unknown;
    let connectedInListener: boolean | undefined;
    nc.on("disconnect", () => {
      connectedInListener = nc.isConnected();
      for (let i = 0; i < 10; i++) {
        try {
          nc.publish("buf.listener", payload);
          accepted++;
        } catch (err) {
          error = err;
          break;
        }
      }
    });
    await srv.killAndWait(nc);
    assert.ok(nc.buffered() <= LIMIT, `buffered() is ${nc.buffered()} > ${LIMIT} after ${accepted} publishes`);
    assert.ok(error instanceof ReconnectBufferExceededError, `publish threw ${String(error)} after ${accepted} accepted`);
    assert.equal(connectedInListener, false, "isConnected() inside the disconnect listener");
  });
});
