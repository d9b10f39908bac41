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
/** Dots found in the subject being parsed (at most dots.length are recorded). */
let ndots = 0;
/** Length of the subject being parsed. */
let slen = 0;

/** Where token `j` of the subject being parsed starts (token 0 is "$JS"). */
function tokFrom(j: number): number {
  return dots[j - 1]! + 1;
}

/** Where token `j` of the subject being parsed ends (the last token runs to the end). */
function tokTo(j: number): number {
  return j < ndots ? dots[j]! : slen;
}

/** The decimal digits `s[from:to)` as a number, or -1 when that is empty or not all digits. */
export function decimalAt(s: string, from: number, to: number): number {
  if (from >= to) return -1;
  let v = 0;
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/** The digits of token `j` as a number, or -1 when it is not a run of digits. */
function digitsOf(s: string, j: number): number {
  return decimalAt(s, tokFrom(j), tokTo(j));
}

/**
 * Where the parts of an ack subject are, and its numbers: what the consumers read for every
 * message, without making strings (`[from, to)` offsets; the domain and account hash are -1 on a
 * v1 subject).
 */
export interface AckMeta {
  deliveryCount: number;
  streamSequence: number;
  deliverySequence: number;
  pending: number;
  streamFrom: number;
  streamTo: number;
  consumerFrom: number;
  consumerTo: number;
  tsFrom: number;
  tsTo: number;
  domainFrom: number;
  domainTo: number;
  accFrom: number;
  accTo: number;
}

/**
 * Reads an ack subject's numbers and where its names are; throws `NotJetStreamMessageError` for
 * anything else. It runs for every consumed message, so it scans the dots once, into
 * module-level scratch (no closures, no split), and makes no string.
 */
export function scanAckSubject(reply: string | undefined): AckMeta {
  if (!reply || !reply.startsWith("$JS.ACK.")) throw new NotJetStreamMessageError(reply);
  let n = 0;
  for (let k = reply.indexOf("."); k !== -1 && n < dots.length; k = reply.indexOf(".", k + 1)) dots[n++] = k;
  ndots = n;
  slen = reply.length;
  const tokens = n + 1; // 16 dots or more: counted as "many", only the first ones are read
  let i: number;
  if (tokens === 9) i = 2;
  else if (tokens >= 11) i = 4;
  else throw new NotJetStreamMessageError(reply);
  // every token the metadata is read from must be there (a subject never has an empty token);
  // the numeric ones are checked by digitsOf, which refuses an empty token
  for (let k = 2; k < i + 2; k++) if (tokFrom(k) >= tokTo(k)) throw new NotJetStreamMessageError(reply);
  const deliveryCount = digitsOf(reply, i + 2);
  const streamSequence = digitsOf(reply, i + 3);
  const deliverySequence = digitsOf(reply, i + 4);
  const pending = digitsOf(reply, i + 6);
  // the timestamp (nanoseconds, 19 digits today) is checked here, converted by BigInt when read
  if (deliveryCount < 0 || streamSequence < 0 || deliverySequence < 0 || pending < 0 || digitsOf(reply, i + 5) < 0) {
    throw new NotJetStreamMessageError(reply);
  }
  const v2 = i === 4;
  return {
    deliveryCount,
    streamSequence,
    deliverySequence,
    pending,
    streamFrom: tokFrom(i),
    streamTo: tokTo(i),
    consumerFrom: tokFrom(i + 1),
    consumerTo: tokTo(i + 1),
    tsFrom: tokFrom(i + 5),
    tsTo: tokTo(i + 5),
    domainFrom: v2 ? tokFrom(2) : -1,
    domainTo: v2 ? tokTo(2) : -1,
    accFrom: v2 ? tokFrom(3) : -1,
    accTo: v2 ? tokTo(3) : -1,
  };
}

/** The timestamp of a scanned ack subject, in nanoseconds since the epoch. */
export function ackTimestampNanos(reply: string, m: AckMeta): bigint {
  return BigInt(reply.slice(m.tsFrom, m.tsTo));
}

/** The full delivery metadata of a scanned ack subject. */
export function deliveryInfoOf(reply: string, m: AckMeta): DeliveryInfo {
  let domain = "";
  if (m.domainFrom >= 0) {
    domain = reply.slice(m.domainFrom, m.domainTo);
    if (domain === "_") domain = "";
  }
  const info: DeliveryInfo = {
    stream: reply.slice(m.streamFrom, m.streamTo),
    consumer: reply.slice(m.consumerFrom, m.consumerTo),
    domain,
    deliveryCount: m.deliveryCount,
    redeliveryCount: m.deliveryCount,
    redelivered: m.deliveryCount > 1,
    streamSequence: m.streamSequence,
    deliverySequence: m.deliverySequence,
    timestampNanos: ackTimestampNanos(reply, m),
    pending: m.pending,
  };
  if (m.accFrom >= 0) info.accountHash = reply.slice(m.accFrom, m.accTo);
  return info;
}

/** Parses an ack subject; throws `NotJetStreamMessageError` for anything else. */
export function parseAckSubject(reply: string | undefined): DeliveryInfo {
  return deliveryInfoOf(reply!, scanAckSubject(reply));
}
