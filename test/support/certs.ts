/**
 * Test certificates generated at run time with the `openssl` command line tool (no private key is
 * ever committed). `generateCerts()` creates, in a fresh temp dir:
 * - a CA, and a server certificate signed by it for IP:127.0.0.1, IP:::1 and DNS:localhost;
 * - a client certificate signed by the CA whose subjectAltName is `email:<clientEmail>` (what
 *   nats-server's `verify_and_map` matches first) and whose subject is `CN=<clientCN>`;
 * - a second client certificate from the same CA for another identity (`otherClientEmail`);
 * - an unrelated CA (for "wrong CA" tests), with its own server certificate for the same names.
 * All keys are EC P-256 (fast to generate). Installs Debian's `openssl` with apt-get when it is
 * missing and the process runs as root.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestCerts {
  /** The temp dir holding every file below. */
  dir: string;
  caFile: string;
  caPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  clientCertPem: string;
  clientKeyPem: string;
  /** The client certificate's subjectAltName email (the user `verify_and_map` maps it to). */
  clientEmail: string;
  /** The client certificate's subject common name. */
  clientCN: string;
  /** A second client certificate from the same CA, for an identity no server config names. */
  otherClientCertFile: string;
  otherClientKeyFile: string;
  otherClientEmail: string;
  /** An unrelated CA: it did not sign any certificate above. */
  otherCaFile: string;
  otherCaPem: string;
  /** A server certificate (same names as `serverCertFile`) signed by the unrelated CA. */
  otherServerCertFile: string;
  otherServerKeyFile: string;
  /** Removes the temp dir (idempotent). */
  cleanup(): void;
}

const OPENSSL_TIMEOUT_MS = 20_000;

function run(cmd: string, args: string[], cwd?: string, timeout = OPENSSL_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, timeout }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

let opensslChecked: Promise<void> | undefined;

/** Makes sure `openssl` can run; installs Debian's package when missing and running as root. */
function ensureOpenssl(): Promise<void> {
  opensslChecked ??= (async () => {
    try {
      await run("openssl", ["version"]);
      return;
    } catch (err) {
      if (typeof process.getuid !== "function" || process.getuid() !== 0) {
        throw new Error(`the openssl command is needed to generate test certificates: ${(err as Error).message}`);
      }
    }
    await run("apt-get", ["install", "-y", "--no-install-recommends", "openssl"], undefined, 300_000);
    await run("openssl", ["version"]);
  })();
  return opensslChecked;
}

/** A minimal openssl config so that the system's openssl.cnf defaults never get in the way. */
const REQ_CONFIG = `[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
`;

function leafExtensions(kind: "server" | "client", san: string): string {
  return [
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature, keyEncipherment",
    `extendedKeyUsage = ${kind === "server" ? "serverAuth" : "clientAuth"}`,
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid",
    `subjectAltName = ${san}`,
    "",
  ].join("\n");
}

const KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function makeCa(dir: string, name: string, cn: string): Promise<void> {
  await run(
    "openssl",
    ["req", "-x509", "-config", "openssl.cnf", "-extensions", "v3_ca", ...KEY_ARGS, "-keyout", `${name}-key.pem`, "-out", `${name}.pem`, "-days", "3", "-subj", `/CN=${cn}`],
    dir,
  );
}

async function makeLeaf(dir: string, ca: string, name: string, kind: "server" | "client", subj: string, san: string): Promise<void> {
  await writeFile(join(dir, `${name}.ext`), leafExtensions(kind, san));
  await run("openssl", ["req", "-new", "-config", "openssl.cnf", ...KEY_ARGS, "-keyout", `${name}-key.pem`, "-out", `${name}.csr`, "-subj", subj], dir);
  await run(
    "openssl",
    ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca}-key.pem`, "-set_serial", `0x${Math.floor(Math.random() * 2 ** 48).toString(16)}`, "-days", "2", "-sha256", "-extfile", `${name}.ext`, "-out", `${name}.pem`],
    dir,
  );
}

/** Generates a fresh set of test certificates in a temp dir (see the module comment). */
export async function generateCerts(): Promise<TestCerts> {
  await ensureOpenssl();
  const dir = mkdtempSync(join(tmpdir(), "tsnats-certs-"));
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await writeFile(join(dir, "openssl.cnf"), REQ_CONFIG);
    const clientEmail = "alice@tsnats.test";
    const clientCN = "alice";
    const otherClientEmail = "mallory@tsnats.test";
    const serverSan = "IP:127.0.0.1, IP:::1, DNS:localhost";
    await Promise.all([makeCa(dir, "ca", "tsnats test CA"), makeCa(dir, "other-ca", "tsnats unrelated CA")]);
    await Promise.all([
      makeLeaf(dir, "ca", "server", "server", "/O=tsnats/CN=localhost", serverSan),
      makeLeaf(dir, "ca", "client", "client", `/O=tsnats/CN=${clientCN}`, `email:${clientEmail}`),
      makeLeaf(dir, "ca", "other-client", "client", "/O=tsnats/CN=mallory", `email:${otherClientEmail}`),
      makeLeaf(dir, "other-ca", "other-server", "server", "/O=other/CN=localhost", serverSan),
    ]);
    const f = (n: string): string => join(dir, n);
    const [caPem, clientCertPem, clientKeyPem, otherCaPem] = await Promise.all(
      ["ca.pem", "client.pem", "client-key.pem", "other-ca.pem"].map((n) => readFile(f(n), "utf8")),
    );
    return {
      dir,
      caFile: f("ca.pem"),
      caPem: caPem!,
      serverCertFile: f("server.pem"),
      serverKeyFile: f("server-key.pem"),
      clientCertFile: f("client.pem"),
      clientKeyFile: f("client-key.pem"),
      clientCertPem: clientCertPem!,
      clientKeyPem: clientKeyPem!,
      clientEmail,
      clientCN,
      otherClientCertFile: f("other-client.pem"),
      otherClientKeyFile: f("other-client-key.pem"),
      otherClientEmail,
      otherCaFile: f("other-ca.pem"),
      otherCaPem: otherCaPem!,
      otherServerCertFile: f("other-server.pem"),
      otherServerKeyFile: f("other-server-key.pem"),
      cleanup,
    };
  } catch (err) {
    cleanup();
    throw err;
  }
}

/** The body of a nats-server `tls { ... }` block serving `certs`' server certificate. */
export function serverTlsConfig(certs: TestCerts, extra = ""): string {
  const q = (s: string): string => JSON.stringify(s);
  return `cert_file: ${q(certs.serverCertFile)}\n  key_file: ${q(certs.serverKeyFile)}\n  ca_file: ${q(certs.caFile)}\n  timeout: 2${extra ? `\n  ${extra}` : ""}`;
}

/** A whole nats-server `tls { ... }` block serving `certs`' server certificate ({@link serverTlsConfig} inside). */
export function serverTlsBlock(certs: TestCerts, extra = ""): string {
  return `tls {\n  ${serverTlsConfig(certs, extra)}\n}`;
}
