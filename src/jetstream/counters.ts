// Distributed counters (ADR-49) [2.12+]: a stream with `allow_msg_counter`; each subject holds a
// big integer, changed by publishing an empty message with `Nats-Incr: <delta>`.
import { headers, type NatsConnection } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { checkCallOptions, withCallWait, type CallOptions } from "../util/abort.js";
import type { JsApi } from "./api.js";
import { requireFeature } from "./features.js";
import { publishAcked } from "./publisher.js";
import type { Streams } from "./streams.js";
import { checkKeys, checkName, checkSubject } from "./validate.js";

/** A counter stream's subjects as big integers. */
export class Counters {
  constructor(
    private readonly nc: NatsConnection,
    private readonly api: JsApi,
    private readonly streams: Streams,
    readonly stream: string,
  ) {
    checkName(stream, "stream name");
    requireFeature(nc, "counters", "counters");
  }

  /**
   * Adds `delta` (may be negative) to the counter on `subject`; resolves with the new total. Aborting
   * after the increment was sent abandons the wait only: the increment may still be applied.
   */
  async add(subject: string, delta: bigint | number, opts: CallOptions = {}): Promise<bigint> {
    checkSubject(subject, "subject");
    checkKeys(opts, ["timeout", "signal"], "counter add");
    checkCallOptions(opts);
    let d: bigint;
    if (typeof delta === "bigint") d = delta;
    else if (typeof delta === "number" && Number.isSafeInteger(delta)) d = BigInt(delta);
    else throw new InvalidArgumentError("delta must be a bigint or a safe integer");
    const h = headers();
    h.set("Nats-Incr", d >= 0n ? `+${d}` : `${d}`);
    const ack = await publishAcked(this.nc, this.api.timeout, subject, undefined, { headers: h, ...opts });
    if (ack.stream !== this.stream) throw new InvalidArgumentError(`'${subject}' belongs to stream '${ack.stream}', not to the counter stream '${this.stream}'`);
    if (ack.value === undefined) throw new InvalidArgumentError(`stream '${ack.stream}' is not a counter stream (no value in the ack)`);
    return BigInt(ack.value);
  }

  /** The counter's current value, or null when the subject has none. */
  async get(subject: string, opts: CallOptions = {}): Promise<bigint | null> {
    checkSubject(subject, "subject");
    checkKeys(opts, ["timeout", "signal"], "counter get");
    checkCallOptions(opts);
    const m = await withCallWait(opts, `counter get of '${subject}'`, (w) => this.streams.getMessage(this.stream, { last_by_subj: subject }, w.step()));
    if (!m) return null;
    const v = m.json<{ val?: string }>().val;
    if (v === undefined) throw new InvalidArgumentError(`the last message on '${subject}' is not a counter value`);
    return BigInt(v);
  }
}
