import type { TransportFactory } from "../transport/transport.js";
import { NatsConnection } from "./connection.js";
import { resolveOptions, type ConnectionOptions } from "./options.js";

/** Connects with the given transport factory (TCP on Node, WebSocket in browsers). */
export async function connectWith(opts: ConnectionOptions | undefined, factory: TransportFactory): Promise<NatsConnection> {
  const nc = new NatsConnection(resolveOptions(opts), factory);
  await nc.start();
  return nc;
}
