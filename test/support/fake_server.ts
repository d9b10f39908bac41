/**
 * A scripted fake NATS server, ONLY for faults a real nats-server cannot produce: split frames,
 * malformed frames, a server that stops answering PINGs, an INFO that changes mid-connection.
 * It listens on 127.0.0.1 (random port), parses client frames (buffering partial reads) and
 * records them; everything it sends is up to the test.
 */
import { createServer, type Server, type Socket } from "node:net";

/** Options for {@link FakeServer.start}. */
export interface FakeServerOptions {
  /** Fields merged over the default INFO (server_id, version 2.9.10, proto 1, headers, max_payload...). */
  info?: Record<string, unknown>;
  /** Default true: send INFO on accept and answer the first PING after CONNECT with PONG. */
  autoHandshake?: boolean;
  /** Default true: answer client PINGs with PONG (per connection, see `FakeConnection.autoPong`). */
  autoPong?: boolean;
}

/** A frame published by the client (PUB or HPUB). */
export interface PublishedFrame {
  subject: string;
  reply?: string;
  /** Header block bytes (HPUB only). */
  headers?: Uint8Array;
  data: Uint8Array;
}

type LinePred = RegExp | string | ((line: string) => boolean);

interface LineWaiter {
  test: (line: string) => boolean;
  resolve: (line: string) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const enc = new TextEncoder();
const toBytes = (d: string | Uint8Array): Uint8Array => (typeof d === "string" ? enc.encode(d) : d);

function toTest(pred: LinePred): (line: string) => boolean {
  if (typeof pred === "function") return pred;
  if (typeof pred === "string") return (l) => l === pred || l.startsWith(pred);
  return (l) => pred.test(l);
}

/** One accepted client connection. */
export class FakeConnection {
  /** Answer client PINGs with PONG; may be switched off (or on) at any time. */
  autoPong: boolean;
  /** Every control line received so far, without CRLF (PUB/HPUB payloads are in `published`). */
  readonly lines: string[] = [];
  /** Every PUB/HPUB received so far, in order. */
  readonly published: PublishedFrame[] = [];
  /** Resolves when the socket has closed (either side). */
  readonly closed: Promise<void>;
  /** The underlying socket (for unusual faults, e.g. `socket.end()` half-close). */
  readonly socket: Socket;

  #connectInfo?: Record<string, unknown>;
  #buf: Buffer = Buffer.alloc(0);
  #waiters: LineWaiter[] = [];
  #awaitingHandshake: boolean;
  #onReady?: () => void;
  #isClosed = false;

  /** @internal Created by FakeServer; `onReady` runs when the handshake completes (only with `handshakeInfo`). */
  constructor(socket: Socket, autoPong: boolean, handshakeInfo: Record<string, unknown> | undefined, onReady: () => void) {
    this.socket = socket;
    this.autoPong = autoPong;
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    this.closed = new Promise<void>((resolve) => {
      socket.once("close", () => {
        this.#isClosed = true;
        const err = new Error(`fake connection closed; lines so far: ${JSON.stringify(this.lines.slice(-10))}`);
        for (const w of this.#waiters.splice(0)) {
          clearTimeout(w.timer);
          w.reject(err);
        }
        resolve();
      });
    });
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    this.#awaitingHandshake = handshakeInfo !== undefined;
    if (handshakeInfo) {
      this.#onReady = onReady;
      this.info(handshakeInfo);
    }
  }

  /** The parsed JSON of the client's CONNECT (undefined until one is received). */
  get connectInfo(): Record<string, unknown> | undefined {
    return this.#connectInfo;
  }

  /** True once the socket has closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** Writes raw bytes to the client (ignored once the socket is gone). */
  send(data: string | Uint8Array): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(toBytes(data));
  }

