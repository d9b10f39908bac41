// The pure parts of the object store, without a server: the TypeScript SHA-256 (the browser's
// incremental hash) against node:crypto, the name and digest encodings against nats.go's
// (base64url with padding), and the liberal digest parser.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import { sha256 } from "../../src/obj/sha256.js";
import { base64Decode, encodeName, formatDigest, parseDigest } from "../../src/obj/encoding.js";
import { goDigest, testBytes } from "./helpers.js";

const nodeSha = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();

describe("SHA-256 in TypeScript", () => {
  it("matches node:crypto for every length around the block and padding boundaries", () => {
    for (let n = 0; n <= 300; n++) {
      const data = testBytes(n, n * 31 + 7);
      const h = sha256();
      h.update(data);
      assert.deepEqual(Buffer.from(h.digest()), nodeSha(data), `length ${n}`);
    }
  });

  it("matches node:crypto when fed in pieces of every size, empty pieces included", () => {
    const data = testBytes(10_000, 99);
    for (const step of [1, 3, 63, 64, 65, 127, 1000, 4096]) {
      const h = sha256();
      for (let off = 0; off < data.length; off += step) {
        h.update(data.subarray(off, off + step));
        h.update(new Uint8Array(0));
      }
      assert.deepEqual(Buffer.from(h.digest()), nodeSha(data), `pieces of ${step}`);
    }
  });

  it("matches node:crypto on 5 MiB in uneven pieces, and on the FIPS 180 test vectors", () => {
    const data = testBytes(5 * 1024 * 1024 + 13, 5);
    const h = sha256();
    for (let off = 0, n = 1; off < data.length; off += n, n = (n * 13 + 7) % 70_000) h.update(data.subarray(off, off + n));
    assert.deepEqual(Buffer.from(h.digest()), nodeSha(data));
    const vec = (s: string): string => {
      const x = sha256();
      x.update(new TextEncoder().encode(s));
      return Buffer.from(x.digest()).toString("hex");
    };
    assert.equal(vec("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert.equal(vec(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal(vec("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  });

  it("refuses to be used after digest()", () => {
    const h = sha256();
    h.digest();
    assert.throws(() => h.update(new Uint8Array(1)));
    assert.throws(() => h.digest());
  });
});

describe("name and digest encodings (as nats.go's base64.URLEncoding)", () => {
  it("encodes names as base64url with padding of their UTF-8 bytes", () => {
    assert.equal(encodeName("a"), "YQ==");
    assert.equal(encodeName("ab"), "YWI=");
    assert.equal(encodeName("abc"), "YWJj");
    for (const name of ["a", "dir/file.txt", "日本語/ファイル", "emoji 🚀.bin", "??>>~~", "a b\tc", ". .", "ÿ"]) {
      const want = Buffer.from(name, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
      assert.equal(encodeName(name), want, name);
      assert.match(encodeName(name), /^[A-Za-z0-9_-]+={0,2}$/);
    }
  });

  it("writes the digest as SHA-256= + base64url with padding", () => {
    for (const n of [0, 1, 1000]) {
      const data = testBytes(n);
      assert.equal(formatDigest(nodeSha(data)), goDigest(data));
    }
    assert.equal(formatDigest(nodeSha(new Uint8Array(0))), "SHA-256=47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU=");
  });

  it("reads digests in every form clients have written: base64url or standard, padded or not, hex", () => {
    const sha = nodeSha(testBytes(77));
    const url = sha.toString("base64url");
    const std = sha.toString("base64");
    for (const v of [url, `${url}=`, std, std.replace(/=+$/, ""), sha.toString("hex"), sha.toString("hex").toUpperCase()]) {
      assert.deepEqual(Buffer.from(parseDigest(`SHA-256=${v}`)!), sha, v);
    }
    assert.deepEqual(Buffer.from(parseDigest(`sha-256=${url}`)!), sha);
    for (const bad of [undefined, "", "SHA-256=", "SHA-512=" + url, "MD5=abc", `SHA-256=${url.slice(2)}`, "SHA-256=!!!!", `SHA-256=${url}===`]) {
      assert.equal(parseDigest(bad), null, String(bad));
    }
    assert.deepEqual(Buffer.from(base64Decode("YQ")!), Buffer.from("a"));
    assert.equal(base64Decode("Y"), null);
  });
});
