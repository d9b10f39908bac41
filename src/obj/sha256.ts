// Incremental SHA-256 (FIPS 180-4) in plain TypeScript, for platforms without an incremental hash
// (WebCrypto's `crypto.subtle.digest` takes the whole input at once). Node uses node:crypto instead.

/** An incremental hash: `update()` any number of times, then `digest()` once. */
export interface Hasher {
  update(data: Uint8Array): void;
  /** The 32-byte digest; the hasher cannot be used afterwards. */
  digest(): Uint8Array;
}

const K = Int32Array.from([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

const INIT = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

class Sha256 implements Hasher {
  readonly #h = Int32Array.from(INIT);
  readonly #w = new Int32Array(64);
  /** A partial block waiting for more input. */
  readonly #block = new Uint8Array(64);
  #blockLen = 0;
  /** Total bytes hashed (a double: exact up to 2^53). */
  #length = 0;
  #done = false;

  update(data: Uint8Array): void {
    if (this.#done) throw new Error("sha256: digest() was already called");
    this.#length += data.length;
    let off = 0;
    if (this.#blockLen > 0) {
      const n = Math.min(64 - this.#blockLen, data.length);
      this.#block.set(data.subarray(0, n), this.#blockLen);
      this.#blockLen += n;
      off = n;
      if (this.#blockLen < 64) return;
      this.#compress(this.#block, 0);
      this.#blockLen = 0;
    }
    const whole = off + ((data.length - off) & ~63);
    for (; off < whole; off += 64) this.#compress(data, off);
    if (off < data.length) {
      this.#block.set(data.subarray(off));
      this.#blockLen = data.length - off;
    }
  }

  digest(): Uint8Array {
    if (this.#done) throw new Error("sha256: digest() was already called");
    const bits = this.#length * 8;
    const pad = new Uint8Array(this.#blockLen < 56 ? 64 - this.#blockLen : 128 - this.#blockLen);
    pad[0] = 0x80;
    const hi = Math.floor(bits / 0x100000000);
    const lo = bits >>> 0;
    const n = pad.length;
    pad[n - 8] = hi >>> 24;
    pad[n - 7] = hi >>> 16;
    pad[n - 6] = hi >>> 8;
    pad[n - 5] = hi;
    pad[n - 4] = lo >>> 24;
    pad[n - 3] = lo >>> 16;
    pad[n - 2] = lo >>> 8;
    pad[n - 1] = lo;
    const length = this.#length;
    this.update(pad);
    this.#length = length;
    this.#done = true;
    const out = new Uint8Array(32);
    for (let i = 0; i < 8; i++) {
      const v = this.#h[i]!;
      out[i * 4] = v >>> 24;
      out[i * 4 + 1] = v >>> 16;
      out[i * 4 + 2] = v >>> 8;
      out[i * 4 + 3] = v;
    }
    return out;
  }

  #compress(p: Uint8Array, off: number): void {
    const w = this.#w;
    for (let i = 0; i < 16; i++, off += 4) w[i] = (p[off]! << 24) | (p[off + 1]! << 16) | (p[off + 2]! << 8) | p[off + 3]!;
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15]!;
      const b = w[i - 2]!;
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16]! + s0 + w[i - 7]! + s1) | 0;
    }
    const h = this.#h;
    let a = h[0]!;
    let b = h[1]!;
    let c = h[2]!;
    let d = h[3]!;
    let e = h[4]!;
    let f = h[5]!;
    let g = h[6]!;
    let hh = h[7]!;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + S1 + ch + K[i]! + w[i]!) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    h[0] = (h[0]! + a) | 0;
    h[1] = (h[1]! + b) | 0;
    h[2] = (h[2]! + c) | 0;
    h[3] = (h[3]! + d) | 0;
    h[4] = (h[4]! + e) | 0;
    h[5] = (h[5]! + f) | 0;
    h[6] = (h[6]! + g) | 0;
    h[7] = (h[7]! + hh) | 0;
  }
}

/** A new incremental SHA-256 in plain TypeScript. */
export function sha256(): Hasher {
  return new Sha256();
}
