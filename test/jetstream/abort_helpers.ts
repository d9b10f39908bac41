/**
 * Helpers of the `{ timeout?, signal? }` tests (JetStream and Key-Value): what a caller's connection
 * sent (its own counter and a second connection subscribed to the subjects it could use), a server
 * frozen with SIGSTOP for the length of a wait, and the three checks every call gets — an aborted
 * signal rejects at once with its reason and sends nothing, an abort during a real wait rejects with
 * the reason at once, a timeout rejects with TimeoutError.
 */
import { strict as assert } from "node:assert";
import { readdirSync, readFileSync } from "node:fs";
import { InvalidArgumentError, TimeoutError, type NatsConnection } from "../../src/index.js";
import { ApiSpy } from "../kv/helpers.js";
import type { NatsServer } from "../support/server.js";
import { sleep } from "../support/ports.js";

/** How long "at once" may take (a loaded CI machine included). */
export const AT_ONCE_MS = 250;

/** Traffic a connection sends, seen by a second connection subscribed to `subjects`. */
export class Outgoing {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly spies: ApiSpy[],
  ) {}

  /** Spies on `subjects` (default: the JetStream API and every subject) through `spyNc`. */
  static async on(nc: NatsConnection, spyNc: NatsConnection, subjects: string[]): Promise<Outgoing> {
    const spies = await Promise.all(subjects.map((s) => ApiSpy.on(spyNc, s)));
    return new Outgoing(nc, spies);
  }

  /** Runs `fn` and asserts that nothing left the connection meanwhile (counted, and as seen by the spies). */
  async nothingSentBy(what: string, fn: () => Promise<void>): Promise<void> {
    await this.nc.flush();
    for (const s of this.spies) await s.flush(); // what was sent before has arrived
    for (const s of this.spies) s.clear();
    const before = this.nc.stats().outMsgs;
    await fn();
    await this.nc.flush();
    for (const s of this.spies) await s.flush();
    assert.equal(this.nc.stats().outMsgs, before, `${what}: a message was sent`);
    const seen = this.spies.flatMap((s) => s.requests.map((r) => r.subject));
    assert.deepEqual(seen, [], `${what}: the server saw ${seen.join(", ")}`);
  }
}

/** True once every thread of `pid` is stopped (Linux /proc); true where there is no /proc to ask. */
function allStopped(pid: number): boolean {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true;
  }
  return tasks.every((t) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, "utf8");
      return /^[Tt]/.test(stat.slice(stat.lastIndexOf(")") + 2));
    } catch {
      return true; // the thread is gone
    }
  });
}

/**
 * Runs `fn` while the server is stopped (SIGSTOP): requests are sent and no answer comes. Waits
 * until every thread of the server has stopped (a loaded machine takes a moment to stop one that
 * is running), so nothing `fn` sends is answered before SIGCONT.
 */
export async function whileFrozen<T>(server: NatsServer, fn: () => Promise<T>): Promise<T> {
  const pid = server.pid;
  process.kill(pid, "SIGSTOP");
  try {
    for (let i = 0; i < 200 && !allStopped(pid); i++) await sleep(5);
    return await fn();
  } finally {
    process.kill(pid, "SIGCONT");
  }
}

/** `p` rejects with exactly `reason` (the same object) within `ms`. */
export async function rejectsWithReason(p: Promise<unknown>, reason: Error, what: string, ms = AT_ONCE_MS): Promise<void> {
  const t0 = performance.now();
  await assert.rejects(p, (e: unknown) => {
    assert.equal(e, reason, `${what}: rejected with ${String(e)} instead of the abort reason`);
    return true;
  });
  const took = performance.now() - t0;
  assert.ok(took < ms, `${what}: rejected after ${Math.round(took)} ms`);
}

/** A call with an already-aborted signal rejects at once with the reason and sends nothing. */
export async function abortedBefore(out: Outgoing, what: string, call: (signal: AbortSignal) => Promise<unknown>): Promise<void> {
  const reason = new Error(`${what}: aborted before the call`);
  await out.nothingSentBy(what, () => rejectsWithReason(call(AbortSignal.abort(reason)), reason, what));
}

/**
 * The call waits (`pending` ms without settling), the signal aborts, and it rejects at once with the
 * reason. `around` makes the wait real (e.g. {@link whileFrozen}).
 */
export async function abortedWhileWaiting(
  what: string,
  call: (signal: AbortSignal) => Promise<unknown>,
  around: (fn: () => Promise<void>) => Promise<void> = (fn) => fn(),
  pending = 100,
): Promise<void> {
  await around(async () => {
    const ac = new AbortController();
    const reason = new Error(`${what}: aborted while waiting`);
    let settled: string | undefined;
    const p = call(ac.signal).then(
      (v) => {
        settled = `resolved with ${String(v)}`;
        return v;
      },
      (e: unknown) => {
        settled = `rejected with ${String(e)}`;
        throw e;
      },
    );
    p.catch(() => undefined);
    await sleep(pending);
    assert.equal(settled, undefined, `${what}: settled before the abort`);
    ac.abort(reason);
    await rejectsWithReason(p, reason, what);
  });
}

/** The call waits and rejects with TimeoutError after about `timeout` ms. */
export async function timesOut(
  what: string,
  call: (timeout: number) => Promise<unknown>,
  around: (fn: () => Promise<void>) => Promise<void> = (fn) => fn(),
  timeout = 150,
): Promise<void> {
  await around(async () => {
    const t0 = performance.now();
    await assert.rejects(call(timeout), (e: unknown) => {
      assert.ok(e instanceof TimeoutError, `${what}: rejected with ${String(e)}`);
      assert.equal(e.code, "TIMEOUT");
      return true;
    });
    const took = performance.now() - t0;
    assert.ok(took >= timeout - 20 && took < timeout + 1_000, `${what}: timed out after ${Math.round(took)} ms, timeout ${timeout}`);
  });
}

/** Bad `timeout` / `signal` values: InvalidArgumentError before anything is sent. */
export const BAD_CALL_OPTIONS: { what: string; opts: Record<string, unknown> }[] = [
  { what: "timeout 0", opts: { timeout: 0 } },
  { what: "negative timeout", opts: { timeout: -5 } },
  { what: "NaN timeout", opts: { timeout: Number.NaN } },
  { what: "string timeout", opts: { timeout: "100" } },
  { what: "signal that is not an AbortSignal", opts: { signal: { aborted: false } } },
  { what: "AbortController as signal", opts: { signal: new AbortController() } },
];

/**
 * `call(opts)` refuses each bad option with InvalidArgumentError, synchronously or as a rejection,
 * sending nothing (`signalOnly`: only the bad signals, for calls without a `timeout`).
 */
export async function refusesBadCallOptions(out: Outgoing, what: string, call: (opts: Record<string, unknown>) => unknown, signalOnly = false): Promise<void> {
  for (const bad of BAD_CALL_OPTIONS) {
    if (signalOnly && !("signal" in bad.opts)) continue;
    await out.nothingSentBy(`${what} with ${bad.what}`, async () => {
      let err: unknown;
      try {
        await call(bad.opts);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof InvalidArgumentError, `${what} with ${bad.what}: ${String(err)}`);
    });
  }
}

/** The first step of an iteration (keys(), history(), a fetch()). */
export function firstOf<T>(it: AsyncIterable<T>): Promise<IteratorResult<T>> {
  return it[Symbol.asyncIterator]().next();
}
