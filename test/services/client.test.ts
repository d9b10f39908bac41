// The discovery client against the default server (see client_suite.ts; oldest.test.ts runs the same
// against nats-server 2.9.10).
import { describe } from "node:test";
import { clientSuite } from "./client_suite.js";

describe("service discovery client", () => clientSuite());
