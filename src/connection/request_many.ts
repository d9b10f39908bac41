import { InvalidArgumentError, NoRespondersError, TimeoutError } from "../util/errors.js";
import { nuid } from "../util/nuid.js";
import type { MsgHdrs } from "../protocol/headers.js";
import type { InboundMsg, Msg } from "./msg.js";
import { permissionSignal, type RequestHost } from "./requests.js";

/**
 * Strategies (ADR-47): `timer` collects until `maxWait`; `count` until `maxMessages` (or
 * `maxWait`); `stall` until no reply came for `stall` ms after the first one (or `maxWait`);
 * `sentinel` until a reply with an empty payload (not yielded), or `maxWait`.
 */
export interface RequestManyOptions {
  strategy?: "timer" | "count" | "stall" | "sentinel";
  maxWait?: number;
  maxMessages?: number;
  stall?: number;
  headers?: MsgHdrs;
  signal?: AbortSignal;
}

function checkMs(name: string, v: unknown): void {
  if (v !== undefined && (typeof v !== "number" || Number.isNaN(v) || v < 0)) throw new InvalidArgumentError(`${name} must be a non-negative number`);
}

/** Sends one request and yields every reply until the strategy says it is done. */
export function requestMany(host: RequestHost, subject: string, data: Uint8Array | string | undefined, opts: RequestManyOptions, defaultWait: number): AsyncIterable<Msg> {
  const strategy = opts.strategy ?? "timer";
  if (!["timer", "count", "stall", "sentinel"].includes(strategy)) throw new InvalidArgumentError(`unknown requestMany strategy '${strategy}'`);
  checkMs("maxWait", opts.maxWait);
  checkMs("stall", opts.stall);
  if (strategy === "count" && (!Number.isInteger(opts.maxMessages) || (opts.maxMessages as number) <= 0)) {
    throw new InvalidArgumentError("the count strategy needs maxMessages > 0");
  }
  const maxWait = opts.maxWait ?? defaultWait;
  const stall = opts.stall ?? 300;
  const inbox = `${host.inboxPrefix()}.${nuid.next()}`;
  const sub = host.subscribe(inbox, strategy === "count" ? { max: opts.maxMessages! } : {});
  const watch = permissionSignal(host, subject, opts.signal);
  try {
    host.publish(subject, data, { reply: inbox, headers: opts.headers });
  } catch (err) {
    watch.stop();
    sub.unsubscribe();
    throw err;
  }
  const started = Date.now();

  async function* replies(): AsyncGenerator<Msg> {
    let count = 0;
    try {
      while (true) {
        let wait = maxWait - (Date.now() - started);
        if (strategy === "stall" && count > 0) wait = Math.min(wait, stall);
        if (wait <= 0) return;
        let m: InboundMsg;
        try {
          m = (await sub.next({ timeout: wait, signal: watch.signal })) as InboundMsg;
        } catch (err) {
          if (err instanceof TimeoutError) return;
          if ((err as { code?: string }).code === "SUBSCRIPTION_CLOSED") return;
          throw err;
        }
        if (count === 0 && m.isNoResponders) throw new NoRespondersError(subject);
        if (strategy === "sentinel" && m.data.length === 0) return;
        count++;
        yield m;
        if (strategy === "count" && count >= opts.maxMessages!) return;
      }
    } finally {
      watch.stop();
      sub.unsubscribe();
    }
  }
  return replies();
}
