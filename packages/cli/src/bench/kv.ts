// Key-Value benches: kv put and kv get, one awaited operation after another per client, with
// latency per operation.
import type { Command } from "commander";
import { Kvm } from "tsnats/kv";
import { CliError, UsageError, clock, humanCount, note } from "../output.js";
import { action } from "../options.js";
import { parseInteger } from "../util.js";
import { addBenchFlags, benchSetup, closeClients, connectClients, starting, Tracker, type BenchFlags } from "./runner.js";
import { report, timedSequence, type ClientResult } from "./stats.js";

export function registerKvBenches(bench: Command): void {
  const kv = bench.command("kv").description("Key-Value benches: put and get");

  addBenchFlags(
    kv
      .command("put")
      .description("Put values (bucket created if missing) and measure rate and latency")
      .option("--bucket <name>", "bucket to use", "benchbucket")
      .option("--keys <n>", "number of distinct keys (key.0 ...), written round-robin", "1000")
      .option("--storage <type>", "storage of a bucket it creates: file or memory", "file")
      .option("--replicas <n>", "replicas of a bucket it creates", "1")
      .option("--history <n>", "history of a bucket it creates", "1"),
    { msgs: 20_000 },
  ).action(
    action({ longRunning: true }, async (s) => {
      const b = benchSetup(s.opts as BenchFlags);
      const keys = parseInteger(s.opts.keys, "--keys", 1);
      const name = s.opts.bucket as string;
      if (!["file", "memory"].includes(s.opts.storage)) throw new UsageError(`invalid --storage "${s.opts.storage}": want file or memory`);
      const kvm = new Kvm(await s.nc(), s.jsOptions());
      try {
        await kvm.open(name);
      } catch (err) {
        if ((err as { code?: string }).code !== "BUCKET_NOT_FOUND") throw err;
        await kvm.create(name, { storage: s.opts.storage, replicas: parseInteger(s.opts.replicas, "--replicas", 1), history: parseInteger(s.opts.history, "--history", 1) });
        if (!b.json) note(`${clock()} Created bucket ${name} (${s.opts.storage})`);
      }
      const ncs = await connectClients(s, b.clients, "kv put");
      try {
        starting(b, `KV put into ${name} (${humanCount(keys)} keys)`);
        const t = new Tracker("kv put", b.msgs, b.progress);
        let offset = 0;
        const results = await Promise.all(
          ncs.map(async (nc, i): Promise<ClientResult> => {
            const n = b.share(i);
            const first = offset;
            offset += n;
            const bucket = await new Kvm(nc, s.jsOptions()).open(name);
            const r = await timedSequence(n, s.signal, t, async (j) => {
              await bucket.put(`key.${(first + j) % keys}`, b.payload);
              return b.size;
            });
            return { ...r, bytes: n * b.size };
          }),
        );
        t.stop();
        report("kv put", results, { title: `KV put stats: ${b.clients} client${b.clients > 1 ? "s" : ""}, ${b.size} B values into ${name}`, unit: "puts", csv: b.csv, json: b.json });
      } finally {
        await closeClients(ncs);
      }
    }),
  );

  addBenchFlags(
    kv
      .command("get")
      .description("Get values (written by `bench kv put`) and measure rate and latency")
      .option("--bucket <name>", "bucket to use", "benchbucket")
      .option("--keys <n>", "number of distinct keys (key.0 ...), read round-robin", "1000"),
    { msgs: 20_000 },
  ).action(
    action({ longRunning: true }, async (s) => {
      const b = benchSetup(s.opts as BenchFlags);
      const keys = parseInteger(s.opts.keys, "--keys", 1);
      const name = s.opts.bucket as string;
      const kvm = new Kvm(await s.nc(), s.jsOptions());
      try {
        await kvm.open(name);
      } catch (err) {
        if ((err as { code?: string }).code === "BUCKET_NOT_FOUND") throw new CliError("BUCKET_NOT_FOUND", `no bucket ${name}`, "fill one first with `tsnats bench kv put`");
        throw err;
      }
      const ncs = await connectClients(s, b.clients, "kv get");
      try {
        starting(b, `KV get from ${name} (${humanCount(keys)} keys)`);
        const t = new Tracker("kv get", b.msgs, b.progress);
        let offset = 0;
        let missing = 0;
        const results = await Promise.all(
          ncs.map(async (nc, i): Promise<ClientResult> => {
            const n = b.share(i);
            const first = offset;
            offset += n;
            const bucket = await new Kvm(nc, s.jsOptions()).open(name);
            return timedSequence(n, s.signal, t, async (j) => {
              const e = await bucket.get(`key.${(first + j) % keys}`);
              if (!e) missing++;
              return e ? e.raw.length : 0;
            });
          }),
        );
        t.stop();
        report("kv get", results, {
          title: `KV get stats: ${b.clients} client${b.clients > 1 ? "s" : ""} reading ${name}`,
          unit: "gets",
          csv: b.csv,
          json: b.json,
          notes: missing ? [`${humanCount(missing)} gets found no value (were the keys written with the same --keys?)`] : [],
        });
      } finally {
        await closeClients(ncs);
      }
    }),
  );
}
