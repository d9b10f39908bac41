// `tsnats consumer add|info|ls|rm|next|pause|resume|unpin|reset`: JetStream consumers.
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import type { AckPolicy, ConsumerConfig, ConsumerInfo, PriorityPolicy, ReplayPolicy } from "tsnats/jetstream";
import { UsageError, ago, humanCount, humanDuration, humanTime, note, printInfo, printJson, printTable, yesNo, type InfoSection, metadataText } from "./output.js";
import { action, confirm, type Session } from "./options.js";
import { fromJsMsg, printMessage } from "./sub.js";
import { collect, parseDuration, parseInteger, parseKeyValues, parseSize } from "./util.js";

interface ConsumerFlags {
  filter?: string[];
  ack?: string;
  deliver?: string;
  replay?: string;
  target?: string;
  deliverGroup?: string;
  maxDeliver?: string;
  maxPending?: string;
  wait?: string;
  backoff?: string;
  description?: string;
  heartbeat?: string;
  flowControl?: boolean;
  inactiveThreshold?: string;
  headersOnly?: boolean;
  maxWaiting?: string;
  maxPullBatch?: string;
  maxPullExpire?: string;
  maxPullBytes?: string;
  replicas?: string;
  memory?: boolean;
  metadata?: string[];
  pause?: string;
  priorityGroups?: string[];
  priorityPolicy?: string;
  priorityTimeout?: string;
  ephemeral?: boolean;
  config?: string;
}

/** "all", "new", "last", "subject" (last per subject), a start sequence, or a duration ago. */
function deliverConfig(v: string): Partial<ConsumerConfig> {
  const x = v.toLowerCase();
  if (x === "all" || x === "new" || x === "last") return { deliver_policy: x };
  if (x === "subject" || x === "last_per_subject" || x === "last-per-subject") return { deliver_policy: "last_per_subject" };
  if (/^\d+$/.test(x)) return { deliver_policy: "by_start_sequence", opt_start_seq: parseInteger(x, "--deliver", 1) };
  const ms = parseDuration(x, "--deliver (all, new, last, subject, a sequence or a duration)");
  return { deliver_policy: "by_start_time", opt_start_time: new Date(Date.now() - ms).toISOString() };
}

/** "1h" from now, or an RFC 3339 time. */
export function parseUntil(v: string): Date {
  if (/^\d{4}-\d{2}-\d{2}/.test(v)) {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new UsageError(`invalid time "${v}"`);
    return d;
  }
  return new Date(Date.now() + parseDuration(v, "pause duration"));
}

function pick<T extends string>(v: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (v === undefined) return undefined;
  const x = v.toLowerCase().replace(/-/g, "_") as T;
  if (!allowed.includes(x)) throw new UsageError(`invalid ${flag} "${v}": want one of ${allowed.join(", ")}`);
  return x;
}

