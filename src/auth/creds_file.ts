/**
 * `credsFile(path)`: the only auth module that touches node:fs, so code paths without a file
 * system never import it.
 */
import { readFile } from "node:fs/promises";
import type { Auth, Authenticator } from "./authenticator.js";
import { credsAuth } from "./creds.js";

/**
 * Authentication with a `.creds` file that is read again on every (re)connect, so a rotated file
 * is picked up without restarting. The bytes read are wiped after signing.
 */
export function credsFile(path: string): Authenticator {
  return async (nonce?: string): Promise<Auth> => {
    const data = await readFile(path);
    try {
      return credsAuth(data, nonce);
    } finally {
      data.fill(0);
    }
  };
}
