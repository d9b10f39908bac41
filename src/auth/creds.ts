/**
 * Credentials helpers: `.creds` parsing/formatting and the nkey, JWT and creds authenticators.
 * Secrets never appear in error messages; decoded seed bytes are wiped after each use.
 */
import { InvalidArgumentError, NatsError } from "../util/errors.js";
import type { Auth, Authenticator } from "./authenticator.js";
import { decodeJwt } from "./jwt.js";
import { fromSeed, signNonce, type KeyPair } from "./nkeys.js";

/** A secret given as text or bytes, or a function called on every (re)connect to get it. */
export type Secret = string | Uint8Array;
export type SecretSource = Secret | (() => Secret | Promise<Secret>);

/** What a `.creds` file holds: the user JWT and the user seed (`SU…` ASCII bytes; wipe when done). */
export interface Creds {
  jwt: string;
  seed: Uint8Array;
}

const te = new TextEncoder();
const td = new TextDecoder();
const DASH = 0x2d;

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

/** Lines of `buf` as [start, end) pairs, without the line break and surrounding blanks. */
function lines(buf: Uint8Array): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  for (let i = 0; i <= buf.length; i++) {
    if (i === buf.length || buf[i] === 0x0a) {
      let a = start;
      let b = i;
      while (a < b && isBlank(buf[a]!)) a++;
      while (b > a && isBlank(buf[b - 1]!)) b--;
      out.push([a, b]);
      start = i + 1;
    }
  }
  return out;
}

/** `---…text…---`: starts and ends with at least three dashes (two distinct runs). */
function isDashLine(buf: Uint8Array, [a, b]: [number, number]): boolean {
  if (b - a < 6) return false;
  for (let i = 0; i < 3; i++) if (buf[a + i] !== DASH || buf[b - 1 - i] !== DASH) return false;
  return true;
}

/** A value line: `[A-Za-z0-9_\-.=]+`. */
function isValueLine(buf: Uint8Array, [a, b]: [number, number]): boolean {
  if (a >= b) return false;
  for (let i = a; i < b; i++) {
    const c = buf[i]!;
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === DASH || c === 0x2e || c === 0x3d;
    if (!ok) return false;
  }
  return true;
}

function startsWithSeed(buf: Uint8Array, [a, b]: [number, number]): boolean {
  return b - a >= 2 && buf[a] === 0x53 /* S */ && (buf[a + 1] === 0x4f || buf[a + 1] === 0x41 || buf[a + 1] === 0x55); /* O A U */
}

/**
 * Parses a `.creds` file: the first dash-framed value is the user JWT, the second the user seed
 * (falling back to the first line starting with `SO`/`SA`/`SU`; without frames, the JWT is the
 * first other non-blank line). The seed must be a user seed (`SU…`) and decode cleanly. Accepts `\n` and `\r\n`.
 * Bytes given by the caller are not modified.
 */
export function parseCreds(creds: string | Uint8Array): Creds {
  if (typeof creds !== "string" && !(creds instanceof Uint8Array)) throw new InvalidArgumentError("creds must be a string or a Uint8Array");
  const buf = typeof creds === "string" ? te.encode(creds) : creds;
  try {
    const ls = lines(buf);
    const values: [number, number][] = [];
    for (let i = 0; i + 2 < ls.length; ) {
      if (isDashLine(buf, ls[i]!) && isValueLine(buf, ls[i + 1]!) && isDashLine(buf, ls[i + 2]!)) {
        values.push(ls[i + 1]!);
        i += 3;
      } else i++;
    }
    let jwtRange: [number, number];
    if (values.length > 0) jwtRange = values[0]!;
    else jwtRange = ls.find((l) => l[1] > l[0] && !startsWithSeed(buf, l)) ?? [0, 0];
    const seedRange = values.length > 1 ? values[1] : ls.find((l) => startsWithSeed(buf, l));
    if (!seedRange) throw new InvalidArgumentError("creds: no nkey seed found");
    const seed = buf.slice(seedRange[0], seedRange[1]);
    if (seed[0] !== 0x53 || seed[1] !== 0x55) {
      seed.fill(0);
      throw new InvalidArgumentError("creds: the nkey seed is not a user seed (SU…)");
    }
    try {
      fromSeed(seed).clear();
    } catch (err) {
      seed.fill(0);
      throw new InvalidArgumentError(`creds: ${(err as Error).message}`);
    }
    const jwt = td.decode(buf.subarray(jwtRange[0], jwtRange[1]));
    try {
      decodeJwt(jwt);
    } catch (err) {
      seed.fill(0);
      throw new InvalidArgumentError(`creds: ${(err as Error).message}`);
    }
    return { jwt, seed };
  } finally {
    if (buf !== creds) buf.fill(0);
  }
}

