// Stream and consumer configuration and info documents, with the server's JSON field names.
// Durations are milliseconds here; the wire carries nanoseconds (see durations.ts).
import type { MsgHdrs } from "../core.js";


export type RetentionPolicy = "limits" | "interest" | "workqueue";
export type StorageType = "file" | "memory";
export type DiscardPolicy = "old" | "new";
export type StoreCompression = "none" | "s2";
export type PersistMode = "default" | "async";
export type DeliverPolicy = "all" | "last" | "new" | "by_start_sequence" | "by_start_time" | "last_per_subject";
/** "flow_control" [2.14+]: push consumers only. */
export type AckPolicy = "none" | "all" | "explicit" | "flow_control";
export type ReplayPolicy = "instant" | "original";
export type PriorityPolicy = "none" | "overflow" | "pinned_client" | "prioritized";

export interface SubjectTransform {
  src: string;
  dest: string;
}
export interface Placement {
  cluster?: string;
  tags?: string[];
  /** [2.11+] preferred leader */
  preferred?: string;
}
export interface ExternalStream {
  api: string;
  deliver?: string;
}
/** A mirror or source of a stream. */
export interface StreamSource {
  name: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  filter_subject?: string;
  external?: ExternalStream;
  /** [2.10+] */
  subject_transforms?: SubjectTransform[];
  /** Set by the client for a source in another JetStream domain (turned into `external`). */
  domain?: string;
  /** [2.14+] durable sourcing through a named consumer (ADR-60). */
  consumer?: { name?: string; deliver_subject?: string };
}
export interface Republish {
  src?: string;
  dest: string;
  headers_only?: boolean;
}
export interface StreamConsumerLimits {
  /** ms */
  inactive_threshold?: number;
  max_ack_pending?: number;
}

export interface StreamConfig {
  name: string;
  description?: string;
  subjects?: string[];
  retention?: RetentionPolicy;
  max_consumers?: number;
  max_msgs?: number;
  max_bytes?: number;
  /** ms; 0 = unlimited */
  max_age?: number;
  max_msgs_per_subject?: number;
  max_msg_size?: number;
  storage?: StorageType;
  discard?: DiscardPolicy;
  num_replicas?: number;
  no_ack?: boolean;
  /** ms */
  duplicate_window?: number;
  placement?: Placement;
  mirror?: StreamSource;
  sources?: StreamSource[];
  sealed?: boolean;
  deny_delete?: boolean;
  deny_purge?: boolean;
  allow_rollup_hdrs?: boolean;
  allow_direct?: boolean;
  mirror_direct?: boolean;
  republish?: Republish;
  discard_new_per_subject?: boolean;
  /** [2.10+] */
  compression?: StoreCompression;
  /** [2.10+] */
  first_seq?: number;
  /** [2.10+] */
  subject_transform?: SubjectTransform;
  /** [2.10+] */
  metadata?: Record<string, string>;
  /** [2.10+] */
  consumer_limits?: StreamConsumerLimits;
  /** [2.11+] per-message TTL (`Nats-TTL`) */
  allow_msg_ttl?: boolean;
  /** [2.11+] ms; limit markers are kept this long */
  subject_delete_marker_ttl?: number;
  /** [2.12+] distributed counters */
  allow_msg_counter?: boolean;
  /** [2.12+] atomic batch publish */
  allow_atomic?: boolean;
  /** [2.12+] message schedules */
  allow_msg_schedules?: boolean;
  /** [2.12+] */
  persist_mode?: PersistMode;
  /** [2.14+] fast batch ingest */
  allow_batched?: boolean;
}

export interface ClusterInfo {
  name?: string;
  raft_group?: string;
  leader?: string;
  replicas?: PeerInfo[];
}
export interface PeerInfo {
  name: string;
  current: boolean;
  offline?: boolean;
  /** ms since the peer was last seen */
  active: number;
  lag?: number;
}
export interface LostStreamData {
  msgs: number[] | null;
  bytes: number;
}
export interface StreamState {
  messages: number;
  bytes: number;
  first_seq: number;
  first_ts: string;
  last_seq: number;
  last_ts: string;
  consumer_count: number;
  num_subjects?: number;
  /** subject → count; only with `subjects_filter` (every page is merged) */
  subjects?: Record<string, number>;
  num_deleted?: number;
  /** only with `deleted_details` */
  deleted?: number[];
  lost?: LostStreamData;
}
export interface StreamSourceInfo {
  name: string;
  external?: ExternalStream;
  lag: number;
  /** ms since the source was last active (-1: never) */
  active: number;
  filter_subject?: string;
  subject_transforms?: SubjectTransform[];
  error?: { code: number; err_code?: number; description?: string };
}
export interface StreamAlternate {
  name: string;
  domain?: string;
  cluster: string;
}
export interface StreamInfo {
  config: StreamConfig;
  created: string;
  state: StreamState;
  cluster?: ClusterInfo;
  mirror?: StreamSourceInfo;
  sources?: StreamSourceInfo[];
  alternates?: StreamAlternate[];
  domain?: string;
  /** [2.10+] server time of the response */
  ts?: string;
}

