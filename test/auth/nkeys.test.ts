// NKeys encoding and signing: base32, CRC-16, seeds, public/private keys and Ed25519 signatures,
// checked against published vectors and against the official @nats-io/nkeys package as an oracle.
//
// Vectors:
//   base32: nats-io/nkeys.js test/base32_test.ts (RFC 4648 examples without padding)
//   crc16:  nats-io/nkeys.js test/crc16_test.ts
//   seed/public key/nonce signature, and the "albertor" raw seed with its seed, public and
//           private encodings: nats-io/nkeys.js test/integration_test.ts (generated with nkeys in Go)
//   user/account seeds with their public keys: nats-io/nats.java
//           src/test/java/io/nats/client/support/JwtUtilsTests.java
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import * as oracle from "@nats-io/nkeys";
import {
  createAccount,
  createCluster,
  createOperator,
  createServer,
  createUser,
  fromPublic,
  fromRawSeed,
  fromSeed,
  InvalidArgumentError,
  isValidPublicKey,
  NKeyPrefix,
  nkeys,
  type KeyPair,
} from "../../src/index.js";
import { decodeBase32, encodeBase32 } from "../../src/auth/base32.js";
import { crc16 } from "../../src/auth/crc16.js";
import { decodeSeed, encodeKey, signNonce } from "../../src/auth/nkeys.js";

const te = new TextEncoder();
const td = new TextDecoder();
const b64url = (b: Uint8Array): string => Buffer.from(b).toString("base64url");

// nats-io/nkeys.js test/integration_test.ts ("generated using nkey api in go")
const GO_ACCOUNT = {
  seed: "SAAK7IAXLQQ2A65HJCMUBR6IG6GP3AOXQGEPCNQIIAG7ZZ7XCEFIROMY6U",
  publicKey: "ACLG5IASA6EMBRAUOXXWX44GNBZPDJO3A3RYDT7FDYYEPBJIBRGP6WHZ",
  nonce: "2w2TrJVMAqwqZbg0nXovhQ==",
  sig: "F64qNsH2n_XllIX7qYa1YqTTH_K61tPHlvvsN_lhlo-tCpTaKfp0_yWnw5IsQeaiSqwN2rUs20Rk1VV9vtiBBw==",
};
const ALBERTOR = {
  raw: "albertoralbertoralbertoralbertor",
  seed: "SUAGC3DCMVZHI33SMFWGEZLSORXXEYLMMJSXE5DPOJQWYYTFOJ2G64VAPY",
  publicKey: "UAHJLSMYZDJCBHQ2SARL37IEALR3TI7VVPZ2MJ7F4SZKNOG7HJJIYW5T",
  privateKey: "PBQWYYTFOJ2G64TBNRRGK4TUN5ZGC3DCMVZHI33SMFWGEZLSORXXEDUVZGMMRURATYNJAIV57UCAFY5ZUP22X45GE7S6JMVGXDPTUUUMRKXA",
};
// nats-io/nats.java src/test/java/io/nats/client/support/JwtUtilsTests.java
const JAVA_KEYS = [
  { seed: "SUAGL3KX4ZBBD53BNNLSHGAAGCMXSEYZ6NTYUBUCPZQGHYNK3ZRQBUDPRY", publicKey: "UA6KOMQ67XOE3FHE37W4OXADVXVYISBNLTBUT2LSY5VFKAIJ7CRDR2RZ" },
  { seed: "SAANJIBNEKGCRUWJCPIWUXFBFJLR36FJTFKGBGKAT7AQXH2LVFNQWZJMQU", publicKey: "ADQ4BYM5KICR5OXDSP3S3WVJ5CYEORGQKT72SVRF2ZDVA7LTFKMCIPGY" },
];

