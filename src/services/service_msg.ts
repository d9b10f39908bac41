// A request to an endpoint (`ServiceMsg`), and what one request contributes to its endpoint's counters.
import { InvalidArgumentError, type Msg, type MsgHdrs } from "../core.js";
import { errorHeaders, serviceErrorHeaders } from "./errors.js";
import type { EndpointCounters } from "./stats.js";
import type { ServiceMsg } from "./types.js";

/**
 * One request's bookkeeping: whether it was answered, the service error it was answered with, and
 * when it counts as handled. Only a reply that carries the service error headers counts in
 * `num_errors`; one sent after the request was handled still counts (in `num_errors` only).
 */
export class RequestState {
  answered = false;
  private error?: string;
  private done = false;
  readonly started = performance.now();

  constructor(private readonly counters: EndpointCounters) {}

  /** A reply was sent; `error` is `<code>:<description>` when it carried the service error headers. */
  answeredWith(error?: string): void {
    this.answered = true;
    if (error === undefined) return;
    if (this.done) this.counters.error(error);
    else this.error = error;
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.counters.handled(this.started, this.error);
  }
}

/** `<code>:<description>`, how `last_error` shows a service error (as nats.go does). */
export const errorText = (status: number | string, description: string): string => `${status}:${description}`;

export class ServiceMsgImpl implements ServiceMsg {
  constructor(
    private readonly msg: Msg,
    readonly state: RequestState,
  ) {}

  get subject(): string {
    return this.msg.subject;
  }
  get reply(): string | undefined {
    return this.msg.reply;
  }
  get data(): Uint8Array {
    return this.msg.data;
  }
  get headers(): MsgHdrs | undefined {
    return this.msg.headers;
  }
  get sid(): number {
    return this.msg.sid;
  }
  get size(): number {
    return this.msg.size;
  }
  string(): string {
    return this.msg.string();
  }
  json<T = unknown>(): T {
    return this.msg.json<T>();
  }

  respond(data?: Uint8Array | string, opts?: { headers?: MsgHdrs }): boolean {
    const e = errorHeaders(opts?.headers);
    if (!this.msg.respond(data, opts)) return false;
    this.state.answeredWith(e ? errorText(e.status, e.description) : undefined);
    return true;
  }

  respondJson(value: unknown, opts?: { headers?: MsgHdrs }): boolean {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new InvalidArgumentError("the response cannot be serialized as JSON", { cause: err });
    }
    if (text === undefined) throw new InvalidArgumentError("the response cannot be serialized as JSON");
    return this.respond(text, opts);
  }

  respondError(code: number, description: string, data?: Uint8Array | string, opts?: { headers?: MsgHdrs }): boolean {
    return this.respond(data, { headers: serviceErrorHeaders(code, description, opts?.headers) });
  }
}
