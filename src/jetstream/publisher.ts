// Acknowledged publishing: one request per message, retried after a 503 (no stream answered yet).
import { NoRespondersError, TimeoutError, type NatsConnection } from "../core.js";
import { channels, publishEvent } from "../util/diagnostics.js";
import { pause, throwIfAborted } from "../util/abort.js";
import { NoStreamResponseError } from "./errors.js";
import { parsePubAck } from "./pub_ack.js";
import { publishHeaders, type JetStreamPublishOptions } from "./publish_options.js";
import { checkSubject } from "./validate.js";
import type { PubAck } from "./types.js";

export const DEFAULT_RETRIES = 2;
export const DEFAULT_RETRY_WAIT = 250;

/**
 * Publishes one message and waits for its PubAck. An aborted `signal` sends nothing; aborting later
 * abandons the wait for the ack (and any retry not yet sent).
 */
export async function publishAcked(
  nc: NatsConnection,
  defaultTimeout: number,
  subject: string,
  data: Uint8Array | string | undefined,
  opts?: JetStreamPublishOptions,
): Promise<PubAck> {
  checkSubject(subject, "subject");
  const headers = publishHeaders(nc, opts);
  const timeout = opts?.timeout ?? defaultTimeout;
  const retries = opts?.retries ?? DEFAULT_RETRIES;
  const wait = opts?.retryWait ?? DEFAULT_RETRY_WAIT;
  const signal = opts?.signal;
  throwIfAborted(signal);
  const start = performance.now();
  const deadline = start + timeout;
  for (let attempt = 0; ; attempt++) {
    const left = deadline - performance.now();
    try {
      if (left <= 0) throw new TimeoutError(`JetStream publish to '${subject}' timed out after ${timeout} ms`);
      const m = await nc.request(subject, data, { timeout: left, ...(headers ? { headers } : {}), ...(signal ? { signal } : {}) });
      const ack = parsePubAck(m);
      publishEvent(channels.jsPublish, { subject, ms: performance.now() - start, stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate });
      return ack;
    } catch (err) {
      if (err instanceof NoRespondersError && attempt < retries && deadline - performance.now() > wait) {
        try {
          await pause(wait, signal);
        } catch (abort) {
          publishEvent(channels.jsPublish, { subject, ms: performance.now() - start, error: abort as Error });
          throw abort;
        }
        continue;
      }
      const e = err instanceof NoRespondersError ? new NoStreamResponseError(subject, { cause: err }) : (err as Error);
      publishEvent(channels.jsPublish, { subject, ms: performance.now() - start, error: e });
      throw e;
    }
  }
}
