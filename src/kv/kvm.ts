// The bucket manager: create / update / createOrUpdate / open / delete / list / names.
import type { NatsConnection } from "../core.js";
import { jetstream, JetStreamClient, StreamNameInUseError, StreamNotFoundError, type JetStreamManager, type JetStreamOptions, type StreamConfig } from "../jetstream/index.js";
import { Bucket } from "./bucket.js";
import { bucketConfig, guardBucketOptions, statusOf, STREAM_PREFIX, streamName } from "./config.js";
import { BucketExistsError, BucketNotFoundError } from "./errors.js";
import { checkBucket } from "./validate.js";
import type { KvCallOptions, KvOpenOptions, KvOptions, KvStatus } from "./types.js";
import { checkCallOptions, splitCallOptions, withCallWait, type CallOptions, type CallWait } from "../util/abort.js";
import { checkKeys } from "../jetstream/validate.js";

export class Kvm {
  readonly js: JetStreamClient;
  readonly #jsm: JetStreamManager;

  /** A manager over `nc` (default JetStream context) or a JetStream context (its domain / prefix). */
  constructor(ncOrJs: NatsConnection | JetStreamClient, opts: JetStreamOptions = {}) {
    this.js = ncOrJs instanceof JetStreamClient ? ncOrJs : jetstream(ncOrJs, opts);
    this.#jsm = this.js.jetstreamManager();
  }

  /**
   * Creates a bucket; rejects with BucketExistsError when it exists with another configuration.
   * `timeout` / `signal` (in `opts`) apply to the whole call.
   */
  async create<T = Uint8Array>(name: string, opts: KvOptions & KvCallOptions = {}, open: KvOpenOptions<T> = {}): Promise<Bucket<T>> {
    const { call, cfg } = this.#check(name, opts, open);
    return withCallWait(call, `create of bucket '${name}'`, (w) => this.#create<T>(name, cfg, open, w));
  }

  async #create<T>(name: string, cfg: StreamConfig, open: KvOpenOptions<T>, w: CallWait): Promise<Bucket<T>> {
    try {
      const si = await this.#jsm.streams.add(cfg, w.step());
      return new Bucket<T>(this.js, this.#jsm, si, open.codec);
    } catch (err) {
      if (err instanceof StreamNameInUseError) throw new BucketExistsError(name, { cause: err });
      throw err;
    }
  }

  /**
   * Replaces an existing bucket's options (as nats.go's UpdateKeyValue): an option not given goes back
   * to its default — except markerTTL, which the server cannot turn off once on. Rejects with
   * BucketNotFoundError when there is no such bucket.
   */
  async update<T = Uint8Array>(name: string, opts: KvOptions & KvCallOptions = {}, open: KvOpenOptions<T> = {}): Promise<Bucket<T>> {
    const { call, cfg, kv } = this.#check(name, opts, open);
    return withCallWait(call, `update of bucket '${name}'`, (w) => this.#update<T>(name, kv, cfg, open, w));
  }

  async #update<T>(name: string, opts: KvOptions, full: StreamConfig, open: KvOpenOptions<T>, w: CallWait): Promise<Bucket<T>> {
    const { name: _n, ...cfg } = full;
    // the stream API merges into the current config: clear what the options leave unset
    const cleared: Partial<StreamConfig> = { description: "", compression: "none", republish: undefined, placement: undefined };
    if (!opts.metadata) cleared.metadata = {};
    try {
      const si = await this.#jsm.streams.update(streamName(name), { ...cleared, ...cfg }, w.step());
      return new Bucket<T>(this.js, this.#jsm, si, open.codec);
    } catch (err) {
      if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(name, { cause: err });
      throw err;
    }
  }

  /** Creates the bucket, or updates it when it exists (`timeout` / `signal` cover both steps). */
  async createOrUpdate<T = Uint8Array>(name: string, opts: KvOptions & KvCallOptions = {}, open: KvOpenOptions<T> = {}): Promise<Bucket<T>> {
    const { call, cfg, kv } = this.#check(name, opts, open);
    return withCallWait(call, `createOrUpdate of bucket '${name}'`, async (w) => {
      try {
        return await this.#create<T>(name, cfg, open, w);
      } catch (err) {
        if (err instanceof BucketExistsError) return this.#update<T>(name, kv, cfg, open, w);
        throw err;
      }
    });
  }

  /** Checks a create/update call before anything is sent: the bucket options, the call options, `open`. */
  #check<T>(name: string, opts: KvOptions & KvCallOptions, open: KvOpenOptions<T>): { call: CallOptions; cfg: StreamConfig; kv: KvOptions } {
    checkCallOptions(opts);
    const { call, rest } = splitCallOptions(opts);
    const cfg = bucketConfig(name, rest);
    guardBucketOptions(this.js.nc, rest);
    checkKeys(open, ["codec"], "bucket open");
    return { call, cfg, kv: rest };
  }

  /** Opens an existing bucket; rejects with BucketNotFoundError (code BUCKET_NOT_FOUND). */
  async open<T = Uint8Array>(name: string, opts: KvOpenOptions<T> & KvCallOptions = {}): Promise<Bucket<T>> {
    checkBucket(name);
    checkKeys(opts, ["codec", "timeout", "signal"], "bucket open");
    checkCallOptions(opts);
    const { call } = splitCallOptions(opts);
    return withCallWait(call, `open of bucket '${name}'`, async (w) => {
      try {
        const si = await this.#jsm.streams.info(streamName(name), undefined, w.step());
        return new Bucket<T>(this.js, this.#jsm, si, opts.codec);
      } catch (err) {
        if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(name, { cause: err });
        throw err;
      }
    });
  }

  /** Deletes a bucket and everything in it. */
  async delete(name: string, opts: KvCallOptions = {}): Promise<boolean> {
    checkBucket(name);
    checkKeys(opts, ["timeout", "signal"], "bucket delete");
    checkCallOptions(opts);
    const { call } = splitCallOptions(opts);
    return withCallWait(call, `delete of bucket '${name}'`, async (w) => {
      try {
        return await this.#jsm.streams.delete(streamName(name), w.step());
      } catch (err) {
        if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(name, { cause: err });
        throw err;
      }
    });
  }

  /** Every bucket's status. */
  async *list(): AsyncGenerator<KvStatus> {
    for await (const si of this.#jsm.streams.list()) {
      if (si.config.name.startsWith(STREAM_PREFIX)) yield statusOf(si);
    }
  }

  /** Every bucket's name. */
  async *names(): AsyncGenerator<string> {
    for await (const n of this.#jsm.streams.names()) {
      if (n.startsWith(STREAM_PREFIX)) yield n.slice(STREAM_PREFIX.length);
    }
  }
}
