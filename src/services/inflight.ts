// Promises still running (async handlers, STATS replies), so that stop() can wait for them.

export class Inflight {
  private readonly running = new Set<Promise<void>>();

  /** Tracks `p` (which must not reject) until it settles. */
  track(p: Promise<void>): void {
    this.running.add(p);
    void p.then(() => this.running.delete(p));
  }

  /** Resolves once nothing tracked is running, including what gets tracked meanwhile. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running);
  }
}
