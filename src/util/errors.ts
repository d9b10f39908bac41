/**
 * Every error tsnats raises extends {@link NatsError} and carries a stable string `code`.
 * `instanceof` works for each class; `cause` is set where an error wraps another.
 */
export class NatsError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A caller passed something invalid; thrown before anything is sent. */
export class InvalidArgumentError extends NatsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("INVALID_ARGUMENT", message, options);
  }
}

/** A subject, reply subject or queue name is malformed. */
export class BadSubjectError extends InvalidArgumentError {
  override readonly code: string = "BAD_SUBJECT";
}

export class TimeoutError extends NatsError {
  constructor(message = "timeout", options?: { cause?: unknown }) {
    super("TIMEOUT", message, options);
  }
}

/** A request found no subscriber on its subject (the server answered 503). */
export class NoRespondersError extends NatsError {
  readonly subject: string;
  constructor(subject: string) {
    super("NO_RESPONDERS", `no responders for '${subject}'`);
    this.subject = subject;
  }
}

export class ConnectionClosedError extends NatsError {
  constructor(message = "connection closed", options?: { cause?: unknown }) {
    super("CONNECTION_CLOSED", message, options);
  }
}

export class DrainingError extends NatsError {
  constructor(message = "connection is draining") {
    super("DRAINING", message);
  }
}

export class MaxPayloadExceededError extends NatsError {
  readonly size: number;
  readonly maxPayload: number;
  constructor(size: number, maxPayload: number) {
    super("MAX_PAYLOAD_EXCEEDED", `message of ${size} bytes exceeds the server's max_payload of ${maxPayload} bytes`);
    this.size = size;
    this.maxPayload = maxPayload;
  }
}

export class AuthorizationError extends NatsError {
  constructor(message = "Authorization Violation", code = "AUTHORIZATION_VIOLATION") {
    super(code, message);
  }
}

export class UserAuthenticationExpiredError extends AuthorizationError {
  constructor(message = "User Authentication Expired") {
    super(message, "USER_AUTHENTICATION_EXPIRED");
  }
}

export type PermissionOperation = "publish" | "subscribe";

/** The server refused a publish or subscription; the connection stays up. */
export class PermissionViolationError extends NatsError {
  readonly operation: PermissionOperation;
  readonly subject: string;
  readonly queue?: string;
  constructor(message: string, operation: PermissionOperation, subject: string, queue?: string) {
    super("PERMISSIONS_VIOLATION", message);
    this.operation = operation;
    this.subject = subject;
    if (queue !== undefined) this.queue = queue;
  }
}

export class ReconnectBufferExceededError extends NatsError {
  constructor(limit: number) {
    super("RECONNECT_BUFFER_EXCEEDED", `reconnect buffer of ${limit} bytes is full: the publish was not accepted`);
  }
}

/** Messages were dropped because a subscription exceeded its pending limits. */
export class SlowConsumerError extends NatsError {
  readonly subject: string;
  readonly sid: number;
  readonly dropped: number;
  constructor(subject: string, sid: number, dropped: number) {
    super("SLOW_CONSUMER", `slow consumer on '${subject}' (sid ${sid}): ${dropped} messages dropped so far`);
    this.subject = subject;
    this.sid = sid;
    this.dropped = dropped;
  }
}

export class StaleConnectionError extends NatsError {
  constructor(message = "stale connection") {
    super("STALE_CONNECTION", message);
  }
}

/** Bytes from the server could not be parsed, or broke the protocol. */
export class ProtocolError extends NatsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("PROTOCOL_ERROR", message, options);
  }
}

/** `connect()` could not reach any server; `cause` is the last server's error. */
export class NoServersError extends NatsError {
  constructor(message = "could not connect to any server", options?: { cause?: unknown }) {
    super("NO_SERVERS", message, options);
  }
}

export class TlsError extends NatsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("TLS_ERROR", message, options);
  }
}

export class SecureConnectionRequiredError extends NatsError {
  constructor(message: string) {
    super("SECURE_CONNECTION_REQUIRED", message);
  }
}

/** A socket-level failure (refused, reset, timed out while connecting). */
export class ConnectionError extends NatsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("CONNECTION_ERROR", message, options);
  }
}

/** An `-ERR` from the server that has no more specific class. */
export class ServerError extends NatsError {
  constructor(message: string) {
    super("SERVER_ERROR", message);
  }
}

/** The reason of an aborted signal, as an Error. */
export function abortReason(signal: AbortSignal): Error {
  const r = signal.reason;
  return r instanceof Error ? r : new NatsError("ABORTED", r === undefined ? "aborted" : String(r));
}