function configFromFlags(f: ConsumerFlags): ConsumerConfig {
  const c: ConsumerConfig = {};
  if (f.config) {
    try {
      Object.assign(c, JSON.parse(readFileSync(f.config, "utf8")) as ConsumerConfig);
    } catch (err) {
      throw new UsageError(`cannot read --config ${f.config}: ${(err as Error).message}`);
    }
  }
  const filters = (f.filter ?? []).flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean);
  if (filters.length === 1) c.filter_subject = filters[0];
  else if (filters.length > 1) c.filter_subjects = filters;
  const ack = pick(f.ack, ["none", "all", "explicit"] as const satisfies readonly AckPolicy[], "--ack");
  c.ack_policy = ack ?? c.ack_policy ?? "explicit";
  if (f.deliver) Object.assign(c, deliverConfig(f.deliver));
  const replay = pick(f.replay, ["instant", "original"] as const satisfies readonly ReplayPolicy[], "--replay");
  if (replay) c.replay_policy = replay;
  if (f.target) c.deliver_subject = f.target;
  if (f.deliverGroup) c.deliver_group = f.deliverGroup;
  if (f.maxDeliver !== undefined) c.max_deliver = parseInteger(f.maxDeliver, "--max-deliver", -1);
  if (f.maxPending !== undefined) c.max_ack_pending = parseInteger(f.maxPending, "--max-pending", -1);
  if (f.wait !== undefined) c.ack_wait = parseDuration(f.wait, "--wait");
  if (f.backoff) c.backoff = f.backoff.split(",").map((d) => parseDuration(d.trim(), "--backoff"));
  if (f.description !== undefined) c.description = f.description;
  if (f.heartbeat !== undefined) c.idle_heartbeat = parseDuration(f.heartbeat, "--heartbeat");
  if (f.flowControl) c.flow_control = true;
  if (f.inactiveThreshold !== undefined) c.inactive_threshold = parseDuration(f.inactiveThreshold, "--inactive-threshold");
  if (f.headersOnly) c.headers_only = true;
  if (f.maxWaiting !== undefined) c.max_waiting = parseInteger(f.maxWaiting, "--max-waiting", 0);
  if (f.maxPullBatch !== undefined) c.max_batch = parseInteger(f.maxPullBatch, "--max-pull-batch", 0);
  if (f.maxPullExpire !== undefined) c.max_expires = parseDuration(f.maxPullExpire, "--max-pull-expire");
  if (f.maxPullBytes !== undefined) c.max_bytes = parseSize(f.maxPullBytes, "--max-pull-bytes");
  if (f.replicas !== undefined) c.num_replicas = parseInteger(f.replicas, "--replicas", 0);
  if (f.memory) c.mem_storage = true;
  const md = parseKeyValues(f.metadata);
  if (md) c.metadata = md;
  if (f.pause) c.pause_until = parseUntil(f.pause).toISOString();
  if (f.priorityGroups?.length) c.priority_groups = f.priorityGroups.flatMap((g) => g.split(",")).map((g) => g.trim()).filter(Boolean);
  const pp = pick(f.priorityPolicy, ["none", "overflow", "pinned_client", "prioritized"] as const satisfies readonly PriorityPolicy[], "--priority-policy");
  if (pp) c.priority_policy = pp;
  if (f.priorityTimeout !== undefined) c.priority_timeout = parseDuration(f.priorityTimeout, "--priority-timeout");
  return c;
}

