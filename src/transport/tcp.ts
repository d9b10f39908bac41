import { connect as netConnect, type Socket } from "node:net";
import { ConnectionError, TimeoutError, TlsError } from "../util/errors.js";
import type { Endpoint, TlsOptions, Transport, TransportConnectOptions, TransportEvents } from "./transport.js";
import { connectTlsFirst, upgradeSocket } from "./tls.js";

/** A TCP connection (node:net), upgradable to TLS after the server's INFO. */
export class TcpTransport implements Transport {
  private socket: Socket;
  private closedFlag = false;
  encrypted = false;
  readonly canUpgrade = true;
  private error?: Error;

  private constructor(socket: Socket, private readonly events: TransportEvents) {
    this.socket = socket;
    this.attach(socket);
  }

  static connect(server: Endpoint, opts: TransportConnectOptions, events: TransportEvents): Promise<TcpTransport> {
    if (opts.tls?.handshakeFirst) {
      // TLS before INFO (nats-server 2.10.4+ with `handshake_first`)
      return connectTlsFirst(server.hostname, server.port, opts.tls, opts.timeout).then((socket) => {
        const t = new TcpTransport(socket, events);
        t.encrypted = true;
        return t;
      });
    }
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: server.hostname, port: server.port, noDelay: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(`timed out connecting to ${server.hostport} after ${opts.timeout} ms`, { cause: new TimeoutError(`connect timeout (${opts.timeout} ms)`) }));
      }, opts.timeout);
      const onError = (err: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(new ConnectionError(`cannot connect to ${server.hostport}: ${err.message}`, { cause: err }));
      };
      socket.once("error", onError);
      socket.once("connect", () => {
        clearTimeout(timer);
        socket.off("error", onError);
        resolve(new TcpTransport(socket, events));
      });
    });
  }

  private attach(socket: Socket): void {
    socket.on("data", (chunk: Uint8Array) => this.events.data(chunk));
    socket.on("drain", () => this.events.drain());
    socket.on("error", (err) => {
      const code = (err as { code?: string }).code ?? "";
      // TLS 1.3 servers may reject a client certificate after the handshake, with an alert
      this.error ??= this.encrypted && code.startsWith("ERR_SSL_") ? new TlsError(`TLS error: ${err.message}`, { cause: err }) : new ConnectionError(`socket error: ${err.message}`, { cause: err });
    });
    socket.on("close", () => this.onClose());
  }

  private detach(socket: Socket): void {
    socket.removeAllListeners("data");
    socket.removeAllListeners("drain");
    socket.removeAllListeners("close");
  }

  private onClose(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.events.close(this.error ?? new ConnectionError("connection closed by the server"));
  }

  readonly write = (chunk: Uint8Array, done?: () => void): boolean => {
    if (this.closedFlag) return false;
    return this.socket.write(chunk, done);
  };

  close(graceful = false): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const socket = this.socket;
    if (!graceful) {
      socket.destroy();
      return;
    }
    socket.end();
    const timer = setTimeout(() => socket.destroy(), 2000);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  }

  async upgradeTls(opts: TlsOptions, servername: string): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    const secure = await upgradeSocket(plain, opts, servername);
    this.socket = secure;
    this.encrypted = true;
    this.attach(secure);
  }
}
