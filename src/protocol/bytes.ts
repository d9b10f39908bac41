// Byte/string helpers that use Node's Buffer fast paths when present and plain
// Uint8Array + TextEncoder/TextDecoder otherwise (browsers). No `node:` imports here.

interface NodeBufferLike extends Uint8Array {
  utf8Slice(start: number, end: number): string;
  latin1Slice(start: number, end: number): string;
  utf8Write(s: string, offset: number, length?: number): number;
}
interface NodeBufferCtor {
  allocUnsafe(size: number): NodeBufferLike;
  allocUnsafeSlow(size: number): NodeBufferLike;
  byteLength(s: string, enc?: string): number;
  from(a: ArrayBuffer, off: number, len: number): NodeBufferLike;
}

const B = (globalThis as unknown as { Buffer?: NodeBufferCtor }).Buffer;
/** Node's Buffer constructor when present (never imported, so browser bundles stay clean). */
export const NodeBuffer: NodeBufferCtor | undefined = B && typeof B.allocUnsafe === "function" ? B : undefined;

const td = new TextDecoder();
const te = new TextEncoder();

/** Allocates an uninitialised byte array (a Buffer on Node). */
export function allocBytes(size: number): Uint8Array {
  return NodeBuffer ? NodeBuffer.allocUnsafeSlow(size) : new Uint8Array(size);
}

/**
 * A copy of `buf[start:end)` in memory of its own (a pooled Buffer on Node, so the Buffer fast
 * paths apply to it), for bytes kept after the memory they were read into is reused.
 */
export function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  const out = NodeBuffer ? NodeBuffer.allocUnsafe(end - start) : new Uint8Array(end - start);
  out.set(buf.subarray(start, end));
  return out;
}

/** Decodes UTF-8 bytes `buf[start:end)` to a string. */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  const nb = buf as NodeBufferLike;
  if (typeof nb.utf8Slice === "function") return nb.utf8Slice(start, end);
  return td.decode(buf.subarray(start, end));
}

/** Number of bytes of `s` in UTF-8. */
export function utf8Length(s: string): number {
  if (NodeBuffer) return NodeBuffer.byteLength(s, "utf8");
  return te.encode(s).length;
}

/** UTF-8 encoding of `s`. */
export function encodeUtf8(s: string): Uint8Array {
  return te.encode(s);
}

/** Writes `s` as UTF-8 into `buf` at `offset` (capacity must suffice); returns bytes written. */
export function writeUtf8(buf: Uint8Array, s: string, offset: number): number {
  const nb = buf as NodeBufferLike;
  if (typeof nb.utf8Write === "function") return nb.utf8Write(s, offset);
  return te.encodeInto(s, buf.subarray(offset)).written;
}

/** Concatenates byte arrays into a new one. */
export function concatBytes(parts: Uint8Array[], total?: number): Uint8Array {
  const len = total ?? parts.reduce((a, p) => a + p.length, 0);
  const out = allocBytes(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
