// A message delivered by a consumer, with its delivery metadata and acknowledgements (ADR-15).
import type { Msg, MsgHdrs, NatsConnection } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { ackTimestampNanos, deliveryInfoOf, scanAckSubject, type AckMeta, type AckScanner, type DeliveryInfo } from "./ack_subject.js";
import { nanos } from "./durations.js";
import { compareVersions } from "./features.js";

const ACK = new TextEncoder().encode("+ACK");
const NAK = "-NAK";
const WPI = new TextEncoder().encode("+WPI");
const TERM = "+TERM";
/** Acks are never urgent: they go with the next frame written (a pull request) or on the next turn. */
const NO_HURRY = { flush: false } as const;

export class JsMsg {
  #meta?: AckMeta;
  #info?: DeliveryInfo;
  #done = false;
  #noAcks = false;

  /** `scanner`: the consumer's, which reads its messages' ack subjects faster. @internal */
  constructor(
    readonly msg: Msg,
    private readonly nc: NatsConnection,
    private readonly scanner?: AckScanner,
  ) {}

  get subject(): string {
    return this.msg.subject;
  }
  get data(): Uint8Array {
    return this.msg.data;
  }
  get headers(): MsgHdrs | undefined {
    return this.msg.headers;
  }
  /** The ack subject (`$JS.ACK…`). */
  get reply(): string {
    return this.msg.reply ?? "";
  }
  /** Delivery metadata from the ack subject (throws `NotJetStreamMessageError` for a malformed one). */
  get info(): DeliveryInfo {
    return (this.#info ??= deliveryInfoOf(this.msg.reply!, this.meta));
  }
  /**
   * The ack subject's numbers and where its names are, read without making strings (throws
   * `NotJetStreamMessageError` for a malformed one). @internal what the consumers read per message
   */
  get meta(): AckMeta {
    return (this.#meta ??= this.scanner ? this.scanner.scan(this.msg.reply) : scanAckSubject(this.msg.reply));
  }
  /** Whether the message comes from consumer `name` (no string made). @internal */
  fromConsumer(name: string): boolean {
    const n = this.meta.names;
    return n.consumerTo - n.consumerFrom === name.length && this.msg.reply!.startsWith(name, n.consumerFrom);
  }
  /** When the message was stored, in nanoseconds since the epoch. @internal */
  get timestampNanos(): bigint {
    return this.#info?.timestampNanos ?? ackTimestampNanos(this.msg.reply!, this.meta);
  }
  /** The stream sequence. */
  get seq(): number {
    return this.meta.streamSequence;
  }
  /** Size as the server counts it for `max_bytes`: subject, reply, headers and payload. */
  get size(): number {
    return this.msg.subject.length + (this.msg.reply?.length ?? 0) + this.msg.size;
  }
  /** True once a terminal acknowledgement (ack, nak, term) was sent. */
  get isAcked(): boolean {
    return this.#done;
  }
  string(): string {
    return this.msg.string();
  }
  json<T = unknown>(): T {
    return this.msg.json<T>();
  }

  /**
   * Marks a message of an `ack_policy: none` consumer (the ordered consumer's): every
   * acknowledgement is then a no-op that sends nothing and returns false (ackAck resolves false).
   */
  noAcks(): void {
    this.#noAcks = true;
  }

  #send(payload: Uint8Array | string, terminal: boolean): boolean {
    if (this.#done || this.#noAcks) return false;
    // to the reply as received: no decoding of the ack subject to a string and back
    if (!this.msg.respond(payload, NO_HURRY)) throw new InvalidArgumentError("this message has no ack subject (ack_policy none, or not a JetStream message)");
    if (terminal) this.#done = true;
    return true;
  }

  /** Acknowledges the message; later acks of the same message are ignored (returns false). */
  ack(): boolean {
    return this.#send(ACK, true);
  }

  /** Asks for redelivery, now or after `delayMs`. */
  nak(delayMs?: number): boolean {
    if (delayMs !== undefined && (typeof delayMs !== "number" || !Number.isFinite(delayMs) || delayMs < 0)) {
      throw new InvalidArgumentError("nak delay must be a non-negative number of ms");
    }
    return this.#send(delayMs ? `${NAK} ${JSON.stringify({ delay: nanos(delayMs) })}` : NAK, true);
  }

  /** Work in progress: resets the ack-wait timer (may be sent repeatedly). */
  working(): boolean {
    return this.#send(WPI, false);
  }

  /** Never redeliver; `reason` shows in the advisory (nats-server 2.10.4+; left out on older ones). */
  term(reason?: string): boolean {
    if (reason !== undefined && (typeof reason !== "string" || /[\r\n]/.test(reason))) throw new InvalidArgumentError("term reason must be a string without CR/LF");
    const withReason = reason && compareVersions(this.nc.info?.version ?? "0.0.0", "2.10.4") >= 0;
    return this.#send(withReason ? `${TERM} ${reason}` : TERM, true);
  }

  /**
   * Acknowledges and waits for the server to confirm it ("double ack"); resolves true once confirmed,
   * false when the message was already acknowledged; rejects with TimeoutError.
   */
  async ackAck(opts: { timeout?: number } = {}): Promise<boolean> {
    if (this.#done || this.#noAcks) return false;
    if (!this.msg.reply) throw new InvalidArgumentError("this message has no ack subject");
    this.#done = true;
    try {
      await this.nc.request(this.msg.reply, ACK, { timeout: opts.timeout ?? 5_000 });
    } catch (err) {
      this.#done = false;
      throw err;
    }
    return true;
  }
}
