// Global flags → connection settings (flag, then environment, then the context, then defaults),
// the Session every command runs with, and the action wrapper that turns failures into one line.
import { readFile } from "node:fs/promises";
import { subscribe as dcSubscribe } from "node:diagnostics_channel";
import { createInterface } from "node:readline/promises";
import { Option, type Command } from "commander";
import { connect, credsFile, nkeyAuthenticator, type ConnectionOptions, type NatsConnection } from "tsnats";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JetStreamOptions } from "tsnats/jetstream";
import { loadContext, selectedContext, type ContextData } from "./context.js";
import { CliError, UsageError, describeError, formatError, toJson } from "./output.js";
import { parseDuration } from "./util.js";

/** The global flags as commander parses them. */
export interface GlobalFlags {
  server?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsFirst?: boolean;
  timeout?: string;
  jsDomain?: string;
  jsApiPrefix?: string;
  inboxPrefix?: string;
  connectionName?: string;
  json?: boolean;
  context?: string;
  trace?: boolean;
}

/** Adds the flags every command accepts (they may be given before or after the command). */
export function addGlobalOptions(program: Command): void {
  program
    .option("-s, --server <urls>", "NATS server URL(s), comma-separated (env NATS_URL)")
    .option("--user <user>", "username or token (env NATS_USER)")
    .option("--password <password>", "password (env NATS_PASSWORD)")
    .option("--token <token>", "authentication token (env NATS_TOKEN)")
    .option("--creds <file>", "user credentials file, JWT and seed (env NATS_CREDS)")
    .option("--nkey <file>", "file holding a user NKey seed (env NATS_NKEY)")
    .option("--tls-ca <file>", "CA certificate(s) to verify the server (env NATS_CA)")
    .option("--tls-cert <file>", "client certificate for TLS (env NATS_CERT)")
    .option("--tls-key <file>", "client private key for TLS (env NATS_KEY)")
    .option("--tls-first", "do the TLS handshake before the server's INFO (nats-server 2.10.4+)")
    .option("--timeout <duration>", "how long to wait for responses, e.g. 5s, 500ms (env NATS_TIMEOUT)")
    .option("--js-domain <domain>", "JetStream domain (env NATS_JS_DOMAIN)")
    .option("--js-api-prefix <prefix>", "JetStream API subject prefix, for imported APIs")
    .option("--inbox-prefix <prefix>", "prefix of reply inboxes (env NATS_INBOX_PREFIX)")
    .option("--connection-name <name>", "connection name shown by the server", "tsnats CLI")
    .option("--json", "print JSON instead of human-readable output")
    .option("--context <name>", "use this saved context instead of the selected one (env NATS_CONTEXT)")
    .option("--trace", "trace JetStream API calls and requests, and print stack traces on errors");
  // natscli spellings, accepted but not shown
  program.addOption(new Option("--tlsca <file>").hideHelp());
  program.addOption(new Option("--tlscert <file>").hideHelp());
  program.addOption(new Option("--tlskey <file>").hideHelp());
  program.addOption(new Option("--tlsfirst").hideHelp());
  program.addOption(new Option("--domain <domain>").hideHelp());
}

/** Resolved connection settings. */
export interface Settings {
  servers: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsFirst: boolean;
  timeout: number;
  jsDomain?: string;
  jsApiPrefix?: string;
  inboxPrefix?: string;
  name: string;
  context?: string;
}

const DEFAULT_SERVER = "nats://127.0.0.1:4222";
const DEFAULT_TIMEOUT = 5000;

