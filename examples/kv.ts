// A runnable Key-Value tour: `node build/examples/kv.js` with $NATS_URL pointing at a nats-server
// with JetStream (`nats-server -js`). Creates a bucket, writes, reads, watches, uses
// compare-and-set, a typed view, per-key TTLs (nats-server 2.11+), and cleans up.
import { connect, JSONCodec } from "../src/index.js";
import { FeatureNotSupportedError } from "../src/jetstream/index.js";
import { Kvm, KeyExistsError } from "../src/kv/index.js";

interface Settings {
  theme: string;
  fontSize: number;
}

const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const nc = await connect({ servers: url });
console.log(`connected to nats-server ${nc.info?.version}`);
const kvm = new Kvm(nc);
const bucket = `tour_${Date.now()}`;
const kv = await kvm.create(bucket, { history: 5, description: "the Key-Value tour" });

// a watcher started first sees every change below
const watcher = kv.watch({ key: "user.>" });
const watched = (async () => {
  const seen: string[] = [];
  for await (const e of watcher) {
    seen.push(`${e.operation} ${e.key}@${e.revision}`);
    if (e.key === "user.done") break;
  }
  return seen;
})();
await watcher.initialized;

const r1 = await kv.put("user.alice", "hello");
await kv.put("user.alice", "hello again");
console.log(`put revision ${r1}; now ${(await kv.get("user.alice"))?.string()}`);
console.log(`revision ${r1} still reads ${(await kv.get("user.alice", { revision: r1 }))?.string()}`);

// compare-and-set: only the writer that saw the last revision wins
const current = (await kv.get("user.alice"))!.revision;
await kv.update("user.alice", "cas winner", current);
await kv.update("user.alice", "cas loser", current).catch((err: Error & { code?: string }) => console.log(`stale update: ${err.code}`));

// create only when there is no value (deleted and purged keys count as none)
await kv.create("user.bob", "first").catch((err: unknown) => console.log(String(err)));
await kv.create("user.bob", "second").catch((err: unknown) => console.log(`create again: ${err instanceof KeyExistsError ? err.code : String(err)}`));
await kv.delete("user.bob");
console.log(`after delete: get is ${await kv.get("user.bob")}, create works again at revision ${await kv.create("user.bob", "third")}`);

const history = [];
for await (const e of kv.history({ key: "user.alice" })) history.push(e.string());
console.log(`history: ${history.length} revisions: ${history.join(" | ")}`);
const keys = [];
for await (const k of kv.keys("user.*")) keys.push(k);
console.log(`keys: ${keys.sort().join(", ")}`);

await kv.put("user.done", "");
console.log(`watched: ${(await watched).join(", ")}`);

// a typed view of another bucket
const settings = await kvm.create(`${bucket}_settings`, {}, { codec: JSONCodec<Settings>() });
await settings.put("alice", { theme: "dark", fontSize: 14 });
const s = await settings.get("alice");
console.log(`typed: alice uses the ${s?.value.theme} theme at ${s?.value.fontSize}px`);

// per-key TTL and limit markers need nats-server 2.11+
try {
  const sessions = await kvm.create(`${bucket}_sessions`, { markerTTL: 60_000 });
  const expiring = sessions.watch({ include: "updatesOnly" });
  await expiring.initialized;
  await sessions.create("token", "secret", { ttl: 1_000 });
  for await (const e of expiring) {
    if (e.operation !== "PUT") {
      console.log(`ttl: the key expired, watchers saw ${e.operation} (${e.markerReason})`);
      break;
    }
  }
  await kvm.delete(`${bucket}_sessions`);
} catch (err) {
  if (err instanceof FeatureNotSupportedError) console.log(`ttl: ${err.message}`);
  else throw err;
}

const st = await kv.status();
console.log(`status: ${st.values} values, history ${st.history}, ${st.bytes} bytes`);
await kvm.delete(`${bucket}_settings`);
await kv.destroy();
await nc.close();
