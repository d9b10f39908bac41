// JetStream benches: js pub (awaited or windowed async publishes, with ack latency), js consume and
// js fetch (a shared pull consumer read by every client; fetch latency per batch).
import type { Command } from "commander";
import { nuid } from "tsnats";
import { jetstream, type AckPolicy, type JetStreamManager } from "tsnats/jetstream";
import { CliError, UsageError, clock, humanCount, note } from "../output.js";
import { action, type Session } from "../options.js";
import { parseInteger } from "../util.js";
import { addBenchFlags, benchSetup, closeClients, connectClients, starting, Tracker, type BenchFlags, type BenchSetup } from "./runner.js";
import { newHistogram, recordMs, report, timedSequence, type ClientResult } from "./stats.js";

function storageOf(v: string): "file" | "memory" {
  if (v === "file" || v === "memory") return v;
  throw new UsageError(`invalid --storage "${v}": want file or memory`);
}

async function ensureStream(s: Session, jsm: JetStreamManager, stream: string, subject: string): Promise<void> {
  try {
    await jsm.streams.info(stream);
    if (s.opts.purge) await jsm.streams.purge(stream);
  } catch (err) {
    if ((err as { code?: string }).code !== "STREAM_NOT_FOUND") throw err;
    await jsm.streams.add({ name: stream, subjects: [subject], storage: storageOf(s.opts.storage), num_replicas: parseInteger(s.opts.replicas, "--replicas", 1) });
    if (!s.json) note(`${clock()} Created stream ${stream} (${s.opts.storage}) for "${subject}"`);
  }
}

export function registerJsBenches(bench: Command): void {
  const js = bench.command("js").description("JetStream benches: publish, consume and fetch");

  addBenchFlags(
    js
      .command("pub")
      .description("Publish to a stream (created if missing) and measure rate and ack latency")
      .argument("<subject>", "subject to publish to")
      .option("--stream <name>", "stream to publish into", "benchstream")
      .option("--storage <type>", "storage of a stream it creates: file or memory", "file")
      .option("--replicas <n>", "replicas of a stream it creates", "1")
      .option("--purge", "purge the stream first")
      .option("--batch <n>", "async publishes awaiting their acks per client; 1 = publish and wait for each ack", "500"),
    { msgs: 50_000 },
  ).action(
    action({ longRunning: true }, async (s, subject: string) => {
      const b = benchSetup(s.opts as BenchFlags);
      const window = parseInteger(s.opts.batch, "--batch", 1);
      const jsm = await s.jsm();
      const stream = s.opts.stream as string;
      await ensureStream(s, jsm, stream, subject);
      const before = (await jsm.streams.info(stream)).state.messages;
      const ncs = await connectClients(s, b.clients, "js pub");
      try {
        starting(b, `JetStream pub on "${subject}" into ${stream} (${window === 1 ? "each publish awaited" : `${window} async publishes in flight per client`})`);
        const t = new Tracker("js pub", b.msgs, b.progress);
        let failed = 0;
        const results = await Promise.all(
          ncs.map(async (nc, i): Promise<ClientResult> => {
            const n = b.share(i);
            const c = jetstream(nc, { ...s.jsOptions(), maxPending: window });
            if (window === 1) {
              const r = await timedSequence(n, s.signal, t, async () => {
                await c.publish(subject, b.payload);
                return b.size;
              });
              return { ...r, bytes: n * b.size };
            }
            const latency = newHistogram();
            const start = performance.now();
            const settled: Promise<void>[] = [];
            for (let j = 0; j < n && !s.signal.aborted; j++) {
              await c.publishAsyncReady();
              const t0 = performance.now();
              settled.push(
                c.publishAsync(subject, b.payload).then(
                  () => {
                    recordMs(latency, performance.now() - t0);
                    t.done++;
                  },
                  () => void failed++,
                ),
              );
            }
            await Promise.all(settled);
            return { msgs: n, bytes: n * b.size, start, end: performance.now(), latency };
          }),
        );
        t.stop();
        if (failed) throw new CliError("PUBLISH_FAILED", `${failed} of ${b.msgs} publishes failed`, "see the stream's limits with `tsnats stream info`");
        const after = (await jsm.streams.info(stream)).state.messages;
        report("js pub", results, {
          title: `JetStream pub stats: ${b.clients} publisher${b.clients > 1 ? "s" : ""}, ${b.size} B messages on "${subject}", ${window === 1 ? "sync" : `window ${window}`}`,
          csv: b.csv,
          json: b.json,
          notes: [`Stream ${stream} now holds ${humanCount(after)} messages (${humanCount(after - before)} added); latency is publish to ack`],
        });
      } finally {
        await closeClients(ncs);
      }
    }),
  );

  for (const mode of ["consume", "fetch"] as const) {
    addBenchFlags(
      js
        .command(mode)
        .description(mode === "consume" ? "Read a stream with consume() from a shared pull consumer" : "Read a stream with fetch() batches from a shared pull consumer; latency per fetch")
        .argument("[subject]", "only messages on this subject")
        .option("--stream <name>", "stream to read", "benchstream")
        .option("--consumer <name>", "use this existing durable consumer (default: a new one, removed afterwards)")
        .option("--acks <policy>", "explicit, all or none", "explicit")
        .option("--batch <n>", mode === "consume" ? "messages per pull (max_messages)" : "messages per fetch", "500"),
      { msgs: 50_000 },
    ).action(action({ longRunning: true }, async (s, subject?: string) => readBench(s, mode, subject)));
  }
}

