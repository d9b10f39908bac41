/**
 * The clients of a JetStream interop suite: a server with JetStream, a tsnats connection with its
 * JetStream client and manager, and a nats.js connection (@nats-io/transport-node v3) with its own.
 * Call inside a describe(); the fields are set by its before() hook. The nats.js connection is
 * closed by an after() hook registered before the server fixture's, so it runs while the server is up.
 */
import { before, after } from "node:test";
import { connect as natsJsConnect, type NatsConnection as NatsJsConnection } from "@nats-io/transport-node";
import { jetstream as natsJsJetStream, jetstreamManager as natsJsJetStreamManager, type JetStreamClient as NatsJsJetStreamClient, type JetStreamManager as NatsJsJetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "../../src/index.js";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "../../src/jetstream/index.js";
import { useServer, type ServerFixture } from "../support/fixtures.js";

export interface InteropClients {
  srv: ServerFixture;
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  njs: NatsJsJetStreamClient;
  njsm: NatsJsJetStreamManager;
}

export function useInteropClients(name: string): InteropClients {
  let other: NatsJsConnection | undefined;
  after(async () => {
    await other?.close().catch(() => undefined);
  });
  const c = { srv: useServer({ server: { jetstream: true } }) } as InteropClients;
  before(async () => {
    c.nc = await c.srv.connect();
    c.js = jetstream(c.nc);
    c.jsm = await jetstreamManager(c.nc);
    other = await natsJsConnect({ servers: c.srv.url, name });
    c.njs = natsJsJetStream(other);
    c.njsm = await natsJsJetStreamManager(other);
  });
  return c;
}