/** Flag, else environment, else the context (named or selected), else the default. */
export function resolveSettings(f: GlobalFlags & Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): Settings {
  const ctxName = f.context ?? env.NATS_CONTEXT ?? selectedContext();
  const c: ContextData = ctxName ? loadContext(ctxName) : {};
  const pick = (flag: unknown, envName: string | undefined, fromCtx: string | undefined): string | undefined => {
    if (typeof flag === "string" && flag !== "") return flag;
    if (envName && env[envName]) return env[envName];
    return fromCtx || undefined;
  };
  const timeoutText = pick(f.timeout, "NATS_TIMEOUT", undefined);
  const timeout = timeoutText ? parseDuration(timeoutText, "--timeout") : DEFAULT_TIMEOUT;
  if (timeout <= 0) throw new UsageError("--timeout must be more than 0");
  return {
    servers: pick(f.server, "NATS_URL", c.url) ?? DEFAULT_SERVER,
    user: pick(f.user, "NATS_USER", c.user),
    password: pick(f.password, "NATS_PASSWORD", c.password),
    token: pick(f.token, "NATS_TOKEN", c.token),
    creds: pick(f.creds, "NATS_CREDS", c.creds),
    nkey: pick(f.nkey, "NATS_NKEY", c.nkey),
    tlsCa: pick(f.tlsCa ?? f.tlsca, "NATS_CA", c.ca),
    tlsCert: pick(f.tlsCert ?? f.tlscert, "NATS_CERT", c.cert),
    tlsKey: pick(f.tlsKey ?? f.tlskey, "NATS_KEY", c.key),
    tlsFirst: Boolean(f.tlsFirst ?? f.tlsfirst),
    timeout,
    jsDomain: pick(f.jsDomain ?? f.domain, "NATS_JS_DOMAIN", c.jetstream_domain),
    jsApiPrefix: pick(f.jsApiPrefix, undefined, c.jetstream_api_prefix),
    inboxPrefix: pick(f.inboxPrefix, "NATS_INBOX_PREFIX", c.inbox_prefix),
    name: typeof f.connectionName === "string" ? f.connectionName : "tsnats CLI",
    context: ctxName,
  };
}

/** Connection options for the settings; `extra` overrides (e.g. no reconnect for one-shot commands). */
export function connectionOptions(s: Settings, extra: Partial<ConnectionOptions> = {}): ConnectionOptions {
  const opts: ConnectionOptions = {
    servers: s.servers.split(",").map((u) => u.trim()).filter(Boolean),
    name: s.name,
    timeout: Math.min(s.timeout, 10_000),
    requestTimeout: s.timeout,
  };
  if (s.user !== undefined && s.password === undefined && s.token === undefined && !s.creds && !s.nkey) {
    opts.token = s.user; // a user without a password is a token (as the nats tool does)
  } else {
    if (s.user !== undefined) opts.user = s.user;
    if (s.password !== undefined) opts.pass = s.password;
    if (s.token !== undefined) opts.token = s.token;
  }
  if (s.creds) opts.authenticator = credsFile(s.creds);
  else if (s.nkey) {
    const file = s.nkey;
    opts.authenticator = nkeyAuthenticator(async () => (await readFile(file, "utf8")).trim());
  }
  if (s.tlsCa || s.tlsCert || s.tlsKey || s.tlsFirst) {
    opts.tls = {};
    if (s.tlsCa) opts.tls.caFile = s.tlsCa;
    if (s.tlsCert) opts.tls.certFile = s.tlsCert;
    if (s.tlsKey) opts.tls.keyFile = s.tlsKey;
    if (s.tlsFirst) opts.tls.handshakeFirst = true;
  }
  if (s.inboxPrefix) opts.inboxPrefix = s.inboxPrefix;
  return { ...opts, ...extra };
}

/** What one command run has: its flags, the resolved settings, a connection when asked, Ctrl-C. */
export class Session {
  readonly opts: GlobalFlags & Record<string, any>;
  readonly json: boolean;
  readonly trace: boolean;
  readonly #interrupt = new AbortController();
  #settings?: Settings;
  #nc?: NatsConnection;
  #jsm?: JetStreamManager;
  #onSignal = (): void => {
    if (this.#interrupt.signal.aborted) process.exit(130);
    this.#interrupt.abort(new CliError("INTERRUPTED", "interrupted"));
  };

  constructor(cmd: Command) {
    this.opts = cmd.optsWithGlobals();
    this.json = Boolean(this.opts.json);
    this.trace = Boolean(this.opts.trace);
  }

