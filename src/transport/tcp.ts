import { connect as netConnect, type Socket } from "node:net";
import { ConnectionError, TimeoutError, TlsError } from "../util/errors.js";
import type { Endpoint, TlsOptions, Transport, TransportConnectOptions, TransportEvents } from "./transport.js";
import { connectTlsFirst, upgradeSocket } from "./tls.js";
import { copyBytes } from "../protocol/bytes.js";

/** Size of the memory a plain TCP socket reads into (Node's own default read size). */
const READ_SIZE = 64 * 1024;
/**
 * The reusable read memory grows to this while reads keep filling it and nothing keeps views of
 * it: fewer reads per megabyte, and four times as much read per turn of the event loop (libuv
 * reads a socket at most 32 times per turn), so a subscriber whose callbacks take the turns'
 * time still drains the socket before the server cuts it off as a slow consumer.
 */
const MAX_READ_SIZE = 256 * 1024;
/**
 * Reads smaller than this are copied to memory of their exact size before they are parsed, as
 * Node does for every read: a message kept by the application then holds only its own read,
 * never a whole READ_SIZE buffer.
 */
const COPY_BELOW = 8 * 1024;

/**
 * A TCP connection (node:net), upgradable to TLS after the server's INFO.
 *
 * A plain socket reads into memory of its own (`onread`), not into a new buffer per read: that
 * skips the stream machinery of 'data' events, and the memory is reused for the next read unless
 * a message was handed to the application as a view of it. A subscriber that drops or queues
 * (copies) what it reads then allocates nothing per read, instead of leaving every 64 KiB read
 * for the garbage collector. TLS sockets read through Node's streams.
 */
export class TcpTransport implements Transport {
  private socket: Socket;
  private readBuf: Uint8Array | undefined;
  private readSize = READ_SIZE;
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
      const holder: { t?: TcpTransport } = {};
      const socket = netConnect({
        host: server.hostname,
        port: server.port,
        noDelay: true,
        // nothing is read before 'connect', where the transport is made
        onread: { buffer: () => holder.t?.readBuffer() ?? Buffer.allocUnsafeSlow(READ_SIZE), callback: (n, buf) => {
            holder.t?.onRead(n, buf);
            return true;
          },
        },
      });
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
        holder.t = new TcpTransport(socket, events);
        resolve(holder.t);
      });
    });
  }

  private readBuffer(): Uint8Array {
    return (this.readBuf ??= Buffer.allocUnsafeSlow(this.readSize));
  }

  private onRead(n: number, buf: Uint8Array): void {
    if (this.closedFlag || n <= 0) return;
    let held = false;
    if (n < COPY_BELOW) {
      this.events.data(copyBytes(buf, 0, n));
    } else {
      held = this.events.data(buf.subarray(0, n)) === true;
    }
    if (buf !== this.readBuf) return;
    if (held) {
      // the application holds views of this memory: the next read goes to new memory, of the
      // default size (a message kept from it keeps the whole read alive)
      this.readBuf = undefined;
      this.readSize = READ_SIZE;
    } else if (n === buf.length && n < MAX_READ_SIZE) {
      this.readBuf = undefined;
      this.readSize = MAX_READ_SIZE;
    } else if (n < READ_SIZE / 2 && buf.length > READ_SIZE) {
      // the burst is over: back to the default size
      this.readBuf = undefined;
      this.readSize = READ_SIZE;
    }
  }

  private attach(socket: Socket): void {
    // a socket opened with `onread` never emits 'data'; a TLS socket does
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
