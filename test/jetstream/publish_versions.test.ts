// Publishing features beyond a server's release are refused before anything is sent, with
// FEATURE_NOT_SUPPORTED naming the feature and the version it needs: on "oldest" (2.9.10) the
// 2.11+ ones, on "mid" (2.11.x) the 2.12+ and 2.14+ ones (which 2.11 would silently ignore).
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect, type NatsConnection } from "../../src/index.js";
import { FeatureNotSupportedError, jetstream, jetstreamManager } from "../../src/jetstream/index.js";
import { NatsServer, type ServerRole } from "../support/server.js";

function refused(e: unknown, needs: string): boolean {
  return e instanceof FeatureNotSupportedError && e.code === "FEATURE_NOT_SUPPORTED" && e.requires === needs;
}

for (const role of ["oldest", "mid"] as ServerRole[]) {
  describe(`publishing on nats-server "${role}"`, () => {
    let server: NatsServer;
    let nc: NatsConnection;
    before(async () => {
      server = await NatsServer.start({ version: role, jetstream: true });
      nc = await connect({ servers: server.url });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "V", subjects: ["v.>"] });
    });
    after(async () => {
      await nc?.close();
      await server?.stop();
    });

    it("atomic batches, counters and schedules (2.12+) are refused before sending", async () => {
      const js = jetstream(nc);
      const sent = nc.stats().outMsgs;
      assert.throws(() => js.batch(), (e: unknown) => refused(e, "2.12.0"));
      assert.throws(() => js.counters("V"), (e: unknown) => refused(e, "2.12.0"));
      await assert.rejects(js.publish("v.s", "x", { schedule: { at: new Date(), target: "v.t" } }), (e: unknown) => refused(e, "2.12.0"));
      assert.throws(() => js.publishAsync("v.s", "x", { schedule: { every: 5000, target: "v.t" } }), (e: unknown) => refused(e, "2.12.0"));
      assert.equal(nc.stats().outMsgs, sent, "nothing was sent");
    });

    it("per-message TTL and lastSubjectSequenceSubject work from 2.11 and are refused before", async () => {
      const js = jetstream(nc);
      if (server.atLeast("2.11.0")) {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({ name: "VT", subjects: ["vt.>"], allow_msg_ttl: true });
        const ack = await js.publish("vt.a", "x", { ttl: 60_000 });
        assert.equal((await jsm.streams.getMessage("VT", { seq: ack.seq }))?.headers?.get("Nats-TTL"), "60s");
        await js.publish("vt.b", "y", { expect: { lastSubjectSequence: ack.seq, lastSubjectSequenceSubject: "vt.*" } });
      } else {
        const sent = nc.stats().outMsgs;
        await assert.rejects(js.publish("v.a", "x", { ttl: 60_000 }), (e: unknown) => refused(e, "2.11.0"));
        await assert.rejects(js.publish("v.a", "x", { expect: { lastSubjectSequence: 1, lastSubjectSequenceSubject: "v.*" } }), (e: unknown) => refused(e, "2.11.0"));
        assert.equal(nc.stats().outMsgs, sent);
      }
    });

    it("plain publishing, dedupe and async still work", async () => {
      const js = jetstream(nc);
      const a = await js.publish("v.p", "1", { msgID: "one" });
      assert.equal((await js.publish("v.p", "1", { msgID: "one" })).duplicate, true);
      const acks = await Promise.all(Array.from({ length: 100 }, (_, i) => js.publishAsync("v.p", String(i))));
      assert.equal(acks[99]!.seq, a.seq + 100);
    });
  });
}
