import { ProtocolError } from "../util/errors.js";
import { allocBytes, concatBytes, copyBytes, decodeUtf8 } from "./bytes.js";

/**
 * Receives the frames the parser recognises. `onMsg` gets the control line's bytes and
 * offsets (decoded lazily by the caller), and the message bytes (header block + payload) as
 * `buf[dataStart:dataEnd)`, so that no view needs to be created for a message nobody reads.
 */
export interface ParserHandler {
  onMsg(sid: number, line: Uint8Array, subjStart: number, subjEnd: number, replyStart: number, replyEnd: number, hdrLen: number, buf: Uint8Array, dataStart: number, dataEnd: number): void;
  onInfo(json: string): void;
  onPing(): void;
  onPong(): void;
  onOk(): void;
  onErr(text: string): void;
}

const CR = 13;
const LF = 10;
const SPACE = 32;
const TAB = 9;
/** The longest control line accepted (INFO can be long in big clusters). */
export const MAX_CONTROL_LINE = 1024 * 1024;
/** The largest message accepted: nats-server caps max_payload at 64 MiB. */
export const MAX_MESSAGE_SIZE = 64 * 1024 * 1024 + 64 * 1024;

const STATE_OP: number = 0;
const STATE_PAYLOAD: number = 1;
const STATE_PAYLOAD_END: number = 2;
const STATE_FAILED: number = 3;

const OPS = ["MSG ", "HMSG ", "PING", "PONG", "INFO ", "+OK", "-ERR"];

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c | 0x20 : c;
}

function isWs(c: number): boolean {
  return c === SPACE || c === TAB;
}

/**
 * The NATS protocol parser: a byte-level state machine over chunks. Control lines are
 * located with one `indexOf(LF)`, numbers are parsed from bytes, payloads are taken as a
 * view of the chunk in one step; bytes are copied only when a frame spans two chunks.
 * Any malformed input throws {@link ProtocolError} and leaves the parser failed.
 */
export class Parser {
  private state: number = STATE_OP;
  private partial: Uint8Array[] = [];
  private partialLen = 0;
  // the message being assembled across chunks
  private sid = 0;
  private line: Uint8Array = new Uint8Array(0);
  private ss = 0;
  private se = 0;
  private rs = 0;
  private re = 0;
  private hdrLen = 0;
  private size = 0;
  private payload: Uint8Array = new Uint8Array(0);
  private filled = 0;
  private endSeen = 0;
  // token offsets scratch for MSG/HMSG arguments
  private readonly tok = new Int32Array(12);

  /** Where frames go; may be swapped (handshake, then the connection). */
  handler: ParserHandler;

  constructor(handler: ParserHandler) {
    this.handler = handler;
  }

  /** Feeds one chunk of bytes from the transport. */
  parse(chunk: Uint8Array): void {
    if (this.state === STATE_FAILED) throw new ProtocolError("parser failed earlier");
    try {
      this.run(chunk);
    } catch (err) {
      this.state = STATE_FAILED;
      throw err;
    }
  }

  private run(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    if (this.state !== STATE_OP) {
      i = this.continuePayload(chunk, 0);
      if (this.state !== STATE_OP) return;
    }
    if (this.partialLen > 0) {
      const lf = chunk.indexOf(LF, i);
      if (lf < 0) {
        this.savePartial(chunk, i, n);
        return;
      }
      const rest = chunk.subarray(i, lf + 1);
      const line = concatBytes([...this.partial, rest], this.partialLen + rest.length);
      this.partial = [];
      this.partialLen = 0;
      this.controlLine(line, 0, line.length - 1);
      i = lf + 1;
      if (this.state !== STATE_OP) {
        i = this.continuePayload(chunk, i);
        if (this.state !== STATE_OP) return;
      }
    }
    while (i < n) {
      const lf = chunk.indexOf(LF, i);
      if (lf < 0) {
        this.savePartial(chunk, i, n);
        return;
      }
      this.controlLine(chunk, i, lf);
      i = lf + 1;
      if (this.state === STATE_PAYLOAD) {
        const size = this.size;
        const end = i + size;
        if (end + 2 <= n) {
          // fast path: payload and its CRLF are in this chunk
          if (chunk[end] !== CR || chunk[end + 1] !== LF) throw new ProtocolError("message payload is not followed by CRLF");
          this.state = STATE_OP;
          this.handler.onMsg(this.sid, this.line, this.ss, this.se, this.rs, this.re, this.hdrLen, chunk, i, end);
          i = end + 2;
        } else {
          i = this.continuePayload(chunk, i);
          if (this.state !== STATE_OP) {
            this.ownLine(chunk);
            return;
          }
        }
      }
    }
  }