/** The sections of `consumer info`. */
export function consumerInfoSections(ci: ConsumerInfo): InfoSection[] {
  const c = ci.config;
  const push = Boolean(c.deliver_subject);
  const deliver =
    c.deliver_policy === "by_start_sequence" ? `from sequence ${c.opt_start_seq}` : c.deliver_policy === "by_start_time" ? `since ${humanTime(c.opt_start_time)}` : (c.deliver_policy ?? "all").replace(/_/g, " ");
  return [
    [
      `Information for consumer ${ci.stream_name} > ${ci.name} created ${humanTime(ci.created)}`,
      [
        ["Name", ci.name],
        ["Description", c.description],
        ["Durable", c.durable_name ? "true" : "false"],
        ["Mode", push ? "push" : "pull"],
        ["Delivery Subject", c.deliver_subject],
        ["Deliver Queue Group", c.deliver_group],
        ["Filter Subjects", c.filter_subjects?.join(", ") ?? c.filter_subject],
        ["Deliver Policy", deliver],
        ["Ack Policy", c.ack_policy],
        ["Ack Wait", c.ack_wait !== undefined ? humanDuration(c.ack_wait) : undefined],
        ["Replay Policy", c.replay_policy],
        ["Max Deliver", c.max_deliver !== undefined && c.max_deliver > 0 ? humanCount(c.max_deliver) : undefined],
        ["Backoff", c.backoff?.length ? c.backoff.map((b) => humanDuration(b)).join(", ") : undefined],
        ["Max Ack Pending", c.max_ack_pending !== undefined ? humanCount(c.max_ack_pending) : undefined],
        ["Max Waiting Pulls", !push && c.max_waiting !== undefined ? humanCount(c.max_waiting) : undefined],
        ["Max Pull Batch", c.max_batch ? humanCount(c.max_batch) : undefined],
        ["Idle Heartbeat", c.idle_heartbeat ? humanDuration(c.idle_heartbeat) : undefined],
        ["Flow Control", c.flow_control ? "true" : undefined],
        ["Inactive Threshold", c.inactive_threshold ? humanDuration(c.inactive_threshold) : undefined],
        ["Headers Only", c.headers_only ? "true" : undefined],
        ["Replicas", c.num_replicas || undefined],
        ["Memory Storage", c.mem_storage ? "true" : undefined],
        ["Priority Groups", c.priority_groups?.join(", ")],
        ["Priority Policy", c.priority_policy && c.priority_policy !== "none" ? c.priority_policy : undefined],
        ["Metadata", metadataText(c.metadata)],
      ],
    ],
    [
      "State",
      [
        ["Last Delivered Message", `consumer sequence ${humanCount(ci.delivered.consumer_seq)}, stream sequence ${humanCount(ci.delivered.stream_seq)}${ci.delivered.last_active ? `, last delivery ${ago(ci.delivered.last_active)} ago` : ""}`],
        ["Acknowledgment Floor", `consumer sequence ${humanCount(ci.ack_floor.consumer_seq)}, stream sequence ${humanCount(ci.ack_floor.stream_seq)}${ci.ack_floor.last_active ? `, last ack ${ago(ci.ack_floor.last_active)} ago` : ""}`],
        ["Outstanding Acks", `${humanCount(ci.num_ack_pending)}${c.max_ack_pending ? ` out of maximum ${humanCount(c.max_ack_pending)}` : ""}`],
        ["Redelivered Messages", humanCount(ci.num_redelivered)],
        ["Unprocessed Messages", humanCount(ci.num_pending)],
        ["Waiting Pulls", push ? undefined : `${humanCount(ci.num_waiting)}${c.max_waiting ? ` of maximum ${humanCount(c.max_waiting)}` : ""}`],
        ["Active Interest", push ? yesNo(ci.push_bound) : undefined],
        ["Paused Until", ci.paused ? `${humanTime(c.pause_until)} (${humanDuration(ci.pause_remaining ?? 0)} left)` : undefined],
        ...(ci.priority_groups ?? []).map((g): [string, unknown] => [`Group ${g.group}`, g.pinned_client_id ? `pinned to ${g.pinned_client_id} since ${humanTime(g.pinned_ts)}` : "not pinned"]),
      ],
    ],
  ];
}

function showConsumer(s: Session, ci: ConsumerInfo): void {
  if (s.json) printJson(ci);
  else printInfo(consumerInfoSections(ci));
}

