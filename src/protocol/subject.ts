import { BadSubjectError } from "../util/errors.js";

// Character codes used by the validators.
const DOT = 46;
const STAR = 42;
const GT = 62;

/**
 * Structural check shared by every subject kind: a non-empty string, no whitespace or
 * control characters (nothing can inject protocol text), no empty tokens.
 * Returns a reason, or "" when valid.
 */
function structuralProblem(s: string, wildcards: boolean): string {
  const n = s.length;
  if (n === 0) return "is empty";
  let tokenStart = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 127) return "contains whitespace or a control character";
    if (c === DOT) {
      if (i === tokenStart) return "has an empty token";
      tokenStart = i + 1;
    } else if (wildcards && (c === STAR || c === GT)) {
      // a wildcard must be a whole token; '>' only as the last token
      const tokLen = (i + 1 < n && s.charCodeAt(i + 1) !== DOT) || i !== tokenStart;
      if (tokLen) return `has '${String.fromCharCode(c)}' inside a token`;
      if (c === GT && i !== n - 1) return "has '>' before the last token";
    }
  }
  if (tokenStart === n) return "has an empty token";
  return "";
}

let lastPublishSubject: string | undefined;
/**
 * The reply subject of the last message decoded: a token the parser read from the server, with no
 * whitespace or control character in it, so publishing to it cannot inject protocol text.
 * Answering or acknowledging a message publishes to its reply without scanning it again.
 */
let lastReceivedReply: string | undefined;

/** Records the reply subject of a received message (see lastReceivedReply). */
export function noteReceivedReply(reply: string): void {
  lastReceivedReply = reply;
}

/** Whether `s` is the reply subject of the last message decoded (a subject published to once). */
export function isReceivedReply(s: string): boolean {
  return s === lastReceivedReply;
}

/** Validates a subject for publishing (literal; wildcard characters are passed through as nats.go does). */
export function checkPublishSubject(subject: unknown, what = "subject"): void {
  if (typeof subject !== "string") throw new BadSubjectError(`${what} must be a string`);
  if (subject === lastPublishSubject || subject === lastReceivedReply) return;
  const p = structuralProblem(subject, false);
  if (p) throw new BadSubjectError(`invalid ${what} ${JSON.stringify(subject)}: ${p}`);
  lastPublishSubject = subject;
}

/** Validates a subscription subject (wildcards `*` and a final `>` allowed as whole tokens). */
export function checkSubscribeSubject(subject: unknown): void {
  if (typeof subject !== "string") throw new BadSubjectError("subject must be a string");
  const p = structuralProblem(subject, true);
  if (p) throw new BadSubjectError(`invalid subject ${JSON.stringify(subject)}: ${p}`);
}

/** Validates a reply subject (same structure as a publish subject). */
export function checkReplySubject(reply: unknown): void {
  checkPublishSubject(reply, "reply subject");
}

/** Validates a queue group name: non-empty, no whitespace or control characters. */
export function checkQueueName(queue: unknown): void {
  if (typeof queue !== "string") throw new BadSubjectError("queue must be a string");
  if (queue.length === 0) throw new BadSubjectError("queue name is empty");
  for (let i = 0; i < queue.length; i++) {
    const c = queue.charCodeAt(i);
    if (c <= 32 || c === 127) throw new BadSubjectError(`invalid queue name ${JSON.stringify(queue)}: contains whitespace or a control character`);
  }
}

/** True when `subject` (a literal) matches `pattern` (which may hold `*` and `>`). */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    const t = p[i];
    if (t === ">") return s.length > i;
    if (i >= s.length) return false;
    if (t !== "*" && t !== s[i]) return false;
  }
  return p.length === s.length;
}
