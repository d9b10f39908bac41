import { allocBytes, concatBytes, encodeUtf8, utf8Length, writeUtf8 } from "./bytes.js";

const SLAB = 256 * 1024;
/** Encoded `PUB <subject> ` / `HPUB <subject> ` prefixes kept for reuse. */
const PREFIX_CACHE_SIZE = 512;
/** Uncached subjects written while the prefix cache is full before it is emptied and refilled. */
const UNCACHED_RUN = 65_536;
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

/** A block of memory frames are encoded into; reused once the transport is done with it. */
interface Slab {
  buf: Uint8Array;
  /** Chunks of this slab sealed and not yet released (waiting, or being written). */
  refs: number;
  /** Allocated for one oversized frame: never pooled. */
  big: boolean;
}

/** Encoded bytes ready to send, and the slab they live in. */
interface Chunk {
  bytes: Uint8Array;
  slab: Slab;
}

/** Writes one chunk; `done` is called once the bytes may be reused. Returns false to pause. */
export type ChunkWriter = (bytes: Uint8Array, done: () => void) => boolean;

/** Slabs the pool keeps for good. */
const POOL_SIZE = 8;
/** How long slabs beyond POOL_SIZE stay pooled after the last burst that needed new ones. */
const POOL_LINGER_MS = 1_000;

/**
 * The outbound buffer. Frames are encoded straight into slabs of memory. A full slab is sealed
 * into the list of chunks waiting to be written (nothing is ever copied to grow the buffer), and
 * a slab goes back to a pool once the transport reports its chunks written, so steady publishing
 * reuses the same warm memory instead of allocating (and page-faulting) new memory. A publisher
 * that outruns the socket makes the buffer grow; the slabs of that growth stay pooled while such
 * bursts keep coming (each burst would otherwise allocate them again, and the garbage collector
 * run for them), and are let go once none has needed a new slab for POOL_LINGER_MS.
 */
export class OutboundBuffer {
  private slab: Slab = { buf: allocBytes(SLAB), refs: 0, big: false };
  private buf: Uint8Array = this.slab.buf;
  private start = 0;
  private pos = 0;
  private readonly ready: Chunk[] = [];
  private readyBytes = 0;
  private readonly pool: Uint8Array[] = [];
  private lastSubject = "";
  private lastPub: Uint8Array = PUB;
  private lastHSubject = "";
  private lastHPub: Uint8Array = HPUB;
  private readonly prefixes = new Map<string, Uint8Array>();
  private readonly hprefixes = new Map<string, Uint8Array>();
  private uncached = 0;
  private lineSubject = "";
  private lineSize = -1;
  private cachedLine?: Uint8Array;
  private readonly releasers = new Map<Slab, () => void>();
  /** A slab was allocated since the pool's trim timer last ran. */
  private grew = false;
  private trimTimer: ReturnType<typeof setTimeout> | undefined;
  private disposed = false;

  /** Slabs waiting in the pool for reuse. */
  get pooled(): number {
    return this.pool.length;
  }

  /** Bytes encoded and not yet handed to the transport. */
  get length(): number {
    return this.readyBytes + (this.pos - this.start);
  }

  /**
   * Hands the encoded bytes to `write`, chunk by chunk, until `write` returns false (the
   * transport asked to wait; the rest stays here). Returns false when it stopped early.
   */
  writeTo(write: ChunkWriter): boolean {
    if (this.pos > this.start) this.seal();
    while (this.ready.length > 0) {
      const c = this.ready.shift()!;
      this.readyBytes -= c.bytes.length;
      if (!write(c.bytes, this.releaser(c.slab))) return false;
    }
    return true;
  }

  /**
   * The untaken bytes (a view when contiguous, else a copy), or null when there are none.
   * The memory behind them is never reused, so they stay valid.
   */
  take(): Uint8Array | null {
    if (this.length === 0) return null;
    const parts: Uint8Array[] = [];
    this.writeTo((b) => {
      parts.push(b);
      return true;
    });
    return parts.length === 1 ? parts[0]! : concatBytes(parts);
  }

  /** All untaken bytes, copied into one array (the buffer is then empty). */
  detach(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    this.writeTo((b, done) => {
      out.set(b, o);
      o += b.length;
      done();
      return true;
    });
    return out;
  }

  /** Drops everything not yet taken. */
  reset(): void {
    for (const c of this.ready) this.releaser(c.slab)();
    this.ready.length = 0;
    this.readyBytes = 0;
    this.start = this.pos;
  }

