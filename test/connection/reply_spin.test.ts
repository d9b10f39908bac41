// The reply spin (connection option `replySpin`): the process keeps polling its sockets for a short
// while after a request went out, only while requests await replies, and pauses for responders
// slower than the window. Against a real nats-server; the spin's state is read from its module.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { ConnectionClosedError, NoRespondersError, TimeoutError, type NatsConnection } from "../../src/index.js";
import { replySpin } from "../../src/connection/reply_spin.js";
import { NatsServer } from "../support/server.js";
import { poll, sleep } from "../support/ports.js";
import { Connections } from "../support/helpers.js";

let server: NatsServer;
const conns = new Connections(() => ({ servers: server.url }));
let uniq = 0;
const subj = (base: string): string => `spin.${base}.${++uniq}`;

before(async () => {
  server = await NatsServer.start();
});

after(async () => {
  await conns.closeAll();
  await server.stop();
});

/**
 * A responder on its own connection; `onRequest` runs before each answer, `delayMs` delays it. Its
 * own writes never start the spin (replySpin 0), so that only the requester's windows count.
 */
async function responder(subject: string, delayMs = 0, onRequest?: () => void): Promise<NatsConnection> {
  const nc = await conns.open({ replySpin: 0 });
  nc.subscribe(subject, {
    callback: (_err, m) => {
      onRequest?.();
      if (delayMs > 0) setTimeout(() => m.respond(m.data), delayMs);
      else m.respond(m.data);
    },
  });
  await nc.flush();
  return nc;
}

/** The spin has stopped (it stops in the loop turn after the last reply). */
async function stopped(): Promise<void> {
  await poll(() => (replySpin.state().running ? undefined : true), 2_000, () => `still spinning: ${JSON.stringify(replySpin.state())}`);
}

describe("reply spin", () => {
  it("polls while a request awaits its reply, and stops once none does", async () => {
    const subject = subj("on");
    let seenRunning = 0;
    await responder(subject, 0, () => {
      // the request was written and went through the server: the requester's 10 ms window is open
      if (replySpin.state().running) seenRunning++;
    });
    const nc = await conns.open({ replySpin: 10_000 });
    for (let i = 0; i < 20; i++) assert.equal((await nc.request(subject, `r${i}`)).string(), `r${i}`);
    assert.ok(seenRunning > 0, "the spin never ran while a request was in flight");
    await stopped();
    assert.equal(replySpin.awaiting, 0);
  });

  it("replySpin: 0 never polls", async () => {
    const subject = subj("off");
    let seenRunning = 0;
    await responder(subject, 0, () => {
      if (replySpin.state().running) seenRunning++;
    });
    const nc = await conns.open({ replySpin: 0 });
    await stopped();
    for (let i = 0; i < 20; i++) await nc.request(subject, "x");
    assert.equal(seenRunning, 0);
  });

  it("pauses after windows that saw no reply, and resumes once replies are fast again", async () => {
    const slow = subj("slow");
    const fast = subj("fast");
    await responder(slow, 100);
    await responder(fast);
    // a 10 ms window: a loopback round trip fits even on a busy machine, a 100 ms answer does not
    const nc = await conns.open({ replySpin: 10_000 });
    await stopped();
    for (let i = 0; i < 6; i++) await nc.request(slow, "x");
    const paused = replySpin.state();
    assert.ok(paused.skip > 0, `expected a pause after slow replies, got ${JSON.stringify(paused)}`);
    // the pause is counted in writes; then a window opens and, with requests following each other,
    // stays open; once the last reply is in it ends as a hit, which clears the misses. (A round trip
    // that took over 10 ms on a busy machine is a miss and a pause of its own: hence the rounds.)
    for (let round = 0; round < 8; round++) {
      for (let i = 0; i < 50; i++) await nc.request(fast, "x");
      await stopped();
      if (replySpin.state().misses === 0) break;
    }
    assert.equal(replySpin.state().misses, 0, JSON.stringify(replySpin.state()));
  });

  it("a request that times out, finds no responder or is failed by close leaves nothing awaited", async () => {
    const nc = await conns.open({ replySpin: 10_000 });
    const silent = subj("silent");
    nc.subscribe(silent, { callback: () => undefined });
    await nc.flush();
    await assert.rejects(nc.request(silent, "x", { timeout: 50 }), TimeoutError);
    await assert.rejects(nc.request(subj("nobody"), "x", { timeout: 5_000 }), NoRespondersError);
    const pending = nc.request(silent, "x", { timeout: 60_000 });
    await sleep(20);
    assert.equal(replySpin.awaiting, 1);
    await nc.close();
    await assert.rejects(pending, ConnectionClosedError);
    assert.equal(replySpin.awaiting, 0);
    await stopped();
  });
});
