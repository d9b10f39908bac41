// nats.js v3 (@nats-io/transport-node) behind the bench adapter.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { BenchConn, BenchMsg, BenchSub, ClientModule, SubscribeOptions } from "./adapter.js";

function packageVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    const main = require.resolve("@nats-io/transport-node");
    const pkg = JSON.parse(readFileSync(main.replace(/index\.js$/, "package.json"), "utf8")) as { version?: string };
    return pkg.version ?? "unknown";
  } catch {
    return "unknown";
  }
}

class NatsJsConn implements BenchConn {
  constructor(private readonly nc: NatsConnection) {}

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
  version: packageVersion(),
  pendingLimits: false,
  connector: {
    async connect(url: string, name: string): Promise<BenchConn> {
      return new NatsJsConn(await connect({ servers: url, name, reconnect: false }));
    },
  },
};
