import {
  ConnectionClosedError,
  ConnectionError,
  DrainingError,
  InvalidArgumentError,
  MaxPayloadExceededError,
  NatsError,
  PermissionViolationError,
  ProtocolError,
  ReconnectBufferExceededError,
  StaleConnectionError,
  TimeoutError,
} from "../util/errors.js";
import { nuid } from "../util/nuid.js";
import { hasImmediate, later } from "../util/turns.js";
import { replySpin } from "./reply_spin.js";
import { channels, publishEvent } from "../util/diagnostics.js";
import { Parser, type ParserHandler } from "../protocol/parser.js";
import { OutboundBuffer, payloadLength } from "../protocol/encoder.js";
import { decodeUtf8, encodeUtf8, utf8Length } from "../protocol/bytes.js";
import { MsgHdrs } from "../protocol/headers.js";
import { checkPublishSubject, checkQueueName, checkReplySubject, checkSubscribeSubject, isReceivedReply, subjectMatches } from "../protocol/subject.js";
import type { Transport, TransportEvents, TransportFactory } from "../transport/transport.js";
import { FailedAttempts } from "./connect_failure.js";
import { Dispatcher } from "./dispatcher.js";
import { Handshake } from "./handshake.js";
import { Pings } from "./pings.js";
import type { ServerInfo } from "./info.js";
import { InboundMsg, type Msg, type RespondOptions } from "./msg.js";
import { checkPendingLimits, checkWaitOptions, type ResolvedOptions } from "./options.js";
import { ReconnectPolicy } from "./reconnect.js";
import { RequestMux, requestDedicated, type RequestHost, type RequestOptions } from "./requests.js";
import { requestMany, type RequestManyOptions } from "./request_many.js";
import { mapServerError } from "./server_errors.js";
import { ServerPool, type Server } from "./servers.js";
import { StatusEmitter, type Status, type StatusType } from "./status.js";
import { SubscriptionImpl, type Subscription, type SubscriptionHost, type SubscriptionOptions } from "./subscription.js";

const PING = encodeUtf8("PING\r\n");
const PONG = encodeUtf8("PONG\r\n");
/** Outbound bytes that trigger an immediate write instead of waiting for the microtask. */
const FLUSH_THRESHOLD = 64 * 1024;
/**
 * A message at least this large gets memory of its own before it is handed over, instead of
 * viewing the read it came in: the transport then reuses that memory for its next read, so a
 * stream of large messages allocates about their own size, not a new read buffer per message
 * (and a large message kept by the application never pins a whole read).
 */
const OWN_MEMORY_AT = 32 * 1024;

type ConnState = "connecting" | "connected" | "reconnecting" | "closed";

interface Link {
  transport: Transport;
  parser: Parser;
  server: Server;
}

export interface PublishOptions {
  reply?: string;
  headers?: MsgHdrs;
  /**
   * Hand this frame (and everything buffered before it) to the socket at once instead of at the
   * end of the current turn of the event loop: for a latency-critical message sent from the middle
   * of a long synchronous loop (a JetStream pull request among the acks of the messages it asks
   * for). Costs a write per call; the socket's backpressure still applies.
   *
   * `false`: no hurry. The frame goes out with the next frame that is written, or on the next turn
   * of the event loop, never in a write of its own at the end of the current task (JetStream acks:
   * they join the next pull request instead of costing a syscall each). Where the runtime has no
   * setImmediate (browsers) it is written as without the option.
   */
  flush?: boolean;
}

export interface Stats {
  inMsgs: number;
  outMsgs: number;
  inBytes: number;
  outBytes: number;
  reconnects: number;
}

/** A connection to a NATS server (or cluster). Create it with `connect()`. */
/** The `flush` option of publish() and respond(). */
function checkFlush(flush: unknown): void {
  if (flush !== undefined && typeof flush !== "boolean") throw new InvalidArgumentError("flush must be true, false or undefined");
}

