// WebSocket transport (ws:// and wss:// URLs). Environment-neutral: no `node:` imports, so the
// browser entry can bundle it. The socket itself comes from a `WebSocketOpener`: the global
// `WebSocket` by default (browsers, Deno, Node 22+); Node's factory supplies one that falls back
// to the optional `ws` package (see node_factory.ts).
import { encodeUtf8, concatBytes } from "../protocol/bytes.js";
import { ConnectionError, NatsError, TimeoutError, TlsError } from "../util/errors.js";
import type { Endpoint, Transport, TransportConnectOptions, TransportEvents, TransportFactory } from "./transport.js";

/** The part of the WHATWG WebSocket API used here (the `ws` package implements it too). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: ((ev: { code?: number; reason?: string }) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

/** A WebSocket constructor (the global one, or the `ws` package's). */
export type WebSocketConstructor = new (url: string, ...rest: any[]) => WebSocketLike;

/** Creates the socket for `url` (still connecting when returned). */
export type WebSocketOpener = (url: string, server: Endpoint, opts: TransportConnectOptions) => WebSocketLike | Promise<WebSocketLike>;

const OPEN = 1;
/** `write()` returns false once this many bytes wait in the socket... */
const HIGH_WATER = 1024 * 1024;
/** ...and `drain` is emitted when no more than this many are left. */
const LOW_WATER = 128 * 1024;
/** How often `bufferedAmount` is checked while writes are blocked. */
const DRAIN_POLL_MS = 2;

/** The runtime's global `WebSocket` constructor, if it has one. */
export function globalWebSocket(): WebSocketConstructor | undefined {
  const c = (globalThis as { WebSocket?: unknown }).WebSocket;
  return typeof c === "function" ? (c as WebSocketConstructor) : undefined;
}

/** Opens sockets with the global `WebSocket`. */
export const globalWebSocketOpener: WebSocketOpener = (url) => {
  const C = globalWebSocket();
  if (!C) throw new ConnectionError(`cannot connect to ${url}: this runtime has no global WebSocket`);
  return new C(url);
};

/** "ws://host:port" / "wss://host:port" for a server of the pool. */
export function webSocketUrl(server: Endpoint): string {
  return `${server.scheme === "wss" ? "wss" : "ws"}://${server.hostport}${server.path}`;
}

function errorText(ev: unknown): string | undefined {
  const e = ev as { error?: { message?: unknown }; message?: unknown } | null | undefined;
  const m = e?.error?.message ?? e?.message;
  return typeof m === "string" && m ? m : undefined;
}

/** TLS verification and handshake failures (Node error codes, as reported through `ws`). */
function isTlsFailure(ev: unknown): boolean {
  const code = (ev as { error?: { code?: unknown } } | null | undefined)?.error?.code;
  return typeof code === "string" && /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|^EPROTO$/.test(code);
}

function closeText(ev: { code?: number; reason?: string } | undefined): string {
  if (!ev?.code || ev.code === 1005) return "";
  return ` (WebSocket close code ${ev.code}${ev.reason ? `: ${ev.reason}` : ""})`;
}

/** A message's payload as bytes (ArrayBuffer, a Buffer/view, `ws` fragments or text). */
function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((d) => d instanceof Uint8Array)) return concatBytes(data as Uint8Array[]);
  if (typeof data === "string") return encodeUtf8(data);
  return undefined;
}

/** NATS over a WebSocket: each `write()` is one binary message; received messages are byte chunks. */
export class WebSocketTransport implements Transport {
  readonly encrypted: boolean;
  readonly canUpgrade = false;
  private closedFlag = false;
  private opened = false;
  private error?: Error;
  private drainTimer?: ReturnType<typeof setTimeout>;

  private constructor(
    private readonly ws: WebSocketLike,
    private readonly url: string,
    encrypted: boolean,
    private readonly events: TransportEvents,
  ) {
    this.encrypted = encrypted;
  }