export function registerConsumer(program: Command): void {
  const consumer = program.command("consumer").alias("con").description("JetStream consumers: add, inspect, read, pause and remove");

  consumer
    .command("add")
    .alias("create")
    .description("Add a consumer to a stream (a durable pull consumer with explicit acks by default)")
    .argument("<stream>", "stream name")
    .argument("[name]", "consumer name (durable unless --ephemeral)")
    .option("--filter <subject>", "only messages on this subject (repeatable)", collect)
    .option("--ack <policy>", "none, all or explicit", undefined)
    .option("--deliver <policy>", "all, new, last, subject (last per subject), a start sequence, or a duration ago (1h)")
    .option("--replay <policy>", "instant or original")
    .option("--target <subject>", "make a push consumer delivering to this subject")
    .option("--deliver-group <group>", "queue group of a push consumer")
    .option("--max-deliver <n>", "deliver a message at most this many times (-1 unlimited)")
    .option("--max-pending <n>", "maximum unacknowledged messages")
    .option("--wait <duration>", "how long to wait for an ack before redelivering, e.g. 30s")
    .option("--backoff <durations>", "redelivery delays, comma-separated, e.g. 1s,5s,30s")
    .option("--description <text>", "what the consumer is for")
    .option("--heartbeat <duration>", "idle heartbeat of a push consumer")
    .option("--flow-control", "flow control for a push consumer")
    .option("--inactive-threshold <duration>", "remove the consumer after this long without activity")
    .option("--headers-only", "deliver only headers (and the body size)")
    .option("--max-waiting <n>", "maximum outstanding pulls")
    .option("--max-pull-batch <n>", "largest batch a pull may ask for")
    .option("--max-pull-expire <duration>", "longest expiry a pull may ask for")
    .option("--max-pull-bytes <size>", "largest byte size a pull may ask for")
    .option("--replicas <n>", "number of replicas (0 = the stream's)")
    .option("--memory", "keep the consumer's state in memory")
    .option("--metadata <key=value>", "metadata entry (repeatable)", collect)
    .option("--pause <until>", "create it paused until a time or for a duration (2.11+)")
    .option("--priority-groups <groups>", "priority groups, comma-separated (2.11+)", collect)
    .option("--priority-policy <policy>", "overflow, pinned_client or prioritized (2.11+)")
    .option("--priority-timeout <duration>", "pin timeout for pinned_client (2.11+)")
    .option("--ephemeral", "an ephemeral consumer (removed after --inactive-threshold, 5s by default)")
    .option("--config <file>", "read the configuration from a JSON file (flags override it)")
    .action(
      action({}, async (s, stream: string, name?: string) => {
        const f = s.opts as ConsumerFlags;
        const cfg = configFromFlags(f);
        if (f.ephemeral) {
          if (name) cfg.name = name;
          cfg.inactive_threshold ??= 5000;
        } else {
          const durable = name ?? cfg.durable_name ?? cfg.name;
          if (!durable) throw new UsageError("give the consumer a name, or use --ephemeral");
          cfg.durable_name = durable;
        }
        const jsm = await s.jsm();
        const ci = await jsm.consumers.add(stream, cfg);
        if (!s.json) note(`Consumer ${stream} > ${ci.name} was created\n`);
        showConsumer(s, ci);
      }),
    );

  consumer
    .command("info")
    .description("Show a consumer's configuration and state")
    .argument("<stream>", "stream name")
    .argument("<name>", "consumer name")
    .action(action({}, async (s, stream: string, name: string) => showConsumer(s, await (await s.jsm()).consumers.info(stream, name))));

  consumer
    .command("ls")
    .alias("list")
    .description("List the consumers of a stream")
    .argument("<stream>", "stream name")
    .option("-n, --names", "print only the names")
    .action(
      action({}, async (s, stream: string) => {
        const jsm = await s.jsm();
        await jsm.streams.info(stream);
        const infos: ConsumerInfo[] = [];
        for await (const ci of jsm.consumers.list(stream)) infos.push(ci);
        infos.sort((a, b) => a.name.localeCompare(b.name));
        if (s.json) return printJson(s.opts.names ? infos.map((i) => i.name) : infos);
        if (s.opts.names) return infos.forEach((i) => console.log(i.name));
        if (!infos.length) return console.log(`No consumers defined on stream ${stream}`);
        printTable(
          ["Name", "Description", "Created", "Ack Pending", "Unprocessed", "Last Delivery"],
          infos.map((i) => [
            i.name + (i.paused ? " (paused)" : ""),
            i.config.description ?? "",
            humanTime(i.created).replace(/ \(.*$/, ""),
            humanCount(i.num_ack_pending),
            humanCount(i.num_pending),
            i.delivered.last_active ? ago(i.delivered.last_active) : "never",
          ]),
          { title: `Consumers of stream ${stream} (${infos.length})`, align: ["left", "left", "left", "right", "right", "right"] },
        );
      }),
    );

  consumer
    .command("rm")
    .alias("delete")
    .description("Remove a consumer")
    .argument("<stream>", "stream name")
    .argument("<name>", "consumer name")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, stream: string, name: string) => {
        const jsm = await s.jsm();
        await jsm.consumers.info(stream, name);
        await confirm(s, `Really remove the consumer ${stream} > ${name}?`);
        await jsm.consumers.delete(stream, name);
        if (s.json) printJson({ stream, consumer: name, deleted: true });
        else console.log(`Consumer ${stream} > ${name} was removed`);
      }),
    );

  consumer
    .command("next")
    .description("Pull the next message(s) from a pull consumer and acknowledge them")
    .argument("<stream>", "stream name")
    .argument("<name>", "consumer name")
    .option("--count <n>", "how many messages to pull", "1")
    .option("--no-ack", "do not acknowledge the messages")
    .option("--nak", "negatively acknowledge them (redeliver)")
    .option("--wait <duration>", "how long to wait for a message (default: --timeout)")
    .option("-r, --raw", "print only the bodies")
    .action(
      action({ longRunning: true }, async (s, stream: string, name: string) => {
        const count = parseInteger(s.opts.count, "--count", 1);
        const expires = s.opts.wait ? parseDuration(s.opts.wait, "--wait") : s.settings.timeout;
        const js = await s.js();
        const c = await js.consumers.get(stream, name);
        for (let n = 1; n <= count && !s.signal.aborted; n++) {
          const m = await c.next({ expires: Math.max(expires, 1000) });
          if (!m) {
            const err = new Error(`no message arrived from ${stream} > ${name} within ${humanDuration(expires)}`);
            throw Object.assign(err, { code: "TIMEOUT", hint: "the consumer has nothing pending: see `tsnats consumer info`" });
          }
          printMessage(fromJsMsg(m), n, { raw: Boolean(s.opts.raw), json: s.json });
          if (s.opts.nak) {
            m.nak();
            if (!s.json && !s.opts.raw) note(`Negatively acknowledged message ${m.seq}`);
          } else if (s.opts.ack !== false) {
            await m.ackAck({ timeout: s.settings.timeout });
            if (!s.json && !s.opts.raw) note(`Acknowledged message ${m.seq}`);
          }
        }
      }),
    );

  consumer
    .command("pause")
    .description("Pause a consumer until a time or for a duration (nats-server 2.11+)")
    .argument("<stream>", "stream name")
    .argument("<name>", "consumer name")
    .argument("<until>", "a duration from now (e.g. 1h) or an RFC 3339 time")
    .action(
      action({}, async (s, stream: string, name: string, until: string) => {
        const r = await (await s.jsm()).consumers.pause(stream, name, parseUntil(until));
        if (s.json) printJson(r);
        else console.log(`Consumer ${stream} > ${name} is paused until ${humanTime(r.pause_until)}`);
      }),
    );

  consumer
    .command("resume")
    .description("Resume a paused consumer (nats-server 2.11+)")
    .argument("<stream>", "stream name")
    .argument("<name>", "consumer name")
    .action(
      action({}, async (s, stream: string, name: string) => {
        const r = await (await s.jsm()).consumers.resume(stream, name);
        if (s.json) printJson(r);
        else console.log(`Consumer ${stream} > ${name} was resumed`);
      }),
    );

  consumer
    .command("unpin")
    .description("Unpin the client pinned in a priority group (nats-server 2.11+)")
    .argument("<stream>", "stream name")
    .argument("<name>", "consumer name")
    .argument("<group>", "priority group")
    .action(
      action({}, async (s, stream: string, name: string, group: string) => {
        await (await s.jsm()).consumers.unpin(stream, name, group);
        if (s.json) printJson({ stream, consumer: name, group, unpinned: true });
        else console.log(`Unpinned the client of group ${group} on ${stream} > ${name}`);
      }),
    );

  consumer
    .command("reset")
    .description("Reset a consumer to redeliver from a stream sequence (nats-server 2.14+)")
    .argument("<stream>", "stream name")
    .argument("<name>", "consumer name")
    .argument("[seq]", "stream sequence to deliver next (default: start over)")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({}, async (s, stream: string, name: string, seq?: string) => {
        const n = seq !== undefined ? parseInteger(seq, "sequence", 1) : undefined;
        const jsm = await s.jsm();
        await confirm(s, `Really reset the consumer ${stream} > ${name}${n ? ` to sequence ${n}` : ""}?`);
        const r = await jsm.consumers.reset(stream, name, n);
        if (s.json) printJson(r);
        else console.log(`Consumer ${stream} > ${name} was reset${n ? ` to sequence ${n}` : ""}`);
      }),
    );
}
