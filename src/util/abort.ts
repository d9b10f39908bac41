// `{ timeout?, signal? }` for calls that wait: checking the options, racing a promise with a signal,
// an abortable pause, and one deadline + signal for a call made of several steps (each step gets the
// time left and a signal that aborts at the deadline or when the caller's signal does).
import { abortReason, InvalidArgumentError, TimeoutError } from "./errors.js";

/** What every call that can block accepts. */
export interface CallOptions {
  /** ms; a call still waiting then rejects with `TimeoutError`. */
  timeout?: number;
  /** Aborting rejects the call with the signal's reason. */
  signal?: AbortSignal;
}

/** A positive number of ms (or undefined). */
export function checkCallTimeout(v: unknown, what = "timeout"): void {
  if (v === undefined) return;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new InvalidArgumentError(`${what} must be a positive number of milliseconds`);
}

/** An AbortSignal (or undefined). */
export function checkCallSignal(v: unknown): void {
  if (v === undefined) return;
  if (typeof AbortSignal === "undefined" || !(v instanceof AbortSignal)) throw new InvalidArgumentError("signal must be an AbortSignal");
}

/** Checks the `timeout` and `signal` of an options object (other keys are the caller's to check). */
export function checkCallOptions(opts: unknown): void {
  if (opts === undefined) return;
  if (opts === null || typeof opts !== "object") throw new InvalidArgumentError("options must be an object");
  const o = opts as { timeout?: unknown; signal?: unknown };
  checkCallTimeout(o.timeout);
  checkCallSignal(o.signal);
}

/** `{ timeout?, signal? }` of `opts` without the undefined ones, and the rest of `opts`. */
export function splitCallOptions<O extends CallOptions>(opts: O | undefined): { call: CallOptions; rest: Omit<O, "timeout" | "signal"> } {
  const { timeout, signal, ...rest } = (opts ?? {}) as O;
  const call: CallOptions = {};
  if (timeout !== undefined) call.timeout = timeout;
  if (signal !== undefined) call.signal = signal;
  return { call, rest };
}

/** Throws the signal's reason (as an Error) when it has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/** `p`, or the signal's reason as soon as it aborts (`p` keeps running; its outcome is ignored then). */
export function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(e as Error);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = (): void => {
      clearTimeout(t);
      reject(abortReason(signal!));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The wait of one call: its deadline (`timeout`) and the caller's signal as one `signal` that aborts
 * with the caller's reason, or with a `TimeoutError` at the deadline. Hand `step()` to every request
 * the call makes (so none is sent after the abort, and none waits past the deadline), `race()` what it
 * awaits, and call `done()` at the end. The constructor throws the reason of a signal that already
 * aborted, before anything is sent.
 */
export class CallWait {
  /** Aborts at the deadline or with the caller's signal; undefined when the call has neither. */
  readonly signal: AbortSignal | undefined;
  readonly #deadline: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #off: (() => void) | undefined;

  constructor(opts: CallOptions | undefined, what: string) {
    const user = opts?.signal;
    throwIfAborted(user);
    const timeout = opts?.timeout;
    if (timeout === undefined) {
      this.signal = user;
      return;
    }
    const ac = new AbortController();
    this.#deadline = performance.now() + timeout;
    this.#timer = setTimeout(() => ac.abort(new TimeoutError(`${what} timed out after ${timeout} ms`)), timeout);
    if (user) {
      const onAbort = (): void => ac.abort(abortReason(user));
      user.addEventListener("abort", onAbort, { once: true });
      this.#off = () => user.removeEventListener("abort", onAbort);
    }
    this.signal = ac.signal;
  }

  /** ms left before the deadline (at least 1), or undefined without a timeout. */
  remaining(): number | undefined {
    return this.#deadline === undefined ? undefined : Math.max(1, Math.ceil(this.#deadline - performance.now()));
  }

  /** The options of one step: the time left and the call's signal. Throws when the call was aborted. */
  step(): CallOptions {
    throwIfAborted(this.signal);
    const o: CallOptions = {};
    const t = this.remaining();
    if (t !== undefined) o.timeout = t;
    if (this.signal) o.signal = this.signal;
    return o;
  }

  /** `p`, or the abort / timeout as soon as it happens. */
  race<T>(p: Promise<T>): Promise<T> {
    return abortable(p, this.signal);
  }

  /** Stops the deadline timer and lets go of the caller's signal. */
  done(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#off?.();
    this.#off = undefined;
  }
}

/**
 * Runs a call under `opts`: `fn` gets the call's wait (pass `w.step()` to each request it makes);
 * settles with its result, or with the abort / `TimeoutError` as soon as that happens.
 */
export async function withCallWait<T>(opts: CallOptions | undefined, what: string, fn: (w: CallWait) => Promise<T>): Promise<T> {
  const w = new CallWait(opts, what);
  try {
    return await w.race(fn(w));
  } finally {
    w.done();
  }
}

/**
 * The items of `src`, with `opts` applying to the whole iteration (from its first `next()`): the
 * iteration rejects with the abort / `TimeoutError` as soon as it happens. `start(signal)` makes the
 * source (it gets the call's signal to stop its own requests); it is not called when the signal had
 * already aborted. `stop()` lets go of the source without waiting for it (after an abort).
 */
export async function* abortableIteration<T>(
  opts: CallOptions | undefined,
  what: string,
  start: (signal: AbortSignal | undefined) => AsyncGenerator<T>,
): AsyncGenerator<T> {
  const w = new CallWait(opts, what);
  let src: AsyncGenerator<T> | undefined;
  let aborted = false;
  try {
    src = start(w.signal);
    for (;;) {
      let r: IteratorResult<T>;
      try {
        r = await w.race(src.next());
      } catch (err) {
        aborted = w.signal?.aborted === true;
        throw err;
      }
      if (r.done) return;
      yield r.value;
    }
  } finally {
    w.done();
    // after an abort the source may be waiting on the server: let it finish on its own
    if (src && aborted) void src.return(undefined).catch(() => undefined);
    else if (src) await src.return(undefined);
  }
}
