// tsnats (this repository's src/) behind the bench adapter.
import { readFileSync } from "node:fs";
import { connect } from "../src/index.js";
import type { BenchConn, BenchMsg, BenchSub, ClientModule, SubscribeOptions } from "./adapter.js";

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

class TsnatsConn implements BenchConn {
  constructor(private readonly nc: Connection) {}

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

export const client: ClientModule = {
  name: "tsnats",
  version: packageVersion(),
  pendingLimits: true,
  connector: {
    async connect(url: string, name: string): Promise<BenchConn> {
      return new TsnatsConn(await connect({ servers: url, name, reconnect: false }));
    },
  },
};