  get settings(): Settings {
    this.#settings ??= resolveSettings(this.opts);
    return this.#settings;
  }

  /** Aborted on the first Ctrl-C / SIGTERM (a second one exits at once). */
  get signal(): AbortSignal {
    return this.#interrupt.signal;
  }

  listenForSignals(): void {
    process.on("SIGINT", this.#onSignal);
    process.on("SIGTERM", this.#onSignal);
  }

  /** The connection, opened on first use. */
  async nc(extra: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
    if (!this.#nc) {
      if (this.trace) traceCalls();
      this.#nc = await connect(connectionOptions(this.settings, extra));
    }
    return this.#nc;
  }

  jsOptions(): JetStreamOptions {
    const o: JetStreamOptions = { timeout: this.settings.timeout };
    if (this.settings.jsDomain) o.domain = this.settings.jsDomain;
    if (this.settings.jsApiPrefix) o.apiPrefix = this.settings.jsApiPrefix;
    return o;
  }

  async js(opts: Partial<JetStreamOptions> = {}): Promise<JetStreamClient> {
    return jetstream(await this.nc(), { ...this.jsOptions(), ...opts });
  }

  async jsm(): Promise<JetStreamManager> {
    this.#jsm ??= await jetstreamManager(await this.nc(), this.jsOptions());
    return this.#jsm;
  }

  /** Flushes and closes the connection (if one was opened). */
  async close(): Promise<void> {
    process.off("SIGINT", this.#onSignal);
    process.off("SIGTERM", this.#onSignal);
    const nc = this.#nc;
    this.#nc = undefined;
    if (nc && !nc.isClosed()) {
      await nc.flush({ timeout: 2000 }).catch(() => undefined);
      await nc.close().catch(() => undefined);
    }
  }
}

let tracing = false;

/** --trace: JetStream API calls and requests on stderr, with their round-trip time. */
function traceCalls(): void {
  if (tracing) return;
  tracing = true;
  const line = (kind: string) => (m: unknown) => {
    const e = m as { subject?: string; ms?: number; error?: { code?: string; message?: string } };
    const err = e.error ? ` error ${e.error.code ?? ""} ${e.error.message ?? ""}` : "";
    process.stderr.write(`--- ${kind} ${e.subject} ${typeof e.ms === "number" ? `${e.ms.toFixed(2)}ms` : ""}${err}\n`);
  };
  dcSubscribe("tsnats:js.api", line("JS API"));
  dcSubscribe("tsnats:request", line("request"));
}

export interface ActionOptions {
  /** false for commands that never talk to a server (context). */
  connect?: boolean;
  /** Long-running commands: Ctrl-C aborts `session.signal` instead of killing the process. */
  longRunning?: boolean;
}

/**
 * Wraps a command's handler: builds the Session, runs it, closes the connection, and turns any
 * failure into one line on stderr (a JSON object with --json) and a non-zero exit status.
 */
export function action<A extends unknown[]>(
  opts: ActionOptions,
  fn: (s: Session, ...args: A) => Promise<void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const s = new Session(cmd);
    if (opts.longRunning) s.listenForSignals();
    try {
      await fn(s, ...(args.slice(0, -2) as A));
    } catch (err) {
      reportError(err, s.json, s.trace);
      process.exitCode = (err as { exitCode?: number }).exitCode ?? 1;
    } finally {
      await s.close();
    }
  };
}

/** Prints an error: one line (JSON with --json), plus the stack with --trace. */
export function reportError(err: unknown, json: boolean, trace: boolean): void {
  const r = describeError(err);
  process.stderr.write(json ? `${toJson({ error: r })}\n` : `${formatError(r)}\n`);
  if (trace && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
}

/** Asks for confirmation unless --force; refuses when there is no terminal to ask on. */
export async function confirm(s: Session, question: string): Promise<void> {
  if (s.opts.force) return;
  if (!process.stdin.isTTY) throw new UsageError(`${question} Refusing without a terminal to confirm on`, "add -f/--force");
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("CANCELLED", "cancelled", undefined, 1);
  } finally {
    rl.close();
  }
}
