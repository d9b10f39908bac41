// A running service: its monitoring subscriptions ($SRV PING/INFO/STATS at three levels), its
// endpoints, and stop() (drain, then `stopped` resolves).
import { InvalidArgumentError, TimeoutError, nuid, type Msg, type NatsConnection, type Subscription } from "../core.js";
import { Endpoint, type EndpointSpec } from "./endpoint.js";
import { ServiceHandlerError, ServiceStoppedError, headerSafe, serviceErrorHeaders } from "./errors.js";
import { ServiceGroup, type HandlerEndpoint } from "./group.js";
import { Inflight } from "./inflight.js";
import { VERBS, controlSubject } from "./subjects.js";
import { ServiceResponseType, type EndpointInfo, type EndpointOptions, type InfoResponse, type PingResponse, type ServiceConfig, type ServiceMsg, type ServiceVerb, type StatsResponse } from "./types.js";
import { checkFunction, checkKeys, checkMetadata, checkMs, checkQueue, checkServiceName, checkVersion } from "./validate.js";

/** How long stop() waits for running handlers before it removes the subscriptions anyway. */
const DEFAULT_STOP_TIMEOUT = 20_000;

const CONFIG_OPTIONS = ["name", "version", "description", "metadata", "queue", "statsHandler", "errorHandler"] as const;
const DEFAULT_QUEUE = "q";

/** A service instance. Create it with `svcm.add()`. */
export class Service {
  /** This instance's id (a NUID), the last token of its `$SRV.<verb>.<name>.<id>` subjects. */
  readonly id = nuid.next();
  readonly #nc: NatsConnection;
  readonly #config: Readonly<ServiceConfig>;
  readonly #metadata: Readonly<Record<string, string>>;
  readonly #root: ServiceGroup;
  readonly #endpoints: Endpoint[] = [];
  readonly #monitors: Subscription[] = [];
  readonly #inflight = new Inflight();
  readonly #done: Promise<Error | null>;
  #resolveDone!: (err: Error | null) => void;
  #started = new Date().toISOString();
  #stopping = false;
  #offSlow?: () => void;

  /** @internal use `svcm.add()` */
  constructor(nc: NatsConnection, config: ServiceConfig) {
    checkKeys(config, CONFIG_OPTIONS, "service");
    checkServiceName(config.name, "service name");
    checkVersion(config.version);
    if (config.description !== undefined && typeof config.description !== "string") throw new InvalidArgumentError("description must be a string");
    checkQueue(config.queue, "service");
    checkFunction(config.statsHandler, "statsHandler");
    checkFunction(config.errorHandler, "errorHandler");
    this.#nc = nc;
    this.#done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#metadata = Object.freeze(checkMetadata(config.metadata, "service"));
    this.#config = Object.freeze({ ...config });
    const queue = config.queue === undefined ? DEFAULT_QUEUE : config.queue;
    this.#root = new ServiceGroup((spec) => this.#addEndpoint(spec), "", queue);
  }

  /** @internal Subscribes the monitoring subjects and waits until the server has them. */
  async start(): Promise<this> {
    const ping = JSON.stringify(this.#ping());
    const answer: Record<ServiceVerb, (m: Msg) => void> = {
      PING: (m) => this.#reply(m, "PING", () => ping),
      INFO: (m) => this.#reply(m, "INFO", () => JSON.stringify(this.info())),
      STATS: (m) => this.#inflight.track(this.stats().then((s) => this.#reply(m, "STATS", () => JSON.stringify(s)), (err: Error) => this.#reply(m, "STATS", () => { throw err; }))),
    };
    // dropped requests are reported (they were never answered, so they count nowhere in STATS)
    this.#offSlow = this.#nc.on("slowConsumer", (s) => {
      if (s.type !== "slowConsumer") return;
      if (this.#endpoints.some((x) => x.sub.getID() === s.sid) || this.#monitors.some((x) => x.getID() === s.sid)) this.#report(s.error);
    });
    try {
      for (const verb of VERBS) {
        for (const subject of [controlSubject(verb), controlSubject(verb, this.#config.name), controlSubject(verb, this.#config.name, this.id)]) {
          const sub = this.#nc.subscribe(subject, {
            callback: (err, m) => {
              if (!err) answer[verb](m);
            },
          });
          this.#watch(sub);
          this.#monitors.push(sub);
        }
      }
      await this.#nc.flush();
    } catch (err) {
      await this.stop(err as Error);
      throw err;
    }
    // a subscription the server refused (permissions) has ended by now
    const refused = this.#monitors.find((s) => s.getError());
    if (refused) {
      await this.stop(refused.getError());
      throw refused.getError()!;
    }
    return this;
  }

  /**
   * Adds an endpoint on `subject` (default: `name`) in the service's queue group (default "q"). With a
   * handler it returns the endpoint's info; without one, the requests as an async iterable. Throws
   * InvalidArgumentError / BadSubjectError before subscribing, ServiceStoppedError once stopped.
   */
  addEndpoint(name: string, opts: HandlerEndpoint): EndpointInfo;
  addEndpoint(name: string, opts?: Omit<EndpointOptions, "handler">): AsyncIterable<ServiceMsg>;
  addEndpoint(name: string, opts?: HandlerEndpoint | EndpointOptions): EndpointInfo | AsyncIterable<ServiceMsg> {
    return this.#root.addEndpoint(name, opts as Omit<EndpointOptions, "handler">);
  }

