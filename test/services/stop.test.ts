// stop() and the end of a service against the default server (see stop_suite.ts; oldest.test.ts
// runs the same against nats-server 2.9.10).
import { describe } from "node:test";
import { stopSuite } from "./stop_suite.js";

describe("stopping services", () => stopSuite());
