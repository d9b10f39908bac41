// nats.js v3's consumers (@nats-io/jetstream) and Key-Value (@nats-io/kv) behind adapter_js.ts.
// Both packages are imported when first used: without them the cases fail saying so.
import type { NatsConnection } from "@nats-io/transport-node";
import type { AckPolicy, Consumer, StorageType } from "@nats-io/jetstream";
import type { BenchConsumer, BenchConsumers, BenchKvm } from "./adapter_js.js";

/** `consume({ max_messages, callback })` and `fetch({ max_messages })`. */
function wrap(c: Consumer): BenchConsumer {
  return {
    async consume(maxMessages, onMsg) {
      const msgs = await c.consume({ max_messages: maxMessages, callback: onMsg });
      return { stop: async () => { msgs.stop(); await msgs.closed(); } };
    },
    fetch: (batch) => c.fetch({ max_messages: batch }),
  };
}

/** `jsm.consumers.add/info`; `js.consumers.get(stream, name)`, and `js.consumers.get(stream)` for an ordered consumer. */
export async function natsJsConsumers(nc: NatsConnection): Promise<BenchConsumers> {
  const mod = await import("@nats-io/jetstream");
  const jsm = await mod.jetstreamManager(nc);
  const js = mod.jetstream(nc);
  return {
    async add(stream, name, ack) {
      await jsm.consumers.add(stream, { durable_name: name, ack_policy: ack as AckPolicy, deliver_policy: mod.DeliverPolicy.All });
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
export async function natsJsKvm(nc: NatsConnection): Promise<BenchKvm> {
  const { Kvm } = await import("@nats-io/kv");
  const { jetstreamManager } = await import("@nats-io/jetstream");
  const kvm = new Kvm(nc);
  const jsm = await jetstreamManager(nc);
  return {
    async create(cfg) {
      const kv = await kvm.create(cfg.name, { storage: cfg.storage as StorageType, allow_direct: cfg.direct, history: 1 });
      return {
        async put(key, value) {
          await kv.put(key, value);
        },
        get: async (key) => (await kv.get(key))?.value ?? null,
        async watch() {
          const w = await kv.watch();
          return { entries: w, stop: () => w.stop() };
        },
      };
    },
    async delete(name) {
      // nats.js' Kvm has no delete: the bucket is its stream.
      await jsm.streams.delete(`KV_${name}`);
    },
  };
}
