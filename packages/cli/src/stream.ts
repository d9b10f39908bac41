// `tsnats stream add|info|ls|edit|rm|purge|get|rmm|view`: JetStream streams.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { StoredMsg, StreamConfig, StreamInfo, StreamSource } from "tsnats/jetstream";
import {
  CliError,
  UsageError,
  ago,
  bodyFields,
  headersObject,
  humanBytes,
  humanCount,
  humanDuration,
  humanTime,
  note,
  printInfo,
  printJson,
  printTable,
  yesNo,
  metadataText,
  plural,
  type InfoSection,
} from "./output.js";
import { action, confirm, type Session } from "./options.js";
import { ORDERED_INACTIVE_MS, addDeliverOptions, deliverOptions, fromJsMsg, printMessage } from "./sub.js";
import { collect, parseDuration, parseInteger, parseKeyValues, parseSize } from "./util.js";

/** Flags shared by `stream add` and `stream edit`. */
interface StreamFlags {
  subjects?: string[];
  description?: string;
  storage?: string;
  retention?: string;
  replicas?: string;
  discard?: string;
  maxMsgs?: string;
  maxBytes?: string;
  maxAge?: string;
  maxMsgSize?: string;
  maxMsgsPerSubject?: string;
  maxConsumers?: string;
  dupeWindow?: string;
  allowRollup?: boolean;
  denyDelete?: boolean;
  denyPurge?: boolean;
  allowDirect?: boolean;
  allowMsgTtl?: boolean;
  allowCounter?: boolean;
  allowBatch?: boolean;
  allowSchedules?: boolean;
  discardPerSubject?: boolean;
  markerTtl?: string;
  compression?: string;
  metadata?: string[];
  mirror?: string;
  source?: string[];
  config?: string;
}

function addStreamFlags(cmd: Command): Command {
  return cmd
    .option("--subjects <subjects>", "subjects the stream stores, comma-separated (repeatable)", collect)
    .option("--description <text>", "what the stream is for")
    .option("--storage <type>", "file or memory")
    .option("--retention <policy>", "limits, interest or workqueue")
    .option("--replicas <n>", "number of replicas in a cluster")
    .option("--discard <policy>", "when full, discard the old messages or refuse new ones: old or new")
    .option("--max-msgs <n>", "maximum number of messages (-1 unlimited)")
    .option("--max-bytes <size>", "maximum size of the stream, e.g. 1GB (-1 unlimited)")
    .option("--max-age <duration>", "maximum age of a message, e.g. 1h, 7d (0 unlimited)")
    .option("--max-msg-size <size>", "largest message accepted (-1 unlimited)")
    .option("--max-msgs-per-subject <n>", "messages kept per subject (-1 unlimited)")
    .option("--max-consumers <n>", "maximum number of consumers (-1 unlimited)")
    .option("--dupe-window <duration>", "window for duplicate detection by message id, e.g. 2m")
    .option("--allow-rollup", "allow Nats-Rollup headers to purge subjects")
    .option("--deny-delete", "refuse deleting messages")
    .option("--deny-purge", "refuse purging the stream")
    .option("--allow-direct", "allow direct get from any replica")
    .option("--allow-msg-ttl", "allow per-message TTLs (nats-server 2.11+)")
    .option("--allow-counter", "make this a counter stream (nats-server 2.12+)")
    .option("--allow-batch", "allow atomic batch publishing (nats-server 2.12+)")
    .option("--allow-schedules", "allow scheduled messages (nats-server 2.12+)")
    .option("--discard-per-subject", "with --discard new, apply the limit per subject")
    .option("--marker-ttl <duration>", "leave delete markers for expired messages, kept this long (2.11+)")
    .option("--compression <algorithm>", "s2 or none (nats-server 2.10+)")
    .option("--metadata <key=value>", "metadata entry (repeatable)", collect)
    .option("--mirror <stream>", "mirror this stream (no subjects then)")
    .option("--source <stream>", "take messages from this stream too (repeatable)", collect)
    .option("--config <file>", "read the configuration from a JSON file (flags override it)");
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], flag: string, aliases: Record<string, T> = {}): T | undefined {
  if (v === undefined) return undefined;
  const x = (aliases[v.toLowerCase()] ?? v.toLowerCase()) as T;
  if (!allowed.includes(x)) throw new UsageError(`invalid ${flag} "${v}": want one of ${allowed.join(", ")}`);
  return x;
}

