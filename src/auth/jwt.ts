/**
 * NATS JWTs (ADR-14): `base64url(header).base64url(claims).base64url(ed25519 signature)`, signed by
 * the issuer's nkey over `header.claims`. Decoding for clients, encoding for tests and tools that
 * issue operator, account and user credentials.
 */
import { createHash } from "node:crypto";
import { InvalidArgumentError } from "../util/errors.js";
import { encodeBase32 } from "./base32.js";
import { fromPublic, isValidPublicKey, NKeyPrefix, toBase64Url, type KeyPair } from "./nkeys.js";

export interface JwtHeader {
  typ: string;
  alg: string;
  [k: string]: unknown;
}

/** The standard claims of every NATS JWT, with NATS-specific data under `nats`. */
export interface JwtClaims<N extends object = Record<string, unknown>> {
  jti?: string;
  iat?: number;
  iss?: string;
  sub?: string;
  name?: string;
  /** Expiry, unix seconds. */
  exp?: number;
  nbf?: number;
  aud?: string;
  nats?: N & { type?: string; version?: number };
  [k: string]: unknown;
}

export interface DecodedJwt<N extends object = Record<string, unknown>> {
  header: JwtHeader;
  claims: JwtClaims<N>;
  signature: Uint8Array;
}

/** Permissions as the server reads them: `{ allow?: string[], deny?: string[] }`. */
export interface JwtPermission {
  allow?: string[];
  deny?: string[];
}

/** The `nats` section of a user JWT (server JSON names). */
export interface UserNats {
  pub?: JwtPermission;
  sub?: JwtPermission;
  resp?: { max: number; ttl: number };
  subs?: number;
  data?: number;
  payload?: number;
  src?: string[];
  times?: { start: string; end: string }[];
  times_location?: string;
  bearer_token?: boolean;
  allowed_connection_types?: string[];
  issuer_account?: string;
  tags?: string[];
  [k: string]: unknown;
}

/** The `nats` section of an account JWT (server JSON names; `limits` is merged over "unlimited"). */
export interface AccountNats {
  limits?: Record<string, unknown>;
  signing_keys?: unknown[];
  revocations?: Record<string, number>;
  default_permissions?: { pub?: JwtPermission; sub?: JwtPermission };
  imports?: unknown[];
  exports?: unknown[];
  tags?: string[];
  [k: string]: unknown;
}

/** The `nats` section of an operator JWT. */
export interface OperatorNats {
  signing_keys?: string[];
  system_account?: string;
  account_server_url?: string;
  operator_service_urls?: string[];
  tags?: string[];
  [k: string]: unknown;
}

/** Claims options shared by every encoder. Times are unix seconds. */
export interface JwtOptions<N> {
  /** Defaults to the subject's public key. */
  name?: string;
  exp?: number;
  nbf?: number;
  /** Defaults to now. */
  iat?: number;
  aud?: string;
  /** Merged over the defaults of the JWT's type. */
  nats?: N;
}

const te = new TextEncoder();
const td = new TextDecoder("utf-8", { fatal: true });
const B64URL = /^[A-Za-z0-9_-]*$/;
const ALGS = new Set(["ed25519-nkey", "ed25519"]);

function b64urlDecode(part: string, what: string): Uint8Array {
  if (!B64URL.test(part) || part.length % 4 === 1) throw new InvalidArgumentError(`invalid JWT: the ${what} is not base64url`);
  return new Uint8Array(Buffer.from(part, "base64url"));
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(td.decode(bytes));
  } catch {
    throw new InvalidArgumentError(`invalid JWT: the ${what} is not JSON`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new InvalidArgumentError(`invalid JWT: the ${what} is not a JSON object`);
  return v as Record<string, unknown>;
}

function splitJwt(jwt: string | Uint8Array): [string, string, string] {
  if (typeof jwt !== "string" && !(jwt instanceof Uint8Array)) throw new InvalidArgumentError("a JWT must be a string or a Uint8Array");
  const text = (typeof jwt === "string" ? jwt : new TextDecoder().decode(jwt)).trim();
  const parts = text.split(".");
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) throw new InvalidArgumentError("invalid JWT: expected three non-empty dot-separated parts");
  return parts as [string, string, string];
}

/**
 * Decodes a JWT without verifying it: header, claims and raw signature. Throws
 * `InvalidArgumentError` for anything malformed (the token is never quoted).
 */
export function decodeJwt<N extends object = Record<string, unknown>>(jwt: string | Uint8Array): DecodedJwt<N> {
  const [h, c, s] = splitJwt(jwt);
  const header = parseJson(b64urlDecode(h, "header"), "header");
  if (typeof header.alg !== "string" || !ALGS.has(header.alg)) throw new InvalidArgumentError("invalid JWT: unsupported algorithm");
  if (typeof header.typ !== "string" || header.typ.toUpperCase() !== "JWT") throw new InvalidArgumentError("invalid JWT: the header type is not JWT");
  const claims = parseJson(b64urlDecode(c, "claims"), "claims") as JwtClaims<N>;
  return { header: header as JwtHeader, claims, signature: b64urlDecode(s, "signature") };
}

/**
 * True when the JWT is well formed and signed by the key in its `iss` claim. (Whether that issuer
 * is trusted, and whether the JWT has expired, are separate questions.)
 */
