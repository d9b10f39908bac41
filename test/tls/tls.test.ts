// TLS against real nats-servers: tls:// URLs, upgrade after INFO, CA given as file or PEM text,
// SECURE_CONNECTION_REQUIRED in both directions, certificate verification failures, servername,
// and reconnecting over TLS. Certificates are generated at run time (test/support/certs.ts).
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import {
  createInbox,
  NatsError,
  SecureConnectionRequiredError,
  TlsError,
  type ConnectionOptions,
  type NatsConnection,
} from "../../src/index.js";
import { NatsServer, monitorGet } from "../support/server.js";
import { poll } from "../support/ports.js";
import { generateCerts, serverTlsBlock, type TestCerts } from "../support/certs.js";
import { Connections, connectFails } from "../support/helpers.js";

let certs: TestCerts;
let tlsServer: NatsServer;
let plainServer: NatsServer;
const conns = new Connections();
const open = conns.open;

/** Publish/subscribe and request/reply over `nc`. */
async function roundTrip(nc: NatsConnection): Promise<void> {
  const subj = createInbox("tls");
  const sub = nc.subscribe(subj, { max: 1 });
  const svc = createInbox("svc");
  nc.subscribe(svc, { callback: (_e, m) => m.respond(`re:${m.string()}`) });
  await nc.flush();
  nc.publish(subj, "hello over tls");
  const m = await sub.next({ timeout: 2_000 });
  assert.equal(m.string(), "hello over tls");
  const r = await nc.request(svc, "ping", { timeout: 2_000 });
  assert.equal(r.string(), "re:ping");
}

/** The TLS version the server reports for every client connection (connz), in order. */
async function serverTlsVersions(srv: NatsServer): Promise<(string | undefined)[]> {
  const cz = await monitorGet<{ connections?: { tls_version?: string }[] }>(srv.monitorPort!, "/connz");
  return (cz.connections ?? []).map((c) => c.tls_version);
}

before(async () => {
  certs = await generateCerts();
  [tlsServer, plainServer] = await Promise.all([
    NatsServer.start({ config: serverTlsBlock(certs), monitor: true }),
    NatsServer.start(),
  ]);
});

after(async () => {
  await conns.closeAll();
  await Promise.all([tlsServer?.stop(), plainServer?.stop()]);
  certs?.cleanup();
});

describe("connecting over TLS", () => {
  it("tls:// URL with a CA file: connects, pub/sub and request work, INFO says tls_required", async () => {
    const nc = await open({ servers: `tls://${tlsServer.hostport}`, tls: { caFile: certs.caFile } });
    assert.equal(nc.info?.tls_required, true);
    assert.equal(nc.isConnected(), true);
    await roundTrip(nc);
    const versions = await serverTlsVersions(tlsServer);
    assert.ok(versions.length >= 1);
    assert.ok(versions.every((v) => typeof v === "string" && v.startsWith("1.")), `server sees non-TLS clients: ${JSON.stringify(versions)}`);
    await nc.close();
  });

  it("accepts the CA as PEM text, as bytes, and as a list with unrelated CAs", async () => {
    for (const ca of [certs.caPem, new TextEncoder().encode(certs.caPem), [certs.otherCaPem, certs.caPem]]) {
      const nc = await open({ servers: `tls://${tlsServer.hostport}`, tls: { ca } });
      assert.equal(nc.info?.tls_required, true);
      await roundTrip(nc);
      await nc.close();
    }
  });

  it("a nats:// URL upgrades to TLS after INFO when the server requires it", async () => {
    const nc = await open({ servers: tlsServer.url, tls: { caFile: certs.caFile } });
    assert.equal(nc.info?.tls_required, true);
    await roundTrip(nc);
    // the server itself reports the connection as TLS
    const versions = await serverTlsVersions(tlsServer);
    assert.ok(versions.length >= 1 && versions.every((v) => typeof v === "string" && v.length > 0));
    await nc.close();
  });

  it("a plain host:port URL upgrades too", async () => {
    const nc = await open({ servers: tlsServer.hostport, tls: { caFile: certs.caFile } });
    assert.equal(nc.info?.tls_required, true);
    await roundTrip(nc);
    await nc.close();
  });

  it("servername is used to verify the certificate's name", async () => {
    const ok = await open({ servers: `tls://${tlsServer.hostport}`, tls: { caFile: certs.caFile, servername: "localhost" } });
    await roundTrip(ok);
    await ok.close();
    const err = await connectFails({ servers: `tls://${tlsServer.hostport}`, tls: { caFile: certs.caFile, servername: "not-this-server.example" } });
    assert.ok(err instanceof TlsError, `expected TlsError, got ${err.name}: ${err.message}`);
    assert.equal(err.code, "TLS_ERROR");
  });
});