/** The configuration fields set by flags (only those given). */
function configFromFlags(f: StreamFlags): Partial<StreamConfig> {
  const c: Partial<StreamConfig> = {};
  if (f.config) {
    try {
      Object.assign(c, JSON.parse(readFileSync(f.config, "utf8")) as Partial<StreamConfig>);
    } catch (err) {
      throw new UsageError(`cannot read --config ${f.config}: ${(err as Error).message}`);
    }
  }
  if (f.subjects) c.subjects = f.subjects.flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
  if (f.description !== undefined) c.description = f.description;
  const storage = oneOf(f.storage, ["file", "memory"] as const, "--storage", { mem: "memory" });
  if (storage) c.storage = storage;
  const retention = oneOf(f.retention, ["limits", "interest", "workqueue"] as const, "--retention", { work: "workqueue", wq: "workqueue", limit: "limits" });
  if (retention) c.retention = retention;
  if (f.replicas !== undefined) c.num_replicas = parseInteger(f.replicas, "--replicas", 1);
  const discard = oneOf(f.discard, ["old", "new"] as const, "--discard");
  if (discard) c.discard = discard;
  if (f.maxMsgs !== undefined) c.max_msgs = parseInteger(f.maxMsgs, "--max-msgs", -1);
  if (f.maxBytes !== undefined) c.max_bytes = parseSize(f.maxBytes, "--max-bytes");
  if (f.maxAge !== undefined) c.max_age = parseDuration(f.maxAge, "--max-age");
  if (f.maxMsgSize !== undefined) c.max_msg_size = parseSize(f.maxMsgSize, "--max-msg-size");
  if (f.maxMsgsPerSubject !== undefined) c.max_msgs_per_subject = parseInteger(f.maxMsgsPerSubject, "--max-msgs-per-subject", -1);
  if (f.maxConsumers !== undefined) c.max_consumers = parseInteger(f.maxConsumers, "--max-consumers", -1);
  if (f.dupeWindow !== undefined) c.duplicate_window = parseDuration(f.dupeWindow, "--dupe-window");
  if (f.allowRollup) c.allow_rollup_hdrs = true;
  if (f.denyDelete) c.deny_delete = true;
  if (f.denyPurge) c.deny_purge = true;
  if (f.allowDirect) c.allow_direct = true;
  if (f.allowMsgTtl) c.allow_msg_ttl = true;
  if (f.allowCounter) c.allow_msg_counter = true;
  if (f.allowBatch) c.allow_atomic = true;
  if (f.allowSchedules) c.allow_msg_schedules = true;
  if (f.discardPerSubject) c.discard_new_per_subject = true;
  if (f.markerTtl !== undefined) c.subject_delete_marker_ttl = parseDuration(f.markerTtl, "--marker-ttl");
  const compression = oneOf(f.compression, ["s2", "none"] as const, "--compression");
  if (compression) c.compression = compression;
  const md = parseKeyValues(f.metadata);
  if (md) c.metadata = md;
  if (f.mirror) c.mirror = { name: f.mirror };
  if (f.source?.length) c.sources = f.source.map((name): StreamSource => ({ name }));
  return c;
}

const cap = (s: string | undefined): string | undefined => (s ? s[0]!.toUpperCase() + s.slice(1) : s);
const limit = (n: number | undefined, fmt: (n: number) => string = humanCount): string => (n === undefined || n <= 0 ? "unlimited" : fmt(n));

