// JWT decoding/verification/encoding and .creds parsing/formatting, against published vectors;
// the authenticator helpers' output (what they put into CONNECT) checked by verifying signatures.
//
// Vectors:
//   JWTs, their claim bodies, signing/user seeds and the formatted creds text:
//     nats-io/nats.java src/test/java/io/nats/client/support/JwtUtilsTests.java
//   decorated creds (JWT + seed), parsed with \n and \r\n: nats-io/nkeys creds_utils_test.go
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import {
  createAccount,
  createOperator,
  createUser,
  credsAuthenticator,
  decodeJwt,
  encodeAccountJwt,
  encodeOperatorJwt,
  encodeUserJwt,
  formatCreds,
  fromPublic,
  fromSeed,
  InvalidArgumentError,
  jwtAuthenticator,
  NatsError,
  nkeyAuthenticator,
  parseCreds,
  verifyJwt,
  type Auth,
} from "../../src/index.js";

const te = new TextEncoder();
const td = new TextDecoder();

// ---- nats-io/nats.java JwtUtilsTests.java
const J_USER_SEED = "SUAGL3KX4ZBBD53BNNLSHGAAGCMXSEYZ6NTYUBUCPZQGHYNK3ZRQBUDPRY";
const J_USER_PUB = "UA6KOMQ67XOE3FHE37W4OXADVXVYISBNLTBUT2LSY5VFKAIJ7CRDR2RZ";
const J_SIGNING_SEED = "SAANJIBNEKGCRUWJCPIWUXFBFJLR36FJTFKGBGKAT7AQXH2LVFNQWZJMQU";
const J_ACCOUNT_ID = "ACXZRALIL22WRETDRXYKOYDB7XC3E7MBSVUSUMFACO6OM5VPRNFMOOO6";
const J_IAT = 1633043378;
const J_BODY_MINIMAL = `{"jti":"WQYMEEISPFLDXLNAOEF3TC2FWLZCKVCPQZWMDBDCGT3ZTSSHSBYA","iat":1633043378,"iss":"ADQ4BYM5KICR5OXDSP3S3WVJ5CYEORGQKT72SVRF2ZDVA7LTFKMCIPGY","name":"UA6KOMQ67XOE3FHE37W4OXADVXVYISBNLTBUT2LSY5VFKAIJ7CRDR2RZ","sub":"UA6KOMQ67XOE3FHE37W4OXADVXVYISBNLTBUT2LSY5VFKAIJ7CRDR2RZ","nats":{"issuer_account":"ACXZRALIL22WRETDRXYKOYDB7XC3E7MBSVUSUMFACO6OM5VPRNFMOOO6","type":"user","version":2,"subs":-1,"data":-1,"payload":-1}}`;
const J_BODY_AUDIENCE = `{"aud":"audience","jti":"PASRIRDVH2NWAPOKCO7TFIJVWI2OESTOH4CJ2PSGYH77YPQRXPVA","iat":1633043378,"iss":"ADQ4BYM5KICR5OXDSP3S3WVJ5CYEORGQKT72SVRF2ZDVA7LTFKMCIPGY","name":"UA6KOMQ67XOE3FHE37W4OXADVXVYISBNLTBUT2LSY5VFKAIJ7CRDR2RZ","sub":"UA6KOMQ67XOE3FHE37W4OXADVXVYISBNLTBUT2LSY5VFKAIJ7CRDR2RZ","nats":{"issuer_account":"ACXZRALIL22WRETDRXYKOYDB7XC3E7MBSVUSUMFACO6OM5VPRNFMOOO6","type":"user","version":2,"subs":-1,"data":-1,"payload":-1}}`;
const J_BODY_ALL = `{"aud":"audience","jti":"YK4IE2OAVVGD7CZ2OHGVDSQCRIHL4HNRPAQ2DE5B6VQ6HM5ZFWYA","iat":1633043378,"iss":"ADQ4BYM5KICR5OXDSP3S3WVJ5CYEORGQKT72SVRF2ZDVA7LTFKMCIPGY","name":"name","sub":"UA6KOMQ67XOE3FHE37W4OXADVXVYISBNLTBUT2LSY5VFKAIJ7CRDR2RZ","exp":1633043478,"nats":{"issuer_account":"ACXZRALIL22WRETDRXYKOYDB7XC3E7MBSVUSUMFACO6OM5VPRNFMOOO6","tags":["tag1","tag\\\\two"],"type":"user","version":2,"subs":-1,"data":-1,"payload":-1}}`;
const J_JWT_MINIMAL =
  "eyJ0eXAiOiJKV1QiLCAiYWxnIjoiZWQyNTUxOS1ua2V5In0.eyJqdGkiOiJXUVlNRUVJU1BGTERYTE5BT0VGM1RDMkZXTFpDS1ZDUFFaV01EQkRDR1QzWlRTU0hTQllBIiwiaWF0IjoxNjMzMDQzMzc4LCJpc3MiOiJBRFE0QllNNUtJQ1I1T1hEU1AzUzNXVko1Q1lFT1JHUUtUNzJTVlJGMlpEVkE3TFRGS01DSVBHWSIsIm5hbWUiOiJVQTZLT01RNjdYT0UzRkhFMzdXNE9YQURWWFZZSVNCTkxUQlVUMkxTWTVWRktBSUo3Q1JEUjJSWiIsInN1YiI6IlVBNktPTVE2N1hPRTNGSEUzN1c0T1hBRFZYVllJU0JOTFRCVVQyTFNZNVZGS0FJSjdDUkRSMlJaIiwibmF0cyI6eyJpc3N1ZXJfYWNjb3VudCI6IkFDWFpSQUxJTDIyV1JFVERSWFlLT1lEQjdYQzNFN01CU1ZVU1VNRkFDTzZPTTVWUFJORk1PT082IiwidHlwZSI6InVzZXIiLCJ2ZXJzaW9uIjoyLCJzdWJzIjotMSwiZGF0YSI6LTEsInBheWxvYWQiOi0xfX0.5Zq3wTy_5WeBYmFmYjI1OArCJ8IiJpFCflm5tnoWB7bYOOWoINR2t8a0i2fuGVYtFmDBAV8im_G2sibtlu53AQ";
