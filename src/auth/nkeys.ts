/**
 * NKeys: Ed25519 keys in the NATS string encoding, base32(prefix || key || crc16-le).
 * Seeds read `S` + type letter (`SU…`, `SA…`, `SO…`), public keys start with the type letter.
 * Crypto is node:crypto's Ed25519; the 32-byte seed is turned into a PKCS#8 key only for the
 * time of one operation, and that buffer is wiped right after.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign as edSign, verify as edVerify, type KeyObject } from "node:crypto";
import { InvalidArgumentError } from "../util/errors.js";
import { decodeBase32, encodeBase32 } from "./base32.js";
import { crc16, validCrc16 } from "./crc16.js";

/** The prefix bytes of the NKey kinds (the high 5 bits pick the first base32 letter). */
export const NKeyPrefix = {
  Seed: 18 << 3, // S
  Private: 15 << 3, // P
  Server: 13 << 3, // N
  Cluster: 2 << 3, // C
  Operator: 14 << 3, // O
  Account: 0, // A
  User: 20 << 3, // U
  Curve: 23 << 3, // X (X25519 keys; encoded here, not usable for signing)
  Unknown: 25 << 3, // Z
} as const;

const PUBLIC_PREFIXES: ReadonlySet<number> = new Set([
  NKeyPrefix.Server,
  NKeyPrefix.Cluster,
  NKeyPrefix.Operator,
  NKeyPrefix.Account,
  NKeyPrefix.User,
  NKeyPrefix.Curve,
]);
const KIND_NAMES: Record<number, string> = {
  [NKeyPrefix.Seed]: "seed",
  [NKeyPrefix.Private]: "private key",
  [NKeyPrefix.Server]: "server",
  [NKeyPrefix.Cluster]: "cluster",
  [NKeyPrefix.Operator]: "operator",
  [NKeyPrefix.Account]: "account",
  [NKeyPrefix.User]: "user",
  [NKeyPrefix.Curve]: "curve",
};
const KEY_LEN = 32;
const PKCS8_ED25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_ED25519 = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);
const te = new TextEncoder();

function kindName(prefix: number): string {
  return KIND_NAMES[prefix] ?? `unknown (prefix byte ${prefix})`;
}

function withArticle(prefix: number): string {
  const name = kindName(prefix);
  return /^(a|o|unknown)/.test(name) ? `an ${name}` : `a ${name}`;
}

function toBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === "string" ? te.encode(data) : data;
}

/** Encodes a 32-byte (or, for private keys, 64-byte) key with its prefix and checksum. */
export function encodeKey(prefix: number, key: Uint8Array): string {
  if (prefix !== NKeyPrefix.Private && !PUBLIC_PREFIXES.has(prefix)) throw new InvalidArgumentError("invalid nkey prefix byte");
  const expected = prefix === NKeyPrefix.Private ? 2 * KEY_LEN : KEY_LEN;
  if (key.length !== expected) throw new InvalidArgumentError(`invalid nkey: expected ${expected} key bytes, got ${key.length}`);
  const raw = new Uint8Array(1 + key.length + 2);
  raw[0] = prefix;
  raw.set(key, 1);
  const crc = crc16(raw, raw.length - 2);
  raw[raw.length - 2] = crc & 0xff;
  raw[raw.length - 1] = crc >>> 8;
  const out = encodeBase32(raw);
  raw.fill(0);
  return out;
}

/** Base32-decodes and checks the checksum; the result (checksum removed) belongs to the caller. */
function decodeChecked(text: string | Uint8Array, what: string): Uint8Array {
  let raw: Uint8Array;
  try {
    raw = decodeBase32(text);
  } catch (err) {
    throw new InvalidArgumentError(`invalid ${what}: not base32 (${(err as Error).message})`);
  }
  if (raw.length < 4) {
    raw.fill(0);
    throw new InvalidArgumentError(`invalid ${what}: bad length`);
  }
  if (!validCrc16(raw)) {
    raw.fill(0);
    throw new InvalidArgumentError(`invalid ${what}: bad checksum`);
  }
  return raw.subarray(0, raw.length - 2);
}

