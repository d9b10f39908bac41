// What a pull or push consumer reports besides messages (API.md's ConsumerStatus), and how each
// status message the server sends on a pull inbox is classified (ADR-37, ADR-42).
import type { MsgHdrs } from "../core.js";

export type ConsumerStatus =
  | { type: "heartbeats_missed"; count: number }
  | { type: "consumer_deleted" }
  | { type: "consumer_not_found" }
  | { type: "stream_not_found" }
  | { type: "leadership_change" }
  | { type: "discard"; msgsLeft: number; bytesLeft: number }
  | { type: "reset"; name: string }
  | { type: "pinned"; id: string }
  | { type: "unpinned" }
  | { type: "reconnected" }
  | { type: "exceeded_limits"; description: string }
  | { type: "no_responders" }
  | { type: "flow_control" }
  | { type: "error"; error: Error };

/** What the pull loop does with a status message. */
export type StatusAction =
  /** 100 Idle Heartbeat: only proves the server is there. */
  | { kind: "heartbeat" }
  /** The pull ended early: subtract what it will no longer deliver. */
  | { kind: "ended"; msgs: number; bytes: number; status: number; description: string }
  /** A warning: the pull was refused; report and pull again after a pause. */
  | { kind: "warning"; status: ConsumerStatus }
  /** The consumer leader moved: pull again at once. */
  | { kind: "leadership" }
  /** 423: the pin was lost. */
  | { kind: "unpinned"; msgs: number; bytes: number }
  /** 503: nobody answered the pull (no consumer leader yet, or JetStream gone). */
  | { kind: "no_responders" }
  /** Ends consuming for good. */
  | { kind: "terminal"; reason: "consumer_deleted" | "push_based" | "bad_request" | "other"; description: string };

function pending(h: MsgHdrs): { msgs: number; bytes: number } {
  return { msgs: Number(h.get("Nats-Pending-Messages") || 0), bytes: Number(h.get("Nats-Pending-Bytes") || 0) };
}

export function classifyStatus(h: MsgHdrs): StatusAction {
  const code = h.code;
  const desc = h.description;
  const d = desc.toLowerCase();
  switch (code) {
    case 100:
      return { kind: "heartbeat" };
    case 404:
    case 408:
      return { kind: "ended", ...pending(h), status: code, description: desc };
    case 409:
      if (d.includes("consumer deleted")) return { kind: "terminal", reason: "consumer_deleted", description: desc };
      if (d.includes("push based")) return { kind: "terminal", reason: "push_based", description: desc };
      if (d.includes("leadership change")) return { kind: "leadership" };
      if (d.includes("exceeded max")) return { kind: "warning", status: { type: "exceeded_limits", description: desc } };
      // Message Size Exceeds MaxBytes, Batch Completed, and anything else that ends the pull
      return { kind: "ended", ...pending(h), status: code, description: desc };
    case 423:
      return { kind: "unpinned", ...pending(h) };
    case 503:
      return { kind: "no_responders" };
    case 400:
      return { kind: "terminal", reason: "bad_request", description: desc };
    default:
      return { kind: "ended", ...pending(h), status: code, description: desc };
  }
}
