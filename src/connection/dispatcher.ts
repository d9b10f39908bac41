import { later } from "../util/turns.js";
import type { SubscriptionImpl } from "./subscription.js";

/**
 * How long callbacks may run inline, in the parser's loop, before further messages are queued,
 * when they are slow on average (see QUICK_CALLBACK_MS); quick ones run inline for up to
 * QUICK_SLICE_MS. The slice is wall time: a garbage collection inside it counts too, and a 9 ms
 * scavenge in a slice of 16 B messages used to tip a quick subscriber into queueing, where every
 * queued message outlives the next scavenges and makes them slower (bench/NOTES.md §17).
 */
const SLICE_MS = 10;
/**
 * How long queued callbacks that are slow may run in one turn before the socket is read again.
 * Short, and the clock is read after every queued callback: each turn reads about what the
 * kernel's receive buffer holds, and Linux grows that buffer only for a reader that keeps up. With
 * 10 ms turns (and the clock read every 16 callbacks) a 1 ms/message subscriber sometimes read only
 * ~5k messages/s, and the server cut it off as a slow consumer (bench/NOTES.md §13).
 */
const QUEUED_SLICE_MS = 2;
/**
 * Queued callbacks averaging less than this (ms) are quick: they get the whole SLICE_MS per turn,
 * enough to work off a backlog while the socket keeps delivering. With 2 ms for every subscriber,
 * a quick one that fell behind once (a 300 ms pause) read more per turn than it delivered and
 * never caught up: it dropped ~10% of a fast stream (bench/NOTES.md §14).
 */
const QUICK_CALLBACK_MS = 0.05;
/**
 * How long quick callbacks may run in one slice, inline or queued. More than SLICE_MS: in a turn the
 * socket may bring more than 10 ms of quick callbacks (a publisher in the same process writes a
 * burst per turn, and the reads that follow bring it back), and a backlog that grows by a little
 * every turn never clears; a turn this long still reads the socket 20 times a second.
 */
const QUICK_SLICE_MS = 50;

const now: () => number = typeof performance !== "undefined" ? () => performance.now() : () => Date.now();

/**
 * Decides how callbacks run. Messages go to callbacks inline, in the parser's loop, as long as
 * callbacks are quick; once callbacks have used a whole time slice, further messages are queued
 * per subscription (bounded by its pending limits) and delivered in later turns, so the socket
 * keeps being read, memory stays bounded and drops are counted instead of stalling the server.
 */
export class Dispatcher {
  backlogged = false;
  private readonly ready = new Set<SubscriptionImpl>();
  private scheduled = false;
  private count = 0;
  private sliceStart = 0;
  /** Inline callbacks used their slice: SLICE_MS for slow ones, QUICK_SLICE_MS for quick ones. */
  private readonly outOfBudget = (): boolean => {
    const t = now() - this.sliceStart;
    return t > QUICK_SLICE_MS || (t > SLICE_MS && t > this.count * QUICK_CALLBACK_MS);
  };
  /** Called after each queued callback: quick callbacks run for QUICK_SLICE_MS, slow ones for QUEUED_SLICE_MS. */
  private readonly outOfQueuedBudget = (): boolean => {
    const n = ++this.count;
    const t = now() - this.sliceStart;
    return t > QUICK_SLICE_MS || (t > QUEUED_SLICE_MS && t > n * QUICK_CALLBACK_MS);
  };

  /** Called once per chunk read from the transport. */
  startSlice(): void {
    this.count = 0;
    this.sliceStart = now();
  }

  /** Called after each inline callback. */
  tick(): void {
    if ((++this.count & 15) === 0 && !this.backlogged && this.outOfBudget()) {
      this.backlogged = true;
      this.schedule();
    }
  }

  markReady(sub: SubscriptionImpl): void {
    this.ready.add(sub);
    this.backlogged = true;
    this.schedule();
  }

  /** Pending queued work, for drain(). */
  get idle(): boolean {
    return this.ready.size === 0;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    later(this.run);
  }

  private readonly run = (): void => {
    this.scheduled = false;
    this.sliceStart = now();
    this.count = 0;
    for (const sub of this.ready) {
      if (sub.dispatchQueued(this.outOfQueuedBudget)) {
        this.ready.delete(sub);
      } else {
        this.schedule();
        return;
      }
    }
    this.backlogged = false;
    this.count = 0;
  };
}
