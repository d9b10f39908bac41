// Core NATS benches: pub, sub, request (sequential, with latency) and reply.
import type { Command } from "commander";
import type { Msg } from "tsnats";
import { clock, note } from "../output.js";
import { action } from "../options.js";
import { addBenchFlags, benchSetup, closeClients, connectClients, publishLoop, starting, Tracker, type BenchFlags } from "./runner.js";
import { report, timedSequence, type ClientResult } from "./stats.js";

export function registerCoreBenches(bench: Command): void {
  addBenchFlags(bench.command("pub").description("Publish as fast as possible and measure the rate").argument("<subject>", "subject to publish to")).action(
    action({ longRunning: true }, async (s, subject: string) => {
      const b = benchSetup(s.opts as BenchFlags);
      const ncs = await connectClients(s, b.clients, "pub");
      try {
        starting(b, `pub on "${subject}"`);
        const t = new Tracker("pub", b.msgs, b.progress);
        const results = await Promise.all(
          ncs.map(async (nc, i): Promise<ClientResult> => {
            const n = b.share(i);
            const start = performance.now();
            await publishLoop(nc, subject, b.payload, n, t);
            await nc.flush();
            return { msgs: n, bytes: n * b.size, start, end: performance.now() };
          }),
        );
        t.stop();
        report("pub", results, { title: `Pub stats: ${b.clients} publisher${b.clients > 1 ? "s" : ""}, ${b.size} B messages on "${subject}"`, csv: b.csv, json: b.json });
      } finally {
        await closeClients(ncs);
      }
    }),
  );

  addBenchFlags(
    bench
      .command("sub")
      .description("Receive messages (from `bench pub` or any publisher): every client counts all --msgs")
      .argument("<subject>", "subject to subscribe to"),
  ).action(
    action({ longRunning: true }, async (s, subject: string) => {
      const b = benchSetup(s.opts as BenchFlags);
      const ncs = await connectClients(s, b.clients, "sub");
      try {
        const t = new Tracker("sub", b.msgs * b.clients, b.progress);
        const done: Promise<ClientResult>[] = [];
        for (const nc of ncs) {
          done.push(
            new Promise<ClientResult>((resolve) => {
              const r: ClientResult = { msgs: 0, bytes: 0, start: 0, end: 0 };
              const sub = nc.subscribe(subject, {
                callback: (_err, m) => {
                  if (r.msgs === 0) r.start = performance.now();
                  r.msgs++;
                  r.bytes += m.data.length;
                  t.done++;
                  if (r.msgs >= b.msgs) {
                    r.end = performance.now();
                    sub.unsubscribe();
                    resolve(r);
                  }
                },
              });
              s.signal.addEventListener("abort", () => resolve({ ...r, end: r.end || performance.now() }), { once: true });
            }),
          );
          await nc.flush();
        }
        if (!b.json) note(`${clock()} Waiting for ${b.msgs.toLocaleString("en-US")} messages on "${subject}" (${b.clients} subscriber${b.clients > 1 ? "s" : ""})`);
        const results = await Promise.all(done);
        t.stop();
        report("sub", results, { title: `Sub stats: ${b.clients} subscriber${b.clients > 1 ? "s" : ""} on "${subject}"`, csv: b.csv, json: b.json });
      } finally {
        await closeClients(ncs);
      }
    }),
  );

  addBenchFlags(
    bench
      .command("request")
      .description("Send requests one after the other per client, and measure rate and latency (needs `bench reply` or another responder)")
      .argument("<subject>", "subject to send requests to"),
    { msgs: 10_000 },
  ).action(
    action({ longRunning: true }, async (s, subject: string) => {
      const b = benchSetup(s.opts as BenchFlags);
      const ncs = await connectClients(s, b.clients, "request");
      try {
        starting(b, `request on "${subject}"`);
        const t = new Tracker("request", b.msgs, b.progress);
        const results = await Promise.all(
          ncs.map(async (nc, i): Promise<ClientResult> => {
            return timedSequence(b.share(i), s.signal, t, async () => {
              const m = await nc.request(subject, b.payload, { timeout: s.settings.timeout });
              return b.size + m.data.length;
            });
          }),
        );
        t.stop();
        report("request", results, { title: `Request stats: ${b.clients} client${b.clients > 1 ? "s" : ""} sending ${b.size} B requests to "${subject}"`, unit: "requests", csv: b.csv, json: b.json });
      } finally {
        await closeClients(ncs);
      }
    }),
  );

  addBenchFlags(
    bench
      .command("reply")
      .description("Answer requests (for `bench request`) in a queue group until --msgs are answered (0: until Ctrl-C)")
      .argument("<subject>", "subject to answer on")
      .option("--queue <group>", "queue group", "tsnats-bench"),
    { msgs: 0 },
  ).action(
    action({ longRunning: true }, async (s, subject: string) => {
      // --msgs 0 (the default here): answer until Ctrl-C
      const forever = String(s.opts.msgs) === "0";
      const b = benchSetup({ ...(s.opts as BenchFlags), msgs: forever ? String(s.opts.clients) : s.opts.msgs });
      if (forever) b.msgs = Infinity;
      const ncs = await connectClients(s, b.clients, "reply");
      try {
        const t = new Tracker("reply", forever ? 0 : b.msgs, b.progress && !forever);
        let total = 0;
        let finish!: () => void;
        const all = new Promise<void>((resolve) => (finish = resolve));
        s.signal.addEventListener("abort", () => finish(), { once: true });
        const results: ClientResult[] = [];
        for (const nc of ncs) {
          const r: ClientResult = { msgs: 0, bytes: 0, start: 0, end: 0 };
          results.push(r);
          nc.subscribe(subject, {
            queue: s.opts.queue as string,
            callback: (_err, m: Msg) => {
              if (r.msgs === 0) r.start = performance.now();
              m.respond(b.payload);
              r.msgs++;
              r.bytes += m.data.length + b.size;
              r.end = performance.now();
              t.done++;
              if (++total >= b.msgs) finish();
            },
          });
          await nc.flush();
        }
        if (!b.json) note(`${clock()} Answering requests on "${subject}" with ${b.size} B replies (${b.clients} responder${b.clients > 1 ? "s" : ""}, queue group ${s.opts.queue})`);
        await all;
        await Promise.all(ncs.map((nc) => nc.flush().catch(() => undefined)));
        t.stop();
        const active = results.filter((r) => r.msgs > 0);
        if (!active.length) {
          if (!b.json) note("No requests were answered");
          return;
        }
        report("reply", active, { title: `Reply stats: ${b.clients} responder${b.clients > 1 ? "s" : ""} on "${subject}"`, unit: "replies", csv: b.csv, json: b.json });
      } finally {
        await closeClients(ncs);
      }
    }),
  );
}
