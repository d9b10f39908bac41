// Connection state, lifecycle and status events against a real nats-server: flush, rtt, stats,
// info, close/closed, Symbol.asyncDispose, on()/status(), and errors thrown by callbacks.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { NatsServer } from "../support/server.js";
import { useServer } from "../support/fixtures.js";
import { recordStatus } from "../support/events.js";
import { assertRejectsWithAbortReason, settlesWithin, untilWithin } from "../support/helpers.js";
import {
  connect,
  createInbox,
  headers,
  ConnectionClosedError,
  NatsError,
  TimeoutError,
  type NatsConnection,
  type Status,
} from "../../src/index.js";

const until = untilWithin(5_000);

/** True once every thread of `pid` is stopped (SIGSTOP is delivered asynchronously). Linux /proc. */
function allThreadsStopped(pid: number): boolean {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.every((t) => {
    const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state === "T" || state === "t";
  });
}

describe("connection state and lifecycle", () => {
  const srv = useServer();

  it("flush() resolves; flush({signal}) rejects with the abort reason", async () => {
    await using nc = await connect({ servers: srv.url });
    await nc.flush();
    await nc.flush({ timeout: 5_000 });
    await assertRejectsWithAbortReason((signal) => nc.flush({ signal }));
    // an abandoned PING does not confuse later flushes
    await nc.flush({ timeout: 5_000 });
    assert.equal(nc.isConnected(), true);
  });

  it("flush({timeout}) rejects with TimeoutError when the server does not answer", async () => {
    const own = await NatsServer.start();
    const nc = await connect({ servers: own.url });
    let stopped = false;
    try {
      process.kill(own.pid, "SIGSTOP");
      stopped = true;
      await until(() => allThreadsStopped(own.pid), "the server process to stop");
      await assert.rejects(nc.flush({ timeout: 200 }), (e: unknown) => {
        assert.ok(e instanceof TimeoutError, `expected TimeoutError, got ${String(e)}`);
        assert.equal(e.code, "TIMEOUT");
        return true;
      });
      process.kill(own.pid, "SIGCONT");
      stopped = false;
      await nc.flush({ timeout: 5_000 });
    } finally {
      if (stopped) process.kill(own.pid, "SIGCONT");
      await nc.close();
      await own.stop();
    }
  });

  it("rtt() returns a positive number of milliseconds", async () => {
    await using nc = await connect({ servers: srv.url });
    const rtt = await nc.rtt();
    assert.equal(typeof rtt, "number");
    assert.ok(Number.isFinite(rtt));
    assert.ok(rtt > 0, `rtt ${rtt}`);
  });

  it("stats() counts messages and payload+header bytes exactly", async () => {
    await using a = await connect({ servers: srv.url });
    await using b = await connect({ servers: srv.url });
    const subj = createInbox("stats");
    const sub = b.subscribe(subj);
    await b.flush();
    const h = headers();
    h.set("X-Key", "value");
    const hdrBytes = "NATS/1.0\r\nX-Key: value\r\n\r\n".length; // 26
    a.publish(subj, "hello"); // 5
    a.publish(subj, new Uint8Array(10)); // 10
    a.publish(subj, ""); // 0
    a.publish(subj, "é"); // 2 (UTF-8)
    a.publish(subj, "xyz", { headers: h }); // 3 + headers
    await a.flush();
    await until(() => sub.getReceived() === 5, "5 messages");
    await b.flush();
    const expectBytes = 5 + 10 + 0 + 2 + 3 + hdrBytes;
    assert.deepEqual(a.stats(), { inMsgs: 0, outMsgs: 5, inBytes: 0, outBytes: expectBytes, reconnects: 0 });
    assert.deepEqual(b.stats(), { inMsgs: 5, outMsgs: 0, inBytes: expectBytes, outBytes: 0, reconnects: 0 });
    // stats() is a snapshot
    const snap = a.stats();
    a.publish(subj, "1");
    assert.equal(snap.outMsgs, 5);
    assert.equal(a.stats().outMsgs, 6);
    assert.equal(a.stats().outBytes, expectBytes + 1);
  });

  it("exposes the server's info and host:port", async () => {
    await using nc = await connect({ servers: srv.url });
    assert.ok(nc.info);
    assert.equal(typeof nc.info.server_id, "string");
    assert.ok(nc.info.server_id.length > 0);
    assert.equal(nc.info.max_payload, 1024 * 1024);
    assert.equal(nc.getServer(), srv.server.hostport);
    assert.equal(nc.getServer(), `127.0.0.1:${srv.server.port}`);
  });

  it("close() closes: state flags, closed() resolves undefined, later use throws CONNECTION_CLOSED", async () => {
    const nc = await connect({ servers: srv.url });
    assert.equal(nc.isConnected(), true);
    assert.equal(nc.isClosed(), false);
    assert.equal(nc.isDraining(), false);
    const closed = nc.closed();
    assert.equal(await settlesWithin(closed, 50), false, "closed() waits for the close");
    await nc.close();
    assert.equal(await closed, undefined);
    assert.equal(await nc.closed(), undefined);
    assert.equal(nc.isConnected(), false);
    assert.equal(nc.isClosed(), true);
    assert.equal(nc.isDraining(), false);
    await nc.close(); // idempotent

    const isClosedErr = (e: unknown) => e instanceof ConnectionClosedError && e instanceof NatsError && e.code === "CONNECTION_CLOSED";
    assert.throws(() => nc.publish("a.b", "x"), isClosedErr);
    assert.throws(() => nc.subscribe("a.b"), isClosedErr);
    await assert.rejects(nc.flush(), isClosedErr);
  });

  it("close() flushes what was published just before it", async () => {
    await using obs = await connect({ servers: srv.url });
    const nc = await connect({ servers: srv.url });
    const subj = createInbox("closeflush");
    const sub = obs.subscribe(subj);
    await obs.flush();
    for (let i = 0; i < 100; i++) nc.publish(subj, String(i));
    await nc.close();
    await until(() => sub.getReceived() === 100, "100 messages published before close()");
  });

  it("await using closes the connection at the end of the block", async () => {
    let ref: NatsConnection | undefined;
    {
      await using nc = await connect({ servers: srv.url });
      ref = nc;
      assert.equal(nc.isConnected(), true);
    }
    assert.ok(ref);
    assert.equal(ref.isClosed(), true);
    assert.equal(await ref.closed(), undefined);
  });

  it("closed() resolves with the error when the server goes away and reconnect is off", async () => {
    const own = await NatsServer.start();
    const nc = await connect({ servers: own.url, reconnect: false });
    const events = recordStatus(nc);
    await own.stop();
    const err = await nc.closed();
    assert.ok(err instanceof Error, `closed() should report the cause, got ${String(err)}`);
    assert.equal(nc.isClosed(), true);
    const close = events.find((s) => s.type === "close");
    assert.ok(close && close.type === "close" && close.error === err);
    assert.ok(events.some((s) => s.type === "disconnect"));
  });
});

