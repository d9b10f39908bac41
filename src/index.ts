// Node entry: the shared API, `connect` over TCP/TLS (and WebSocket for ws:// URLs), and the
// Node-only NKey, JWT and creds helpers.
import { connectWith } from "./connection/connect.js";
import type { NatsConnection } from "./connection/connection.js";
import type { ConnectionOptions } from "./connection/options.js";
import { nodeTransportFactory } from "./transport/node_factory.js";

/**
 * Connects to a NATS server. Resolves once connected (or at once with
 * `retryOnFailedConnect`); rejects with `NoServersError` (or the server's specific error,
 * such as an `AuthorizationError`) when no server could be reached.
 */
export function connect(opts?: ConnectionOptions): Promise<NatsConnection> {
  return connectWith(opts, nodeTransportFactory);
}

export * from "./core.js";
export * from "./auth/index.js";
