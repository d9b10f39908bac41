import { readFileSync } from "node:fs";
import { connect as tlsConnect, type ConnectionOptions as NodeTlsOptions, type TLSSocket } from "node:tls";
import type { Socket } from "node:net";
import { ConnectionError, TlsError } from "../util/errors.js";
import type { TlsOptions } from "./transport.js";

function pem(v: string | Uint8Array): string | Buffer {
  return typeof v === "string" ? v : Buffer.from(v);
}

/** Node TLS options from tsnats' TLS options (PEM text wins over files). */
export function nodeTlsOptions(opts: TlsOptions, servername: string): NodeTlsOptions {
  const o: NodeTlsOptions = { rejectUnauthorized: opts.rejectUnauthorized ?? true };
  const ca = opts.ca ?? (opts.caFile ? readFileSync(opts.caFile) : undefined);
  if (ca !== undefined) o.ca = Array.isArray(ca) ? ca.map(pem) : pem(ca as string | Uint8Array);
  const cert = opts.cert ?? (opts.certFile ? readFileSync(opts.certFile) : undefined);
  if (cert !== undefined) o.cert = pem(cert);
  const key = opts.key ?? (opts.keyFile ? readFileSync(opts.keyFile) : undefined);
  if (key !== undefined) o.key = pem(key);
  const name = opts.servername ?? servername;
  // SNI must not be an IP address (unless the caller chose it explicitly)
  if (opts.servername !== undefined || (!/^[\d.]+$/.test(name) && !name.includes(":"))) o.servername = name;
  return o;
}

/**
 * Starts TLS (over `socket`, or a new connection to host:port) and resolves once the handshake
 * is done. A refused connection is a ConnectionError; anything else a TlsError.
 */
function handshake(connectOpts: NodeTlsOptions, label: string, timeoutMs?: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    let secure: TLSSocket;
    try {
      secure = tlsConnect(connectOpts);
    } catch (err) {
      reject(new TlsError(`TLS setup failed: ${(err as Error).message}`, { cause: err }));
      return;
    }
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    function fail(err: Error): void {
      clearTimeout(timer);
      secure.destroy();
      const refused = (err as { code?: string }).code === "ECONNREFUSED";
      reject(refused ? new ConnectionError(`cannot connect to ${label}: ${err.message}`, { cause: err }) : new TlsError(`TLS handshake with ${label} failed: ${err.message}`, { cause: err }));
    }
    secure.once("error", fail);
    secure.once("close", () => fail(new Error("connection closed during the TLS handshake")));
    secure.once("secureConnect", () => {
      clearTimeout(timer);
      secure.off("error", fail);
      secure.removeAllListeners("close");
      resolve(secure);
    });
  });
}

/** Wraps a connected plain socket in TLS and waits for the handshake. */
export function upgradeSocket(socket: Socket, opts: TlsOptions, servername: string): Promise<TLSSocket> {
  return handshake({ ...nodeTlsOptions(opts, servername), socket, host: servername }, servername);
}

/** Opens a TLS connection directly (handshake first, before the server's INFO). */
export async function connectTlsFirst(host: string, port: number, opts: TlsOptions, timeoutMs: number): Promise<TLSSocket> {
  const secure = await handshake({ ...nodeTlsOptions(opts, host), host, port }, `${host}:${port}`, timeoutMs);
  secure.setNoDelay(true);
  return secure;
}