  /**
   * Writes `data` in pieces cut at the given byte offsets, pausing (setImmediate + ~5 ms) between
   * pieces so the client sees them in separate reads.
   */
  async sendSplit(data: string | Uint8Array, at: number[]): Promise<void> {
    const bytes = toBytes(data);
    const cuts = [...new Set(at.filter((n) => n > 0 && n < bytes.length))].sort((a, b) => a - b);
    let prev = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (prev > 0) {
        await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 5));
      }
      this.send(bytes.subarray(prev, cut));
      prev = cut;
    }
  }

  /** Sends `INFO <json>\r\n`. */
  info(obj: Record<string, unknown>): void {
    this.send(`INFO ${JSON.stringify(obj)}\r\n`);
  }

  /** Sends a MSG (or HMSG when `headers` is given) frame for subscription `sid`. */
  msg(subject: string, sid: number | string, data: string | Uint8Array = "", opts: { reply?: string; headers?: string | Uint8Array } = {}): void {
    const payload = toBytes(data);
    const reply = opts.reply ? ` ${opts.reply}` : "";
    if (opts.headers !== undefined) {
      const h = toBytes(opts.headers);
      this.send(Buffer.concat([
        Buffer.from(`HMSG ${subject} ${sid}${reply} ${h.length} ${h.length + payload.length}\r\n`),
        h, payload, Buffer.from("\r\n"),
      ]));
    } else {
      this.send(Buffer.concat([Buffer.from(`MSG ${subject} ${sid}${reply} ${payload.length}\r\n`), payload, Buffer.from("\r\n")]));
    }
  }

  /**
   * Resolves with the first received control line (past or future) matching `pred` (a RegExp, a
   * string matched exactly or as a prefix, or a predicate). Rejects after `timeoutMs` or on close.
   */
  waitFor(pred: LinePred, timeoutMs = 5_000): Promise<string> {
    const test = toTest(pred);
    const found = this.lines.find(test);
    if (found !== undefined) return Promise.resolve(found);
    if (this.#isClosed) return Promise.reject(new Error(`fake connection closed before ${String(pred)} arrived`));
    return new Promise<string>((resolve, reject) => {
      const w: LineWaiter = {
        test,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${String(pred)}; lines: ${JSON.stringify(this.lines.slice(-10))}`));
        }, timeoutMs),
      };
      this.#waiters.push(w);
    });
  }

  /** Destroys the socket. */
  close(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    const buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    let off = 0;
    for (;;) {
      const nl = buf.indexOf(0x0a, off);
      if (nl < 0) break;
      const end = nl > off && buf[nl - 1] === 0x0d ? nl - 1 : nl;
      const line = buf.toString("utf8", off, end);
      const parts = line.trim().split(/[ \t]+/);
      const op = (parts[0] ?? "").toUpperCase();
      let frame: PublishedFrame | undefined;
      if ((op === "PUB" && (parts.length === 3 || parts.length === 4)) || (op === "HPUB" && (parts.length === 4 || parts.length === 5))) {
        const total = Number(parts[parts.length - 1]);
        const hdr = op === "HPUB" ? Number(parts[parts.length - 2]) : 0;
        if (Number.isSafeInteger(total) && Number.isSafeInteger(hdr) && total >= hdr && hdr >= 0) {
          const start = nl + 1;
          if (buf.length < start + total + 2) break; // wait for the rest of the payload
          const body = new Uint8Array(buf.subarray(start, start + total));
          const hasReply = parts.length === (op === "PUB" ? 4 : 5);
          frame = { subject: parts[1]!, data: body.subarray(hdr) };
          if (hasReply) frame.reply = parts[2]!;
          if (op === "HPUB") frame.headers = body.subarray(0, hdr);
          off = start + total + 2;
        } else {
          off = nl + 1;
        }
      } else {
        off = nl + 1;
      }
      this.lines.push(line);
      if (frame) this.published.push(frame);
      this.#handleLine(op, line);
      if (this.#isClosed) return;
    }
    this.#buf = off >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off));
  }

  #handleLine(op: string, line: string): void {
    if (op === "CONNECT") {
      try {
        this.#connectInfo = JSON.parse(line.slice(line.search(/[ \t]/) + 1)) as Record<string, unknown>;
      } catch {
        this.#connectInfo = {};
      }
    } else if (op === "PING") {
      if (this.#awaitingHandshake && this.#connectInfo) {
        this.#awaitingHandshake = false;
        this.send("PONG\r\n");
        const ready = this.#onReady;
        this.#onReady = undefined;
        ready?.();
      } else if (this.autoPong) {
        this.send("PONG\r\n");
      }
    }
    for (const w of [...this.#waiters]) {
      if (w.test(line)) {
        clearTimeout(w.timer);
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  }
}

/** A scripted fake server on 127.0.0.1 (random port). */
export class FakeServer {
  /** Every accepted connection, in accept order. */
  readonly connections: FakeConnection[] = [];
  /** The INFO sent on accept (defaults merged with `opts.info`); may be changed between connections. */
  info: Record<string, unknown>;
  readonly #server: Server;
  readonly #opts: FakeServerOptions;
  readonly #ready: FakeConnection[] = [];
  readonly #waiters: { resolve: (c: FakeConnection) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  #port = 0;

  private constructor(opts: FakeServerOptions) {
    this.#opts = opts;
    this.info = {};
    this.#server = createServer((socket) => this.#accept(socket));
  }

  /** Starts listening on 127.0.0.1, port 0. */
  static async start(opts: FakeServerOptions = {}): Promise<FakeServer> {
    const fs = new FakeServer(opts);
    await new Promise<void>((resolve, reject) => {
      fs.#server.once("error", reject);
      fs.#server.listen(0, "127.0.0.1", () => resolve());
    });
    // Do not keep the test process alive just because a test forgot stop().
    fs.#server.unref();
    const addr = fs.#server.address();
    fs.#port = typeof addr === "object" && addr ? addr.port : 0;
    fs.info = {
      server_id: "NFAKESERVER",
      server_name: "fake",
      version: "2.9.10",
      proto: 1,
      go: "go1.19.8",
      host: "127.0.0.1",
      port: fs.#port,
      headers: true,
      max_payload: 1048576,
      client_ip: "127.0.0.1",
      ...opts.info,
    };
    return fs;
  }

  get port(): number {
    return this.#port;
  }
  /** "nats://127.0.0.1:<port>" */
  get url(): string {
    return `nats://127.0.0.1:${this.#port}`;
  }
  /** "127.0.0.1:<port>" */
  get hostport(): string {
    return `127.0.0.1:${this.#port}`;
  }

  /** Resolves with the next accepted client (after the CONNECT/PING/PONG handshake if autoHandshake). */
  nextConnection(timeoutMs = 5_000): Promise<FakeConnection> {
    const c = this.#ready.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve, reject) => {
      const w = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          reject(new Error(`no client connection to the fake server within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.#waiters.push(w);
    });
  }

  /** Closes every connection and the listener. */
  async stop(): Promise<void> {
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(new Error("fake server stopped"));
    }
    for (const c of this.connections) c.close();
    if (!this.#server.listening) return;
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Same as `stop()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  #accept(socket: Socket): void {
    const n = this.connections.length + 1;
    const info = this.#opts.autoHandshake === false ? undefined : { ...this.info, client_id: n };
    const deliver = (): void => {
      const w = this.#waiters.shift();
      if (w) {
        clearTimeout(w.timer);
        w.resolve(conn);
      } else {
        this.#ready.push(conn);
      }
    };
    const conn = new FakeConnection(socket, this.#opts.autoPong !== false, info, deliver);
    this.connections.push(conn);
    if (!info) deliver();
  }
}
