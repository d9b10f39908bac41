// Messages read back from a stream: from a STREAM.MSG.GET JSON response or a direct-get reply.
import { MsgHdrs, type Msg } from "../core.js";
import type { StoredMsg } from "./types.js";

const decoder = new TextDecoder();

function base64Bytes(b64: string | undefined): Uint8Array {
  if (!b64) return new Uint8Array(0);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

class Stored implements StoredMsg {
  readonly time: Date;
  constructor(
    readonly subject: string,
    readonly seq: number,
    readonly data: Uint8Array,
    readonly headers: MsgHdrs | undefined,
    readonly timestamp: string,
  ) {
    this.time = new Date(timestamp);
  }
  string(): string {
    return decoder.decode(this.data);
  }
  json<T = unknown>(): T {
    return JSON.parse(this.string()) as T;
  }
}

/** The `message` of a `stream_msg_get_response`. */
export interface ApiStoredMsg {
  subject: string;
  seq: number;
  hdrs?: string;
  data?: string;
  time: string;
}

export function storedFromApi(m: ApiStoredMsg): StoredMsg {
  const hdrs = m.hdrs ? MsgHdrs.decode(base64Bytes(m.hdrs)) : undefined;
  return new Stored(m.subject, m.seq, base64Bytes(m.data), hdrs, m.time);
}

/** Headers the server adds to a direct-get reply. */
export const DIRECT = {
  stream: "Nats-Stream",
  subject: "Nats-Subject",
  sequence: "Nats-Sequence",
  timestamp: "Nats-Time-Stamp",
  numPending: "Nats-Num-Pending",
  lastSequence: "Nats-Last-Sequence",
  upToSequence: "Nats-UpTo-Sequence",
} as const;

/**
 * A direct-get reply as a StoredMsg. The server's own headers are removed from `headers`, which
 * keeps only the headers the message was published with (undefined when there were none).
 */
export function storedFromDirect(m: Msg): StoredMsg {
  const h = m.headers!;
  const subject = h.get(DIRECT.subject);
  const seq = Number(h.get(DIRECT.sequence));
  const ts = h.get(DIRECT.timestamp);
  const own = new MsgHdrs();
  for (const [k, vs] of h) {
    if (k === DIRECT.stream || k === DIRECT.subject || k === DIRECT.sequence || k === DIRECT.timestamp) continue;
    if (k === DIRECT.numPending || k === DIRECT.lastSequence || k === DIRECT.upToSequence) continue;
    for (const v of vs) own.append(k, v);
  }
  return new Stored(subject, seq, m.data, own.size ? own : undefined, normalizeTime(ts));
}

/** Accepts RFC 3339 and Go's default `2006-01-02 15:04:05.999999999 +0000 UTC` form. */
function normalizeTime(ts: string): string {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d)(?: \w+)?$/.exec(ts);
  return m ? `${m[1]}T${m[2]}${m[3]}:${m[4]}` : ts;
}
