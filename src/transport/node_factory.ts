import { InvalidArgumentError } from "../util/errors.js";
import type { TransportFactory } from "./transport.js";
import { TcpTransport } from "./tcp.js";

/** Node's transports: TCP (and TLS) for nats:// and tls:// URLs. */
export const nodeTransportFactory: TransportFactory = (server, opts, events) => {
  if (server.scheme === "ws" || server.scheme === "wss") {
    return Promise.reject(new InvalidArgumentError("WebSocket URLs are not supported yet"));
  }
  return TcpTransport.connect(server, opts, events);
};
