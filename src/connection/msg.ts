import { decodeUtf8 } from "../protocol/bytes.js";
import { noteReceivedReply } from "../protocol/subject.js";
import { MsgHdrs } from "../protocol/headers.js";

const td = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** Options of `Msg.respond()`: headers, and `flush` as for `publish()`. */
export interface RespondOptions {
  headers?: MsgHdrs;
  flush?: boolean;
}

/** Publishing side a message needs to answer itself. */
export interface Responder {
  publish(subject: string, data?: Uint8Array | string, opts?: { headers?: MsgHdrs; reply?: string; flush?: boolean }): void;
  /** Publishes to the reply subject `line[rs, re)` as received (see Connection.publishToReply). */
  publishToReply(line: Uint8Array, rs: number, re: number, data: Uint8Array | string | undefined, opts: RespondOptions | undefined): void;
}

/** A received message. Subject, reply and headers are decoded on first access. */
export interface Msg {
  readonly subject: string;
  readonly reply?: string;
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs;
  readonly sid: number;
  /** Bytes of the header block and payload as received (what JetStream's `max_bytes` counts, with subject and reply). */
  readonly size: number;
  /** The payload as UTF-8 text. */
  string(): string;
  /** The payload parsed as JSON. */
  json<T = unknown>(): T;
  /** Publishes `data` to the reply subject; false when the message has none. */
  respond(data?: Uint8Array | string, opts?: RespondOptions): boolean;
}

/** Lazily decoded message over the parser's bytes. */
export class InboundMsg implements Msg {
  private _subject?: string;
  private _reply?: string | null;
  private _headers?: MsgHdrs | null;

  private _raw?: Uint8Array;
  private _data?: Uint8Array;

  constructor(
    private readonly nc: Responder,
    readonly sid: number,
    private line: Uint8Array,
    private readonly ss: number,
    private readonly se: number,
    private readonly rs: number,
    private readonly re: number,
    private readonly hdrLen: number,
    /** holds the header block + payload at [ds, de) */
    private buf: Uint8Array,
    private ds: number,
    private de: number,
  ) {}

  /** detach() was called: the message no longer refers to the chunk it was parsed from. */
  detached = false;

  /** Bytes of header block + payload. */
  get size(): number {
    return this.de - this.ds;
  }

  /** Header block + payload. */
  get raw(): Uint8Array {
    return (this._raw ??= this.buf.subarray(this.ds, this.de));
  }

  /**
   * Stops referring to the socket chunk the message was parsed from (which may hold many
   * other messages): used when the message is queued, so pending limits bound real memory.
   */
  detach(): void {
    this.detached = true;
    this.decodeNames();
    this.line = EMPTY;
    const b = this.buf;
    if (this.de - this.ds !== b.buffer.byteLength) {
      // a real copy (Buffer#slice would share the chunk)
      this.buf = new Uint8Array(b.subarray(this.ds, this.de));
      this.ds = 0;
      this.de = this.buf.length;
      this._raw = undefined;
      this._data = undefined;
    }
  }

  get subject(): string {
    if (this._subject === undefined) this.decodeNames();
    return this._subject!;
  }

  get reply(): string | undefined {
    if (this._reply === undefined) this.decodeNames();
    return this._reply ?? undefined;
  }

  /**
   * Decodes the subject and the reply. Both are read together for most messages with a reply
   * (JetStream's, requests), so they are decoded in one call when their bytes are ASCII, then
   * sliced: one call into the runtime instead of two.
   */
  private decodeNames(): void {
    const { line, ss, se, rs, re } = this;
    if (re <= rs) {
      this._subject ??= decodeUtf8(line, ss, se);
      this._reply = null;
      return;
    }
    if (this._subject === undefined && this._reply === undefined) {
      const both = decodeUtf8(line, ss, re);
      // as many characters as bytes: every byte is one character, so byte offsets are theirs
      if (both.length === re - ss) {
        this._subject = both.slice(0, se - ss);
        noteReceivedReply((this._reply = both.slice(rs - ss)));
        return;
      }
    }
    this._subject ??= decodeUtf8(line, ss, se);
    if (this._reply === undefined) noteReceivedReply((this._reply = decodeUtf8(line, rs, re)));
  }

  get data(): Uint8Array {
    return (this._data ??= this.buf.subarray(this.ds + this.hdrLen, this.de));
  }

  get headers(): MsgHdrs | undefined {
    if (this._headers === undefined) this._headers = this.hdrLen ? MsgHdrs.decode(this.buf.subarray(this.ds, this.ds + this.hdrLen)) : null;
    return this._headers ?? undefined;
  }

  /** True for a status-only "no responders" answer (503 with an empty payload). */
  get isNoResponders(): boolean {
    return this.hdrLen > 0 && this.de - this.ds === this.hdrLen && this.headers?.code === 503;
  }

  string(): string {
    const start = this.ds + this.hdrLen;
    return this.de > start ? decodeUtf8(this.buf, start, this.de) : "";
  }

  json<T = unknown>(): T {
    return JSON.parse(td.decode(this.data)) as T;
  }

  respond(data?: Uint8Array | string, opts?: RespondOptions): boolean {
    if (this.re > this.rs && this.line !== EMPTY && opts?.headers === undefined) {
      // the reply's bytes as the server sent them (JetStream acks: one per message)
      this.nc.publishToReply(this.line, this.rs, this.re, data, opts);
      return true;
    }
    const reply = this.reply;
    if (!reply) return false;
    this.nc.publish(reply, data, opts);
    return true;
  }
}
