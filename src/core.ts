// The public API shared by the Node entry (index.ts) and the browser entry (browser.ts):
// everything except `connect` itself and the Node-only helpers.
import { nuid } from "./util/nuid.js";

/** A new unique inbox subject: `<prefix>.<nuid>` (prefix defaults to `_INBOX`). */
export function createInbox(prefix = "_INBOX"): string {
  return `${prefix}.${nuid.next()}`;
}

export { NatsConnection, type PublishOptions, type Stats } from "./connection/connection.js";
export type { ConnectionOptions, TlsOptions } from "./connection/options.js";
export type { Msg, RespondOptions } from "./connection/msg.js";
export type { Subscription, SubscriptionOptions, MsgCallback } from "./connection/subscription.js";
export type { RequestOptions } from "./connection/requests.js";
export type { RequestManyOptions } from "./connection/request_many.js";
export type { Status, StatusType } from "./connection/status.js";
export type { ServerInfo } from "./connection/info.js";
export { MsgHdrs, headers } from "./protocol/headers.js";
export { nuid, Nuid } from "./util/nuid.js";
export { JSONCodec, StringCodec, type Codec } from "./util/codecs.js";
export { encoded, type EncodedConnection } from "./encoded.js";
export { usernamePasswordAuthenticator, tokenAuthenticator, type Authenticator, type Auth } from "./auth/authenticator.js";
export { channels as diagnosticsChannels } from "./util/diagnostics.js";
export * from "./util/errors.js";