/** A payload: bytes, text or nothing. */
function checkData(data: unknown): void {
  if (data !== undefined && typeof data !== "string" && !(data instanceof Uint8Array)) throw new InvalidArgumentError("data must be a Uint8Array or a string");
}

export class NatsConnection implements ParserHandler {
  /** The INFO of the server currently (or last) connected. */
  info?: ServerInfo;
  private state: ConnState = "connecting";
  private draining = false;
  private drainPromise?: Promise<void>;
  private link?: Link;
  private readonly out = new OutboundBuffer();
  private flushScheduled = false;
  /** The scheduled flush is a lazy one, on the next turn (see scheduleFlush). */
  private flushLazy = false;
  /** A message handed over while the current chunk was parsed still refers to the chunk's memory. */
  private chunkHeld = false;
  /** A flush already went out on a microtask in this turn of the event loop. */
  private flushedThisTurn = false;
  private blocked = false;
  private readonly pings: Pings;
  private sidCounter = 0;
  private readonly subs = new Map<number, SubscriptionImpl>();
  private readonly dispatcher = new Dispatcher();
  private readonly mux: RequestMux;
  private readonly statusEmitter = new StatusEmitter();
  private readonly pool: ServerPool;
  private readonly policy: ReconnectPolicy;
  private readonly closedPromise: Promise<Error | undefined>;
  private resolveClosed!: (e: Error | undefined) => void;
  private closeError?: Error;
  private readonly statsData: Stats = { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0, reconnects: 0 };
  private maxPayload = 1024 * 1024;
  private readonly subHost: SubscriptionHost;
  private reconnectWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  /** Requests over dedicated inboxes, failed by publish permission violations on their subject. */
  private readonly permissionWatchers = new Set<{ subject: string; fail(err: Error): void }>();

  /** @internal use `connect()` */
  constructor(
    readonly options: ResolvedOptions,
    private readonly factory: TransportFactory,
  ) {
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    this.pool = new ServerPool(options.servers, !options.noRandomize);
    this.policy = new ReconnectPolicy(options, this.pool);
    this.mux = new RequestMux(this.requestHost());
    this.pings = new Pings({
      sendPing: () => {
        const link = this.link;
        if (!link) return false;
        // frames queued before this PING go first, even while the transport asked to wait
        this.writeAll(link);
        link.transport.write(PING);
        return true;
      },
      stale: (pingsOut) => {
        const server = this.link?.server.hostport ?? "";
        this.emit({ type: "staleConnection", server });
        this.lost(new StaleConnectionError(`${pingsOut} PINGs to ${server} went unanswered`));
      },
    });
    // data properties only: an object literal with a getter is a dictionary object in V8, and the
    // dispatcher is read for every message delivered
    this.subHost = {
      dispatcher: this.dispatcher,
      sendUnsub: (s, max) => this.sendUnsub(s, max),
      drainSub: (s) => this.drainSub(s),
      slowConsumer: (s, err) => this.emit({ type: "slowConsumer", subject: s.subject, sid: s.sid, dropped: s.dropped, error: err }),
      callbackError: (_s, err) => this.emit({ type: "error", error: err instanceof Error ? err : new NatsError("CALLBACK_ERROR", String(err)) }),
    };
  }

  // ---------------------------------------------------------------- lifecycle

  /** @internal first connection: every server once, in pool order. */
  async start(): Promise<void> {
    if (this.options.retryOnFailedConnect) {
      this.state = "reconnecting";
      void this.reconnectLoop(true);
      return;
    }
    let lastErr: unknown;
    const failed = new FailedAttempts();
    for (let i = 0; i < this.pool.size; i++) {
      const server = this.pool.selectNext()!;
      server.lastAttempt = Date.now();
      try {
        await this.attempt(server, "initial");
        return;
      } catch (err) {
        lastErr = err;
        failed.add(server.hostport, err);
      }
    }
    this.state = "closed";
    this.resolveClosed(lastErr as Error);
    throw connectFailure(lastErr, failed);
  }

