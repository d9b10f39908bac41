// `tsnats kv add|put|get|create|update|del|purge|history|watch|ls|info|rm`: Key-Value buckets.
import type { Command } from "commander";
import { Kvm, type KvEntry, type KvOptions, type KvStatus } from "tsnats/kv";
import { CliError, UsageError, ago, bodyFields, clock, humanBytes, humanCount, humanDuration, humanTime, note, printInfo, printJson, printJsonLine, printTable, yesNo, metadataText } from "./output.js";
import { action, confirm, type Session } from "./options.js";
import { bodyOrStdin, collect, parseDuration, parseInteger, parseKeyValues, parseSize } from "./util.js";

async function kvm(s: Session): Promise<Kvm> {
  return new Kvm(await s.nc(), s.jsOptions());
}

async function bucket(s: Session, name: string) {
  return (await kvm(s)).open(name);
}

function entryJson(e: KvEntry): Record<string, unknown> {
  return { bucket: e.bucket, key: e.key, revision: e.revision, operation: e.operation, created: e.created.toISOString(), delta: e.delta, ...(e.operation === "PUT" ? bodyFields(e.raw) : {}) };
}

const short = (v: Uint8Array, max = 40): string => {
  const t = Buffer.from(v).toString("utf8").replace(/\s+/g, " ");
  return t.length > max ? `${t.slice(0, max - 3)}...` : t;
};

function statusSections(st: KvStatus) {
  const si = st.streamInfo;
  return [
    [
      `Information for Key-Value bucket ${st.bucket} created ${humanTime(si.created)}`,
      [
        ["Description", st.description],
        ["Values Stored", humanCount(st.values)],
        ["History Kept", humanCount(st.history)],
        ["Values Expire After", st.ttl > 0 ? humanDuration(st.ttl) : "never"],
        ["Limit Markers TTL", st.markerTTL > 0 ? humanDuration(st.markerTTL) : undefined],
        ["Maximum Bucket Size", (si.config.max_bytes ?? -1) > 0 ? humanBytes(si.config.max_bytes!) : "unlimited"],
        ["Maximum Value Size", (si.config.max_msg_size ?? -1) > 0 ? humanBytes(si.config.max_msg_size!) : "unlimited"],
        ["Storage", st.storage],
        ["Replicas", st.replicas],
        ["Compressed", yesNo(st.isCompressed)],
        ["Size", humanBytes(st.bytes)],
        ["Backing Stream", si.config.name],
        ["Metadata", metadataText(st.metadata)],
      ],
    ],
  ] as [string, [string, unknown][]][];
}

function printEntry(s: Session, e: KvEntry, raw: boolean): void {
  if (s.json) return printJson(entryJson(e));
  if (raw) {
    process.stdout.write(Buffer.from(e.raw));
    if (process.stdout.isTTY) process.stdout.write("\n");
    return;
  }
  console.log(`${e.bucket} > ${e.key} revision ${e.revision} created ${humanTime(e.created)}\n`);
  console.log(Buffer.from(e.raw).toString("utf8"));
}

