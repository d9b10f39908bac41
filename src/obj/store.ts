// One object store (bucket): objects put and read as streams of chunks, their infos, links, watch,
// and the bucket's own status, seal and destroy. Built on the public JetStream API only.
import { headers, nuid, InvalidArgumentError, type MsgHdrs } from "../core.js";
import { StreamNotFoundError, type ApiCallOptions, type JetStreamClient, type JetStreamManager, type PubAck } from "../jetstream/index.js";
import { abortable, ChunkWriter, isPushBack, MAX_STALLS, pause } from "./chunk_writer.js";
import { encodeName, formatDigest } from "./encoding.js";
import { BucketNotFoundError, ObjectExistsError, ObjectNotFoundError } from "./errors.js";
import { decodeInfo, encodeInfo, toObjectInfo, type WireInfo } from "./info.js";
import { checkSource, chunksOf, readWhole, type ObjIo } from "./io.js";
import { ObjectReader } from "./object_reader.js";
import { statusOf } from "./status.js";
import { checkBoolean, checkCallOptions, checkKeys, checkMeta, checkObjectName, checkString, checkStringMap, headersRecord } from "./validate.js";
import { ObjectWatcher } from "./watcher.js";
import type {
  CallOptions,
  GetOptions,
  InfoOptions,
  ObjectInfo,
  ObjectResult,
  ObjectSource,
  ObjectStoreMeta,
  ObjectStoreStatus,
  PutOptions,
  WatchOptions,
} from "./types.js";

export const DEFAULT_CHUNK_SIZE = 128 * 1024;

/** What a store shares with its manager. */
export interface StoreContext {
  js: JetStreamClient;
  jsm: JetStreamManager;
  io: ObjIo;
  /** Opens another bucket of the same context (for links across buckets). */
  open(bucket: string): Promise<ObjectStore>;
}

/** A stored info and where it was found. */
interface Found {
  wire: WireInfo;
  seq: number;
  /** RFC 3339 */
  time: string;
}

function rollup(): MsgHdrs {
  const h = headers();
  h.set("Nats-Rollup", "sub");
  return h;
}

function checkGetOptions(opts: GetOptions | undefined): void {
  checkCallOptions(opts, "get", ["showDeleted"]);
  checkBoolean(opts?.showDeleted, "showDeleted");
}

/** The request options of a call's options. */
function req(call: CallOptions): ApiCallOptions {
  return { ...(call.timeout !== undefined ? { timeout: call.timeout } : {}), ...(call.signal ? { signal: call.signal } : {}) };
}

export class ObjectStore {
  /** The bucket's name. */
  readonly bucket: string;
  /** Its stream's name (`OBJ_<bucket>`). */
  readonly stream: string;

  /** Use `objm.create()` / `objm.open()`. */
  constructor(
    private readonly ctx: StoreContext,
    bucket: string,
  ) {
    this.bucket = bucket;
    this.stream = `OBJ_${bucket}`;
  }

