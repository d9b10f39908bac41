// Browser entry: the public API of index.ts over WebSockets only (the global `WebSocket`).
// Nothing here may import a `node:` module, directly or transitively.
import { connectWith } from "./connection/connect.js";
import type { NatsConnection } from "./connection/connection.js";
import { resolveOptions, type ConnectionOptions } from "./connection/options.js";
import { parseServer } from "./connection/servers.js";
import type { TransportFactory } from "./transport/transport.js";
import { globalWebSocketOpener, WebSocketTransport } from "./transport/websocket.js";
import { InvalidArgumentError } from "./util/errors.js";

/** The browser's transports: WebSocket for ws:// and wss:// URLs, nothing else. */
export const browserTransportFactory: TransportFactory = (server, opts, events) => {
  if (server.scheme !== "ws" && server.scheme !== "wss") {
    return Promise.reject(new InvalidArgumentError(`${server.scheme}://${server.hostport}: only ws:// and wss:// URLs can be used in a browser`));
  }
  return WebSocketTransport.connect(server, opts, events, globalWebSocketOpener);
};

function checkServers(opts: ConnectionOptions | undefined): void {
  if (opts?.servers === undefined) throw new InvalidArgumentError("servers is required in a browser: give ws:// or wss:// URLs");
  // the same list the connection will use (comma-separated strings split, blanks dropped)
  for (const u of resolveOptions(opts).servers) {
    const explicit = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(u);
    const s = parseServer(u);
    if (!explicit || (s.scheme !== "ws" && s.scheme !== "wss")) {
      throw new InvalidArgumentError(`${JSON.stringify(u)}: only ws:// and wss:// URLs can be used in a browser`);
    }
  }
}

/**
 * Connects to a NATS server's WebSocket listener (`ws://` or `wss://` URLs only). Resolves once
 * connected (or at once with `retryOnFailedConnect`); rejects with `InvalidArgumentError` for other
 * URL schemes, else like the Node entry's `connect`.
 */
export function connect(opts?: ConnectionOptions): Promise<NatsConnection> {
  try {
    checkServers(opts);
  } catch (err) {
    return Promise.reject(err);
  }
  return connectWith(opts, browserTransportFactory);
}

export * from "./core.js";