async function readBench(s: Session, mode: "consume" | "fetch", subject?: string): Promise<void> {
  const b = benchSetup(s.opts as BenchFlags);
  const batch = parseInteger(s.opts.batch, "--batch", 1);
  const acks = s.opts.acks as AckPolicy;
  if (!["explicit", "all", "none"].includes(acks)) throw new UsageError(`invalid --acks "${acks}": want explicit, all or none`);
  const stream = s.opts.stream as string;
  const jsm = await s.jsm();
  const si = await jsm.streams.info(stream);
  let consumer = s.opts.consumer as string | undefined;
  const own = !consumer;
  if (!consumer) {
    if (si.state.messages < b.msgs) {
      throw new UsageError(`stream ${stream} holds ${si.state.messages} messages, fewer than --msgs ${b.msgs}`, "publish first with `tsnats bench js pub`, or lower --msgs");
    }
    consumer = `tsnats-bench-${nuid.next()}`;
    await jsm.consumers.add(stream, {
      durable_name: consumer,
      ack_policy: acks,
      deliver_policy: "all",
      max_ack_pending: acks === "none" ? undefined : Math.max(20_000, batch * b.clients * 2),
      ...(subject ? { filter_subject: subject } : {}),
    });
  }
  const ncs = await connectClients(s, b.clients, `js ${mode}`);
  try {
    starting(b, `JetStream ${mode} from ${stream} > ${own ? "a new consumer" : consumer}`);
    const t = new Tracker(`js ${mode}`, b.msgs, b.progress);
    // once --msgs are in, every client stops (messages pulled by one client are not left waiting for another)
    const stops = new Set<() => void>();
    const results = await Promise.all(ncs.map((nc) => readClient(s, b, mode, nc, stream, consumer!, batch, acks, t, stops)));
    t.stop();
    const got = results.reduce((a, r) => a + r.msgs, 0);
    report(`js ${mode}`, results.filter((r) => r.msgs > 0), {
      title: `JetStream ${mode} stats: ${b.clients} client${b.clients > 1 ? "s" : ""} reading ${stream} (acks ${acks}, batch ${batch})`,
      csv: b.csv,
      json: b.json,
      notes: [got < b.msgs ? `Only ${humanCount(got)} of ${humanCount(b.msgs)} messages were available` : "", mode === "fetch" ? "Latency is per fetch (one batch)" : ""].filter(Boolean),
    });
  } finally {
    await closeClients(ncs);
    if (own) await jsm.consumers.delete(stream, consumer).catch(() => undefined);
  }
}

async function readClient(
  s: Session,
  b: BenchSetup,
  mode: "consume" | "fetch",
  nc: Parameters<typeof jetstream>[0],
  stream: string,
  consumer: string,
  batch: number,
  acks: AckPolicy,
  t: Tracker,
  stops: Set<() => void>,
): Promise<ClientResult> {
  const c = await jetstream(nc, s.jsOptions()).consumers.get(stream, consumer);
  const r: ClientResult = { msgs: 0, bytes: 0, start: performance.now(), end: 0 };
  const take = (data: Uint8Array): boolean => {
    if (t.done >= b.msgs) return false;
    if (r.msgs === 0) r.start = performance.now();
    t.done++;
    r.msgs++;
    r.bytes += data.length;
    r.end = performance.now();
    if (t.done >= b.msgs) for (const stop of stops) stop();
    return true;
  };
  if (mode === "consume") {
    const msgs = await c.consume({ max_messages: batch, expires: Math.max(s.settings.timeout, 1000) });
    const stop = (): void => void msgs.stop();
    s.signal.addEventListener("abort", stop, { once: true });
    stops.add(stop);
    if (t.done >= b.msgs) stop();
    for await (const m of msgs) {
      if (!take(m.data)) break;
      if (acks !== "none") m.ack();
    }
    stops.delete(stop);
    s.signal.removeEventListener("abort", stop);
    await nc.flush();
    return r;
  }
  r.latency = newHistogram();
  while (t.done < b.msgs && !s.signal.aborted) {
    const t0 = performance.now();
    const it = await c.fetch({ max_messages: Math.min(batch, b.msgs - t.done), expires: Math.max(1000, Math.min(s.settings.timeout, 5000)) });
    const stop = (): void => void it.stop();
    stops.add(stop);
    s.signal.addEventListener("abort", stop, { once: true });
    let got = 0;
    for await (const m of it) {
      got++;
      if (!take(m.data)) break;
      if (acks !== "none") m.ack();
    }
    stops.delete(stop);
    s.signal.removeEventListener("abort", stop);
    if (!got) break;
    recordMs(r.latency, performance.now() - t0);
  }
  await nc.flush();
  return r;
}