export interface ConsumerConfig {
  name?: string;
  durable_name?: string;
  description?: string;
  deliver_policy?: DeliverPolicy;
  opt_start_seq?: number;
  opt_start_time?: string;
  ack_policy?: AckPolicy;
  /** ms */
  ack_wait?: number;
  max_deliver?: number;
  /** ms per redelivery attempt */
  backoff?: number[];
  filter_subject?: string;
  /** [2.10+] */
  filter_subjects?: string[];
  replay_policy?: ReplayPolicy;
  rate_limit_bps?: number;
  sample_freq?: string;
  max_waiting?: number;
  max_ack_pending?: number;
  headers_only?: boolean;
  max_batch?: number;
  /** ms */
  max_expires?: number;
  max_bytes?: number;
  deliver_subject?: string;
  deliver_group?: string;
  flow_control?: boolean;
  /** ms */
  idle_heartbeat?: number;
  /** ms */
  inactive_threshold?: number;
  num_replicas?: number;
  mem_storage?: boolean;
  /** [2.10+] */
  metadata?: Record<string, string>;
  /** [2.11+] RFC 3339 */
  pause_until?: string;
  /** [2.11+] */
  priority_groups?: string[];
  /** [2.11+]; "prioritized" [2.12+] */
  priority_policy?: PriorityPolicy;
  /** [2.11+] ms */
  priority_timeout?: number;
}

export interface SequenceInfo {
  consumer_seq: number;
  stream_seq: number;
  last_active?: string;
}
export interface PriorityGroupState {
  group: string;
  pinned_client_id?: string;
  pinned_ts?: string;
}
export interface ConsumerInfo {
  stream_name: string;
  name: string;
  created: string;
  config: ConsumerConfig;
  delivered: SequenceInfo;
  ack_floor: SequenceInfo;
  num_ack_pending: number;
  num_redelivered: number;
  num_waiting: number;
  num_pending: number;
  cluster?: ClusterInfo;
  push_bound?: boolean;
  ts?: string;
  /** [2.11+] */
  paused?: boolean;
  /** [2.11+] ms */
  pause_remaining?: number;
  /** [2.11+] */
  priority_groups?: PriorityGroupState[];
}

export interface AccountLimits {
  max_memory: number;
  max_storage: number;
  max_streams: number;
  max_consumers: number;
  max_ack_pending?: number;
  memory_max_stream_bytes?: number;
  storage_max_stream_bytes?: number;
  max_bytes_required?: boolean;
}
export interface JetStreamUsage {
  memory: number;
  storage: number;
  reserved_memory?: number;
  reserved_storage?: number;
  streams: number;
  consumers: number;
  limits: AccountLimits;
}
export interface AccountInfo extends JetStreamUsage {
  domain?: string;
  /** `level` is 0 on servers before 2.11 (they do not report one). */
  api: { total: number; errors: number; level: number };
  tiers?: Record<string, JetStreamUsage>;
}

/** The server's answer to a JetStream publish. */
export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
  domain?: string;
  /** [2.12+] a counter's new total (counter streams) */
  value?: string;
  /** [2.12+] batch id (atomic batch commit) */
  batch?: string;
  /** [2.12+] number of messages in the committed batch */
  count?: number;
}

export interface PurgeOpts {
  /** Purge only this subject (wildcards allowed). */
  filter?: string;
  /** Purge everything below this sequence. */
  seq?: number;
  /** Keep the newest `keep` messages. */
  keep?: number;
}
export interface PurgeResponse {
  success: boolean;
  purged: number;
}

export interface StreamInfoRequestOptions {
  /** Include the deleted sequences in `state.deleted`. */
  deleted_details?: boolean;
  /** Include per-subject counts for subjects matching this filter in `state.subjects` (every page). */
  subjects_filter?: string;
}

/** A message read from a stream (`getMessage`, direct get). */
export interface StoredMsg {
  subject: string;
  seq: number;
  data: Uint8Array;
  headers?: MsgHdrs;
  time: Date;
  /** The stored time as the server wrote it (RFC 3339, nanoseconds). */
  timestamp: string;
  string(): string;
  json<T = unknown>(): T;
}

export type MsgRequest = { seq: number } | { last_by_subj: string } | { next_by_subj: string; seq?: number };
