// JetStream publish options turned into headers (ADR-22, ADR-43, ADR-51), checked before sending.
import { headers as newHeaders, MsgHdrs } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import { checkCallSignal } from "../util/abort.js";
import type { NatsConnection } from "../core.js";
import { goDuration } from "./durations.js";
import { requireFeature } from "./features.js";
import { checkFilter, checkKeys, checkName, checkPositiveInt, checkSubject, checkTimeout } from "./validate.js";

/** Expectations the server checks before storing a message. */
export interface PublishExpectations {
  /** The message must land in this stream. */
  streamName?: string;
  /** The last message in the stream must have this `Nats-Msg-Id`. */
  lastMsgID?: string;
  /** The stream's last sequence must be this. */
  lastSequence?: number;
  /** The last sequence stored on the subject (or `lastSubjectSequenceSubject`) must be this; 0 = none. */
  lastSubjectSequence?: number;
  /** [2.11+] Check `lastSubjectSequence` against this subject (wildcards allowed) instead. */
  lastSubjectSequenceSubject?: string;
}

/** A message schedule (ADR-51): exactly one of `at` [2.12+], `every`, `cron` [2.14+]. */
export interface ScheduleOptions {
  /** Publish once at this time. */
  at?: Date | string;
  /** Publish every interval (ms, or a Go duration such as "5m") [2.14+]. */
  every?: number | string;
  /** [2.14+] A cron expression of 6 fields (seconds minutes hours day-of-month month day-of-week) or `@hourly`, `@daily`, … */
  cron?: string;
  /** The subject the scheduled message is published to. */
  target: string;
  /** TTL of each produced message (ms or Go duration). */
  ttl?: number | string;
  /** IANA time zone for `cron` [2.14+]. */
  timeZone?: string;
}

export interface JetStreamPublishOptions {
  /** De-duplication id (`Nats-Msg-Id`). */
  msgID?: string;
  expect?: PublishExpectations;
  headers?: MsgHdrs;
  /** ms; default the JetStream context's timeout. */
  timeout?: number;
  /**
   * Aborting rejects with the signal's reason: an aborted signal sends nothing; once the message
   * was sent, only the wait for its ack is abandoned (the message may still be stored).
   */
  signal?: AbortSignal;
  /** Attempts after a 503 (no stream answered yet, e.g. during a leader election); default 2. */
  retries?: number;
  /** Wait between attempts, ms (default 250). */
  retryWait?: number;
  /** [2.11+] Per-message TTL: ms (≥ 1000), a Go duration ("1h"), or "never". */
  ttl?: number | string;
  /** [2.12+] Publish this message as a schedule. */
  schedule?: ScheduleOptions;
}

export const PUBLISH_OPTION_KEYS = ["msgID", "expect", "headers", "timeout", "signal", "retries", "retryWait", "ttl", "schedule"] as const;

const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

function durationHeader(v: number | string, what: string, minMs = 0): string {
  if (typeof v === "number") {
    if (!Number.isFinite(v) || v < minMs) throw new InvalidArgumentError(`${what} must be at least ${minMs} ms`);
    return goDuration(v);
  }
  if (typeof v !== "string" || !GO_DURATION.test(v)) throw new InvalidArgumentError(`${what} must be ms or a Go duration such as "90s"`);
  return v;
}

function checkToken(v: unknown, what: string): asserts v is string {
  if (typeof v !== "string" || v.length === 0 || /[\r\n]/.test(v)) throw new InvalidArgumentError(`${what} must be a non-empty string without CR/LF`);
}