/** Decodes a public (or private `P…`) key, checking its prefix when `expected` is given. */
export function decodeKey(text: string, expected?: number): { prefix: number; key: Uint8Array } {
  const raw = decodeChecked(text.trim(), "nkey");
  const prefix = raw[0]!;
  if (prefix === NKeyPrefix.Seed || (raw[0]! & 0xf8) === NKeyPrefix.Seed) throw new InvalidArgumentError("invalid nkey: bad prefix (a seed is not a public key)");
  if (prefix !== NKeyPrefix.Private && !PUBLIC_PREFIXES.has(prefix)) throw new InvalidArgumentError("invalid nkey: bad prefix");
  if (expected !== undefined && prefix !== expected) {
    throw new InvalidArgumentError(`invalid nkey: bad prefix (expected ${withArticle(expected)} key, got ${withArticle(prefix)} key)`);
  }
  const want = prefix === NKeyPrefix.Private ? 2 * KEY_LEN : KEY_LEN;
  if (raw.length - 1 !== want) throw new InvalidArgumentError("invalid nkey: bad length");
  return { prefix, key: raw.slice(1) };
}

/** Encodes a 32-byte seed of the given public kind as `S…` ASCII bytes (wipe them when done). */
export function encodeSeed(prefix: number, seed: Uint8Array): Uint8Array {
  if (!PUBLIC_PREFIXES.has(prefix)) throw new InvalidArgumentError("invalid nkey seed: bad prefix");
  if (seed.length !== KEY_LEN) throw new InvalidArgumentError(`invalid nkey seed: expected ${KEY_LEN} seed bytes, got ${seed.length}`);
  const raw = new Uint8Array(2 + KEY_LEN + 2);
  raw[0] = NKeyPrefix.Seed | (prefix >> 5);
  raw[1] = (prefix & 0x1f) << 3;
  raw.set(seed, 2);
  const crc = crc16(raw, raw.length - 2);
  raw[34] = crc & 0xff;
  raw[35] = crc >>> 8;
  const b32 = encodeBase32(raw);
  raw.fill(0);
  return te.encode(b32);
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

/** Decodes an encoded seed (`S…`), returning its kind and a fresh copy of the 32 seed bytes. */
export function decodeSeed(seed: string | Uint8Array): { prefix: number; seed: Uint8Array } {
  let input: string | Uint8Array;
  if (typeof seed === "string") input = seed.trim();
  else {
    let a = 0;
    let b = seed.length;
    while (a < b && isSpace(seed[a]!)) a++;
    while (b > a && isSpace(seed[b - 1]!)) b--;
    input = seed.subarray(a, b);
  }
  const raw = decodeChecked(input, "nkey seed");
  try {
    if ((raw[0]! & 0xf8) !== NKeyPrefix.Seed) throw new InvalidArgumentError("invalid nkey seed: bad prefix (not a seed)");
    const prefix = ((raw[0]! & 7) << 5) | ((raw[1]! & 0xf8) >> 3);
    if (!PUBLIC_PREFIXES.has(prefix)) throw new InvalidArgumentError("invalid nkey seed: bad prefix (unknown key type)");
    if (raw.length !== 2 + KEY_LEN) throw new InvalidArgumentError("invalid nkey seed: bad length");
    return { prefix, seed: raw.slice(2) };
  } finally {
    raw.fill(0);
  }
}

/** True when `key` is a well-formed public key (of kind `prefix`, when given). */
export function isValidPublicKey(key: string, prefix?: number): boolean {
  try {
    const d = decodeKey(key, prefix);
    return d.prefix !== NKeyPrefix.Private;
  } catch {
    return false;
  }
}

/** An NKey: a full key pair (from a seed) or a public key only. */
export interface KeyPair {
  /** The encoded public key (`U…`, `A…`, `O…`, `N…`, `C…`). */
  getPublicKey(): string;
  /** The encoded private key (`P…`) as ASCII bytes; throws for a public-only key. */
  getPrivateKey(): Uint8Array;
  /** The encoded seed (`S…`) as ASCII bytes (a copy; wipe it when done); throws for a public-only key. */
  getSeed(): Uint8Array;
  /** The 64-byte Ed25519 signature of `data` (strings are signed as UTF-8). */
  sign(data: Uint8Array | string): Uint8Array;
  /** True when `sig` is this key's valid signature of `data`. */
  verify(data: Uint8Array | string, sig: Uint8Array): boolean;
  /** Wipes the seed bytes; the key pair cannot be used afterwards. */
  clear(): void;
}

function cleared(): InvalidArgumentError {
  return new InvalidArgumentError("this nkey key pair was cleared");
}

function publicKeyObject(pub: Uint8Array): KeyObject {
  const der = new Uint8Array(SPKI_ED25519.length + KEY_LEN);
  der.set(SPKI_ED25519);
  der.set(pub, SPKI_ED25519.length);
  return createPublicKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: "der", type: "spki" });
}

