// nats.js v3 (@nats-io/transport-node; JetStream: @nats-io/jetstream) behind the bench adapter.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient, JetStreamManager, StorageType } from "@nats-io/jetstream";
import type {
  BenchAsyncPublisher, BenchConn, BenchJetStream, BenchMsg, BenchStreamConfig, BenchSub, ClientModule, SubscribeOptions,
} from "./adapter.js";
import type { BenchConsumers, BenchKvm } from "./adapter_js.js";
import { natsJsConsumers, natsJsKvm } from "./consumers_kv_natsjs.js";
import type { BenchObjm } from "./adapter_obj.js";
import { natsJsObjm } from "./obj_natsjs.js";
import { describe } from "./util.js";

const require = createRequire(import.meta.url);

/** The version in a package's package.json (found from its main file), or undefined when it is not installed. */
function installedVersion(name: string): string | undefined {
  try {
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 3; i++, dir = dirname(dir)) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
        if (pkg.name === name) return pkg.version ?? "unknown";
      } catch {
        // not at this level
      }
    }
    return "unknown";
  } catch {
    return undefined;
  }
}

const JETSTREAM_VERSION = installedVersion("@nats-io/jetstream");

/**
 * @nats-io/jetstream: `js.publish`, `js.startBatch()`; `jsm.streams`. nats.js has no async publish
 * with a window (its `publish()` is already a promise): `asyncPublisher` emulates one with a
 * semaphore of `window` outstanding `publish()` promises, the producer waiting while it is full.
 */
class NatsJsJetStream implements BenchJetStream {
  constructor(private readonly js: JetStreamClient, private readonly jsm: JetStreamManager) {}

  async addStream(cfg: BenchStreamConfig): Promise<void> {
    await this.jsm.streams.add({
      name: cfg.name, subjects: [cfg.subject], storage: cfg.storage as StorageType, num_replicas: 1,
      ...(cfg.allowAtomic ? { allow_atomic: true } : {}),
    });
  }

  async deleteStream(name: string): Promise<void> {
    await this.jsm.streams.delete(name);
  }

  async streamMessages(name: string): Promise<number> {
    return (await this.jsm.streams.info(name)).state.messages;
  }

  async publish(subject: string, data: Uint8Array): Promise<void> {
    await this.js.publish(subject, data);
  }

  asyncPublisher(window: number): BenchAsyncPublisher {
    const js = this.js;
    let inflight = 0;
    let acks = 0;
    let errors = 0;
    let firstError: string | undefined;
    let wake: (() => void) | undefined;
    let idle: (() => void) | undefined;
    const settled = () => {
      inflight--;
      const w = wake;
      wake = undefined;
      w?.();
      if (inflight === 0) {
        const i = idle;
        idle = undefined;
        i?.();
      }
    };
    const onAck = () => { acks++; settled(); };
    const onError = (err: unknown) => {
      errors++;
      firstError ??= describe(err);
      settled();
    };
    return {
      ready: () => (inflight >= window ? new Promise<void>((r) => { wake = r; }) : null),
      publish: (subject, data) => {
        inflight++;
        js.publish(subject, data).then(onAck, onError);
      },
      complete: () => (inflight === 0 ? Promise.resolve() : new Promise<void>((r) => { idle = r; })),
      counts: () => ({ acks, errors, ...(firstError ? { firstError } : {}) }),
    };
  }

  async batch(subject: string, data: Uint8Array, size: number): Promise<void> {
    // startBatch publishes the first message as a request and resolves once the server took it.
    const b = await this.js.startBatch(subject, data);
    for (let i = 2; i < size; i++) b.add(subject, data);
    const ack = await b.commit(subject, data);
    if (ack.count !== size) throw new Error(`batch ack counts ${ack.count} messages, expected ${size}`);
  }
}

class NatsJsConn implements BenchConn {
  constructor(private readonly nc: NatsConnection) {}

  async jetstream(): Promise<BenchJetStream> {
    if (!JETSTREAM_VERSION) throw new Error("n/a: @nats-io/jetstream not installed");
    const mod = await import("@nats-io/jetstream");
    return new NatsJsJetStream(mod.jetstream(this.nc), await mod.jetstreamManager(this.nc));
  }

  async consumers(): Promise<BenchConsumers> {
    if (!JETSTREAM_VERSION) throw new Error("n/a: @nats-io/jetstream not installed");
    return natsJsConsumers(this.nc);
  }

  async kv(): Promise<BenchKvm> {
    if (!installedVersion("@nats-io/kv")) throw new Error("n/a: @nats-io/kv not installed");
    return natsJsKvm(this.nc);
  }

  async obj(): Promise<BenchObjm> {
    if (!installedVersion("@nats-io/obj")) throw new Error("n/a: @nats-io/obj not installed");
    return natsJsObjm(this.nc);
  }

  publish(subject: string, data: Uint8Array): void {
    this.nc.publish(subject, data);
  }

  subscribe(subject: string, onMsg: (msg: BenchMsg) => void, opts: SubscribeOptions = {}): BenchSub {
    const onError = opts.onError;
    // Only pass the options that are set: a strict client may reject unknown or undefined ones.
    // nats.js has no pending limits (its `slow` option only notifies): `opts.pending` is ignored.
    const sub = this.nc.subscribe(subject, {
      ...(opts.queue !== undefined ? { queue: opts.queue } : {}),
      ...(opts.max !== undefined ? { max: opts.max } : {}),
      callback: (err, msg) => {
        if (err) onError?.(err);
        else onMsg(msg);
      },
    });
    return {
      unsubscribe: () => sub.unsubscribe(),
      counters: () => ({ received: sub.getReceived(), processed: sub.getProcessed(), pending: sub.getPending() }),
    };
  }

  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const m = await this.nc.request(subject, data, { timeout: timeoutMs });
    return m.data;
  }

  flush(): Promise<void> {
    return this.nc.flush();
  }

  close(): Promise<void> {
    return this.nc.close();
  }

  async closed(): Promise<Error | undefined> {
    const r = await this.nc.closed();
    return r instanceof Error ? r : undefined;
  }

  serverVersion(): string | undefined {
    return this.nc.info?.version;
  }
}

export const client: ClientModule = {
  name: "nats.js",
  version: installedVersion("@nats-io/transport-node") ?? "unknown",
  pendingLimits: false,
  ...(JETSTREAM_VERSION
    ? { detail: `@nats-io/jetstream ${JETSTREAM_VERSION}` }
    : { jetstreamUnavailable: "n/a: @nats-io/jetstream not installed" }),
  connector: {
    async connect(url: string, name: string): Promise<BenchConn> {
      return new NatsJsConn(await connect({ servers: url, name, reconnect: false }));
    },
  },
};
