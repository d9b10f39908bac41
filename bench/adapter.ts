// The two seams of the benchmark.
//
// 1. `Connector` / `BenchConn`: a thin wrapper over one in-process JavaScript client (tsnats,
//    nats.js). The case bodies in cases.ts are written once against it, so both clients run the
//    same code, in the same event loop, with the same per-message work. `BenchConn.jetstream()`
//    adds the JetStream calls the js-* cases need (`BenchJetStream`).
// 2. `BenchClient`: "run one repetition of this case against this server and return numbers".
//    In-process clients get it from `inProcessClient()` (cases.ts); an out-of-process client (a
//    nats.go binary driven through a subprocess, client_go.ts) and the raw-socket ceiling (raw.ts)
//    implement it directly and return the same `RunMetrics` (the Go one leaves `gc` undefined).

import type { BenchConsumers, BenchKvm } from "./adapter_js.js";
import type { BenchObjm } from "./adapter_obj.js";

/** What a subscription callback receives. Both clients' `Msg` objects fit this shape as is. */
export interface BenchMsg {
  readonly data: Uint8Array;
  respond(data: Uint8Array): unknown;
}

export interface SubscribeOptions {
  queue?: string;
  max?: number;
  /** Called when the client reports an error on the subscription (e.g. a slow consumer). */
  onError?: (err: Error) => void;
  /** Client-side pending limits, for clients that have them (`ClientModule.pendingLimits`). */
  pending?: { msgs: number; bytes: number };
}

export interface SubCounters {
  received: number;
  processed: number;
  pending: number;
  /** Undefined when the client does not drop (it has no pending limits). */
  dropped?: number;
}

export interface BenchSub {
  unsubscribe(): void;
  counters(): SubCounters;
}

/** The stream a JetStream case creates before and deletes after its run; the same for every client. */
export interface BenchStreamConfig {
  name: string;
  /** The one subject the stream captures. */
  subject: string;
  storage: "memory" | "file";
  /** `allow_atomic` (atomic batches, server 2.12+). */
  allowAtomic: boolean;
}

/**
 * Async publishing with at most `window` acks outstanding. The driver loop is
 * `const r = p.ready(); if (r) await r; p.publish(subject, data);` and then `await p.complete()`.
 */
export interface BenchAsyncPublisher {
  /** Null while there is room in the window; else resolves when there is. */
  ready(): Promise<void> | null;
  /** Publishes one message; its ack (or error) is counted in `counts()`. */
  publish(subject: string, data: Uint8Array): void;
  /** Resolves when every publish so far has its ack (or failed). */
  complete(): Promise<void>;
  counts(): { acks: number; errors: number; firstError?: string };
}

/** The JetStream part of a client (js-* cases). */
export interface BenchJetStream {
  addStream(cfg: BenchStreamConfig): Promise<void>;
  deleteStream(name: string): Promise<void>;
  /** The number of messages the stream holds (`state.messages`). */
  streamMessages(name: string): Promise<number>;
  /** One publish, resolved with its PubAck. */
  publish(subject: string, data: Uint8Array): Promise<void>;
  /** A publisher with `window` publishes in flight (its own context). */
  asyncPublisher(window: number): BenchAsyncPublisher;
  /** One atomic batch of `size` messages (the commit message included); resolves on the commit's ack. */
  batch(subject: string, data: Uint8Array, size: number): Promise<void>;
}

export interface BenchConn {
  /** The JetStream part; rejects when the client's JetStream package is not there. */
  jetstream(): Promise<BenchJetStream>;
  /** Consumers (js-consume/fetch/ordered cases; adapter_js.ts); rejects like `jetstream()`. */
  consumers(): Promise<BenchConsumers>;
  /** Key-Value buckets (kv-* cases; adapter_js.ts); rejects when the client's KV package is not there. */
  kv(): Promise<BenchKvm>;
  /** Object stores (obj-* cases; adapter_obj.ts); rejects when the client's object store package is not there. */
  obj(): Promise<BenchObjm>;
  publish(subject: string, data: Uint8Array): void;
  subscribe(subject: string, onMsg: (msg: BenchMsg) => void, opts?: SubscribeOptions): BenchSub;
  /** Resolves to the reply's payload. */
  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** A PING/PONG round trip: everything published before it has reached the server. */
  flush(): Promise<void>;
  close(): Promise<void>;
  /** Resolves when the connection is closed, to the error that closed it, if any. */
  closed(): Promise<Error | undefined>;
  /** The version from the server's INFO, when the client exposes it. */
  serverVersion(): string | undefined;
}

export interface Connector {
  connect(url: string, name: string): Promise<BenchConn>;
}

