// $SRV PING / INFO / STATS against the default server (see monitoring_suite.ts; oldest.test.ts runs
// the same against nats-server 2.9.10).
import { describe } from "node:test";
import { monitoringSuite } from "./monitoring_suite.js";

describe("service monitoring", () => monitoringSuite());
