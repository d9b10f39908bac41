// `tsnats server ping|info|check`: the servers' own view, through the system account's $SYS
// requests where needed, and health checks in the Nagios plugin format (exit 0 OK, 1 WARNING,
// 2 CRITICAL).
import type { Command } from "commander";
import type { NatsConnection } from "tsnats";
import { CliError, describeError, humanBytes, humanCount, humanDuration, humanTime, printInfo, printJson, printTable, yesNo, plural } from "./output.js";
import { action, type Session } from "./options.js";
import { parseDuration, parseInteger } from "./util.js";

interface PingResponse {
  server: { name: string; host?: string; id: string; cluster?: string; ver?: string; jetstream?: boolean; domain?: string };
  statsz?: {
    start?: string;
    mem?: number;
    cores?: number;
    cpu?: number;
    connections?: number;
    total_connections?: number;
    subscriptions?: number;
    sent?: { msgs: number; bytes: number };
    received?: { msgs: number; bytes: number };
    slow_consumers?: number;
  };
}

const SYS_HINT = "server ping and server info need a user in the system account (system_account in the server config)";

async function pingServers(nc: NatsConnection, wait: number, expect: number): Promise<{ r: PingResponse; rtt: number }[]> {
  const start = performance.now();
  const out: { r: PingResponse; rtt: number }[] = [];
  try {
    const iter = nc.requestMany("$SYS.REQ.SERVER.PING", "", {
      strategy: expect ? "count" : "timer",
      maxWait: wait,
      ...(expect ? { maxMessages: expect } : {}),
    });
    for await (const m of iter) out.push({ r: m.json<PingResponse>(), rtt: performance.now() - start });
  } catch (err) {
    if ((err as { code?: string }).code !== "NO_RESPONDERS") throw err;
  }
  return out;
}

export function registerServer(program: Command): void {
  const server = program.command("server").description("Server information, pings and health checks");

  server
    .command("ping")
    .description("Ping every server of the cluster (system account)")
    .option("--expect <n>", "stop once this many servers answered")
    .action(
      action({}, async (s) => {
        const expect = s.opts.expect !== undefined ? parseInteger(s.opts.expect as string, "--expect", 1) : 0;
        const nc = await s.nc({ reconnect: false });
        const replies = await pingServers(nc, Math.min(s.settings.timeout, expect ? s.settings.timeout : 2000), expect);
        if (!replies.length) throw new CliError("NO_RESPONSES", "no server answered $SYS.REQ.SERVER.PING", SYS_HINT);
        if (s.json) {
          printJson(replies.map(({ r, rtt }) => ({ ...r, rtt_ms: Number(rtt.toFixed(3)) })));
          return;
        }
        printTable(
          ["Server", "Cluster", "Version", "JetStream", "Connections", "Subscriptions", "Memory", "Msgs In", "Msgs Out", "RTT"],
          replies.map(({ r, rtt }) => [
            r.server.name,
            r.server.cluster ?? "",
            r.server.ver ?? "",
            yesNo(r.server.jetstream),
            humanCount(r.statsz?.connections ?? 0),
            humanCount(r.statsz?.subscriptions ?? 0),
            humanBytes(r.statsz?.mem ?? 0),
            humanCount(r.statsz?.received?.msgs ?? 0),
            humanCount(r.statsz?.sent?.msgs ?? 0),
            humanDuration(rtt),
          ]),
          { title: `${replies.length} server${replies.length === 1 ? "" : "s"} answered`, align: ["left", "left", "left", "left", "right", "right", "right", "right", "right", "right"] },
        );
      }),
    );

  server
    .command("info")
    .description("Show a server's details (VARZ through the system account; else the connected server's INFO)")
    .argument("[server]", "server name or id (default: the connected server)")
    .action(action({}, async (s, name?: string) => serverInfo(s, name)));

  const check = server.command("check").description("Health checks in the Nagios plugin format (exit 0 OK, 1 WARNING, 2 CRITICAL)");
  check
    .command("connection")
    .description("Check that a connection can be made and the round trip is quick")
    .option("--connect-warning <duration>", "warn when connecting takes longer", "500ms")
    .option("--connect-critical <duration>", "critical when connecting takes longer", "1s")
    .option("--rtt-warning <duration>", "warn when the round trip takes longer", "500ms")
    .option("--rtt-critical <duration>", "critical when the round trip takes longer", "1s")
    .action(action({ connect: false }, async (s) => checkConnection(s)));
  check
    .command("jetstream")
    .description("Check that JetStream answers for this account, and its usage against the limits")
    .option("--mem-warning <percent>", "warn above this percentage of the memory limit", "75")
    .option("--mem-critical <percent>", "critical above this percentage of the memory limit", "90")
    .option("--store-warning <percent>", "warn above this percentage of the storage limit", "75")
    .option("--store-critical <percent>", "critical above this percentage of the storage limit", "90")
    .action(action({ connect: false }, async (s) => checkJetStream(s)));
}