  /** One attempt: transport, handshake, then this connection takes over the link. */
  private async attempt(server: Server, kind: "initial" | "retry" | "reconnect"): Promise<void> {
    const started = Date.now();
    const hs = new Handshake(this.options, server, this.options.timeout);
    const parser = new Parser(hs);
    const holder: { link?: Link } = {};
    const events: TransportEvents = {
      data: (chunk) => {
        this.dispatcher.startSlice();
        this.chunkHeld = false;
        try {
          parser.parse(chunk);
        } catch (err) {
          if (holder.link && this.link === holder.link) this.lost(err as Error);
          else hs.fail(err);
        }
        return this.chunkHeld;
      },
      close: (err) => {
        if (holder.link && this.link === holder.link) this.lost(err ?? new ConnectionError("connection closed"));
        else hs.fail(err ?? new ConnectionError(`connection to ${server.hostport} closed during the handshake`));
      },
      drain: () => {
        if (holder.link && this.link === holder.link) this.onDrain();
      },
    };
    let transport: Transport;
    try {
      transport = await this.factory(server, { timeout: this.options.timeout, tls: this.options.tls }, events);
    } catch (err) {
      hs.fail(err);
      throw err;
    }
    const link: Link = { transport, parser, server };
    holder.link = link;
    hs.onEstablished = (info) => {
      if (this.state === "closed") throw new ConnectionClosedError();
      parser.handler = this;
      this.link = link;
      this.state = "connected";
      this.blocked = false;
      this.pool.connected(server);
      this.policy.reset();
      this.applyInfo(info, true);
      this.resendState();
      this.pings.connected(this.options.pingInterval, this.options.maxPingOut);
      // events before anything else this server sent in the same chunk is handled
      if (kind === "initial") {
        publishEvent(channels.connect, { server: server.hostport, info });
      } else {
        if (kind === "reconnect") this.statsData.reconnects++;
        publishEvent(channels.reconnect, { server: server.hostport });
        this.emit({ type: "reconnect", server: server.hostport });
      }
    };
    hs.attach(transport);
    try {
      await hs.result;
    } catch (err) {
      transport.close();
      throw err;
    }
    publishEvent(channels.connected, { server: server.hostport, ms: Date.now() - started });
  }

  /** After (re)connecting: subscriptions first, then what was buffered, then pending flushes. */
  private resendState(): void {
    const buffered = this.out.detach();
    for (const sub of this.subs.values()) {
      this.out.sub(sub.subject, sub.queue, sub.sid);
      if (sub.max !== undefined) this.out.unsub(sub.sid, Math.max(sub.max - sub.received, 0));
    }
    if (buffered.length) this.out.raw(buffered);
    this.flushNow();
    const rw = this.reconnectWaiters;
    this.reconnectWaiters = [];
    for (const w of rw) w.resolve();
  }

  /** The link failed: reconnect, or close when reconnecting is off. */
  private lost(err: Error): void {
    const link = this.link;
    if (!link) return;
    this.link = undefined;
    // graceful: when the server is still alive (forced reconnect, lame duck), what was
    // already handed to the socket still reaches it
    link.transport.close(true);
    this.pings.disconnected();
    if (this.state === "closed") return;
    const server = link.server.hostport;
    publishEvent(channels.disconnect, { server, error: err });
    if (!this.options.reconnect) {
      this.doClose(err, server);
      return;
    }
    // the state changes before listeners run, so a publish from a listener is buffered (bounded)
    this.state = "reconnecting";
    this.pool.demote(link.server);
    this.emit({ type: "disconnect", server, error: err });
    if (this.state !== "reconnecting") return; // a listener closed the connection
    if (this.options.failRequestsOnDisconnect) this.mux.failAll(err);
    void this.reconnectLoop(false, err);
  }

