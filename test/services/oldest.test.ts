// The service suites again against the oldest supported server (nats-server 2.9.10, the `oldest`
// role of nats-servers.json): scripts/run-tests.mjs runs only the core suites in its second pass, so
// this file is where services are checked on 2.9.10 (interop with nats.js and nats.go included).
// Nothing in the Service API needs a newer server.
import { describe } from "node:test";
import { serverFor } from "../support/server.js";
import { serviceSuite } from "./service_suite.js";
import { monitoringSuite } from "./monitoring_suite.js";
import { stopSuite } from "./stop_suite.js";
import { clientSuite } from "./client_suite.js";
import { interopSuite } from "./interop_suite.js";

const oldest = { version: "oldest" } as const;

describe(`services on nats-server ${serverFor("oldest").version} (oldest)`, () => {
  describe("services", () => serviceSuite(oldest));
  describe("monitoring", () => monitoringSuite(oldest));
  describe("stopping", () => stopSuite(oldest));
  describe("discovery client", () => clientSuite(oldest));
  describe("interop with nats.js and nats.go", () => interopSuite(oldest));
});
