// Small parsers shared by the commands: durations, sizes, headers, body templates, stdin.
import { randomBytes } from "node:crypto";
import { nuid } from "tsnats";
import { UsageError } from "./output.js";

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

/**
 * Parses a duration such as "500ms", "2s", "1h30m", "7d" into milliseconds. A bare number is read
 * in `bareUnit` (seconds unless told otherwise); "0" is zero in any unit.
 */
export function parseDuration(text: string, what = "duration", bareUnit: keyof typeof DURATION_UNITS = "s"): number {
  const s = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * DURATION_UNITS[bareUnit]!;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    consumed = re.lastIndex;
  }
  if (!s.length || consumed !== s.length) throw new UsageError(`invalid ${what} "${text}": use a number with a unit, such as 500ms, 10s, 5m, 2h, 7d`);
  return total;
}

const SIZE_UNITS: Record<string, number> = { "": 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/** Parses a size such as "128", "1KB", "16KiB", "1.5MB" (powers of 1024) into bytes; "-1" means unlimited. */
export function parseSize(text: string, what = "size"): number {
  const s = String(text).trim().toLowerCase();
  if (s === "-1") return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(s);
  const unit = m ? SIZE_UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) throw new UsageError(`invalid ${what} "${text}": use bytes or a unit such as 512, 16KB, 1MB, 2GB`);
  return Math.round(Number(m[1]) * unit);
}

/** Parses a whole number option; `min` bounds it from below. */
export function parseInteger(text: string, what: string, min = 0): number {
  const s = String(text).trim();
  if (!/^-?\d+$/.test(s) || Number(s) < min) throw new UsageError(`invalid ${what} "${text}": want a whole number${min > 0 ? ` >= ${min}` : min === 0 ? " >= 0" : ""}`);
  return Number(s);
}

/** Collects a repeatable option's values (commander's argParser for `--header` and the like). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses "Key:Value" header flags into pairs; the value may contain further colons. */
export function parseHeaderFlags(values: string[] | undefined): [string, string][] {
  return (values ?? []).map((h) => {
    const i = h.indexOf(":");
    if (i <= 0) throw new UsageError(`invalid header "${h}": use Key:Value`);
    return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
  });
}

/** Parses "key=value" flags (metadata) into an object. */
export function parseKeyValues(values: string[] | undefined, what = "metadata"): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  const out: Record<string, string> = {};
  for (const kv of values) {
    const i = kv.indexOf("=");
    if (i <= 0) throw new UsageError(`invalid ${what} "${kv}": use key=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Context of one expansion of a body template. */
export interface TemplateContext {
  count: number;
}

/**
 * Expands a pub/req body template: `{{Count}}` (the message number, from 1), `{{TimeStamp}}`
 * (RFC 3339), `{{Unix}}`, `{{UnixNano}}`, `{{Time}}` (hh:mm:ss), `{{ID}}` (a unique id) and
 * `{{Random min max}}` (that many random characters). A leading dot (`{{ .Count }}`) is accepted.
 */
export function expandTemplate(body: string, ctx: TemplateContext): string {
  if (!body.includes("{{")) return body;
  return body.replace(/\{\{\s*\.?([A-Za-z]+)((?:\s+\d+)*)\s*\}\}/g, (whole, name: string, args: string) => {
    const now = new Date();
    switch (name.toLowerCase()) {
      case "count":
        return String(ctx.count);
      case "timestamp":
        return now.toISOString();
      case "unix":
        return String(Math.floor(now.getTime() / 1000));
      case "unixnano":
        return (BigInt(now.getTime()) * 1_000_000n).toString();
      case "time":
        return now.toTimeString().slice(0, 8);
      case "id":
        return nuid.next();
      case "random": {
        const [min = 0, max = min] = args.trim().split(/\s+/).filter(Boolean).map(Number);
        const n = min + Math.floor(Math.random() * (Math.max(max, min) - min + 1));
        return randomBytes(Math.ceil(n * 0.75) + 3).toString("base64url").slice(0, n);
      }
      default:
        return whole;
    }
  });
}

/** True when `body` has template placeholders (so it is expanded per message). */
export function isTemplate(body: string): boolean {
  return /\{\{.*\}\}/.test(body);
}

/** Reads all of standard input. */
export async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/** A body argument, or standard input when it is omitted and stdin is not a terminal. */
export async function bodyOrStdin(body: string | undefined): Promise<string | Uint8Array> {
  if (body !== undefined) return body;
  if (process.stdin.isTTY) return "";
  return readStdin();
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
