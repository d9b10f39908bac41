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

/** True when `s` is one or more ASCII digits (a loop: this runs for every consumed message). */
function isDigits(s: string | undefined): s is string {
  if (s === undefined || s.length === 0) return false;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function num(s: string | undefined, reply: string): number {
  if (!isDigits(s)) throw new NotJetStreamMessageError(reply);
  return +s;
}

/** Parses an ack subject; throws `NotJetStreamMessageError` for anything else. */
export function parseAckSubject(reply: string | undefined): DeliveryInfo {
  if (!reply || !reply.startsWith("$JS.ACK.")) throw new NotJetStreamMessageError(reply);
  const t = reply.split(".");
  let i: number;
  let domain = "";
  let accountHash: string | undefined;
  if (t.length === 9) {
    i = 2;
  } else if (t.length >= 11) {
    domain = t[2] === "_" ? "" : t[2]!;
    accountHash = t[3];
    i = 4;
  } else {
    throw new NotJetStreamMessageError(reply);
  }
  // every token the metadata is read from must be there (a subject never has an empty token)
  for (let k = 2; k < i + 7; k++) if (!t[k]) throw new NotJetStreamMessageError(reply);
  const delivered = num(t[i + 2], reply);
  if (!isDigits(t[i + 5])) throw new NotJetStreamMessageError(reply);
  const info: DeliveryInfo = {
    stream: t[i]!,
    consumer: t[i + 1]!,
    domain,
    deliveryCount: delivered,
    redeliveryCount: delivered,
    redelivered: delivered > 1,
    streamSequence: num(t[i + 3], reply),
    deliverySequence: num(t[i + 4], reply),
    timestampNanos: BigInt(t[i + 5]!),
    pending: num(t[i + 6], reply),
  };
  if (accountHash !== undefined) info.accountHash = accountHash;
  return info;
}
