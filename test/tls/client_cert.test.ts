// Client certificates against real nats-servers: `verify: true` (a client certificate is
// required) and `verify_and_map: true` (the certificate's email SAN is the user), including
// reconnecting with the certificate. Certificates are generated at run time.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { createInbox, AuthorizationError, TlsError, type TlsOptions } from "../../src/index.js";
import { NatsServer, monitorGet } from "../support/server.js";
import { restartAndReconnect } from "../support/fixtures.js";
import { generateCerts, serverTlsBlock, type TestCerts } from "../support/certs.js";
import { Connections, connectFails, roundTrip, type RoundTripOptions } from "../support/helpers.js";

let certs: TestCerts;
let verifyServer: NatsServer;
let mapServer: NatsServer;
const conns = new Connections();
const open = conns.open;

/** What roundTrip() sends in this file. */
const RT: RoundTripOptions = { prefix: "cc", text: "with a client certificate", timeoutMs: 2_000 };

/** The users the server mapped its current client connections to (connz?auth=true). */
async function authorizedUsers(srv: NatsServer): Promise<(string | undefined)[]> {
  const cz = await monitorGet<{ connections?: { authorized_user?: string }[] }>(srv.monitorPort!, "/connz?auth=true");
  return (cz.connections ?? []).map((c) => c.authorized_user);
}

function clientFiles(): TlsOptions {
  return { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile };
}

/** Config of a server that maps the client certificate's email to the one user it knows. */
function mapServerConfig(): string {
  return `${serverTlsBlock(certs, "verify_and_map: true")}\nauthorization {\n  users = [ { user: ${JSON.stringify(certs.clientEmail)} } ]\n}`;
}

before(async () => {
  certs = await generateCerts();
  [verifyServer, mapServer] = await Promise.all([
    NatsServer.start({ config: serverTlsBlock(certs, "verify: true") }),
    NatsServer.start({ monitor: true, config: mapServerConfig() }),
  ]);
});

after(async () => {
  await conns.closeAll();
  await Promise.all([verifyServer?.stop(), mapServer?.stop()]);
  certs?.cleanup();
});

describe("verify: true (client certificate required)", () => {
  it("connects with the client certificate and key given as files", async () => {
    const nc = await open({ servers: verifyServer.url, tls: clientFiles() });
    assert.equal(nc.info?.tls_required, true);
    assert.equal(nc.info?.tls_verify, true);
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("connects with the certificate, key and CA given as PEM text (and as bytes)", async () => {
    const te = new TextEncoder();
    const variants: TlsOptions[] = [
      { ca: certs.caPem, cert: certs.clientCertPem, key: certs.clientKeyPem },
      { ca: te.encode(certs.caPem), cert: te.encode(certs.clientCertPem), key: te.encode(certs.clientKeyPem) },
    ];
    for (const tls of variants) {
      const nc = await open({ servers: `tls://${verifyServer.hostport}`, tls });
      await roundTrip(nc, RT);
      await nc.close();
    }
  });

  it("PEM text wins over a file path for the same item", async () => {
    // certFile points at a certificate that does not match the key; the PEM text does
    const nc = await open({
      servers: verifyServer.url,
      tls: { caFile: certs.caFile, cert: certs.clientCertPem, certFile: certs.otherClientCertFile, key: certs.clientKeyPem },
    });
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("any certificate signed by the CA is accepted (verify does not map users)", async () => {
    const nc = await open({
      servers: verifyServer.url,
      tls: { caFile: certs.caFile, certFile: certs.otherClientCertFile, keyFile: certs.otherClientKeyFile },
    });
    await roundTrip(nc, RT);
    await nc.close();
  });

  it("without a client certificate the connection fails with TLS_ERROR", async () => {
    for (const servers of [verifyServer.url, `tls://${verifyServer.hostport}`]) {
      const err = await connectFails({ servers, tls: { caFile: certs.caFile }, reconnect: false });
      // the server rejects the handshake (TLS alert "bad certificate"/"certificate required")
      assert.ok(err instanceof TlsError, `expected TlsError, got ${err.name} (${err.code}): ${err.message}; cause: ${String((err.cause as Error | undefined)?.message)}`);
      assert.equal(err.code, "TLS_ERROR");
    }
  });
});

describe("verify_and_map: true (the certificate is the user)", () => {
  it("maps the client certificate's email to the configured user", async () => {
    const nc = await open({ servers: mapServer.url, tls: clientFiles() });
    await roundTrip(nc, RT);
    assert.deepEqual(await authorizedUsers(mapServer), [certs.clientEmail]);
    await nc.close();
  });

  it("a certificate for a user the server does not know fails with AuthorizationError", async () => {
    const err = await connectFails({
      servers: mapServer.url,
      tls: { caFile: certs.caFile, certFile: certs.otherClientCertFile, keyFile: certs.otherClientKeyFile },
    });
    assert.ok(err instanceof AuthorizationError, `expected AuthorizationError, got ${err.name}: ${err.message}`);
    assert.equal(err.code, "AUTHORIZATION_VIOLATION");
  });

  it("user/password options cannot replace the certificate", async () => {
    const err = await connectFails({ servers: mapServer.url, tls: { caFile: certs.caFile, certFile: certs.otherClientCertFile, keyFile: certs.otherClientKeyFile }, user: certs.clientEmail, pass: "x" });
    assert.ok(err instanceof AuthorizationError, `expected AuthorizationError, got ${err.name}: ${err.message}`);
  });

  it("reconnects with the certificate after a server restart and is mapped again", async () => {
    const srv = await NatsServer.start({ monitor: true, config: mapServerConfig() });
    try {
      const nc = await open({ servers: `tls://${srv.hostport}`, tls: clientFiles(), reconnectTimeWait: 50, reconnectJitterTLS: 0, maxReconnectAttempts: -1 });
      const subj = createInbox("map");
      const sub = nc.subscribe(subj);
      await nc.flush();
      await restartAndReconnect(srv, nc);
      nc.publish(subj, "after restart");
      assert.equal((await sub.next({ timeout: 2_000 })).string(), "after restart");
      assert.deepEqual(await authorizedUsers(srv), [certs.clientEmail]);
      await nc.close();
    } finally {
      await srv.stop();
    }
  });
});
