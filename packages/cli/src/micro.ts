// `tsnats micro ls|info|stats|ping|serve`: discover and inspect NATS services (the Service API),
// and run a small echo service to try them with.
import type { Command } from "commander";
import { Svcm, type InfoResponse, type PingResponse, type ServiceClient, type StatsResponse } from "tsnats/services";
import { CliError, clock, humanCount, humanDuration, humanTime, note, printInfo, printJson, printTable, metadataText, plural } from "./output.js";
import { action, type Session } from "./options.js";
import { parseInteger } from "./util.js";

async function client(s: Session): Promise<ServiceClient> {
  return new Svcm(await s.nc({ reconnect: false })).client({ maxWait: Math.min(s.settings.timeout, 2000), strategy: "stall", stall: 300 });
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

function notFound(name?: string, id?: string): CliError {
  const what = name ? `service ${name}${id ? ` instance ${id}` : ""}` : "service";
  return new CliError("SERVICE_NOT_FOUND", `no ${what} answered`, "is it running? list the services with `tsnats micro ls`");
}

/** Processing times in the Service API are nanoseconds. */
const ns = (n: number): string => humanDuration(n / 1e6);

export function registerMicro(program: Command): void {
  const micro = program.command("micro").alias("svc").description("NATS services (Service API): discover, inspect, ping, and a demo echo service");

  micro
    .command("ls")
    .alias("list")
    .description("List the running services (one row per instance)")
    .argument("[name]", "only instances of this service")
    .action(
      action({}, async (s, name?: string) => {
        const infos = (await all((await client(s)).info(name))).sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
        if (s.json) return printJson(infos);
        if (!infos.length) return console.log(name ? `No instances of service ${name} found` : "No services found");
        printTable(
          ["Name", "Version", "ID", "Description", "Endpoints"],
          infos.map((i) => [i.name, i.version, i.id, i.description ?? "", i.endpoints?.length ?? 0]),
          { title: `Services (${plural(infos.length, "instance")})`, align: ["left", "left", "left", "left", "right"] },
        );
      }),
    );

  micro
    .command("info")
    .description("Show a service's endpoints and statistics")
    .argument("<name>", "service name")
    .argument("[id]", "one instance")
    .action(
      action({}, async (s, name: string, id?: string) => {
        const c = await client(s);
        const infos = await all(c.info(name, id));
        if (!infos.length) throw notFound(name, id);
        const stats = await all(c.stats(name, id));
        if (s.json) return printJson(infos.map((i) => ({ ...i, stats: stats.find((x) => x.id === i.id) })));
        infos.forEach((i, n) => {
          if (n) console.log("");
          showInfo(i, stats.find((x) => x.id === i.id));
        });
      }),
    );

  micro
    .command("stats")
    .description("Show the request statistics of a service's instances")
    .argument("<name>", "service name")
    .argument("[id]", "one instance")
    .action(
      action({}, async (s, name: string, id?: string) => {
        const stats = await all((await client(s)).stats(name, id));
        if (!stats.length) throw notFound(name, id);
        if (s.json) return printJson(stats);
        const rows: unknown[][] = [];
        let requests = 0;
        let errors = 0;
        for (const st of stats.sort((a, b) => a.id.localeCompare(b.id))) {
          for (const e of st.endpoints ?? []) {
            requests += e.num_requests;
            errors += e.num_errors;
            rows.push([st.id, e.name, humanCount(e.num_requests), humanCount(e.num_errors), ns(e.processing_time), ns(e.average_processing_time)]);
          }
        }
        printTable(["ID", "Endpoint", "Requests", "Errors", "Processing Time", "Average Time"], rows, {
          title: `${name} service statistics: ${plural(requests, "request")}, ${plural(errors, "error")}`,
          align: ["left", "left", "right", "right", "right", "right"],
        });
      }),
    );

  micro
    .command("ping")
    .description("Ping the services (or every instance of one)")
    .argument("[name]", "service name")
    .argument("[id]", "one instance")
    .action(
      action({}, async (s, name?: string, id?: string) => {
        const c = await client(s);
        const started = performance.now();
        const out: (PingResponse & { rtt_ms: number })[] = [];
        for await (const p of c.ping(name, id)) out.push({ ...p, rtt_ms: Number((performance.now() - started).toFixed(3)) });
        if (!out.length) throw notFound(name, id);
        if (s.json) return printJson(out);
        for (const p of out) console.log(`${p.name} ${p.version} ${p.id}: ${humanDuration(p.rtt_ms)}`);
        note(`\n${plural(out.length, "reply", "replies")} in ${humanDuration(performance.now() - started)}`);
      }),
    );

  micro
    .command("serve")
    .description("Run a demo service whose endpoint answers each request with its own body")
    .argument("[name]", "service name", "echo")
    .option("--service-version <semver>", "service version", "1.0.0")
    .option("--subject <subject>", "endpoint subject (default: the service name)")
    .option("--queue <group>", "queue group", "q")
    .option("--count <n>", "stop after this many requests")
    .action(
      action({ longRunning: true }, async (s, name: string) => {
        const max = s.opts.count !== undefined ? parseInteger(s.opts.count, "--count", 1) : Infinity;
        const nc = await s.nc({ maxReconnectAttempts: -1 });
        const svc = await new Svcm(nc).add({ name, version: s.opts.serviceVersion, description: "tsnats demo echo service", queue: s.opts.queue });
        const subject = (s.opts.subject as string | undefined) ?? name;
        let n = 0;
        let finish!: () => void;
        const done = new Promise<void>((resolve) => (finish = resolve));
        svc.addEndpoint("echo", {
          subject,
          metadata: { description: "answers with the request's body" },
          handler: (err, msg) => {
            if (err) return note(`${clock()} ${err.message}`);
            n++;
            msg.respond(msg.data, msg.headers ? { headers: msg.headers } : undefined);
            if (!s.json) note(`${clock()} [#${n}] ${msg.subject}: ${msg.data.length} bytes`);
            if (n >= max) finish();
          },
        });
        await nc.flush();
        if (s.json) printJson(svc.info());
        else note(`${clock()} Service ${name} ${svc.info().version} (id ${svc.info().id}) is listening on "${subject}"; Ctrl-C stops it`);
        s.signal.addEventListener("abort", () => finish(), { once: true });
        void svc.stopped.then(() => finish());
        await done;
        await svc.stop();
      }),
    );
}

function showInfo(i: InfoResponse, st: StatsResponse | undefined): void {
  printInfo([
    [
      `Service ${i.name} ${i.version} (${i.id})`,
      [
        ["Description", i.description],
        ["Started", st ? humanTime(st.started) : undefined],
        ["Metadata", metadataText(i.metadata)],
      ],
    ],
  ]);
  console.log("");
  printTable(
    ["Endpoint", "Subject", "Queue Group", "Requests", "Errors", "Average Time", "Last Error"],
    (i.endpoints ?? []).map((e) => {
      const es = st?.endpoints?.find((x) => x.name === e.name);
      return [e.name, e.subject, e.queue_group ?? "", humanCount(es?.num_requests ?? 0), humanCount(es?.num_errors ?? 0), es ? ns(es.average_processing_time) : "", es?.last_error ?? ""];
    }),
    { align: ["left", "left", "left", "right", "right", "right", "left"] },
  );
}