  /**
   * The message continues in the next chunk: its control line's subject and reply are copied out
   * of `chunk`, whose memory the transport may reuse for that next read.
   */
  private ownLine(chunk: Uint8Array): void {
    if (this.line !== chunk) return;
    const start = this.ss;
    const end = this.re > this.rs ? this.re : this.se;
    this.line = copyBytes(chunk, start, end);
    this.ss = 0;
    this.se -= start;
    if (this.re > this.rs) {
      this.rs -= start;
      this.re -= start;
    }
  }

  /** Copies payload bytes that span chunks; returns the next unread offset. */
  private continuePayload(chunk: Uint8Array, i: number): number {
    const n = chunk.length;
    if (this.state === STATE_PAYLOAD) {
      if (this.filled === 0 && this.payload.length !== this.size) this.payload = allocBytes(this.size);
      const take = Math.min(this.size - this.filled, n - i);
      if (take > 0) {
        this.payload.set(chunk.subarray(i, i + take), this.filled);
        this.filled += take;
        i += take;
      }
      if (this.filled < this.size) return i;
      this.state = STATE_PAYLOAD_END;
      this.endSeen = 0;
    }
    while (this.endSeen < 2 && i < n) {
      const expect = this.endSeen === 0 ? CR : LF;
      if (chunk[i] !== expect) throw new ProtocolError("message payload is not followed by CRLF");
      this.endSeen++;
      i++;
    }
    if (this.endSeen < 2) return i;
    const data = this.payload;
    this.payload = new Uint8Array(0);
    this.filled = 0;
    this.state = STATE_OP;
    this.handler.onMsg(this.sid, this.line, this.ss, this.se, this.rs, this.re, this.hdrLen, data, 0, data.length);
    return i;
  }

  private savePartial(chunk: Uint8Array, start: number, end: number): void {
    if (start >= end) return;
    // a real copy (Buffer#slice would share memory): the transport may reuse the chunk's memory
    this.partial.push(copyBytes(chunk, start, end));
    this.partialLen += end - start;
    if (this.partialLen > MAX_CONTROL_LINE) throw new ProtocolError(`control line longer than ${MAX_CONTROL_LINE} bytes`);
    // reject garbage early, without waiting for a line end that may never come
    const head = this.partial.length === 1 ? this.partial[0]! : concatBytes(this.partial, this.partialLen);
    this.checkOpPrefix(head, 0, Math.min(head.length, 5));
  }

  private checkOpPrefix(buf: Uint8Array, start: number, end: number): void {
    for (const op of OPS) {
      const n = Math.min(op.length, end - start);
      let ok = true;
      for (let i = 0; i < n; i++) {
        const c = buf[start + i]!;
        const want = op.charCodeAt(i);
        const same = want === SPACE ? isWs(c) : (c >= 97 && c <= 122 ? c - 32 : c) === want;
        if (!same) {
          ok = false;
          break;
        }
      }
      if (ok) return;
    }
    throw new ProtocolError(`unknown protocol operation: ${JSON.stringify(decodeUtf8(buf, start, end))}`);
  }

