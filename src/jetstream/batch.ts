// Atomic batch publish (ADR-50) [2.12+]: every message of the batch is stored, or none is.
// The first message goes out as a request (so a stream without `allow_atomic` fails at once), the
// middle ones as plain publishes (optionally every `ackEvery`-th as a request), and the commit
// message as a request whose answer is the batch's PubAck.
import { headers as newHeaders, NoRespondersError, nuid, TimeoutError, type Msg, type MsgHdrs, type NatsConnection } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { CallWait, checkCallOptions, splitCallOptions, type CallOptions } from "../util/abort.js";
import { parseResponse } from "./api.js";
import { BatchError, NoStreamResponseError } from "./errors.js";
import { requireFeature } from "./features.js";
import { parsePubAck } from "./pub_ack.js";
import { publishHeaders, type JetStreamPublishOptions } from "./publish_options.js";
import { checkKeys, checkPositiveInt, checkSubject, checkTimeout } from "./validate.js";
import type { PubAck } from "./types.js";

/** The server's limit of messages in one atomic batch. */
export const MAX_BATCH_SIZE = 1000;

export interface BatchOptions {
  /** Send every n-th message as a request and wait for it at commit (0 = only the first). */
  ackEvery?: number;
  /** ms to wait for each acknowledged message and the commit (default the context's timeout). */
  timeout?: number;
}

/** Per-message options: a subset of the publish options (no retries, no schedules). */
export type BatchMessageOptions = Pick<JetStreamPublishOptions, "msgID" | "expect" | "headers" | "ttl">;

/**
 * Options of `commit()`: a message's options, and how long to wait for the batch's PubAck (default
 * the batch's `timeout`) or a signal that abandons the wait.
 */
export type BatchCommitOptions = BatchMessageOptions & CallOptions;

/** The commit's PubAck: `batch` is the batch id and `count` the number of messages stored. */
export interface BatchAck extends PubAck {
  batch: string;
  count: number;
}

export class Batch {
  /** The batch id (`Nats-Batch-Id`). */
  readonly id = nuid.next();
  #count = 0;
  #staged: Promise<void>[] = [];
  /** The headers of messages added without options (see #headers). */
  #plain?: MsgHdrs;
  #done = false;
  readonly #ackEvery: number;
  readonly #timeout: number;

  constructor(
    private readonly nc: NatsConnection,
    defaultTimeout: number,
    opts: BatchOptions = {},
  ) {
    checkKeys(opts, ["ackEvery", "timeout"], "batch");
    if (opts.ackEvery !== undefined) checkPositiveInt(opts.ackEvery, "ackEvery", true);
    checkTimeout(opts.timeout);
    requireFeature(nc, "atomic_batch", "atomic batch publish");
    this.#ackEvery = opts.ackEvery ?? 0;
    this.#timeout = opts.timeout ?? defaultTimeout;
  }

