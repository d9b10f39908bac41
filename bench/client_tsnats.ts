// tsnats (this repository's src/) behind the bench adapter.
import { readFileSync } from "node:fs";
import { connect, type ConnectionOptions } from "../src/index.js";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "../src/jetstream/index.js";
import type {
  BenchAsyncPublisher, BenchConn, BenchJetStream, BenchMsg, BenchStreamConfig, BenchSub, ClientModule, SubscribeOptions,
} from "./adapter.js";
import type { BenchConsumers, BenchKvm } from "./adapter_js.js";
import { tsnatsConsumers, tsnatsKvm } from "./consumers_kv_tsnats.js";
import type { BenchObjm } from "./adapter_obj.js";
import { tsnatsObjm } from "./obj_tsnats.js";
import { describe } from "./util.js";

type Connection = Awaited<ReturnType<typeof connect>>;

function packageVersion(): string {
  for (const rel of ["../../package.json", "../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as { name?: string; version?: string };
      if (pkg.name === "tsnats") return pkg.version ?? "unknown";
    } catch {
      // try the next candidate
    }
  }
  return "unknown";
}

/** tsnats/jetstream: `js.publish`, `js.publishAsync` with `maxPending`, `js.batch()`; `jsm.streams`. */
class TsnatsJetStream implements BenchJetStream {
  private readonly js: JetStreamClient;

  constructor(private readonly nc: Connection, private readonly jsm: JetStreamManager) {
    this.js = jetstream(nc);
  }

  async addStream(cfg: BenchStreamConfig): Promise<void> {
    await this.jsm.streams.add({
      name: cfg.name, subjects: [cfg.subject], storage: cfg.storage, num_replicas: 1,
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
    const js = jetstream(this.nc, { maxPending: window });
    let acks = 0;
    let errors = 0;
    let firstError: string | undefined;
    const onAck = () => { acks++; };
    const onError = (err: unknown) => {
      errors++;
      firstError ??= describe(err);
    };
    return {
      ready: () => (js.publishAsyncPending() >= window ? js.publishAsyncReady() : null),
      publish: (subject, data) => { js.publishAsync(subject, data).then(onAck, onError); },
      complete: () => js.publishAsyncComplete(),
      counts: () => ({ acks, errors, ...(firstError ? { firstError } : {}) }),
    };
  }

  async batch(subject: string, data: Uint8Array, size: number): Promise<void> {
    const b = this.js.batch();
    for (let i = 1; i < size; i++) b.add(subject, data);
    const ack = await b.commit(subject, data);
    if (ack.count !== size) throw new Error(`batch ack counts ${ack.count} messages, expected ${size}`);
  }
}

class TsnatsConn implements BenchConn {
  constructor(private readonly nc: Connection) {}

  async jetstream(): Promise<BenchJetStream> {
    return new TsnatsJetStream(this.nc, await jetstreamManager(this.nc));
  }

  async consumers(): Promise<BenchConsumers> {
    return tsnatsConsumers(this.nc);
  }

  async kv(): Promise<BenchKvm> {
    return tsnatsKvm(this.nc);
  }

  async obj(): Promise<BenchObjm> {
    return tsnatsObjm(this.nc);
  }

  publish(subject: string, data: Uint8Array): void {
    this.nc.publish(subject, data);
  }

  subscribe(subject: string, onMsg: (msg: BenchMsg) => void, opts: SubscribeOptions = {}): BenchSub {
    const onError = opts.onError;
    // Only pass the options that are set: a strict client may reject unknown or undefined ones.
    const sub = this.nc.subscribe(subject, {
      ...(opts.queue !== undefined ? { queue: opts.queue } : {}),
      ...(opts.max !== undefined ? { max: opts.max } : {}),
      ...(opts.pending !== undefined ? { pending: { msgs: opts.pending.msgs, bytes: opts.pending.bytes } } : {}),
      callback: (err, msg) => {
        if (err) onError?.(err);
        else onMsg(msg);
      },
    });
    return {
      unsubscribe: () => sub.unsubscribe(),
      counters: () => ({
        received: sub.getReceived(),
        processed: sub.getProcessed(),
        pending: sub.getPending(),
        dropped: sub.getDropped(),
      }),
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

/** Extra connection options for experiments, as JSON: `BENCH_TSNATS_OPTIONS='{"replySpin":0}'`. */
const extraOptions = JSON.parse(process.env["BENCH_TSNATS_OPTIONS"] ?? "{}") as ConnectionOptions;

export const client: ClientModule = {
  name: "tsnats",
  version: packageVersion(),
  pendingLimits: true,
  connector: {
    async connect(url: string, name: string): Promise<BenchConn> {
      return new TsnatsConn(await connect({ ...extraOptions, servers: url, name, reconnect: false }));
    },
  },
};
