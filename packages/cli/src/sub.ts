// `tsnats sub SUBJECT...`: print messages as they arrive; with --stream, read a stream through an
// ordered consumer (deliver options --all, --new, --last, --last-per-subject, --since, --start-seq).
import type { Command } from "commander";
import { createInbox, type Msg, type MsgHdrs } from "tsnats";
import type { DeliverPolicy, JsMsg, OrderedConsumerOptions } from "tsnats/jetstream";
import { UsageError, bodyFields, clock, headersObject, note, printJsonLine, plural } from "./output.js";
import { action, type Session } from "./options.js";
import { parseDuration, parseInteger } from "./util.js";

interface SubFlags {
  queue?: string;
  count?: string;
  headersOnly?: boolean;
  raw?: boolean;
  json?: boolean;
  stream?: string;
  all?: boolean;
  new?: boolean;
  last?: boolean;
  lastPerSubject?: boolean;
  since?: string;
  startSeq?: string;
  inbox?: boolean;
}

/** What one printed message has, core or JetStream. */
export interface Printable {
  subject: string;
  reply?: string;
  data: Uint8Array;
  headers?: MsgHdrs;
  stream?: string;
  seq?: number;
  time?: Date;
  pending?: number;
}

/** Prints a message the way sub, consumer next and stream view do. */
export function printMessage(m: Printable, n: number, f: { raw?: boolean; json?: boolean; headersOnly?: boolean }): void {
  if (f.json) {
    printJsonLine({
      subject: m.subject,
      reply: m.reply || undefined,
      stream: m.stream,
      seq: m.seq,
      time: m.time?.toISOString(),
      headers: headersObject(m.headers),
      ...(f.headersOnly ? {} : bodyFields(m.data)),
    });
    return;
  }
  if (f.raw) {
    if (f.headersOnly) printHeaders(m.headers);
    else process.stdout.write(`${Buffer.from(m.data).toString("utf8")}\n`);
    return;
  }
  const where = m.stream ? ` (stream ${m.stream} sequence ${m.seq}${m.time ? `, ${m.time.toISOString()}` : ""})` : "";
  const reply = m.reply ? ` with reply "${m.reply}"` : "";
  const lines = [`[#${n}] Received on "${m.subject}"${reply}${where}`];
  const h = m.headers;
  if (h) {
    if (h.code) lines.push(`${h.code} ${h.description}`.trim());
    for (const k of h.keys()) for (const v of h.values(k)) lines.push(`${k}: ${v}`);
  }
  if (!f.headersOnly) {
    lines.push("");
    lines.push(m.data.length ? Buffer.from(m.data).toString("utf8") : "nil body");
  }
  process.stdout.write(`${lines.join("\n")}\n\n`);
}

function printHeaders(h: MsgHdrs | undefined): void {
  if (!h) return;
  for (const k of h.keys()) for (const v of h.values(k)) process.stdout.write(`${k}: ${v}\n`);
}

/** The server removes the CLI's ordered consumers this long after the command ends. */
export const ORDERED_INACTIVE_MS = 5000;

export function fromJsMsg(m: JsMsg): Printable {
  return {
    subject: m.subject,
    data: m.data,
    headers: m.headers,
    stream: m.info.stream,
    seq: m.seq,
    time: new Date(Number(m.info.timestampNanos / 1_000_000n)),
    pending: m.info.pending,
  };
}

