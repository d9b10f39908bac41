import { InvalidArgumentError } from "../util/errors.js";
import type { Endpoint, Scheme } from "../transport/transport.js";
import { DEFAULT_PORT } from "./options.js";

export type { Scheme };

/** One server of the pool: where to connect (what the transport reads), and the pool's bookkeeping. */
export interface Server extends Endpoint {
  /** Credentials given in this server's URL (used for this server only). */
  user?: string;
  pass?: string;
  token?: string;
  /** Learned from INFO connect_urls rather than configured. */
  discovered: boolean;
  /** Connect attempts since the last successful connection. */
  reconnects: number;
  /** Time of the last connect attempt (ms since epoch), 0 if never tried. */
  lastAttempt: number;
  /** The same auth error twice in a row makes a server unusable. */
  lastAuthError?: string;
}

const SCHEMES = new Set(["nats", "tls", "ws", "wss"]);

/** Parses "host", "host:port", "nats://[user:pass@|token@]host:port", tls://, ws://, wss://. */
export function parseServer(input: string, discovered = false): Server {
  const raw = input.trim();
  if (!raw || /[\s]/.test(raw)) throw new InvalidArgumentError(`invalid server URL ${JSON.stringify(input)}`);
  const withScheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(raw) ? raw : `nats://${raw}`;
  const scheme = withScheme.slice(0, withScheme.indexOf(":")).toLowerCase();
  if (!SCHEMES.has(scheme)) throw new InvalidArgumentError(`unsupported URL scheme '${scheme}' in ${JSON.stringify(input)}`);
  let url: URL;
  try {
    // parse as http(s) so that host/port/userinfo rules are the WHATWG ones
    url = new URL(withScheme.replace(/^[^:]+:/, scheme === "wss" || scheme === "tls" ? "https:" : "http:"));
  } catch (err) {
    throw new InvalidArgumentError(`invalid server URL ${JSON.stringify(input)}`, { cause: err });
  }
  const explicitPort = /^[^/]*\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/]*):(\d+)/.exec(withScheme);
  let port: number;
  if (explicitPort) port = Number(explicitPort[1]);
  else if (scheme === "ws") port = 80;
  else if (scheme === "wss") port = 443;
  else port = DEFAULT_PORT;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new InvalidArgumentError(`invalid port in ${JSON.stringify(input)}`);
  const hostname = url.hostname;
  if (!hostname) throw new InvalidArgumentError(`missing host in ${JSON.stringify(input)}`);
  const s: Server = {
    scheme: scheme as Scheme,
    hostname: hostname.startsWith("[") ? hostname.slice(1, -1) : hostname,
    port,
    hostport: `${hostname}:${port}`,
    path: scheme === "ws" || scheme === "wss" ? (url.pathname === "/" ? "" : url.pathname) + url.search : "",
    discovered,
    reconnects: 0,
    lastAttempt: 0,
  };
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  if (user && pass) {
    s.user = user;
    s.pass = pass;
  } else if (user) {
    s.token = user;
  }
  return s;
}

/** Fisher-Yates shuffle in place. */
export function shuffle<T>(a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * The server pool: configured URLs (shuffled unless `noRandomize`) plus servers
 * discovered from INFO `connect_urls`.
 */
export class ServerPool {
  private servers: Server[];
  private current?: Server;

  constructor(urls: string[], private readonly randomize: boolean) {
    const parsed = urls.map((u) => parseServer(u));
    this.servers = randomize ? shuffle(parsed) : parsed;
  }

  get size(): number {
    return this.servers.length;
  }

  list(): Server[] {
    return [...this.servers];
  }

  /** Moves the next server to try to the end of the pool and returns it. */
  selectNext(): Server | undefined {
    const s = this.servers.shift();
    if (s) this.servers.push(s);
    this.current = s;
    return s;
  }

  /** Moves `s` to the end of the pool (the server just lost is tried last). */
  demote(s: Server): void {
    const i = this.servers.indexOf(s);
    if (i >= 0 && i !== this.servers.length - 1) {
      this.servers.splice(i, 1);
      this.servers.push(s);
    }
  }

  remove(s: Server): void {
    this.servers = this.servers.filter((x) => x !== s);
    if (this.current === s) this.current = undefined;
  }

  /** Marks a connection success: resets its counters. */
  connected(s: Server): void {
    s.reconnects = 0;
    s.lastAuthError = undefined;
    this.current = s;
  }

  /**
   * Applies INFO `connect_urls`; returns the added and removed "host:port" entries.
   * Only discovered servers are ever removed, and never the current one.
   */
  update(connectUrls: string[], scheme: Scheme): { added: string[]; deleted: string[] } {
    const added: string[] = [];
    const deleted: string[] = [];
    const wanted = new Map<string, Server>();
    for (const u of connectUrls) {
      try {
        const s = parseServer(u.includes("://") ? u : `${scheme}://${u}`, true);
        wanted.set(s.hostport, s);
      } catch {
        // ignore malformed entries from the server
      }
    }
    const known = new Set(this.servers.map((s) => s.hostport));
    const keep: Server[] = [];
    for (const s of this.servers) {
      if (s.discovered && !wanted.has(s.hostport) && s !== this.current) deleted.push(s.hostport);
      else keep.push(s);
    }
    const fresh: Server[] = [];
    for (const [hp, s] of wanted) {
      if (!known.has(hp)) {
        fresh.push(s);
        added.push(hp);
      }
    }
    this.servers = keep.concat(this.randomize ? shuffle(fresh) : fresh);
    return { added, deleted };
  }
}
