// `tsnats reply SUBJECT [BODY]`: answer requests with a fixed body, the request itself (--echo) or
// the output of a shell command (--command).
import { spawn } from "node:child_process";
import type { Command } from "commander";
import { headers as makeHeaders, type Msg } from "tsnats";
import { buildHeaders } from "./pub.js";
import { UsageError, clock, note } from "./output.js";
import { action } from "./options.js";
import { printMessage } from "./sub.js";
import { collect, expandTemplate, parseDuration, parseHeaderFlags, parseInteger, sleep } from "./util.js";

interface ReplyFlags {
  echo?: boolean;
  command?: string;
  queue: string;
  count?: string;
  sleep?: string;
  header?: string[];
  quiet?: boolean;
  json?: boolean;
}

/** Runs `command` through the shell with the request on stdin; resolves to its standard output. */
function runCommand(command: string, m: Msg): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.SHELL && process.platform !== "win32" ? process.env.SHELL : "/bin/sh", ["-c", command], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, NATS_REQUEST_SUBJECT: m.subject, NATS_REQUEST_BODY: m.data.length <= 64 * 1024 ? Buffer.from(m.data).toString("utf8") : "" },
    });
    const out: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => out.push(c));
    child.on("error", reject);
    child.on("close", () => resolve(new Uint8Array(Buffer.concat(out))));
    child.stdin.on("error", () => undefined);
    child.stdin.end(m.data);
  });
}

export function registerReply(program: Command): void {
  program
    .command("reply")
    .description("Answer requests on a subject; the body may use {{Count}}, {{Subject}}, {{Request}} and the pub templates")
    .argument("<subject>", "subject to listen on")
    .argument("[body]", "reply body")
    .option("--echo", "reply with the request's own body and headers")
    .option("--command <shell command>", "run this command for each request (request body on stdin, NATS_REQUEST_SUBJECT and NATS_REQUEST_BODY set) and reply with its output")
    .option("--queue <group>", "queue group to join", "tsnats-reply")
    .option("--count <n>", "exit after answering this many requests")
    .option("--sleep <duration>", "wait this long before each reply")
    .option("-H, --header <key:value>", "add a header to each reply (repeatable)", collect)
    .option("-q, --quiet", "do not print the requests")
    .action(
      action({ longRunning: true }, async (s, subject: string, body?: string) => {
        const f = s.opts as ReplyFlags;
        if ([f.echo, f.command !== undefined, body !== undefined].filter(Boolean).length > 1) {
          throw new UsageError("give only one of a body, --echo and --command");
        }
        const max = f.count !== undefined ? parseInteger(f.count, "--count", 1) : Infinity;
        const pause = f.sleep ? parseDuration(f.sleep, "--sleep") : 0;
        const hdrs = parseHeaderFlags(f.header);
        const nc = await s.nc({ maxReconnectAttempts: -1 });
        let n = 0;
        let inFlight = Promise.resolve();
        let finish!: () => void;
        const done = new Promise<void>((resolve) => (finish = resolve));
        s.signal.addEventListener("abort", () => finish(), { once: true });
        let closedBy: Error | undefined;
        void nc.closed().then((e) => {
          closedBy = e;
          finish();
        });

        const answer = async (m: Msg, i: number): Promise<void> => {
          if (pause) await sleep(pause);
          let data: Uint8Array | string;
          let h = buildHeaders(hdrs, i);
          if (f.echo) {
            data = m.data;
            if (m.headers) {
              h ??= makeHeaders();
              for (const k of m.headers.keys()) for (const v of m.headers.values(k)) h.append(k, v);
            }
          } else if (f.command !== undefined) {
            data = await runCommand(f.command, m);
          } else {
            data = expandTemplate(
              (body ?? "").replace(/\{\{\s*\.?Subject\s*\}\}/g, m.subject).replace(/\{\{\s*\.?Request\s*\}\}/g, () => Buffer.from(m.data).toString("utf8")),
              { count: i },
            );
          }
          if (!m.respond(data, h ? { headers: h } : undefined) && !f.quiet) note(`${clock()} request #${i} on "${m.subject}" has no reply subject: not answered`);
        };

        const sub = nc.subscribe(subject, {
          queue: f.queue,
          callback: (err, m) => {
            if (err) {
              note(`${clock()} ${(err as { code?: string }).code ?? "ERROR"}: ${err.message}`);
              return;
            }
            if (n >= max) return;
            const i = ++n;
            if (!f.quiet) printMessage({ subject: m.subject, reply: m.reply, data: m.data, headers: m.headers }, i, { json: f.json });
            // answers go out in order; a slow --command or --sleep delays the ones after it
            inFlight = inFlight
              .then(() => answer(m, i))
              .catch((e: Error) => note(`${clock()} could not answer request #${i}: ${e.message}`))
              .then(() => {
                if (i >= max) finish();
              });
          },
        });
        await nc.flush();
        if (!f.json) note(`${clock()} Listening on "${subject}" in group "${f.queue}"`);
        await done;
        sub.unsubscribe();
        await inFlight;
        if (closedBy) throw closedBy;
      }),
    );
}
