// Publishes an object's chunks in order with a bounded number in flight, and never lets the server's
// push-back fail the put: a chunk refused with a 429 (ingest queue full), not acknowledged in time,
// or met by a 503 rewinds the put to the last chunk stored in order — what was stored after it is
// removed, the window halves, and the rest is sent again after a pause. The window grows back as
// acks come. Only a put that makes no progress at all for MAX_STALLS rewinds in a row fails.
import { TimeoutError } from "../core.js";
import { JetStreamApiError, type JetStreamClient, type JetStreamManager, type PubAck } from "../jetstream/index.js";
import { BadObjectError } from "./errors.js";
import { abortable, pause } from "../util/abort.js";

/** Bytes of chunks in flight at most (a few chunks of the default size). */
export const IN_FLIGHT_BYTES = 4 * 1024 * 1024;
const MAX_WINDOW = 256;
/** Rewinds in a row without a chunk confirmed in between before the put gives up. */
export const MAX_STALLS = 10;
const BACKOFF_START = 25;
const BACKOFF_MAX = 2_000;
/** Attempts at removing what a rewind must remove before the put gives up. */
const TRIM_ATTEMPTS = 5;

type Outcome = { ack: PubAck; err?: undefined } | { ack?: undefined; err: Error };

interface Pending {
  data: Uint8Array;
  outcome: Promise<Outcome>;
}

/** 429 too many requests (10167, ingest queue full) and 503 JetStream temporarily unavailable (10008). */
const PUSH_BACK_ERR_CODES = [10167, 10008];

/**
 * Push-back that slows the put down, retried and never fatal on its own: no ack in time, the
 * server's "too many requests" or "temporarily unavailable", no stream answering (a leader being
 * elected). Refusals that stay true (a full bucket, a sealed one: 10077 and others) are not.
 */
export function isPushBack(err: unknown): boolean {
  if (err instanceof TimeoutError) return true;
  if (err instanceof JetStreamApiError) return err.status === 429 || PUSH_BACK_ERR_CODES.includes(err.errCode);
  return (err as { code?: unknown })?.code === "NO_STREAM_RESPONSE";
}

/**
 * The server is still storing chunks sent before (it was busy or frozen): the count keeps moving
 * while they are removed. Push-back like a timeout: the caller backs off and tries again.
 */
function stillStoring(what: string): TimeoutError {
  return new TimeoutError(`could not remove ${what} after ${TRIM_ATTEMPTS} attempts: the server is still storing chunks sent earlier`);
}

// shared with the JetStream and Key-Value calls that take `{ timeout?, signal? }` (src/util/abort.ts)
export { abortable, pause };

export interface ChunkWriterOptions {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: string;
  subject: string;
  chunkSize: number;
  /** Ack wait per chunk, ms. */
  timeout: number;
  signal?: AbortSignal;
}

export class ChunkWriter {
  readonly #o: ChunkWriterOptions;
  /** Chunks sent and not yet confirmed, oldest first. */
  #queue: Pending[] = [];
  readonly #maxWindow: number;
  #window: number;
  #okStreak = 0;
  #stalls = 0;
  /** Chunks stored in order, and the stream sequence of the last one. */
  #confirmed = 0;
  #lastSeq = 0;
  /**
   * Set once a chunk timed out (it may still be stored later, out of place): the sequence the put
   * had reached then, and every sequence confirmed since, so strays can be told apart at the end.
   */
  #uncertain?: { from: number; seqs: Set<number> };

  constructor(o: ChunkWriterOptions) {
    this.#o = o;
    this.#maxWindow = Math.max(2, Math.min(MAX_WINDOW, Math.floor(IN_FLIGHT_BYTES / o.chunkSize)));
    this.#window = this.#maxWindow;
  }

  /** Chunks in flight at most right now (it shrinks under push-back). */
  get window(): number {
    return this.#window;
  }

