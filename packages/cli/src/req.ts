// `tsnats req SUBJECT [BODY]`: send a request and print the reply (or several, with --replies).
import type { Command } from "commander";
import type { Msg } from "tsnats";
import { buildHeaders } from "./pub.js";
import { bodyFields, clock, headersObject, humanDuration, note, printJsonLine } from "./output.js";
import { action } from "./options.js";
import { bodyOrStdin, collect, expandTemplate, isTemplate, parseHeaderFlags, parseInteger } from "./util.js";

interface ReqFlags {
  header?: string[];
  replies: string;
  count: string;
  raw?: boolean;
  json?: boolean;
}

function printReply(m: Msg, rtt: number, n: number, f: ReqFlags): void {
  if (f.json) {
    printJsonLine({ subject: m.subject, rtt_ms: Number(rtt.toFixed(3)), headers: headersObject(m.headers), ...bodyFields(m.data) });
    return;
  }
  if (f.raw) {
    process.stdout.write(`${Buffer.from(m.data).toString("utf8")}\n`);
    return;
  }
  note(`${clock()} Received${n > 1 ? ` reply #${n}` : ""} with rtt ${humanDuration(rtt)}`);
  const lines: string[] = [];
  const h = m.headers;
  if (h) {
    if (h.code) lines.push(`${h.code} ${h.description}`.trim());
    for (const k of h.keys()) for (const v of h.values(k)) lines.push(`${k}: ${v}`);
    lines.push("");
  }
  lines.push(m.data.length ? Buffer.from(m.data).toString("utf8") : "nil body");
  process.stdout.write(`${lines.join("\n")}\n`);
}

export function registerReq(program: Command): void {
  program
    .command("req")
    .alias("request")
    .description("Send a request and wait for the reply; the body takes the same templates as pub")
    .argument("<subject>", "subject to send the request to")
    .argument("[body]", "request body (standard input when omitted and not a terminal)")
    .option("-H, --header <key:value>", "add a header (repeatable)", collect)
    .option("--replies <n>", "wait for this many replies; 0 = every reply until --timeout", "1")
    .option("--count <n>", "send this many requests, one after the other", "1")
    .option("-r, --raw", "print only the reply bodies")
    .action(
      action({ longRunning: true }, async (s, subject: string, body?: string) => {
        const f = s.opts as ReqFlags;
        const replies = parseInteger(f.replies, "--replies", 0);
        const count = parseInteger(f.count, "--count", 1);
        const hdrs = parseHeaderFlags(f.header);
        const raw = await bodyOrStdin(body);
        const templated = typeof raw === "string" && isTemplate(raw);
        const nc = await s.nc({ reconnect: false });
        const timeout = s.settings.timeout;
        for (let i = 1; i <= count && !s.signal.aborted; i++) {
          const payload = templated ? expandTemplate(raw as string, { count: i }) : raw;
          const h = buildHeaders(hdrs, i);
          if (!f.json && !f.raw) note(`${clock()} Sending request on "${subject}"`);
          const start = performance.now();
          if (replies === 1) {
            const m = await nc.request(subject, payload, { timeout, signal: s.signal, ...(h ? { headers: h } : {}) });
            printReply(m, performance.now() - start, 1, f);
            continue;
          }
          const iter = nc.requestMany(subject, payload, {
            strategy: replies === 0 ? "timer" : "count",
            maxWait: timeout,
            signal: s.signal,
            ...(replies ? { maxMessages: replies } : {}),
            ...(h ? { headers: h } : {}),
          });
          let n = 0;
          for await (const m of iter) {
            n++;
            printReply(m, performance.now() - start, n, f);
            if (s.signal.aborted) break;
          }
          if (n === 0) {
            const err = new Error(`no reply to the request on "${subject}" within ${humanDuration(timeout)}`);
            Object.assign(err, { code: "TIMEOUT" });
            throw err;
          }
        }
      }),
    );
}
