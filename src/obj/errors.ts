// Object store errors with stable codes.
import { NatsError } from "../core.js";

/** `objm.open()` / `objm.delete()` of a bucket that does not exist (or a store whose bucket is gone). */
export class BucketNotFoundError extends NatsError {
  readonly bucket: string;
  constructor(bucket: string, options?: { cause?: unknown }) {
    super("BUCKET_NOT_FOUND", `object store '${bucket}' not found`, options);
    this.bucket = bucket;
  }
}

/** `objm.create()` of a bucket that exists with another configuration. */
export class BucketExistsError extends NatsError {
  readonly bucket: string;
  constructor(bucket: string, options?: { cause?: unknown }) {
    super("BUCKET_EXISTS", `object store '${bucket}' exists with a different configuration`, options);
    this.bucket = bucket;
  }
}

/** `delete()`, `update()` or `link()` of an object that does not exist (or is deleted). */
export class ObjectNotFoundError extends NatsError {
  readonly object: string;
  constructor(name: string, message = `object '${name}' not found`) {
    super("OBJECT_NOT_FOUND", message);
    this.object = name;
  }
}

/** A rename or link onto the name of an existing object. */
export class ObjectExistsError extends NatsError {
  readonly object: string;
  constructor(name: string) {
    super("OBJECT_EXISTS", `an object named '${name}' exists`);
    this.object = name;
  }
}

/** The bytes read do not hash to the object's stored digest. */
export class DigestMismatchError extends NatsError {
  readonly expected: string;
  readonly computed: string;
  constructor(name: string, expected: string, computed: string) {
    super("DIGEST_MISMATCH", `object '${name}' is corrupt: its digest is ${expected}, its bytes hash to ${computed}`);
    this.expected = expected;
    this.computed = computed;
  }
}

/** Stored object data that cannot be right: unreadable meta, missing chunks, a size that does not add up. */
export class BadObjectError extends NatsError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("BAD_OBJECT", message, options);
  }
}

/** The reader of an object cancelled its stream before the end. */
export class ObjectReadCancelledError extends NatsError {
  constructor(name: string, options?: { cause?: unknown }) {
    super("CANCELLED", `reading object '${name}' was cancelled before the end`, options);
  }
}

/** A Node-only helper (files, Node streams) called where there is no Node.js (a browser). */
export class NodeOnlyError extends NatsError {
  constructor(what: string) {
    super("NOT_SUPPORTED", `${what} needs Node.js (import from "tsnats/obj" in Node); in a browser use web streams`);
  }
}
