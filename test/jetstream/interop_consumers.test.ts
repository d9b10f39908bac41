// Consumer interop with the official clients, against a real nats-server (current): a durable pull
// consumer created by one client is consumed and acknowledged by another, and the server's view of
// the acknowledgements (ack floor, ack pending, redeliveries) is the same whoever acked.
//
//   nats.js: @nats-io/transport-node + @nats-io/jetstream (v3, devDependencies), in this process.
//   nats.go: test/go (jsinterop addconsumer / fetchack), built by test/support/go_client.ts. When Go
//            is missing, the cases that need it fail saying why (never skipped).
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { AckPolicy, type JetStreamClient as NatsJsJetStreamClient, type JetStreamManager as NatsJsJetStreamManager } from "@nats-io/jetstream";
import { type ConsumerInfo, type JetStreamClient, type JetStreamManager } from "../../src/jetstream/index.js";
import { goInterop } from "../support/go_client.js";
import { useInteropClients } from "./interop_fixture.js";
import { uniq, userMeta } from "./helpers.js";

const COUNT = 10;

describe("consumer interop with nats.js and nats.go", () => {
  const clients = useInteropClients("interop-natsjs-consumers");
  const srv = clients.srv;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let njs: NatsJsJetStreamClient;
  let njsm: NatsJsJetStreamManager;
  before(() => {
    ({ js, jsm, njs, njsm } = clients);
  });

  /** A stream with COUNT messages `<name>.m` carrying "0".."COUNT-1". */
  async function filled(): Promise<string> {
    const name = uniq("CI");
    await jsm.streams.add({ name, subjects: [`${name}.>`], storage: "memory" });
    for (let i = 0; i < COUNT; i++) await js.publish(`${name}.m`, String(i));
    return name;
  }

  /** Every message acknowledged, as the server sees it. */
  function assertAllAcked(ci: ConsumerInfo | { ack_floor: { stream_seq: number }; num_ack_pending: number; num_pending: number; num_redelivered: number; delivered: { stream_seq: number } }, who: string): void {
    assert.equal(ci.delivered.stream_seq, COUNT, `${who}: delivered`);
    assert.equal(ci.ack_floor.stream_seq, COUNT, `${who}: ack floor`);
    assert.equal(ci.num_ack_pending, 0, `${who}: ack pending`);
    assert.equal(ci.num_pending, 0, `${who}: pending`);
    assert.equal(ci.num_redelivered, 0, `${who}: redelivered`);
  }

  /** tsnats fetches COUNT messages from `consumer` and confirms each ack with ackAck(). */
  async function tsnatsConsumes(stream: string, consumer: string): Promise<string[]> {
    const c = await js.consumers.get(stream, consumer);
    const got: string[] = [];
    while (got.length < COUNT) {
      const batch = await c.fetch({ max_messages: COUNT - got.length, expires: 5_000 });
      let n = 0;
      for await (const m of batch) {
        n++;
        got.push(m.string());
        assert.equal(m.info.stream, stream);
        assert.equal(m.info.consumer, consumer);
        assert.equal(await m.ackAck(), true);
      }
      assert.ok(n > 0, `fetch from ${stream}/${consumer} returned nothing after ${got.length}`);
    }
    return got;
  }

  const expected = Array.from({ length: COUNT }, (_, i) => String(i));

  it("a consumer nats.js created: tsnats consumes and acks it; nats.js sees every ack", async () => {
    const stream = await filled();
    await njsm.consumers.add(stream, { durable_name: "byjs", ack_policy: AckPolicy.Explicit, metadata: { "created-by": "nats.js" } });
    const ci = await jsm.consumers.info(stream, "byjs");
    assert.equal(ci.config.ack_policy, "explicit");
    assert.deepEqual(userMeta(ci.config.metadata), { "created-by": "nats.js" });
    assert.deepEqual(await tsnatsConsumes(stream, "byjs"), expected);
    assertAllAcked(await njsm.consumers.info(stream, "byjs"), "nats.js");
  });

  it("a consumer tsnats created: nats.js consumes and acks it; tsnats sees every ack", async () => {
    const stream = await filled();
    await jsm.consumers.add(stream, { durable_name: "byts", ack_policy: "explicit", ack_wait: 30_000 });
    const c = await njs.consumers.get(stream, "byts");
    const got: string[] = [];
    while (got.length < COUNT) {
      const batch = await c.fetch({ max_messages: COUNT - got.length, expires: 5_000 });
      let n = 0;
      for await (const m of batch) {
        n++;
        got.push(m.string());
        assert.equal(await m.ackAck(), true);
      }
      assert.ok(n > 0, "nats.js fetch returned nothing");
    }
    assert.deepEqual(got, expected);
    const ci = await jsm.consumers.info(stream, "byts");
    assertAllAcked(ci, "tsnats");
    assert.equal(ci.config.ack_wait, 30_000);
  });

  it("a consumer nats.go created: tsnats consumes and acks it; the server sees every ack", async () => {
    const go = await goInterop();
    const stream = await filled();
    assert.deepEqual(await go.addConsumer(srv.url, stream, "bygo"), { name: "bygo", ack_policy: "AckExplicit" });
    const ci = await jsm.consumers.info(stream, "bygo");
    assert.equal(ci.config.ack_policy, "explicit");
    assert.equal(ci.config.ack_wait, 30_000);
    assert.deepEqual(userMeta(ci.config.metadata), { "created-by": "nats.go" });
    assert.deepEqual(await tsnatsConsumes(stream, "bygo"), expected);
    assertAllAcked(await jsm.consumers.info(stream, "bygo"), "tsnats");
  });

  it("a consumer tsnats created: nats.go fetches and double-acks it; tsnats sees every ack", async () => {
    const go = await goInterop();
    const stream = await filled();
    await jsm.consumers.add(stream, { durable_name: "forgo", ack_policy: "explicit" });
    const msgs = await go.fetchAck(srv.url, stream, "forgo", COUNT);
    assert.deepEqual(
      msgs.map((m) => Buffer.from(m.data_b64, "base64").toString()),
      expected,
    );
    assert.deepEqual(msgs.map((m) => m.seq), Array.from({ length: COUNT }, (_, i) => i + 1));
    assert.ok(msgs.every((m) => m.delivered === 1 && m.subject === `${stream}.m`));
    assertAllAcked(await jsm.consumers.info(stream, "forgo"), "tsnats");
  });

  it("one consumer, two clients: what tsnats naks is redelivered to nats.js, which acks it", async () => {
    const stream = await filled();
    await jsm.consumers.add(stream, { durable_name: "shared", ack_policy: "explicit", ack_wait: 30_000 });
    // tsnats takes all ten, acks the even ones and naks the odd ones
    const c = await js.consumers.get(stream, "shared");
    const batch = await c.fetch({ max_messages: COUNT, expires: 5_000 });
    for await (const m of batch) {
      if (Number(m.string()) % 2 === 0) assert.equal(await m.ackAck(), true);
      else m.nak();
    }
    // nats.js gets the odd ones again, as redeliveries
    const jc = await njs.consumers.get(stream, "shared");
    const again: [string, number][] = [];
    while (again.length < COUNT / 2) {
      const b = await jc.fetch({ max_messages: COUNT / 2 - again.length, expires: 5_000 });
      let n = 0;
      for await (const m of b) {
        n++;
        again.push([m.string(), m.info.deliveryCount]);
        assert.equal(await m.ackAck(), true);
      }
      assert.ok(n > 0, "nats.js got no redeliveries");
    }
    assert.deepEqual(again, ["1", "3", "5", "7", "9"].map((v) => [v, 2]));
    const ci = await jsm.consumers.info(stream, "shared");
    assert.equal(ci.ack_floor.stream_seq, COUNT);
    assert.equal(ci.num_ack_pending, 0);
    assert.equal(ci.num_redelivered, 0, "nothing left awaiting redelivery");
  });
});
