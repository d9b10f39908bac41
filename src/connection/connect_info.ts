import { LANG, VERSION } from "../version.js";
import { NatsError } from "../util/errors.js";
import type { Auth } from "../auth/authenticator.js";
import type { ServerInfo } from "./info.js";
import type { ResolvedOptions } from "./options.js";
import type { Server } from "./servers.js";

/** Builds the CONNECT JSON for one server: options, then URL credentials, then authenticators. */
export async function buildConnect(opts: ResolvedOptions, server: Server, info: ServerInfo, encrypted: boolean): Promise<string> {
  const c: Record<string, unknown> = {
    verbose: opts.verbose,
    pedantic: opts.pedantic,
    tls_required: encrypted,
    lang: LANG,
    version: VERSION,
    protocol: 1,
    echo: !opts.noEcho,
  };
  if (opts.name !== undefined) c.name = opts.name;
  if (info.headers) {
    c.headers = true;
    c.no_responders = true;
  }
  // credentials from this server's URL win over option credentials
  if (server.user !== undefined) {
    c.user = server.user;
    c.pass = server.pass;
  } else if (server.token !== undefined) {
    c.auth_token = server.token;
  } else {
    if (opts.user !== undefined) c.user = opts.user;
    if (opts.pass !== undefined) c.pass = opts.pass;
    if (opts.token !== undefined) c.auth_token = opts.token;
    for (const a of opts.authenticators) {
      let auth: Auth;
      try {
        auth = await a(info.nonce);
      } catch (err) {
        throw new NatsError("AUTHENTICATOR_FAILED", `authenticator failed: ${(err as Error).message}`, { cause: err });
      }
      for (const [k, v] of Object.entries(auth)) if (v !== undefined) c[k] = v;
    }
  }
  if (c.jwt !== undefined && c.nkey !== undefined) delete c.nkey;
  return JSON.stringify(c);
}
