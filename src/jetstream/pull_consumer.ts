// A handle on an existing pull consumer: fetch(), next(), consume() and info().
import type { JsApi } from "./api.js";
import { throwIfAborted } from "../util/abort.js";
import { ConsumerMessages } from "./consumer_messages.js";
import { ConsumerHandle } from "./consumer_handle.js";
import { requireFeature } from "./features.js";
import type { JsMsg } from "./jsmsg.js";
import { PullEngine } from "./pull_engine.js";
import { pullSettings, type ConsumeOptions, type FetchOptions, type NextOptions, type PullSettings } from "./pull_options.js";

function guardPull(api: JsApi, s: PullSettings): void {
  if (s.group !== undefined) requireFeature(api.nc, "priority_groups", "priority groups");
  if (s.priority !== undefined) requireFeature(api.nc, "prioritized_policy", "pull priority");
}

export class PullConsumer extends ConsumerHandle {
  /**
   * Consumes continuously: pulls of `max_messages` (or `max_bytes`), re-pulled below the threshold,
   * across reconnects, leader changes and missed heartbeats. Iterate the result, or pass `callback`.
   */
  async consume(opts: ConsumeOptions = {}): Promise<ConsumerMessages> {
    const s = pullSettings(opts, "consume");
    guardPull(this.api, s);
    throwIfAborted(s.signal);
    const out = new ConsumerMessages(s.callback);
    new PullEngine(this.api, this.stream, this.name, s, "consume", out).start();
    return out;
  }

  /** One pull of up to `max_messages` (or `max_bytes`): the iteration ends when it is done or expires. */
  async fetch(opts: FetchOptions = {}): Promise<ConsumerMessages> {
    const s = pullSettings(opts, "fetch");
    guardPull(this.api, s);
    throwIfAborted(s.signal);
    const out = new ConsumerMessages();
    new PullEngine(this.api, this.stream, this.name, s, "fetch", out).start();
    return out;
  }

  /**
   * The next message, or null when the pull ended without one for a reason that is not terminal
   * (expired, leader change, server shutdown). Rejects with ConsumerDeletedError and the like, and
   * with the signal's reason when it aborts before a message came.
   */
  async next(opts: NextOptions = {}): Promise<JsMsg | null> {
    const s = pullSettings(opts, "next");
    guardPull(this.api, s);
    throwIfAborted(s.signal);
    const out = new ConsumerMessages();
    new PullEngine(this.api, this.stream, this.name, s, "fetch", out).start();
    const it = out[Symbol.asyncIterator]();
    const r = await it.next();
    return r.done ? null : r.value;
  }
}
