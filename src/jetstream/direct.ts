// Direct get (ADR-31): any replica answers `$JS.API.DIRECT.GET.<stream>`; single messages, batches
// ending with a `204 EOB` status, and the last message of many subjects.
import { NoRespondersError, TimeoutError, type Msg, type Subscription } from "../core.js";
import { InvalidArgumentError } from "../util/errors.js";
import type { ApiCallOptions, JsApi } from "./api.js";
import { JetStreamApiError } from "./errors.js";
import { requireFeature } from "./features.js";
import { checkFilter, checkKeys, checkName, checkPositiveInt, checkTimeout, timeArg } from "./validate.js";
import { DIRECT, storedFromDirect } from "./stored_msg.js";
import { checkMsgRequest } from "./streams.js";
import type { MsgRequest, StoredMsg } from "./types.js";

export interface DirectBatchOptions {
  /** How many messages at most. */
  batch: number;
  seq?: number;
  /** RFC 3339 time or a Date: start at the first message at or after it. */
  start_time?: string | Date;
  next_by_subj?: string;
  max_bytes?: number;
  /** Idle timeout between replies, ms. */
  timeout?: number;
}

export interface DirectLastForOptions {
  up_to_seq?: number;
  up_to_time?: string | Date;
  /** Messages per request (default: what the server sends at once). */
  batch?: number;
  timeout?: number;
}

const encoder = new TextEncoder();
const WILDCARD = /(^|\.)[*>](\.|$)/;

function statusError(m: Msg, stream: string): JetStreamApiError {
  const h = m.headers!;
  return new JetStreamApiError({ code: h.code, description: `direct get on '${stream}': ${h.description || "error"}` });
}

function noDirect(stream: string, cause: unknown): JetStreamApiError {
  const e = new JetStreamApiError({ code: 503, description: `no responders for direct get: stream '${stream}' does not exist or does not allow direct get` });
  (e as { cause?: unknown }).cause = cause;
  return e;
}

/** Direct gets through the JetStream API prefix of `api`. */
export class DirectGets {
  constructor(private readonly api: JsApi) {}

