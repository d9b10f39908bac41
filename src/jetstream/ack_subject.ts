// Delivery metadata carried by a JetStream message's reply subject (ADR-15, ADR-53):
//   v1: $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>                      (9 tokens)
//   v2: $JS.ACK.<domain>.<acc hash>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.…] (≥ 11)
import { NatsError } from "../util/errors.js";

/** Where and how a message was delivered. */
export interface DeliveryInfo {
  stream: string;
  consumer: string;
  /** "" when the server has no domain. */
  domain: string;
  /** v2 subjects only. */
  accountHash?: string;
  /** 1 on the first delivery. */
  deliveryCount: number;
  /** Same number as `deliveryCount` (the nats.js name). */
  redeliveryCount: number;
  redelivered: boolean;
  streamSequence: number;
  deliverySequence: number;
  /** When the message was stored, in nanoseconds since the epoch. */
  timestampNanos: bigint;
  /** Messages still pending for the consumer after this one. */
  pending: number;
}

/** A reply subject that is not a JetStream ack subject. */
export class NotJetStreamMessageError extends NatsError {
  constructor(reply: string | undefined) {
    super("NOT_JETSTREAM_MESSAGE", `not a JetStream message: reply subject ${JSON.stringify(reply ?? "")} is not a $JS.ACK subject`);
  }
}

/** Token boundaries of the subject being parsed: dots[k] is the index of the k-th dot. */
const dots = new Int32Array(16);

/** The digits between `from` and `to` as a number, or -1 when that is not a run of digits. */
function digitsAt(s: string, from: number, to: number): number {
  if (from >= to) return -1;
  let v = 0;
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/**
 * Parses an ack subject; throws `NotJetStreamMessageError` for anything else. It runs for every
 * consumed message, so it scans the dots once instead of splitting the subject into strings.
 */
export function parseAckSubject(reply: string | undefined): DeliveryInfo {
  if (!reply || !reply.startsWith("$JS.ACK.")) throw new NotJetStreamMessageError(reply);
  let n = 0;
  for (let k = reply.indexOf("."); k !== -1 && n < dots.length; k = reply.indexOf(".", k + 1)) dots[n++] = k;
  const tokens = n + 1; // 16 dots or more: counted as "many", only the first ones are read
  // token j spans (dots[j-1] + 1) .. dots[j] (the last one to the end)
  const from = (j: number): number => dots[j - 1]! + 1;
  const to = (j: number): number => (j < n ? dots[j]! : reply.length);
  let i: number;
  let domain = "";
  let accountHash: string | undefined;
  if (tokens === 9) {
    i = 2;
  } else if (tokens >= 11) {
    domain = reply.slice(from(2), to(2));
    if (domain === "_") domain = "";
    accountHash = reply.slice(from(3), to(3));
    i = 4;
  } else {
    throw new NotJetStreamMessageError(reply);
  }
  // every token the metadata is read from must be there (a subject never has an empty token)
  for (let k = 2; k < i + 7; k++) if (from(k) >= to(k)) throw new NotJetStreamMessageError(reply);
  const delivered = digitsAt(reply, from(i + 2), to(i + 2));
  const streamSequence = digitsAt(reply, from(i + 3), to(i + 3));
  const deliverySequence = digitsAt(reply, from(i + 4), to(i + 4));
  const tsFrom = from(i + 5);
  const tsTo = to(i + 5);
  const pending = digitsAt(reply, from(i + 6), to(i + 6));
  // the timestamp (nanoseconds, 19 digits today) is checked here and converted by BigInt exactly
  if (delivered < 0 || streamSequence < 0 || deliverySequence < 0 || pending < 0 || digitsAt(reply, tsFrom, tsTo) < 0) {
    throw new NotJetStreamMessageError(reply);
  }
  const info: DeliveryInfo = {
    stream: reply.slice(from(i), to(i)),
    consumer: reply.slice(from(i + 1), to(i + 1)),
    domain,
    deliveryCount: delivered,
    redeliveryCount: delivered,
    redelivered: delivered > 1,
    streamSequence,
    deliverySequence,
    timestampNanos: BigInt(reply.slice(tsFrom, tsTo)),
    pending,
  };
  if (accountHash !== undefined) info.accountHash = accountHash;
  return info;
}