/** A loaded client module (bench/client_*.ts export one of these as `client`). */
export interface ClientModule {
  readonly name: string;
  readonly version: string;
  /** More about the version, for the heading ("@nats-io/jetstream 3.4.0"). */
  readonly detail?: string;
  readonly connector: Connector;
  /** Whether `SubscribeOptions.pending` is honoured (messages over it dropped and counted). */
  readonly pendingLimits: boolean;
  /** Why the js-* cases cannot run with this client (undefined: they can). */
  readonly jetstreamUnavailable?: string;
}

/**
 * pubsub: publisher and subscriber on two connections; pubsub1: both on one connection.
 * jspub: awaited JetStream publishes one at a time; jsasync: async publishes with `window` in
 * flight; jsbatch: atomic batches of `batch` messages. jsconsume, jsfetch, jsordered: cases_consume.ts;
 * kvput, kvget, kvwatch: cases_kv.ts; objput, objget: cases_obj.ts.
 */
export type CaseKind = "pub" | "pubsub" | "pubsub1" | "req" | "reqpar" | "jspub" | "jsasync" | "jsbatch"
  | "jsconsume" | "jsfetch" | "jsordered" | "kvput" | "kvget" | "kvwatch" | "objput" | "objget";

export const JS_KINDS: readonly CaseKind[] = ["jspub", "jsasync", "jsbatch", "jsconsume", "jsfetch", "jsordered", "kvput", "kvget", "kvwatch", "objput", "objget"];

export interface CaseSpec {
  /** Stable id used by `--case`, in the table and in the JSON ("pub-16B", "req-seq-128B", ...). */
  id: string;
  kind: CaseKind;
  /** Payload bytes per message (requests and replies both carry this many). */
  size: number;
  /** Messages (or requests) measured in one run. */
  count: number;
  /** Outstanding requests for "reqpar". */
  inflight?: number;
  /**
   * "req", "reqpar": the requests are answered by one external responder process (the nats.go
   * binary in `-kind responder` mode, bench/responder.ts), started by the bench before the run and
   * stopped after it, the same for every client; the client under test only requests. Otherwise
   * the client answers its own requests on a second connection in the same process.
   */
  externalResponder?: boolean;
  /** JetStream cases: the stream's storage. */
  storage?: "memory" | "file";
  /** "jsasync": publishes awaiting their acks at most. */
  window?: number;
  /** "jsbatch": messages per atomic batch (the commit included); `count` is a multiple of it. */
  batch?: number;
  /** Consumer cases: max_messages of consume() / the fetch() batch (in `batch`), and the ack policy. */
  ack?: "explicit" | "none";
  /** KV cases: the bucket's allow_direct, and the number of keys gets and puts cycle over. */
  direct?: boolean;
  keys?: number;
  /** What the case does, for the progress line (cases_consume.ts, cases_kv.ts set it). */
  description?: string;
}

export interface GcStats {
  count: number;
  /** Total pause time in ms. */
  ms: number;
  /** Mark-sweep-compact collections among `count`. */
  major: number;
}

export interface RunMetrics {
  ok: boolean;
  error?: string;
  /** Messages (or requests) the run was asked to do. */
  count: number;
  /** For pubsub: messages the subscriber got (less than `count` when some were dropped). */
  received?: number;
  elapsedMs: number;
  msgsPerSec: number;
  /** Payload megabytes (10^6 bytes) per second. */
  mbPerSec: number;
  /** Latency percentiles: per request, per JetStream publish, or per atomic batch (first add to commit ack). */
  p50Us?: number;
  p99Us?: number;
  gc?: GcStats;
  /** Errors the client reported on subscriptions (slow consumer, ...). */
  subErrors?: number;
  /** Why a connection closed during the run, if one did. */
  connClosed?: string;
  /**
   * CPU time of the client's process over the timed part, user and system, in ms:
   * `process.cpuUsage()` deltas in-process (tsnats, nats.js, the ceiling), getrusage(RUSAGE_SELF)
   * deltas inside the nats.go child. Everything the process does in that window counts (with a
   * responder or subscriber in the same process, both sides; GC and helper threads too).
   */
  cpuUserMs?: number;
  cpuSysMs?: number;
  /** (cpuUserMs + cpuSysMs) per message (request, object) done, in µs. */
  cpuUsPerMsg?: number;
}

export interface BenchClient {
  readonly name: string;
  readonly version: string;
  /** How this client was built or loaded, when that matters ("go1.26.8, Go module"). */
  readonly detail?: string;
  /** Why this client does not run `spec` at all (shown as n/a); undefined when it does. */
  unsupported?(spec: CaseSpec): string | undefined;
  run(spec: CaseSpec, url: string, tag: string): Promise<RunMetrics>;
}