function verifyWith(pub: Uint8Array, data: Uint8Array | string, sig: Uint8Array): boolean {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) return false;
  try {
    return edVerify(null, toBytes(data), publicKeyObject(pub), sig);
  } catch {
    return false;
  }
}

/** Runs `fn` with a private KeyObject made from `seed`; the PKCS#8 buffer is wiped afterwards. */
function withPrivateKey<T>(seed: Uint8Array, fn: (k: KeyObject) => T): T {
  const der = Buffer.alloc(PKCS8_ED25519.length + KEY_LEN);
  der.set(PKCS8_ED25519);
  der.set(seed, PKCS8_ED25519.length);
  try {
    return fn(createPrivateKey({ key: der, format: "der", type: "pkcs8" }));
  } finally {
    der.fill(0);
  }
}

class SeedKeyPair implements KeyPair {
  #seed: Uint8Array | undefined;
  readonly #prefix: number;
  readonly #pub: Uint8Array;

  /** Takes ownership of `seed` (32 bytes). */
  constructor(prefix: number, seed: Uint8Array) {
    if (prefix === NKeyPrefix.Curve) {
      seed.fill(0);
      throw new InvalidArgumentError("invalid nkey seed: curve (X25519) seeds cannot sign");
    }
    this.#prefix = prefix;
    this.#seed = seed;
    const spki = withPrivateKey(seed, (k) => createPublicKey(k).export({ format: "der", type: "spki" }));
    this.#pub = new Uint8Array(spki.subarray(spki.length - KEY_LEN));
  }

  #live(): Uint8Array {
    if (!this.#seed) throw cleared();
    return this.#seed;
  }

