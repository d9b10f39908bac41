import { decodeUtf8 } from "../protocol/bytes.js";
import { MsgHdrs } from "../protocol/headers.js";

const td = new TextDecoder();
const EMPTY = new Uint8Array(0);

/** Publishing side a message needs to answer itself. */
export interface Responder {
  publish(subject: string, data?: Uint8Array | string, opts?: { headers?: MsgHdrs; reply?: string }): void;
}

/** A received message. Subject, reply and headers are decoded on first access. */
export interface Msg {
  readonly subject: string;
  readonly reply?: string;
  readonly data: Uint8Array;
  readonly headers?: MsgHdrs;
  readonly sid: number;
  /** The payload as UTF-8 text. */
  string(): string;
  /** The payload parsed as JSON. */
  json<T = unknown>(): T;
  /** Publishes `data` to the reply subject; false when the message has none. */
  respond(data?: Uint8Array | string, opts?: { headers?: MsgHdrs }): boolean;
}

/** Lazily decoded message over the parser's bytes. */
export class InboundMsg implements Msg {
  private _subject?: string;
  private _reply?: string | null;
  private _headers?: MsgHdrs | null;

  constructor(
    private readonly nc: Responder,
    readonly sid: number,
    private line: Uint8Array,
    private readonly ss: number,
    private readonly se: number,
    private readonly rs: number,
    private readonly re: number,
    private readonly hdrLen: number,
    /** header block + payload */
    public raw: Uint8Array,
  ) {}

  /**
   * Stops referring to the socket chunk the message was parsed from (which may hold many
   * other messages): used when the message is queued, so pending limits bound real memory.
   */
  detach(): void {
    this._subject ??= decodeUtf8(this.line, this.ss, this.se);
    if (this._reply === undefined) this._reply = this.re > this.rs ? decodeUtf8(this.line, this.rs, this.re) : null;
    this.line = EMPTY;
    const raw = this.raw;
    // a real copy (Buffer#slice would share the chunk)
    if (raw.byteLength !== raw.buffer.byteLength) this.raw = new Uint8Array(raw);
  }

  get subject(): string {
    return (this._subject ??= decodeUtf8(this.line, this.ss, this.se));
  }

  get reply(): string | undefined {
    if (this._reply === undefined) this._reply = this.re > this.rs ? decodeUtf8(this.line, this.rs, this.re) : null;
    return this._reply ?? undefined;
  }

  get data(): Uint8Array {
    return this.hdrLen ? this.raw.subarray(this.hdrLen) : this.raw;
  }

  get headers(): MsgHdrs | undefined {
    if (this._headers === undefined) this._headers = this.hdrLen ? MsgHdrs.decode(this.raw.subarray(0, this.hdrLen)) : null;
    return this._headers ?? undefined;
  }

  /** True for a status-only "no responders" answer (503 with an empty payload). */
  get isNoResponders(): boolean {
    return this.hdrLen > 0 && this.raw.length === this.hdrLen && this.headers?.code === 503;
  }

  string(): string {
    const d = this.data;
    return d.length ? decodeUtf8(d, 0, d.length) : "";
  }

  json<T = unknown>(): T {
    return JSON.parse(td.decode(this.data)) as T;
  }

  respond(data?: Uint8Array | string, opts?: { headers?: MsgHdrs }): boolean {
    const reply = this.reply;
    if (!reply) return false;
    this.nc.publish(reply, data, opts);
    return true;
  }
}
