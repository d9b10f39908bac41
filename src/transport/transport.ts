import type { TlsOptions } from "../connection/options.js";
import type { Server } from "../connection/servers.js";

/** Where a transport reports what happens to it. */
export interface TransportEvents {
  data(chunk: Uint8Array): void;
  /** The transport is gone; `err` when it failed rather than ended normally. */
  close(err?: Error): void;
  /** The transport can take writes again after `write()` returned false. */
  drain(): void;
}

/**
 * Bytes to and from one server. Implementations: TCP/TLS (node:net, node:tls) and WebSocket.
 * Knows nothing of NATS frames, except that a TLS upgrade happens after the server's INFO.
 */
export interface Transport {
  /**
   * Queues bytes; false means "wait for drain before writing more". `done` (when given) is
   * called once `chunk` may be reused by the caller. Must be callable unbound.
   */
  readonly write: (chunk: Uint8Array, done?: () => void) => boolean;
  /** Closes. `graceful`: send what is queued first (bounded in time); otherwise at once. */
  close(graceful?: boolean): void;
  /** Whether the bytes travel encrypted. */
  readonly encrypted: boolean;
  /** Upgrades the connection to TLS in place (TCP only). */
  upgradeTls?(opts: TlsOptions, servername: string): Promise<void>;
  /** Whether `upgradeTls` is supported. */
  readonly canUpgrade: boolean;
}

export interface TransportConnectOptions {
  timeout: number;
  tls?: TlsOptions | null;
}

export type TransportFactory = (server: Server, opts: TransportConnectOptions, events: TransportEvents) => Promise<Transport>;
