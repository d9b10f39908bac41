// Checks made before a service, group or endpoint sends anything (ADR-32 naming rules).
import { BadSubjectError, InvalidArgumentError } from "../core.js";

const NAME = /^[A-Za-z0-9_-]+$/;

/**
 * SemVer 2.0 (semver.org's grammar): MAJOR.MINOR.PATCH without leading zeros, an optional
 * `-prerelease` of dot-separated identifiers (numeric ones without leading zeros) and optional
 * `+build` metadata.
 */
const NUMERIC = "0|[1-9]\\d*";
const PRE_ID = `(?:${NUMERIC}|\\d*[A-Za-z-][0-9A-Za-z-]*)`;
const SEMVER = new RegExp(`^(?:${NUMERIC})\\.(?:${NUMERIC})\\.(?:${NUMERIC})(?:-${PRE_ID}(?:\\.${PRE_ID})*)?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`);

/** Service and endpoint names (and instance ids): `[A-Za-z0-9_-]+`. */
export function checkServiceName(name: unknown, what: string): asserts name is string {
  if (typeof name !== "string" || name.length === 0) throw new InvalidArgumentError(`${what} must be a non-empty string`);
  if (!NAME.test(name)) throw new InvalidArgumentError(`invalid ${what} ${JSON.stringify(name)}: only A-Z, a-z, 0-9, '-' and '_' are allowed`);
}

export function checkVersion(version: unknown): asserts version is string {
  if (typeof version !== "string" || !SEMVER.test(version)) {
    throw new InvalidArgumentError(`invalid service version ${JSON.stringify(version)}: it must be a SemVer 2.0 version such as "1.0.0"`);
  }
}

/** A copy of `metadata` (string → string), `{}` when undefined. */
export function checkMetadata(metadata: unknown, what: string): Record<string, string> {
  if (metadata === undefined) return {};
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) throw new InvalidArgumentError(`${what} metadata must be an object of strings`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") throw new InvalidArgumentError(`${what} metadata '${k}' must be a string`);
    out[k] = v;
  }
  return out;
}

/** Whitespace or a control character: never allowed in a subject or a queue name (protocol fields). */
function unsafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 127) return true;
  }
  return false;
}

/** A queue group option: undefined (inherit), null (none) or a valid queue name. */
export function checkQueue(queue: unknown, what: string): asserts queue is string | null | undefined {
  if (queue === undefined || queue === null) return;
  if (typeof queue !== "string") throw new BadSubjectError(`${what} queue must be a string (null for no queue group)`);
  if (queue === "") throw new BadSubjectError(`${what} queue must be a non-empty string (null for no queue group)`);
  if (unsafe(queue)) throw new BadSubjectError(`${what}: invalid queue name ${JSON.stringify(queue)}: contains whitespace or a control character`);
}

/**
 * A subscription subject: non-empty tokens joined by '.', no whitespace or control characters,
 * wildcards only as whole tokens and '>' only as the last one.
 */
function checkSubject(subject: unknown, what: string): asserts subject is string {
  if (typeof subject !== "string") throw new BadSubjectError(`${what} must be a string`);
  const problem = (): string => {
    if (subject === "") return "is empty";
    if (unsafe(subject)) return "contains whitespace or a control character";
    const tokens = subject.split(".");
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i]!;
      if (t === "") return "has an empty token";
      if (t !== "*" && t !== ">" && /[*>]/.test(t)) return "has a wildcard inside a token";
      if (t === ">" && i !== tokens.length - 1) return "has '>' before the last token";
    }
    return "";
  };
  const p = problem();
  if (p) throw new BadSubjectError(`invalid ${what} ${JSON.stringify(subject)}: ${p}`);
}

/** A group prefix: "" or a subject (wildcard `*` allowed) without `>`. */
export function checkGroupPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== "string") throw new BadSubjectError("group name must be a string");
  if (prefix === "") return;
  checkSubject(prefix, "group name");
  if (prefix.split(".").includes(">")) throw new BadSubjectError(`invalid group name ${JSON.stringify(prefix)}: it may not contain '>'`);
}

/** An endpoint subject (wildcards allowed, `>` only last). */
export function checkEndpointSubject(subject: unknown): asserts subject is string {
  checkSubject(subject, "endpoint subject");
}

/** Refuses keys of `obj` outside `allowed`. */
export function checkKeys(obj: unknown, allowed: readonly string[], what: string): void {
  if (obj === null || typeof obj !== "object" || Array.isArray(obj)) throw new InvalidArgumentError(`${what} must be an object`);
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new InvalidArgumentError(`unknown ${what} option '${k}'`);
}

export function checkFunction(fn: unknown, what: string): void {
  if (fn !== undefined && typeof fn !== "function") throw new InvalidArgumentError(`${what} must be a function`);
}

export function checkMs(v: unknown, what: string): void {
  if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v <= 0)) throw new InvalidArgumentError(`${what} must be a positive number of milliseconds`);
}
