// `npm run demo` (examples/demo.ts) runs as written against a real nats-server with JetStream, and
// every scene reports what it should; without JetStream the JetStream scenes are skipped, said so.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { NatsServer } from "../support/server.js";

const root = resolve(import.meta.dirname, "../../..");

function runDemo(url: string): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [join(root, "build/examples/demo.js")], { env: { ...process.env, NATS_URL: url }, timeout: 60_000 });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("close", (code) => res({ code, out }));
  });
}

describe("npm run demo", () => {
  let js: NatsServer;
  let plain: NatsServer;
  before(async () => {
    js = await NatsServer.start({ jetstream: true });
    plain = await NatsServer.start();
  });
  after(async () => {
    await js.stop();
    await plain.stop();
  });

  it("shows every scene against a JetStream server", async () => {
    const r = await runDemo(js.url);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /total 30 of 30, each job exactly once/);
    assert.match(r.out, /the same msgID again -> duplicate: true/);
    assert.match(r.out, /consumer 'billing' took 50 and acked them: ack floor 50, pending 0/);
    assert.match(r.out, /an update from revision 1 again -> WRONG_LAST_SEQUENCE/);
    assert.match(r.out, /the watcher saw: PUT color.sky=blue, PUT color.sky=grey, DEL color.sky=/);
    assert.match(r.out, /got it back: 5242880 bytes, identical: true/);
    assert.match(r.out, /math.add \{a:2,b:3\} -> \{"sum":5\}/);
    assert.match(r.out, /discovered adder 1.0.0/);
  });

  it("skips the JetStream scenes, saying so, on a server without JetStream", async () => {
    const r = await runDemo(plain.url);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /JetStream is not enabled on this server/);
    assert.match(r.out, /math.add \{a:2,b:3\} -> \{"sum":5\}/);
  });
});
