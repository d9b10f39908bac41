// `tsnats obj add|put|get|ls|info|rm|seal|watch`: Object Store buckets, with progress bars for
// put and get on a terminal.
import { createReadStream, createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Command } from "commander";
import { headers as makeHeaders } from "tsnats";
import { Objm, type ObjectInfo, type ObjectStoreOptions, type ObjectStoreStatus } from "tsnats/obj";
import { CliError, UsageError, clock, headersObject, humanBytes, humanCount, humanDuration, humanTime, note, printInfo, printJson, printJsonLine, printTable, yesNo, type InfoSection, metadataText, plural } from "./output.js";
import { action, confirm, type Session } from "./options.js";
import { progressBar, wantProgress } from "./progress.js";
import { collect, parseDuration, parseHeaderFlags, parseInteger, parseKeyValues, parseSize } from "./util.js";

async function objm(s: Session): Promise<Objm> {
  return new Objm(await s.nc(), s.jsOptions());
}

async function store(s: Session, bucket: string) {
  return (await objm(s)).open(bucket);
}

function infoJson(i: ObjectInfo): Record<string, unknown> {
  return {
    bucket: i.bucket,
    name: i.name,
    description: i.description || undefined,
    size: i.size,
    chunks: i.chunks,
    digest: i.digest,
    mtime: i.mtime,
    deleted: i.deleted || undefined,
    revision: i.revision,
    nuid: i.nuid,
    headers: headersObject(i.headers),
    metadata: Object.keys(i.metadata ?? {}).length ? i.metadata : undefined,
    link: i.options?.link,
  };
}

function objectSections(i: ObjectInfo): InfoSection[] {
  const link = i.options?.link;
  return [
    [
      `Object information for ${i.bucket} > ${i.name}`,
      [
        ["Description", i.description],
        ["Size", `${humanBytes(i.size)} (${humanCount(i.size)} bytes)`],
        ["Modification Time", humanTime(i.mtime)],
        ["Chunks", humanCount(i.chunks)],
        ["Digest", i.digest],
        ["Link", link ? `${link.bucket}${link.name ? ` > ${link.name}` : ""}` : undefined],
        ["Deleted", i.deleted ? "true" : undefined],
        ["Headers", headersObject(i.headers) ? Object.entries(headersObject(i.headers)!).map(([k, v]) => `${k}: ${v.join(", ")}`).join("; ") : undefined],
        ["Metadata", metadataText(i.metadata)],
      ],
    ],
  ];
}

function bucketSections(st: ObjectStoreStatus): InfoSection[] {
  return [
    [
      `Object Store bucket ${st.bucket} created ${humanTime(st.streamInfo.created)}`,
      [
        ["Description", st.description],
        ["Replicas", st.replicas],
        ["Storage", st.storage],
        ["TTL", st.ttl > 0 ? humanDuration(st.ttl) : "unlimited"],
        ["Maximum Size", (st.streamInfo.config.max_bytes ?? -1) > 0 ? humanBytes(st.streamInfo.config.max_bytes!) : "unlimited"],
        ["Sealed", yesNo(st.sealed)],
        ["Compressed", yesNo(st.compression)],
        ["Size", humanBytes(st.size)],
        ["Backing Stream", st.streamInfo.config.name],
        ["Metadata", metadataText(st.metadata)],
      ],
    ],
  ];
}

/** Counts the bytes going through (for the progress bar). */
function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

