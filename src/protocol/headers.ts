import { InvalidArgumentError, ProtocolError } from "../util/errors.js";

const VERSION = "NATS/1.0";
const VERSION_LINE_BYTES = new TextEncoder().encode(VERSION);
const utf8 = new TextDecoder();
const encoder = new TextEncoder();

function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || key.length === 0) throw new InvalidArgumentError("header key must be a non-empty string");
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 33 || c > 126 || c === 58) {
      throw new InvalidArgumentError(`invalid header key ${JSON.stringify(key)}: only printable ASCII without ':' or whitespace is allowed`);
    }
  }
}

function checkValue(key: string, value: unknown): string {
  if (typeof value !== "string") throw new InvalidArgumentError(`header '${key}' value must be a string`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 13 || c === 10) throw new InvalidArgumentError(`header '${key}' value contains CR or LF`);
  }
  return value;
}

/**
 * NATS message headers (ADR-4): case-preserving, multi-valued, with an optional status
 * code and description on the version line. Lookups are case-sensitive unless `ignoreCase`.
 */
export class MsgHdrs implements Iterable<[string, string[]]> {
  private readonly map = new Map<string, string[]>();
  private _code = 0;
  private _description = "";

  constructor(code = 0, description = "") {
    if (!Number.isInteger(code) || code < 0 || code > 999) throw new InvalidArgumentError("header status code must be an integer 0..999");
    if (code !== 0 && code < 100) throw new InvalidArgumentError("header status code must have 3 digits");
    checkValue("description", description);
    this._code = code;
    this._description = description;
  }

  /** The status code of the version line (0 when there is none). */
  get code(): number {
    return this._code;
  }

  /** The status description of the version line ("" when there is none). */
  get description(): string {
    return this._description;
  }

  /** True when the status code is an error (400 and above, 503 no responders included). */
  get hasError(): boolean {
    return this._code >= 400;
  }

  /** First value of `key`, or "" when absent. */
  get(key: string, ignoreCase = false): string {
    const v = this.find(key, ignoreCase);
    return v && v.length ? v[0]! : "";
  }

  has(key: string, ignoreCase = false): boolean {
    return this.find(key, ignoreCase) !== undefined;
  }

  /** Every value of `key` (an empty array when absent). */
  values(key: string, ignoreCase = false): string[] {
    if (!ignoreCase) return [...(this.map.get(key) ?? [])];
    const out: string[] = [];
    const lk = key.toLowerCase();
    for (const [k, v] of this.map) if (k.toLowerCase() === lk) out.push(...v);
    return out;
  }

  /** Replaces every value of `key` with `value`. */
  set(key: string, value: string, ignoreCase = false): void {
    checkKey(key);
    checkValue(key, value);
    this.delete(key, ignoreCase);
    this.map.set(key, [value]);
  }

  /** Adds `value` to `key`, keeping existing values. */
  append(key: string, value: string, ignoreCase = false): void {
    checkKey(key);
    checkValue(key, value);
    let k = key;
    if (ignoreCase) {
      const lk = key.toLowerCase();
      for (const existing of this.map.keys()) if (existing.toLowerCase() === lk) { k = existing; break; }
    }
    const list = this.map.get(k);
    if (list) list.push(value);
    else this.map.set(k, [value]);
  }

  delete(key: string, ignoreCase = false): void {
    if (!ignoreCase) {
      this.map.delete(key);
      return;
    }
    const lk = key.toLowerCase();
    for (const k of [...this.map.keys()]) if (k.toLowerCase() === lk) this.map.delete(k);
  }

  keys(): string[] {
    return [...this.map.keys()];
  }

  get size(): number {
    return this.map.size;
  }

  [Symbol.iterator](): Iterator<[string, string[]]> {
    return this.map.entries();
  }

  /** Encodes the header block (`NATS/1.0...\r\n...\r\n\r\n`). */
  encode(): Uint8Array {
    return encoder.encode(this.wire());
  }

  /** The header block as text (publish writes it straight into the outbound buffer). */
  wire(): string {
    let s = VERSION;
    if (this._code) s += ` ${this._code}${this._description ? " " + this._description : ""}`;
    s += "\r\n";
    for (const [k, vs] of this.map) for (const v of vs) s += `${k}: ${v}\r\n`;
    return s + "\r\n";
  }

  toString(): string {
    return utf8.decode(this.encode());
  }

  private find(key: string, ignoreCase: boolean): string[] | undefined {
    const exact = this.map.get(key);
    if (exact || !ignoreCase) return exact;
    const lk = key.toLowerCase();
    for (const [k, v] of this.map) if (k.toLowerCase() === lk) return v;
    return undefined;
  }

  /** Parses a header block received from the server. */
  static decode(block: Uint8Array): MsgHdrs {
    const n = block.length;
    if (n < VERSION_LINE_BYTES.length + 2) throw new ProtocolError("header block too short");
    for (let i = 0; i < VERSION_LINE_BYTES.length; i++) {
      if (block[i] !== VERSION_LINE_BYTES[i]) throw new ProtocolError("header block does not start with NATS/1.0");
    }
    const text = utf8.decode(block);
    const lines = text.split("\r\n");
    const first = lines[0]!;
    const h = new MsgHdrs();
    const rest = first.slice(VERSION.length).trim();
    if (rest.length) {
      const code = Number.parseInt(rest.slice(0, 3), 10);
      if (Number.isNaN(code)) throw new ProtocolError(`bad header status line: ${JSON.stringify(first)}`);
      h._code = code;
      h._description = rest.slice(3).trim();
    }
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.length === 0) continue;
      const colon = line.indexOf(":");
      if (colon <= 0) continue; // tolerate junk lines as nats.go does
      const k = line.slice(0, colon);
      const v = line.slice(colon + 1).trim();
      const list = h.map.get(k);
      if (list) list.push(v);
      else h.map.set(k, [v]);
    }
    return h;
  }
}

/** Creates empty headers, optionally with a status `code` and `description`. */
export function headers(code = 0, description = ""): MsgHdrs {
  return new MsgHdrs(code, description);
}
