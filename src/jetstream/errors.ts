// JetStream errors: the server's API errors with their numeric codes, and the client-side refusals
// (a feature the server is too old for, a config the server did not keep, a consumer gone).
import { NatsError } from "../util/errors.js";

/** The `error` object of a JetStream API response. */
export interface ApiErrorBody {
  code: number;
  err_code?: number;
  description?: string;
}

/**
 * The JetStream API answered with an error. `status` is the server's HTTP-like code (400, 404, 503…),
 * `errCode` its numeric NATS code (10059…), `description` its text; `code` is a stable string
 * (`"JETSTREAM_API"`, or the subclass's own).
 */
export class JetStreamApiError extends NatsError {
  readonly status: number;
  readonly errCode: number;
  readonly description: string;
  constructor(body: ApiErrorBody, code = "JETSTREAM_API") {
    const desc = body.description ?? "unknown JetStream error";
    super(code, `${desc} (status ${body.code}, err_code ${body.err_code ?? 0})`);
    this.status = body.code;
    this.errCode = body.err_code ?? 0;
    this.description = desc;
  }
}

export class StreamNotFoundError extends JetStreamApiError {
  constructor(body: ApiErrorBody) {
    super(body, "STREAM_NOT_FOUND");
  }
}
export class ConsumerNotFoundError extends JetStreamApiError {
  constructor(body: ApiErrorBody) {
    super(body, "CONSUMER_NOT_FOUND");
  }
}
export class MessageNotFoundError extends JetStreamApiError {
  constructor(body: ApiErrorBody) {
    super(body, "MESSAGE_NOT_FOUND");
  }
}
export class StreamNameInUseError extends JetStreamApiError {
  constructor(body: ApiErrorBody) {
    super(body, "STREAM_NAME_IN_USE");
  }
}
export class WrongLastSequenceError extends JetStreamApiError {
  constructor(body: ApiErrorBody) {
    super(body, "WRONG_LAST_SEQUENCE");
  }
}
export class WrongLastMsgIdError extends JetStreamApiError {
  constructor(body: ApiErrorBody) {
    super(body, "WRONG_LAST_MSG_ID");
  }
}
export class StreamWrongNameError extends JetStreamApiError {
  constructor(body: ApiErrorBody) {
    super(body, "STREAM_WRONG_NAME");
  }
}

/** The server's numeric error codes that have a class of their own. */
export const ErrCode = {
  StreamNotFound: 10059,
  ConsumerNotFound: 10014,
  MessageNotFound: 10037,
  StreamNameInUse: 10058,
  WrongLastSequence: 10071,
  WrongLastSequenceReplicated: 10164,
  WrongLastMsgId: 10070,
  StreamWrongName: 10060,
  JetStreamNotEnabled: 10076,
  JetStreamNotEnabledForAccount: 10039,
  ConsumerAlreadyExists: 10148,
  ConsumerDoesNotExist: 10149,
} as const;

/** The error class for an API error body. */
export function apiError(body: ApiErrorBody): JetStreamApiError {
  switch (body.err_code) {
    case ErrCode.StreamNotFound:
      return new StreamNotFoundError(body);
    case ErrCode.ConsumerNotFound:
      return new ConsumerNotFoundError(body);
    case ErrCode.MessageNotFound:
      return new MessageNotFoundError(body);
    case ErrCode.StreamNameInUse:
      return new StreamNameInUseError(body);
    case ErrCode.WrongLastSequence:
    case ErrCode.WrongLastSequenceReplicated:
      return new WrongLastSequenceError(body);
    case ErrCode.WrongLastMsgId:
      return new WrongLastMsgIdError(body);
    case ErrCode.StreamWrongName:
      return new StreamWrongNameError(body);
    default:
      return new JetStreamApiError(body);
  }
}

/** JetStream is not enabled for the account, or not reachable in the domain asked for. */
export class JetStreamNotEnabledError extends NatsError {
  constructor(message = "JetStream is not enabled or not reachable", options?: { cause?: unknown }) {
    super("JETSTREAM_NOT_ENABLED", message, options);
  }
}

/** The connected server is too old for a feature; refused before anything was sent. */
export class FeatureNotSupportedError extends NatsError {
  readonly feature: string;
  readonly requires: string;
  readonly serverVersion: string;
  constructor(feature: string, requires: string, serverVersion: string) {
    super("FEATURE_NOT_SUPPORTED", `${feature} needs nats-server ${requires} or newer; the server is ${serverVersion}`);
    this.feature = feature;
    this.requires = requires;
    this.serverVersion = serverVersion;
  }
}

/** The server accepted a config but did not keep a field the caller set (an older server ignores unknown fields). */
export class ConfigNotAppliedError extends NatsError {
  readonly field: string;
  constructor(what: string, field: string, serverVersion: string) {
    super("CONFIG_NOT_APPLIED", `nats-server ${serverVersion} did not apply ${what} field '${field}'`);
    this.field = field;
  }
}

/** A publish found no stream capturing its subject (after the retries). */
export class NoStreamResponseError extends NatsError {
  readonly subject: string;
  constructor(subject: string, options?: { cause?: unknown }) {
    super("NO_STREAM_RESPONSE", `no stream answered a publish to '${subject}' (no stream captures it, or JetStream is unavailable)`, options);
    this.subject = subject;
  }
}

/** A consumer was deleted while it was being consumed. */
export class ConsumerDeletedError extends NatsError {
  constructor(message = "consumer deleted") {
    super("CONSUMER_DELETED", message);
  }
}

/** An atomic batch was refused or could not be completed. */
export class BatchError extends NatsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BATCH_ERROR", message, options);
  }
}
