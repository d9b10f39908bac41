/**
 * Status events of a connection in tests: recording them, waiting for the next one of a type,
 * and rendering them (errors included) as text to look for leaked secrets.
 */
import type { NatsConnection, Status, StatusType } from "../../src/index.js";

/** Every status event of `nc` from now on, in order (the array fills as they happen). */
export function recordStatus(nc: NatsConnection): Status[] {
  const list: Status[] = [];
  nc.on("*", (s) => list.push(s));
  return list;
}

/**
 * Resolves with the next event of `type` on `nc`; rejects after `ms`. Call it before causing the
 * event (e.g. before killing the server), then await it.
 */
export function nextEvent(nc: NatsConnection, type: StatusType, ms = 10_000): Promise<Status> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no '${type}' event within ${ms} ms`));
    }, ms);
    const off = nc.on(type, (s) => {
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

/** The types of `events`, in order, keeping only those listed in `keep`. */
export function statusTypes(events: Status[], keep: StatusType[]): StatusType[] {
  return events.map((s) => s.type).filter((t) => keep.includes(t));
}

/** How many of `events` are of `type`. */
export function countStatus(events: Status[], type: StatusType): number {
  return events.filter((s) => s.type === type).length;
}

/** Everything an error exposes as text: name, message, own fields (JSON) and its cause chain. */
export function errorText(err: unknown, depth = 0): string {
  if (!(err instanceof Error) || depth > 5) return String(err);
  return `${err.name} ${err.message} ${JSON.stringify(err)} ${errorText(err.cause, depth + 1)}`;
}

/** Status events as JSON text, with every error expanded by {@link errorText}. */
export function statusText(events: Status[]): string {
  return JSON.stringify(events, (_k, v) => (v instanceof Error ? errorText(v) : v));
}