  /** Opens a WebSocket to `server` and resolves once it is open. */
  static async connect(server: Endpoint, opts: TransportConnectOptions, events: TransportEvents, open: WebSocketOpener = globalWebSocketOpener): Promise<WebSocketTransport> {
    const url = webSocketUrl(server);
    let ws: WebSocketLike;
    try {
      ws = await open(url, server, opts);
    } catch (err) {
      if (err instanceof NatsError) throw err;
      throw new ConnectionError(`cannot connect to ${url}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
    // browsers and undici default to "blob"; `ws` to "nodebuffer" (already bytes, no copy)
    if (ws.binaryType !== "nodebuffer") ws.binaryType = "arraybuffer";
    const t = new WebSocketTransport(ws, url, server.scheme === "wss", events);
    return t.opening(opts.timeout);
  }

  private opening(timeoutMs: number): Promise<WebSocketTransport> {
    const ws = this.ws;
    return new Promise((resolve, reject) => {
      let settled = false;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.closedFlag = true;
        try {
          ws.close();
        } catch {
          // already closed
        }
        reject(err);
      };
      const timer = setTimeout(() => fail(new ConnectionError(`timed out connecting to ${this.url} after ${timeoutMs} ms`, { cause: new TimeoutError(`connect timeout (${timeoutMs} ms)`) })), timeoutMs);
      ws.onopen = () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        this.opened = true;
        resolve(this);
      };
      ws.onmessage = (ev) => this.onMessage(ev.data);
      // never unset: `ws` throws on an "error" event nobody listens to
      ws.onerror = (ev) => {
        if (this.opened) {
          this.error ??= this.wrap(ev, "WebSocket error");
          return;
        }
        fail(this.wrap(ev, "cannot connect"));
      };
      ws.onclose = (ev) => {
        if (!this.opened) {
          fail(new ConnectionError(`cannot connect to ${this.url}: the WebSocket closed before it opened${closeText(ev)}`));
          return;
        }
        this.onClosed(ev);
      };
    });
  }

  private wrap(ev: unknown, what: string): Error {
    const text = errorText(ev);
    const message = `${what} ${what === "cannot connect" ? "to" : "on"} ${this.url}${text ? `: ${text}` : " (the runtime gives no details)"}`;
    const cause = (ev as { error?: unknown } | null)?.error ?? ev;
    return this.encrypted && isTlsFailure(ev) ? new TlsError(message, { cause }) : new ConnectionError(message, { cause });
  }

  private onMessage(data: unknown): void {
    if (this.closedFlag) return;
    const bytes = toBytes(data);
    if (!bytes) {
      this.error ??= new ConnectionError(`unexpected WebSocket message type from ${this.url}`);
      this.shutdown();
      return;
    }
    this.events.data(bytes);
  }

  private onClosed(ev?: { code?: number; reason?: string }): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.stopDrainPoll();
    this.events.close(this.error ?? new ConnectionError(`connection closed by the server${closeText(ev)}`));
  }

  /** Closes the socket because of a local failure and reports it. */
  private shutdown(): void {
    try {
      this.ws.close();
    } catch {
      // already closed
    }
    this.onClosed();
  }

  readonly write = (chunk: Uint8Array, done?: () => void): boolean => {
    if (this.closedFlag || this.ws.readyState !== OPEN) {
      done?.();
      return false;
    }
    try {
      // send a copy: implementations may keep a reference until the frame is written,
      // and the caller reuses `chunk` once `done` is called
      this.ws.send(done ? chunk.slice() : chunk);
      done?.();
    } catch (err) {
      this.error ??= new ConnectionError(`cannot write to ${this.url}: ${(err as Error).message}`, { cause: err });
      this.shutdown();
      return false;
    }
    if (this.ws.bufferedAmount <= HIGH_WATER) return true;
    this.startDrainPoll();
    return false;
  };

  private startDrainPoll(): void {
    if (this.drainTimer !== undefined) return;
    const check = (): void => {
      this.drainTimer = undefined;
      if (this.closedFlag) return;
      if (this.ws.bufferedAmount <= LOW_WATER) this.events.drain();
      else this.drainTimer = setTimeout(check, DRAIN_POLL_MS);
    };
    this.drainTimer = setTimeout(check, DRAIN_POLL_MS);
  }

  private stopDrainPoll(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
  }

  /** Starts the WebSocket closing handshake; what was already sent goes out first. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.stopDrainPoll();
    try {
      this.ws.close(1000);
    } catch {
      // already closed
    }
  }
}

/** A transport factory for ws:// and wss:// servers, with sockets from `open`. */
export function webSocketTransportFactory(open: WebSocketOpener = globalWebSocketOpener): TransportFactory {
  return (server, opts, events) => WebSocketTransport.connect(server, opts, events, open);
}
