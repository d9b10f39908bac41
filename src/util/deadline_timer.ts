// One timer for many deadlines (requests in flight). A timer per record costs Node a timer list
// made and dropped per record whenever only one is pending (a sequential request loop); here the
// timer is armed at the earliest deadline it was told of and never moved later. When it fires, the
// owner settles what is due and names the next deadline. A record settled early costs nothing:
// the timer may fire for it, find nothing due and re-arm for the next one.

/** setTimeout's largest delay; a longer one would fire at once. */
const MAX_DELAY = 2 ** 31 - 1;

export class DeadlineTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (performance.now() ms); Infinity when not armed. */
  #at = Infinity;

  /**
   * `expire(now)`: settles every record due at `now` and returns the earliest deadline left
   * (Infinity when none).
   */
  constructor(private readonly expire: (now: number) => number) {}

  /** A record is due at `deadline` (performance.now() ms; Infinity: never). */
  add(deadline: number): void {
    if (deadline < this.#at) this.#arm(deadline);
  }

  /** Disarms the timer (nothing is pending any more). */
  stop(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }

  #arm(at: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#at = at;
    // Node's timers run on the event loop's clock, which can lag performance.now() a little: a
    // timer that fires early finds nothing due and is armed again for what is left
    this.#timer = setTimeout(this.#fire, Math.min(MAX_DELAY, Math.max(0, Math.ceil(at - performance.now()))));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    this.#at = Infinity;
    const next = this.expire(performance.now());
    // a deadline added by expire() itself has armed the timer already
    if (next < this.#at) this.#arm(next);
  };
}