/** Validates the options and returns the headers to send (undefined when none). */
export function publishHeaders(nc: NatsConnection, opts: JetStreamPublishOptions | undefined): MsgHdrs | undefined {
  if (!opts) return undefined;
  checkKeys(opts, PUBLISH_OPTION_KEYS, "publish");
  checkTimeout(opts.timeout);
  checkCallSignal(opts.signal);
  if (opts.retries !== undefined) checkPositiveInt(opts.retries, "retries", true);
  if (opts.retryWait !== undefined) checkPositiveInt(opts.retryWait, "retryWait", true);
  if (opts.headers !== undefined && !(opts.headers instanceof MsgHdrs)) throw new InvalidArgumentError("headers must be a MsgHdrs (see headers())");
  const needs = opts.msgID !== undefined || opts.expect !== undefined || opts.ttl !== undefined || opts.schedule !== undefined;
  if (!needs) return opts.headers;
  const h = newHeaders();
  if (opts.headers) for (const [k, vs] of opts.headers) for (const v of vs) h.append(k, v);
  if (opts.msgID !== undefined) {
    checkToken(opts.msgID, "msgID");
    h.set("Nats-Msg-Id", opts.msgID);
  }
  const e = opts.expect;
  if (e !== undefined) {
    checkKeys(e, ["streamName", "lastMsgID", "lastSequence", "lastSubjectSequence", "lastSubjectSequenceSubject"], "expect");
    if (e.streamName !== undefined) {
      checkName(e.streamName, "expect.streamName");
      h.set("Nats-Expected-Stream", e.streamName);
    }
    if (e.lastMsgID !== undefined) {
      checkToken(e.lastMsgID, "expect.lastMsgID");
      h.set("Nats-Expected-Last-Msg-Id", e.lastMsgID);
    }
    if (e.lastSequence !== undefined) {
      checkPositiveInt(e.lastSequence, "expect.lastSequence", true);
      h.set("Nats-Expected-Last-Sequence", String(e.lastSequence));
    }
    if (e.lastSubjectSequence !== undefined) {
      checkPositiveInt(e.lastSubjectSequence, "expect.lastSubjectSequence", true);
      h.set("Nats-Expected-Last-Subject-Sequence", String(e.lastSubjectSequence));
    }
    if (e.lastSubjectSequenceSubject !== undefined) {
      if (e.lastSubjectSequence === undefined) throw new InvalidArgumentError("expect.lastSubjectSequenceSubject needs expect.lastSubjectSequence");
      checkFilter(e.lastSubjectSequenceSubject, "expect.lastSubjectSequenceSubject");
      requireFeature(nc, "last_subject_sequence_subject", "expect.lastSubjectSequenceSubject");
      h.set("Nats-Expected-Last-Subject-Sequence-Subject", e.lastSubjectSequenceSubject);
    }
  }
  if (opts.ttl !== undefined) {
    const v = opts.ttl === "never" ? "never" : durationHeader(opts.ttl, "ttl", 1000);
    requireFeature(nc, "msg_ttl", "per-message TTL");
    h.set("Nats-TTL", v);
  }
  if (opts.schedule !== undefined) scheduleHeaders(nc, opts.schedule, h);
  return h;
}

function scheduleHeaders(nc: NatsConnection, s: ScheduleOptions, h: MsgHdrs): void {
  checkKeys(s, ["at", "every", "cron", "target", "ttl", "timeZone"], "schedule");
  const kinds = [s.at, s.every, s.cron].filter((v) => v !== undefined).length;
  if (kinds !== 1) throw new InvalidArgumentError("schedule: give exactly one of at, every, cron");
  checkSubject(s.target, "schedule.target");
  if (/(^|\.)[*>](\.|$)/.test(s.target)) throw new InvalidArgumentError("schedule.target must be a literal subject (no wildcards)");
  let spec: string;
  if (s.at !== undefined) {
    const d = s.at instanceof Date ? s.at : new Date(s.at);
    if (Number.isNaN(d.getTime())) throw new InvalidArgumentError("schedule.at must be a Date or an RFC 3339 time");
    spec = `@at ${d.toISOString()}`;
  } else if (s.every !== undefined) {
    spec = `@every ${durationHeader(s.every, "schedule.every", 1000)}`;
  } else {
    checkToken(s.cron, "schedule.cron");
    spec = s.cron!;
  }
  requireFeature(nc, "schedules", "message schedules");
  if (s.at === undefined) requireFeature(nc, "schedules_every_cron", "schedules with @every or cron");
  if (s.timeZone !== undefined) {
    if (s.cron === undefined) throw new InvalidArgumentError("schedule.timeZone applies to cron schedules only");
    requireFeature(nc, "schedules_every_cron", "schedule time zones");
  }
  h.set("Nats-Schedule", spec);
  h.set("Nats-Schedule-Target", s.target);
  if (s.ttl !== undefined) h.set("Nats-Schedule-TTL", durationHeader(s.ttl, "schedule.ttl", 1000));
  if (s.timeZone !== undefined) {
    checkToken(s.timeZone, "schedule.timeZone");
    h.set("Nats-Schedule-Time-Zone", s.timeZone);
  }
}
