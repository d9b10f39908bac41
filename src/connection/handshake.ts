import { ConnectionError, NatsError, ProtocolError, SecureConnectionRequiredError, TimeoutError, TlsError } from "../util/errors.js";
import type { ParserHandler } from "../protocol/parser.js";
import { encodeUtf8 } from "../protocol/bytes.js";
import type { Transport } from "../transport/transport.js";
import type { ServerInfo } from "./info.js";
import type { ResolvedOptions } from "./options.js";
import type { Server } from "./servers.js";
import { mapServerError } from "./server_errors.js";
import { buildConnect } from "./connect_info.js";

const PONG = encodeUtf8("PONG\r\n");

/**
 * The opening exchange with one server: read INFO, upgrade to TLS when needed, send
 * CONNECT + PING, and wait for PONG (success) or -ERR (failure).
 */
export class Handshake implements ParserHandler {
  info?: ServerInfo;
  private transport?: Transport;
  private settled = false;
  private resolveFn!: (info: ServerInfo) => void;
  private rejectFn!: (err: unknown) => void;
  private timer?: ReturnType<typeof setTimeout>;
  readonly result: Promise<ServerInfo>;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly server: Server,
    timeoutMs: number,
  ) {
    this.result = new Promise<ServerInfo>((res, rej) => {
      this.resolveFn = res;
      this.rejectFn = rej;
    });
    this.result.catch(() => undefined);
    this.timer = setTimeout(() => this.fail(new TimeoutError(`handshake with ${server.hostport} timed out after ${timeoutMs} ms`)), timeoutMs);
  }

  /** The transport is up; INFO may already have arrived. */
  attach(transport: Transport): void {
    this.transport = transport;
    if (this.info && !this.settled) void this.afterInfo(this.info);
  }

  fail(err: unknown): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.rejectFn(err);
  }

  onInfo(json: string): void {
    if (this.info) return;
    try {
      this.info = JSON.parse(json) as ServerInfo;
    } catch (err) {
      this.fail(new ProtocolError("INFO is not valid JSON", { cause: err }));
      return;
    }
    if (this.transport) void this.afterInfo(this.info);
  }

  private async afterInfo(info: ServerInfo): Promise<void> {
    const t = this.transport!;
    try {
      const wantTls = this.server.scheme === "tls" || this.server.scheme === "wss" || !!this.opts.tls;
      if (this.server.scheme !== "ws" && this.server.scheme !== "wss") {
        if (info.tls_required && this.opts.tls === null) {
          throw new SecureConnectionRequiredError(`server ${this.server.hostport} requires TLS but TLS was disabled by the client`);
        }
        if (wantTls && !info.tls_required && !info.tls_available) {
          throw new SecureConnectionRequiredError(`client requires TLS but server ${this.server.hostport} does not offer it`);
        }
        if ((info.tls_required || wantTls) && !t.encrypted) {
          if (!t.canUpgrade || !t.upgradeTls) throw new TlsError("this transport cannot upgrade to TLS");
          await t.upgradeTls(this.opts.tls ?? {}, this.server.hostname);
        }
      }
      if (this.settled) return;
      const connect = await buildConnect(this.opts, this.server, info, t.encrypted);
      if (this.settled) return;
      t.write(encodeUtf8(`CONNECT ${connect}\r\nPING\r\n`));
    } catch (err) {
      this.fail(err instanceof NatsError ? err : new ConnectionError(`handshake with ${this.server.hostport} failed: ${(err as Error).message}`, { cause: err }));
    }
  }

  /**
   * Called synchronously on the handshake's PONG, so that the connection takes over the parser
   * before the rest of the same chunk is parsed. Throwing fails the handshake.
   */
  onEstablished?: (info: ServerInfo) => void;

  onPong(): void {
    if (this.settled || !this.info) return;
    this.settled = true;
    clearTimeout(this.timer);
    try {
      this.onEstablished?.(this.info);
    } catch (err) {
      this.rejectFn(err);
      return;
    }
    this.resolveFn(this.info);
  }

  onPing(): void {
    this.transport?.write(PONG);
  }

  onOk(): void {}

  onErr(text: string): void {
    this.fail(mapServerError(text).error);
  }

  onMsg(): void {
    this.fail(new ProtocolError("message received before the handshake completed"));
  }
}
