// Reads an object's chunks as a web ReadableStream: an ordered consumer on the chunk subject pulls a
// few chunks at a time (so a slow or paused reader holds back the pulls, not memory), every chunk
// is hashed as it passes, and the end (num_pending 0) is checked against the stored size, chunk
// count and digest. The consumer is created on the first read; it recreates itself after missed
// heartbeats, a deleted consumer or a restarted server, and picks up again after any pause.
import { ConnectionClosedError } from "../core.js";
import { StreamNotFoundError, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "../jetstream/index.js";
import { abortable } from "./chunk_writer.js";
import { formatDigest, parseDigest, sameBytes } from "./encoding.js";
import { BadObjectError, BucketNotFoundError, DigestMismatchError, ObjectReadCancelledError } from "./errors.js";
import type { WireInfo } from "./info.js";
import type { ObjIo } from "./io.js";

/** Bytes of chunks buffered ahead of the reader at most (a few chunks of the default size). */
export const READ_AHEAD_BYTES = 4 * 1024 * 1024;
const MAX_READ_AHEAD_CHUNKS = 256;
/** How long a read waits for a chunk before checking that more chunks exist at all. */
const STALL_CHECK_MS = 5_000;
const DEFAULT_CHUNK = 128 * 1024;
const PULL_EXPIRES_MS = 10_000;

export interface ReaderContext {
  js: JetStreamClient;
  jsm: JetStreamManager;
  io: ObjIo;
  bucket: string;
  stream: string;
}

const STALLED = Symbol("stalled");

export class ObjectReader {
  readonly stream: ReadableStream<Uint8Array>;
  readonly error: Promise<Error | null>;
  /** Resolves `error`; undefined once it did. */
  #settle?: (e: Error | null) => void;
  #msgs?: ConsumerMessages;
  #iter?: AsyncIterator<JsMsg>;
  readonly #hasher;
  readonly #expected: Uint8Array | null;
  #bytes = 0;
  #chunks = 0;

  constructor(
    private readonly ctx: ReaderContext,
    private readonly info: WireInfo,
    private readonly signal?: AbortSignal,
  ) {
    this.error = new Promise((r) => (this.#settle = r));
    this.#hasher = ctx.io.sha256();
    this.#expected = parseDigest(info.digest);
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.#controller = c;
        },
        pull: (c) => this.#pull(c),
        cancel: (reason) => this.#cancel(reason),
      },
      { highWaterMark: 0 },
    );
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  #controller?: ReadableStreamDefaultController<Uint8Array>;

  /** The subject of the object's chunks. */
  get #subject(): string {
    return `$O.${this.ctx.bucket}.C.${this.info.nuid}`;
  }
  readonly #onAbort = (): void => this.#fail(this.signal!.reason as Error);

  /** Chunks to pull at a time: a few MiB of them, at least 2. */
  #readAhead(): number {
    const i = this.info;
    const chunk = Math.max(i.options?.max_chunk_size ?? 0, i.chunks > 0 ? Math.ceil(i.size / i.chunks) : 0) || DEFAULT_CHUNK;
    return Math.max(2, Math.min(MAX_READ_AHEAD_CHUNKS, Math.floor(READ_AHEAD_BYTES / chunk)));
  }

  async #open(): Promise<void> {
    if (this.info.size === 0) return;
    if (this.#expected === null) throw this.#badDigest();
    try {
      const oc = await this.ctx.js.consumers.get(this.ctx.stream, { filter_subjects: this.#subject, deliver_policy: "all" });
      // short pulls with 5 s heartbeats: a lost consumer or server is noticed (and the consumer
      // recreated from the next chunk) within seconds, not after the default 30 s pull
      this.#msgs = await oc.consume({ max_messages: this.#readAhead(), expires: PULL_EXPIRES_MS });
      if (oc.cachedInfo()?.num_pending === 0) throw this.#missing();
    } catch (err) {
      throw err instanceof StreamNotFoundError ? new BucketNotFoundError(this.ctx.bucket, { cause: err }) : err;
    }
    this.#iter = this.#msgs[Symbol.asyncIterator]();
  }

  #badDigest(): BadObjectError {
    return new BadObjectError(`object '${this.info.name}' has an unreadable digest ${JSON.stringify(this.info.digest ?? "")}`);
  }

  #missing(): BadObjectError {
    return new BadObjectError(`object '${this.info.name}' is missing chunks: ${this.#chunks} of ${this.info.chunks} (${this.#bytes} of ${this.info.size} bytes) are stored`);
  }

  /** Why the consumer's messages ended before the last chunk. */
  async #ended(): Promise<Error> {
    const err = await this.#msgs!.closed();
    if (err instanceof StreamNotFoundError) return new BucketNotFoundError(this.ctx.bucket, { cause: err });
    if (err) return err;
    return this.ctx.js.nc.isClosed() ? new ConnectionClosedError("connection closed while reading an object") : this.#missing();
  }

  /** The next chunk; while none comes, checks now and then that one is still stored. */
  async #next(): Promise<IteratorResult<JsMsg>> {
    const p = this.#iter!.next();
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const stalled = new Promise<typeof STALLED>((r) => (timer = setTimeout(() => r(STALLED), STALL_CHECK_MS)));
      const r = await abortable(Promise.race([p, stalled]), this.signal).finally(() => clearTimeout(timer));
      if (r !== STALLED) return r;
      let stored: number;
      try {
        const si = await this.ctx.jsm.streams.info(this.ctx.stream, { subjects_filter: this.#subject });
        stored = si.state.subjects?.[this.#subject] ?? 0;
      } catch (err) {
        if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(this.ctx.bucket, { cause: err });
        continue; // the server is busy or away: the consumer recovers (or ends) on its own
      }
      if (stored <= this.#chunks) throw this.#missing();
    }
  }

  async #pull(c: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    try {
      if (!this.#iter) {
        await this.#open();
        if (this.info.size === 0) return this.#end();
      }
      for (;;) {
        const r = await this.#next();
        if (r.done) throw await this.#ended();
        const data = r.value.data;
        this.#bytes += data.length;
        this.#chunks++;
        if (this.#bytes > this.info.size) throw new BadObjectError(`object '${this.info.name}' has more bytes than its size of ${this.info.size}`);
        this.#hasher.update(data);
        const last = r.value.meta.pending === 0;
        if (data.length > 0 && this.#settle) c.enqueue(data);
        if (last) return this.#end();
        if (data.length > 0) return;
      }
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  #end(): void {
    const i = this.info;
    let err: Error | null = null;
    if (this.#bytes !== i.size || (i.size > 0 && this.#chunks !== i.chunks)) {
      err = new BadObjectError(`object '${i.name}' should have ${i.size} bytes in ${i.chunks} chunks; ${this.#bytes} bytes came in ${this.#chunks}`);
    } else if (i.size > 0 || i.digest) {
      // an empty object without a digest (deleted, or a link's target info) has nothing to check
      const sha = this.#hasher.digest();
      if (this.#expected === null) err = this.#badDigest();
      else if (!sameBytes(sha, this.#expected)) err = new DigestMismatchError(i.name, i.digest ?? "", formatDigest(sha));
    }
    if (err) return this.#fail(err);
    this.#finish(null);
    this.#controller?.close();
  }

  #fail(err: Error): void {
    if (!this.#settle) return;
    this.#finish(err);
    try {
      this.#controller?.error(err);
    } catch {
      // the stream was already closed or cancelled
    }
  }

  #finish(err: Error | null): void {
    const settle = this.#settle;
    if (!settle) return;
    this.#settle = undefined;
    this.signal?.removeEventListener("abort", this.#onAbort);
    this.#msgs?.stop().catch(() => undefined);
    settle(err);
  }

  async #cancel(reason: unknown): Promise<void> {
    this.#finish(new ObjectReadCancelledError(this.info.name, { cause: reason }));
  }
}
