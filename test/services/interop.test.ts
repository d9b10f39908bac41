// Service API interop with nats.js (@nats-io/services) and nats.go (micro) against the current
// server (see interop_suite.ts; oldest.test.ts runs the same against nats-server 2.9.10).
import { describe } from "node:test";
import { interopSuite } from "./interop_suite.js";

describe("service interop", () => interopSuite());
