import { ConnectionError, TlsError } from "../util/errors.js";
import type { TlsOptions, TransportFactory } from "./transport.js";
import { TcpTransport } from "./tcp.js";
import { nodeTlsOptions } from "./tls.js";
import { globalWebSocket, WebSocketTransport, type WebSocketConstructor, type WebSocketLike, type WebSocketOpener } from "./websocket.js";

let wsLoading: Promise<WebSocketConstructor> | undefined;

/** The optional `ws` package, imported on first use. */
function loadWs(why: string): Promise<WebSocketConstructor> {
  wsLoading ??= import("ws").then(
    (m) => {
      const mod = m as unknown as { default?: unknown; WebSocket?: unknown };
      return (mod.default ?? mod.WebSocket ?? mod) as WebSocketConstructor;
    },
    (err: unknown) => {
      wsLoading = undefined;
      throw err;
    },
  );
  return wsLoading.catch((err: unknown) => {
    throw new ConnectionError(`${why}, and the optional 'ws' package could not be loaded (install it: npm install ws): ${(err as Error).message}`, { cause: err });
  });
}

/** Whether the TLS options say anything the global WebSocket cannot be told (CA, client cert, no verification...). */
function hasTlsSettings(tls: TlsOptions): boolean {
  return (
    tls.ca !== undefined ||
    tls.cert !== undefined ||
    tls.key !== undefined ||
    tls.caFile !== undefined ||
    tls.certFile !== undefined ||
    tls.keyFile !== undefined ||
    tls.servername !== undefined ||
    tls.rejectUnauthorized === false
  );
}

/**
 * Node's WebSocket: the global `WebSocket` when the runtime has one (Node 22+) and no TLS
 * settings are needed, else the `ws` package (Node 20 has no global WebSocket; only `ws`
 * accepts a CA, a client certificate or `rejectUnauthorized` for wss://).
 */
export const nodeWebSocketOpener: WebSocketOpener = async (url, server, opts) => {
  const tls = server.scheme === "wss" && opts.tls ? opts.tls : undefined;
  const needsWs = tls !== undefined && hasTlsSettings(tls);
  const G = globalWebSocket();
  if (G && !needsWs) return new G(url);
  const WS = await loadWs(needsWs ? `${url} needs TLS options, which only the 'ws' package accepts` : `${url} needs a WebSocket: this Node.js has no global WebSocket`);
  const wsOpts: Record<string, unknown> = {
    perMessageDeflate: false,
    handshakeTimeout: opts.timeout,
    closeTimeout: opts.timeout,
  };
  if (tls) {
    try {
      Object.assign(wsOpts, nodeTlsOptions(tls, server.hostname));
    } catch (err) {
      throw new TlsError(`TLS setup for ${url} failed: ${(err as Error).message}`, { cause: err });
    }
  }
  return new WS(url, wsOpts) as WebSocketLike;
};

/** Node's transports: TCP (and TLS) for nats:// and tls:// URLs, WebSocket for ws:// and wss://. */
export const nodeTransportFactory: TransportFactory = (server, opts, events) => {
  if (server.scheme === "ws" || server.scheme === "wss") {
    return WebSocketTransport.connect(server, opts, events, nodeWebSocketOpener);
  }
  return TcpTransport.connect(server, opts, events);
};
