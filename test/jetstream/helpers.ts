/**
 * Helpers shared by the JetStream management tests (streams, consumers, direct, versions): error
 * checks, a raw one-message pull (pull consumers are tested elsewhere), metadata without the
 * server's `_nats.*` keys, and unique names.
 */
import { strict as assert } from "node:assert";
import { createInbox, InvalidArgumentError, NatsError, type Msg, type NatsConnection } from "../../src/index.js";
import {
  FeatureNotSupportedError,
  JetStreamApiError,
  type ConsumerMessages,
  type ConsumerStatus,
  type JetStreamClient,
  type JetStreamManager,
  type PullConsumer,
} from "../../src/jetstream/index.js";
import { poll } from "../support/ports.js";

let seq = 0;
/** A stream/consumer name unique in this process: `<prefix>_<n>`. */
export function uniq(prefix: string): string {
  return `${prefix}_${++seq}`;
}

/**
 * Runs `fn` (sync throw or rejection both count) and returns its NatsError with code `code`;
 * fails when it succeeds or fails otherwise.
 */
export async function failsWith<E extends NatsError = NatsError>(fn: () => unknown, code: string, what = code): Promise<E> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert.ok(err !== undefined, `${what}: expected a rejection with code ${code}, but it succeeded`);
  assert.ok(err instanceof NatsError, `${what}: expected a NatsError, got ${String(err)}`);
  assert.equal(err.code, code, `${what}: ${err.message}`);
  return err as E;
}

/** `fn` fails with InvalidArgumentError (code INVALID_ARGUMENT) and sends nothing on `nc`. */
export async function refusedLocally(nc: NatsConnection, fn: () => unknown, what: string): Promise<InvalidArgumentError> {
  const before = nc.stats().outMsgs;
  const err = await failsWith<InvalidArgumentError>(fn, "INVALID_ARGUMENT", what);
  assert.ok(err instanceof InvalidArgumentError, `${what}: ${String(err)}`);
  assert.equal(nc.stats().outMsgs, before, `${what}: a message was sent before the refusal`);
  return err;
}

/** `fn` fails with JetStreamApiError carrying the server's `errCode` (and `status`, if given). */
export async function apiFails(fn: () => unknown, errCode: number, status?: number, code = "JETSTREAM_API"): Promise<JetStreamApiError> {
  const err = await failsWith<JetStreamApiError>(fn, code, `err_code ${errCode}`);
  assert.ok(err instanceof JetStreamApiError, String(err));
  assert.equal(err.errCode, errCode, err.message);
  if (status !== undefined) assert.equal(err.status, status, err.message);
  assert.ok(err.description.length > 0);
  return err;
}

/**
 * `fn` fails with FeatureNotSupportedError naming the feature, the server's version and the version
 * the feature needs, and sends nothing.
 */
export async function unsupported(nc: NatsConnection, fn: () => unknown, requires: string, what: string): Promise<FeatureNotSupportedError> {
  const before = nc.stats().outMsgs;
  const err = await failsWith<FeatureNotSupportedError>(fn, "FEATURE_NOT_SUPPORTED", what);
  assert.ok(err instanceof FeatureNotSupportedError, `${what}: ${String(err)}`);
  assert.equal(err.requires, requires, `${what}: ${err.message}`);
  assert.ok(err.feature.length > 0 && err.message.startsWith(err.feature), `${what}: ${err.message}`);
  assert.equal(err.serverVersion, nc.info?.version, `${what}: ${err.message}`);
  assert.ok(err.message.includes(requires) && err.message.includes(nc.info!.version), `${what}: ${err.message}`);
  assert.equal(nc.stats().outMsgs, before, `${what}: a message was sent before the refusal`);
  return err;
}

/** Every item of an async iterable. */
export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The stream names the account has, sorted. */
export async function streamNames(jsm: JetStreamManager): Promise<string[]> {
  return (await collect(jsm.streams.names())).sort();
}

/** Metadata without the keys the server adds (`_nats.*`, 2.11+). */
export function userMeta(md: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(md ?? {}).filter(([k]) => !k.startsWith("_nats.")));
}

/**
 * Pulls one message from a pull consumer with a raw `$JS.API.CONSUMER.MSG.NEXT` request (no ack is
 * sent); `extra` is merged into the pull request (e.g. `{ group: "g" }`). Resolves null when the pull
 * ends with a status (404 no messages, 408 expired, 400 bad request) instead.
 */
export async function pullOne(nc: NatsConnection, stream: string, consumer: string, extra: Record<string, unknown> = {}, prefix = "$JS.API"): Promise<Msg | null> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, { max: 1 });
  const body = JSON.stringify({ batch: 1, expires: 2_000_000_000, ...extra });
  nc.publish(`${prefix}.CONSUMER.MSG.NEXT.${stream}.${consumer}`, body, { reply: inbox });
  const m = await sub.next({ timeout: 10_000 });
  if (m.headers?.hasError || (m.data.length === 0 && m.headers && m.headers.code >= 400)) return null;
  return m;
}

/** The stream sequence of a message delivered by a consumer (from its `$JS.ACK.…` reply subject). */
export function streamSeqOf(m: Msg): number {
  const t = (m.reply ?? "").split(".");
  // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending> (or with domain + hash: 12 tokens)
  assert.ok(t[0] === "$JS" && t[1] === "ACK", `not a JetStream delivery: ${m.reply}`);
  return Number(t.length >= 12 ? t[t.length - 4] : t[5]);
}

/** Waits (up to 15 s) until `stream` holds `n` messages. */
export async function untilMessages(jsm: JetStreamManager, stream: string, n: number, timeoutMs = 15_000): Promise<void> {
  let last = -1;
  await poll(
    async () => {
      last = (await jsm.streams.info(stream)).state.messages;
      return last === n ? true : undefined;
    },
    timeoutMs,
    () => `stream ${stream} holds ${last} messages, want ${n}`,
    20,
  );
}

/** Every status of `msgs`, as they happen (the array fills in the background). */
export function statusesOf(msgs: ConsumerMessages): ConsumerStatus[] {
  const list: ConsumerStatus[] = [];
  void (async () => {
    for await (const s of msgs.status()) list.push(s);
  })();
  return list;
}

/**
 * A new memory stream `<prefix>_n` (subjects `<name>.>`) holding `n` messages `<name>.m` with the
 * payloads `payload(0..n-1)` ("0".."n-1" by default), and a durable explicit-ack pull consumer `C`.
 */
export async function filledPullConsumer(
  js: JetStreamClient,
  jsm: JetStreamManager,
  prefix: string,
  n: number,
  cfg: Record<string, unknown> = {},
  payload: (i: number) => string = String,
): Promise<{ S: string; c: PullConsumer }> {
  const S = uniq(prefix);
  await jsm.streams.add({ name: S, subjects: [`${S}.>`], storage: "memory" });
  for (let i = 0; i < n; i++) await js.publish(`${S}.m`, payload(i));
  await jsm.consumers.add(S, { durable_name: "C", ack_policy: "explicit", ...cfg });
  return { S, c: await js.consumers.get(S, "C") };
}
