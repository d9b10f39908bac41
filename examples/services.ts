// A runnable Service API tour: `node build/examples/services.js` with $NATS_URL pointing at any
// nats-server (2.9.10 or newer; no JetStream needed). Starts two instances of a small service (an
// echo endpoint, a `math` group, an iterator endpoint), calls them, shows a service error, discovers
// the instances with the discovery client, and stops them.
import { connect } from "../src/index.js";
import { Svcm, ServiceError, serviceError, type Service } from "../src/services/index.js";

const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const nc = await connect({ servers: url });
const svcm = new Svcm(nc);
const name = `calc_${Date.now()}`;

/** One instance of the service. Both listen in queue group "q": each request goes to one of them. */
async function startInstance(): Promise<Service> {
  const srv = await svcm.add({
    name,
    version: "1.0.0",
    description: "echo and arithmetic",
    metadata: { example: "services" },
    errorHandler: (err) => console.log(`  (error handler: ${err.message})`),
  });
  srv.addEndpoint("echo", { subject: `${name}.echo`, handler: (_err, msg) => msg.respond(msg.data) });
  const math = srv.addGroup(`${name}.math`);
  math.addEndpoint("add", (_err, msg) => {
    const { a, b } = msg.json<{ a: unknown; b: unknown }>();
    if (typeof a !== "number" || typeof b !== "number") {
      msg.respondError(400, "a and b must be numbers");
      return;
    }
    msg.respondJson({ sum: a + b });
  });
  math.addEndpoint("divide", (_err, msg) => {
    const { a, b } = msg.json<{ a: number; b: number }>();
    if (b === 0) throw new ServiceError(422, "division by zero"); // answered as that error
    msg.respondJson({ quotient: a / b });
  });
  // no handler: the requests come as an async iterable; the loop ends when the service stops.
  // queue: null (no queue group): every instance gets every request, the requester takes the first reply
  const upper = srv.addEndpoint("upper", { subject: `${name}.upper`, queue: null });
  void (async () => {
    for await (const msg of upper) msg.respond(msg.string().toUpperCase());
  })();
  return srv;
}

const instances = [await startInstance(), await startInstance()];
await nc.flush();
console.log(`started 2 instances of ${name}: ${instances.map((s) => s.id).join(", ")}`);

console.log(`echo: ${(await nc.request(`${name}.echo`, "hello")).string()}`);
const sum = (await nc.request(`${name}.math.add`, JSON.stringify({ a: 2, b: 3 }))).json<{ sum: number }>();
console.log(`2 + 3 = ${sum.sum}`);

// service errors: the Nats-Service-Error headers, read back with serviceError() (null when none)
const bad = serviceError(await nc.request(`${name}.math.add`, JSON.stringify({ a: 2, b: "x" })));
console.log(`add 2 + "x": error ${bad?.status} ${bad?.description}`);
const byZero = serviceError(await nc.request(`${name}.math.divide`, JSON.stringify({ a: 1, b: 0 })));
console.log(`divide 1 / 0: error ${byZero?.status} ${byZero?.description}`);
console.log(`upper: ${(await nc.request(`${name}.upper`, "quiet")).string()}`);

// discovery: every instance of the service answers; the stall strategy ends 200 ms after the last reply
const client = svcm.client({ maxWait: 2000 });
const pings = [];
for await (const p of client.ping(name)) pings.push(p);
console.log(`ping: ${pings.length} instances answered`);
for await (const info of client.info(name, instances[0]!.id)) {
  console.log(`info: ${info.description}; endpoints ${info.endpoints.map((e) => `${e.name}=${e.subject}${e.queue_group ? ` (${e.queue_group})` : ""}`).join(", ")}`);
}
let requests = 0;
let errors = 0;
for await (const stats of client.stats(name)) {
  for (const e of stats.endpoints) {
    requests += e.num_requests;
    errors += e.num_errors;
  }
}
console.log(`stats: ${requests} requests, ${errors} errors across the instances`);

await Promise.all(instances.map((s) => s.stop())); // drains: what was received is still answered
console.log(`stopped: ${(await Promise.all(instances.map((s) => s.stopped))).every((e) => e === null)}`);
await nc.close();
