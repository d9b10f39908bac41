/**
 * Launches real nats-server processes for tests. Every server listens on 127.0.0.1 only, uses a
 * generated config with random ports (`-1`) and reports the real ports through `ports_file_dir`.
 * All children are SIGKILLed when the test process exits, so no test leaves a server running.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { mkdir, rm, writeFile, unlink } from "node:fs/promises";
import { get as httpGet } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { poll, PollAbort, readPortsFile, portOf, portsFilePath, type PortsInfo } from "./ports.js";
import { compareVersions, resolveServer, ROLES, type ResolvedServer, type ServerRole } from "#nats-servers";

export type { ServerRole } from "#nats-servers";

const HOST = "127.0.0.1";
const STDERR_LIMIT = 1024 * 1024;
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;

/** Options for {@link NatsServer.start}. */
export interface ServerOptions {
  /** Which pinned nats-server to run: `current` (default, see {@link defaultRole}), `mid` or `oldest`. */
  version?: ServerRole;
  /**
   * Enable JetStream with `store_dir` inside the server's temp dir; an object adds a JetStream
   * `domain` and memory/file limits (e.g. "64MB").
   */
  jetstream?: boolean | { domain?: string; maxMemory?: string; maxFile?: string };
  /** Leaf nodes: `listen` opens a leafnode port (-1); `remotes` are leafnode URLs to solicit. */
  leafnodes?: { listen?: boolean; remotes?: string[] };
  /** Extra config text appended verbatim (auth blocks, tls, accounts, leafnodes...). */
  config?: string;
  /** `websocket { port: -1, no_tls: true }`, or with the given TLS text (`tls {...}` block or its body). */
  websocket?: boolean | { tls?: string };
  /** Enable the HTTP monitoring endpoint (`http_port: -1`). */
  monitor?: boolean;
  /** Fixed client port instead of -1. */
  port?: number;
  /** Cluster block; port -1 unless given. */
  cluster?: { name: string; port?: number; routes?: string[] };
  serverName?: string;
  /** Run with `-DV` (trace output is kept in memory, see `stderr()`). */
  debug?: boolean;
  /**
   * Lame duck duration, e.g. "30s". nats-server 2.9.10 rejects values below 30s, so shorter values are
   * raised to "30s"; the grace period is always "1s" (the LDM INFO is sent at once, clients are closed
   * after the grace period and the server exits shortly after).
   */
  lameDuckDuration?: string;
}

/**
 * The server role a launch uses unless its options name one: `TSNATS_SERVER` (`current`, `mid`,
 * `oldest`; scripts/run-tests.mjs sets it for the second pass of the core suites), else `current`.
 */
export function defaultRole(): ServerRole {
  const r = process.env.TSNATS_SERVER as ServerRole | undefined;
  if (r && !ROLES.includes(r)) throw new Error(`TSNATS_SERVER=${r}: want one of ${ROLES.join(", ")}`);
  return r ?? "current";
}

/** Path and version of the nats-server binary for a role (see scripts/lib/nats_servers.mjs). */
export function serverFor(role: ServerRole = defaultRole()): ResolvedServer {
  return resolveServer(role);
}

/** Path of the nats-server binary for a role (default: {@link defaultRole}). */
export function serverBinary(role?: ServerRole): string {
  return serverFor(role).path;
}

/** True when `version` ("2.15.2") is at least `min` ("2.11.0"). */
export function versionAtLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}

// ---- process bookkeeping: kill every live child when the test process goes away ----

const liveChildren = new Set<ChildProcess>();
const ownedDirs = new Set<string>();
let hooksInstalled = false;

function killAllSync(): void {
  for (const c of liveChildren) {
    try {
      c.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  liveChildren.clear();
  for (const d of ownedDirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // best effort
    }
  }
  ownedDirs.clear();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllSync);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    const onSignal = (): void => {
      killAllSync();
      // If nobody else handles the signal, restore the default behaviour (terminate).
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, onSignal);
        process.kill(process.pid, sig);
      }
    };
    process.on(sig, onSignal);
  }
}

