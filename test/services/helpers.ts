// Helpers of the service tests: unique names, collecting async iterables, the server's view of a
// connection's subscriptions (/connz), and schema assertions.
import { strict as assert } from "node:assert";
import { monitorGet, type NatsServer } from "../support/server.js";
import { poll } from "../support/ports.js";
import type { NatsConnection } from "../../src/index.js";
import { validate, type Schema } from "./schemas.js";

let counter = 0;
/** A service name no other test of the process uses. */
export const uniq = (prefix = "svc"): string => `${prefix}_${process.pid}_${++counter}`;

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

/** Fails with every schema violation of `value`. */
export function assertSchema(schema: Schema, value: unknown, what: string): void {
  const errs = validate(schema, value);
  assert.deepEqual(errs, [], `${what} breaks its schema:\n${errs.join("\n")}\n${JSON.stringify(value)}`);
}

/** A subscription as the server holds it. */
export interface ServerSub {
  subject: string;
  qgroup?: string;
}

/** The subscriptions the server holds for `nc` (needs a server with `monitor: true`). */
export async function serverSubs(server: NatsServer, nc: NatsConnection): Promise<ServerSub[]> {
  const cid = nc.info!.client_id;
  const cz = await monitorGet<{ connections: { cid: number; subscriptions_list_detail?: ServerSub[] }[] }>(server.monitorPort!, `/connz?subs=detail&cid=${cid}`);
  const c = cz.connections.find((x) => x.cid === cid);
  assert.ok(c, `connection ${cid} not in /connz`);
  return (c.subscriptions_list_detail ?? []).map((s) => ({ subject: s.subject, ...(s.qgroup ? { qgroup: s.qgroup } : {}) }));
}

/** Waits (up to 10 s) until the server holds no subscription for `nc`. */
export async function untilNoServerSubs(server: NatsServer, nc: NatsConnection): Promise<void> {
  let last: ServerSub[] = [];
  await poll(async () => ((last = await serverSubs(server, nc)).length === 0 ? true : undefined), 10_000, () => `subscriptions left: ${JSON.stringify(last)}`);
}

/** "subject" or "subject queue", sorted: a compact view of a list of subscriptions. */
export const subList = (subs: ServerSub[]): string[] => subs.map((s) => (s.qgroup ? `${s.subject} ${s.qgroup}` : s.subject)).sort();

/** A promise with its resolve exposed (a gate a handler waits on). */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}
