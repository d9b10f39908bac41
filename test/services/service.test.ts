// Services against the default server (see service_suite.ts; oldest.test.ts runs the same against
// nats-server 2.9.10).
import { describe } from "node:test";
import { serviceSuite } from "./service_suite.js";

describe("services", () => serviceSuite());
