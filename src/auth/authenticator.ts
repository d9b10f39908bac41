/** Credentials an authenticator adds to CONNECT. */
export interface Auth {
  user?: string;
  pass?: string;
  auth_token?: string;
  nkey?: string;
  sig?: string;
  jwt?: string;
}

/** Called on every (re)connect with the server's nonce (when it sent one). */
export type Authenticator = (nonce?: string) => Auth | Promise<Auth>;

/** user/password credentials. Either may be a function called on each connect. */
export function usernamePasswordAuthenticator(user: string | (() => string), pass: string | (() => string)): Authenticator {
  return () => ({ user: typeof user === "function" ? user() : user, pass: typeof pass === "function" ? pass() : pass });
}

/** Token credentials. `token` may be a function called on each connect. */
export function tokenAuthenticator(token: string | (() => string)): Authenticator {
  return () => ({ auth_token: typeof token === "function" ? token() : token });
}
