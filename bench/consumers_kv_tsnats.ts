// tsnats' consumers (tsnats/jetstream) and Key-Value (tsnats/kv) behind adapter_js.ts.
import type { connect } from "../src/index.js";
import { jetstream, jetstreamManager, type OrderedConsumer, type PullConsumer } from "../src/jetstream/index.js";
import { Kvm } from "../src/kv/index.js";
import type { BenchConsumer, BenchConsumers, BenchKvm } from "./adapter_js.js";

type Connection = Awaited<ReturnType<typeof connect>>;

/** `consume({ max_messages, callback })` and `fetch({ max_messages })`, as the README shows them. */
function wrap(c: PullConsumer | OrderedConsumer): BenchConsumer {
  return {
    async consume(maxMessages, onMsg) {
      const msgs = await c.consume({ max_messages: maxMessages, callback: onMsg });
      return { stop: () => msgs.stop() };
    },
    fetch: (batch) => c.fetch({ max_messages: batch }),
  };
}

/** `jsm.consumers.add/info`; `js.consumers.get(stream, name)`, and `js.consumers.get(stream)` for an ordered consumer. */
export async function tsnatsConsumers(nc: Connection): Promise<BenchConsumers> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  return {
    async add(stream, name, ack) {
      await jsm.consumers.add(stream, { durable_name: name, ack_policy: ack, deliver_policy: "all" });
    },
    get: async (stream, name) => wrap(await js.consumers.get(stream, name)),
    ordered: async (stream) => wrap(await js.consumers.get(stream)),
    async state(stream, name) {
      const i = await jsm.consumers.info(stream, name);
      return { delivered: i.delivered.stream_seq, ackFloor: i.ack_floor.stream_seq, pending: i.num_pending };
    },
  };
}

/** `new Kvm(nc)`: `create(name, { storage, allow_direct, history: 1 })`, `put`, `get`, `watch()` iterated. */
export function tsnatsKvm(nc: Connection): BenchKvm {
  const kvm = new Kvm(nc);
  return {
    async create(cfg) {
      const b = await kvm.create(cfg.name, { storage: cfg.storage, allow_direct: cfg.direct, history: 1 });
      return {
        async put(key, value) {
          await b.put(key, value);
        },
        get: async (key) => (await b.get(key))?.value ?? null,
        async watch() {
          const w = b.watch();
          return { entries: w, stop: () => w.stop() };
        },
      };
    },
    async delete(name) {
      await kvm.delete(name);
    },
  };
}
