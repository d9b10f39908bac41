// tsnats/jetstream: JetStream management, publishing and reading streams.
export { jetstream, JetStreamClient } from "./jetstream.js";
export { jetstreamManager, JetStreamManager } from "./manager.js";
export type { JetStreamOptions, ApiCallOptions } from "./api.js";
export type { Streams } from "./streams.js";
export type { Consumers, ConsumerAction, ConsumerPauseResponse, ConsumerResetResponse } from "./consumers.js";
export type { DirectGets, DirectBatchOptions, DirectLastForOptions } from "./direct.js";
export type { JetStreamPublishOptions, PublishExpectations, ScheduleOptions } from "./publish_options.js";
export type { Batch, BatchAck, BatchOptions, BatchMessageOptions } from "./batch.js";
export { MAX_BATCH_SIZE } from "./batch.js";
export type { Counters } from "./counters.js";
export * from "./errors.js";
export * from "./types.js";
export { FEATURES, type Feature } from "./features.js";
