import { TimeoutError, abortReason } from "../util/errors.js";
import { RingQueue } from "../util/queue.js";

/** Someone waiting for the PONG of one PING (a flush). */
interface PongWaiter {
  resolve(): void;
  reject(err: Error): void;
  settled: boolean;
}

/** How the tracker sends a PING and reports a stale connection. */
export interface PingHost {
  /** Writes a PING after everything queued before it; false when there is no connection. */
  sendPing(): boolean;
  stale(pingsOut: number): void;
}

/**
 * PING/PONG bookkeeping: flushes waiting for their PONG (in order; heartbeat PINGs hold a
 * place too), flushes parked while disconnected, and the heartbeat that declares the connection
 * stale after `maxPingOut` unanswered PINGs.
 */
export class Pings {
  private readonly pongs = new RingQueue<PongWaiter | null>();
  private parked: PongWaiter[] = [];
  private pingsOut = 0;
  private timer?: ReturnType<typeof setInterval>;

  constructor(private readonly host: PingHost) {}

  /** A round trip: resolves on the PONG of a PING sent now (or once reconnected). */
  flush(opts?: { timeout?: number; signal?: AbortSignal }): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const signal = opts?.signal;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        w.settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const w: PongWaiter = {
        settled: false,
        resolve: () => {
          if (w.settled) return;
          done();
          resolve();
        },
        reject: (e) => {
          if (w.settled) return;
          done();
          reject(e);
        },
      };
      const onAbort = () => w.reject(abortReason(signal!));
      if (signal) {
        if (signal.aborted) return reject(abortReason(signal));
        signal.addEventListener("abort", onAbort, { once: true });
      }
      if (opts?.timeout !== undefined) timer = setTimeout(() => w.reject(new TimeoutError(`flush timed out after ${opts.timeout} ms`)), opts.timeout);
      this.ping(w);
    });
  }

  private ping(w: PongWaiter | null): void {
    if (this.host.sendPing()) this.pongs.push(w);
    else if (w) this.parked.push(w);
  }

  onPong(): void {
    this.pingsOut = 0;
    this.pongs.shift()?.resolve();
  }

  /** The connection is up: heartbeat on, parked flushes get their PING. */
  connected(interval: number, maxPingOut: number): void {
    this.stopHeartbeat();
    this.pingsOut = 0;
    const parked = this.parked;
    this.parked = [];
    for (const w of parked) if (!w.settled) this.ping(w);
    this.timer = setInterval(() => {
      if (this.pingsOut >= maxPingOut) {
        this.host.stale(this.pingsOut);
        return;
      }
      this.pingsOut++;
      this.ping(null);
    }, interval);
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** The connection was lost: heartbeat off, flushes waiting for a PONG wait for the next one. */
  disconnected(): void {
    this.stopHeartbeat();
    for (const w of this.pongs.drainAll()) if (w && !w.settled) this.parked.push(w);
  }

  /** Closed: every waiting flush fails with `err`. */
  close(err: Error): void {
    this.stopHeartbeat();
    for (const w of this.pongs.drainAll()) if (w && !w.settled) w.reject(err);
    for (const w of this.parked) if (!w.settled) w.reject(err);
    this.parked = [];
  }

  private stopHeartbeat(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