/** Resolves true if `p` settles within `ms`, false otherwise; never leaves a timer behind. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(true);
      },
    );
  });
}

/** Bounded stderr capture (keeps the last ~1 MiB). */
class OutputBuffer {
  #chunks: string[] = [];
  #size = 0;
  push(s: string): void {
    this.#chunks.push(s);
    this.#size += s.length;
    while (this.#size > STDERR_LIMIT && this.#chunks.length > 1) this.#size -= this.#chunks.shift()!.length;
    if (this.#size > STDERR_LIMIT) {
      this.#chunks[0] = this.#chunks[0]!.slice(this.#size - STDERR_LIMIT);
      this.#size = STDERR_LIMIT;
    }
  }
  toString(): string {
    return this.#chunks.join("");
  }
}

/** Parses a Go-style duration ("500ms", "30s", "2m", "1m30s") into milliseconds. */
function durationMs(s: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let consumed = 0;
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * units[m[2]!]!;
    consumed += m[0].length;
  }
  return consumed === s.length && consumed > 0 ? total : undefined;
}

const q = (s: string): string => JSON.stringify(s);

/** A running (or killed, restartable) nats-server child process. */
export class NatsServer {
  /** Always "127.0.0.1". */
  readonly host = HOST;
  /** The server's temp dir (config, ports file, JetStream store). */
  readonly dir: string;
  /** Path of the generated config file. */
  readonly configFile: string;
  /** What the server printed on stderr so far, across restarts (last ~1 MiB). */
  readonly stderr: () => string;
  /** The binary this server runs, its version ("2.15.2") and role. */
  readonly binary: ResolvedServer;

  readonly #opts: ServerOptions;
  readonly #out = new OutputBuffer();
  #child?: ChildProcess;
  #exited: Promise<void> = Promise.resolve();
  #running = false;
  #pid = 0;
  #port?: number;
  #clusterPort?: number;
  #websocketPort?: number;
  #monitorPort?: number;
  #leafnodePort?: number;

  private constructor(opts: ServerOptions) {
    this.#opts = { ...opts };
    this.dir = mkdtempSync(join(tmpdir(), "tsnats-server-"));
    ownedDirs.add(this.dir);
    this.configFile = join(this.dir, "server.conf");
    this.stderr = () => this.#out.toString();
    this.binary = serverFor(opts.version);
    this.#port = opts.port;
    this.#clusterPort = opts.cluster?.port;
  }