export function registerObj(program: Command): void {
  const obj = program.command("obj").alias("object").description("Object Store buckets: add, put and get files, list, watch");

  obj
    .command("add")
    .description("Add an object store bucket")
    .argument("<bucket>", "bucket name")
    .option("--ttl <duration>", "objects expire after this long")
    .option("--replicas <n>", "number of replicas", "1")
    .option("--storage <type>", "file or memory", "file")
    .option("--max-bucket-size <size>", "maximum size of the bucket")
    .option("--description <text>", "what the bucket is for")
    .option("--compress", "compress the stored data (nats-server 2.10+)")
    .option("--metadata <key=value>", "metadata entry (repeatable)", collect)
    .action(
      action({}, async (s, name: string) => {
        const o = s.opts;
        if (!["file", "memory"].includes(o.storage)) throw new UsageError(`invalid --storage "${o.storage}": want file or memory`);
        const opts: ObjectStoreOptions = { replicas: parseInteger(o.replicas, "--replicas", 1), storage: o.storage };
        if (o.ttl) opts.ttl = parseDuration(o.ttl, "--ttl");
        if (o.maxBucketSize) opts.max_bytes = parseSize(o.maxBucketSize, "--max-bucket-size");
        if (o.description) opts.description = o.description;
        if (o.compress) opts.compression = true;
        const md = parseKeyValues(o.metadata);
        if (md) opts.metadata = md;
        const os = await (await objm(s)).create(name, opts);
        const st = await os.status();
        if (s.json) return printJson({ ...st, streamInfo: undefined });
        note(`Bucket ${name} was created\n`);
        printInfo(bucketSections(st));
      }),
    );

  obj
    .command("put")
    .description("Store a file (or standard input with --name) as an object")
    .argument("<bucket>", "bucket name")
    .argument("[file]", "file to store (default: standard input)")
    .option("--name <name>", "object name (default: the file's name)")
    .option("--description <text>", "object description")
    .option("-H, --header <key:value>", "add a header (repeatable)", collect)
    .option("--metadata <key=value>", "metadata entry (repeatable)", collect)
    .option("--chunk-size <size>", "chunk size (default 128KiB)")
    .option("--no-progress", "do not draw a progress bar")
    .action(
      action({ longRunning: true }, async (s, bucket: string, file?: string) => {
        const name = (s.opts.name as string | undefined) ?? (file ? basename(file) : undefined);
        if (!name) throw new UsageError("give --name when reading the object from standard input");
        const size = file ? (await stat(file)).size : 0;
        const h = parseHeaderFlags(s.opts.header);
        const meta: Parameters<Awaited<ReturnType<typeof store>>["put"]>[0] = { name };
        if (s.opts.description) meta.description = s.opts.description;
        if (h.length) {
          const hdrs = makeHeaders();
          for (const [k, v] of h) hdrs.append(k, v);
          meta.headers = hdrs;
        }
        const md = parseKeyValues(s.opts.metadata);
        if (md) meta.metadata = md;
        if (s.opts.chunkSize) meta.options = { max_chunk_size: parseSize(s.opts.chunkSize, "--chunk-size") };
        const os = await store(s, bucket);
        const bar = progressBar({ label: `put ${name}`, total: size, enabled: Boolean(file) && wantProgress(s.opts), unit: "bytes" });
        const input = file ? createReadStream(file, { highWaterMark: 128 * 1024 }) : process.stdin;
        const source = input.pipe(counter((n) => bar.increment(n)));
        const started = performance.now();
        let info: ObjectInfo;
        try {
          info = await os.put(meta, source as AsyncIterable<Uint8Array>, { signal: s.signal });
        } finally {
          bar.stop();
        }
        const secs = (performance.now() - started) / 1000;
        if (s.json) return printJson(infoJson(info));
        note(`${clock()} Stored ${humanBytes(info.size)} in ${humanDuration(secs * 1000)} (${humanBytes(Math.round(info.size / Math.max(secs, 1e-3)))}/s)\n`);
        printInfo(objectSections(info));
      }),
    );

  obj
    .command("get")
    .description("Read an object into a file (its name in the current directory by default; - for standard output)")
    .argument("<bucket>", "bucket name")
    .argument("<name>", "object name")
    .option("-O, --output <file>", "where to write it; - is standard output")
    .option("--no-progress", "do not draw a progress bar")
    .action(
      action({ longRunning: true }, async (s, bucket: string, name: string) => {
        const os = await store(s, bucket);
        const r = await os.get(name, { signal: s.signal });
        if (!r) throw new CliError("OBJECT_NOT_FOUND", `no object ${bucket} > ${name}`, "list the objects with `tsnats obj ls BUCKET`");
        const out = (s.opts.output as string | undefined) ?? basename(name);
        const toStdout = out === "-";
        const bar = progressBar({ label: `get ${name}`, total: r.info.size, enabled: !toStdout && wantProgress(s.opts), unit: "bytes" });
        const started = performance.now();
        try {
          await pipeline(r.readable(), counter((n) => bar.increment(n)), toStdout ? process.stdout : createWriteStream(out));
          const err = await r.error;
          if (err) throw err;
        } finally {
          bar.stop();
        }
        if (toStdout) return;
        const secs = (performance.now() - started) / 1000;
        if (s.json) return printJson({ ...infoJson(r.info), file: out });
        note(`${clock()} Wrote ${humanBytes(r.info.size)} to ${out} in ${humanDuration(secs * 1000)}`);
      }),
    );

  obj
    .command("ls")
    .alias("list")
    .description("List the buckets, or the objects of a bucket")
    .argument("[bucket]", "list this bucket's objects")
    .option("-n, --names", "print only the names")
    .action(
      action({}, async (s, bucket?: string) => {
        if (bucket) {
          const list = (await (await store(s, bucket)).list()).sort((a, b) => a.name.localeCompare(b.name));
          if (s.json) return printJson(s.opts.names ? list.map((i) => i.name) : list.map(infoJson));
          if (s.opts.names) return list.forEach((i) => console.log(i.name));
          if (!list.length) return console.log(`No objects in bucket ${bucket}`);
          printTable(
            ["Name", "Size", "Time"],
            list.map((i) => [i.name, humanBytes(i.size), humanTime(i.mtime).replace(/ \(.*$/, "")]),
            { title: `Bucket ${bucket} (${plural(list.length, "object")})`, align: ["left", "right", "left"] },
          );
          return;
        }
        const all: ObjectStoreStatus[] = [];
        for await (const st of (await objm(s)).list()) all.push(st);
        all.sort((a, b) => a.bucket.localeCompare(b.bucket));
        if (s.json) return printJson(s.opts.names ? all.map((x) => x.bucket) : all.map((x) => ({ ...x, streamInfo: undefined })));
        if (s.opts.names) return all.forEach((x) => console.log(x.bucket));
        if (!all.length) return console.log("No Object Store buckets found");
        printTable(
          ["Bucket", "Description", "Created", "Size", "Sealed"],
          all.map((x) => [x.bucket, x.description ?? "", humanTime(x.streamInfo.created).replace(/ \(.*$/, ""), humanBytes(x.size), yesNo(x.sealed)]),
          { title: `Object Store buckets (${all.length})`, align: ["left", "left", "left", "right", "left"] },
        );
      }),
    );

  obj
    .command("info")
    .description("Show a bucket's state, or an object's information")
    .argument("<bucket>", "bucket name")
    .argument("[name]", "object name")
    .action(
      action({}, async (s, bucket: string, name?: string) => {
        const os = await store(s, bucket);
        if (!name) {
          const st = await os.status();
          return s.json ? printJson({ ...st, streamInfo: undefined }) : printInfo(bucketSections(st));
        }
        const i = await os.info(name);
        if (!i) throw new CliError("OBJECT_NOT_FOUND", `no object ${bucket} > ${name}`, "list the objects with `tsnats obj ls BUCKET`");
        if (s.json) printJson(infoJson(i));
        else printInfo(objectSections(i));
      }),
    );

  obj
    .command("rm")
    .alias("del")
    .description("Remove an object, or the whole bucket when no name is given")
    .argument("<bucket>", "bucket name")
    .argument("[name]", "object name")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, bucket: string, name?: string) => {
        const m = await objm(s);
        const os = await m.open(bucket);
        if (name) {
          if (!(await os.info(name))) throw new CliError("OBJECT_NOT_FOUND", `no object ${bucket} > ${name}`);
          await confirm(s, `Really remove the object ${bucket} > ${name}?`);
          await os.delete(name);
          return s.json ? printJson({ bucket, name, deleted: true }) : console.log(`Removed ${bucket} > ${name}`);
        }
        await confirm(s, `Really remove the bucket ${bucket} and all its objects?`);
        await m.delete(bucket);
        if (s.json) printJson({ bucket, deleted: true });
        else console.log(`Bucket ${bucket} was removed`);
      }),
    );

  obj
    .command("seal")
    .description("Seal a bucket: no more changes are accepted")
    .argument("<bucket>", "bucket name")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, bucket: string) => {
        const os = await store(s, bucket);
        await confirm(s, `Really seal the bucket ${bucket}? This cannot be undone`);
        const st = await os.seal();
        if (s.json) printJson({ ...st, streamInfo: undefined });
        else console.log(`Bucket ${bucket} was sealed`);
      }),
    );

  obj
    .command("watch")
    .description("Print changes to a bucket as they happen")
    .argument("<bucket>", "bucket name")
    .option("--history", "start with the current objects")
    .option("--count <n>", "exit after this many changes")
    .action(
      action({ longRunning: true }, async (s, bucket: string) => {
        const max = s.opts.count !== undefined ? parseInteger(s.opts.count, "--count", 1) : Infinity;
        const os = await store(s, bucket);
        const w = await os.watch({ includeHistory: Boolean(s.opts.history), updatesOnly: !s.opts.history });
        s.signal.addEventListener("abort", () => void w.stop(), { once: true });
        if (!s.json) note(`${clock()} Watching bucket ${bucket}`);
        let n = 0;
        for await (const i of w) {
          n++;
          if (s.json) printJsonLine(infoJson(i));
          else console.log(`[${humanTime(i.mtime).replace(/ \(.*$/, "")}] ${i.deleted ? "DEL" : "PUT"} ${bucket} > ${i.name}${i.deleted ? "" : `: ${humanBytes(i.size)} in ${i.chunks} chunks`}`);
          if (n >= max) break;
        }
        await w.stop();
      }),
    );
}
