// tsnats/obj: the Object Store (ADR-20) on JetStream. This entry has no Node.js dependency (the
// browser gets it); in Node, "tsnats/obj" resolves to node.ts, which adds files and Node streams.
export { Objm } from "./objm.js";
export { ObjectStore } from "./store.js";
export { ObjectWatcher } from "./watcher.js";
export * from "./errors.js";
export type * from "./types.js";
export type { Hasher } from "./sha256.js";
