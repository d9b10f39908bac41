// `tsnats pub SUBJECT [BODY]`: publish one or many messages, optionally through JetStream.
import type { Command } from "commander";
import { headers as makeHeaders, type MsgHdrs } from "tsnats";
import type { PubAck } from "tsnats/jetstream";
import { clock, note, printJson, printJsonLine } from "./output.js";
import { action } from "./options.js";
import { bodyOrStdin, collect, expandTemplate, isTemplate, parseDuration, parseHeaderFlags, parseInteger, sleep } from "./util.js";

interface PubFlags {
  count: string;
  sleep?: string;
  header?: string[];
  reply?: string;
  jetstream?: boolean;
  quiet?: boolean;
}

/** Headers for message `count`, with templates expanded in the values. */
export function buildHeaders(pairs: [string, string][], count: number): MsgHdrs | undefined {
  if (!pairs.length) return undefined;
  const h = makeHeaders();
  for (const [k, v] of pairs) h.append(k, expandTemplate(v, { count }));
  return h;
}

export function registerPub(program: Command): void {
  program
    .command("pub")
    .alias("publish")
    .description("Publish a message; the body may use {{Count}}, {{TimeStamp}}, {{Unix}}, {{ID}}, {{Random 10 20}}; without a body, standard input is sent")
    .argument("<subject>", "subject to publish to")
    .argument("[body]", "message body")
    .option("--count <n>", "number of messages to publish", "1")
    .option("--sleep <duration>", "wait this long between messages")
    .option("-H, --header <key:value>", "add a header (repeatable)", collect)
    .option("--reply <subject>", "reply subject to set on the message")
    .option("-J, --jetstream", "publish through JetStream and wait for the stream's acknowledgement")
    .option("-q, --quiet", "print nothing on success")
    .action(
      action({ longRunning: true }, async (s, subject: string, body?: string) => {
        const f = s.opts as PubFlags & { json?: boolean };
        const count = parseInteger(f.count, "--count", 1);
        const pause = f.sleep ? parseDuration(f.sleep, "--sleep") : 0;
        const hdrs = parseHeaderFlags(f.header);
        const raw = await bodyOrStdin(body);
        const templated = typeof raw === "string" && isTemplate(raw);
        const payload = (i: number): string | Uint8Array => (templated ? expandTemplate(raw as string, { count: i }) : raw);
        const size = (p: string | Uint8Array): number => (typeof p === "string" ? Buffer.byteLength(p) : p.length);
        const nc = await s.nc();
        let bytes = 0;
        let sent = 0;

        if (f.jetstream) {
          const js = await s.js();
          const acks: PubAck[] = [];
          const pending: Promise<PubAck>[] = [];
          const onAck = (a: PubAck, n: number, len: number): void => {
            acks.push(a);
            if (f.json) printJsonLine({ subject, stream: a.stream, seq: a.seq, duplicate: a.duplicate, domain: a.domain });
            else if (!f.quiet && count <= 10) note(`${clock()} Published ${len} bytes to "${subject}" (stream ${a.stream} sequence ${a.seq}${a.duplicate ? ", duplicate" : ""})${count > 1 ? ` [#${n}]` : ""}`);
          };
          for (let i = 1; i <= count && !s.signal.aborted; i++) {
            const p = payload(i);
            const h = buildHeaders(hdrs, i);
            const opts = h ? { headers: h } : {};
            bytes += size(p);
            sent++;
            if (pause || count === 1) {
              onAck(await js.publish(subject, p, opts), i, size(p));
              if (pause && i < count) await sleep(pause, s.signal);
            } else {
              await js.publishAsyncReady();
              const n = i;
              const len = size(p);
              pending.push(js.publishAsync(subject, p, opts).then((a) => (onAck(a, n, len), a)));
            }
          }
          await Promise.all(pending);
          if (!f.quiet && !f.json && count > 10) note(`${clock()} Published ${sent} messages (${bytes} bytes) to "${subject}", last in stream ${acks.at(-1)?.stream} sequence ${acks.at(-1)?.seq}`);
          return;
        }

        for (let i = 1; i <= count && !s.signal.aborted; i++) {
          const p = payload(i);
          const h = buildHeaders(hdrs, i);
          nc.publish(subject, p, { ...(h ? { headers: h } : {}), ...(f.reply ? { reply: f.reply } : {}) });
          bytes += size(p);
          sent++;
          if (pause && i < count) {
            await nc.flush();
            await sleep(pause, s.signal);
          } else if (i % 10_000 === 0) {
            await nc.flush(); // bounds what is buffered for a very large --count
          }
        }
        await nc.flush();
        if (f.json) printJson({ subject, messages: sent, bytes });
        else if (!f.quiet) {
          if (sent === 1) note(`${clock()} Published ${bytes} bytes to "${subject}"`);
          else note(`${clock()} Published ${sent} messages (${bytes} bytes) to "${subject}"`);
        }
      }),
    );
}