export function registerKv(program: Command): void {
  const kv = program.command("kv").description("Key-Value buckets: add, put, get, watch and more");

  kv.command("add")
    .alias("new")
    .description("Add a bucket")
    .argument("<bucket>", "bucket name")
    .option("--history <n>", "values kept per key", "1")
    .option("--ttl <duration>", "values expire after this long (e.g. 1h)")
    .option("--replicas <n>", "number of replicas", "1")
    .option("--storage <type>", "file or memory", "file")
    .option("--max-value-size <size>", "largest value accepted")
    .option("--max-bucket-size <size>", "maximum size of the bucket")
    .option("--description <text>", "what the bucket is for")
    .option("--compress", "compress the stored data (nats-server 2.10+)")
    .option("--marker-ttl <duration>", "report expired and TTL-purged keys as deletes, markers kept this long (2.11+)")
    .option("--metadata <key=value>", "metadata entry (repeatable)", collect)
    .action(
      action({}, async (s, name: string) => {
        const o = s.opts;
        const opts: KvOptions = { history: parseInteger(o.history, "--history", 1), replicas: parseInteger(o.replicas, "--replicas", 1) };
        if (!["file", "memory"].includes(o.storage)) throw new UsageError(`invalid --storage "${o.storage}": want file or memory`);
        opts.storage = o.storage;
        if (o.ttl) opts.ttl = parseDuration(o.ttl, "--ttl");
        if (o.maxValueSize) opts.maxValueSize = parseSize(o.maxValueSize, "--max-value-size");
        if (o.maxBucketSize) opts.max_bytes = parseSize(o.maxBucketSize, "--max-bucket-size");
        if (o.description) opts.description = o.description;
        if (o.compress) opts.compression = true;
        if (o.markerTtl) opts.markerTTL = parseDuration(o.markerTtl, "--marker-ttl");
        const md = parseKeyValues(o.metadata);
        if (md) opts.metadata = md;
        const b = await (await kvm(s)).create(name, opts);
        const st = await b.status();
        if (s.json) return printJson({ ...st, streamInfo: undefined });
        note(`Bucket ${name} was created\n`);
        printInfo(statusSections(st));
      }),
    );

  kv.command("put")
    .description("Put a value (standard input when the value is omitted)")
    .argument("<bucket>", "bucket name")
    .argument("<key>", "key")
    .argument("[value]", "value")
    .action(
      action({}, async (s, name: string, key: string, value?: string) => {
        const data = await bodyOrStdin(value);
        const rev = await (await bucket(s, name)).put(key, data);
        if (s.json) printJson({ bucket: name, key, revision: rev });
        else console.log(`Wrote ${name} > ${key} revision ${rev}`);
      }),
    );

  kv.command("get")
    .description("Get a key's value")
    .argument("<bucket>", "bucket name")
    .argument("<key>", "key")
    .option("--revision <n>", "a given revision instead of the latest")
    .option("-r, --raw", "print only the value")
    .action(
      action({}, async (s, name: string, key: string) => {
        const revision = s.opts.revision !== undefined ? parseInteger(s.opts.revision, "--revision", 1) : undefined;
        const e = await (await bucket(s, name)).get(key, revision ? { revision } : {});
        if (!e) throw new CliError("KEY_NOT_FOUND", `no value for ${name} > ${key}${revision ? ` at revision ${revision}` : ""}`, "list the keys with `tsnats kv ls BUCKET`");
        printEntry(s, e, Boolean(s.opts.raw));
      }),
    );

  kv.command("create")
    .description("Put a value only if the key has none")
    .argument("<bucket>", "bucket name")
    .argument("<key>", "key")
    .argument("[value]", "value (standard input when omitted)")
    .option("--ttl <duration>", "this key expires after this long (needs --marker-ttl on the bucket; 2.11+)")
    .action(
      action({}, async (s, name: string, key: string, value?: string) => {
        const data = await bodyOrStdin(value);
        const ttl = s.opts.ttl ? parseDuration(s.opts.ttl, "--ttl") : undefined;
        const rev = await (await bucket(s, name)).create(key, data, ttl ? { ttl } : {});
        if (s.json) printJson({ bucket: name, key, revision: rev });
        else console.log(`Created ${name} > ${key} revision ${rev}`);
      }),
    );

  kv.command("update")
    .description("Put a value only if the key is still at the given revision")
    .argument("<bucket>", "bucket name")
    .argument("<key>", "key")
    .argument("<value>", "value")
    .argument("<revision>", "the revision the key must have")
    .action(
      action({}, async (s, name: string, key: string, value: string, revText: string) => {
        const rev = await (await bucket(s, name)).update(key, value, parseInteger(revText, "revision", 1));
        if (s.json) printJson({ bucket: name, key, revision: rev });
        else console.log(`Updated ${name} > ${key} revision ${rev}`);
      }),
    );

  kv.command("del")
    .alias("delete")
    .description("Delete a key (its history is kept)")
    .argument("<bucket>", "bucket name")
    .argument("<key>", "key")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, name: string, key: string) => {
        const b = await bucket(s, name);
        await confirm(s, `Really delete ${name} > ${key}?`);
        const rev = await b.delete(key);
        if (s.json) printJson({ bucket: name, key, deleted: true, revision: rev });
        else console.log(`Deleted ${name} > ${key}`);
      }),
    );

  kv.command("purge")
    .description("Delete a key and its history")
    .argument("<bucket>", "bucket name")
    .argument("<key>", "key")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, name: string, key: string) => {
        const b = await bucket(s, name);
        await confirm(s, `Really purge ${name} > ${key} and its history?`);
        const rev = await b.purge(key);
        if (s.json) printJson({ bucket: name, key, purged: true, revision: rev });
        else console.log(`Purged ${name} > ${key}`);
      }),
    );

  kv.command("history")
    .description("Show the stored history of a key (or of every key)")
    .argument("<bucket>", "bucket name")
    .argument("[key]", "key (default: all keys)")
    .action(
      action({}, async (s, name: string, key?: string) => {
        const b = await bucket(s, name);
        const entries: KvEntry[] = [];
        for await (const e of b.history(key ? { key } : {})) entries.push(e);
        if (s.json) return printJson(entries.map(entryJson));
        if (!entries.length) return console.log(`No history for ${name}${key ? ` > ${key}` : ""}`);
        printTable(
          ["Key", "Revision", "Op", "Created", "Length", "Value"],
          entries.map((e) => [e.key, e.revision, e.operation, humanTime(e.created).replace(/ \(.*$/, ""), e.raw.length, e.operation === "PUT" ? short(e.raw) : ""]),
          { title: `History for ${name}${key ? ` > ${key}` : ""}`, align: ["left", "right", "left", "left", "right", "left"] },
        );
      }),
    );

  kv.command("watch")
    .description("Print changes to a bucket as they happen (the latest values first)")
    .argument("<bucket>", "bucket name")
    .argument("[key]", "key or wildcard filter (default: all)")
    .option("--history", "start with the whole stored history")
    .option("--updates-only", "only changes made from now on")
    .option("--ignore-deletes", "do not show deletes and purges")
    .option("--count <n>", "exit after this many entries")
    .action(
      action({ longRunning: true }, async (s, name: string, key?: string) => {
        const max = s.opts.count !== undefined ? parseInteger(s.opts.count, "--count", 1) : Infinity;
        const b = await bucket(s, name);
        const w = b.watch({ ...(key ? { key } : {}), include: s.opts.history ? "allHistory" : s.opts.updatesOnly ? "updatesOnly" : "lastValue", ignoreDeletes: Boolean(s.opts.ignoreDeletes) });
        s.signal.addEventListener("abort", () => void w.stop(), { once: true });
        void w.initialized.then(() => {
          if (!s.json) note(`${clock()} Watching ${name}${key ? ` > ${key}` : ""} for updates`);
        });
        let n = 0;
        for await (const e of w) {
          n++;
          if (s.json) printJsonLine(entryJson(e));
          else {
            const body = e.operation === "PUT" ? `: ${Buffer.from(e.raw).toString("utf8")}` : "";
            console.log(`[${humanTime(e.created).replace(/ \(.*$/, "")}] ${e.operation} ${e.bucket} > ${e.key}${body}`);
          }
          if (n >= max) break;
        }
        await w.stop();
      }),
    );

  kv.command("ls")
    .alias("list")
    .description("List the buckets, or the keys of a bucket")
    .argument("[bucket]", "list this bucket's keys")
    .option("-n, --names", "print only the names")
    .action(
      action({}, async (s, name?: string) => {
        const m = await kvm(s);
        if (name) {
          const b = await m.open(name);
          const keys: string[] = [];
          for await (const k of b.keys()) keys.push(k);
          keys.sort();
          if (s.json) return printJson(keys);
          if (!keys.length) return note(`No keys in bucket ${name}`);
          for (const k of keys) console.log(k);
          return;
        }
        const list: KvStatus[] = [];
        for await (const st of m.list()) list.push(st);
        list.sort((a, b) => a.bucket.localeCompare(b.bucket));
        if (s.json) return printJson(s.opts.names ? list.map((x) => x.bucket) : list.map((x) => ({ ...x, streamInfo: undefined })));
        if (s.opts.names) return list.forEach((x) => console.log(x.bucket));
        if (!list.length) return console.log("No Key-Value buckets found");
        printTable(
          ["Bucket", "Description", "Created", "Size", "Values", "Last Update"],
          list.map((x) => [x.bucket, x.description ?? "", humanTime(x.streamInfo.created).replace(/ \(.*$/, ""), humanBytes(x.bytes), humanCount(x.values), x.values ? ago(x.streamInfo.state.last_ts) : "never"]),
          { title: `Key-Value buckets (${list.length})`, align: ["left", "left", "left", "right", "right", "right"] },
        );
      }),
    );

  kv.command("info")
    .alias("status")
    .description("Show a bucket's configuration and state")
    .argument("<bucket>", "bucket name")
    .action(
      action({}, async (s, name: string) => {
        const st = await (await bucket(s, name)).status();
        if (s.json) printJson({ ...st, streamInfo: undefined });
        else printInfo(statusSections(st));
      }),
    );

  kv.command("rm")
    .description("Remove a bucket and all its values")
    .argument("<bucket>", "bucket name")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, name: string) => {
        const m = await kvm(s);
        await m.open(name);
        await confirm(s, `Really remove the bucket ${name} and all its values?`);
        await m.delete(name);
        if (s.json) printJson({ bucket: name, deleted: true });
        else console.log(`Bucket ${name} was removed`);
      }),
    );
}
