// Everything the CLI prints: tables, key/value info views, JSON, human units, and the one-line errors.
import Table from "cli-table3";
import pc from "picocolors";
import type { MsgHdrs } from "tsnats";

/** A mistake in how the command was typed: bad flag value, missing argument, refused confirmation. */
export class UsageError extends Error {
  readonly code = "INVALID_ARGUMENT";
  readonly exitCode = 2;
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** An error the CLI itself raises with a code and hint of its own (exit status `exitCode`). */
export class CliError extends Error {
  constructor(readonly code: string, message: string, readonly hint?: string, readonly exitCode = 1) {
    super(message);
    this.name = "CliError";
  }
}

const HINTS: Record<string, string> = {
  NO_SERVERS: "is a nats-server running there? choose one with -s/--server, NATS_URL or a context",
  CONNECTION_REFUSED: "is a nats-server running there? choose one with -s/--server, NATS_URL or a context",
  AUTHORIZATION_VIOLATION: "check --user/--password, --token, --creds or --nkey (or the context's credentials)",
  USER_AUTHENTICATION_EXPIRED: "the user JWT has expired: get a fresh creds file",
  PERMISSIONS_VIOLATION: "this user may not publish or subscribe there",
  TLS_ERROR: "check --tls-ca, --tls-cert and --tls-key, and the server's TLS settings",
  SECURE_CONNECTION_REQUIRED: "use a tls:// URL or --tls-ca when the server requires TLS (and not when it does not)",
  TIMEOUT: "nothing answered in time: is something listening? raise --timeout if it is just slow",
  NO_RESPONDERS: "no subscriber is listening on that subject",
  BAD_SUBJECT: "subjects are dot-separated tokens without spaces; * and > are wildcards",
  INVALID_ARGUMENT: "see --help",
  MAX_PAYLOAD_EXCEEDED: "the message is larger than the server's max_payload",
  JETSTREAM_NOT_ENABLED: "start nats-server with JetStream (-js), or check --js-domain / --js-api-prefix",
  STREAM_NOT_FOUND: "list the streams with `tsnats stream ls`",
  CONSUMER_NOT_FOUND: "list the consumers with `tsnats consumer ls STREAM`",
  MESSAGE_NOT_FOUND: "the stream has no such message",
  STREAM_NAME_IN_USE: "a stream with that name and a different configuration exists; edit it with `tsnats stream edit`",
  BUCKET_NOT_FOUND: "list the buckets with `tsnats kv ls` or `tsnats obj ls`",
  KEY_EXISTS: "the key has a value already: use `kv put` or `kv update`",
  WRONG_LAST_SEQUENCE: "the value changed since that revision: read it again with `kv get`",
  FEATURE_NOT_SUPPORTED: "the connected nats-server is too old for this: upgrade it",
  CONFIG_NOT_APPLIED: "the server ignored a setting: it may be too old for it",
  NO_STREAM_RESPONSE: "no stream stores that subject: add one with `tsnats stream add`",
  CONSUMER_DELETED: "the consumer was deleted while reading",
  AUTHENTICATOR_FAILED: "check the --creds or --nkey file (or the context's)",
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
};

/** What is printed for an error: its stable code, one line of text and a hint. */
export interface ErrorReport {
  code: string;
  message: string;
  hint?: string;
}

/** Turns any thrown value into a code, a one-line message and a hint. */
export function describeError(err: unknown): ErrorReport {
  const e = err as { code?: unknown; message?: unknown; hint?: unknown; cause?: unknown; errCode?: unknown; description?: unknown };
  let code = typeof e?.code === "string" ? e.code : "ERROR";
  let message = oneLine(typeof e?.message === "string" ? e.message : String(err));
  if (code === "NO_SERVERS" && e.cause) {
    // a specific reason (bad credentials, TLS) is worth more than "no servers"
    const c = e.cause as { code?: unknown; message?: unknown };
    if (typeof c.code === "string" && HINTS[c.code] && c.code !== "NO_SERVERS" && c.code !== "CONNECTION_REFUSED") {
      code = c.code;
      message = `${message}: ${oneLine(String(c.message ?? c.code))}`;
    }
  }
  if (typeof e?.errCode === "number" && !message.includes(String(e.errCode))) message = `${message} (server error ${e.errCode})`;
  const hint = typeof e?.hint === "string" ? e.hint : HINTS[code];
  return { code, message, hint };
}

/** Formats an error report as the single line printed on stderr. */
export function formatError(r: ErrorReport): string {
  const head = `${pc.red("tsnats:")} ${r.code}: ${r.message}`;
  return r.hint ? `${head} ${pc.dim(`(hint: ${r.hint})`)}` : head;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, " ").trim();
}

/** Metadata for people: the server's own `_nats.*` entries left out; undefined when nothing is left. */
export function metadataText(md: Record<string, string> | undefined): string | undefined {
  const entries = Object.entries(md ?? {}).filter(([k]) => !k.startsWith("_nats."));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(", ") : undefined;
}

