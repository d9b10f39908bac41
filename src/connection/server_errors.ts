import {
  AuthorizationError,
  BadSubjectError,
  NatsError,
  PermissionViolationError,
  SecureConnectionRequiredError,
  ServerError,
  StaleConnectionError,
  UserAuthenticationExpiredError,
} from "../util/errors.js";

/**
 * What to do with an `-ERR`: `transient` keeps the connection, `reconnect` treats it as a lost
 * connection, `auth` goes through auth-error handling, `close` ends the connection.
 */
export type ErrAction = "transient" | "reconnect" | "auth" | "close";

export interface MappedServerError {
  error: NatsError;
  action: ErrAction;
  /** For subscription permission errors sent at runtime, the sid the server named. */
  sid?: number;
}

function quoted(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push(m[1]!);
  return out;
}

/** Maps the normalised text of an `-ERR` (quotes removed) to an error class and an action. */
export function mapServerError(text: string): MappedServerError {
  const e = text.toLowerCase();
  if (e.startsWith("permissions violation")) {
    const q = quoted(text);
    if (e.startsWith("permissions violation for subscription")) {
      const sidMatch = /\(sid "?(\d+)"?\)/i.exec(text);
      const queue = e.includes(" using queue ") ? q[1] : undefined;
      const err = new PermissionViolationError(`Permissions Violation for Subscription to "${q[0] ?? ""}"`, "subscribe", q[0] ?? "", queue);
      return { error: err, action: "transient", ...(sidMatch ? { sid: Number(sidMatch[1]) } : {}) };
    }
    return { error: new PermissionViolationError(text, "publish", q[0] ?? ""), action: "transient" };
  }
  if (e.startsWith("authorization violation")) return { error: new AuthorizationError(text), action: "auth" };
  if (e.startsWith("user authentication expired")) return { error: new UserAuthenticationExpiredError(text), action: "auth" };
  if (e.startsWith("user authentication revoked")) return { error: new AuthorizationError(text, "USER_AUTHENTICATION_REVOKED"), action: "auth" };
  if (e.startsWith("account authentication expired")) return { error: new AuthorizationError(text, "ACCOUNT_AUTHENTICATION_EXPIRED"), action: "auth" };
  if (e.startsWith("stale connection")) return { error: new StaleConnectionError(text), action: "reconnect" };
  if (e.startsWith("maximum connections exceeded") || e.startsWith("maximum account active connections exceeded") || e.startsWith("connection throttling")) {
    return { error: new ServerError(text), action: "reconnect" };
  }
  if (e.startsWith("secure connection - tls required")) return { error: new SecureConnectionRequiredError(text), action: "close" };
  if (e.startsWith("invalid subject") || e.startsWith("invalid publish subject")) return { error: new BadSubjectError(`server: ${text}`), action: "transient" };
  if (e.startsWith("maximum subscriptions exceeded")) return { error: new NatsError("MAX_SUBSCRIPTIONS_EXCEEDED", text), action: "transient" };
  return { error: new ServerError(text), action: "close" };
}
