
const DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE = 62;
const PRE_LEN = 12;
const SEQ_LEN = 10;
// 62^10 does not fit a double exactly, so the sequence is kept as two 5-digit halves
// (62^5 = 916132832 each), which makes the combined range exactly [0, 62^10).
const HALF = 916_132_832;
const MIN_INC = 33;
const MAX_INC = 333;

/**
 * NUID: 22 base-62 characters, a 12-character crypto-random prefix followed by a
 * 10-character sequence that advances by a random increment in [33, 333).
 */
export class Nuid {
  private readonly buf = new Uint8Array(PRE_LEN + SEQ_LEN);
  private seqHi = 0;
  private seqLo = 0;
  private inc = 0;

  constructor() {
    this.reset();
  }

  /** The next unique id. */
  next(): string {
    this.seqLo += this.inc;
    if (this.seqLo >= HALF) {
      this.seqLo -= HALF;
      this.seqHi++;
      if (this.seqHi >= HALF) this.reset();
    }
    let lo = this.seqLo;
    let hi = this.seqHi;
    const b = this.buf;
    for (let i = PRE_LEN + SEQ_LEN - 1; i >= PRE_LEN + 5; i--) {
      b[i] = DIGITS.charCodeAt(lo % BASE);
      lo = Math.floor(lo / BASE);
    }
    for (let i = PRE_LEN + 4; i >= PRE_LEN; i--) {
      b[i] = DIGITS.charCodeAt(hi % BASE);
      hi = Math.floor(hi / BASE);
    }
    return String.fromCharCode.apply(null, b as unknown as number[]);
  }

  /** New random prefix, sequence start and increment. */
  reset(): void {
    const rnd = new Uint8Array(PRE_LEN + 12);
    globalThis.crypto.getRandomValues(rnd);
    for (let i = 0; i < PRE_LEN; i++) this.buf[i] = DIGITS.charCodeAt(rnd[i]! % BASE);
    const dv = new DataView(rnd.buffer, PRE_LEN);
    this.seqHi = dv.getUint32(0) % HALF;
    this.seqLo = dv.getUint32(4) % HALF;
    this.inc = MIN_INC + (dv.getUint32(8) % (MAX_INC - MIN_INC));
  }
}

/** The shared NUID generator. */
export const nuid = new Nuid();
