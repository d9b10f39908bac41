// The bucket manager: create / update / createOrUpdate / open / delete / list / names.
import type { NatsConnection } from "../core.js";
import { jetstream, JetStreamClient, StreamNameInUseError, StreamNotFoundError, type JetStreamManager, type JetStreamOptions, type StreamConfig } from "../jetstream/index.js";
import { Bucket } from "./bucket.js";
import { bucketConfig, guardBucketOptions, statusOf, STREAM_PREFIX, streamName } from "./config.js";
import { BucketExistsError, BucketNotFoundError } from "./errors.js";
import { checkBucket } from "./validate.js";
import type { KvOpenOptions, KvOptions, KvStatus } from "./types.js";

export class Kvm {
  readonly js: JetStreamClient;
  readonly #jsm: JetStreamManager;

  /** A manager over `nc` (default JetStream context) or a JetStream context (its domain / prefix). */
  constructor(ncOrJs: NatsConnection | JetStreamClient, opts: JetStreamOptions = {}) {
    this.js = ncOrJs instanceof JetStreamClient ? ncOrJs : jetstream(ncOrJs, opts);
    this.#jsm = this.js.jetstreamManager();
  }

  /** Creates a bucket; rejects with BucketExistsError when it exists with another configuration. */
  async create<T = Uint8Array>(name: string, opts: KvOptions = {}, open: KvOpenOptions<T> = {}): Promise<Bucket<T>> {
    const cfg = bucketConfig(name, opts);
    guardBucketOptions(this.js.nc, opts);
    try {
      const si = await this.#jsm.streams.add(cfg);
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
  async update<T = Uint8Array>(name: string, opts: KvOptions = {}, open: KvOpenOptions<T> = {}): Promise<Bucket<T>> {
    const { name: _n, ...cfg } = bucketConfig(name, opts);
    guardBucketOptions(this.js.nc, opts);
    // the stream API merges into the current config: clear what the options leave unset
    const cleared: Partial<StreamConfig> = { description: "", compression: "none", republish: undefined, placement: undefined };
    if (!opts.metadata) cleared.metadata = {};
    try {
      const si = await this.#jsm.streams.update(streamName(name), { ...cleared, ...cfg });
      return new Bucket<T>(this.js, this.#jsm, si, open.codec);
    } catch (err) {
      if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(name, { cause: err });
      throw err;
    }
  }

  /** Creates the bucket, or updates it when it exists. */
  async createOrUpdate<T = Uint8Array>(name: string, opts: KvOptions = {}, open: KvOpenOptions<T> = {}): Promise<Bucket<T>> {
    try {
      return await this.create<T>(name, opts, open);
    } catch (err) {
      if (err instanceof BucketExistsError) return this.update<T>(name, opts, open);
      throw err;
    }
  }

  /** Opens an existing bucket; rejects with BucketNotFoundError (code BUCKET_NOT_FOUND). */
  async open<T = Uint8Array>(name: string, opts: KvOpenOptions<T> = {}): Promise<Bucket<T>> {
    checkBucket(name);
    try {
      const si = await this.#jsm.streams.info(streamName(name));
      return new Bucket<T>(this.js, this.#jsm, si, opts.codec);
    } catch (err) {
      if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(name, { cause: err });
      throw err;
    }
  }

  /** Deletes a bucket and everything in it. */
  async delete(name: string): Promise<boolean> {
    checkBucket(name);
    try {
      return await this.#jsm.streams.delete(streamName(name));
    } catch (err) {
      if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(name, { cause: err });
      throw err;
    }
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
