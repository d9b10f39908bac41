/**
 * Helpers shared by the Key-Value tests: entries reduced to comparable rows, a watcher that records
 * what it was handed (and when `initialized` resolved), a spy on the JetStream API requests a
 * connection makes, and the nats.go program of test/go-kv.
 */
import { strict as assert } from "node:assert";
import type { NatsConnection, Subscription } from "../../src/index.js";
import type { KvEntry, KvWatcher } from "../../src/kv/index.js";
import { goProgram, type GoProgram } from "../support/go_client.js";
import { until } from "../support/helpers.js";

export { collect, failsWith, refusedLocally, uniq, unsupported, userMeta } from "../jetstream/helpers.js";

/** An entry as the interop and history checks compare it. */
export interface Row {
  key: string;
  revision: number;
  operation: "PUT" | "DEL" | "PURGE";
  /** The value as hex (empty for markers). */
  value: string;
}

const hex = (d: Uint8Array): string => Buffer.from(d).toString("hex");

export function row(e: { key: string; revision: number; operation: string; raw?: Uint8Array; value?: unknown }): Row {
  const bytes = e.raw ?? (e.value instanceof Uint8Array ? e.value : new Uint8Array(0));
  return { key: e.key, revision: e.revision, operation: e.operation as Row["operation"], value: e.operation === "PUT" ? hex(bytes) : "" };
}

/** `key@revision OP value` lines: a compact form that shows where two histories differ. */
export function lines(rows: Row[]): string[] {
  return rows.map((r) => `${r.key}@${r.revision} ${r.operation} ${r.value}`);
}

/**
 * Iterates a watcher in the background, recording every entry and how many had been handed to the
 * loop body when `initialized` resolved.
 */
export class Recorder<T = Uint8Array> {
  readonly entries: KvEntry<T>[] = [];
  /** entries.length when `initialized` resolved (undefined until then). */
  atInit?: number;
  /** How many times the `initialized.then` callback ran (a promise settles once: always 0 or 1). */
  initCalls = 0;
  /** Resolves when the loop ends, with the error that ended it (or null). */
  readonly done: Promise<Error | null>;

  constructor(readonly watcher: KvWatcher<T>, onEntry?: (e: KvEntry<T>) => void | Promise<void>) {
    void watcher.initialized.then(() => {
      this.initCalls++;
      this.atInit = this.entries.length;
    });
    this.done = (async () => {
      try {
        for await (const e of watcher) {
          this.entries.push(e);
          await onEntry?.(e);
        }
        return null;
      } catch (err) {
        return err as Error;
      }
    })();
  }

  revisions(): number[] {
    return this.entries.map((e) => e.revision);
  }

  /** Waits until `n` entries were recorded. */
  async count(n: number, what = `${n} watched entries`, timeoutMs?: number): Promise<void> {
    await until(() => this.entries.length >= n, `${what} (have ${this.entries.length})`, timeoutMs);
  }

  /** Waits until an entry matches. */
  async seen(pred: (e: KvEntry<T>) => boolean, what: string, timeoutMs?: number): Promise<KvEntry<T>> {
    await until(() => this.entries.some(pred), what, timeoutMs);
    return this.entries.find(pred)!;
  }

  async stop(): Promise<void> {
    await this.watcher.stop();
    assert.equal(await this.done, null);
  }
}

/** Records the JetStream API requests (subject and body) made on a connection's account. */
export class ApiSpy {
  readonly requests: { subject: string; body: string }[] = [];
  readonly #sub: Subscription;
  readonly #nc: NatsConnection;

  private constructor(nc: NatsConnection, subject: string) {
    this.#nc = nc;
    this.#sub = nc.subscribe(subject, { callback: (_err, m) => this.requests.push({ subject: m.subject, body: m.string() }) });
  }

  /** Subscribes `nc` to `subject` (default every API subject) and flushes, so nothing is missed. */
  static async on(nc: NatsConnection, subject = "$JS.API.>"): Promise<ApiSpy> {
    const spy = new ApiSpy(nc, subject);
    await nc.flush();
    return spy;
  }

  /** Requests whose subject starts with `prefix` (e.g. "$JS.API.DIRECT.GET."). */
  count(prefix: string): number {
    return this.requests.filter((r) => r.subject.startsWith(prefix)).length;
  }