  #send(data: Uint8Array): Promise<Outcome> {
    try {
      return this.#o.js.publishAsync(this.#o.subject, data, { timeout: this.#o.timeout }).then(
        (ack) => ({ ack }),
        (err: unknown) => ({ err: err as Error }),
      );
    } catch (err) {
      return Promise.resolve({ err: err as Error });
    }
  }

  /** Sends a chunk (the writer owns `data` from now on); waits while the window is full. */
  async write(data: Uint8Array): Promise<void> {
    this.#o.signal?.throwIfAborted();
    this.#queue.push({ data, outcome: this.#send(data) });
    while (this.#queue.length >= this.#window) await this.#settleHead();
  }

  /** Waits until every chunk is stored in order; resolves to the number of chunks. */
  async finish(): Promise<number> {
    while (this.#queue.length > 0) await this.#settleHead();
    for (let attempt = 1; this.#uncertain; attempt++) {
      try {
        await this.#removeStrays();
        break;
      } catch (err) {
        if (!isPushBack(err) || attempt >= MAX_STALLS) throw err;
        await pause(Math.min(BACKOFF_MAX, BACKOFF_START * 2 ** (attempt - 1)), this.#o.signal);
      }
    }
    return this.#confirmed;
  }

  /** After a failure: waits for what is in flight to settle, then removes every chunk stored (best effort). */
  async abandon(): Promise<void> {
    await Promise.all(this.#queue.map((p) => p.outcome));
    this.#queue = [];
    await this.#o.jsm.streams.purge(this.#o.stream, { filter: this.#o.subject }).catch(() => undefined);
  }

  async #settleHead(): Promise<void> {
    const head = this.#queue[0]!;
    const r = await abortable(head.outcome, this.#o.signal);
    if (r.ack && r.ack.seq > this.#lastSeq) {
      this.#queue.shift();
      this.#confirmed++;
      this.#lastSeq = r.ack.seq;
      this.#uncertain?.seqs.add(r.ack.seq);
      this.#stalls = 0;
      if (++this.#okStreak >= this.#window && this.#window < this.#maxWindow) {
        this.#window++;
        this.#okStreak = 0;
      }
      return;
    }
    // stored before a chunk sent earlier (a stray of an earlier attempt took its place), or refused
    const err = r.err ?? new BadObjectError(`chunk stored out of order (sequence ${r.ack!.seq} after ${this.#lastSeq})`);
    if (r.err && !isPushBack(r.err)) throw r.err;
    await this.#rewind(err);
  }

  async #rewind(cause: Error): Promise<void> {
    for (;;) {
      if (++this.#stalls > MAX_STALLS) {
        throw new TimeoutError(`object put made no progress after ${MAX_STALLS} attempts (last: ${cause.message})`, { cause });
      }
      const outcomes = await abortable(Promise.all(this.#queue.map((p) => p.outcome)), this.#o.signal);
      for (const o of outcomes) {
        if (o.err && !isPushBack(o.err)) throw o.err;
      }
      if (outcomes.some((o) => o.err instanceof TimeoutError) || cause instanceof TimeoutError) {
        this.#uncertain ??= { from: this.#lastSeq, seqs: new Set() };
      }
      const backoff = Math.min(BACKOFF_MAX, BACKOFF_START * 2 ** (this.#stalls - 1));
      try {
        await this.#trimAfterConfirmed();
      } catch (err) {
        // the server is still too busy (or frozen) to answer: one more stall
        if (!isPushBack(err)) throw err;
        cause = err as Error;
        await pause(backoff, this.#o.signal);
        continue;
      }
      this.#window = Math.max(1, Math.floor(this.#window / 2));
      this.#okStreak = 0;
      await pause(backoff, this.#o.signal);
      for (const p of this.#queue) p.outcome = this.#send(p.data);
      return;
    }
  }

  /** Chunk messages on the subject, counted by the stream leader. */
  async #stored(): Promise<number> {
    const si = await this.#o.jsm.streams.info(this.#o.stream, { subjects_filter: this.#o.subject });
    return si.state.subjects?.[this.#o.subject] ?? 0;
  }

  /** Deletes the chunk messages stored after `after` that `keep` does not hold. */
  async #deleteAfter(after: number, keep?: Set<number>): Promise<void> {
    const { jsm, stream, subject } = this.#o;
    for (let from = after + 1; ; ) {
      const m = await jsm.streams.getMessage(stream, { next_by_subj: subject, seq: from });
      if (!m) return;
      if (!keep?.has(m.seq)) await jsm.streams.deleteMessage(stream, m.seq, false);
      from = m.seq + 1;
    }
  }

  /** Removes what was stored after the last chunk confirmed in order. */
  async #trimAfterConfirmed(): Promise<void> {
    for (let i = 0; i < TRIM_ATTEMPTS; i++) {
      const n = await this.#stored();
      if (n === this.#confirmed) return;
      if (n < this.#confirmed) throw new BadObjectError(`chunks of the object being put were removed by someone else (${n} of ${this.#confirmed} left)`);
      await this.#deleteAfter(this.#lastSeq);
    }
    throw stillStoring("the chunks stored out of order");
  }

  /** A chunk that timed out may have been stored later: anything not confirmed goes. */
  async #removeStrays(): Promise<void> {
    const u = this.#uncertain!;
    for (let i = 0; i < TRIM_ATTEMPTS; i++) {
      const n = await this.#stored();
      if (n === this.#confirmed) return;
      if (n < this.#confirmed) throw new BadObjectError(`chunks of the object being put were removed by someone else (${n} of ${this.#confirmed} left)`);
      await this.#deleteAfter(u.from, u.seqs);
    }
    throw stillStoring("stray chunks");
  }
}
