// One endpoint's counters: requests handled, errors answered, processing time in nanoseconds.

/** Milliseconds (performance.now()) → integer nanoseconds. */
const toNanos = (ms: number): number => Math.max(0, Math.round(ms * 1e6));

export class EndpointCounters {
  requests = 0;
  errors = 0;
  lastError = "";
  /** Integer nanoseconds. */
  processing = 0;

  /** A request finished: it took since `startedMs` (performance.now()); `error` when it was answered with one. */
  handled(startedMs: number, error?: string): void {
    this.requests++;
    this.processing += toNanos(performance.now() - startedMs);
    if (error !== undefined) this.error(error);
  }

  error(text: string): void {
    this.errors++;
    this.lastError = text;
  }

  /** processing / requests, truncated (0 before the first request). */
  get average(): number {
    return this.requests > 0 ? Math.floor(this.processing / this.requests) : 0;
  }

  reset(): void {
    this.requests = 0;
    this.errors = 0;
    this.lastError = "";
    this.processing = 0;
  }
}
