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
 * The wait of one call: its deadline (`timeout`) and the caller's signal. Hand `step()` to every
 * request the call makes (so none is sent after the abort, and none waits past the deadline),
 * `race()` what it awaits, and call `done()` at the end. `signal` is one AbortSignal that aborts
 * with the caller's reason, or with a `TimeoutError` at the deadline, for what cannot take a step's
 * options. The constructor throws the reason of a signal that already aborted, before anything is
 * sent.
 *
 * The combined signal is made only when someone reads `signal`: a call with a timeout and no
 * signal of its own (an atomic batch's commit) costs a timer, not an AbortController and its
 * listeners (~20 µs in Node 20).
 */
export class CallWait {
  readonly #what: string;
  readonly #user: AbortSignal | undefined;
  readonly #timeout: number | undefined;
  readonly #deadline: number | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** The TimeoutError, once the deadline passed. */
  #expired: TimeoutError | undefined;
  /** The combined signal's controller, once `signal` was read. */
  #ac: AbortController | undefined;
  #off: (() => void) | undefined;
  /** Rejecters of the races still pending, rejected at the deadline (made by the first race). */
  #racers: Set<(err: Error) => void> | undefined;

  constructor(opts: CallOptions | undefined, what: string) {
    const user = opts?.signal;
    throwIfAborted(user);
    this.#what = what;
    this.#user = user;
    const timeout = opts?.timeout;
    this.#timeout = timeout;
    if (timeout === undefined) return;
    this.#deadline = performance.now() + timeout;
    this.#timer = setTimeout(this.#onDeadline, timeout);
  }

  /** Aborts at the deadline or with the caller's signal; undefined when the call has neither. */
  get signal(): AbortSignal | undefined {
    if (this.#deadline === undefined) return this.#user;
    if (this.#ac) return this.#ac.signal;
    const ac = new AbortController();
    this.#ac = ac;
    const user = this.#user;
    if (this.#expired) ac.abort(this.#expired);
    else if (user?.aborted) ac.abort(abortReason(user));
    else if (user && this.#timer !== undefined) {
      const onAbort = (): void => ac.abort(abortReason(user));
      user.addEventListener("abort", onAbort, { once: true });
      this.#off = () => user.removeEventListener("abort", onAbort);
    }
    return ac.signal;
  }

  readonly #onDeadline = (): void => {
    this.#timer = undefined;
    const err = new TimeoutError(`${this.#what} timed out after ${this.#timeout} ms`);
    this.#expired = err;
    this.#ac?.abort(err);
    const racers = this.#racers;
    this.#racers = undefined;
    if (racers) for (const reject of racers) reject(err);
  };

  /** ms left before the deadline (at least 1), or undefined without a timeout. */
  remaining(): number | undefined {
    return this.#deadline === undefined ? undefined : Math.max(1, Math.ceil(this.#deadline - performance.now()));
  }

  /** The options of one step: the time left and the call's signal. Throws when the call was aborted. */
  step(): CallOptions {
    throwIfAborted(this.#user);
    if (this.#expired) throw this.#expired;
    const o: CallOptions = {};
    const t = this.remaining();
    if (t !== undefined) o.timeout = t;
    // the step times out by itself: it needs a signal only for the caller's abort
    const s = this.#ac?.signal ?? this.#user;
    if (s) o.signal = s;
    return o;
  }

  /** `p`, or the abort / timeout as soon as it happens. */
  race<T>(p: Promise<T>): Promise<T> {
    if (this.#deadline === undefined) return abortable(p, this.#user);
    if (this.#expired) {
      p.catch(() => undefined);
      return Promise.reject(this.#expired);
    }
    const racers = (this.#racers ??= new Set());
    const timed = new Promise<T>((resolve, reject) => {
      racers.add(reject);
      p.then(
        (v) => {
          racers.delete(reject);
          resolve(v);
        },
        (e: unknown) => {
          racers.delete(reject);
          reject(e as Error);
        },
      );
    });
    return abortable(timed, this.#user);
  }

  /** Stops the deadline timer and lets go of the caller's signal. */
  done(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#racers = undefined;
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