export function verifyJwt(jwt: string | Uint8Array): boolean {
  let parts: [string, string, string];
  let decoded: DecodedJwt;
  try {
    parts = splitJwt(jwt);
    decoded = decodeJwt(jwt);
  } catch {
    return false;
  }
  const iss = decoded.claims.iss;
  if (typeof iss !== "string" || !isValidPublicKey(iss)) return false;
  try {
    return fromPublic(iss).verify(te.encode(`${parts[0]}.${parts[1]}`), decoded.signature);
  } catch {
    return false;
  }
}

const HEADER = toBase64Url(te.encode(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" })));

function subjectKey(subject: string | KeyPair): string {
  return typeof subject === "string" ? subject : subject.getPublicKey();
}

function requireKey(key: string, prefix: number, what: string): void {
  if (!isValidPublicKey(key, prefix)) throw new InvalidArgumentError(`${what} must be a valid public ${kind(prefix)} nkey`);
}

function kind(prefix: number): string {
  return prefix === NKeyPrefix.User ? "user" : prefix === NKeyPrefix.Account ? "account" : prefix === NKeyPrefix.Operator ? "operator" : "nkey";
}

/**
 * Encodes and signs a NATS JWT of `type` for `subject`. `jti` is the base32 (no padding) SHA-256
 * of the claims JSON with `jti` empty; `iat` defaults to now, `name` to the subject.
 */
export function encodeJwt(type: string, subject: string | KeyPair, issuer: KeyPair, nats: Record<string, unknown>, opts: JwtOptions<unknown> = {}): string {
  const sub = subjectKey(subject);
  const claims: Record<string, unknown> = {};
  if (opts.aud !== undefined) claims.aud = opts.aud;
  claims.jti = "";
  claims.iat = opts.iat ?? Math.floor(Date.now() / 1000);
  claims.iss = issuer.getPublicKey();
  claims.name = opts.name ?? sub;
  claims.sub = sub;
  if (opts.exp !== undefined) claims.exp = opts.exp;
  if (opts.nbf !== undefined) claims.nbf = opts.nbf;
  claims.nats = { ...nats, type, version: 2 };
  claims.jti = encodeBase32(createHash("sha256").update(JSON.stringify(claims)).digest());
  const body = toBase64Url(te.encode(JSON.stringify(claims)));
  const sig = issuer.sign(te.encode(`${HEADER}.${body}`));
  return `${HEADER}.${body}.${toBase64Url(sig)}`;
}

/**
 * A user JWT for `subject` (a `U…` key or key pair), signed by `issuer`: the account key, or an
 * account signing key (then `nats.issuer_account` must name the account). Defaults: no
 * permission restrictions (no `pub`/`sub`), unlimited subs/data/payload.
 */
export function encodeUserJwt(subject: string | KeyPair, issuer: KeyPair, opts: JwtOptions<UserNats> = {}): string {
  const sub = subjectKey(subject);
  requireKey(sub, NKeyPrefix.User, "the subject of a user JWT");
  const iss = issuer.getPublicKey();
  const { issuer_account, tags, pub, sub: subPerm, ...rest } = opts.nats ?? {};
  // key order as the published nats.java vectors: issuer_account, tags, type, version, pub, sub, limits
  const nats: UserNats = {};
  if (issuer_account !== undefined) nats.issuer_account = issuer_account;
  if (tags !== undefined) nats.tags = tags;
  nats.type = "user";
  nats.version = 2;
  if (pub !== undefined) nats.pub = pub;
  if (subPerm !== undefined) nats.sub = subPerm;
  Object.assign(nats, { subs: -1, data: -1, payload: -1 }, rest);
  if (!isValidPublicKey(iss, NKeyPrefix.Account)) {
    if (typeof nats.issuer_account !== "string") throw new InvalidArgumentError("a user JWT signed by a signing key needs nats.issuer_account");
    requireKey(iss, NKeyPrefix.Account, "the issuer of a user JWT");
  }
  if (nats.issuer_account !== undefined) requireKey(nats.issuer_account, NKeyPrefix.Account, "nats.issuer_account");
  return encodeJwt("user", sub, issuer, nats, opts);
}

/**
 * An account JWT for `subject` (an `A…` key or key pair), signed by `issuer` (the operator, an
 * operator signing key, or the account itself). `nats.limits` is merged over unlimited limits
 * (JetStream disabled unless `mem_storage`/`disk_storage` are given).
 */
export function encodeAccountJwt(subject: string | KeyPair, issuer: KeyPair, opts: JwtOptions<AccountNats> = {}): string {
  const sub = subjectKey(subject);
  requireKey(sub, NKeyPrefix.Account, "the subject of an account JWT");
  const iss = issuer.getPublicKey();
  if (!isValidPublicKey(iss, NKeyPrefix.Operator) && !isValidPublicKey(iss, NKeyPrefix.Account)) {
    throw new InvalidArgumentError("the issuer of an account JWT must be an operator or account nkey");
  }
  const limits = { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1, ...opts.nats?.limits };
  const nats: AccountNats = { default_permissions: { pub: {}, sub: {} }, ...opts.nats, limits };
  return encodeJwt("account", sub, issuer, nats, opts);
}

/** A self-signed operator JWT for `operator` (`O…` key pair). */
export function encodeOperatorJwt(operator: KeyPair, opts: JwtOptions<OperatorNats> = {}): string {
  const sub = operator.getPublicKey();
  requireKey(sub, NKeyPrefix.Operator, "an operator JWT's key");
  if (opts.nats?.system_account !== undefined) requireKey(opts.nats.system_account, NKeyPrefix.Account, "nats.system_account");
  return encodeJwt("operator", sub, operator, { ...opts.nats }, opts);
}
