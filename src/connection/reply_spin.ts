// Keeps the event loop polling for a short while after a request went out, so that a reply that
// comes back within microseconds is read without the process first going to sleep in the poller
// and being woken again (on a virtual machine that trip through the scheduler costs about as much
// as the reply itself). Go's runtime does the same by spinning before it parks a thread.
//
// One per process, since that is what sleeps: a responder on another connection of the same
// process writing its answer keeps the requester's window open.
//
// Bounded three ways: only while requests await replies, only up to the window after the last
// write, and not at all for a while after several windows in a row saw no reply (a responder that
// takes milliseconds gets nothing from spinning, so it is not charged for it).
import { hasImmediate, later } from "../util/turns.js";

/** Consecutive windows without a reply before spinning pauses. */
const MISSES = 4;
/** Writes skipped after MISSES misses; doubles with every further miss, up to MAX_SKIP. */
const FIRST_SKIP = 16;
const MAX_SKIP = 1024;

class ReplySpin {
  /** Requests awaiting a reply, over every connection of the process. */
  awaiting = 0;
  /** Replies received so far (a counter). */
  replies = 0;
  private until = 0;
  private running = false;
  private repliesAtStart = 0;
  private misses = 0;
  private skip = 0;
  private nextSkip = FIRST_SKIP;

  /** For tests and diagnostics: whether it is polling now, and how it has fared. */
  state(): { running: boolean; misses: number; skip: number } {
    return { running: this.running, misses: this.misses, skip: this.skip };
  }

  /** Bytes were handed to a socket: poll for replies for up to `windowUs` microseconds from now. */
  wrote(windowUs: number): void {
    if (windowUs === 0 || this.awaiting === 0 || !hasImmediate) return;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    const until = performance.now() + windowUs / 1000;
    if (until > this.until) this.until = until;
    if (this.running) return;
    this.running = true;
    this.repliesAtStart = this.replies;
    later(this.tick);
  }

  private readonly tick = (): void => {
    if (this.awaiting === 0) return this.end(true);
    if (performance.now() < this.until) return later(this.tick);
    this.end(this.replies !== this.repliesAtStart);
  };

  private end(hit: boolean): void {
    this.running = false;
    this.until = 0;
    if (hit) {
      this.misses = 0;
      this.nextSkip = FIRST_SKIP;
    } else if (++this.misses >= MISSES) {
      this.skip = this.nextSkip;
      this.nextSkip = Math.min(this.nextSkip * 2, MAX_SKIP);
    }
  }
}

export const replySpin = new ReplySpin();