async function serverInfo(s: Session, name?: string): Promise<void> {
  const nc = await s.nc({ reconnect: false });
  let varz: Record<string, any> | undefined;
  try {
    const isId = name !== undefined && /^N[A-Z0-9]{55}$/.test(name);
    const subject = !name ? `$SYS.REQ.SERVER.${nc.info?.server_id}.VARZ` : isId ? `$SYS.REQ.SERVER.${name}.VARZ` : "$SYS.REQ.SERVER.PING.VARZ";
    const body = name && !isId ? JSON.stringify({ server_name: name }) : "";
    const m = await nc.request(subject, body, { timeout: Math.min(s.settings.timeout, 3000) });
    const r = m.json<{ data?: Record<string, any>; error?: { description?: string } }>();
    if (r.error) throw new CliError("SERVER_ERROR", r.error.description ?? "the server refused the request");
    varz = r.data;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (name || !["NO_RESPONDERS", "TIMEOUT", "PERMISSIONS_VIOLATION"].includes(code ?? "")) {
      if (code === "NO_RESPONDERS" || code === "TIMEOUT") throw new CliError(code, `no answer from server "${name}"`, SYS_HINT);
      throw err;
    }
  }
  if (!varz) {
    const info = nc.info;
    if (s.json) {
      printJson({ source: "INFO", ...info, nonce: undefined });
      return;
    }
    printInfo([
      [
        `Server ${info?.server_name} (from the connection's INFO; full details need a system account user)`,
        [
          ["Name", info?.server_name],
          ["ID", info?.server_id],
          ["Version", info?.version],
          ["Go", info?.go],
          ["Host", `${info?.host}:${info?.port}`],
          ["Cluster", info?.cluster],
          ["Domain", info?.domain],
          ["JetStream", yesNo(info?.jetstream)],
          ["API Level", info?.api_lvl],
          ["Headers", yesNo(info?.headers)],
          ["Max Payload", humanBytes(info?.max_payload ?? 0)],
          ["Auth Required", yesNo(info?.auth_required)],
          ["TLS Required", yesNo(info?.tls_required)],
          ["Client ID", info?.client_id],
          ["Client IP", info?.client_ip],
          ["Connect URLs", info?.connect_urls?.join(", ")],
        ],
      ],
    ]);
    return;
  }
  if (s.json) {
    printJson(varz);
    return;
  }
  const js = varz.jetstream as { config?: Record<string, any>; stats?: Record<string, any> } | undefined;
  printInfo([
    [
      `Server ${varz.server_name}`,
      [
        ["Name", varz.server_name],
        ["ID", varz.server_id],
        ["Version", varz.version],
        ["Go", varz.go],
        ["Host", `${varz.host}:${varz.port}`],
        ["Started", humanTime(varz.start)],
        ["Uptime", varz.uptime],
        ["Cluster", varz.cluster?.name],
      ],
    ],
    [
      "Limits",
      [
        ["Max Connections", humanCount(varz.max_connections ?? 0)],
        ["Max Payload", humanBytes(varz.max_payload ?? 0)],
        ["Max Pending", humanBytes(varz.max_pending ?? 0)],
      ],
    ],
    [
      "Usage",
      [
        ["Connections", humanCount(varz.connections ?? 0)],
        ["Total Connections", humanCount(varz.total_connections ?? 0)],
        ["Subscriptions", humanCount(varz.subscriptions ?? 0)],
        ["Messages In", `${humanCount(varz.in_msgs ?? 0)} (${humanBytes(varz.in_bytes ?? 0)})`],
        ["Messages Out", `${humanCount(varz.out_msgs ?? 0)} (${humanBytes(varz.out_bytes ?? 0)})`],
        ["Slow Consumers", humanCount(varz.slow_consumers ?? 0)],
        ["Memory", humanBytes(varz.mem ?? 0)],
        ["CPU", varz.cpu !== undefined ? `${varz.cpu}% of ${varz.cores} cores` : undefined],
      ],
    ],
    [
      "JetStream",
      js?.config
        ? [
            ["Domain", js.config.domain],
            ["Store Directory", js.config.store_dir],
            ["Max Memory", humanBytes(js.config.max_memory ?? 0)],
            ["Max Storage", humanBytes(js.config.max_storage ?? 0)],
            ["Memory Used", humanBytes(js.stats?.memory ?? 0)],
            ["Storage Used", humanBytes(js.stats?.storage ?? 0)],
            ["API Requests", humanCount(js.stats?.api?.total ?? 0)],
          ]
        : [["Enabled", "false"]],
    ],
  ]);
}