describe("status events", () => {
  const srv = useServer();

  it("on('close') fires exactly once, without an error, for a normal close", async () => {
    const nc = await connect({ servers: srv.url });
    const seen: Status[] = [];
    nc.on("close", (s) => seen.push(s));
    const all = recordStatus(nc);
    await Promise.all([nc.close(), nc.close()]);
    await nc.close();
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.type, "close");
    assert.equal((seen[0] as { error?: Error }).error, undefined);
    assert.deepEqual(
      all.map((s) => s.type),
      ["close"],
    );
  });

  it("status() yields {type: 'close'} and then ends", async () => {
    const nc = await connect({ servers: srv.url });
    const it = nc.status();
    const types: string[] = [];
    const done = (async () => {
      for await (const s of it) types.push(s.type);
    })();
    await nc.close();
    assert.equal(await settlesWithin(done, 2_000), true, "status() iterator ends after close");
    assert.deepEqual(types, ["close"]);
    // an iterator asked for after the close ends at once
    const late: string[] = [];
    const lateDone = (async () => {
      for await (const s of nc.status()) late.push(s.type);
    })();
    assert.equal(await settlesWithin(lateDone, 1_000), true, "status() after close must not hang");
  });

  it("on() returns an off function that stops that listener only", async () => {
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("off");
    let a = 0;
    let b = 0;
    const offA = nc.on("error", () => a++);
    nc.on("error", () => b++);
    let n = 0;
    nc.subscribe(subj, {
      callback: () => {
        n++;
        throw new Error(`boom ${n}`);
      },
    });
    await nc.flush();
    nc.publish(subj, "1");
    await nc.flush();
    await until(() => n === 1, "first message");
    offA();
    offA(); // calling it twice is harmless
    nc.publish(subj, "2");
    await nc.flush();
    await until(() => n === 2, "second message");
    assert.equal(a, 1);
    assert.equal(b, 2);
  });

  it("an exception in a subscription callback becomes an error status and delivery goes on", async () => {
    await using nc = await connect({ servers: srv.url });
    const subj = createInbox("throw");
    const errors: Status[] = [];
    nc.on("error", (s) => errors.push(s));
    const it = nc.status();
    const fromIterator: Status[] = [];
    const collecting = (async () => {
      for await (const s of it) fromIterator.push(s);
    })();
    const boom = new Error("callback failed");
    const seen: string[] = [];
    const sub = nc.subscribe(subj, {
      callback: (_e, m) => {
        seen.push(m.string());
        if (m.string() === "2") throw boom;
      },
    });
    await nc.flush();
    for (let i = 1; i <= 5; i++) nc.publish(subj, String(i));
    await nc.flush();
    await until(() => seen.length === 5, "5 messages");
    assert.deepEqual(seen, ["1", "2", "3", "4", "5"]);
    assert.equal(errors.length, 1);
    const e = errors[0]!;
    assert.equal(e.type, "error");
    assert.ok(e.type === "error" && e.error === boom);
    assert.equal(sub.getProcessed(), 5);
    assert.equal(sub.isClosed(), false);
    assert.equal(nc.isConnected(), true);

    // a thrown non-Error is reported as an Error too
    const sub2 = nc.subscribe(`${subj}.str`, {
      callback: () => {
        throw "plain string";
      },
    });
    await nc.flush();
    nc.publish(`${subj}.str`, "x");
    await nc.flush();
    await until(() => errors.length === 2, "second error");
    const e2 = errors[1]!;
    assert.ok(e2.type === "error" && e2.error instanceof Error);
    sub2.unsubscribe();

    await nc.close();
    await collecting;
    assert.deepEqual(
      fromIterator.map((s) => s.type),
      ["error", "error", "close"],
    );
  });

  it("a listener that throws does not break the connection or other listeners", async () => {
    const nc = await connect({ servers: srv.url });
    const subj = createInbox("badlistener");
    let other = 0;
    nc.on("error", () => {
      throw new Error("listener failed");
    });
    nc.on("error", () => other++);
    let n = 0;
    nc.subscribe(subj, {
      callback: () => {
        n++;
        throw new Error("cb");
      },
    });
    await nc.flush();
    nc.publish(subj, "1");
    nc.publish(subj, "2");
    await nc.flush();
    await until(() => n === 2, "2 messages");
    assert.equal(other, 2);
    assert.equal(nc.isConnected(), true);
    await nc.close();
  });
});
