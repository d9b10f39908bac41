// Reconnect pacing against a real nats-server that is killed (or SIGSTOPped): reconnectDelayHandler,
// reconnectTimeWait + reconnectJitter / reconnectJitterTLS as reported by `reconnecting` events, and
// maxReconnectAttempts ending in NoServersError. Delays are read from the events, never from the clock.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { useServer } from "../support/fixtures.js";
import { nextEvent, recordStatus } from "../support/events.js";
import { until } from "../support/helpers.js";
import { freePort } from "../support/ports.js";
import { connect, NoServersError, type NatsConnection } from "../../src/index.js";

type Attempt = { attempt: number; delay: number; server: string };
/** The `reconnecting` events of `nc`, as they happen. */
function attempts(nc: NatsConnection): Attempt[] {
  const list: Attempt[] = [];
  nc.on("reconnecting", (s) => {
    if (s.type === "reconnecting") list.push({ attempt: s.attempt, delay: s.delay, server: s.server });
  });
  return list;
}

describe("reconnect delays", () => {
  const srv = useServer({ connection: { maxReconnectAttempts: -1 }, resetAfterEach: true });

  it("reconnectDelayHandler gets the walk count 1, 2, 3… and its result is the delay", async () => {
    const calls: number[] = [];
    const nc = await srv.connect({
      reconnectTimeWait: 5_000, // ignored when a delay handler is set
      reconnectDelayHandler: (n) => {
        calls.push(n);
        return 15 * n;
      },
    });
    const seen = attempts(nc);
    await srv.server.kill();
    await until(() => calls.length >= 4, "4 calls of the delay handler");
    await srv.restartAndWait(nc);
    assert.deepEqual(
      calls,
      calls.map((_, i) => i + 1),
    );
    assert.equal(seen.length, calls.length + 1, "one handler call per walk after the first attempt");
    seen.forEach((a, i) => {
      assert.equal(a.attempt, i + 1);
      assert.equal(a.delay, i === 0 ? 0 : 15 * i, `delay of attempt ${a.attempt}`);
    });

    // a successful reconnect starts the count again
    calls.length = 0;
    await srv.server.kill();
    await until(() => calls.length >= 2, "2 more calls");
    await srv.restartAndWait(nc);
    assert.deepEqual(calls.slice(0, 2), [1, 2]);
  });

  it("delays between refused attempts are at most reconnectTimeWait + reconnectJitter, and jittered", async () => {
    const WAIT = 60;
    const JITTER = 80;
    const nc = await srv.connect({ reconnectTimeWait: WAIT, reconnectJitter: JITTER });
    const seen = attempts(nc);
    await srv.server.kill();
    await until(() => seen.length >= 8, "8 reconnect attempts");
    await srv.restartAndWait(nc);
    const later = seen.slice(1, 8); // the first attempt waits only if the connection is younger than the wait
    for (const a of later) assert.ok(a.delay <= WAIT + JITTER, `attempt ${a.attempt} waited ${a.delay} ms`);
    assert.ok(
      later.some((a) => a.delay > WAIT + 1),
      `no jitter in ${later.map((a) => a.delay.toFixed(1)).join(", ")}`,
    );
  });

  it("a slow failed attempt does not shorten the wait: delays stay within [reconnectTimeWait, + jitter]", async () => {
    const WAIT = 200;
    const JITTER = 20;
    // a SIGSTOPped server accepts TCP connections but never sends INFO: every attempt runs into `timeout`
    const nc = await srv.connect({ reconnectTimeWait: WAIT, reconnectJitter: JITTER, timeout: 150, pingInterval: 100, maxPingOut: 1 });
    const seen = attempts(nc);
    process.kill(srv.server.pid, "SIGSTOP");
    try {
      await until(() => seen.length >= 4, "4 reconnect attempts");
    } finally {
      process.kill(srv.server.pid, "SIGCONT");
    }
    await nextEvent(nc, "reconnect");
    for (const a of seen.slice(1, 4)) {
      assert.ok(a.delay >= WAIT && a.delay <= WAIT + JITTER, `attempt ${a.attempt} reported a delay of ${a.delay.toFixed(1)} ms`);
    }
  });

  it("tls:// servers are jittered with reconnectJitterTLS, nats:// with reconnectJitter", async () => {
    const port = await freePort(); // nothing listens there: every attempt is refused
    const common = { retryOnFailedConnect: true, maxReconnectAttempts: 6, reconnectTimeWait: 20, reconnectJitter: 0, reconnectJitterTLS: 300 };
    const tls = await connect({ servers: `tls://127.0.0.1:${port}`, ...common });
    const plain = await connect({ servers: `nats://127.0.0.1:${port}`, ...common });
    const tlsSeen = attempts(tls);
    const plainSeen = attempts(plain);
    const [tlsErr, plainErr] = await Promise.all([tls.closed(), plain.closed()]);
    assert.ok(tlsErr instanceof NoServersError && plainErr instanceof NoServersError);
    const tlsDelays = tlsSeen.filter((a) => a.attempt >= 2).map((a) => a.delay);
    const plainDelays = plainSeen.filter((a) => a.attempt >= 2).map((a) => a.delay);
    assert.ok(tlsDelays.length >= 4 && plainDelays.length >= 4);
    for (const d of plainDelays) assert.ok(d <= 20, `plain delay ${d} with reconnectJitter 0`);
    for (const d of tlsDelays) assert.ok(d <= 320, `tls delay ${d}`);
    assert.ok(
      tlsDelays.some((d) => d > 21),
      `reconnectJitterTLS not applied: ${tlsDelays.map((d) => d.toFixed(1)).join(", ")}`,
    );
  });

  it("maxReconnectAttempts: 2 with a dead server closes after two attempts with NoServersError", async () => {
    const nc = await srv.connect({ maxReconnectAttempts: 2, reconnectTimeWait: 30 });
    const seen = attempts(nc);
    const events = recordStatus(nc);
    await srv.server.kill();
    const err = await nc.closed();
    assert.ok(err instanceof NoServersError, `closed() resolved to ${String(err)}`);
    assert.equal(err.code, "NO_SERVERS");
    assert.equal(nc.isClosed(), true);
    assert.deepEqual(
      seen.map((a) => a.attempt),
      [1, 2],
    );
    assert.deepEqual(
      events.map((s) => s.type),
      ["disconnect", "reconnecting", "reconnecting", "close"],
    );
  });
});