  /** The parsed bodies of the consumer creations seen. */
  consumerConfigs(): Record<string, unknown>[] {
    return this.requests
      .filter((r) => r.subject.startsWith("$JS.API.CONSUMER.CREATE."))
      .map((r) => (JSON.parse(r.body) as { config: Record<string, unknown> }).config);
  }

  clear(): void {
    this.requests.length = 0;
  }

  /** A round trip on the spy's connection: what the server routed to it before now has arrived. */
  flush(): Promise<void> {
    return this.#nc.flush();
  }

  stop(): void {
    this.#sub.unsubscribe();
  }
}

// ---- nats.go (test/go-kv) ----

/** A bucket config as kvinterop takes it (see test/go-kv/main.go). */
export interface GoBucketConfig {
  bucket: string;
  description?: string;
  history?: number;
  ttl_ms?: number;
  max_bytes?: number;
  max_value_size?: number;
  storage?: "file" | "memory";
  compression?: boolean;
  limit_marker_ttl_ms?: number;
  metadata?: Record<string, string>;
}

/**
 * One operation of a script: put, create, update (revision = expected), delete, purge (revision:
 * the expected last revision when given); ttl_ms: a create's per-key TTL.
 */
export interface ScriptOp {
  op: "put" | "create" | "update" | "delete" | "purge";
  key: string;
  value?: Uint8Array;
  revision?: number;
  ttl_ms?: number;
}

/** What one operation did: its revision (0 when the client does not return one) and error. */
export interface OpResult {
  op: string;
  key: string;
  revision: number;
  /** "", "key_exists", "wrong_last_sequence" or the error's text */
  error: string;
}

interface GoEntry {
  found: boolean;
  key: string;
  revision: number;
  operation: Row["operation"];
  value_b64: string;
  delta: number;
}

const fromB64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "base64"));

/** nats.go's Key-Value API, one subprocess per call. */
export class GoKv {
  constructor(readonly program: GoProgram) {}

  async create(url: string, cfg: GoBucketConfig): Promise<void> {
    await this.program.run(["create", url, JSON.stringify(cfg)]);
  }

  script(url: string, bucket: string, ops: ScriptOp[]): Promise<OpResult[]> {
    const wire = ops.map((o) => ({ op: o.op, key: o.key, value_b64: Buffer.from(o.value ?? new Uint8Array(0)).toString("base64"), revision: o.revision ?? 0, ttl_ms: o.ttl_ms ?? 0 }));
    return this.program.run<OpResult>(["script", url, bucket, JSON.stringify(wire)]);
  }

  /** Every entry of the bucket, oldest first (WatchAll with IncludeHistory). */
  async history(url: string, bucket: string): Promise<Row[]> {
    const out = await this.program.run<GoEntry>(["history", url, bucket]);
    return out.map((e) => row({ ...e, raw: fromB64(e.value_b64) }));
  }

  async get(url: string, bucket: string, key: string, revision?: number): Promise<Row | null> {
    const [e] = await this.program.run<GoEntry>(["get", url, bucket, key, ...(revision === undefined ? [] : [String(revision)])]);
    return e!.found ? row({ ...e!, raw: fromB64(e!.value_b64) }) : null;
  }

  async keys(url: string, bucket: string): Promise<string[]> {
    const [r] = await this.program.run<{ keys: string[] }>(["keys", url, bucket]);
    return r!.keys;
  }
}

/** test/go-kv built (once per process); rejects saying why when Go or the module is missing. */
export async function goKv(): Promise<GoKv> {
  return new GoKv(await goProgram("go-kv", "kvinterop"));
}

/**
 * Polls the async check `f` every `every` ms (one call at a time, errors count as false) until it
 * returns true; fails with `what` after `ms`.
 */
export async function eventually(f: () => Promise<boolean>, what: string, ms = 10_000, every = 50): Promise<void> {
  let ok = false;
  let busy = false;
  const t = setInterval(() => {
    if (busy) return;
    busy = true;
    void f()
      .then((v) => (ok = v))
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, every);
  try {
    await until(() => ok, what, ms);
  } finally {
    clearInterval(t);
  }
}
