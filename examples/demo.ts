// `npm run demo`: shows tsnats working against a NATS server (core NATS here; JetStream, Key-Value,
// the Object Store and services in demo_modules.ts). Uses $NATS_URL (default
// nats://127.0.0.1:4222) when a server answers there; otherwise starts a private nats-server
// on a free loopback port and stops it at the end.
import { connect, headers, JSONCodec, encoded, type NatsConnection } from "../src/index.js";
import { startServer, type ServerHandle } from "../bench/server.js";
import { modules } from "./demo_modules.js";

const say = (s: string) => console.log(s);
const title = (s: string) => console.log(`\n\x1b[1m== ${s}\x1b[0m`);

async function findServer(): Promise<{ url: string; owned?: ServerHandle }> {
  const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
  try {
    const probe = await connect({ servers: url, timeout: 1000, reconnect: false });
    await probe.close();
    say(`using the NATS server at ${url}`);
    return { url };
  } catch {
    const saved = process.env.NATS_URL;
    delete process.env.NATS_URL;
    const owned = await startServer();
    if (saved !== undefined) process.env.NATS_URL = saved;
    say(`no server answered at ${url}: started nats-server ${owned.version ?? ""} (${owned.path}${owned.note ? `, ${owned.note}` : ""}) at ${owned.url}`);
    return { url: owned.url, owned };
  }
}

async function wildcards(nc: NatsConnection): Promise<void> {
  title("publish/subscribe with wildcards");
  const got: string[] = [];
  const all = nc.subscribe("demo.orders.>", { callback: (_e, m) => got.push(`  [orders.>]  ${m.subject}: ${m.string()}`) });
  const one = nc.subscribe("demo.orders.*", { callback: (_e, m) => got.push(`  [orders.*]  ${m.subject}: ${m.string()}`) });
  nc.publish("demo.orders.new", "order #1 placed");
  nc.publish("demo.orders.shipped.eu", "order #1 shipped to the EU");
  await nc.flush();
  await new Promise((r) => setImmediate(r));
  got.forEach(say);
  say("  (demo.orders.* matches one token; demo.orders.> matches one or more)");
  all.unsubscribe();
  one.unsubscribe();
}

async function queueGroup(nc: NatsConnection, worker: NatsConnection): Promise<void> {
  title("a queue group splits the work");
  const counts = new Map<string, number>();
  const subs = ["worker-a", "worker-b", "worker-c"].map((name) =>
    worker.subscribe("demo.jobs", { queue: "workers", callback: () => counts.set(name, (counts.get(name) ?? 0) + 1) }),
  );
  await worker.flush();
  for (let i = 0; i < 30; i++) nc.publish("demo.jobs", `job ${i}`);
  await nc.flush();
  await worker.flush();
  for (const [name, n] of [...counts].sort()) say(`  ${name} handled ${n} jobs`);
  say(`  total ${[...counts.values()].reduce((a, b) => a + b, 0)} of 30, each job exactly once`);
  subs.forEach((s) => s.unsubscribe());
}

async function requestReply(nc: NatsConnection, service: NatsConnection): Promise<void> {
  title("request/reply");
  const json = encoded(service, JSONCodec<{ a: number; b: number }>());
  json.subscribe("demo.math.add", (v, msg) => {
    msg.respond(JSON.stringify({ sum: v.a + v.b }));
  });
  await service.flush();
  const reply = await nc.request("demo.math.add", JSON.stringify({ a: 20, b: 22 }), { timeout: 1000 });
  say(`  request {a:20,b:22} -> reply ${reply.string()}`);
  try {
    await nc.request("demo.nobody.home", "hello?", { timeout: 5000 });
  } catch (err) {
    say(`  request to a subject with no subscriber -> ${(err as Error).name} (${(err as { code: string }).code}), at once`);
  }
}

async function withHeaders(nc: NatsConnection): Promise<void> {
  title("headers");
  const sub = nc.subscribe("demo.headers", { max: 1 });
  const h = headers();
  h.set("Trace-Id", "abc-123");
  h.append("Tag", "red");
  h.append("Tag", "blue");
  nc.publish("demo.headers", "payload with headers", { headers: h });
  for await (const m of sub) {
    say(`  ${m.subject}: "${m.string()}"`);
    for (const k of m.headers!.keys()) say(`    ${k}: ${m.headers!.values(k).join(", ")}`);
  }
}

async function drain(url: string): Promise<void> {
  title("drain: handle everything received, then close");
  const nc = await connect({ servers: url, name: "demo-drain" });
  let handled = 0;
  const sub = nc.subscribe("demo.drain", {
    callback: () => {
      handled++;
      const until = Date.now() + 1;
      while (Date.now() < until); // a slow handler
    },
  });
  await nc.flush();
  const pub = await connect({ servers: url });
  for (let i = 0; i < 500; i++) pub.publish("demo.drain", `msg ${i}`);
  await pub.flush();
  await pub.close();
  await nc.flush();
  await nc.drain();
  say(`  received ${sub.getReceived()}, handled ${handled}, dropped ${sub.getDropped()}; closed: ${nc.isClosed()}`);
}

async function main(): Promise<void> {
  const { url, owned } = await findServer();
  const conns: NatsConnection[] = [];
  try {
    const nc = await connect({ servers: url, name: "demo" });
    conns.push(nc);
    const other = await connect({ servers: url, name: "demo-other" });
    conns.push(other);
    say(`connected to ${nc.getServer()} (server ${nc.info?.server_name}, version ${nc.info?.version}), rtt ${(await nc.rtt()).toFixed(2)} ms`);
    await wildcards(nc);
    await queueGroup(nc, other);
    await requestReply(nc, other);
    await withHeaders(nc);
    await drain(url);
    await modules(nc, other);
    title("statistics");
    say(`  ${JSON.stringify(nc.stats())}`);
  } finally {
    // closed on failure too, so that the process ends
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    if (owned) {
      await owned.stop();
      say("\nstopped the nats-server this demo started");
    }
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