  #withId(h: MsgHdrs): MsgHdrs {
    h.set("Nats-Batch-Id", this.id);
    return h;
  }

  /** Messages added so far (the commit message not included). */
  get count(): number {
    return this.#count;
  }

  #headers(opts: BatchMessageOptions | undefined, commit: boolean): MsgHdrs {
    if (opts === undefined && !commit) {
      // a message without options: one headers object for the whole batch, only its sequence
      // changes (publish encodes the headers at once, so reusing the object is safe)
      const h = (this.#plain ??= this.#withId(newHeaders()));
      h.set("Nats-Batch-Sequence", String(this.#count + 1));
      return h;
    }
    checkKeys(opts, ["msgID", "expect", "headers", "ttl"], "batch message");
    const h = this.#withId(copyHeaders(publishHeaders(this.nc, opts)));
    h.set("Nats-Batch-Sequence", String(this.#count + 1));
    if (commit) h.set("Nats-Batch-Commit", "1");
    return h;
  }

  /**
   * Adds a message. Invalid input throws here; a message the server refuses fails the batch, and
   * `commit()` rejects with the reason. Nothing is stored until the commit.
   */
  add(subject: string, data?: Uint8Array | string, opts?: BatchMessageOptions): void {
    this.#check(subject);
    if (this.#count + 1 >= MAX_BATCH_SIZE) throw new InvalidArgumentError(`an atomic batch holds at most ${MAX_BATCH_SIZE} messages (the commit included)`);
    const headers = this.#headers(opts, false);
    const n = ++this.#count;
    if (n === 1 || (this.#ackEvery > 0 && n % this.#ackEvery === 0)) {
      const staged = this.nc.request(subject, data, { headers, timeout: this.#timeout }).then(
        (m) => checkStaged(m),
        (err) => {
          throw err instanceof NoRespondersError ? new NoStreamResponseError(subject, { cause: err }) : err;
        },
      );
      staged.catch(() => undefined); // reported by commit()
      this.#staged.push(staged);
    } else {
      this.nc.publish(subject, data, { headers });
    }
  }

  /**
   * Adds the last message and commits: resolves with the batch's PubAck once every message is stored.
   * A signal that already aborted rejects with its reason and sends nothing (the batch stays open:
   * commit again, or let the server drop it). Once the commit was sent, a timeout rejects with
   * `TimeoutError` and an abort with the signal's reason: the batch may still have been committed.
   */
  async commit(subject: string, data?: Uint8Array | string, opts?: BatchCommitOptions): Promise<BatchAck> {
    this.#check(subject);
    checkKeys(opts, ["msgID", "expect", "headers", "ttl", "timeout", "signal"], "batch commit");
    checkCallOptions(opts);
    const { call, rest } = splitCallOptions(opts);
    const headers = this.#headers(rest, true);
    const timeout = call.timeout ?? this.#timeout;
    const w = new CallWait({ ...call, timeout }, `commit of atomic batch ${this.id}`);
    this.#done = true;
    const n = ++this.#count;
    try {
      return await w.race(this.#commit(subject, data, headers, n, w));
    } finally {
      w.done();
    }
  }

  async #commit(subject: string, data: Uint8Array | string | undefined, headers: MsgHdrs, n: number, w: CallWait): Promise<BatchAck> {
    const commit = this.nc.request(subject, data, { headers, ...w.step() });
    commit.catch(() => undefined);
    try {
      await Promise.all(this.#staged);
    } catch (err) {
      throw new BatchError(`atomic batch ${this.id} failed: ${(err as Error).message}`, { cause: err });
    }
    let ack: PubAck;
    try {
      ack = parsePubAck(await commit);
    } catch (err) {
      if (err instanceof TimeoutError || err === w.signal?.reason) throw err; // the outcome is unknown
      const e = err instanceof NoRespondersError ? new NoStreamResponseError(subject, { cause: err }) : err;
      throw new BatchError(`atomic batch ${this.id} was not committed: ${(e as Error).message}`, { cause: e });
    }
    if (ack.batch !== this.id || ack.count !== n) {
      throw new BatchError(`atomic batch ${this.id}: the server acknowledged batch '${ack.batch}' with ${ack.count} messages, expected ${n}`);
    }
    return ack as BatchAck;
  }

  #check(subject: string): void {
    if (this.#done) throw new InvalidArgumentError("the batch was already committed");
    checkSubject(subject, "subject");
  }
}

/** A fresh header set (publishHeaders may hand back the caller's own object). */
function copyHeaders(h: MsgHdrs | undefined): MsgHdrs {
  const out = newHeaders();
  if (h) for (const [k, vs] of h) for (const v of vs) out.append(k, v);
  return out;
}

/** A staged (non-commit) message is answered with an empty payload, or an error PubAck. */
function checkStaged(m: Msg): void {
  if (m.data.length === 0 && !m.headers?.hasError) return;
  parseResponse(m.data, m.headers);
}