type Level = 0 | 1 | 2;
const LEVELS = ["OK", "WARNING", "CRITICAL"] as const;

/** Prints a check result line ("STATUS name: text | perfdata") and sets the exit status. */
function finishCheck(s: Session, name: string, level: Level, messages: string[], perf: string[]): void {
  if (s.json) printJson({ check: name, status: LEVELS[level], messages, perfdata: perf });
  else console.log(`${LEVELS[level]} ${name}: ${messages.join(", ")}${perf.length ? ` | ${perf.join(" ")}` : ""}`);
  process.exitCode = level;
}

function grade(value: number, warn: number, crit: number): Level {
  return value >= crit ? 2 : value >= warn ? 1 : 0;
}

async function checkConnection(s: Session): Promise<void> {
  const warnC = parseDuration(s.opts.connectWarning, "--connect-warning");
  const critC = parseDuration(s.opts.connectCritical, "--connect-critical");
  const warnR = parseDuration(s.opts.rttWarning, "--rtt-warning");
  const critR = parseDuration(s.opts.rttCritical, "--rtt-critical");
  const start = performance.now();
  let nc: NatsConnection;
  try {
    nc = await s.nc({ reconnect: false });
  } catch (err) {
    const r = describeError(err);
    finishCheck(s, "connection", 2, [`cannot connect to ${s.settings.servers}: ${r.code} ${r.message}`], []);
    return;
  }
  const connectMs = performance.now() - start;
  const rtt = await nc.rtt();
  const level = Math.max(grade(connectMs, warnC, critC), grade(rtt, warnR, critR)) as Level;
  const secs = (ms: number): string => (ms / 1000).toFixed(4);
  finishCheck(s, "connection", level, [`connected to ${nc.getServer()} in ${humanDuration(connectMs)}`, `rtt ${humanDuration(rtt)}`], [
    `connect_time=${secs(connectMs)}s;${secs(warnC)};${secs(critC)}`,
    `rtt=${secs(rtt)}s;${secs(warnR)};${secs(critR)}`,
  ]);
}

async function checkJetStream(s: Session): Promise<void> {
  const pct = (name: string): number => {
    const v = Number(s.opts[name]);
    if (!Number.isFinite(v) || v < 0) throw new CliError("INVALID_ARGUMENT", `invalid percentage for --${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    return v;
  };
  const [mw, mc, sw, sc] = [pct("memWarning"), pct("memCritical"), pct("storeWarning"), pct("storeCritical")];
  try {
    const jsm = await s.jsm();
    const ai = await jsm.getAccountInfo();
    const used = (v: number, limit: number): number => (limit > 0 ? (v / limit) * 100 : 0);
    const memPct = used(ai.memory, ai.limits.max_memory);
    const storePct = used(ai.storage, ai.limits.max_storage);
    const level = Math.max(grade(memPct, mw, mc), grade(storePct, sw, sc)) as Level;
    finishCheck(
      s,
      "jetstream",
      level,
      [`${plural(ai.streams, "stream")}, ${plural(ai.consumers, "consumer")}`, `memory ${humanBytes(ai.memory)} (${memPct.toFixed(1)}%)`, `storage ${humanBytes(ai.storage)} (${storePct.toFixed(1)}%)`],
      [`memory=${ai.memory}B`, `storage=${ai.storage}B`, `streams=${ai.streams}`, `consumers=${ai.consumers}`],
    );
  } catch (err) {
    const r = describeError(err);
    finishCheck(s, "jetstream", 2, [`${r.code} ${r.message}`], []);
  }
}
