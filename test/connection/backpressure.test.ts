// Outbound backpressure over TCP against a real server that stops reading (SIGSTOP), and what
// happens to publishes a closed connection could not send.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { connect, type Status } from "../../src/index.js";
import { NatsServer } from "../support/server.js";
import { until } from "../support/helpers.js";

describe("backpressure", () => {
  it("keeps publishing while the socket is full, and delivers everything once the server reads again", async () => {
    const server = await NatsServer.start();
    const sub = await connect({ servers: server.url });
    const pub = await connect({ servers: server.url, pingInterval: 60_000 });
    try {
      const N = 20_000;
      const seen = new Uint8Array(N);
      let got = 0;
      sub.subscribe("bp", {
        callback: (_e, m) => {
          const i = new DataView(m.data.buffer, m.data.byteOffset).getUint32(0);
          if (!seen[i]) got++;
          seen[i] = 1;
        },
      });
      await sub.flush();
      process.kill(server.pid, "SIGSTOP");
      let maxBuffered = 0;
      const data = new Uint8Array(1024);
      for (let i = 0; i < N; i++) {
        new DataView(data.buffer).setUint32(0, i);
        pub.publish("bp", data);
        if (i % 1000 === 999) {
          await new Promise((r) => setImmediate(r));
          maxBuffered = Math.max(maxBuffered, pub.buffered());
        }
      }
      // the kernel buffers filled up: the rest waits in the client, not dropped
      assert.ok(maxBuffered > 0, "the client held bytes while the socket could not take them");
      assert.ok(pub.isConnected());
      process.kill(server.pid, "SIGCONT");
      await pub.flush({ timeout: 20_000 });
      await until(() => got === N, `all ${N} messages received`, 20_000);
      assert.equal(pub.buffered(), 0);
    } finally {
      try {
        process.kill(server.pid, "SIGCONT");
      } catch {
        // already gone
      }
      await pub.close();
      await sub.close();
      await server.stop();
    }
  });

  it("closing while disconnected reports the buffered publishes that were never sent", async () => {
    const server = await NatsServer.start();
    const nc = await connect({ servers: server.url, reconnectTimeWait: 50, maxReconnectAttempts: -1 });
    const events: Status[] = [];
    nc.on("*", (s) => events.push(s));
    await server.stop();
    await until(() => !nc.isConnected(), "the connection is lost", 10_000);
    nc.publish("lost.1", "a");
    nc.publish("lost.2", "b");
    assert.ok(nc.buffered() > 0);
    await nc.close();
    const err = events.find((e) => e.type === "error" && (e.error as { code?: string }).code === "UNSENT_MESSAGES");
    assert.ok(err, `an UNSENT_MESSAGES error event, got ${events.map((e) => e.type).join(",")}`);
    assert.match((err as { error: Error }).error.message, /\d+ bytes of buffered publishes/);
  });
});