const J_CREDS_MINIMAL =
  "-----BEGIN NATS USER JWT-----\n" +
  J_JWT_MINIMAL +
  "\n------END NATS USER JWT------\n\n" +
  "************************* IMPORTANT *************************\n" +
  "NKEY Seed printed below can be used to sign and prove identity.\n" +
  "NKEYs are sensitive and should be treated as secrets.\n\n" +
  "-----BEGIN USER NKEY SEED-----\n" +
  "SUAGL3KX4ZBBD53BNNLSHGAAGCMXSEYZ6NTYUBUCPZQGHYNK3ZRQBUDPRY\n" +
  "------END USER NKEY SEED------\n\n" +
  "*************************************************************\n";

// ---- nats-io/nkeys creds_utils_test.go
const G_SEED = "SUAOTBNEUHZDFJT3EUMELT7MQTP24JF3XVCXQNDSCU74G5IU6VAJBKH5LI";
const G_JWT =
  "eyJ0eXAiOiJqd3QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJHVDROVU5NRUY3Wk1XQ1JCWFZWVURLUVQ2WllQWjc3VzRKUlFYRDNMMjRIS1VKRUNRSDdRIiwiaWF0IjoxNTkwNzgxNTkzLCJpc3MiOiJBQURXTFRISUNWNFNVQUdGNkVLTlZFVzVCQlA3WVJESUJHV0dHSFo1SkJET1FZQTdHVUZNNkFRVSIsIm5hbWUiOiJPUEVSQVRPUiIsInN1YiI6IlVERTZXVEdMVFRQQ1JKUkpDS0JKUkdWTlpUTElWUjdMRUVFTFI0Q1lXV1dCS0pTN1hZSUtYRFVVIiwibmF0cyI6eyJwdWIiOnt9LCJzdWIiOnt9LCJ0eXBlIjoidXNlciIsInZlcnNpb24iOjJ9fQ.c_XQT04wEoVVNDRjPHeKwe17BOrSpQTcftwIbB7KoNEIz6peZCJDc4-J3emVepHofUOWy7IAo9TlLwYhuGHWAQ";
const G_CREDS = `-----BEGIN NATS USER JWT-----
${G_JWT}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.
NKEYs are sensitive and should be treated as secrets.

-----BEGIN USER NKEY SEED-----
${G_SEED}
------END USER NKEY SEED------

*************************************************************
`;

