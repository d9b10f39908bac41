// The server's answer to a JetStream publish.
import type { Msg } from "../core.js";
import { parseResponse } from "./api.js";
import type { PubAck } from "./types.js";

interface WirePubAck {
  stream: string;
  seq: number;
  duplicate?: boolean;
  domain?: string;
  val?: string;
  batch?: string;
  count?: number;
}

/** Parses a PubAck reply; throws the mapped JetStreamApiError when it carries `error`. */
export function parsePubAck(m: Msg): PubAck {
  const w = parseResponse<WirePubAck>(m.data, m.headers);
  const ack: PubAck = { stream: w.stream, seq: w.seq, duplicate: w.duplicate === true };
  if (w.domain) ack.domain = w.domain;
  if (w.val !== undefined) ack.value = w.val;
  if (w.batch !== undefined) ack.batch = w.batch;
  if (w.count !== undefined) ack.count = w.count;
  return ack;
}