  /** Handles the control line `buf[start:lf)` (lf is the index of its LF). */
  private controlLine(buf: Uint8Array, start: number, lf: number): void {
    let end = lf;
    if (end > start && buf[end - 1] === CR) end--;
    const c0 = lower(buf[start] ?? 0);
    switch (c0) {
      case 109: // m
        if (end - start > 3 && lower(buf[start + 1]!) === 115 && lower(buf[start + 2]!) === 103 && isWs(buf[start + 3]!)) {
          this.msgArgs(buf, start + 4, end, false);
          return;
        }
        break;
      case 104: // h
        if (end - start > 4 && lower(buf[start + 1]!) === 109 && lower(buf[start + 2]!) === 115 && lower(buf[start + 3]!) === 103 && isWs(buf[start + 4]!)) {
          this.msgArgs(buf, start + 5, end, true);
          return;
        }
        break;
      case 112: // p
        if (end - start >= 4 && lower(buf[start + 2]!) === 110 && lower(buf[start + 3]!) === 103 && this.onlyWs(buf, start + 4, end)) {
          const c1 = lower(buf[start + 1]!);
          if (c1 === 105) return this.handler.onPing();
          if (c1 === 111) return this.handler.onPong();
        }
        break;
      case 105: // i
        if (end - start > 4 && lower(buf[start + 1]!) === 110 && lower(buf[start + 2]!) === 102 && lower(buf[start + 3]!) === 111 && isWs(buf[start + 4]!)) {
          this.handler.onInfo(decodeUtf8(buf, start + 5, end).trim());
          return;
        }
        break;
      case 43: // +
        if (end - start >= 3 && lower(buf[start + 1]!) === 111 && lower(buf[start + 2]!) === 107 && this.onlyWs(buf, start + 3, end)) {
          return this.handler.onOk();
        }
        break;
      case 45: // -
        if (end - start >= 4 && lower(buf[start + 1]!) === 101 && lower(buf[start + 2]!) === 114 && lower(buf[start + 3]!) === 114 && (end - start === 4 || isWs(buf[start + 4]!))) {
          let text = decodeUtf8(buf, start + 4, end).trim();
          if (text.startsWith("'") && text.endsWith("'") && text.length >= 2) text = text.slice(1, -1);
          this.handler.onErr(text.trim());
          return;
        }
        break;
    }
    const shown = decodeUtf8(buf, start, Math.min(end, start + 32));
    throw new ProtocolError(`unknown protocol operation: ${JSON.stringify(shown)}`);
  }

  private onlyWs(buf: Uint8Array, start: number, end: number): boolean {
    for (let i = start; i < end; i++) if (!isWs(buf[i]!)) return false;
    return true;
  }

  private msgArgs(buf: Uint8Array, start: number, end: number, withHeaders: boolean): void {
    const tok = this.tok;
    let count = 0;
    let i = start;
    while (i < end) {
      let c = buf[i]!;
      while (c === SPACE || c === TAB) {
        if (++i === end) break;
        c = buf[i]!;
      }
      if (i >= end) break;
      if (count === 5) throw new ProtocolError("too many arguments in MSG");
      const s = i;
      // token bytes are above 32: one test excludes whitespace and control characters
      while (c > 32) {
        if (++i === end) break;
        c = buf[i]!;
      }
      if (i < end && c !== SPACE && c !== TAB) throw new ProtocolError("control character in MSG arguments");
      tok[count * 2] = s;
      tok[count * 2 + 1] = i;
      count++;
    }
    const min = withHeaders ? 4 : 3;
    if (count !== min && count !== min + 1) throw new ProtocolError(`wrong number of arguments in ${withHeaders ? "HMSG" : "MSG"}`);
    const hasReply = count === min + 1;
    this.line = buf;
    this.ss = tok[0]!;
    this.se = tok[1]!;
    this.sid = this.number(buf, tok[2]!, tok[3]!);
    let k = 2;
    if (hasReply) {
      this.rs = tok[4]!;
      this.re = tok[5]!;
      k = 3;
    } else {
      this.rs = 0;
      this.re = 0;
    }
    if (withHeaders) {
      this.hdrLen = this.number(buf, tok[k * 2]!, tok[k * 2 + 1]!);
      this.size = this.number(buf, tok[k * 2 + 2]!, tok[k * 2 + 3]!);
      if (this.hdrLen > this.size) throw new ProtocolError("HMSG header size exceeds total size");
    } else {
      this.hdrLen = 0;
      this.size = this.number(buf, tok[k * 2]!, tok[k * 2 + 1]!);
    }
    if (this.size > MAX_MESSAGE_SIZE) throw new ProtocolError(`message size ${this.size} exceeds the ${MAX_MESSAGE_SIZE}-byte limit`);
    this.filled = 0;
    this.state = STATE_PAYLOAD;
  }

  private number(buf: Uint8Array, start: number, end: number): number {
    if (end <= start || end - start > 15) throw new ProtocolError("bad number in MSG arguments");
    let v = 0;
    for (let i = start; i < end; i++) {
      const d = buf[i]! - 48;
      if (d < 0 || d > 9) throw new ProtocolError("bad number in MSG arguments");
      v = v * 10 + d;
    }
    return v;
  }
}