function bodyOf(jwt: string): string {
  return Buffer.from(jwt.split(".")[1]!, "base64url").toString("utf8");
}

/** Asserts `p` (or `fn()`) fails with an error whose message does not contain any of `secrets`. */
function noSecret(err: unknown, secrets: string[]): void {
  const text = `${(err as Error).message} ${JSON.stringify(err)} ${String((err as Error).cause ?? "")}`;
  for (const s of secrets) assert.ok(!text.includes(s), "an error message must not contain the secret");
}

function verifySig(pub: string, nonce: string, auth: Auth): boolean {
  return fromPublic(pub).verify(te.encode(nonce), new Uint8Array(Buffer.from(auth.sig!, "base64url")));
}

describe("JWT", () => {
  it("decodes and verifies the nats.java user JWT; its signature is reproducible", () => {
    assert.ok(verifyJwt(J_JWT_MINIMAL));
    const d = decodeJwt(J_JWT_MINIMAL);
    assert.equal(d.header.alg, "ed25519-nkey");
    assert.equal(d.claims.sub, J_USER_PUB);
    assert.equal(d.claims.iat, J_IAT);
    assert.equal(d.claims.nats?.type, "user");
    assert.equal(d.claims.nats?.issuer_account, J_ACCOUNT_ID);
    assert.equal(d.signature.length, 64);
    const [h, b, s] = J_JWT_MINIMAL.split(".");
    const sig = fromSeed(J_SIGNING_SEED).sign(te.encode(`${h}.${b}`));
    assert.equal(Buffer.from(sig).toString("base64url"), s);
  });

  it("rejects tampered tokens", () => {
    const [h, b, s] = J_JWT_MINIMAL.split(".");
    const claims = JSON.parse(bodyOf(J_JWT_MINIMAL));
    claims.nats.subs = 10;
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
    assert.ok(!verifyJwt(forged));
    assert.ok(!verifyJwt(`${h}.${b}.${s!.slice(0, -4)}AAAA`));
    assert.ok(!verifyJwt("not.a.jwt"));
  });

  it("encodes user claims exactly like the published vectors (same jti, same body)", () => {
    const signer = fromSeed(J_SIGNING_SEED);
    const cases: [string, Parameters<typeof encodeUserJwt>[2]][] = [
      [J_BODY_MINIMAL, { iat: J_IAT, nats: { issuer_account: J_ACCOUNT_ID } }],
      [J_BODY_AUDIENCE, { iat: J_IAT, aud: "audience", nats: { issuer_account: J_ACCOUNT_ID } }],
      [J_BODY_ALL, { iat: J_IAT, aud: "audience", name: "name", exp: J_IAT + 100, nats: { issuer_account: J_ACCOUNT_ID, tags: ["tag1", "tag\\two"] } }],
    ];
    for (const [body, opts] of cases) {
      const jwt = encodeUserJwt(J_USER_PUB, signer, opts);
      assert.equal(bodyOf(jwt), body);
      assert.ok(verifyJwt(jwt));
      assert.deepEqual(decodeJwt(jwt).header, { typ: "JWT", alg: "ed25519-nkey" });
    }
  });

  it("encodes operator, account and user JWTs with NATS defaults", () => {
    const op = createOperator();
    const acct = createAccount();
    const user = createUser();
    const opJwt = encodeOperatorJwt(op, { name: "O", nats: { system_account: acct.getPublicKey() } });
    const o = decodeJwt(opJwt).claims;
    assert.equal(o.iss, op.getPublicKey());
    assert.equal(o.sub, op.getPublicKey());
    assert.deepEqual(o.nats, { system_account: acct.getPublicKey(), type: "operator", version: 2 });

    const now = Math.floor(Date.now() / 1000);
    const acctJwt = encodeAccountJwt(acct, op, { name: "A", nats: { revocations: { [user.getPublicKey()]: now }, limits: { conn: 5 } } });
    const a = decodeJwt<Record<string, any>>(acctJwt).claims;
    assert.ok(verifyJwt(acctJwt));
    assert.equal(a.iss, op.getPublicKey());
    assert.equal(a.name, "A");
    assert.ok(Math.abs(a.iat! - now) <= 2);
    assert.equal(a.nats!.type, "account");
    assert.equal(a.nats!.version, 2);
    assert.deepEqual(a.nats!.limits, { subs: -1, data: -1, payload: -1, imports: -1, exports: -1, wildcards: true, conn: 5, leaf: -1 });
    assert.deepEqual(a.nats!.revocations, { [user.getPublicKey()]: now });
    assert.equal(typeof a.jti, "string");
    assert.equal(a.jti!.length, 52, "base32 (no padding) of a 32-byte SHA-256");

    const uJwt = encodeUserJwt(user, acct, { exp: now + 60, nats: { pub: { allow: ["a.>"] }, bearer_token: true } });
    const u = decodeJwt<Record<string, any>>(uJwt).claims;
    assert.ok(verifyJwt(uJwt));
    assert.equal(u.name, user.getPublicKey(), "name defaults to the subject");
    assert.equal(u.exp, now + 60);
    assert.equal(u.nats!.issuer_account, undefined, "not needed when the account signs");
    assert.deepEqual(u.nats!.pub, { allow: ["a.>"] });
    assert.equal(u.nats!.bearer_token, true);
    assert.equal(u.nats!.subs, -1);
  });

  it("validates subjects and issuers", () => {
    const op = createOperator();
    const acct = createAccount();
    const user = createUser();
    assert.throws(() => encodeUserJwt(acct.getPublicKey(), acct), InvalidArgumentError);
    assert.throws(() => encodeUserJwt(user, op), /issuer_account/);
    assert.throws(() => encodeUserJwt(user, createAccount(), { nats: { issuer_account: user.getPublicKey() } }), InvalidArgumentError);
    assert.throws(() => encodeAccountJwt(acct, user), /operator or account/);
    assert.throws(() => encodeAccountJwt(user.getPublicKey(), op), InvalidArgumentError);
    assert.throws(() => encodeOperatorJwt(acct), InvalidArgumentError);
  });

  it("reports malformed tokens without quoting them", () => {
    const bad = ["", "abc", "a.b", "a.b.c.d", "!!!.e30.AA", `${J_JWT_MINIMAL.split(".")[0]}.bm90IGpzb24.AA`, "e30.e30.AA"];
    for (const t of bad) {
      assert.throws(() => decodeJwt(t), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.match(err.message, /^invalid JWT/);
        if (t.length > 3) assert.ok(!err.message.includes(t));
        return true;
      });
    }
  });
});

