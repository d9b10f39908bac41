// A runnable JetStream tour: `node build/examples/jetstream.js` with $NATS_URL pointing at a
// nats-server with JetStream (`nats-server -js`). Creates a stream, publishes (awaited, async,
// an atomic batch when the server has them), reads back, and cleans up.
import { connect } from "../src/index.js";
import { jetstream, jetstreamManager, FeatureNotSupportedError } from "../src/jetstream/index.js";

const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const nc = await connect({ servers: url });
const jsm = await jetstreamManager(nc);
const { api } = await jsm.getAccountInfo();
console.log(`connected to nats-server ${nc.info?.version} (JetStream API level ${api.level})`);

const stream = `TOUR_${Date.now()}`;
await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: "memory", allow_direct: true });
const js = jetstream(nc, { maxPending: 64 });

const first = await js.publish(`${stream}.greeting`, "hello", { msgID: "greeting-1" });
const again = await js.publish(`${stream}.greeting`, "hello", { msgID: "greeting-1" });
console.log(`published seq ${first.seq}; the same msgID again is a duplicate: ${again.duplicate}`);

const acks = [];
for (let i = 0; i < 100; i++) {
  await js.publishAsyncReady();
  acks.push(js.publishAsync(`${stream}.events`, JSON.stringify({ n: i })));
}
await js.publishAsyncComplete({ timeout: 10_000 });
const stored = (await Promise.all(acks)).length;
console.log(`async: stored ${stored} of 100`);

const last = await jsm.streams.getMessage(stream, { last_by_subj: `${stream}.events` });
console.log(`last event: seq ${last?.seq} ${last?.string()} at ${last?.time.toISOString()}`);

try {
  await jsm.streams.update(stream, { allow_atomic: true });
  const b = js.batch();
  b.add(`${stream}.batch`, "one");
  const ack = await b.commit(`${stream}.batch`, "two");
  console.log(`atomic batch ${ack.batch}: ${ack.count} messages stored together`);
} catch (err) {
  if (err instanceof FeatureNotSupportedError) console.log(`atomic batches: ${err.message}`);
  else throw err;
}

await jsm.streams.delete(stream);
await nc.close();
