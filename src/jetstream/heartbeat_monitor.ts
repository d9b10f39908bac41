// Missed-heartbeat detection that event-loop lag cannot trip: a coarse interval checks how long
// it has been since anything arrived; when the check itself ran late (the loop was blocked, so
// data may be waiting unread in the socket), the clock restarts instead of counting a miss.

export class HeartbeatMonitor {
  #last = 0;
  #lastTick = 0;
  #timer?: ReturnType<typeof setInterval>;
  #missed = 0;
  #seen = false;

  /**
   * @param intervalMs the server's idle-heartbeat interval
   * @param onMissed called with the number of intervals missed in a row (after 2 silent intervals)
   */
  constructor(
    private readonly intervalMs: number,
    private readonly onMissed: (count: number) => void,
  ) {}

  /** Starts (or restarts) watching. */
  start(): void {
    this.#last = this.#lastTick = performance.now();
    this.#missed = 0;
    this.#seen = false;
    if (this.#timer) return;
    const tick = Math.max(50, Math.floor(this.intervalMs / 2));
    this.#timer = setInterval(() => this.#check(tick), tick);
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Something arrived from the server (called per message: only a flag, the check reads the clock). */
  ok(): void {
    this.#seen = true;
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  get running(): boolean {
    return this.#timer !== undefined;
  }

  #check(tick: number): void {
    const now = performance.now();
    const late = now - this.#lastTick > tick * 3;
    this.#lastTick = now;
    if (this.#seen) {
      // something arrived since the last check (at most one tick ago)
      this.#seen = false;
      this.#last = now;
      this.#missed = 0;
      return;
    }
    if (late) {
      // the event loop was blocked: what the server sent may not have been read yet
      this.#last = now;
      return;
    }
    if (now - this.#last >= this.intervalMs * 2) {
      this.#missed++;
      this.#last = now;
      this.onMissed(this.#missed);
    }
  }
}