describe("creds files", () => {
  it("parses the nkeys test creds with \\n and \\r\\n, as string and bytes", () => {
    for (const text of [G_CREDS, G_CREDS.replaceAll("\n", "\r\n")]) {
      for (const input of [text, te.encode(text)]) {
        const c = parseCreds(input);
        assert.equal(c.jwt, G_JWT);
        assert.equal(td.decode(c.seed), G_SEED);
      }
    }
    assert.equal(decodeJwt(G_JWT).claims.sub, fromSeed(G_SEED).getPublicKey(), "the JWT's subject is the seed's user");
  });

  it("formats creds exactly as the published nats.java text, and parses them back", () => {
    assert.equal(formatCreds(J_JWT_MINIMAL, J_USER_SEED), J_CREDS_MINIMAL);
    assert.equal(formatCreds(te.encode(J_JWT_MINIMAL), te.encode(J_USER_SEED)), J_CREDS_MINIMAL);
    const c = parseCreds(J_CREDS_MINIMAL);
    assert.equal(c.jwt, J_JWT_MINIMAL);
    assert.equal(td.decode(c.seed), J_USER_SEED);
  });

  it("falls back to a bare seed line, and to a bare JWT", () => {
    const jwtBlock = `-----BEGIN NATS USER JWT-----\n${G_JWT}\n------END NATS USER JWT------\n`;
    const c = parseCreds(`${jwtBlock}\nsome banner\n   ${G_SEED}   \n`);
    assert.equal(c.jwt, G_JWT);
    assert.equal(td.decode(c.seed), G_SEED);
    const bare = parseCreds(`\n  ${G_JWT}  \r\n${G_SEED}\n`);
    assert.equal(bare.jwt, G_JWT);
    assert.equal(td.decode(bare.seed), G_SEED);
  });

  it("rejects creds without a seed, with a non-user seed, or with a bad seed, without echoing secrets", () => {
    assert.throws(() => parseCreds(`-----BEGIN NATS USER JWT-----\n${G_JWT}\n------END NATS USER JWT------\n`), /no nkey seed found/);
    const acctSeed = td.decode(createAccount().getSeed());
    const withAcct = G_CREDS.replace(G_SEED, acctSeed);
    assert.throws(() => parseCreds(withAcct), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, /not a user seed/);
      noSecret(err, [acctSeed]);
      return true;
    });
    const badSeed = G_SEED.slice(0, -3) + (G_SEED.endsWith("AAA") ? "BBB" : "AAA");
    assert.throws(() => parseCreds(G_CREDS.replace(G_SEED, badSeed)), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, /bad checksum/);
      noSecret(err, [badSeed, G_SEED.slice(0, 20)]);
      return true;
    });
    assert.throws(() => parseCreds(G_CREDS.replace(G_JWT, "eyJub3QiOiJqd3QifQ")), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      assert.match(err.message, /invalid JWT/);
      noSecret(err, [G_SEED]);
      return true;
    });
  });

  it("leaves the caller's bytes untouched and returns a fresh seed", () => {
    const bytes = te.encode(G_CREDS);
    const copy = bytes.slice();
    const c = parseCreds(bytes);
    c.seed.fill(0);
    assert.deepEqual(Array.from(bytes), Array.from(copy));
  });
});

