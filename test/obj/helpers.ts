/**
 * Helpers of the object store tests: deterministic test bytes, sources of every kind (web stream,
 * async iterable, Node Readable) split into uneven pieces, reading a web stream back, and names.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";

let seq = 0;
/** A bucket name unique in this process. */
export function uniqBucket(prefix = "objt"): string {
  return `${prefix}_${process.pid}_${++seq}`;
}

/** `n` pseudo-random bytes (xorshift32, so every run puts the same bytes for the same seed). */
export function testBytes(n: number, seed = n + 1): Uint8Array {
  const out = new Uint8Array(n);
  const v = new DataView(out.buffer);
  let x = seed | 0 || 0x9e3779b9;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    v.setUint32(i, x >>> 0);
  }
  for (; i < n; i++) out[i] = (x >>> (8 * (i & 3))) & 0xff;
  return out;
}

export function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Go's `SHA-256=` + base64url with padding, computed independently with node:crypto. */
export function goDigest(data: Uint8Array): string {
  return `SHA-256=${createHash("sha256").update(data).digest("base64").replace(/\+/g, "-").replace(/\//g, "_")}`;
}

/** `data` cut into pieces of varying sizes (1 byte up to a little over a chunk), as real sources deliver. */
export function pieces(data: Uint8Array, max = 200_000): Uint8Array[] {
  const out: Uint8Array[] = [];
  let size = 1;
  for (let off = 0; off < data.length; ) {
    const n = Math.min(size, data.length - off);
    out.push(data.slice(off, off + n));
    off += n;
    size = (size * 7 + 13) % max || 1;
  }
  return out;
}

export type SourceKind = "web stream" | "async iterable" | "Node Readable";
export const SOURCE_KINDS: SourceKind[] = ["web stream", "async iterable", "Node Readable"];

/** A source of `kind` that yields `data` in uneven pieces. */
export function sourceOf(kind: SourceKind, data: Uint8Array): ReadableStream<Uint8Array> | AsyncIterable<Uint8Array> {
  const parts = pieces(data);
  switch (kind) {
    case "web stream": {
      let i = 0;
      return new ReadableStream<Uint8Array>({
        pull(c) {
          if (i < parts.length) c.enqueue(parts[i++]!);
          else c.close();
        },
      });
    }
    case "async iterable":
      return (async function* () {
        for (const p of parts) {
          await Promise.resolve();
          yield p;
        }
      })();
    case "Node Readable":
      return Readable.from(parts.map((p) => Buffer.from(p)), { objectMode: false });
  }
}

/** Every byte of a web stream. */
export async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const r = await reader.read();
    if (r.done) break;
    parts.push(r.value);
  }
  return Buffer.concat(parts);
}

/** Reads a web stream to its end or error; resolves to the bytes read and the error, if any. */
export async function drain(stream: ReadableStream<Uint8Array>): Promise<{ bytes: number; error?: unknown }> {
  const reader = stream.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const r = await reader.read();
      if (r.done) return { bytes };
      bytes += r.value.length;
    }
  } catch (error) {
    return { bytes, error };
  }
}

/** Samples `process.memoryUsage().rss` every `everyMs` until stopped; `stop()` gives the largest sample. */
export function rssSampler(everyMs = 25): { stop(): number } {
  let max = process.memoryUsage().rss;
  const t = setInterval(() => {
    max = Math.max(max, process.memoryUsage().rss);
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      return Math.max(max, process.memoryUsage().rss);
    },
  };
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const MiB = 1024 * 1024;