  #metaSubject(name: string): string {
    return `$O.${this.bucket}.M.${encodeName(name)}`;
  }

  #chunkSubject(id: string): string {
    return `$O.${this.bucket}.C.${id}`;
  }

  #gone(err: unknown): unknown {
    return err instanceof StreamNotFoundError ? new BucketNotFoundError(this.bucket, { cause: err }) : err;
  }

  /** The last meta message of `name`, deleted or not; null when there is none. */
  async #find(name: string, call: CallOptions = {}): Promise<Found | null> {
    let m;
    try {
      m = await this.ctx.jsm.streams.getMessage(this.stream, { last_by_subj: this.#metaSubject(name) }, req(call));
    } catch (err) {
      throw this.#gone(err);
    }
    if (!m) return null;
    return { wire: decodeInfo(m.data, `object '${name}'`), seq: m.seq, time: m.timestamp };
  }

  /** Publishes a meta message (rolling up the object's earlier ones); retried under push-back. */
  async #publishMeta(w: WireInfo, call: CallOptions = {}): Promise<PubAck> {
    const data = encodeInfo(w);
    const { timeout, signal } = call;
    for (let attempt = 1; ; attempt++) {
      try {
        return await abortable(this.ctx.js.publish(this.#metaSubject(w.name), data, { headers: rollup(), ...(timeout ? { timeout } : {}) }), signal);
      } catch (err) {
        if (signal?.aborted || !isPushBack(err) || attempt >= MAX_STALLS) throw this.#gone(err);
        await pause(Math.min(2_000, 100 * 2 ** (attempt - 1)), signal);
      }
    }
  }

  async #purge(subject: string, call: CallOptions = {}): Promise<void> {
    try {
      await this.ctx.jsm.streams.purge(this.stream, { filter: subject }, req(call));
    } catch (err) {
      throw this.#gone(err);
    }
  }

  /** An object's info; null when there is none, or it is deleted (unless `showDeleted`). */
  async info(name: string, opts: InfoOptions = {}): Promise<ObjectInfo | null> {
    checkObjectName(name);
    checkCallOptions(opts, "info", ["showDeleted"]);
    checkBoolean(opts.showDeleted, "showDeleted");
    const f = await this.#find(name, opts);
    if (!f || (f.wire.deleted && !opts.showDeleted)) return null;
    return toObjectInfo(f.wire, f.time, f.seq);
  }

  /**
   * Stores an object from a web ReadableStream, an async iterable (a Node Readable is one) or an
   * iterable, in chunks of `options.max_chunk_size` (default 128 KiB), a bounded number in flight.
   * Replaces an object of the same name once the new one is complete (its chunks are then removed).
   * On failure the chunks already stored are removed. Rejects with InvalidArgumentError before
   * anything is sent for a bad name, meta or option.
   */
  async put(meta: ObjectStoreMeta | string, source: ObjectSource, opts?: PutOptions): Promise<ObjectInfo> {
    const m = checkMeta(meta, true);
    checkSource(source);
    checkCallOptions(opts, "put");
    const maxPayload = this.ctx.js.nc.info?.max_payload ?? 1024 * 1024;
    const chunkSize = Math.min(m.options?.max_chunk_size ?? DEFAULT_CHUNK_SIZE, maxPayload);
    const signal = opts?.signal;
    signal?.throwIfAborted();
    const old = await this.#find(m.name, opts);
    const id = nuid.next();
    const subject = this.#chunkSubject(id);
    const writer = new ChunkWriter({
      js: this.ctx.js,
      jsm: this.ctx.jsm,
      stream: this.stream,
      subject,
      chunkSize,
      timeout: opts?.timeout ?? this.ctx.js.api.timeout,
      ...(signal ? { signal } : {}),
    });
    const hasher = this.ctx.io.sha256();
    let size = 0;
    let ack: PubAck;
    let wire: WireInfo;
    try {
      for await (const chunk of chunksOf(source, chunkSize)) {
        signal?.throwIfAborted();
        // hashed after write() copied the chunk out to be sent, while its bytes are in the cache
        const written = writer.write(chunk);
        hasher.update(chunk);
        size += chunk.length;
        await written;
      }
      const chunks = await writer.finish();
      signal?.throwIfAborted();
      wire = { ...this.#wireMeta(m), options: { max_chunk_size: chunkSize }, bucket: this.bucket, nuid: id, size, chunks, mtime: "", digest: formatDigest(hasher.digest()) };
      // not abortable: once the info is sent, the chunks it names must stay
      ack = await this.#publishMeta(wire, opts?.timeout ? { timeout: opts.timeout } : {});
    } catch (err) {
      await writer.abandon();
      throw this.#gone(err);
    }
    if (old && !old.wire.deleted && old.wire.nuid && old.wire.nuid !== id) {
      await this.#purge(this.#chunkSubject(old.wire.nuid)).catch(() => undefined);
    }
    return toObjectInfo(wire, new Date().toISOString(), ack.seq);
  }

  /** The caller's meta fields in wire form. */
  #wireMeta(m: ObjectStoreMeta): Pick<WireInfo, "name" | "description" | "headers" | "metadata"> {
    const w: Pick<WireInfo, "name" | "description" | "headers" | "metadata"> = { name: m.name };
    if (m.description) w.description = m.description;
    const h = headersRecord(m.headers);
    if (h) w.headers = h;
    if (m.metadata && Object.keys(m.metadata).length) w.metadata = { ...m.metadata };
    return w;
  }

  /** Stores `data` (null: an empty object) as an object. */
  putBlob(meta: ObjectStoreMeta | string, data: Uint8Array | null, opts?: PutOptions): Promise<ObjectInfo> {
    if (data !== null && !(data instanceof Uint8Array)) return Promise.reject(new InvalidArgumentError("putBlob takes a Uint8Array (or null)"));
    return this.put(meta, data ?? new Uint8Array(0), opts);
  }

  /** Stores `text` (UTF-8) as an object. */
  putString(meta: ObjectStoreMeta | string, text: string, opts?: PutOptions): Promise<ObjectInfo> {
    if (typeof text !== "string") return Promise.reject(new InvalidArgumentError("putString takes a string"));
    return this.put(meta, text, opts);
  }

  /** Node only: stores a file, read as it is sent. */
  async putFile(meta: ObjectStoreMeta | string, path: string, opts?: PutOptions): Promise<ObjectInfo> {
    const m = checkMeta(meta, true);
    if (typeof path !== "string" || path.length === 0) throw new InvalidArgumentError("putFile needs a file path");
    checkCallOptions(opts, "put");
    const chunk = Math.min(m.options?.max_chunk_size ?? DEFAULT_CHUNK_SIZE, this.ctx.js.nc.info?.max_payload ?? 1024 * 1024);
    const file = await this.ctx.io.openFile(path, chunk);
    try {
      return await this.put(m, file, opts);
    } finally {
      // closes the file when the put failed before reading it to the end
      (file as { destroy?: () => void }).destroy?.();
    }
  }

  /**
   * Reads an object: null when there is none (or it is deleted, unless `showDeleted`). A link to an
   * object is followed (in this bucket or another one); a link to a bucket cannot be read. The data
   * streams as it is read, verified against the digest; `error` tells how it ended.
   */
  async get(name: string, opts?: GetOptions): Promise<ObjectResult | null> {
    checkObjectName(name);
    checkGetOptions(opts);
    return this.#get(name, opts ?? {}, false);
  }

  async #get(name: string, opts: GetOptions, viaLink: boolean): Promise<ObjectResult | null> {
    const f = await this.#find(name, opts);
    if (!f || (f.wire.deleted && !opts.showDeleted)) return null;
    const link = f.wire.options?.link;
    if (link && !f.wire.deleted) {
      if (!link.name) throw new InvalidArgumentError(`'${name}' is a link to the bucket '${link.bucket}': open that bucket to read it`);
      if (viaLink) throw new InvalidArgumentError(`'${name}' is a link to a link`);
      const target = link.bucket === this.bucket ? this : await this.ctx.open(link.bucket);
      return target.#get(link.name, req(opts), true);
    }
    const info = toObjectInfo(f.wire, f.time, f.seq);
    const reader = new ObjectReader({ ...this.ctx, bucket: this.bucket, stream: this.stream }, f.wire, opts.signal);
    const io = this.ctx.io;
    let readable: ReturnType<ObjIo["toReadable"]> | undefined;
    const chunk = f.wire.options?.max_chunk_size ?? DEFAULT_CHUNK_SIZE;
    return {
      info,
      data: reader.stream,
      error: reader.error,
      readable: () => (readable ??= io.toReadable(reader.stream, chunk)),
    };
  }

  /** The whole object in memory; null when there is none; rejects when reading or the digest fails. */
  async getBlob(name: string, opts?: GetOptions): Promise<Uint8Array | null> {
    const r = await this.get(name, opts);
    if (!r) return null;
    const bytes = await readWhole(r.data);
    const err = await r.error;
    if (err) throw err;
    return bytes;
  }

  /** The whole object as UTF-8 text; null when there is none. */
  async getString(name: string, opts?: GetOptions): Promise<string | null> {
    const b = await this.getBlob(name, opts);
    return b === null ? null : new TextDecoder().decode(b);
  }

  /**
   * Node only: writes an object to a file as it streams; resolves to its info, or null (and no file
   * is written) when there is no such object. A failed read or digest check removes the file.
   */
  async getFile(name: string, path: string, opts?: GetOptions): Promise<ObjectInfo | null> {
    checkObjectName(name);
    if (typeof path !== "string" || path.length === 0) throw new InvalidArgumentError("getFile needs a file path");
    checkGetOptions(opts);
    const r = await this.get(name, opts);
    if (!r) return null;
    const written = this.ctx.io.writeFile(path, r.data).catch(async (err: unknown) => {
      // a writer that failed before taking the stream leaves it to us: end the read too
      if (!r.data.locked) await r.data.cancel(err).catch(() => undefined);
      throw err;
    });
    const [w, read] = await Promise.allSettled([written, r.error]);
    const failure = w.status === "rejected" ? (w.reason as Error) : read.status === "fulfilled" ? read.value : (read.reason as Error);
    if (failure) {
      await this.ctx.io.removeFile(path);
      throw failure;
    }
    return r.info;
  }

  /** Every object's info (deleted ones only with `showDeleted`), in no particular order. */
  async list(opts: { showDeleted?: boolean } = {}): Promise<ObjectInfo[]> {
    checkKeys(opts, ["showDeleted"], "list");
    checkBoolean(opts.showDeleted, "showDeleted");
    const out: ObjectInfo[] = [];
    const w = await this.#watch({ ignoreDeletes: !opts.showDeleted }, true);
    for await (const i of w) out.push(i);
    return out;
  }

  /**
   * Deletes an object: its info is replaced by a deleted marker and its chunks are removed.
   * Resolves true, or false when it was already deleted; rejects with ObjectNotFoundError when
   * there is no such object.
   */
  async delete(name: string, opts: CallOptions = {}): Promise<boolean> {
    checkObjectName(name);
    checkCallOptions(opts, "delete");
    const f = await this.#find(name, opts);
    if (!f) throw new ObjectNotFoundError(name);
    if (f.wire.deleted) return false;
    const w: WireInfo = { ...f.wire, deleted: true, size: 0, chunks: 0 };
    delete w.digest;
    await this.#publishMeta(w, opts);
    if (w.nuid) await this.#purge(this.#chunkSubject(w.nuid), opts);
    return true;
  }

  /**
   * Changes an object's name, description, headers or metadata (the fields given; the others are
   * kept). Rejects with ObjectNotFoundError for a missing or deleted object, ObjectExistsError when
   * renaming onto a live object.
   */
  async update(name: string, meta: Partial<Omit<ObjectStoreMeta, "options">>, opts: CallOptions = {}): Promise<ObjectInfo> {
    checkObjectName(name);
    checkCallOptions(opts, "update");
    checkKeys(meta, ["name", "description", "headers", "metadata"], "update");
    if (meta === undefined) throw new InvalidArgumentError("update needs the fields to change");
    if (meta.name !== undefined) checkObjectName(meta.name, "new name");
    checkString(meta.description, "description");
    checkStringMap(meta.metadata, "metadata");
    const h = headersRecord(meta.headers);
    const f = await this.#find(name, opts);
    if (!f || f.wire.deleted) throw new ObjectNotFoundError(name, `object '${name}' not found: a missing or deleted object cannot be updated`);
    const rename = meta.name !== undefined && meta.name !== name;
    if (rename) {
      const there = await this.#find(meta.name!, opts);
      if (there && !there.wire.deleted) throw new ObjectExistsError(meta.name!);
    }
    const w: WireInfo = { ...f.wire };
    if (rename) w.name = meta.name!;
    if (meta.description !== undefined) w.description = meta.description;
    if (meta.headers !== undefined) w.headers = h ?? {};
    if (meta.metadata !== undefined) w.metadata = { ...meta.metadata };
    const ack = await this.#publishMeta(w, opts);
    if (rename) await this.#purge(this.#metaSubject(name), opts);
    return toObjectInfo(w, new Date().toISOString(), ack.seq);
  }

  async #addLink(name: string, link: { bucket: string; name?: string }, opts: CallOptions): Promise<ObjectInfo> {
    const f = await this.#find(name, opts);
    if (f && !f.wire.deleted && !f.wire.options?.link) throw new ObjectExistsError(name);
    const w: WireInfo = { name, options: { link }, bucket: this.bucket, nuid: nuid.next(), size: 0, chunks: 0, mtime: "" };
    const ack = await this.#publishMeta(w, opts);
    return toObjectInfo(w, new Date().toISOString(), ack.seq);
  }

  /**
   * Adds `name`, a link to the object `target` (in this bucket or another). Refused for a deleted
   * target or a link; rejects with ObjectExistsError when `name` is a live object (a link or a
   * deleted object of that name is replaced).
   */
  async link(name: string, target: ObjectInfo, opts: CallOptions = {}): Promise<ObjectInfo> {
    checkObjectName(name, "link name");
    checkCallOptions(opts, "link");
    if (target === null || typeof target !== "object" || typeof target.bucket !== "string" || typeof target.name !== "string") {
      throw new InvalidArgumentError("link() needs the target's ObjectInfo");
    }
    checkObjectName(target.name, "target name");
    if (target.deleted) throw new InvalidArgumentError(`cannot link to the deleted object '${target.name}'`);
    if (target.options?.link) throw new InvalidArgumentError(`cannot link to '${target.name}': it is a link itself`);
    return this.#addLink(name, { bucket: target.bucket, name: target.name }, opts);
  }

  /** Adds `name`, a link to the whole bucket `store`. */
  async linkStore(name: string, store: ObjectStore, opts: CallOptions = {}): Promise<ObjectInfo> {
    checkObjectName(name, "link name");
    checkCallOptions(opts, "linkStore");
    if (!(store instanceof ObjectStore)) throw new InvalidArgumentError("linkStore() needs an ObjectStore");
    return this.#addLink(name, { bucket: store.bucket }, opts);
  }

  #watch(opts: WatchOptions, initialOnly: boolean): Promise<ObjectWatcher> {
    return ObjectWatcher.start(this.ctx.js, this.bucket, this.stream, opts, initialOnly).catch((err: unknown) => {
      throw this.#gone(err);
    });
  }

  /**
   * Watches the bucket's objects: the current info of each (`includeHistory`: every stored one), then
   * every change (`updatesOnly`: only the changes). `initialized` resolves once the initial ones
   * have been yielded.
   */
  watch(opts: WatchOptions = {}): Promise<ObjectWatcher> {
    try {
      checkKeys(opts, ["includeHistory", "ignoreDeletes", "updatesOnly"], "watch");
      checkBoolean(opts.includeHistory, "includeHistory");
      checkBoolean(opts.ignoreDeletes, "ignoreDeletes");
      checkBoolean(opts.updatesOnly, "updatesOnly");
      if (opts.includeHistory && opts.updatesOnly) throw new InvalidArgumentError("includeHistory and updatesOnly are exclusive");
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.#watch(opts, false);
  }

  /** The bucket's status. */
  async status(opts: CallOptions = {}): Promise<ObjectStoreStatus> {
    checkCallOptions(opts, "status");
    try {
      return statusOf(await this.ctx.jsm.streams.info(this.stream, undefined, req(opts)));
    } catch (err) {
      throw this.#gone(err);
    }
  }

  /** Seals the bucket: nothing can be put, changed or deleted any more (irreversible). */
  async seal(opts: CallOptions = {}): Promise<ObjectStoreStatus> {
    checkCallOptions(opts, "seal");
    try {
      return statusOf(await this.ctx.jsm.streams.update(this.stream, { sealed: true }, req(opts)));
    } catch (err) {
      throw this.#gone(err);
    }
  }

  /** Deletes the bucket and every object in it. */
  async destroy(opts: CallOptions = {}): Promise<boolean> {
    checkCallOptions(opts, "destroy");
    try {
      return await this.ctx.jsm.streams.delete(this.stream, req(opts));
    } catch (err) {
      throw this.#gone(err);
    }
  }
}