  getPublicKey(): string {
    this.#live();
    return encodeKey(this.#prefix, this.#pub);
  }

  getPrivateKey(): Uint8Array {
    const both = new Uint8Array(2 * KEY_LEN);
    both.set(this.#live());
    both.set(this.#pub, KEY_LEN);
    const out = te.encode(encodeKey(NKeyPrefix.Private, both));
    both.fill(0);
    return out;
  }

  getSeed(): Uint8Array {
    return encodeSeed(this.#prefix, this.#live());
  }

  sign(data: Uint8Array | string): Uint8Array {
    const bytes = toBytes(data);
    return new Uint8Array(withPrivateKey(this.#live(), (k) => edSign(null, bytes, k)));
  }

  verify(data: Uint8Array | string, sig: Uint8Array): boolean {
    this.#live();
    return verifyWith(this.#pub, data, sig);
  }

  clear(): void {
    if (!this.#seed) return;
    this.#seed.set(randomBytes(KEY_LEN));
    this.#seed.fill(0);
    this.#seed = undefined;
  }
}

class PublicKeyPair implements KeyPair {
  #pub: Uint8Array | undefined;
  readonly #prefix: number;

  constructor(prefix: number, pub: Uint8Array) {
    this.#prefix = prefix;
    this.#pub = pub;
  }

  #live(): Uint8Array {
    if (!this.#pub) throw cleared();
    return this.#pub;
  }

  getPublicKey(): string {
    return encodeKey(this.#prefix, this.#live());
  }

  getPrivateKey(): Uint8Array {
    this.#live();
    throw new InvalidArgumentError("a public-key-only nkey has no private key");
  }

  getSeed(): Uint8Array {
    this.#live();
    throw new InvalidArgumentError("a public-key-only nkey has no seed");
  }

  sign(): Uint8Array {
    this.#live();
    throw new InvalidArgumentError("a public-key-only nkey cannot sign");
  }

  verify(data: Uint8Array | string, sig: Uint8Array): boolean {
    return verifyWith(this.#live(), data, sig);
  }

  clear(): void {
    this.#pub?.fill(0);
    this.#pub = undefined;
  }
}

/**
 * A key pair from an encoded seed (`SU…`, `SA…`, `SO…`, `SN…`, `SC…`), as a string or its ASCII
 * bytes. The caller's bytes are not modified; the pair keeps its own copy, wiped by `clear()`.
 */
export function fromSeed(seed: string | Uint8Array): KeyPair {
  if (typeof seed !== "string" && !(seed instanceof Uint8Array)) throw new InvalidArgumentError("an nkey seed must be a string or a Uint8Array");
  const d = decodeSeed(seed);
  return new SeedKeyPair(d.prefix, d.seed);
}

/** A key pair from 32 raw seed bytes of the given kind (the bytes are copied). */
export function fromRawSeed(prefix: number, seed: Uint8Array): KeyPair {
  if (!PUBLIC_PREFIXES.has(prefix)) throw new InvalidArgumentError("invalid nkey seed: bad prefix");
  if (seed.length !== KEY_LEN) throw new InvalidArgumentError(`invalid nkey seed: expected ${KEY_LEN} seed bytes, got ${seed.length}`);
  return new SeedKeyPair(prefix, seed.slice());
}

/** A verify-only key pair from an encoded public key. */
export function fromPublic(publicKey: string): KeyPair {
  if (typeof publicKey !== "string") throw new InvalidArgumentError("an nkey public key must be a string");
  const d = decodeKey(publicKey);
  if (d.prefix === NKeyPrefix.Private) throw new InvalidArgumentError("invalid nkey: bad prefix (a private key is not a public key)");
  if (d.prefix === NKeyPrefix.Curve) throw new InvalidArgumentError("invalid nkey: curve (X25519) keys cannot verify signatures");
  return new PublicKeyPair(d.prefix, d.key);
}

/** A new random key pair of the given kind. */
export function createPair(prefix: number): KeyPair {
  if (!PUBLIC_PREFIXES.has(prefix) || prefix === NKeyPrefix.Curve) throw new InvalidArgumentError("invalid nkey prefix byte for a signing key");
  return new SeedKeyPair(prefix, new Uint8Array(randomBytes(KEY_LEN)));
}

export const createUser = (): KeyPair => createPair(NKeyPrefix.User);
export const createAccount = (): KeyPair => createPair(NKeyPrefix.Account);
export const createOperator = (): KeyPair => createPair(NKeyPrefix.Operator);
export const createServer = (): KeyPair => createPair(NKeyPrefix.Server);
export const createCluster = (): KeyPair => createPair(NKeyPrefix.Cluster);

/** base64url (no padding) of bytes, as NATS sends signatures. */
export function toBase64Url(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.length).toString("base64url");
}

/** Signs the server's nonce (its UTF-8 bytes as given) and returns the base64url signature. */
export function signNonce(kp: KeyPair, nonce: string): string {
  return toBase64Url(kp.sign(te.encode(nonce)));
}

/** The NKeys API as one object: `nkeys.fromSeed(...)`, `nkeys.createUser()`, ... */
export const nkeys = {
  Prefix: NKeyPrefix,
  fromSeed,
  fromRawSeed,
  fromPublic,
  createPair,
  createUser,
  createAccount,
  createOperator,
  createServer,
  createCluster,
  encodeKey,
  decodeKey,
  encodeSeed,
  decodeSeed,
  isValidPublicKey,
} as const;
