// Options of fetch(), next() and consume(), validated and completed with ADR-37's defaults.
import { InvalidArgumentError } from "../util/errors.js";
import { checkCallSignal } from "../util/abort.js";
import { checkPriorityGroup } from "./consumers.js";
import { checkKeys, checkPositiveInt } from "./validate.js";
import type { ConsumeCallback } from "./consumer_messages.js";

export interface PullOptions {
  /** Messages per pull (the client-side buffer bound). */
  max_messages?: number;
  /** Bytes per pull (exclusive with max_messages). */
  max_bytes?: number;
  /** How long each pull lives at the server, ms (default 30 s). */
  expires?: number;
  /** The server's idle heartbeat while a pull waits, ms (default expires / 2, at most 30 s). */
  idle_heartbeat?: number;
  /** [2.11+] priority group */
  group?: string;
  /** [2.11+] overflow: only serve this pull while the consumer has at least this many pending */
  min_pending?: number;
  /** [2.11+] overflow: only serve this pull while at least this many acks are pending */
  min_ack_pending?: number;
  /** [2.12+] prioritized: 0 (first) to 9 */
  priority?: number;
  /**
   * Aborting stops pulling: what was already received is still yielded, then the iteration throws
   * the signal's reason (`next()` rejects with it; `closed()` resolves to it). An aborted signal
   * sends nothing: the call rejects with its reason.
   */
  signal?: AbortSignal;
}

export interface ConsumeOptions extends PullOptions {
  /** Pull again when fewer than this many messages are outstanding (default half of max_messages). */
  threshold_messages?: number;
  /** Pull again when fewer than this many bytes are outstanding (default half of max_bytes). */
  threshold_bytes?: number;
  /** Messages go to this function, one at a time (a returned promise is awaited) instead of an iterator. */
  callback?: ConsumeCallback;
}

export type FetchOptions = PullOptions;
export type NextOptions = Omit<PullOptions, "max_messages" | "max_bytes">;

/** Completed options. */
export interface PullSettings {
  maxMessages: number;
  maxBytes: number;
  /** bytes mode: pulls are sized by bytes */
  bytesMode: boolean;
  expires: number;
  heartbeat: number;
  thresholdMessages: number;
  thresholdBytes: number;
  group?: string;
  minPending?: number;
  minAckPending?: number;
  priority?: number;
  callback?: ConsumeCallback;
  signal?: AbortSignal;
}

const PULL_KEYS = ["max_messages", "max_bytes", "expires", "idle_heartbeat", "group", "min_pending", "min_ack_pending", "priority", "signal"] as const;

export function pullSettings(opts: ConsumeOptions = {}, kind: "consume" | "fetch" | "next"): PullSettings {
  const keys: readonly string[] = kind === "consume" ? [...PULL_KEYS, "threshold_messages", "threshold_bytes", "callback"] : kind === "fetch" ? PULL_KEYS : PULL_KEYS.slice(2);
  checkKeys(opts, keys, kind);
  if (opts.max_messages !== undefined) checkPositiveInt(opts.max_messages, "max_messages");
  if (opts.max_bytes !== undefined) checkPositiveInt(opts.max_bytes, "max_bytes");
  if (opts.max_messages !== undefined && opts.max_bytes !== undefined && kind === "consume") {
    throw new InvalidArgumentError("max_messages and max_bytes are exclusive");
  }
  const expires = opts.expires ?? 30_000;
  if (typeof expires !== "number" || !Number.isFinite(expires) || expires < 1000) throw new InvalidArgumentError("expires must be at least 1000 ms");
  let heartbeat = opts.idle_heartbeat ?? Math.min(30_000, Math.max(500, Math.floor(expires / 2)));
  if (typeof heartbeat !== "number" || !Number.isFinite(heartbeat) || heartbeat < 100) throw new InvalidArgumentError("idle_heartbeat must be at least 100 ms");
  if (heartbeat > expires / 2) {
    if (opts.idle_heartbeat !== undefined) throw new InvalidArgumentError("idle_heartbeat must be at most half of expires");
    heartbeat = Math.floor(expires / 2);
  }
  if (opts.group !== undefined) checkPriorityGroup(opts.group);
  if (opts.min_pending !== undefined) checkPositiveInt(opts.min_pending, "min_pending");
  if (opts.min_ack_pending !== undefined) checkPositiveInt(opts.min_ack_pending, "min_ack_pending");
  if (opts.priority !== undefined && (!Number.isInteger(opts.priority) || opts.priority < 0 || opts.priority > 9)) throw new InvalidArgumentError("priority must be an integer 0..9");
  if ((opts.min_pending !== undefined || opts.min_ack_pending !== undefined || opts.priority !== undefined) && opts.group === undefined) {
    throw new InvalidArgumentError("min_pending, min_ack_pending and priority need a group");
  }
  if (opts.callback !== undefined && typeof opts.callback !== "function") throw new InvalidArgumentError("callback must be a function");
  checkCallSignal(opts.signal);
  const bytesMode = opts.max_bytes !== undefined && opts.max_messages === undefined;
  const maxMessages = kind === "next" ? 1 : bytesMode ? 1_000_000 : opts.max_messages ?? (kind === "consume" ? 100 : 100);
  const maxBytes = opts.max_bytes ?? 0;
  const s: PullSettings = {
    maxMessages,
    maxBytes,
    bytesMode,
    expires,
    heartbeat,
    thresholdMessages: opts.threshold_messages ?? Math.ceil(maxMessages / 2),
    thresholdBytes: opts.threshold_bytes ?? Math.ceil(maxBytes / 2),
  };
  if (opts.threshold_messages !== undefined) checkPositiveInt(opts.threshold_messages, "threshold_messages");
  if (opts.threshold_bytes !== undefined) checkPositiveInt(opts.threshold_bytes, "threshold_bytes");
  if (opts.group !== undefined) s.group = opts.group;
  if (opts.min_pending !== undefined) s.minPending = opts.min_pending;
  if (opts.min_ack_pending !== undefined) s.minAckPending = opts.min_ack_pending;
  if (opts.priority !== undefined) s.priority = opts.priority;
  if (opts.callback) s.callback = opts.callback;
  if (opts.signal) s.signal = opts.signal;
  return s;
}