describe("authenticator helpers (CONNECT fields)", () => {
  const nonce = "n0nce-XYZ_123";

  it("nkeyAuthenticator sends the public key and the signed nonce, from a seed or a function", async () => {
    const user = createUser();
    const seed = td.decode(user.getSeed());
    for (const auth of [nkeyAuthenticator(seed), nkeyAuthenticator(user.getSeed()), nkeyAuthenticator(() => seed), nkeyAuthenticator(async () => seed)]) {
      const a = await auth(nonce);
      assert.deepEqual(Object.keys(a).sort(), ["nkey", "sig"]);
      assert.equal(a.nkey, user.getPublicKey());
      assert.ok(!a.sig!.includes("=") && !a.sig!.includes("+") && !a.sig!.includes("/"), "base64url without padding");
      assert.ok(verifySig(user.getPublicKey(), nonce, a));
    }
  });

  it("nkeyAuthenticator fails clearly without a nonce, and on a bad static seed at once", async () => {
    const user = createUser();
    await assert.rejects(Promise.resolve(nkeyAuthenticator(user.getSeed())(undefined)), (err: unknown) => {
      assert.ok(err instanceof NatsError);
      assert.equal(err.code, "NKEYS_NOT_SUPPORTED");
      assert.match(err.message, /no nonce/);
      return true;
    });
    const good = td.decode(user.getSeed());
    // change a middle character (the last one may only carry ignored padding bits)
    const bad = good.slice(0, 20) + (good[20] === "A" ? "B" : "A") + good.slice(21);
    assert.throws(() => nkeyAuthenticator(bad), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      noSecret(err, [bad, bad.slice(0, 30)]);
      return true;
    });
  });

  it("jwtAuthenticator sends the JWT, plus the signature when it has a seed", async () => {
    const acct = createAccount();
    const user = createUser();
    const jwt = encodeUserJwt(user, acct);
    assert.deepEqual(await jwtAuthenticator(jwt)(nonce), { jwt });
    const a = await jwtAuthenticator(() => te.encode(jwt), user.getSeed())(nonce);
    assert.equal(a.jwt, jwt);
    assert.ok(verifySig(user.getPublicKey(), nonce, a));
    assert.throws(() => jwtAuthenticator("garbage"), /invalid JWT/);
  });

  it("credsAuthenticator sends the creds' JWT and signs with its seed", async () => {
    const c = parseCreds(J_CREDS_MINIMAL);
    c.seed.fill(0);
    for (const src of [J_CREDS_MINIMAL, te.encode(J_CREDS_MINIMAL), () => J_CREDS_MINIMAL]) {
      const a = await credsAuthenticator(src)(nonce);
      assert.equal(a.jwt, J_JWT_MINIMAL);
      assert.equal(a.nkey, undefined);
      assert.ok(verifySig(J_USER_PUB, nonce, a));
    }
    assert.throws(() => credsAuthenticator(G_CREDS.replace(G_SEED, "SUXYZ")), (err: unknown) => {
      assert.ok(err instanceof InvalidArgumentError);
      noSecret(err, ["SUXYZ"]);
      return true;
    });
  });
});
