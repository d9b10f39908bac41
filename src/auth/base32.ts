import { InvalidArgumentError } from "../util/errors.js";

/** RFC 4648 base32 alphabet (upper case), as used by NKeys. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as RFC 4648 base32 without padding. */
export function encodeBase32(data: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < data.length; i++) {
    acc = ((acc << 8) | data[i]!) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes RFC 4648 base32 (upper case; trailing `=` padding tolerated) from a string or from its
 * ASCII bytes. Reading bytes directly keeps secrets given as `Uint8Array` out of immutable strings.
 * Errors never quote the input.
 */
export function decodeBase32(text: string | Uint8Array): Uint8Array {
  const code = typeof text === "string" ? (i: number) => text.charCodeAt(i) : (i: number) => text[i]!;
  let len = text.length;
  while (len > 0 && code(len - 1) === 0x3d /* = */) len--;
  const out = new Uint8Array(Math.floor((len * 5) / 8));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < len; i++) {
    const c = code(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new InvalidArgumentError(`invalid base32 character at offset ${i}`);
    acc = ((acc << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >>> bits) & 0xff;
    }
  }
  acc = 0;
  return out;
}
