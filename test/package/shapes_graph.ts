// Run by shapes.test.ts as `node --allow-natives-syntax shapes_graph.js <url>`: uses a connection
// the way applications do (pub/sub, requests, JetStream publishing and consuming, KV, Object
// Store, a service), then walks every object reachable through the fields of the objects it made
// and prints the paths of those that are dictionary objects (slow in V8) as JSON.
import { connect } from "../../src/index.js";
import { jetstream, jetstreamManager } from "../../src/jetstream/index.js";
import { Kvm } from "../../src/kv/index.js";
import { Objm } from "../../src/obj/index.js";
import { Svcm } from "../../src/services/index.js";

// natives syntax parses only at run time, in a process started with --allow-natives-syntax
const hasFastProperties = new Function("o", "return %HasFastProperties(o)") as (o: object) => boolean;
const MAX_DEPTH = 6;

/** Paths of the dictionary objects reachable from `roots` through own enumerable fields, Maps, Sets and arrays. */
function dictionaryObjects(roots: Record<string, unknown>): string[] {
  const seen = new Set<unknown>();
  const found: string[] = [];
  const walk = (o: unknown, path: string, depth: number): void => {
    if (o === null || typeof o !== "object" || seen.has(o)) return;
    seen.add(o);
    if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer || o instanceof Promise) return;
    if (!hasFastProperties(o)) found.push(`${path} (${(o as { constructor?: { name?: string } }).constructor?.name ?? "?"})`);
    if (depth >= MAX_DEPTH) return;
    if (o instanceof Map) for (const [k, v] of o) walk(v, `${path}[${String(k)}]`, depth + 1);
    else if (o instanceof Set || Array.isArray(o)) [...(o as Iterable<unknown>)].forEach((v, i) => walk(v, `${path}[${i}]`, depth + 1));
    else for (const k of Object.keys(o)) walk((o as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
  };
  for (const [name, root] of Object.entries(roots)) walk(root, name, 0);
  return found;
}

const nc = await connect({ servers: process.argv[2]! });
const sub = nc.subscribe("shapes.>", { callback: (_e, m) => m.respond("pong") });
const iterSub = nc.subscribe("shapes-iter");
nc.publish("shapes-iter", "x");
for await (const _m of iterSub) break;
await nc.request("shapes.ping", "ping");

const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
await jsm.streams.add({ name: "SHAPES", subjects: ["shapes-js.>"], storage: "memory" });
await js.publish("shapes-js.a", "1");
await Promise.all([js.publishAsync("shapes-js.b", "2"), js.publishAsync("shapes-js.c", "3")]);
await jsm.consumers.add("SHAPES", { durable_name: "C", ack_policy: "explicit" });
const pull = await js.consumers.get("SHAPES", "C");
const fetched = await pull.fetch({ max_messages: 3, expires: 2_000 });
for await (const m of fetched) m.ack();
const consumed = await pull.consume({ max_messages: 10, expires: 5_000 });
await js.publish("shapes-js.d", "4");
for await (const m of consumed) {
  m.ack();
  break;
}
const ordered = await js.consumers.get("SHAPES");
const orderedMsgs = await ordered.consume({ max_messages: 10 });
for await (const _m of orderedMsgs) break;

const kv = await new Kvm(nc).create("shapes", { storage: "memory" });
await kv.put("k", "v");
await kv.get("k");
const watcher = await kv.watch();
for await (const _e of watcher) break;

const os = await new Objm(nc).create("shapes", { storage: "memory" });
await os.put({ name: "o" }, new Uint8Array(1000));
const reading = await os.get("o");

const svc = await new Svcm(nc).add({ name: "shapes", version: "1.0.0" });
svc.addEndpoint("echo", { handler: (_e, m) => m.respond(m.data) });
await nc.request("echo", "x");

const found = dictionaryObjects({ nc, sub, iterSub, jsm, js, pull, fetched, consumed, ordered, orderedMsgs, kv, watcher, os, reading, svc });
await consumed.stop();
await orderedMsgs.stop();
watcher.stop();
await svc.stop();
await nc.close();
console.log(JSON.stringify(found));
