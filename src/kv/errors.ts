// Key-Value errors with stable codes.
import { NatsError } from "../util/errors.js";

/** `kvm.open()` / `update()` of a bucket that does not exist. */
export class BucketNotFoundError extends NatsError {
  constructor(bucket: string, options?: { cause?: unknown }) {
    super("BUCKET_NOT_FOUND", `bucket '${bucket}' not found`, options);
  }
}

/** `kvm.create()` of a bucket that exists with another configuration. */
export class BucketExistsError extends NatsError {
  constructor(bucket: string, options?: { cause?: unknown }) {
    super("BUCKET_EXISTS", `bucket '${bucket}' exists with a different configuration`, options);
  }
}

/** `kv.create()` of a key that has a live value. */
export class KeyExistsError extends NatsError {
  readonly key: string;
  constructor(key: string, options?: { cause?: unknown }) {
    super("KEY_EXISTS", `key '${key}' exists`, options);
    this.key = key;
  }
}

/** A stored value the bucket's codec could not decode (raised when the entry's value is read). */
export class ValueDecodeError extends NatsError {
  constructor(key: string, revision: number, cause: unknown) {
    super("VALUE_DECODE", `value of '${key}' at revision ${revision} could not be decoded`, { cause });
  }
}