/** Asserts `fn` throws an InvalidArgumentError whose message matches `re` and does not contain `secret`. */
function throwsClean(fn: () => unknown, re: RegExp, secret: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(err)}`);
    assert.equal(err.code, "INVALID_ARGUMENT");
    assert.match(err.message, re);
    assert.ok(!err.message.includes(secret), "the error message must not contain the input");
    if (secret.length > 12) assert.ok(!err.message.includes(secret.slice(2, 14)), "the error message must not contain part of the input");
    return true;
  });
}

describe("base32 and crc16", () => {
  it("encodes and decodes the RFC 4648 examples without padding", () => {
    const cases: [string, string][] = [
      ["", ""], ["f", "MY"], ["fo", "MZXQ"], ["foo", "MZXW6"], ["foob", "MZXW6YQ"], ["fooba", "MZXW6YTB"],
      ["foobar", "MZXW6YTBOI"], ["sure.", "ON2XEZJO"], ["sure", "ON2XEZI"], ["sur", "ON2XE"], ["su", "ON2Q"],
      ["leasure.", "NRSWC43VOJSS4"], ["easure.", "MVQXG5LSMUXA"], ["asure.", "MFZXK4TFFY"],
    ];
    for (const [plain, enc] of cases) {
      assert.equal(encodeBase32(te.encode(plain)), enc, `encode ${plain}`);
      assert.equal(td.decode(decodeBase32(enc)), plain, `decode ${enc}`);
      assert.equal(td.decode(decodeBase32(te.encode(enc))), plain, `decode bytes ${enc}`);
    }
    assert.equal(td.decode(decodeBase32("MZXW6YQ=")), "foob", "trailing padding is tolerated");
    assert.throws(() => decodeBase32("MZ1W"), InvalidArgumentError);
    assert.throws(() => decodeBase32("mzxw"), InvalidArgumentError);
  });

  it("computes CRC-16/XMODEM", () => {
    const cases: [Uint8Array, number][] = [
      [Uint8Array.from([0x41, 0x4c, 0x42, 0x45, 0x52, 0x54, 0x4f]), 51378],
      [te.encode(""), 0], [te.encode("abc"), 0x9dd6], [te.encode("ABC"), 0x3994],
      [te.encode("This is a string"), 0x21e3], [te.encode("123456789"), 0x31c3],
      [Uint8Array.from([0x7f]), 0x8f78], [Uint8Array.from([0x80]), 0x9188], [Uint8Array.from([0xff]), 0x1ef0],
      [Uint8Array.from([0x0, 0x1, 0x7d, 0x7e, 0x7f, 0x80, 0xfe, 0xff]), 0xe26f],
    ];
    for (const [input, crc] of cases) assert.equal(crc16(input), crc);
  });
});

describe("nkeys: published vectors", () => {
  it("derives the Go-generated account public key and nonce signature from its seed", () => {
    const kp = fromSeed(GO_ACCOUNT.seed);
    assert.equal(kp.getPublicKey(), GO_ACCOUNT.publicKey);
    const expected = new Uint8Array(Buffer.from(GO_ACCOUNT.sig, "base64url"));
    const sig = kp.sign(te.encode(GO_ACCOUNT.nonce));
    assert.equal(sig.length, 64);
    assert.deepEqual(Array.from(sig), Array.from(expected), "Ed25519 is deterministic: same seed and data, same signature");
    assert.equal(signNonce(kp, GO_ACCOUNT.nonce), GO_ACCOUNT.sig.replace(/=+$/, ""), "nonce signature is base64url without padding");
    assert.ok(fromPublic(GO_ACCOUNT.publicKey).verify(te.encode(GO_ACCOUNT.nonce), expected));
    assert.ok(fromSeed(te.encode(GO_ACCOUNT.seed)).verify(GO_ACCOUNT.nonce, expected), "seed as bytes, data as string");
  });

  it("encodes a raw seed as the published seed, public and private keys", () => {
    const kp = fromRawSeed(NKeyPrefix.User, te.encode(ALBERTOR.raw));
    assert.equal(td.decode(kp.getSeed()), ALBERTOR.seed);
    assert.equal(kp.getPublicKey(), ALBERTOR.publicKey);
    assert.equal(td.decode(kp.getPrivateKey()), ALBERTOR.privateKey);
    const back = fromSeed(ALBERTOR.seed);
    assert.equal(back.getPublicKey(), ALBERTOR.publicKey);
    const d = decodeSeed(ALBERTOR.seed);
    assert.equal(d.prefix, NKeyPrefix.User);
    assert.equal(td.decode(d.seed), ALBERTOR.raw);
  });

  it("derives the nats.java test keys' public keys", () => {
    for (const k of JAVA_KEYS) assert.equal(fromSeed(k.seed).getPublicKey(), k.publicKey);
  });
});

describe("nkeys: key pairs", () => {
  const kinds: [string, () => KeyPair, string][] = [
    ["user", createUser, "U"], ["account", createAccount, "A"], ["operator", createOperator, "O"],
    ["server", createServer, "N"], ["cluster", createCluster, "C"],
  ];
  for (const [name, create, letter] of kinds) {
    it(`creates ${name} keys that sign, verify, round-trip and clear`, () => {
      const kp = create();
      const seed = td.decode(kp.getSeed());
      const pub = kp.getPublicKey();
      assert.equal(seed.length, 58);
      assert.equal(seed.slice(0, 2), `S${letter}`);
      assert.equal(pub.length, 56);
      assert.equal(pub[0], letter);
      assert.equal(td.decode(kp.getPrivateKey())[0], "P");
      assert.ok(isValidPublicKey(pub));
      const data = te.encode("HelloWorld");
      const sig = kp.sign(data);
      assert.equal(sig.length, 64);
      assert.ok(kp.verify(data, sig));
      assert.ok(!kp.verify(te.encode("HelloWorle"), sig));
      assert.ok(fromSeed(seed).verify(data, sig));
      const pk = fromPublic(pub);
      assert.equal(pk.getPublicKey(), pub);
      assert.ok(pk.verify(data, sig));
      assert.throws(() => pk.sign(data), /cannot sign/);
      assert.throws(() => pk.getSeed(), /no seed/);
      assert.throws(() => pk.getPrivateKey(), /no private key/);
      kp.clear();
      for (const f of [() => kp.getPublicKey(), () => kp.getSeed(), () => kp.getPrivateKey(), () => kp.sign(data), () => kp.verify(data, sig)]) {
        assert.throws(f, /cleared/);
      }
      pk.clear();
      assert.throws(() => pk.verify(data, sig), /cleared/);
    });
  }

  it("does not modify the caller's seed bytes, and clear() wipes its own copy", () => {
    const seed = te.encode(GO_ACCOUNT.seed);
    const copy = seed.slice();
    const kp = fromSeed(seed);
    kp.clear();
    assert.deepEqual(Array.from(seed), Array.from(copy));
    const raw = te.encode(ALBERTOR.raw);
    const kp2 = fromRawSeed(NKeyPrefix.User, raw);
    kp2.clear();
    assert.equal(td.decode(raw), ALBERTOR.raw);
    const out = fromSeed(GO_ACCOUNT.seed).getSeed();
    assert.equal(td.decode(out), GO_ACCOUNT.seed, "getSeed returns a fresh copy");
  });

  it("rejects signatures of the wrong length or from another key", () => {
    const a = createUser();
    const b = createUser();
    const data = te.encode("x");
    assert.ok(!a.verify(data, b.sign(data)));
    assert.ok(!a.verify(data, a.sign(data).subarray(0, 63)));
    assert.ok(!a.verify(data, new Uint8Array(64)));
  });

  it("exposes the same functions on the nkeys namespace object", () => {
    const kp = nkeys.createAccount();
    assert.equal(nkeys.fromSeed(kp.getSeed()).getPublicKey(), kp.getPublicKey());
    assert.equal(nkeys.Prefix.User, 160);
    assert.equal(nkeys.Prefix.Seed, 144);
    assert.ok(nkeys.isValidPublicKey(kp.getPublicKey(), nkeys.Prefix.Account));
    assert.ok(!nkeys.isValidPublicKey(kp.getPublicKey(), nkeys.Prefix.User));
  });
});

describe("nkeys: decode errors never echo the secret", () => {
  const seed = GO_ACCOUNT.seed;

  it("bad checksum", () => {
    const bad = seed.slice(0, -2) + (seed.endsWith("AA") ? "BB" : "AA");
    throwsClean(() => fromSeed(bad), /bad checksum/, bad);
    const pub = GO_ACCOUNT.publicKey.slice(0, -2) + "00";
    assert.throws(() => fromPublic(pub), InvalidArgumentError);
  });

  it("bad prefix: a public key is not a seed, a seed is not a public key, kinds must match", () => {
    throwsClean(() => fromSeed(GO_ACCOUNT.publicKey), /seed: bad prefix/, GO_ACCOUNT.publicKey);
    throwsClean(() => fromPublic(seed), /bad prefix/, seed);
    throwsClean(() => nkeys.decodeKey(GO_ACCOUNT.publicKey, NKeyPrefix.User), /expected a user key, got an account key/, GO_ACCOUNT.publicKey);
    // a seed whose embedded type is not a public kind (prefix byte 0x90|0, type bits 0b00011 << 3)
    const raw = new Uint8Array(36);
    raw[0] = NKeyPrefix.Seed;
    raw[1] = 3 << 3;
    const c = crc16(raw, 34);
    raw[34] = c & 0xff;
    raw[35] = c >> 8;
    const weird = encodeBase32(raw);
    throwsClean(() => fromSeed(weird), /bad prefix/, weird);
  });

  it("bad length, bad base32, wrong types", () => {
    const short = seed.slice(0, 40);
    assert.throws(() => fromSeed(short), (err: unknown) => err instanceof InvalidArgumentError && !err.message.includes(short));
    const lower = seed.toLowerCase();
    throwsClean(() => fromSeed(lower), /not base32/, lower);
    throwsClean(() => fromSeed("SU"), /bad length/, "SU__");
    // a correctly checksummed 35-byte (public-key sized) payload with a seed prefix
    const raw = new Uint8Array(35);
    raw[0] = NKeyPrefix.Seed | (NKeyPrefix.User >> 5);
    raw[1] = (NKeyPrefix.User & 0x1f) << 3;
    const c = crc16(raw, 33);
    raw[33] = c & 0xff;
    raw[34] = c >> 8;
    throwsClean(() => fromSeed(encodeBase32(raw)), /bad length/, encodeBase32(raw));
    assert.throws(() => fromSeed(42 as unknown as string), InvalidArgumentError);
    assert.throws(() => encodeKey(NKeyPrefix.User, new Uint8Array(31)), /expected 32 key bytes/);
    assert.throws(() => nkeys.createPair(NKeyPrefix.Private), InvalidArgumentError);
  });

  it("accepts surrounding whitespace (seed files end with a newline)", () => {
    assert.equal(fromSeed(`  ${seed}\n`).getPublicKey(), GO_ACCOUNT.publicKey);
    assert.equal(fromSeed(te.encode(`${seed}\r\n`)).getPublicKey(), GO_ACCOUNT.publicKey);
  });
});

describe("nkeys: cross-check with @nats-io/nkeys", () => {
  it("produces the same public keys, seeds and signatures for random keys of every kind", () => {
    const ours: (() => KeyPair)[] = [createUser, createAccount, createOperator, createServer, createCluster];
    for (let round = 0; round < 4; round++) {
      for (const create of ours) {
        const kp = create();
        const theirs = oracle.fromSeed(kp.getSeed());
        assert.equal(theirs.getPublicKey(), kp.getPublicKey());
        assert.equal(td.decode(theirs.getPrivateKey()), td.decode(kp.getPrivateKey()));
        const data = te.encode(`nonce-${round}-${Math.random()}`);
        const sig = kp.sign(data);
        assert.equal(b64url(theirs.sign(data)), b64url(sig));
        assert.ok(theirs.verify(data, sig));
      }
    }
  });

  it("reads seeds and public keys created by @nats-io/nkeys", () => {
    for (const create of [oracle.createUser, oracle.createAccount, oracle.createOperator]) {
      const theirs = create();
      const kp = fromSeed(theirs.getSeed());
      assert.equal(kp.getPublicKey(), theirs.getPublicKey());
      const data = te.encode("hello");
      assert.ok(fromPublic(theirs.getPublicKey()).verify(data, theirs.sign(data)));
    }
  });
});
