// `new Objm(nc)`: creating, opening, listing and deleting object stores (streams `OBJ_<bucket>`
// with the subjects `$O.<bucket>.C.>` and `$O.<bucket>.M.>`, configured as nats.go does).
import { InvalidArgumentError, type NatsConnection } from "../core.js";
import {
  jetstream,
  JetStreamClient,
  StreamNameInUseError,
  StreamNotFoundError,
  type JetStreamManager,
  type JetStreamOptions,
  type StreamConfig,
} from "../jetstream/index.js";
import { BucketExistsError, BucketNotFoundError } from "./errors.js";
import { portableIo, type ObjIo } from "./io.js";
import { statusOf } from "./status.js";
import { ObjectStore, type StoreContext } from "./store.js";
import type { CallOptions, ObjectStoreOptions, ObjectStoreStatus } from "./types.js";
import { checkBoolean, checkBucket, checkCallOptions, checkKeys, checkString, checkStringMap } from "./validate.js";

const OPTION_KEYS = ["description", "ttl", "max_bytes", "storage", "replicas", "compression", "metadata", "placement"] as const;

function checkOptions(o: ObjectStoreOptions | undefined): void {
  checkKeys(o, OPTION_KEYS, "object store");
  if (!o) return;
  checkString(o.description, "description");
  if (o.ttl !== undefined && (typeof o.ttl !== "number" || !Number.isFinite(o.ttl) || o.ttl < 0)) throw new InvalidArgumentError("ttl must be a non-negative number of ms");
  if (o.max_bytes !== undefined && (!Number.isInteger(o.max_bytes) || (o.max_bytes < 1 && o.max_bytes !== -1))) throw new InvalidArgumentError("max_bytes must be a positive integer or -1");
  if (o.storage !== undefined && o.storage !== "file" && o.storage !== "memory") throw new InvalidArgumentError(`storage must be "file" or "memory"`);
  if (o.replicas !== undefined && (!Number.isInteger(o.replicas) || o.replicas < 1 || o.replicas > 5)) throw new InvalidArgumentError("replicas must be an integer from 1 to 5");
  checkBoolean(o.compression, "compression");
  checkStringMap(o.metadata, "metadata");
  if (o.placement !== undefined && (o.placement === null || typeof o.placement !== "object")) throw new InvalidArgumentError("placement must be an object");
}

/** The stream config of a bucket, as nats.go makes it (`prepareObjectStoreConfig`). */
function streamConfig(bucket: string, o: ObjectStoreOptions = {}): StreamConfig {
  const cfg: StreamConfig = {
    name: `OBJ_${bucket}`,
    subjects: [`$O.${bucket}.C.>`, `$O.${bucket}.M.>`],
    max_age: o.ttl ?? 0,
    max_bytes: o.max_bytes ?? -1,
    storage: o.storage ?? "file",
    num_replicas: o.replicas ?? 1,
    discard: "new",
    allow_rollup_hdrs: true,
    allow_direct: true,
  };
  if (o.description) cfg.description = o.description;
  if (o.placement) cfg.placement = o.placement;
  if (o.metadata && Object.keys(o.metadata).length) cfg.metadata = { ...o.metadata };
  if (o.compression) cfg.compression = "s2";
  return cfg;
}

/** Creates, opens, lists and deletes object stores. */
export class Objm {
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;

  /**
   * An object store manager on a connection (with `opts` for its JetStream context: domain,
   * apiPrefix, timeout) or on an existing JetStream context.
   */
  constructor(nc: NatsConnection | JetStreamClient, opts?: JetStreamOptions) {
    if (nc instanceof JetStreamClient) {
      if (opts !== undefined) throw new InvalidArgumentError("JetStream options go to jetstream(), not to an Objm made from a JetStream context");
      this.#js = nc;
    } else {
      this.#js = jetstream(nc, opts);
    }
    this.#jsm = this.#js.jetstreamManager();
  }

  /** The platform's hashing, files and streams (the Node entry gives its own). */
  protected get io(): ObjIo {
    return portableIo;
  }

  #context(): StoreContext {
    return { js: this.#js, jsm: this.#jsm, io: this.io, open: (b) => this.open(b) };
  }

  /**
   * Creates a bucket, or opens it when it exists with the same configuration. Rejects with
   * BucketExistsError when it exists with another, and with FeatureNotSupportedError for
   * `compression` or `metadata` on a server older than 2.10.
   */
  async create(bucket: string, opts?: ObjectStoreOptions): Promise<ObjectStore> {
    checkBucket(bucket);
    checkOptions(opts);
    try {
      await this.#jsm.streams.add(streamConfig(bucket, opts));
    } catch (err) {
      if (err instanceof StreamNameInUseError) throw new BucketExistsError(bucket, { cause: err });
      throw err;
    }
    return new ObjectStore(this.#context(), bucket);
  }

  /** Opens an existing bucket; rejects with BucketNotFoundError when there is none. */
  async open(bucket: string, opts: CallOptions = {}): Promise<ObjectStore> {
    checkBucket(bucket);
    checkCallOptions(opts, "open");
    try {
      await this.#jsm.streams.info(`OBJ_${bucket}`, undefined, opts);
    } catch (err) {
      if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(bucket, { cause: err });
      throw err;
    }
    return new ObjectStore(this.#context(), bucket);
  }

  /** Deletes a bucket and its objects; rejects with BucketNotFoundError when there is none. */
  async delete(bucket: string, opts: CallOptions = {}): Promise<boolean> {
    checkBucket(bucket);
    checkCallOptions(opts, "delete");
    try {
      return await this.#jsm.streams.delete(`OBJ_${bucket}`, opts);
    } catch (err) {
      if (err instanceof StreamNotFoundError) throw new BucketNotFoundError(bucket, { cause: err });
      throw err;
    }
  }

  /** The status of every bucket. */
  async *list(): AsyncGenerator<ObjectStoreStatus> {
    for await (const si of this.#jsm.streams.list("$O.*.C.>")) {
      if (si.config.name.startsWith("OBJ_")) yield statusOf(si);
    }
  }

  /** The name of every bucket. */
  async *names(): AsyncGenerator<string> {
    for await (const name of this.#jsm.streams.names("$O.*.C.>")) {
      if (name.startsWith("OBJ_")) yield name.slice(4);
    }
  }
}