/** Prints a value as JSON (bigints as numbers or strings, Uint8Arrays as text). */
export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value, 2)}\n`);
}

/** One JSON line: for streaming output (sub, watch). */
export function printJsonLine(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}

export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v) => {
      if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
      return v;
    },
    indent,
  );
}

/** Headers as a plain object of arrays (for JSON output). */
export function headersObject(h: MsgHdrs | undefined): Record<string, string[]> | undefined {
  if (!h) return undefined;
  const out: Record<string, string[]> = {};
  for (const k of h.keys()) out[k] = h.values(k);
  return Object.keys(out).length ? out : undefined;
}

/** The body as text when it is valid UTF-8, else base64 under a different key. */
export function bodyFields(data: Uint8Array): { data?: string; data_base64?: string } {
  try {
    return { data: new TextDecoder("utf-8", { fatal: true }).decode(data) };
  } catch {
    return { data_base64: Buffer.from(data).toString("base64") };
  }
}

export type Align = "left" | "right";

/** Renders rows as an aligned, boxed table with an optional title line. */
export function renderTable(head: string[], rows: unknown[][], opts: { title?: string; align?: Align[] } = {}): string {
  const t = new Table({
    head: head.map((h) => pc.bold(h)),
    chars: { "top-left": "╭", "top-right": "╮", "bottom-left": "╰", "bottom-right": "╯", mid: "", "left-mid": "", "mid-mid": "", "right-mid": "" },
    style: { head: [], border: [], compact: false, "padding-left": 1, "padding-right": 1 },
    colAligns: opts.align ?? head.map(() => "left"),
    wordWrap: false,
  });
  for (const r of rows) t.push(r.map((c) => (c === undefined || c === null ? "" : String(c))));
  // with the row separators gone, put one back under the header
  const lines = t.toString().split("\n");
  const widths = [...lines[0]!.matchAll(/─+/g)].map((m) => m[0].length);
  const rule = `├${widths.map((w) => "─".repeat(w)).join("┼")}┤`;
  const body = [lines[0], lines[1], rule, ...lines.slice(2)].join("\n");
  return opts.title ? `${pc.bold(opts.title)}\n\n${body}` : body;
}

export function printTable(head: string[], rows: unknown[][], opts: { title?: string; align?: Align[] } = {}): void {
  process.stdout.write(`${renderTable(head, rows, opts)}\n`);
}

/** One titled block of label/value lines with the labels right-aligned (the `info` views). */
export type InfoSection = [title: string, pairs: [label: string, value: unknown][]];

/** Renders info sections: values that are undefined are left out; labels align across sections. */
export function renderInfo(sections: InfoSection[]): string {
  const kept = sections
    .map(([title, pairs]) => [title, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "")] as InfoSection)
    .filter(([, pairs]) => pairs.length);
  const width = Math.max(0, ...kept.flatMap(([, pairs]) => pairs.map(([l]) => l.length)));
  const out: string[] = [];
  for (const [title, pairs] of kept) {
    if (out.length) out.push("");
    out.push(pc.bold(`${title}:`), "");
    for (const [label, value] of pairs) out.push(`  ${label.padStart(width)}: ${String(value)}`);
  }
  return out.join("\n");
}

export function printInfo(sections: InfoSection[]): void {
  process.stdout.write(`${renderInfo(sections)}\n`);
}

/** Bytes as "1.5 KiB", "20 MiB". */
export function humanBytes(n: number): string {
  if (n < 0) return "unlimited";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i++;
  } while (v >= 1024 && i < units.length - 1);
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}

/** A count with thousands separators ("12,345"); -1 is "unlimited". */
export function humanCount(n: number): string {
  if (n === -1) return "unlimited";
  return n.toLocaleString("en-US");
}

/** Milliseconds as "250ms", "1.5s", "2m30s", "1d2h"; 0 or below as `zero`. */
export function humanDuration(ms: number, zero = "0s"): string {
  if (!ms || ms <= 0) return zero;
  if (ms < 1) return `${(ms * 1000).toFixed(ms < 0.01 ? 2 : 0)}µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(0)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s % 1 ? s.toFixed(2) : s.toFixed(0)}s`;
  const parts: string[] = [];
  let rest = Math.round(s);
  for (const [unit, size] of [["y", 31_536_000], ["d", 86_400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
  }
  return parts.slice(0, 2).join("");
}

/** A time as local "2025-01-02 15:04:05" plus how long ago, or `none` when it is unset. */
export function humanTime(t: string | Date | undefined, none = "never"): string {
  if (!t) return none;
  const d = typeof t === "string" ? new Date(t) : t;
  if (Number.isNaN(d.getTime()) || d.getTime() <= 0) return none;
  const pad = (n: number): string => String(n).padStart(2, "0");
  const local = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const since = Date.now() - d.getTime();
  return since >= 0 ? `${local} (${roughly(since)} ago)` : local;
}

/** How long ago, short: "3s", "2m10s"; `none` when unset. */
export function ago(t: string | Date | undefined, none = "never"): string {
  if (!t) return none;
  const d = typeof t === "string" ? new Date(t) : t;
  if (Number.isNaN(d.getTime()) || d.getTime() <= 0) return none;
  return roughly(Math.max(0, Date.now() - d.getTime()));
}

/** A duration for "... ago": whole milliseconds below a second, whole seconds above. */
function roughly(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : humanDuration(Math.round(ms / 1000) * 1000);
}

/** "1 message", "3 messages" (with thousands separators). */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${humanCount(n)} ${n === 1 ? word : many}`;
}

/** "yes" / "no" for a flag in an info view. */
export function yesNo(b: boolean | undefined): string {
  return b ? "true" : "false";
}

/** Status lines for humans go to stderr so stdout stays clean for data and JSON. */
export function note(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

/** Local time "15:04:05" for log-style lines. */
export function clock(d = new Date()): string {
  return d.toTimeString().slice(0, 8);
}
