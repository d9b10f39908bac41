// The two seams of the benchmark.
//
// 1. `Connector` / `BenchConn`: a thin wrapper over one in-process JavaScript client (tsnats,
//    nats.js). The case bodies in cases.ts are written once against it, so both clients run the
//    same code, in the same event loop, with the same per-message work.
// 2. `BenchClient`: "run one repetition of this case against this server and return numbers".
//    In-process clients get it from `inProcessClient()` (cases.ts); an out-of-process client (a
//    nats.go binary driven through a subprocess, client_go.ts) and the raw-socket ceiling (raw.ts)
//    implement it directly and return the same `RunMetrics` (the Go one leaves `gc` undefined).

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

export interface BenchConn {
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
  readonly connector: Connector;
  /** Whether `SubscribeOptions.pending` is honoured (messages over it dropped and counted). */
  readonly pendingLimits: boolean;
}

/** pubsub: publisher and subscriber on two connections; pubsub1: both on one connection. */
export type CaseKind = "pub" | "pubsub" | "pubsub1" | "req" | "reqpar";

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
  p50Us?: number;
  p99Us?: number;
  gc?: GcStats;
  /** Errors the client reported on subscriptions (slow consumer, ...). */
  subErrors?: number;
  /** Why a connection closed during the run, if one did. */
  connClosed?: string;
}

export interface BenchClient {
  readonly name: string;
  readonly version: string;
  /** How this client was built or loaded, when that matters ("go1.26.8, Go module"). */
  readonly detail?: string;
  run(spec: CaseSpec, url: string, tag: string): Promise<RunMetrics>;
}