/** The sections of `stream info`. */
export function streamInfoSections(si: StreamInfo): InfoSection[] {
  const c = si.config;
  const st = si.state;
  const sections: InfoSection[] = [
    [
      `Information for stream ${c.name} created ${humanTime(si.created)}`,
      [
        ["Description", c.description],
        ["Subjects", c.subjects?.join(", ")],
        ["Replicas", c.num_replicas ?? 1],
        ["Storage", cap(c.storage)],
        ["Compression", c.compression && c.compression !== "none" ? c.compression : undefined],
        ["Metadata", metadataText(c.metadata)],
        ["Mirror", c.mirror ? c.mirror.name : undefined],
        ["Sources", c.sources?.length ? c.sources.map((x) => x.name).join(", ") : undefined],
      ],
    ],
    [
      "Options",
      [
        ["Retention", cap(c.retention)],
        ["Acknowledgments", yesNo(!c.no_ack)],
        ["Discard Policy", cap(c.discard)],
        ["Duplicate Window", c.duplicate_window ? humanDuration(c.duplicate_window) : undefined],
        ["Direct Get", yesNo(c.allow_direct)],
        ["Allows Msg Delete", yesNo(!c.deny_delete)],
        ["Allows Purge", yesNo(!c.deny_purge)],
        ["Allows Rollups", yesNo(c.allow_rollup_hdrs)],
        ["Allows Per-Message TTL", c.allow_msg_ttl ? "true" : undefined],
        ["Counter", c.allow_msg_counter ? "true" : undefined],
        ["Atomic Batches", c.allow_atomic ? "true" : undefined],
        ["Schedules", c.allow_msg_schedules ? "true" : undefined],
        ["Sealed", c.sealed ? "true" : undefined],
      ],
    ],
    [
      "Limits",
      [
        ["Maximum Messages", limit(c.max_msgs)],
        ["Maximum Per Subject", limit(c.max_msgs_per_subject)],
        ["Maximum Bytes", limit(c.max_bytes, humanBytes)],
        ["Maximum Age", limit(c.max_age, humanDuration)],
        ["Maximum Message Size", limit(c.max_msg_size, humanBytes)],
        ["Maximum Consumers", limit(c.max_consumers)],
      ],
    ],
  ];
  if (si.cluster?.name) {
    sections.push([
      "Cluster Information",
      [
        ["Name", si.cluster.name],
        ["Leader", si.cluster.leader],
        ...(si.cluster.replicas ?? []).map((r): [string, unknown] => ["Replica", `${r.name}, ${r.current ? "current" : "outdated"}${r.offline ? ", OFFLINE" : ""}, seen ${humanDuration(r.active / 1e6)} ago`]),
      ],
    ]);
  }
  sections.push([
    "State",
    [
      ["Messages", humanCount(st.messages)],
      ["Bytes", humanBytes(st.bytes)],
      ["First Sequence", st.first_ts && st.messages ? `${humanCount(st.first_seq)} @ ${humanTime(st.first_ts)}` : humanCount(st.first_seq)],
      ["Last Sequence", st.last_ts && st.last_seq ? `${humanCount(st.last_seq)} @ ${humanTime(st.last_ts)}` : humanCount(st.last_seq)],
      ["Deleted Messages", st.num_deleted ? humanCount(st.num_deleted) : undefined],
      ["Active Consumers", humanCount(st.consumer_count)],
      ["Number of Subjects", st.num_subjects !== undefined ? humanCount(st.num_subjects) : undefined],
    ],
  ]);
  return sections;
}

function showStream(s: Session, si: StreamInfo): void {
  if (s.json) printJson(si);
  else printInfo(streamInfoSections(si));
}

/** Prints a stored message (stream get, kv get --raw uses its own). */
function printStored(s: Session, stream: string, m: StoredMsg, raw: boolean): void {
  if (s.json) {
    printJson({ stream, subject: m.subject, seq: m.seq, time: m.time.toISOString(), headers: headersObject(m.headers), ...bodyFields(m.data) });
    return;
  }
  if (raw) {
    process.stdout.write(Buffer.from(m.data));
    if (process.stdout.isTTY) process.stdout.write("\n");
    return;
  }
  const lines = [`Item: ${stream}#${m.seq} received ${humanTime(m.time)} on subject ${m.subject}`, ""];
  if (m.headers) {
    lines.push("Headers:");
    for (const k of m.headers.keys()) for (const v of m.headers.values(k)) lines.push(`  ${k}: ${v}`);
    lines.push("");
  }
  lines.push(m.data.length ? Buffer.from(m.data).toString("utf8") : "nil body");
  console.log(lines.join("\n"));
}

