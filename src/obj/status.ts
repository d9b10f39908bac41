// A bucket's status, read from its stream's info.
import type { StreamInfo } from "../jetstream/index.js";
import type { ObjectStoreStatus } from "./types.js";

/** The status of a bucket from its stream's info (`ttl` in ms, the server's `_nats.*` metadata left out). */
export function statusOf(si: StreamInfo): ObjectStoreStatus {
  const c = si.config;
  return {
    bucket: c.name.startsWith("OBJ_") ? c.name.slice(4) : c.name,
    description: c.description ?? "",
    ttl: c.max_age ?? 0,
    storage: c.storage ?? "file",
    replicas: c.num_replicas ?? 1,
    sealed: c.sealed === true,
    size: si.state.bytes,
    backingStore: "JetStream",
    metadata: Object.fromEntries(Object.entries(c.metadata ?? {}).filter(([k]) => !k.startsWith("_nats."))),
    compression: c.compression !== undefined && c.compression !== "none",
    streamInfo: si,
  };
}