  /** Cuts the untaken bytes back to `length` (undoes a frame that may not be kept). */
  truncate(length: number): void {
    while (this.ready.length > 0 && this.readyBytes > length) {
      // only the frame just written can be cut, and ensure() put it wholly in the current slab
      const c = this.ready.pop()!;
      this.readyBytes -= c.bytes.length;
      c.slab.refs--;
    }
    this.pos = this.start + Math.max(0, length - this.readyBytes);
  }

  /** Moves the current slab's encoded bytes to the ready list. */
  private seal(): void {
    this.slab.refs++;
    this.ready.push({ bytes: this.buf.subarray(this.start, this.pos), slab: this.slab });
    this.readyBytes += this.pos - this.start;
    this.start = this.pos;
  }

  private releaser(slab: Slab): () => void {
    let r = this.releasers.get(slab);
    if (r === undefined) {
      r = () => {
        if (--slab.refs === 0 && slab !== this.slab) this.recycle(slab);
      };
      this.releasers.set(slab, r);
    }
    return r;
  }

  private recycle(slab: Slab): void {
    this.releasers.delete(slab);
    if (slab.big || this.disposed) return;
    this.pool.push(slab.buf);
    if (this.pool.length > POOL_SIZE && this.trimTimer === undefined) this.scheduleTrim();
  }

  private scheduleTrim(): void {
    const timer = setTimeout(this.trim, POOL_LINGER_MS);
    (timer as { unref?: () => void }).unref?.();
    this.trimTimer = timer;
  }

  /** Lets the slabs beyond POOL_SIZE go once no burst has needed a new slab for a while. */
  private readonly trim = (): void => {
    this.trimTimer = undefined;
    if (this.grew) {
      this.grew = false;
      if (this.pool.length > POOL_SIZE) this.scheduleTrim();
      return;
    }
    if (this.pool.length > POOL_SIZE) this.pool.length = POOL_SIZE;
  };

