// KvEntry from a stored message (get) or a delivered one (watch).
import type { Codec, MsgHdrs } from "../core.js";
import type { JsMsg, StoredMsg } from "../jetstream/index.js";
import { ValueDecodeError } from "./errors.js";
import type { KvEntry, KvOperation } from "./types.js";

const decoder = new TextDecoder();

/** DEL / PURGE from `KV-Operation`, or from a limit marker's `Nats-Marker-Reason` (ADR-48). */
const PUT: { readonly operation: KvOperation } = Object.freeze({ operation: "PUT" });
const DEL: { readonly operation: KvOperation } = Object.freeze({ operation: "DEL" });
const PURGE: { readonly operation: KvOperation } = Object.freeze({ operation: "PURGE" });

export function operationOf(h: MsgHdrs | undefined): { readonly operation: KvOperation; readonly markerReason?: string } {
  if (!h) return PUT;
  const op = h.get("KV-Operation");
  if (op === "DEL") return DEL;
  if (op === "PURGE") return PURGE;
  const reason = h.get("Nats-Marker-Reason");
  if (reason) return { operation: reason === "Remove" ? "DEL" : "PURGE", markerReason: reason };
  return PUT;
}

class Entry<T> implements KvEntry<T> {
  #decoded = false;
  #value?: T;
  /** The stored time: a Date, or the delivered message it is read from when `created` is first read. */
  #created: Date | JsMsg;
  operation: KvOperation;
  markerReason?: string;

  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly raw: Uint8Array,
    readonly revision: number,
    created: Date | JsMsg,
    readonly delta: number,
    headers: MsgHdrs | undefined,
    private readonly codec: Codec<T> | undefined,
  ) {
    this.#created = created;
    const op = operationOf(headers);
    this.operation = op.operation;
    if (op.markerReason) this.markerReason = op.markerReason;
  }

  get created(): Date {
    const c = this.#created;
    return c instanceof Date ? c : (this.#created = new Date(Number(c.timestampNanos / 1_000_000n)));
  }

  get value(): T {
    if (!this.codec) return this.raw as unknown as T;
    if (!this.#decoded) {
      try {
        this.#value = this.operation === "PUT" ? this.codec.decode(this.raw) : (undefined as T);
      } catch (err) {
        throw new ValueDecodeError(this.key, this.revision, err);
      }
      this.#decoded = true;
    }
    return this.#value as T;
  }

  string(): string {
    return decoder.decode(this.raw);
  }

  json<J = unknown>(): J {
    return JSON.parse(this.string()) as J;
  }
}

export function entryFromStored<T>(bucket: string, prefix: string, m: StoredMsg, codec?: Codec<T>): KvEntry<T> {
  return new Entry(bucket, m.subject.slice(prefix.length), m.data, m.seq, m.time, 0, m.headers, codec);
}

export function entryFromDelivered<T>(bucket: string, prefix: string, m: JsMsg, codec?: Codec<T>): KvEntry<T> {
  const i = m.meta;
  return new Entry(bucket, m.subject.slice(prefix.length), m.data, i.streamSequence, m, i.pending, m.headers, codec);
}