/** Deliver options shared by `sub --stream` and `stream view`. */
export function deliverOptions(f: SubFlags): Pick<OrderedConsumerOptions, "deliver_policy" | "opt_start_seq" | "opt_start_time"> {
  const chosen = [f.all, f.new, f.last, f.lastPerSubject, f.since !== undefined, f.startSeq !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new UsageError("choose one of --all, --new, --last, --last-per-subject, --since, --start-seq");
  if (f.startSeq !== undefined) return { deliver_policy: "by_start_sequence", opt_start_seq: parseInteger(f.startSeq, "--start-seq", 1) };
  if (f.since !== undefined) {
    const ms = parseDuration(f.since, "--since");
    return { deliver_policy: "by_start_time", opt_start_time: new Date(Date.now() - ms).toISOString() };
  }
  const policy: DeliverPolicy = f.new ? "new" : f.last ? "last" : f.lastPerSubject ? "last_per_subject" : "all";
  return { deliver_policy: policy };
}

export function addDeliverOptions(cmd: Command): Command {
  return cmd
    .option("--all", "deliver every message of the stream (the default)")
    .option("--new", "deliver only messages that arrive from now on")
    .option("--last", "deliver the last message of the stream, then new ones")
    .option("--last-per-subject", "deliver the last message of each subject, then new ones")
    .option("--since <duration>", "deliver messages stored in the last DURATION (e.g. 1h)")
    .option("--start-seq <seq>", "deliver from this stream sequence on");
}

export function registerSub(program: Command): void {
  const cmd = program
    .command("sub")
    .alias("subscribe")
    .description("Subscribe to subjects and print the messages; with --stream, read a stream in order")
    .argument("[subjects...]", "subjects to subscribe to (wildcards * and > allowed)")
    .option("--queue <group>", "join this queue group")
    .option("--count <n>", "exit after this many messages")
    .option("--headers-only", "print only the headers")
    .option("-r, --raw", "print only the message bodies")
    .option("--inbox", "subscribe to a new unique inbox subject (printed)")
    .option("--stream <name>", "read this JetStream stream through an ordered consumer (subjects filter it)");
  addDeliverOptions(cmd).action(
    action({ longRunning: true }, async (s, subjects: string[]) => {
      const f = s.opts as SubFlags;
      const max = f.count !== undefined ? parseInteger(f.count, "--count", 1) : Infinity;
      if (f.stream) return subscribeStream(s, f, subjects, max);
      const nc = await s.nc({ maxReconnectAttempts: -1 });
      const list = f.inbox ? [createInbox(s.settings.inboxPrefix)] : subjects;
      if (!list.length) throw new UsageError("give at least one subject to subscribe to (or --inbox, or --stream)");
      let n = 0;
      let finish!: () => void;
      const done = new Promise<void>((resolve) => (finish = resolve));
      s.signal.addEventListener("abort", () => finish(), { once: true });
      let closedBy: Error | undefined;
      void nc.closed().then((e) => {
        closedBy = e;
        finish();
      });
      const onMsg = (err: Error | null, m: Msg): void => {
        if (err) {
          note(`${clock()} ${(err as { code?: string }).code ?? "ERROR"}: ${err.message}`);
          return;
        }
        if (n >= max) return;
        n++;
        printMessage({ subject: m.subject, reply: m.reply, data: m.data, headers: m.headers }, n, f);
        if (n >= max) finish();
      };
      const subs = list.map((subj) => nc.subscribe(subj, { ...(f.queue ? { queue: f.queue } : {}), callback: onMsg }));
      await nc.flush();
      note(`${clock()} Subscribing on ${list.join(", ")}${f.queue ? ` in queue group ${f.queue}` : ""}${max < Infinity ? ` (${plural(max, "message")})` : ""}`);
      await done;
      for (const sub of subs) sub.unsubscribe();
      if (closedBy) throw closedBy;
    }),
  );
}

async function subscribeStream(s: Session, f: SubFlags, subjects: string[], max: number): Promise<void> {
  const stream = f.stream!;
  const js = await s.js();
  const jsm = await s.jsm();
  await jsm.streams.info(stream); // a missing stream fails here, with STREAM_NOT_FOUND
  const opts: OrderedConsumerOptions = { ...deliverOptions(f), inactive_threshold: ORDERED_INACTIVE_MS };
  if (subjects.length) opts.filter_subjects = subjects;
  if (f.headersOnly) opts.headers_only = true;
  const c = await js.consumers.get(stream, opts);
  const messages = await c.consume({ max_messages: Math.min(max, 256) });
  s.signal.addEventListener("abort", () => void messages.stop(), { once: true });
  note(`${clock()} Reading stream ${stream}${subjects.length ? ` (subjects ${subjects.join(", ")})` : ""} with an ordered consumer`);
  let n = 0;
  for await (const m of messages) {
    n++;
    printMessage(fromJsMsg(m), n, f);
    if (n >= max) break;
  }
}