/** The text of a `.creds` file for a user JWT and user seed (`SU…`). */
export function formatCreds(jwt: string | Uint8Array, seed: string | Uint8Array): string {
  const j = (typeof jwt === "string" ? jwt : td.decode(jwt)).trim();
  decodeJwt(j);
  const kp = fromSeed(seed);
  const s = kp.getSeed();
  kp.clear();
  try {
    if (s[0] !== 0x53 || s[1] !== 0x55) throw new InvalidArgumentError("creds: the nkey seed is not a user seed (SU…)");
    return (
      `-----BEGIN NATS USER JWT-----\n${j}\n------END NATS USER JWT------\n\n` +
      `************************* IMPORTANT *************************\n` +
      `NKEY Seed printed below can be used to sign and prove identity.\n` +
      `NKEYs are sensitive and should be treated as secrets.\n\n` +
      `-----BEGIN USER NKEY SEED-----\n${td.decode(s)}\n------END USER NKEY SEED------\n\n` +
      `*************************************************************\n`
    );
  } finally {
    s.fill(0);
  }
}

function noNonce(): NatsError {
  return new NatsError("NKEYS_NOT_SUPPORTED", "the server sent no nonce: it does not support nkey/JWT signature authentication");
}

async function resolve(src: SecretSource): Promise<Secret> {
  const v = typeof src === "function" ? await src() : src;
  if (typeof v !== "string" && !(v instanceof Uint8Array)) throw new InvalidArgumentError("a credential must be a string or a Uint8Array");
  return v;
}

/** Signs the nonce with a seed, wiping the decoded key pair afterwards. */
function signWith(seed: Secret, nonce: string): { kp: KeyPair; sig: string } {
  const kp = fromSeed(seed);
  try {
    return { kp, sig: signNonce(kp, nonce) };
  } catch (err) {
    kp.clear();
    throw err;
  }
}

/**
 * NKey authentication: sends `nkey` (the public key) and `sig` (the signed nonce). `seed` is an
 * encoded seed (`SU…`) or a function returning one on every connect. A static seed is checked
 * at once (InvalidArgumentError). Fails when the server sent no nonce.
 */
export function nkeyAuthenticator(seed: SecretSource): Authenticator {
  if (typeof seed !== "function") fromSeed(seed).clear();
  return async (nonce?: string): Promise<Auth> => {
    if (nonce === undefined) throw noNonce();
    const { kp, sig } = signWith(await resolve(seed), nonce);
    try {
      return { nkey: kp.getPublicKey(), sig };
    } finally {
      kp.clear();
    }
  };
}

/**
 * JWT authentication: sends `jwt` and, when a seed is given and the server sent a nonce, `sig`
 * (the nonce signed with the user seed). Without a seed the JWT is sent alone (bearer JWTs).
 * Either argument may be a function called on every connect.
 */
export function jwtAuthenticator(jwt: SecretSource, seed?: SecretSource): Authenticator {
  if (typeof jwt !== "function") decodeJwt(jwt);
  if (seed !== undefined && typeof seed !== "function") fromSeed(seed).clear();
  return async (nonce?: string): Promise<Auth> => {
    const j = await resolve(jwt);
    const text = (typeof j === "string" ? j : td.decode(j)).trim();
    decodeJwt(text);
    if (seed === undefined || nonce === undefined) return { jwt: text };
    const { kp, sig } = signWith(await resolve(seed), nonce);
    kp.clear();
    return { jwt: text, sig };
  };
}

/** Signs a nonce with the contents of a `.creds` file. @internal */
export function credsAuth(creds: Secret, nonce: string | undefined): Auth {
  if (nonce === undefined) throw noNonce();
  const { jwt, seed } = parseCreds(creds);
  try {
    const { kp, sig } = signWith(seed, nonce);
    kp.clear();
    return { jwt, sig };
  } finally {
    seed.fill(0);
  }
}

/**
 * Authentication with the contents of a `.creds` file (text or bytes), or a function returning
 * them on every connect: sends `jwt` + `sig`. Static creds are checked at once.
 */
export function credsAuthenticator(creds: SecretSource): Authenticator {
  if (typeof creds !== "function") parseCreds(creds).seed.fill(0);
  return async (nonce?: string): Promise<Auth> => credsAuth(await resolve(creds), nonce);
}
