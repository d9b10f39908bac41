// Groups: a subject prefix and a default queue group for the endpoints added through them.
import type { Endpoint, EndpointSpec } from "./endpoint.js";
import type { EndpointInfo, EndpointOptions, ServiceHandler, ServiceMsg } from "./types.js";
import { checkEndpointSubject, checkFunction, checkGroupPrefix, checkKeys, checkMetadata, checkQueue, checkServiceName } from "./validate.js";

const ENDPOINT_OPTIONS = ["subject", "queue", "metadata", "pending", "handler"] as const;

/** An endpoint with a handler: its options with the handler set, or the handler alone. */
export type HandlerEndpoint = ServiceHandler | (EndpointOptions & { handler: ServiceHandler });

export class ServiceGroup {
  /** @internal use `srv.addGroup()` */
  constructor(
    private readonly register: (spec: EndpointSpec) => Endpoint,
    /** The subject prefix ("" at the service's root). */
    readonly prefix: string,
    /** The default queue group of the endpoints below (null: none). */
    readonly queue: string | null,
  ) {}

  /**
   * Adds an endpoint listening on `<prefix>.<subject>` (subject defaults to `name`). With a handler it
   * returns the endpoint's info; without one, the requests as an async iterable (leaving that loop
   * early stops the service). Throws InvalidArgumentError / BadSubjectError before subscribing.
   */
  addEndpoint(name: string, opts: HandlerEndpoint): EndpointInfo;
  addEndpoint(name: string, opts?: Omit<EndpointOptions, "handler">): AsyncIterable<ServiceMsg>;
  addEndpoint(name: string, opts: HandlerEndpoint | EndpointOptions = {}): EndpointInfo | AsyncIterable<ServiceMsg> {
    checkServiceName(name, "endpoint name");
    const o: EndpointOptions = typeof opts === "function" ? { handler: opts } : opts;
    checkKeys(o, ENDPOINT_OPTIONS, "endpoint");
    checkFunction(o.handler, "handler");
    const subject = o.subject ?? name;
    checkEndpointSubject(subject);
    checkQueue(o.queue, `endpoint '${name}'`);
    const metadata = checkMetadata(o.metadata, `endpoint '${name}'`);
    const queue = o.queue === undefined ? this.queue : o.queue;
    const e = this.register({
      name,
      subject: this.prefix ? `${this.prefix}.${subject}` : subject,
      queue: queue ?? undefined,
      metadata,
      ...(o.pending !== undefined ? { pending: o.pending } : {}),
      ...(o.handler ? { handler: o.handler } : {}),
    });
    return e.requests ?? e.info();
  }

  /**
   * A group below this one: prefix `<this prefix>.<name>` (a subject without `>`; "" adds none), queue
   * group `queue` (null: none), else this group's.
   */
  addGroup(name: string, queue?: string | null): ServiceGroup {
    checkGroupPrefix(name);
    checkQueue(queue, `group '${name}'`);
    const prefix = [this.prefix, name].filter((p) => p !== "").join(".");
    return new ServiceGroup(this.register, prefix, queue === undefined ? this.queue : queue);
  }
}
