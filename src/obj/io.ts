// What differs between platforms (hashing, files, Node streams) behind one small interface, and the
// re-chunking of any byte source into exactly-sized chunks.
import { InvalidArgumentError } from "../core.js";
import { NodeOnlyError } from "./errors.js";
import { sha256, type Hasher } from "./sha256.js";
import type { NodeReadable, ObjectSource } from "./types.js";

/** The platform's services for the object store. */
export interface ObjIo {
  /** A new incremental SHA-256. */
  sha256(): Hasher;
  /** A file's bytes, read in pieces of about `chunk` bytes (rejects when the file cannot be opened). */
  openFile(path: string, chunk: number): Promise<AsyncIterable<Uint8Array>>;
  /** Writes `data` to `path` (created or truncated); rejects with the first error. */
  writeFile(path: string, data: ReadableStream<Uint8Array>): Promise<void>;
  /** Removes a file, ignoring errors. */
  removeFile(path: string): Promise<void>;
  /** A Node Readable over a web stream, buffering about `highWaterMark` bytes. */
  toReadable(data: ReadableStream<Uint8Array>, highWaterMark: number): NodeReadable;
}

/** Where there is no Node.js: hashing in TypeScript, and no files or Node streams. */
export const portableIo: ObjIo = {
  sha256,
  openFile: () => Promise.reject(new NodeOnlyError("putFile()")),
  writeFile: () => Promise.reject(new NodeOnlyError("getFile()")),
  removeFile: () => Promise.resolve(),
  toReadable: () => {
    throw new NodeOnlyError("ObjectResult.readable()");
  },
};

const encoder = new TextEncoder();

function toBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return encoder.encode(v);
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new InvalidArgumentError(`an object source yielded ${v === null ? "null" : typeof v}, not bytes`);
}

function isReadableStream(s: unknown): s is ReadableStream<Uint8Array> {
  return typeof (s as { getReader?: unknown }).getReader === "function";
}

/** Refuses what cannot be a source, before anything is sent. */
export function checkSource(source: unknown): asserts source is ObjectSource {
  if (source === null || source === undefined) throw new InvalidArgumentError("an object source is required (a ReadableStream, an async iterable or a Node Readable)");
  if (typeof source === "string" || source instanceof Uint8Array || isReadableStream(source)) return;
  if (typeof source === "object" && (Symbol.asyncIterator in source || Symbol.iterator in source)) return;
  throw new InvalidArgumentError("an object source must be a ReadableStream, an async iterable or a Node Readable");
}

/** The pieces of any source, as bytes. */
async function* pieces(source: ObjectSource): AsyncGenerator<Uint8Array> {
  if (typeof source === "string" || source instanceof Uint8Array) {
    yield toBytes(source);
    return;
  }
  const iterable = isReadableStream(source) ? streamChunks(source) : (source as AsyncIterable<unknown>);
  for await (const p of iterable) yield toBytes(p);
}

/**
 * The chunks of a web ReadableStream, read one at a time; the stream is cancelled when the
 * iteration is left before its end, and its lock released in any case.
 */
export async function* streamChunks<T>(stream: ReadableStream<T>): AsyncGenerator<T> {
  const reader = stream.getReader();
  let done = false;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) {
        done = true;
        return;
      }
      yield r.value;
    }
  } finally {
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/**
 * Exactly `size`-byte chunks of a source (the last one shorter, none for an empty source). A
 * stream's chunks are copies the caller owns (a source may reuse its buffers); bytes given as
 * such are cut into views. The source is read only as fast as chunks are taken.
 */
export async function* chunksOf(source: ObjectSource, size: number): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    // the caller's bytes (putBlob): views, not copies; the put is done with them when it resolves
    for (let off = 0; off < source.length; off += size) yield source.subarray(off, Math.min(off + size, source.length));
    return;
  }
  let chunk = new Uint8Array(size);
  let fill = 0;
  for await (const p of pieces(source)) {
    let off = 0;
    while (off < p.length) {
      const n = Math.min(size - fill, p.length - off);
      chunk.set(p.subarray(off, off + n), fill);
      fill += n;
      off += n;
      if (fill === size) {
        yield chunk;
        chunk = new Uint8Array(size);
        fill = 0;
      }
    }
  }
  if (fill > 0) yield chunk.subarray(0, fill);
}

/** Every byte of a web stream in one array; what was read before an error is kept (the error is the caller's to find). */
export async function readWhole(data: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = data.getReader();
  try {
    for (;;) {
      const x = await reader.read();
      if (x.done) break;
      parts.push(x.value);
      n += x.value.length;
    }
  } catch {
    // the stream errored: the caller reports the error it has (ObjectResult.error)
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