  /** Starts a server and resolves once its ports file reports every enabled listener. */
  static async start(opts: ServerOptions = {}): Promise<NatsServer> {
    installHooks();
    const s = new NatsServer(opts);
    try {
      await s.#launch();
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  get port(): number {
    return this.#port!;
  }
  /** The version of the running binary, e.g. "2.15.2". */
  get version(): string {
    return this.binary.version;
  }
  /** True when this server is at least version `min` (e.g. "2.11.0"). */
  atLeast(min: string): boolean {
    return versionAtLeast(this.version, min);
  }
  /** "nats://127.0.0.1:<port>" */
  get url(): string {
    return `nats://${HOST}:${this.port}`;
  }
  /** "127.0.0.1:<port>" */
  get hostport(): string {
    return `${HOST}:${this.port}`;
  }
  get clusterPort(): number | undefined {
    return this.#opts.cluster ? this.#clusterPort : undefined;
  }
  get websocketPort(): number | undefined {
    return this.#opts.websocket ? this.#websocketPort : undefined;
  }
  /** "ws://127.0.0.1:<port>" (or wss:// with a websocket tls block) when websocket is enabled. */
  get websocketUrl(): string | undefined {
    const p = this.websocketPort;
    const tls = typeof this.#opts.websocket === "object" && this.#opts.websocket.tls;
    return p === undefined ? undefined : `${tls ? "wss" : "ws"}://${HOST}:${p}`;
  }
  /** The leafnode listener's port, when `leafnodes.listen` is set. */
  get leafnodePort(): number | undefined {
    return this.#opts.leafnodes?.listen ? this.#leafnodePort : undefined;
  }
  /** "nats-leaf://127.0.0.1:<port>" when `leafnodes.listen` is set. */
  get leafnodeUrl(): string | undefined {
    const p = this.leafnodePort;
    return p === undefined ? undefined : `nats-leaf://${HOST}:${p}`;
  }
  get monitorPort(): number | undefined {
    return this.#opts.monitor ? this.#monitorPort : undefined;
  }
  /** The current process id (0 before the first start). */
  get pid(): number {
    return this.#pid;
  }
  /** True while the child process has not exited. */
  get running(): boolean {
    return this.#running;
  }
  /** The JetStream store dir (inside `dir`), when JetStream is enabled. */
  get storeDir(): string | undefined {
    return this.#opts.jetstream ? join(this.dir, "jetstream") : undefined;
  }

  #configText(): string {
    const o = this.#opts;
    const lines = [
      "# generated by tsnats test harness",
      `host: ${q(HOST)}`,
      `port: ${this.#port ?? -1}`,
      `ports_file_dir: ${q(this.dir)}`,
    ];
    if (o.serverName) lines.push(`server_name: ${q(o.serverName)}`);
    if (o.monitor) lines.push("http_port: -1");
    if (o.jetstream) {
      const js = typeof o.jetstream === "object" ? o.jetstream : {};
      const extra = [
        js.domain ? `domain: ${q(js.domain)}` : "",
        js.maxMemory ? `max_memory_store: ${js.maxMemory}` : "",
        js.maxFile ? `max_file_store: ${js.maxFile}` : "",
      ].filter(Boolean);
      lines.push(`jetstream { store_dir: ${q(this.storeDir!)}${extra.map((e) => `, ${e}`).join("")} }`);
    }
    if (o.leafnodes) {
      const listen = o.leafnodes.listen ? `host: ${q(HOST)}, port: ${this.#leafnodePort ?? -1}` : "";
      const remotes = o.leafnodes.remotes?.length ? `remotes: [ ${o.leafnodes.remotes.map((u) => `{ url: ${q(u)} }`).join(", ")} ]` : "";
      lines.push(`leafnodes { ${[listen, remotes].filter(Boolean).join("\n  ")} }`);
    }
    if (o.websocket) {
      const tls = typeof o.websocket === "object" ? o.websocket.tls?.trim() : undefined;
      const tlsText = !tls ? "no_tls: true" : /^tls\b/.test(tls) ? tls : `tls { ${tls} }`;
      lines.push(`websocket { host: ${q(HOST)}, port: ${this.#websocketPort ?? -1}\n  ${tlsText}\n}`);
    }
    if (o.cluster) {
      const routes = o.cluster.routes?.length ? `\n  routes: [ ${o.cluster.routes.map(q).join(", ")} ]` : "";
      lines.push(
        `cluster { name: ${q(o.cluster.name)}, host: ${q(HOST)}, port: ${this.#clusterPort ?? -1}${routes}\n}`,
      );
    }
    if (o.lameDuckDuration) {
      const ms = durationMs(o.lameDuckDuration);
      const d = ms === undefined || ms < 30_000 ? "30s" : o.lameDuckDuration;
      lines.push(`lame_duck_duration: ${q(d)}`, `lame_duck_grace_period: "1s"`);
    }
    if (o.config) lines.push("", o.config);
    return lines.join("\n") + "\n";
  }

  async #launch(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    ownedDirs.add(this.dir);
    await writeFile(this.configFile, this.#configText());
    const args = ["-c", this.configFile];
    if (this.#opts.debug) args.push("-DV");
    const child = spawn(this.binary.path, args, { stdio: ["ignore", "ignore", "pipe"] });
    let spawnError: Error | undefined;
    child.on("error", (err) => (spawnError = err));
    this.#child = child;
    this.#running = true;
    this.#exited = new Promise<void>((resolve) => {
      child.once("exit", () => {
        liveChildren.delete(child);
        if (this.#child === child) this.#running = false;
        resolve();
      });
      child.once("error", () => {
        if (child.pid === undefined) {
          if (this.#child === child) this.#running = false;
          resolve();
        }
      });
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      this.#out.push(s);
      if (process.env.NATS_SERVER_LOG) process.stderr.write(s);
    });
    // Let the test process exit even if a test forgets stop(); the exit hook kills the child.
    child.unref();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    if (child.pid !== undefined) {
      liveChildren.add(child);
      this.#pid = child.pid;
    }

    const required: (keyof PortsInfo)[] = ["nats"];
    if (this.#opts.cluster) required.push("cluster");
    if (this.#opts.websocket) required.push("websocket");
    if (this.#opts.monitor) required.push("monitoring");
    // The ports file has no leafnode entry: that port is read from the server's log line.
    const leafPort = (): number | undefined => {
      const all = [...this.stderr().matchAll(/Listening for leafnode connections on [\d.]+:(\d+)/g)];
      return all.length ? Number(all[all.length - 1]![1]) : undefined;
    };
    const info = await poll(
      () => {
        if (spawnError) throw new PollAbort(new Error(`cannot start ${this.binary.path}: ${spawnError.message}`));
        if (!this.#running) {
          throw new PollAbort(new Error(`nats-server exited during startup (code ${child.exitCode}):\n${this.stderr()}`));
        }
        if (this.#opts.leafnodes?.listen && leafPort() === undefined) return undefined;
        return readPortsFile(this.dir, this.#pid, required);
      },
      START_TIMEOUT_MS,
      () => `nats-server did not write its ports file within ${START_TIMEOUT_MS} ms:\n${this.stderr()}`,
    );
    this.#port = portOf(info.nats?.[0]);
    this.#clusterPort = portOf(info.cluster?.[0]);
    this.#websocketPort = portOf(info.websocket?.[0]);
    this.#monitorPort = portOf(info.monitoring?.[0]);
    if (this.#opts.leafnodes?.listen) this.#leafnodePort = leafPort();
  }

  async #terminate(sig: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child || !this.#running) return;
    child.kill(sig);
    if (!(await within(this.#exited, STOP_GRACE_MS)) && sig !== "SIGKILL") {
      child.kill("SIGKILL");
      await within(this.#exited, STOP_GRACE_MS);
    }
    // A SIGKILLed server leaves its ports file behind; remove it so a restart cannot misread it.
    await unlink(portsFilePath(this.dir, child.pid ?? 0)).catch(() => undefined);
  }

  /** SIGTERM, SIGKILL after 5 s, wait for exit, then remove the temp dir. Idempotent. */
  async stop(): Promise<void> {
    await this.#terminate("SIGTERM");
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    ownedDirs.delete(this.dir);
  }

  /** SIGKILL now and wait for exit; the temp dir (config, JetStream store) is kept for `restart()`. */
  async kill(): Promise<void> {
    await this.#terminate("SIGKILL");
  }

  /**
   * Starts the server again on the same client, cluster and websocket ports with the same store dir
   * (the monitoring port is re-read). Kills it first if it is running. Updates and returns `this`.
   * After `stop()` the temp dir is gone, so the restarted server starts with an empty store.
   */
  async restart(): Promise<NatsServer> {
    if (this.#running) await this.kill();
    this.#out.push(`\n---- tsnats harness: restart ----\n`);
    await this.#launch();
    return this;
  }

  /**
   * Changes the options used by the next `restart()` (ports already assigned stay fixed unless
   * `port` / `cluster.port` are given). Example: enable JetStream or add routes before restarting.
   */
  setOptions(patch: Partial<ServerOptions>): void {
    Object.assign(this.#opts, patch);
    if (patch.port !== undefined) this.#port = patch.port;
    if (patch.cluster?.port !== undefined) this.#clusterPort = patch.cluster.port;
  }

  /** Resolves once the process has exited (e.g. after `signal("ldm")`); rejects after `timeoutMs`. */
  async waitForExit(timeoutMs = 10_000): Promise<void> {
    if (!(await within(this.#exited, timeoutMs))) {
      throw new Error(`nats-server pid ${this.#pid} still running after ${timeoutMs} ms`);
    }
  }

  /** Runs `nats-server --signal <sig>=<pid>` (ldm: lame duck, stop: SIGKILL, quit: SIGINT, reload: SIGHUP). */
  signal(sig: "ldm" | "stop" | "quit" | "reload"): Promise<void> {
    return new Promise((resolve, reject) => {
      execFile(this.binary.path, ["--signal", `${sig}=${this.#pid}`], { timeout: 5_000 }, (err, _out, errOut) => {
        if (err) reject(new Error(`nats-server --signal ${sig}=${this.#pid} failed: ${err.message} ${errOut}`));
        else resolve();
      });
    });
  }

  /** Same as `stop()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/** GETs a JSON document from a server's monitoring endpoint. */
export function monitorGet<T = Record<string, unknown>>(port: number, path: string, timeoutMs = 2_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: HOST, port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body) as T);
        } catch (err) {
          reject(err as Error);
        }
      });
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on("error", reject);
  });
}

/** A cluster of `n` real servers; node 0 is the seed, the others route to its cluster port. */
export class NatsCluster {
  /** The nodes; `servers[0]` is the seed. */
  readonly servers: NatsServer[];

  private constructor(servers: NatsServer[]) {
    this.servers = servers;
  }

  /**
   * Starts `n` (default 3) servers with monitoring enabled, named `<serverName ?? "n">-<i>`. Does not
   * wait for the routes: call `waitForRoutes()` (and `waitForJetStream()` with JetStream) as needed.
   */
  static async start(n = 3, opts: Omit<ServerOptions, "cluster" | "port"> = {}): Promise<NatsCluster> {
    const name = `tsnats-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const prefix = opts.serverName ?? "n";
    const base = { ...opts, monitor: true };
    const seed = await NatsServer.start({ ...base, jetstream: false, serverName: `${prefix}-0`, cluster: { name } });
    const routes = [`nats-route://${HOST}:${seed.clusterPort}`];
    if (opts.jetstream) {
      // A JetStream cluster node refuses to start without routes, and the seed's cluster port is only
      // known once it runs: restart it on the same ports with JetStream and a (self-ignored) route to itself.
      seed.setOptions({ jetstream: true, cluster: { name, routes } });
      try {
        await seed.restart();
      } catch (err) {
        await seed.stop();
        throw err;
      }
    }
    const rest = await Promise.allSettled(
      Array.from({ length: n - 1 }, (_, i) =>
        NatsServer.start({ ...base, serverName: `${prefix}-${i + 1}`, cluster: { name, routes } }),
      ),
    );
    const servers = [seed, ...rest.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))];
    const failed = rest.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) {
      await Promise.all(servers.map((s) => s.stop()));
      throw failed.reason;
    }
    return new NatsCluster(servers);
  }

  /** Client URLs of all nodes. */
  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  /** Resolves once every node's /routez lists the n-1 other nodes; throws after `timeoutMs`. */
  async waitForRoutes(timeoutMs = 10_000): Promise<void> {
    const want = this.servers.length - 1;
    let last = "";
    await poll(
      async () => {
        const counts = await Promise.all(
          this.servers.map(async (s) => {
            const rz = await monitorGet<{ routes?: { remote_id: string }[] }>(s.monitorPort!, "/routez");
            return new Set((rz.routes ?? []).map((r) => r.remote_id)).size;
          }),
        );
        last = counts.join(",");
        return counts.every((c) => c >= want) ? true : undefined;
      },
      timeoutMs,
      () => `cluster routes not formed within ${timeoutMs} ms (routes per node: ${last}, want ${want})`,
      50,
    );
  }

  /** Resolves once every node's /jsz reports a JetStream meta leader; throws after `timeoutMs`. */
  async waitForJetStream(timeoutMs = 15_000): Promise<void> {
    await poll(
      async () => {
        const all = await Promise.all(
          this.servers.map((s) => monitorGet<{ meta_cluster?: { leader?: string } }>(s.monitorPort!, "/jsz")),
        );
        return all.every((j) => j.meta_cluster?.leader) ? true : undefined;
      },
      timeoutMs,
      () => `JetStream meta leader not elected within ${timeoutMs} ms`,
      100,
    );
  }

  /** Stops every node (idempotent). */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
  }

  /** Same as `stop()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}

/**
 * A hub server and a leaf server connected to it, each with JetStream in its own domain (`hub`,
 * `leaf` by default): JetStream of the other side is reached through `$JS.<domain>.API`.
 */
export class NatsLeafPair {
  private constructor(
    readonly hub: NatsServer,
    readonly leaf: NatsServer,
  ) {}

  static async start(opts: { version?: ServerRole; hubDomain?: string; leafDomain?: string } = {}): Promise<NatsLeafPair> {
    const hub = await NatsServer.start({
      version: opts.version,
      serverName: "hub",
      jetstream: { domain: opts.hubDomain ?? "hub" },
      leafnodes: { listen: true },
      monitor: true,
    });
    try {
      const leaf = await NatsServer.start({
        version: opts.version,
        serverName: "leaf",
        jetstream: { domain: opts.leafDomain ?? "leaf" },
        leafnodes: { remotes: [hub.leafnodeUrl!.replace("nats-leaf://", "nats://")] },
        monitor: true,
      });
      const pair = new NatsLeafPair(hub, leaf);
      try {
        await pair.waitForLeaf();
      } catch (err) {
        await pair.stop();
        throw err;
      }
      return pair;
    } catch (err) {
      await hub.stop();
      throw err;
    }
  }

  /** Resolves once the hub's /leafz lists the leaf connection. */
  async waitForLeaf(timeoutMs = 10_000): Promise<void> {
    await poll(
      async () => {
        const lz = await monitorGet<{ leafnodes?: number }>(this.hub.monitorPort!, "/leafz");
        return (lz.leafnodes ?? 0) >= 1 ? true : undefined;
      },
      timeoutMs,
      () => `leaf node did not connect to the hub within ${timeoutMs} ms`,
      50,
    );
  }

  async stop(): Promise<void> {
    await Promise.all([this.leaf.stop(), this.hub.stop()]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