  /** One message (by seq, last on a subject, next on a subject); null when there is none. */
  async getMessage(stream: string, query: MsgRequest, opts: ApiCallOptions = {}): Promise<StoredMsg | null> {
    checkName(stream, "stream name");
    checkMsgRequest(query);
    const q = query as { last_by_subj?: string };
    const literalLast = q.last_by_subj !== undefined && Object.keys(query).length === 1 && !WILDCARD.test(q.last_by_subj);
    if (q.last_by_subj !== undefined) checkFilter(q.last_by_subj, "last_by_subj");
    const subject = literalLast ? this.api.subject(`DIRECT.GET.${stream}.${q.last_by_subj}`) : this.api.subject(`DIRECT.GET.${stream}`);
    const body = literalLast ? undefined : encoder.encode(JSON.stringify(query));
    let m: Msg;
    try {
      m = await this.api.nc.request(subject, body, { timeout: opts.timeout ?? this.api.timeout, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (err) {
      if (err instanceof NoRespondersError) throw noDirect(stream, err);
      throw err;
    }
    const h = m.headers;
    if (h?.code === 404) return null;
    if (!h || h.hasError || !h.has(DIRECT.sequence)) throw h ? statusError(m, stream) : new JetStreamApiError({ code: 500, description: "direct get reply without headers" });
    return storedFromDirect(m);
  }

  /** [2.11+] Up to `batch` messages from `seq` / `start_time` (optionally on `next_by_subj`). */
  getBatch(stream: string, opts: DirectBatchOptions): AsyncIterable<StoredMsg> {
    checkName(stream, "stream name");
    checkKeys(opts, ["batch", "seq", "start_time", "next_by_subj", "max_bytes", "timeout"], "direct batch");
    checkPositiveInt(opts.batch, "batch");
    if (opts.seq !== undefined) checkPositiveInt(opts.seq, "seq");
    if (opts.max_bytes !== undefined) checkPositiveInt(opts.max_bytes, "max_bytes");
    if (opts.next_by_subj !== undefined) checkFilter(opts.next_by_subj, "next_by_subj");
    checkTimeout(opts.timeout);
    requireFeature(this.api.nc, "direct_batch", "direct get batch");
    const body: Record<string, unknown> = { batch: opts.batch };
    if (opts.seq !== undefined) body.seq = opts.seq;
    if (opts.start_time !== undefined) {
      if (opts.seq !== undefined) throw new InvalidArgumentError("direct batch: seq and start_time are exclusive");
      body.start_time = timeArg(opts.start_time, "start_time");
    }
    if (opts.next_by_subj !== undefined) body.next_by_subj = opts.next_by_subj;
    if (opts.max_bytes !== undefined) body.max_bytes = opts.max_bytes;
    if (body.seq === undefined && body.start_time === undefined) body.seq = 1;
    return this.#batch(stream, body, opts.timeout);
  }

  /** [2.11+] The last message of each of `subjects` (wildcards allowed), in stream order, paged. */
  getLastMessagesFor(stream: string, subjects: string[], opts: DirectLastForOptions = {}): AsyncIterable<StoredMsg> {
    checkName(stream, "stream name");
    if (!Array.isArray(subjects) || subjects.length === 0) throw new InvalidArgumentError("subjects must be a non-empty array");
    if (subjects.length > 1024) throw new InvalidArgumentError("at most 1024 subjects per request");
    for (const s of subjects) checkFilter(s, "subject");
    checkKeys(opts, ["up_to_seq", "up_to_time", "batch", "timeout"], "direct last-for");
    if (opts.up_to_seq !== undefined) checkPositiveInt(opts.up_to_seq, "up_to_seq");
    if (opts.batch !== undefined) checkPositiveInt(opts.batch, "batch");
    checkTimeout(opts.timeout);
    if (opts.up_to_seq !== undefined && opts.up_to_time !== undefined) throw new InvalidArgumentError("up_to_seq and up_to_time are exclusive");
    const upToTime = opts.up_to_time === undefined ? undefined : timeArg(opts.up_to_time, "up_to_time");
    requireFeature(this.api.nc, "direct_batch", "direct get of the last messages for subjects");
    const batch = (body: Record<string, unknown>, eob: { pending: number; last: number; upTo: number }): AsyncGenerator<StoredMsg> =>
      this.#batch(stream, body, opts.timeout, eob);
    return (async function* () {
      const body: Record<string, unknown> = { multi_last: subjects };
      if (opts.batch !== undefined) body.batch = opts.batch;
      if (opts.up_to_seq !== undefined) body.up_to_seq = opts.up_to_seq;
      if (upToTime !== undefined) body.up_to_time = upToTime;
      for (;;) {
        const eob = { pending: 0, last: 0, upTo: 0 };
        let n = 0;
        for await (const m of batch(body, eob)) {
          n++;
          yield m;
        }
        // 2.11 may report 0 pending on a full page that is not the last: go on while pages come back full
        const full = opts.batch !== undefined && n >= opts.batch && (eob.upTo === 0 || eob.last < eob.upTo);
        if (n === 0 || eob.last === 0 || (eob.pending <= 0 && !full)) return;
        body.seq = eob.last + 1;
        if (eob.upTo) body.up_to_seq = eob.upTo;
        delete body.up_to_time;
      }
    })();
  }

  async *#batch(stream: string, body: Record<string, unknown>, timeout?: number, eob?: { pending: number; last: number; upTo: number }): AsyncGenerator<StoredMsg> {
    const nc = this.api.nc;
    const inbox = nc.createInbox();
    const sub: Subscription = nc.subscribe(inbox);
    const idle = timeout ?? this.api.timeout;
    try {
      nc.publish(this.api.subject(`DIRECT.GET.${stream}`), JSON.stringify(body), { reply: inbox });
      for (;;) {
        let m: Msg;
        try {
          m = await sub.next({ timeout: idle });
        } catch (err) {
          if (err instanceof TimeoutError) throw new TimeoutError(`direct get batch on '${stream}': no reply within ${idle} ms`, { cause: err });
          throw err;
        }
        const h = m.headers;
        if (h?.code === 503) throw noDirect(stream, undefined);
        if (h?.code === 404) return;
        if (h?.code === 204) {
          if (eob) {
            eob.pending = Number(h.get(DIRECT.numPending) || 0);
            eob.last = Number(h.get(DIRECT.lastSequence) || 0);
            eob.upTo = Number(h.get(DIRECT.upToSequence) || 0);
          }
          return;
        }
        if (!h || h.hasError) throw h ? statusError(m, stream) : new JetStreamApiError({ code: 500, description: "direct get reply without headers" });
        yield storedFromDirect(m);
        // An old server answers a batch request with one message and no Nats-Num-Pending: stop there.
        if (!h.has(DIRECT.numPending)) return;
      }
    } finally {
      sub.unsubscribe();
    }
  }
}
