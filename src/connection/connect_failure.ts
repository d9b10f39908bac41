import { NatsError, NoServersError } from "../util/errors.js";

/** A Node system error (errno), e.g. ECONNREFUSED from a socket or ENOTFOUND from DNS. */
function errnoCode(e: unknown): string | undefined {
  const x = e as { code?: unknown; errno?: unknown; syscall?: unknown } | null;
  return x && typeof x.code === "string" && typeof x.errno === "number" && typeof x.syscall === "string" ? x.code : undefined;
}

/**
 * A short reason for a failed attempt: the errno code found along the `cause` chain
 * (ECONNREFUSED, ENOTFOUND...), else the code of the innermost NatsError in it (TIMEOUT,
 * AUTHORIZATION_VIOLATION, TLS_ERROR...), else the error's own code or name.
 */
export function failureReason(err: unknown): string {
  let natsCode: string | undefined;
  let e: unknown = err;
  for (let depth = 0; e != null && depth < 8; depth++) {
    const errno = errnoCode(e);
    if (errno) return errno;
    if (e instanceof NatsError) natsCode = e.code;
    e = (e as { cause?: unknown }).cause;
  }
  if (natsCode) return natsCode;
  const x = err as { code?: unknown; name?: unknown } | null;
  if (x && typeof x.code === "string" && x.code) return x.code;
  return x && typeof x.name === "string" && x.name ? x.name : "error";
}

/** The servers a connect (or reconnect) tried, each with the reason its last attempt failed. */
export class FailedAttempts {
  private readonly reasons = new Map<string, string>();

  add(hostport: string, err: unknown): void {
    this.reasons.set(hostport, failureReason(err));
  }

  /** "could not connect to any server: 127.0.0.1:1 (ECONNREFUSED), 127.0.0.1:2 (TIMEOUT)" */
  message(): string {
    const base = "could not connect to any server";
    if (this.reasons.size === 0) return base;
    return `${base}: ${[...this.reasons].map(([hp, why]) => `${hp} (${why})`).join(", ")}`;
  }

  /** A NoServersError naming every server tried; `cause` is the last server's error. */
  error(lastErr: unknown): NoServersError {
    return new NoServersError(this.message(), lastErr === undefined ? undefined : { cause: lastErr });
  }
}