  private async reconnectLoop(initial: boolean, cause?: Error): Promise<void> {
    let lastErr: unknown = cause;
    const failed = new FailedAttempts();
    while (this.state === "reconnecting") {
      const next = await this.policy.next(() => this.state === "reconnecting");
      if (this.state !== "reconnecting") return;
      if (!next) {
        this.doClose(lastErr instanceof NatsError && lastErr.code !== "CONNECTION_ERROR" ? lastErr : failed.error(lastErr));
        return;
      }
      this.emit({ type: "reconnecting", server: next.server.hostport, attempt: next.attempt, delay: next.delay });
      try {
        await this.attempt(next.server, initial ? "retry" : "reconnect");
        return;
      } catch (err) {
        lastErr = err;
        failed.add(next.server.hostport, err);
        this.policy.failed(next.server, err as Error);
      }
    }
  }

  /** Forces a reconnect (to the next server of the pool); resolves once reconnected. */
  reconnect(): Promise<void> {
    if (this.state === "closed") return Promise.reject(new ConnectionClosedError());
    if (!this.options.reconnect) return Promise.reject(new InvalidArgumentError("reconnect is disabled for this connection"));
    const p = new Promise<void>((resolve, reject) => this.reconnectWaiters.push({ resolve, reject }));
    if (this.state === "connected") this.lost(new ConnectionError("reconnect requested"));
    return p;
  }

  /** Closes the connection; what was already published is flushed first. */
  async close(): Promise<void> {
    this.doClose(undefined);
    await this.closedPromise;
  }

  /** Resolves when the connection is closed: undefined after close()/drain(), else the reason. */
  closed(): Promise<Error | undefined> {
    return this.closedPromise;
  }

