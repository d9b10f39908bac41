/**
 * Per-file (or per-describe) fixtures: a real nats-server or a 3-node cluster started in a
 * `before` hook and stopped in `after`, with the connections opened through the fixture closed
 * before that. Call `useServer()` / `useCluster()` at the top of a `describe` (or of the file);
 * read their fields only inside tests and later hooks.
 *
 *   describe("drain", () => {
 *     const srv = useServer();
 *     let pub: NatsConnection;
 *     before(async () => { pub = await srv.connect(); });
 *     it("…", async () => { const nc = await connect({ servers: srv.url }); … });
 *   });
 */
import { before, after, afterEach } from "node:test";
import { NatsServer, NatsCluster, monitorGet, type ServerOptions } from "./server.js";
import { poll } from "./ports.js";
import { nextEvent } from "./events.js";
import { Connections } from "./helpers.js";
import type { ConnectionOptions, NatsConnection } from "../../src/index.js";

/** SIGKILLs and restarts `server` (same ports) and waits until `nc` has reconnected to it. */
export async function restartAndReconnect(server: NatsServer, nc: NatsConnection): Promise<void> {
  const rec = nextEvent(nc, "reconnect");
  await server.kill();
  await server.restart();
  await rec;
}

/** Options of {@link useServer}. */
export interface UseServerOptions {
  /** Options of the server. */
  server?: ServerOptions;
  /** What every `connect()` of the fixture starts from (the server's URL is always set first). */
  connection?: ConnectionOptions;
  /**
   * Reset after every test: close the connections opened through the fixture, and restart the
   * server if the test killed or stopped it. Without it they are closed once, in `after`.
   */
  resetAfterEach?: boolean;
}

/** A real nats-server owned by the enclosing suite; see {@link useServer}. */
export interface ServerFixture {
  /** The server (from the `before` hook on). */
  readonly server: NatsServer;
  /** `server.url` */
  readonly url: string;
  /** Connects to the server with the fixture's connection options under `opts`; the fixture closes it. */
  connect(opts?: ConnectionOptions): Promise<NatsConnection>;
  /** Lets the fixture close a connection opened elsewhere. */
  track(nc: NatsConnection): NatsConnection;
  /** SIGKILLs the server once `nc` listens for the disconnect, and waits for that event. */
  killAndWait(nc: NatsConnection): Promise<void>;
  /** Restarts the server once `nc` listens for the reconnect, and waits for that event. */
  restartAndWait(nc: NatsConnection): Promise<void>;
}

/** Starts a nats-server for the enclosing suite (hooks registered here); see the module comment. */
export function useServer(opts: UseServerOptions = {}): ServerFixture {
  let server: NatsServer | undefined;
  const running = (): NatsServer => {
    if (!server) throw new Error("the server fixture was used before its before() hook ran");
    return server;
  };
  const conns = new Connections(() => ({ servers: running().url, ...opts.connection }));
  const fixture: ServerFixture = {
    get server() {
      return running();
    },
    get url() {
      return running().url;
    },
    connect: (o) => conns.open(o),
    track: (nc) => conns.track(nc),
    async killAndWait(nc) {
      const disc = nextEvent(nc, "disconnect");
      await running().kill();
      await disc;
    },
    async restartAndWait(nc) {
      const rec = nextEvent(nc, "reconnect");
      await running().restart();
      await rec;
    },
  };
  before(async () => {
    server = await NatsServer.start(opts.server);
  });
  if (opts.resetAfterEach) {
    afterEach(async () => {
      await conns.closeAll();
      if (server && !server.running) await server.restart();
    });
  }
  after(async () => {
    await conns.closeAll();
    await server?.stop();
  });
  return fixture;
}

/** A real cluster owned by the enclosing suite; see {@link useCluster}. */
export interface ClusterFixture {
  /** The nodes, `servers[0]` the seed (from the `before` hook on). */
  readonly servers: NatsServer[];
  /** Resolves once every node routes to every other one (see NatsCluster.waitForRoutes). */
  waitForRoutes(): Promise<void>;
  /** Connects with the fixture's connection options under `opts`; the fixture closes it. */
  connect(opts?: ConnectionOptions): Promise<NatsConnection>;
}

/**
 * Starts a cluster of `size` nodes (with `server` options) for the enclosing suite and waits for its
 * routes; connections opened through the fixture start from `connection` and are closed in `after`.
 */
export function useCluster(opts: { size: number; server?: Omit<ServerOptions, "cluster" | "port">; connection?: ConnectionOptions }): ClusterFixture {
  let cluster: NatsCluster | undefined;
  const running = (): NatsCluster => {
    if (!cluster) throw new Error("the cluster fixture was used before its before() hook ran");
    return cluster;
  };
  const conns = new Connections(() => ({ ...opts.connection }));
  before(async () => {
    cluster = await NatsCluster.start(opts.size, opts.server);
    await cluster.waitForRoutes();
  });
  after(async () => {
    await conns.closeAll();
    await cluster?.stop();
  });
  return {
    get servers() {
      return running().servers;
    },
    waitForRoutes: () => running().waitForRoutes(),
    connect: (o) => conns.open(o),
  };
}

/** True once `node` knows (through its route to `remoteId`) that the remote has interest in `subject`. */
export async function routedInterest(node: NatsServer, remoteId: string, subject: string): Promise<boolean> {
  const rz = await monitorGet<{ routes?: { remote_id: string; subscriptions_list?: string[] }[] }>(node.monitorPort!, "/routez?subs=1");
  return (rz.routes ?? []).some((r) => r.remote_id === remoteId && (r.subscriptions_list ?? []).includes(subject));
}

/**
 * Waits (up to 10 s) until every running node in `nodes` knows through its route that the server
 * `remoteId` has interest in `subject`; fails with the message `what`.
 */
export async function waitForRoutedInterest(nodes: NatsServer[], remoteId: string, subject: string, what: string): Promise<void> {
  await poll(
    async () => {
      const ok = await Promise.all(nodes.filter((n) => n.running).map((n) => routedInterest(n, remoteId, subject)));
      return ok.every(Boolean) ? true : undefined;
    },
    10_000,
    () => what,
  );
}