  /** Stops the pool's trim timer and lets every pooled slab go (the connection is closed). */
  dispose(): void {
    this.disposed = true;
    if (this.trimTimer !== undefined) clearTimeout(this.trimTimer);
    this.trimTimer = undefined;
    this.pool.length = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > this.start) this.seal();
    const old = this.slab;
    // the old slab is free unless chunks of it are waiting or being written
    if (old.refs === 0) this.recycle(old);
    const big = n > SLAB;
    let buf = big ? undefined : this.pool.pop();
    if (buf === undefined) {
      buf = allocBytes(big ? n : SLAB);
      this.grew = true;
    }
    this.slab = { buf, refs: 0, big };
    this.buf = this.slab.buf;
    this.start = 0;
    this.pos = 0;
  }

  /**
   * Writes `PUB <subject> ` (or HPUB). The encoded prefix is cached for subjects used again; once
   * the cache is full, new subjects are written straight into the buffer without caching (a stream
   * of unique subjects, such as ack subjects, then costs no allocation), and the cache is refilled
   * after a long run of such misses, so that a new set of hot subjects gets cached in turn.
   */
  private writePrefix(subject: string, headers: boolean): void {
    // HPUB prefixes have a cache of their own: no key to concatenate (and hash afresh) per message
    if (headers) {
      if (subject === this.lastHSubject) return this.bytes(this.lastHPub);
    } else if (subject === this.lastSubject) {
      return this.bytes(this.lastPub);
    }
    const cache = headers ? this.hprefixes : this.prefixes;
    const op = headers ? HPUB : PUB;
    let p = cache.get(subject);
    if (p === undefined) {
      if (this.prefixes.size + this.hprefixes.size >= PREFIX_CACHE_SIZE) {
        if (++this.uncached < UNCACHED_RUN) {
          this.bytes(op);
          this.str(subject);
          this.buf[this.pos++] = 32;
          return;
        }
        this.prefixes.clear();
        this.hprefixes.clear();
        this.uncached = 0;
      }
      const subj = encodeUtf8(subject);
      p = new Uint8Array(op.length + subj.length + 1);
      p.set(op, 0);
      p.set(subj, op.length);
      p[p.length - 1] = 32;
      cache.set(subject, p);
    }
    if (headers) {
      this.lastHSubject = subject;
      this.lastHPub = p;
    } else {
      this.lastSubject = subject;
      this.lastPub = p;
    }
    this.bytes(p);
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
    const p = this.pos;
    // sizes are small in practice: straight-line digits, no loop
    if (v < 10) {
      b[p] = 48 + v;
      this.pos = p + 1;
    } else if (v < 100) {
      b[p] = 48 + ((v / 10) | 0);
      b[p + 1] = 48 + (v % 10);
      this.pos = p + 2;
    } else if (v < 1000) {
      b[p] = 48 + ((v / 100) | 0);
      b[p + 1] = 48 + (((v / 10) | 0) % 10);
      b[p + 2] = 48 + (v % 10);
      this.pos = p + 3;
    } else if (v < 10000) {
      b[p] = 48 + ((v / 1000) | 0);
      b[p + 1] = 48 + (((v / 100) | 0) % 10);
      b[p + 2] = 48 + (((v / 10) | 0) % 10);
      b[p + 3] = 48 + (v % 10);
      this.pos = p + 4;
    } else {
      let digits = 0;
      for (let t = v; t > 0; t = Math.floor(t / 10)) digits++;
      let q = p + digits - 1;
      for (let t = v; t > 0; t = Math.floor(t / 10)) b[q--] = 48 + (t % 10);
      this.pos = p + digits;
    }
  }

  /** A frame's payload (bytes, or text of `len` UTF-8 bytes) and its closing CRLF. */
  private payload(payload: Uint8Array | string, len: number): void {
    if (typeof payload === "string") this.str(payload);
    else if (len) this.bytes(payload);
    this.crlf();
  }

  private crlf(): void {
    this.buf[this.pos++] = CRLF0;
    this.buf[this.pos++] = CRLF1;
  }

  /**
   * Encodes PUB (or HPUB when `hdrs` is given). `payload` is bytes or a UTF-8 string whose
   * byte length is `payloadLen`; `hdrs` likewise, with `hdrLen` its byte length when it is text.
   * `oneOff`: the subject is not expected again (nothing is cached for it). Returns the frame's
   * size in bytes.
   */
  pub(subject: string, reply: string | undefined, hdrs: Uint8Array | string | undefined, payload: Uint8Array | string, payloadLen: number, hdrLen?: number, oneOff = false): number {
    const hlen = hdrs === undefined ? 0 : typeof hdrs === "string" ? (hdrLen ?? utf8Length(hdrs)) : hdrs.length;
    const rlen = reply ? reply.length : 0;
    this.ensure(48 + (subject.length + rlen) * 3 + hlen + payloadLen);
    const frameStart = this.pos;
    if (reply === undefined && hdrs === undefined && !oneOff) {
      this.pubLine(subject, payloadLen);
    } else {
      if (oneOff) {
        // a subject used once (a received message's reply): no cache lookup, which would hash it
        this.bytes(hdrs !== undefined ? HPUB : PUB);
        this.str(subject);
        this.buf[this.pos++] = 32;
      } else {
        this.writePrefix(subject, hdrs !== undefined);
      }
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
      if (typeof hdrs === "string") this.str(hdrs);
      else if (hdrs) this.bytes(hdrs);
    }
    this.payload(payload, payloadLen);
    return this.pos - frameStart;
  }

  /**
   * Encodes PUB to a subject given as bytes, `subject[start, end)`: a received message's reply,
   * echoed as the server sent it (a token of its MSG line: no whitespace, no control character),
   * without decoding it to a string and encoding it back. Returns the frame's size in bytes.
   */
  pubTo(subject: Uint8Array, start: number, end: number, payload: Uint8Array | string, payloadLen: number): number {
    this.ensure(48 + (end - start) + payloadLen);
    const frameStart = this.pos;
    this.bytes(PUB);
    const buf = this.buf;
    let p = this.pos;
    if (end - start < SMALL_COPY) {
      for (let i = start; i < end; i++) buf[p++] = subject[i]!;
    } else {
      buf.set(subject.subarray(start, end), p);
      p += end - start;
    }
    buf[p] = 32;
    this.pos = p + 1;
    this.num(payloadLen);
    this.crlf();
    this.payload(payload, payloadLen);
    return this.pos - frameStart;
  }

  /**
   * `PUB <subject> <size>\r\n`. The whole line is cached once the same subject and size come
   * twice in a row (fixed-size streams), so steady publishing copies one small array.
   */
  private pubLine(subject: string, size: number): void {
    if (subject === this.lineSubject && size === this.lineSize) {
      if (this.cachedLine !== undefined) {
        this.bytes(this.cachedLine);
        return;
      }
      const s0 = this.pos;
      this.writePrefix(subject, false);
      this.num(size);
      this.crlf();
      this.cachedLine = new Uint8Array(this.buf.subarray(s0, this.pos));
      return;
    }
    this.lineSubject = subject;
    this.lineSize = size;
    this.cachedLine = undefined;
    this.writePrefix(subject, false);
    this.num(size);
    this.crlf();
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

