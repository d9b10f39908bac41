import { connectWith } from "./connection/connect.js";
import type { NatsConnection } from "./connection/connection.js";
import type { ConnectionOptions } from "./connection/options.js";
import { nodeTransportFactory } from "./transport/node_factory.js";
import { nuid } from "./util/nuid.js";

/**
 * Connects to a NATS server. Resolves once connected (or at once with
 * `retryOnFailedConnect`); rejects with `NoServersError` (or the server's specific error,
 * such as an `AuthorizationError`) when no server could be reached.
 */
export function connect(opts?: ConnectionOptions): Promise<NatsConnection> {
  return connectWith(opts, nodeTransportFactory);
}

/** A new unique inbox subject: `<prefix>.<nuid>` (prefix defaults to `_INBOX`). */
export function createInbox(prefix = "_INBOX"): string {
  return `${prefix}.${nuid.next()}`;
}

export { NatsConnection, type PublishOptions, type Stats } from "./connection/connection.js";
export type { ConnectionOptions, TlsOptions } from "./connection/options.js";
export type { Msg } from "./connection/msg.js";
export type { Subscription, SubscriptionOptions, MsgCallback } from "./connection/subscription.js";
export type { RequestOptions } from "./connection/requests.js";
export type { RequestManyOptions } from "./connection/request_many.js";
export type { Status, StatusType } from "./connection/status.js";
export type { ServerInfo } from "./connection/info.js";
export { MsgHdrs, headers } from "./protocol/headers.js";
export { nuid, Nuid } from "./util/nuid.js";
export { JSONCodec, StringCodec, encoded, type Codec, type EncodedConnection } from "./util/codecs.js";
export { usernamePasswordAuthenticator, tokenAuthenticator, type Authenticator, type Auth } from "./auth/authenticator.js";
export { channels as diagnosticsChannels } from "./util/diagnostics.js";
export * from "./util/errors.js";
export {
  nkeys,
  NKeyPrefix,
  fromSeed,
  fromRawSeed,
  fromPublic,
  createPair,
  createUser,
  createAccount,
  createOperator,
  createServer,
  createCluster,
  isValidPublicKey,
  type KeyPair,
} from "./auth/nkeys.js";
export {
  decodeJwt,
  verifyJwt,
  encodeJwt,
  encodeUserJwt,
  encodeAccountJwt,
  encodeOperatorJwt,
  type JwtHeader,
  type JwtClaims,
  type DecodedJwt,
  type JwtPermission,
  type JwtOptions,
  type UserNats,
  type AccountNats,
  type OperatorNats,
} from "./auth/jwt.js";
export { parseCreds, formatCreds, nkeyAuthenticator, jwtAuthenticator, credsAuthenticator, type Creds, type SecretSource } from "./auth/creds.js";
export { credsFile } from "./auth/creds_file.js";
