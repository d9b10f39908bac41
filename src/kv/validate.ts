// Bucket names and keys (ADR-6, ADR-8), checked before anything is sent.
import { InvalidArgumentError } from "../util/errors.js";

const BUCKET = /^[A-Za-z0-9_-]+$/;
const KEY = /^[-/_=.A-Za-z0-9]+$/;
const FILTER = /^[-/_=.A-Za-z0-9*]*>?$/;

export function checkBucket(name: unknown): asserts name is string {
  if (typeof name !== "string" || !BUCKET.test(name)) {
    throw new InvalidArgumentError(`invalid bucket name ${JSON.stringify(name)}: use letters, digits, '_' and '-'`);
  }
}

function dots(k: string): boolean {
  return k.startsWith(".") || k.endsWith(".") || k.includes("..");
}

/** A key to write or read: `[-/_=.A-Za-z0-9]`, no leading/trailing/double dots, not `_kv…`. */
export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== "string" || !KEY.test(key) || dots(key)) {
    throw new InvalidArgumentError(`invalid key ${JSON.stringify(key)}: use letters, digits and - / _ = . (no leading, trailing or double dots)`);
  }
  if (key.startsWith("_kv")) throw new InvalidArgumentError(`invalid key ${JSON.stringify(key)}: keys starting with '_kv' are reserved`);
}

/** A key filter for watch/keys: a key that may hold `*` tokens and a final `>`. */
export function checkKeyFilter(filter: unknown): asserts filter is string {
  if (typeof filter !== "string" || filter.length === 0 || !FILTER.test(filter) || dots(filter)) {
    throw new InvalidArgumentError(`invalid key filter ${JSON.stringify(filter)}`);
  }
  for (const t of filter.split(".")) {
    if ((t.includes("*") && t !== "*") || (t.includes(">") && t !== ">")) throw new InvalidArgumentError(`invalid key filter ${JSON.stringify(filter)}: wildcards must be whole tokens`);
  }
}
