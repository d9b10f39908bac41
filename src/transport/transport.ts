// The transport owns the types it is given (where to connect, TLS settings); the connection layer
// builds on them (its pool's `Server` is an `Endpoint`, `ConnectionOptions.tls` is `TlsOptions`).

/** URL schemes: nats:// and tls:// over TCP, ws:// and wss:// over WebSocket. */
export type Scheme = "nats" | "tls" | "ws" | "wss";

/** Where a transport connects: what it reads of a server of the connection's pool. */
export interface Endpoint {
  scheme: Scheme;
  hostname: string;
  port: number;
  /** "host:port" (IPv6 in brackets). */
  hostport: string;
  /** Path (and query) of a ws:// or wss:// URL, e.g. "/nats" behind a proxy ("" otherwise). */
  path: string;
}

/** TLS settings (PEM text or file paths). */
export interface TlsOptions {
  ca?: string | Uint8Array | (string | Uint8Array)[];
  cert?: string | Uint8Array;
  key?: string | Uint8Array;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  /** Perform the TLS handshake before the server's INFO (needs nats-server 2.10.4+). */
  handshakeFirst?: boolean;
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** Where a transport reports what happens to it. */
export interface TransportEvents {
  /**
   * Bytes read. Returns true when something still refers to `chunk`'s memory after the call (a
   * message handed to the application as a view of it); a transport that reads into reusable
   * memory then uses new memory for its next read, and may reuse `chunk` otherwise.
   */
  data(chunk: Uint8Array): boolean | void;
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

export type TransportFactory = (server: Endpoint, opts: TransportConnectOptions, events: TransportEvents) => Promise<Transport>;
