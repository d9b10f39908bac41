// The seams of the consumer and KV cases (cases_consume.ts, cases_kv.ts), beside adapter.ts:
// `BenchConn.consumers()` and `BenchConn.kv()` give these. As with `BenchMsg`, the clients' own
// message and entry objects fit `BenchJsMsg` and `BenchKvEntry` as they are, so the per-message
// work (count, check the size, ack) is the same code for both in-process clients.

/** What a consumer hands on. Both clients' `JsMsg` fit this shape as is. */
export interface BenchJsMsg {
  readonly data: Uint8Array;
  ack(): unknown;
}

export type BenchAckPolicy = "explicit" | "none";

/** A consumer as the client exposes it: `consume()` with a callback, `fetch()` as an async iterable. */
export interface BenchConsumer {
  /** `consume({ max_messages, callback })`; resolves once the consumer is started. */
  consume(maxMessages: number, onMsg: (m: BenchJsMsg) => void): Promise<{ stop(): Promise<void> }>;
  /** One `fetch({ max_messages: batch })`: its messages, ending when the batch is full or the pull expires. */
  fetch(batch: number): Promise<AsyncIterable<BenchJsMsg>>;
}

/** Where a consumer stands (consumer info), for the check after a run. */
export interface BenchConsumerState {
  /** `delivered.stream_seq` */
  delivered: number;
  /** `ack_floor.stream_seq` */
  ackFloor: number;
  /** `num_pending` */
  pending: number;
}

export interface BenchConsumers {
  /** Adds a durable pull consumer (deliver all, the server's defaults otherwise). */
  add(stream: string, name: string, ack: BenchAckPolicy): Promise<void>;
  /** The client's handle on that consumer (`js.consumers.get(stream, name)`). */
  get(stream: string, name: string): Promise<BenchConsumer>;
  /** The client's ordered consumer over the whole stream. */
  ordered(stream: string): Promise<BenchConsumer>;
  state(stream: string, name: string): Promise<BenchConsumerState>;
}

/** A watched entry. Both clients' `KvEntry` fit this shape as is. */
export interface BenchKvEntry {
  readonly key: string;
  readonly value: Uint8Array;
}

export interface BenchKvWatch {
  readonly entries: AsyncIterable<BenchKvEntry>;
  stop(): unknown;
}

export interface BenchKv {
  /** `kv.put(key, value)`, awaited. */
  put(key: string, value: Uint8Array): Promise<void>;
  /** `kv.get(key)`: the value, or null when there is none. */
  get(key: string): Promise<Uint8Array | null>;
  /** `kv.watch()` of every key (last values, then updates), iterated. */
  watch(): Promise<BenchKvWatch>;
}

export interface BenchKvBucketConfig {
  name: string;
  storage: "memory" | "file";
  /** `allow_direct` (gets answered by direct get); each client's default is true. */
  direct: boolean;
}

export interface BenchKvm {
  /** Creates the bucket (history 1, the client's defaults otherwise) and opens it. */
  create(cfg: BenchKvBucketConfig): Promise<BenchKv>;
  delete(name: string): Promise<void>;
}
