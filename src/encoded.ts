// Encoded connections (nats.go's EncodedConn): a connection whose payloads are values, turned
// into bytes and back by a codec. An API-level wrapper over the public NatsConnection, so it sits
// above connection/ (the codecs themselves are in util/codecs.ts).
import type { Codec } from "./util/codecs.js";
import type { Msg } from "./connection/msg.js";
import type { NatsConnection, PublishOptions } from "./connection/connection.js";
import type { Subscription, SubscriptionOptions } from "./connection/subscription.js";
import type { RequestOptions } from "./connection/requests.js";

/** A connection that speaks values of type T (nats.go's EncodedConn). */
export interface EncodedConnection<T> {
  readonly nc: NatsConnection;
  publish(subject: string, value: T, opts?: PublishOptions): void;
  /**
   * Subscribes; `callback` gets each decoded value. A payload that does not decode (and a
   * slow-consumer notice) goes to `opts.onError`; without it the error is thrown from the
   * callback, which the connection reports as an `error` status event.
   */
  subscribe(subject: string, callback: (value: T, msg: Msg) => void, opts?: Omit<SubscriptionOptions, "callback"> & { onError?: (err: Error, msg?: Msg) => void }): Subscription;
  /** Sends a value and resolves with the decoded reply. */
  request<R = T>(subject: string, value: T, opts?: RequestOptions, replyCodec?: Codec<R>): Promise<R>;
  /** Answers `msg` with a value. */
  respond(msg: Msg, value: T): boolean;
}

/** Wraps `nc` so that payloads are values encoded with `codec`. */
export function encoded<T>(nc: NatsConnection, codec: Codec<T>): EncodedConnection<T> {
  return {
    nc,
    publish: (subject, value, opts) => nc.publish(subject, codec.encode(value), opts),
    subscribe: (subject, callback, opts = {}) => {
      const { onError, ...subOpts } = opts;
      const fail = (err: Error, msg?: Msg) => {
        if (onError) onError(err, msg);
        else throw err;
      };
      return nc.subscribe(subject, {
        ...subOpts,
        callback: (err, msg) => {
          if (err) return fail(err, msg);
          let v: T;
          try {
            v = codec.decode(msg.data);
          } catch (e) {
            return fail(e as Error, msg);
          }
          callback(v, msg);
        },
      });
    },
    request: async <R>(subject: string, value: T, opts?: RequestOptions, replyCodec?: Codec<R>) => {
      const m = await nc.request(subject, codec.encode(value), opts);
      return (replyCodec ?? (codec as unknown as Codec<R>)).decode(m.data);
    },
    respond: (msg, value) => msg.respond(codec.encode(value)),
  };
}