  private doClose(err: Error | undefined, disconnectedFrom?: string): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.closeError = err;
    if (disconnectedFrom !== undefined) this.emit({ type: "disconnect", server: disconnectedFrom, ...(err ? { error: err } : {}) });
    this.policy.cancel();
    const link = this.link;
    this.link = undefined;
    if (link) {
      this.writeAll(link);
      link.transport.close(true);
    }
    const unsent = this.out.length;
    this.out.reset();
    this.out.dispose();
    if (unsent > 0) {
      // closed while disconnected: publishes accepted into the reconnect buffer are not sent
      this.emit({ type: "error", error: new NatsError("UNSENT_MESSAGES", `connection closed with ${unsent} bytes of buffered publishes that were never sent`) });
    }
    const closedErr = new ConnectionClosedError(undefined, err ? { cause: err } : undefined);
    this.pings.close(closedErr);
    for (const w of this.reconnectWaiters) w.reject(closedErr);
    this.reconnectWaiters = [];
    this.mux.failAll(closedErr);
    for (const sub of this.subs.values()) sub.close(err);
    this.subs.clear();
    publishEvent(channels.close, { error: err });
    this.emit({ type: "close", ...(err ? { error: err } : {}) });
    this.resolveClosed(err);
  }

  /**
   * Unsubscribes everything, lets every received message be handled, flushes, and closes.
   * Rejects with TimeoutError after `timeout` (default `drainTimeout`), closing anyway.
   */
  drain(opts: { timeout?: number } = {}): Promise<void> {
    checkWaitOptions(opts);
    if (this.state === "closed") return Promise.reject(new ConnectionClosedError());
    if (this.drainPromise) return this.drainPromise;
    this.draining = true;
    const timeout = opts.timeout ?? this.options.drainTimeout;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError(`drain did not complete within ${timeout} ms`)), timeout);
    });
    const work = (async () => {
      const userSubs = [...this.subs.values()].filter((s) => s !== this.muxSub());
      await Promise.all(userSubs.map((s) => s.drain()));
      while (this.mux.size > 0 && this.state !== "closed") await new Promise((r) => setTimeout(r, 10));
      await this.flush();
    })();
    this.drainPromise = Promise.race([work, timedOut]).then(
      () => {
        clearTimeout(timer);
        this.doClose(undefined);
      },
      (err: Error) => {
        clearTimeout(timer);
        this.doClose(err);
        throw err;
      },
    );
    return this.drainPromise;
  }

  private muxSub(): SubscriptionImpl | undefined {
    return this.mux.subscription as SubscriptionImpl | undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  // ---------------------------------------------------------------- outbound

  /** Publishes `data` to `subject`. Synchronous and buffered; throws on bad input or when closed. */
  publish(subject: string, data?: Uint8Array | string, opts?: PublishOptions): void {
    if (this.state === "closed") throw new ConnectionClosedError();
    checkPublishSubject(subject);
    let reply: string | undefined;
    let hdrs: string | undefined;
    let hlen = 0;
    if (opts !== undefined) {
      reply = opts.reply;
      if (reply !== undefined) checkReplySubject(reply);
      checkFlush(opts.flush);
      if (opts.headers !== undefined) {
        if (!(opts.headers instanceof MsgHdrs)) throw new InvalidArgumentError("headers must be created with headers()");
        if (this.info && this.info.headers === false) throw new NatsError("HEADERS_NOT_SUPPORTED", "the server does not support headers");
        hdrs = opts.headers.wire();
        hlen = utf8Length(hdrs);
      }
    }
    checkData(data);
    const len = payloadLength(data);
    const total = len + hlen;
    if (total > this.maxPayload) throw new MaxPayloadExceededError(total, this.maxPayload);
    const before = this.out.length;
    this.out.pub(subject, reply, hdrs, data ?? "", len, hlen, isReceivedReply(subject));
    this.counted(before, total);
    if (channels.publish.hasSubscribers) publishEvent(channels.publish, { subject, reply, size: total });
    this.flushAfter(opts?.flush);
  }

  /**
   * Publishes to a received message's reply subject, given as the bytes `line[rs, re)` of its MSG
   * line (Msg.respond): no decoding to a string and encoding back, and no scan, as for any received
   * reply (a token the parser read from the server cannot inject protocol text).
   * @internal
   */
  publishToReply(line: Uint8Array, rs: number, re: number, data: Uint8Array | string | undefined, opts: RespondOptions | undefined): void {
    if (this.state === "closed") throw new ConnectionClosedError();
    checkFlush(opts?.flush);
    checkData(data);
    const len = payloadLength(data);
    if (len > this.maxPayload) throw new MaxPayloadExceededError(len, this.maxPayload);
    const before = this.out.length;
    this.out.pubTo(line, rs, re, data ?? "", len);
    this.counted(before, len);
    if (channels.publish.hasSubscribers) publishEvent(channels.publish, { subject: decodeUtf8(line, rs, re), reply: undefined, size: len });
    this.flushAfter(opts?.flush);
  }

  /**
   * Counts a frame just encoded (its payload `total` bytes), after `before` bytes were buffered.
   * While disconnected the reconnect buffer bounds what is kept: past it, the frame is taken back.
   */
  private counted(before: number, total: number): void {
    if (this.state !== "connected") {
      const limit = this.options.reconnectBufSize;
      if (this.out.length > limit) {
        this.out.truncate(before);
        throw new ReconnectBufferExceededError(limit);
      }
    }
    this.statsData.outMsgs++;
    this.statsData.outBytes += total;
  }

  private flushAfter(flush: boolean | undefined): void {
    if (flush === true) this.flushNow();
    else this.scheduleFlush(flush === false);
  }

  /** `lazy`: the frame can wait for the next turn (or for an urgent frame written before then). */
  private scheduleFlush(lazy = false): void {
    if (this.out.length >= FLUSH_THRESHOLD) {
      this.flushNow();
    } else if (lazy && hasImmediate) {
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      this.flushLazy = true;
      later(this.flushTask);
    } else if (!this.flushScheduled || (this.flushLazy && !this.flushedThisTurn)) {
      // nothing scheduled, or only a lazy flush on the next turn: this frame is urgent. (A task
      // scheduled earlier that runs after this flush finds less or nothing to write.)
      this.flushScheduled = true;
      this.flushLazy = false;
      // The first flush of a turn goes out at the end of the current task (a request's latency);
      // frames written later in the same turn (acks from an iterator loop, one per message) wait
      // for the next turn, so that they leave in one write instead of one syscall each.
      if (this.flushedThisTurn) {
        later(this.flushTask);
      } else {
        if (hasImmediate) {
          this.flushedThisTurn = true;
          later(this.newTurn);
        }
        queueMicrotask(this.flushTask);
      }
    }
  }

  private readonly flushTask = (): void => {
    this.flushScheduled = false;
    this.flushLazy = false;
    this.flushNow();
  };

  private readonly newTurn = (): void => {
    this.flushedThisTurn = false;
  };

  /** Hands the encoded bytes to the transport unless it asked us to wait. */
  private flushNow(): void {
    if (this.blocked || this.state !== "connected") return;
    const link = this.link;
    if (!link) return;
    if (!this.out.writeTo(link.transport.write)) this.blocked = true;
    replySpin.wrote(this.options.replySpin);
  }

  /** Hands every encoded byte to the transport, ignoring its request to wait. */
  private writeAll(link: Link): void {
    const t = link.transport;
    this.out.writeTo((b, done) => {
      if (!t.write(b, done)) this.blocked = true;
      return true;
    });
  }

  private onDrain(): void {
    this.blocked = false;
    this.flushNow();
  }

  /** Bytes encoded and not yet handed to the transport (the reconnect buffer while disconnected). */
  buffered(): number {
    return this.out.length;
  }

  /** Round trip to the server: resolves once everything published before it was processed. */
  flush(opts?: { timeout?: number; signal?: AbortSignal }): Promise<void> {
    checkWaitOptions(opts);
    if (this.state === "closed") return Promise.reject(new ConnectionClosedError());
    return this.pings.flush(opts);
  }

  /** Round-trip time to the server in milliseconds. */
  async rtt(): Promise<number> {
    const t0 = performance.now();
    await this.flush();
    return performance.now() - t0;
  }

  // ---------------------------------------------------------------- subscriptions

  /** Subscribes to `subject` (wildcards allowed). Without a callback, iterate the result. */
  subscribe(subject: string, opts: SubscriptionOptions = {}): Subscription {
    if (this.state === "closed") throw new ConnectionClosedError();
    if (this.draining) throw new DrainingError();
    checkSubscribeSubject(subject);
    if (opts === null || typeof opts !== "object") throw new InvalidArgumentError("subscription options must be an object");
    for (const k of Object.keys(opts)) if (!["queue", "max", "callback", "pending"].includes(k)) throw new InvalidArgumentError(`unknown subscription option '${k}'`);
    if (opts.queue !== undefined) checkQueueName(opts.queue);
    if (opts.max !== undefined && (!Number.isInteger(opts.max) || opts.max <= 0)) throw new InvalidArgumentError("max must be a positive integer");
    if (opts.callback !== undefined && typeof opts.callback !== "function") throw new InvalidArgumentError("callback must be a function");
    const pending = { ...this.options.pending, ...(opts.pending ?? {}) };
    checkPendingLimits(pending, "pending");
    const sid = ++this.sidCounter;
    const sub = new SubscriptionImpl(this.subHost, sid, subject, opts.queue, opts.callback, opts.max, pending.msgs, pending.bytes);
    this.subs.set(sid, sub);
    if (this.state === "connected") {
      this.out.sub(subject, opts.queue, sid);
      if (opts.max !== undefined) this.out.unsub(sid, opts.max);
      this.scheduleFlush();
    }
    return sub;
  }

  private sendUnsub(sub: SubscriptionImpl, max?: number): void {
    if (max === undefined) this.subs.delete(sub.sid);
    if (this.state === "closed") return;
    this.out.unsub(sub.sid, max);
    // no hurry: the server's last few deliveries are dropped here anyway; it goes with the next write
    this.scheduleFlush(true);
  }

  private async drainSub(sub: SubscriptionImpl): Promise<void> {
    this.out.unsub(sub.sid);
    this.scheduleFlush();
    try {
      await this.flush();
    } catch (err) {
      sub.close(err as Error);
    }
    // stays registered until it has finished, so that closing the connection ends it too
    void sub.closed.then(() => {
      if (this.subs.get(sub.sid) === sub) this.subs.delete(sub.sid);
    });
    sub.noMoreMessages();
    return sub.closed;
  }

  // ---------------------------------------------------------------- requests

  /** Publishes a request and resolves with the first reply. */
  async request(subject: string, data?: Uint8Array | string, opts: RequestOptions = {}): Promise<Msg> {
    if (this.state === "closed") throw new ConnectionClosedError();
    checkPublishSubject(subject);
    checkWaitOptions(opts);
    const timeout = opts.timeout ?? this.options.requestTimeout;
    const started = channels.request.hasSubscribers ? Date.now() : 0;
    try {
      const m = opts.noMux || this.options.noMux ? await requestDedicated(this.requestHost(), subject, data, opts, timeout) : await this.mux.request(subject, data, opts, timeout);
      if (started) publishEvent(channels.request, { subject, ms: Date.now() - started });
      return m;
    } catch (err) {
      if (started) publishEvent(channels.request, { subject, ms: Date.now() - started, error: err });
      throw err;
    }
  }

  /** Publishes a request and yields replies until the strategy is satisfied. */
  requestMany(subject: string, data?: Uint8Array | string, opts: RequestManyOptions = {}): AsyncIterable<Msg> {
    if (this.state === "closed") throw new ConnectionClosedError();
    checkPublishSubject(subject);
    return requestMany(this.requestHost(), subject, data, opts, this.options.requestTimeout);
  }

  private requestHost(): RequestHost {
    return {
      publish: (s, d, o) => this.publish(s, d, o),
      subscribe: (s, o) => this.subscribe(s, o),
      inboxPrefix: () => this.options.inboxPrefix,
      watchPermission: (subject, fail) => {
        const w = { subject, fail };
        this.permissionWatchers.add(w);
        return () => this.permissionWatchers.delete(w);
      },
    };
  }

  // ---------------------------------------------------------------- inbound (ParserHandler)

  /** @internal */
  onMsg(sid: number, line: Uint8Array, ss: number, se: number, rs: number, re: number, hdrLen: number, buf: Uint8Array, ds: number, de: number): void {
    const st = this.statsData;
    st.inMsgs++;
    st.inBytes += de - ds;
    const sub = this.subs.get(sid);
    if (sub === undefined || sub.dropIfFull(de - ds)) return;
    const msg = new InboundMsg(this, sid, line, ss, se, rs, re, hdrLen, buf, ds, de);
    if (de - ds >= OWN_MEMORY_AT) msg.detach();
    sub.deliver(msg);
    // a message queued by the subscription was copied; one handed over still views the chunk read
    if (!msg.detached) this.chunkHeld = true;
    if (sub.max !== undefined && sub.received >= sub.max) {
      this.subs.delete(sid);
      // the server does not count its own no-responders status toward the max
      if (hdrLen > 0 && msg.isNoResponders && this.state !== "closed") {
        this.out.unsub(sid);
        this.scheduleFlush();
      }
    }
  }

  /** @internal */
  onInfo(json: string): void {
    let info: ServerInfo;
    try {
      info = JSON.parse(json) as ServerInfo;
    } catch (err) {
      this.lost(new ProtocolError("INFO is not valid JSON", { cause: err }));
      return;
    }
    this.applyInfo(info, false);
  }

  private applyInfo(info: ServerInfo, initial: boolean): void {
    this.info = initial ? info : { ...this.info, ...info };
    if (typeof info.max_payload === "number" && info.max_payload > 0) this.maxPayload = info.max_payload;
    const link = this.link;
    if (!this.options.ignoreDiscoveredServers && Array.isArray(info.connect_urls) && link) {
      const { added, deleted } = this.pool.update(info.connect_urls, link.server.scheme);
      if (added.length || deleted.length) this.emit({ type: "update", added, deleted });
    }
    if (!initial && info.ldm && link) {
      this.emit({ type: "ldm", server: link.server.hostport });
      // lame duck: move to another server before this one closes us
      if (this.options.reconnect && this.pool.size > 1) this.lost(new ConnectionError(`server ${link.server.hostport} entered lame duck mode`));
    }
  }

  /** @internal */
  onPing(): void {
    this.link?.transport.write(PONG);
  }

  /** @internal */
  onPong(): void {
    this.pings.onPong();
  }

  /** @internal */
  onOk(): void {}

  /** @internal */
  onErr(text: string): void {
    const { error, action, sid } = mapServerError(text);
    if (action === "transient") {
      if (error instanceof PermissionViolationError) this.permissionViolation(error, sid);
      this.emit({ type: "error", error });
      return;
    }
    if (action === "reconnect" || action === "auth") {
      this.emit({ type: "error", error });
      if (action === "auth") this.policy.authError(this.link?.server, error);
      this.lost(error);
      return;
    }
    this.emit({ type: "error", error });
    this.doClose(error);
  }

  private permissionViolation(err: PermissionViolationError, sid?: number): void {
    if (err.operation === "publish") {
      this.mux.permissionDenied(err);
      for (const w of [...this.permissionWatchers]) if (subjectMatches(err.subject, w.subject) || err.subject === w.subject) w.fail(err);
      return;
    }
    for (const sub of [...this.subs.values()]) {
      const match = sid !== undefined ? sub.sid === sid : sub.subject === err.subject && (sub.queue ?? undefined) === err.queue;
      if (match) {
        this.subs.delete(sub.sid);
        sub.noMoreMessages(err);
        if (sid === undefined) break;
      }
    }
  }

  // ---------------------------------------------------------------- status and info

  private emit(s: Status): void {
    this.statusEmitter.emit(s);
  }

  /** Connection events as an async iterable (ends when the connection closes). */
  status(): AsyncIterable<Status> {
    return this.statusEmitter.iterate();
  }

  /** Calls `listener` for events of `type` ("*" for all); returns a function that removes it. */
  on(type: StatusType | "*", listener: (s: Status) => void): () => void {
    if (typeof listener !== "function") throw new InvalidArgumentError("listener must be a function");
    return this.statusEmitter.on(type, listener);
  }

  stats(): Stats {
    return { ...this.statsData };
  }

  /** "host:port" of the current server ("" when disconnected). */
  getServer(): string {
    return this.link?.server.hostport ?? "";
  }

  /** Servers learned from the cluster, as "host:port". */
  discoveredServers(): string[] {
    return this.pool
      .list()
      .filter((s) => s.discovered)
      .map((s) => s.hostport);
  }

  isClosed(): boolean {
    return this.state === "closed";
  }
  isDraining(): boolean {
    return this.draining && this.state !== "closed";
  }
  isConnected(): boolean {
    return this.state === "connected";
  }
  /** The error that closed the connection, if any. */
  getError(): Error | undefined {
    return this.closeError;
  }
  /** A new unique inbox subject under the connection's inbox prefix. */
  createInbox(): string {
    return `${this.options.inboxPrefix}.${nuid.next()}`;
  }
}

/** Why connect() failed: the last server's specific error, or NoServersError naming every server tried. */
function connectFailure(err: unknown, failed: FailedAttempts): Error {
  if (err instanceof NatsError && err.code !== "CONNECTION_ERROR" && err.code !== "TIMEOUT") return err;
  return failed.error(err);
}
