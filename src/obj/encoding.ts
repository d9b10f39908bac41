// The encodings of the object store layout (ADR-20, as nats.go writes them): object names in meta
// subjects are base64url *with* padding of their UTF-8 bytes (Go's base64.URLEncoding), and the
// digest is `SHA-256=` + base64url with padding of the 32-byte SHA-256.

export const DIGEST_PREFIX = "SHA-256=";

const encoder = new TextEncoder();
const URL_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** Decoding table for both alphabets (standard `+/` and URL `-_`); -1 elsewhere. */
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) DECODE[URL_ALPHABET.charCodeAt(i)] = i;
DECODE["+".charCodeAt(0)] = 62;
DECODE["/".charCodeAt(0)] = 63;

/** base64url with `=` padding (Go's base64.URLEncoding). */
export function base64UrlPadded(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += URL_ALPHABET[n >>> 18]! + URL_ALPHABET[(n >>> 12) & 63]! + URL_ALPHABET[(n >>> 6) & 63]! + URL_ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${URL_ALPHABET[n >>> 18]!}${URL_ALPHABET[(n >>> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${URL_ALPHABET[n >>> 18]!}${URL_ALPHABET[(n >>> 12) & 63]!}${URL_ALPHABET[(n >>> 6) & 63]!}=`;
  }
  return out;
}

/** Decodes base64 in either alphabet, padded or not; null when `s` is not base64. */
export function base64Decode(s: string): Uint8Array | null {
  const body = s.replace(/=+$/, "");
  if (body.length % 4 === 1 || s.length - body.length > 2) return null;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? DECODE[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  return out;
}

/** The meta-subject token of an object name: base64url with padding of its UTF-8 bytes. */
export function encodeName(name: string): string {
  return base64UrlPadded(encoder.encode(name));
}

/** `SHA-256=<base64url with padding>`, exactly as nats.go writes it. */
export function formatDigest(sha: Uint8Array): string {
  return DIGEST_PREFIX + base64UrlPadded(sha);
}

/**
 * The 32 bytes of a stored digest, or null when it cannot be read. Liberal in what it accepts, as
 * clients have differed: base64url or standard base64, padded or not, or hex.
 */
export function parseDigest(digest: string | undefined): Uint8Array | null {
  if (typeof digest !== "string" || digest.slice(0, DIGEST_PREFIX.length).toUpperCase() !== DIGEST_PREFIX) return null;
  const value = digest.slice(DIGEST_PREFIX.length);
  if (/^[0-9a-fA-F]{64}$/.test(value)) {
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(value.slice(i * 2, i * 2 + 2), 16);
    return out;
  }
  const bytes = base64Decode(value);
  return bytes && bytes.length === 32 ? bytes : null;
}

/** Constant-length comparison of two digests. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