describe("TLS required on one side only", () => {
  it("tls: null against a TLS-required server fails with SECURE_CONNECTION_REQUIRED", async () => {
    const err = await connectFails({ servers: tlsServer.url, tls: null });
    assert.ok(err instanceof SecureConnectionRequiredError, `got ${err.name}: ${err.message}`);
    assert.equal(err.code, "SECURE_CONNECTION_REQUIRED");
  });

  it("a tls:// URL against a server without TLS fails with SECURE_CONNECTION_REQUIRED", async () => {
    for (const tls of [undefined, { caFile: certs.caFile }]) {
      const err = await connectFails({ servers: `tls://${plainServer.hostport}`, tls });
      assert.ok(err instanceof SecureConnectionRequiredError, `got ${err.name}: ${err.message}`);
      assert.equal(err.code, "SECURE_CONNECTION_REQUIRED");
    }
  });

  it("TLS options with a nats:// URL demand TLS too: a server without TLS is refused", async () => {
    const err = await connectFails({ servers: plainServer.url, tls: { caFile: certs.caFile } });
    assert.ok(err instanceof SecureConnectionRequiredError, `got ${err.name}: ${err.message}`);
    assert.equal(err.code, "SECURE_CONNECTION_REQUIRED");
  });

  it("a server without TLS still works for a client that did not ask for TLS", async () => {
    const nc = await open({ servers: plainServer.url });
    assert.notEqual(nc.info?.tls_required, true);
    await roundTrip(nc);
    await nc.close();
  });
});

describe("TLS offered but optional (allow_non_tls)", () => {
  let srv: NatsServer;
  before(async () => {
    srv = await NatsServer.start({ config: `allow_non_tls: true\n${serverTlsBlock(certs)}`, monitor: true });
  });
  after(async () => {
    await srv?.stop();
  });

  it("a client without TLS options stays in plain text; one with TLS options upgrades", async () => {
    const cases: [ConnectionOptions, boolean][] = [
      [{ servers: srv.url }, false],
      [{ servers: srv.url, tls: null }, false],
      [{ servers: srv.url, tls: { caFile: certs.caFile } }, true],
      [{ servers: `tls://${srv.hostport}`, tls: { caFile: certs.caFile } }, true],
    ];
    for (const [opts, encrypted] of cases) {
      const nc = await open(opts);
      assert.equal(nc.info?.tls_available, true);
      await roundTrip(nc);
      const versions = await serverTlsVersions(srv);
      assert.equal(versions.length, 1);
      assert.equal(typeof versions[0] === "string" && versions[0].length > 0, encrypted, `${JSON.stringify(opts.servers)} ${JSON.stringify(opts.tls)}: server sees tls_version ${versions[0]}`);
      await nc.close();
      await poll(async () => ((await serverTlsVersions(srv)).length === 0 ? true : undefined), 5_000, () => "the server still lists the closed client");
    }
  });
});

describe("certificate verification", () => {
  it("a server certificate from another CA is rejected with TLS_ERROR", async () => {
    for (const servers of [`tls://${tlsServer.hostport}`, tlsServer.url]) {
      const err = await connectFails({ servers, tls: { caFile: certs.otherCaFile } });
      assert.ok(err instanceof TlsError, `expected TlsError, got ${err.name}: ${err.message}`);
      assert.equal(err.code, "TLS_ERROR");
      assert.ok(err.cause instanceof Error, "the TLS error should carry the underlying cause");
    }
  });

  it("without any CA the test CA is not trusted (TLS_ERROR)", async () => {
    const err = await connectFails({ servers: `tls://${tlsServer.hostport}`, tls: {} });
    assert.ok(err instanceof TlsError, `expected TlsError, got ${err.name}: ${err.message}`);
  });

  it("rejectUnauthorized: false connects despite the wrong CA", async () => {
    const nc = await open({ servers: `tls://${tlsServer.hostport}`, tls: { caFile: certs.otherCaFile, rejectUnauthorized: false } });
    assert.equal(nc.info?.tls_required, true);
    await roundTrip(nc);
    await nc.close();
  });

  it("a missing CA file is reported as an error, not a crash or a hang", async () => {
    const err = await connectFails({ servers: `tls://${tlsServer.hostport}`, tls: { caFile: `${certs.dir}/does-not-exist.pem` } });
    assert.ok(err instanceof NatsError);
    assert.match(`${err.message} ${String((err.cause as Error | undefined)?.message)}`, /does-not-exist\.pem|ENOENT/);
  });
});

describe("reconnecting over TLS", () => {
  it("subscriptions keep working after the server is killed and restarted", async () => {
    const srv = await NatsServer.start({ config: serverTlsBlock(certs) });
    try {
      for (const servers of [`tls://${srv.hostport}`, srv.url]) {
        const nc = await open({
          servers,
          tls: { caFile: certs.caFile },
          reconnectTimeWait: 50,
          reconnectJitter: 0,
          reconnectJitterTLS: 0,
          maxReconnectAttempts: -1,
        });
        const events: string[] = [];
        nc.on("disconnect", () => events.push("disconnect"));
        nc.on("reconnect", () => events.push("reconnect"));
        const subj = createInbox("re");
        const sub = nc.subscribe(subj);
        await nc.flush();
        nc.publish(subj, "before");
        assert.equal((await sub.next({ timeout: 2_000 })).string(), "before");

        await srv.kill();
        await srv.restart();
        await poll(() => (events.includes("reconnect") ? true : undefined), 10_000, () => `no reconnect; events: ${events.join(",")}`);
        assert.deepEqual(events, ["disconnect", "reconnect"]);
        assert.equal(nc.info?.tls_required, true);
        assert.equal(nc.stats().reconnects, 1);

        nc.publish(subj, "after");
        assert.equal((await sub.next({ timeout: 2_000 })).string(), "after");
        // a second client, on the restarted server, reaches the resent subscription
        const other = await open({ servers: `tls://${srv.hostport}`, tls: { ca: certs.caPem } });
        other.publish(subj, "from another client");
        await other.flush();
        assert.equal((await sub.next({ timeout: 2_000 })).string(), "from another client");
        await other.close();
        await nc.close();
      }
    } finally {
      await srv.stop();
    }
  });
});
