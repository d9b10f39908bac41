import { AuthorizationError } from "../util/errors.js";
import type { ResolvedOptions } from "./options.js";
import type { Server, ServerPool } from "./servers.js";

/** The next server to try, how many times it was tried, and the delay waited before it. */
export interface NextAttempt {
  server: Server;
  attempt: number;
  delay: number;
}

/**
 * Which server to try next and how long to wait first: `reconnectTimeWait` + jitter since the
 * last attempt on the same server, or `reconnectDelayHandler(walks)` after each full walk of the
 * pool; servers are dropped after `maxReconnectAttempts` or after the same auth error twice.
 */
export class ReconnectPolicy {
  private walks = 0;
  private triedInWalk = 0;
  private sleeping?: { timer: ReturnType<typeof setTimeout>; resolve(): void };

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly pool: ServerPool,
  ) {}

  async next(stillWanted: () => boolean): Promise<NextAttempt | undefined> {
    if (this.pool.size === 0) return undefined;
    const server = this.pool.selectNext()!;
    let delay = 0;
    if (this.triedInWalk >= this.pool.size) {
      this.triedInWalk = 0;
      this.walks++;
      if (this.opts.reconnectDelayHandler) delay = Math.max(0, Number(this.opts.reconnectDelayHandler(this.walks)) || 0);
    }
    if (!this.opts.reconnectDelayHandler && server.lastAttempt) {
      const tls = server.scheme === "tls" || server.scheme === "wss" || !!this.opts.tls;
      const wait = this.opts.reconnectTimeWait + Math.random() * (tls ? this.opts.reconnectJitterTLS : this.opts.reconnectJitter);
      // after a failed attempt the whole wait applies (a slow failure does not shorten it);
      // after a lost connection, only what is left of it since that connection was made
      delay = server.reconnects > 0 ? wait : Math.max(0, server.lastAttempt + wait - Date.now());
    }
    this.triedInWalk++;
    if (delay > 0) await this.sleep(delay);
    if (!stillWanted()) return undefined;
    server.reconnects++;
    server.lastAttempt = Date.now();
    return { server, attempt: server.reconnects, delay };
  }

  /** Records a failed attempt; drops the server when it has used up its attempts. */
  failed(server: Server, err: Error): void {
    if (err instanceof AuthorizationError) this.authError(server, err);
    const max = this.opts.maxReconnectAttempts;
    if (max >= 0 && server.reconnects >= max) this.pool.remove(server);
  }

  /** The same auth error twice in a row from one server stops retrying it (as nats.go). */
  authError(server: Server | undefined, err: Error): void {
    if (!server) return;
    if (server.lastAuthError === err.message) this.pool.remove(server);
    else server.lastAuthError = err.message;
  }

  /** A successful connection starts a new walk. */
  reset(): void {
    this.walks = 0;
    this.triedInWalk = 0;
  }

  cancel(): void {
    const s = this.sleeping;
    if (s) {
      clearTimeout(s.timer);
      this.sleeping = undefined;
      s.resolve();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    });
  }
}
