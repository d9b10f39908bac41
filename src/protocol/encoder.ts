import { allocBytes, encodeUtf8, NodeBuffer, utf8Length, writeUtf8 } from "./bytes.js";

const SLAB = 256 * 1024;
/** Encoded `PUB <subject> ` / `HPUB <subject> ` prefixes kept for reuse. */
const PREFIX_CACHE_SIZE = 512;
/** Below this size a JS loop copies faster than TypedArray.set(). */
const SMALL_COPY = 48;
const CRLF0 = 13;
const CRLF1 = 10;

function ascii(s: string): Uint8Array {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return b;
}
const PUB = ascii("PUB ");
const HPUB = ascii("HPUB ");
const SUB = ascii("SUB ");
const UNSUB = ascii("UNSUB ");
const PING = ascii("PING\r\n");
const PONG = ascii("PONG\r\n");
const EMPTY = new Uint8Array(0);

/**
 * One growable outbound buffer. Frames are encoded straight into it; `take()` hands the
 * encoded bytes to the transport as a view and moves on, so bytes already handed out are
 * never overwritten (a new slab is started when the current one is used up).
 */
export class OutboundBuffer {
  private buf: Uint8Array = allocBytes(SLAB);
  private start = 0;
  private pos = 0;
  private lastSubject = "";
  private lastPub: Uint8Array = PUB;
  private readonly prefixes = new Map<string, Uint8Array>();

  /** `PUB <subject> ` (or HPUB) as bytes, cached for subjects used again. */
  private prefix(subject: string, headers: boolean): Uint8Array {
    if (!headers && subject === this.lastSubject) return this.lastPub;
    const key = headers ? "H" + subject : subject;
    let p = this.prefixes.get(key);
    if (p === undefined) {
      const op = headers ? HPUB : PUB;
      const subj = encodeUtf8(subject);
      p = new Uint8Array(op.length + subj.length + 1);
      p.set(op, 0);
      p.set(subj, op.length);
      p[p.length - 1] = 32;
      if (this.prefixes.size >= PREFIX_CACHE_SIZE) this.prefixes.clear();
      this.prefixes.set(key, p);
    }
    if (!headers) {
      this.lastSubject = subject;
      this.lastPub = p;
    }
    return p;
  }

  /** Bytes encoded and not yet taken. */
  get length(): number {
    return this.pos - this.start;
  }

  /** Returns the encoded bytes not yet taken (a view), or null when there are none. */
  take(): Uint8Array | null {
    if (this.pos === this.start) return null;
    const out = this.buf.subarray(this.start, this.pos);
    this.start = this.pos;
    return out;
  }

  /** Cuts the untaken bytes back to `length` (undoes a frame that may not be kept). */
  truncate(length: number): void {
    this.pos = this.start + length;
  }

  /** Drops everything not yet taken. */
  reset(): void {
    this.start = this.pos;
  }

  /** Encoded bytes not yet taken, copied out (the buffer is then empty). */
  detach(): Uint8Array {
    const out = this.buf.slice(this.start, this.pos);
    this.start = this.pos;
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const used = this.pos - this.start;
    let size = SLAB;
    while (size < (used + n) * 2) size *= 2;
    const next = allocBytes(size);
    if (used) next.set(this.buf.subarray(this.start, this.pos), 0);
    this.buf = next;
    this.start = 0;
    this.pos = used;
  }

  private bytes(b: Uint8Array): void {
    const n = b.length;
    if (n < SMALL_COPY) {
      const buf = this.buf;
      let p = this.pos;
      for (let i = 0; i < n; i++) buf[p++] = b[i]!;
    } else {
      this.buf.set(b, this.pos);
    }
    this.pos += n;
  }

  private str(s: string): void {
    this.pos += writeUtf8(this.buf, s, this.pos);
  }

  private num(v: number): void {
    const b = this.buf;
    if (v < 10) {
      b[this.pos++] = 48 + v;
      return;
    }
    let digits = 0;
    for (let t = v; t > 0; t = Math.floor(t / 10)) digits++;
    let p = this.pos + digits - 1;
    for (let t = v; t > 0; t = Math.floor(t / 10)) b[p--] = 48 + (t % 10);
    this.pos += digits;
  }

  private crlf(): void {
    this.buf[this.pos++] = CRLF0;
    this.buf[this.pos++] = CRLF1;
  }

  /**
   * Encodes PUB (or HPUB when `hdrs` is given). `payload` is bytes or a UTF-8 string whose
   * byte length is `payloadLen`. Returns the frame's size in bytes.
   */
  pub(subject: string, reply: string | undefined, hdrs: Uint8Array | undefined, payload: Uint8Array | string, payloadLen: number): number {
    const before = this.pos - this.start;
    const hlen = hdrs ? hdrs.length : 0;
    const rlen = reply ? reply.length : 0;
    this.ensure(48 + (subject.length + rlen) * 3 + hlen + payloadLen);
    this.bytes(this.prefix(subject, hdrs !== undefined));
    if (reply) {
      this.str(reply);
      this.buf[this.pos++] = 32;
    }
    if (hdrs) {
      this.num(hlen);
      this.buf[this.pos++] = 32;
      this.num(hlen + payloadLen);
    } else {
      this.num(payloadLen);
    }
    this.crlf();
    if (hdrs) this.bytes(hdrs);
    if (typeof payload === "string") this.str(payload);
    else if (payloadLen) this.bytes(payload);
    this.crlf();
    return this.pos - this.start - before;
  }

  sub(subject: string, queue: string | undefined, sid: number): void {
    this.ensure(32 + (subject.length + (queue ? queue.length : 0)) * 3);
    this.bytes(SUB);
    this.str(subject);
    this.buf[this.pos++] = 32;
    if (queue) {
      this.str(queue);
      this.buf[this.pos++] = 32;
    }
    this.num(sid);
    this.crlf();
  }

  unsub(sid: number, max?: number): void {
    this.ensure(48);
    this.bytes(UNSUB);
    this.num(sid);
    if (max !== undefined) {
      this.buf[this.pos++] = 32;
      this.num(max);
    }
    this.crlf();
  }

  ping(): void {
    this.ensure(6);
    this.bytes(PING);
  }

  pong(): void {
    this.ensure(6);
    this.bytes(PONG);
  }

  /** Writes a whole line of text followed by CRLF (used for CONNECT). */
  line(text: string): void {
    this.ensure(text.length * 3 + 2);
    this.str(text);
    this.crlf();
  }

  /** Appends raw, already encoded protocol bytes. */
  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes(bytes);
  }
}

/** Bytes of a payload given as a string or bytes (undefined = empty). */
export function payloadLength(data: Uint8Array | string | undefined): number {
  if (data === undefined) return 0;
  if (typeof data === "string") return data.length === 0 ? 0 : utf8Length(data);
  return data.length;
}

export { EMPTY as EMPTY_PAYLOAD, NodeBuffer };