  /** A group: endpoints added to it listen on `<name>.<subject>`, in queue group `queue` (null: none) if given. */
  addGroup(name: string, queue?: string | null): ServiceGroup {
    return this.#root.addGroup(name, queue);
  }

  /** The INFO response of this service (synchronous). */
  info(): InfoResponse {
    return {
      ...this.#identity(ServiceResponseType.INFO),
      description: this.#config.description ?? "",
      endpoints: this.#endpoints.map((e) => e.info()),
    };
  }

  /**
   * The STATS response: the counters as they are now, and each endpoint's `data` from the
   * `statsHandler`. Rejects with a ServiceHandlerError when the stats handler fails.
   */
  async stats(): Promise<StatsResponse> {
    const started = this.#started;
    const endpoints = this.#endpoints.map((e) => ({ e, s: e.stats() }));
    const handler = this.#config.statsHandler;
    if (handler) {
      for (const { e, s } of endpoints) {
        try {
          const data = await handler(e.info());
          if (data !== undefined) s.data = data;
        } catch (err) {
          throw new ServiceHandlerError("statsHandler", e.spec.name, e.spec.subject, err);
        }
      }
    }
    return { ...this.#identity(ServiceResponseType.STATS), started, endpoints: endpoints.map((x) => x.s) };
  }

  /** Zeroes every endpoint's counters; `started` becomes now. */
  reset(): void {
    this.#started = new Date().toISOString();
    for (const e of this.#endpoints) e.counters.reset();
  }

  /**
   * Stops the service: no new requests are taken, those already received are handled and answered
   * (async handlers awaited), iterator endpoints end once they have handed out what they received,
   * then every subscription is gone. Resolves like `stopped` (with `err`, else null). When handlers
   * are still running after `timeout` ms (default 20 s), every subscription is removed at once and
   * it resolves with a TimeoutError instead: a handler that never settles cannot hold it forever.
   */
  stop(err?: Error, opts: { timeout?: number } = {}): Promise<Error | null> {
    if (!this.#stopping) {
      const timeout = opts.timeout ?? DEFAULT_STOP_TIMEOUT;
      checkMs(timeout, "timeout");
      this.#stopping = true;
      this.#offSlow?.();
      const subs = [...this.#endpoints.map((e) => e.drain()), ...this.#monitors.map((s) => s.drain())];
      let timer: ReturnType<typeof setTimeout> | undefined;
      const drained = Promise.allSettled(subs)
        .then(() => this.#inflight.settled())
        .then(() => err ?? null);
      const late = new Promise<Error>((resolve) => {
        timer = setTimeout(() => {
          for (const sub of [...this.#endpoints.map((e) => e.sub), ...this.#monitors]) if (!sub.isClosed()) sub.unsubscribe();
          resolve(new TimeoutError(`service ${this.#config.name} stop(): handlers still running after ${timeout} ms`));
        }, timeout);
      });
      void Promise.race([drained, late]).then((r) => {
        clearTimeout(timer);
        this.#resolveDone(r);
      });
    }
    return this.#done;
  }

  /** Resolves once the service has stopped: null, or the error that stopped it. */
  get stopped(): Promise<Error | null> {
    return this.#done;
  }

  /** `await using srv = await svcm.add(...)`: stop() when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  /** True from the moment stop() was called (or the service stopped on its own). */
  get isStopped(): boolean {
    return this.#stopping;
  }

  #addEndpoint(spec: EndpointSpec): Endpoint {
    if (this.#stopping) throw new ServiceStoppedError(this.#config.name);
    const e = new Endpoint(this.#nc, { report: (err) => this.#report(err) }, spec);
    this.#endpoints.push(e);
    this.#watch(e.sub);
    return e;
  }

  /** A subscription that ends while the service runs (connection closed, permissions, an iterator left) stops it. */
  #watch(sub: Subscription): void {
    void sub.closed.then(() => {
      if (!this.#stopping) void this.stop(sub.getError());
    });
  }

  #identity<T extends string>(type: T): { type: T; name: string; id: string; version: string; metadata: Record<string, string> } {
    const { name, version } = this.#config;
    return { type, name, id: this.id, version, metadata: { ...this.#metadata } };
  }

  #ping(): PingResponse {
    return this.#identity(ServiceResponseType.PING);
  }

  /** Answers a monitoring request; when that fails, answers 500 and reports why. */
  #reply(m: Msg, verb: ServiceVerb, body: () => string): void {
    try {
      m.respond(body());
    } catch (err) {
      this.#report(err as Error);
      try {
        m.respond(undefined, { headers: serviceErrorHeaders(500, headerSafe(`error handling ${verb} request: ${(err as Error).message}`)) });
      } catch {
        // the connection is gone: nothing can be answered
      }
    }
  }

  #report(err: Error): void {
    const h = this.#config.errorHandler;
    if (!h) return;
    try {
      h(err);
    } catch {
      // an error handler's own failure has nowhere to go
    }
  }
}