export function registerStream(program: Command): void {
  const stream = program.command("stream").alias("str").description("JetStream streams: add, inspect, edit, purge, read and remove");

  addStreamFlags(stream.command("add").alias("create").description("Add a stream (defaults: file storage, limits retention, subjects = the name)").argument("<name>", "stream name")).action(
    action({}, async (s, name: string) => {
      const flags = configFromFlags(s.opts as StreamFlags);
      const cfg: StreamConfig = { storage: "file", retention: "limits", discard: "old", num_replicas: 1, ...flags, name };
      if (!cfg.subjects?.length && !cfg.mirror && !cfg.sources?.length) cfg.subjects = [name];
      const jsm = await s.jsm();
      const si = await jsm.streams.add(cfg);
      if (!s.json) note(`Stream ${name} was created\n`);
      showStream(s, si);
    }),
  );

  stream
    .command("info")
    .description("Show a stream's configuration and state")
    .argument("<name>", "stream name")
    .option("--subjects", "also list the subjects and their message counts")
    .action(
      action({}, async (s, name: string) => {
        const jsm = await s.jsm();
        const si = await jsm.streams.info(name, s.opts.subjects ? { subjects_filter: ">" } : undefined);
        showStream(s, si);
        if (!s.json && s.opts.subjects && si.state.subjects) {
          console.log("");
          printTable(["Subject", "Messages"], Object.entries(si.state.subjects).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, humanCount(v)]), { align: ["left", "right"] });
        }
      }),
    );

  stream
    .command("ls")
    .alias("list")
    .description("List the streams")
    .option("--subject <filter>", "only streams that store this subject")
    .option("-n, --names", "print only the names")
    .action(
      action({}, async (s) => {
        const jsm = await s.jsm();
        const infos: StreamInfo[] = [];
        for await (const si of jsm.streams.list(s.opts.subject as string | undefined)) infos.push(si);
        infos.sort((a, b) => a.config.name.localeCompare(b.config.name));
        if (s.json) return printJson(s.opts.names ? infos.map((i) => i.config.name) : infos);
        if (s.opts.names) return infos.forEach((i) => console.log(i.config.name));
        if (!infos.length) return console.log("No streams defined");
        printTable(
          ["Name", "Description", "Created", "Messages", "Size", "Last Message"],
          infos.map((i) => [i.config.name, i.config.description ?? "", humanTime(i.created).replace(/ \(.*$/, ""), humanCount(i.state.messages), humanBytes(i.state.bytes), i.state.messages ? ago(i.state.last_ts) : "never"]),
          { title: `Streams (${infos.length})`, align: ["left", "left", "left", "right", "right", "right"] },
        );
      }),
    );

  addStreamFlags(stream.command("edit").alias("update").description("Change a stream's configuration: only the flags given are changed").argument("<name>", "stream name")).action(
    action({}, async (s, name: string) => {
      const changes = configFromFlags(s.opts as StreamFlags);
      if (!Object.keys(changes).length) throw new UsageError("nothing to change: give the settings to change, e.g. --max-age 1h");
      const jsm = await s.jsm();
      const si = await jsm.streams.update(name, changes);
      if (!s.json) note(`Stream ${name} was updated\n`);
      showStream(s, si);
    }),
  );

  stream
    .command("rm")
    .alias("delete")
    .description("Remove a stream and all its messages")
    .argument("<name>", "stream name")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, name: string) => {
        const jsm = await s.jsm();
        await jsm.streams.info(name);
        await confirm(s, `Really remove the stream ${name} and all its messages?`);
        await jsm.streams.delete(name);
        if (s.json) printJson({ stream: name, deleted: true });
        else console.log(`Stream ${name} was removed`);
      }),
    );

  stream
    .command("purge")
    .description("Remove messages from a stream (all of them by default)")
    .argument("<name>", "stream name")
    .option("--subject <subject>", "only messages on this subject")
    .option("--seq <n>", "only messages before this sequence")
    .option("--keep <n>", "keep this many of the newest messages")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, name: string) => {
        const req: { filter?: string; seq?: number; keep?: number } = {};
        if (s.opts.subject) req.filter = s.opts.subject;
        if (s.opts.seq !== undefined) req.seq = parseInteger(s.opts.seq, "--seq", 1);
        if (s.opts.keep !== undefined) req.keep = parseInteger(s.opts.keep, "--keep", 0);
        if (req.seq !== undefined && req.keep !== undefined) throw new UsageError("give --seq or --keep, not both");
        const jsm = await s.jsm();
        await jsm.streams.info(name);
        await confirm(s, `Really purge the stream ${name}?`);
        const r = await jsm.streams.purge(name, req);
        if (s.json) printJson({ stream: name, purged: r.purged });
        else console.log(`Purged ${plural(r.purged, "message")} from stream ${name}`);
      }),
    );

  stream
    .command("get")
    .description("Read one message of a stream by sequence, or the last one of a subject")
    .argument("<name>", "stream name")
    .argument("[seq]", "stream sequence")
    .option("--last-for <subject>", "the last message stored on this subject")
    .option("-r, --raw", "print only the body")
    .action(
      action({}, async (s, name: string, seq?: string) => {
        if ((seq === undefined) === (s.opts.lastFor === undefined)) throw new UsageError("give a sequence or --last-for SUBJECT");
        const jsm = await s.jsm();
        const query = seq !== undefined ? { seq: parseInteger(seq, "sequence", 1) } : { last_by_subj: s.opts.lastFor as string };
        const m = await jsm.streams.getMessage(name, query);
        if (!m) {
          throw new CliError("MESSAGE_NOT_FOUND", seq !== undefined ? `stream ${name} has no message ${seq}` : `stream ${name} has no message on ${s.opts.lastFor}`);
        }
        printStored(s, name, m, Boolean(s.opts.raw));
      }),
    );

  stream
    .command("rmm")
    .description("Remove one message of a stream")
    .argument("<name>", "stream name")
    .argument("<seq>", "stream sequence")
    .option("--no-erase", "only mark it deleted, do not overwrite its data")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, name: string, seqText: string) => {
        const seq = parseInteger(seqText, "sequence", 1);
        const jsm = await s.jsm();
        await confirm(s, `Really remove message ${seq} from stream ${name}?`);
        await jsm.streams.deleteMessage(name, seq, s.opts.erase !== false);
        if (s.json) printJson({ stream: name, seq, deleted: true });
        else console.log(`Removed message ${seq} from stream ${name}`);
      }),
    );

  addDeliverOptions(
    stream
      .command("view")
      .description("Print a stream's messages in order (the first 10 by default)")
      .argument("<name>", "stream name")
      .option("--subject <subject>", "only messages on this subject")
      .option("--count <n>", "how many messages to print", "10")
      .option("-r, --raw", "print only the bodies"),
  ).action(
    action({ longRunning: true }, async (s, name: string) => {
      const count = parseInteger(s.opts.count, "--count", 1);
      const jsm = await s.jsm();
      const si = await jsm.streams.info(name);
      const js = await s.js();
      const opts = { ...deliverOptions(s.opts), inactive_threshold: ORDERED_INACTIVE_MS, ...(s.opts.subject ? { filter_subjects: [s.opts.subject as string] } : {}) };
      if (si.state.messages === 0 && opts.deliver_policy !== "new") {
        if (!s.json) note(`Stream ${name} has no messages`);
        return;
      }
      const c = await js.consumers.get(name, opts);
      const expires = Math.max(1000, Math.min(s.settings.timeout, 2000));
      let n = 0;
      let end = false;
      while (n < count && !end && !s.signal.aborted) {
        const batch = await c.fetch({ max_messages: Math.min(count - n, 256), expires });
        const stop = (): void => void batch.stop();
        s.signal.addEventListener("abort", stop, { once: true });
        let got = 0;
        for await (const m of batch) {
          got++;
          n++;
          printMessage(fromJsMsg(m), n, { raw: Boolean(s.opts.raw), json: s.json });
          if (n >= count || (m.info.pending === 0 && opts.deliver_policy !== "new")) {
            end = m.info.pending === 0;
            break;
          }
        }
        s.signal.removeEventListener("abort", stop);
        if (!got) end = true;
      }
      if (!n && !s.json) note(`No messages${s.opts.subject ? ` on ${s.opts.subject}` : ""} in stream ${name}`);
      if (!s.json && !s.opts.raw && n >= count) note(`(${n} messages shown; --count shows more)`);
    }),
  );
}
