/**
 * Small helpers shared by the test files: waiting for a condition, timing probes, a set of
 * connections closed together, and the connect/round-trip checks most client tests start with.
 * Polling and sleeping come from ./ports.ts.
 */
import { strict as assert } from "node:assert";
import { poll } from "./ports.js";
import { connect, createInbox, NatsError, type Authenticator, type ConnectionOptions, type NatsConnection } from "../../src/index.js";

/** How long {@link until} waits unless told otherwise. */
export const UNTIL_TIMEOUT_MS = 10_000;

/**
 * Polls `cond` every 5 ms until it returns true; rejects with "timed out waiting for <what>"
 * after `timeoutMs`.
 */
export function until(cond: () => boolean, what: string, timeoutMs = UNTIL_TIMEOUT_MS): Promise<true> {
  return poll(() => (cond() ? true : undefined), timeoutMs, () => `timed out waiting for ${what}`, 5);
}

/** {@link until} with another default timeout, for files whose waits are all shorter or longer. */
export function untilWithin(defaultTimeoutMs: number): (cond: () => boolean, what: string, timeoutMs?: number) => Promise<true> {
  return (cond, what, timeoutMs = defaultTimeoutMs) => until(cond, what, timeoutMs);
}

/** Resolves true when `p` settles (either way) within `ms`, false otherwise. */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => (clearTimeout(t), resolve(true)),
      () => (clearTimeout(t), resolve(true)),
    );
  });
}

/** Blocks the event loop for about `ms` milliseconds (a slow, synchronous callback). */
export function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

/** [0, 1, …, n - 1] */
export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Connections a test file opens and closes together. `open` connects with `defaults()` under the
 * given options and remembers the connection; `closeAll()` closes every one remembered so far.
 */
export class Connections {
  readonly #open: NatsConnection[] = [];

  constructor(private readonly defaults: () => ConnectionOptions = () => ({})) {}

  /** connect() with the defaults overridden by `opts`; closed by {@link closeAll}. */
  readonly open = async (opts: ConnectionOptions = {}): Promise<NatsConnection> => this.track(await connect({ ...this.defaults(), ...opts }));

  /** Remembers a connection opened elsewhere, so that {@link closeAll} closes it too. */
  track(nc: NatsConnection): NatsConnection {
    this.#open.push(nc);
    return nc;
  }

  /** Closes (and forgets) every remembered connection; one that is already closed is fine. */
  async closeAll(): Promise<void> {
    const list = this.#open.splice(0);
    await Promise.all(list.map((nc) => nc.close().catch(() => undefined)));
  }
}

/** Connects expecting a failure; returns the rejection (a NatsError), closing the connection if it succeeded. */
export async function connectFails(opts: ConnectionOptions): Promise<NatsError> {
  let nc: NatsConnection | undefined;
  try {
    nc = await connect(opts);
  } catch (err) {
    assert.ok(err instanceof NatsError, `expected a NatsError, got ${String(err)}`);
    return err;
  }
  await nc.close();
  assert.fail(`connect(${JSON.stringify(opts.servers)}) succeeded but should have failed`);
}

/** Options of {@link roundTrip}. */
export interface RoundTripOptions {
  /** Prefix of the fresh inbox used as the subject (default "rt"). */
  prefix?: string;
  /** The payload sent and expected back (default "hello"). */
  text?: string;
  /** How long to wait for the message (default 5 s). */
  timeoutMs?: number;
}

/** Subscribes `nc` to a fresh inbox (max 1), publishes `text` to it and asserts that exactly that comes back. */
export async function roundTrip(nc: NatsConnection, opts: RoundTripOptions = {}): Promise<void> {
  const { prefix = "rt", text = "hello", timeoutMs = 5_000 } = opts;
  const subject = createInbox(prefix);
  const sub = nc.subscribe(subject, { max: 1 });
  await nc.flush();
  nc.publish(subject, text);
  assert.equal((await sub.next({ timeout: timeoutMs })).string(), text);
}

/** Wraps `inner` so that every call records its nonce in `nonces` (undefined when the server sent none). */
export function recordNonces(inner: Authenticator): { authenticator: Authenticator; nonces: (string | undefined)[] } {
  const nonces: (string | undefined)[] = [];
  const authenticator: Authenticator = (nonce) => {
    nonces.push(nonce);
    return inner(nonce);
  };
  return { authenticator, nonces };
}

/**
 * Asserts that `start(signal)` rejects with the signal's abort reason, both when the signal is aborted
 * while it waits (at once, or `abortAfterMs` later) and when it was aborted before the call.
 */
export async function assertRejectsWithAbortReason(start: (signal: AbortSignal) => Promise<unknown>, abortAfterMs?: number): Promise<void> {
  const ac = new AbortController();
  const reason = new Error("aborted while waiting");
  const p = start(ac.signal);
  if (abortAfterMs === undefined) ac.abort(reason);
  else setTimeout(() => ac.abort(reason), abortAfterMs);
  await assert.rejects(p, (err: unknown) => err === reason);
  const pre = new AbortController();
  const reason2 = new Error("aborted before the call");
  pre.abort(reason2);
  await assert.rejects(start(pre.signal), (err: unknown) => err === reason2);
}
