// tsnats/kv: Key-Value buckets on JetStream (ADR-8).
export { Kvm } from "./kvm.js";
export type { Bucket } from "./bucket.js";
export type { KvWatcher } from "./watcher.js";
export * from "./errors.js";
export type {
  KvCallOptions,
  KvCreateOptions,
  KvDeleteOptions,
  KvEntry,
  KvGetOptions,
  KvHistoryOptions,
  KvOperation,
  KvOptions,
  KvOpenOptions,
  KvPurgeDeletesOptions,
  KvPurgeOptions,
  KvPutOptions,
  KvStatus,
  KvWatchOptions,
} from "./types.js";
