// The second half of `npm run demo`: JetStream, Key-Value, the Object Store and a service, each a
// short scene against the same server. Everything it creates is removed at the end of its scene.
import { nuid, type NatsConnection } from "../src/index.js";
import { jetstream, jetstreamManager, JetStreamNotEnabledError } from "../src/jetstream/index.js";
import { Kvm } from "../src/kv/index.js";
import { Objm } from "../src/obj/node.js";
import { Svcm } from "../src/services/index.js";

const say = (s: string) => console.log(s);
const title = (s: string) => console.log(`\n\x1b[1m== ${s}\x1b[0m`);

async function streams(nc: NatsConnection, tag: string): Promise<void> {
  title("JetStream: a stream, acknowledged publishes, a pull consumer");
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const name = `DEMO_${tag}`;
  await jsm.streams.add({ name, subjects: [`demo.${tag}.orders.>`], storage: "memory" });
  try {
    const ack = await js.publish(`demo.${tag}.orders.new`, "order #1", { msgID: "order-1" });
    const dup = await js.publish(`demo.${tag}.orders.new`, "order #1", { msgID: "order-1" });
    say(`  publish -> stream ${ack.stream} seq ${ack.seq}; the same msgID again -> duplicate: ${dup.duplicate}`);
    for (let i = 2; i <= 50; i++) void js.publishAsync(`demo.${tag}.orders.new`, `order #${i}`);
    await js.publishAsyncComplete();
    say(`  49 more with publishAsync: the stream holds ${(await jsm.streams.info(name)).state.messages} messages`);
    await jsm.consumers.add(name, { durable_name: "billing", ack_policy: "explicit" });
    const c = await js.consumers.get(name, "billing");
    let n = 0;
    const msgs = await c.consume({ max_messages: 20 });
    for await (const m of msgs) {
      await m.ackAck(); // the ack, confirmed by the server (m.ack() does not wait)
      if (++n === 50) break;
    }
    const ci = await jsm.consumers.info(name, "billing");
    say(`  consumer 'billing' took ${n} and acked them: ack floor ${ci.ack_floor.stream_seq}, pending ${ci.num_pending}`);
  } finally {
    await jsm.streams.delete(name);
  }
}

async function keyValue(nc: NatsConnection, tag: string): Promise<void> {
  title("Key-Value: put, get, compare-and-set, watch");
  const kvm = new Kvm(nc);
  const kv = await kvm.create(`demo_${tag}`, { history: 5 });
  try {
    const w = kv.watch({ key: "color.>" });
    const seen: string[] = [];
    const watching = (async () => {
      for await (const e of w) {
        seen.push(`${e.operation} ${e.key}=${e.operation === "PUT" ? e.string() : ""}`);
        if (e.operation === "DEL") break;
      }
    })();
    await w.initialized;
    const rev = await kv.put("color.sky", "blue");
    await kv.update("color.sky", "grey", rev);
    const stale = await kv.update("color.sky", "green", rev).catch((err: Error & { code?: string }) => err.code);
    say(`  get color.sky -> ${(await kv.get("color.sky"))?.string()}; an update from revision ${rev} again -> ${stale}`);
    await kv.delete("color.sky");
    await watching;
    say(`  the watcher saw: ${seen.join(", ")}`);
  } finally {
    await kvm.delete(`demo_${tag}`);
  }
}

async function objects(nc: NatsConnection, tag: string): Promise<void> {
  title("Object Store: a 5 MiB object in 128 KiB chunks, digest checked on the way back");
  const objm = new Objm(nc);
  const os = await objm.create(`demo_${tag}`);
  try {
    const data = new Uint8Array(5 * 1024 * 1024).map((_, i) => (i * 7) & 255);
    const info = await os.putBlob({ name: "reports/2026.bin" }, data);
    say(`  put ${info.name}: ${info.size} bytes, ${info.chunks} chunks, ${info.digest}`);
    const back = await os.getBlob("reports/2026.bin");
    const same = back !== null && back.length === data.length && back.every((b, i) => b === data[i]);
    say(`  got it back: ${back?.length} bytes, identical: ${same}`);
  } finally {
    await objm.delete(`demo_${tag}`);
  }
}

async function service(nc: NatsConnection, client: NatsConnection): Promise<void> {
  title("Services: an 'adder' service, called and discovered");
  const srv = await new Svcm(nc).add({ name: "adder", version: "1.0.0", description: "adds numbers" });
  srv.addGroup("math").addEndpoint("add", {
    handler: (_err, m) => {
      const { a, b } = m.json<{ a: number; b: number }>();
      m.respondJson({ sum: a + b });
    },
  });
  try {
    await nc.flush(); // the endpoint's subscription is at the server before another connection calls it
    const r = await client.request("math.add", JSON.stringify({ a: 2, b: 3 }));
    say(`  math.add {a:2,b:3} -> ${r.string()}`);
    for await (const info of new Svcm(client).client().info("adder")) {
      say(`  discovered ${info.name} ${info.version} (${info.id}): endpoints ${info.endpoints.map((e) => e.subject).join(", ")}`);
    }
  } finally {
    await srv.stop();
  }
}

/** Runs the module scenes; JetStream ones are skipped (said so) on a server without JetStream. */
export async function modules(nc: NatsConnection, other: NatsConnection): Promise<void> {
  const tag = nuid.next().slice(-8);
  try {
    await streams(nc, tag);
    await keyValue(nc, tag);
    await objects(nc, tag);
  } catch (err) {
    if (!(err instanceof JetStreamNotEnabledError)) throw err;
    say(`\n(JetStream is not enabled on this server: the JetStream, Key-Value and Object Store scenes are skipped)`);
  }
  await service(nc, other);
}
