// One endpoint: its subscription, its counters, and how each request reaches the handler or iterator.
import type { Msg, NatsConnection, Subscription } from "../core.js";
import { ServiceError, ServiceHandlerError, headerSafe } from "./errors.js";
import { Inflight } from "./inflight.js";
import { RequestState, ServiceMsgImpl } from "./service_msg.js";
import { EndpointCounters } from "./stats.js";
import type { EndpointInfo, EndpointStats, ServiceHandler, ServiceMsg } from "./types.js";

/** What an endpoint needs from its service. */
export interface EndpointHost {
  /** Passes an error to the service's error handler. */
  report(err: Error): void;
}

export interface EndpointSpec {
  name: string;
  subject: string;
  /** undefined: no queue group. */
  queue: string | undefined;
  metadata: Record<string, string>;
  pending?: { msgs?: number; bytes?: number };
  handler?: ServiceHandler;
}

export class Endpoint {
  readonly counters = new EndpointCounters();
  readonly sub: Subscription;
  /** Set for endpoints without a handler. */
  readonly requests?: AsyncIterable<ServiceMsg>;
  private readonly inflight = new Inflight();

  constructor(
    nc: NatsConnection,
    private readonly host: EndpointHost,
    readonly spec: EndpointSpec,
  ) {
    const handler = spec.handler;
    const opts = { ...(spec.queue !== undefined ? { queue: spec.queue } : {}), ...(spec.pending ? { pending: spec.pending } : {}) };
    if (handler) {
      // a slow-consumer error reaches the service through the connection's event, not here
      this.sub = nc.subscribe(spec.subject, { ...opts, callback: (err, m) => {
          if (!err) this.dispatch(handler, m);
        },
      });
    } else {
      this.sub = nc.subscribe(spec.subject, opts);
      this.requests = this.iterate(this.sub);
    }
  }

  info(): EndpointInfo {
    const { name, subject, queue, metadata } = this.spec;
    return { name, subject, queue_group: queue ?? "", metadata: { ...metadata } };
  }

  stats(): EndpointStats {
    const { name, subject, queue } = this.spec;
    const c = this.counters;
    return {
      name,
      subject,
      queue_group: queue ?? "",
      num_requests: c.requests,
      num_errors: c.errors,
      last_error: c.lastError,
      processing_time: c.processing,
      average_processing_time: c.average,
    };
  }

  /** Stops interest; resolves once every request received was handled (iterators: handed out). */
  async drain(): Promise<void> {
    await this.sub.drain();
    await this.inflight.settled();
  }

  private dispatch(handler: ServiceHandler, m: Msg): void {
    const sm = new ServiceMsgImpl(m, new RequestState(this.counters));
    let r: unknown;
    try {
      r = handler(null, sm);
    } catch (err) {
      this.failed(sm, err);
      sm.state.finish();
      return;
    }
    if (r !== null && typeof r === "object" && typeof (r as PromiseLike<void>).then === "function") {
      this.inflight.track(
        Promise.resolve(r as PromiseLike<void>).then(
          () => sm.state.finish(),
          (err: unknown) => {
            this.failed(sm, err);
            sm.state.finish();
          },
        ),
      );
    } else {
      sm.state.finish();
    }
  }

  /**
   * The handler failed: unless it already answered, answer with a service error (counted like any
   * other), and tell the service's error handler.
   */
  private failed(sm: ServiceMsgImpl, err: unknown): void {
    if (!sm.state.answered) {
      const status = err instanceof ServiceError && Number.isInteger(err.status) ? err.status : 500;
      const description = headerSafe(err instanceof ServiceError ? err.description : err instanceof Error ? err.message : String(err));
      try {
        sm.respondError(status, description);
      } catch (e) {
        this.host.report(e as Error);
      }
    }
    this.host.report(new ServiceHandlerError("handler", this.spec.name, sm.subject, err));
  }

  /** The requests of an endpoint without a handler; one is handled when the next is asked for. */
  private async *iterate(sub: Subscription): AsyncGenerator<ServiceMsg> {
    for await (const m of sub) {
      const state = new RequestState(this.counters);
      try {
        yield new ServiceMsgImpl(m, state);
      } finally {
        state.finish();
      }
    }
  }
}
