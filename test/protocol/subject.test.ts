// Unit tests of subject, reply-subject and queue-name validation and subject matching.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { checkPublishSubject, checkQueueName, checkReplySubject, checkSubscribeSubject, noteReceivedReply, subjectMatches } from "../../src/protocol/subject.js";
import { BadSubjectError, InvalidArgumentError, NatsError } from "../../src/index.js";

function isBadSubject(e: unknown): boolean {
  return e instanceof BadSubjectError && e instanceof InvalidArgumentError && e instanceof NatsError && e.code === "BAD_SUBJECT" && e.name === "BadSubjectError";
}

// Structurally invalid for every kind of subject.
const STRUCTURAL_BAD = [
  "", " ", "foo bar", " foo", "foo ", "foo\tbar", "\t", "foo\r\nbar", "foo\r", "foo\n", "\r\n", "foo\r\nPUB evil 1\r\nx",
  ".foo", "foo.", "foo..bar", ".", "..", "a.b.", "a\u0000b", "a\u0001", "a\u001fb", "a\u007fb",
];
const NOT_STRINGS: unknown[] = [undefined, null, 1, {}, ["a"], Symbol("s")];

describe("publish subjects", () => {
  // Runs first on purpose: the validator caches the last good subject, and the cache starts as "".
  it("the empty subject is rejected even before any other subject was checked", () => {
    assert.throws(() => checkPublishSubject(""), isBadSubject, "publish subject ''");
    assert.throws(() => checkReplySubject(""), isBadSubject, "reply subject ''");
  });

  it("accepts literal subjects", () => {
    for (const s of ["foo", "foo.bar", "a.b.c.d.e.f", "_INBOX.abc.1", "$JS.API.INFO", "caf\u00e9.\u4e16\u754c", "a-b_c", "a:b", "A.B", "x".repeat(1000)]) {
      assert.doesNotThrow(() => checkPublishSubject(s), s);
    }
  });

  it("rejects structurally invalid subjects", () => {
    for (const s of STRUCTURAL_BAD) {
      // check a good subject in between so nothing is answered from a cache
      checkPublishSubject("ok.subject");
      assert.throws(() => checkPublishSubject(s), isBadSubject, JSON.stringify(s));
    }
  });

  it("rejects non-strings", () => {
    for (const s of NOT_STRINGS) assert.throws(() => checkPublishSubject(s), isBadSubject, String(s));
  });

  it("the reply of a received message is taken as read; everything else is still checked", () => {
    noteReceivedReply("$JS.ACK.S.C.1.2.3.4.5");
    checkPublishSubject("$JS.ACK.S.C.1.2.3.4.5");
    for (const s of NOT_STRINGS) assert.throws(() => checkPublishSubject(s), isBadSubject, String(s));
    for (const s of STRUCTURAL_BAD) assert.throws(() => checkPublishSubject(s), isBadSubject, JSON.stringify(s));
  });

  it("a subject is checked each time, not only the first", () => {
    checkPublishSubject("same");
    checkPublishSubject("same");
    assert.throws(() => checkPublishSubject("same "), isBadSubject);
    checkPublishSubject("same");
    assert.throws(() => checkPublishSubject("same."), isBadSubject);
  });

  it("the error message names the subject", () => {
    assert.throws(() => checkPublishSubject("bad subject"), (e: unknown) => isBadSubject(e) && (e as Error).message.includes("bad subject"));
  });
});

describe("reply subjects", () => {
  it("accepts inbox-like subjects", () => {
    for (const s of ["_INBOX.abc", "_INBOX.abc.def.1", "r", "$JS.ACK.s.c.1.2.3.4.5"]) assert.doesNotThrow(() => checkReplySubject(s), s);
  });

  it("rejects structurally invalid ones", () => {
    for (const s of STRUCTURAL_BAD) {
      checkReplySubject("ok.reply");
      assert.throws(() => checkReplySubject(s), isBadSubject, JSON.stringify(s));
    }
    for (const s of NOT_STRINGS) assert.throws(() => checkReplySubject(s), isBadSubject, String(s));
  });
});

describe("subscribe subjects", () => {
  it("accepts literals and whole-token wildcards", () => {
    for (const s of ["foo", "foo.bar", "*", ">", "foo.*", "foo.>", "*.bar", "*.*", "*.*.>", "a.*.c", "foo.*.>", "_INBOX.abc.*", "caf\u00e9.*"]) {
      assert.doesNotThrow(() => checkSubscribeSubject(s), s);
    }
  });

  it("rejects wildcards inside tokens and '>' before the last token", () => {
    for (const s of ["foo*", "*foo", "foo.b*", "foo.*b", "foo.**", "f*o", "foo>", ">foo", "a.>b", "a.b>", "foo.>>", "foo.>.bar", ">.foo", "*.>.*", ">.>"]) {
      assert.throws(() => checkSubscribeSubject(s), isBadSubject, JSON.stringify(s));
    }
  });

  it("rejects structurally invalid subjects and non-strings", () => {
    for (const s of [...STRUCTURAL_BAD, "foo.*.", ".*", "*..>", "foo >", "foo\t>", "*\r\n"]) {
      assert.throws(() => checkSubscribeSubject(s), isBadSubject, JSON.stringify(s));
    }
    for (const s of NOT_STRINGS) assert.throws(() => checkSubscribeSubject(s), isBadSubject, String(s));
  });
});

describe("queue names", () => {
  it("accepts names without whitespace", () => {
    for (const q of ["workers", "q1", "a.b", "q-_~", "caf\u00e9"]) assert.doesNotThrow(() => checkQueueName(q), q);
  });

  it("rejects empty names, whitespace, control characters and non-strings", () => {
    for (const q of ["", " ", "a b", "a\tb", "a\r\nb", "a\r", "a\n", "q\r\nPUB evil 1\r\nx", "a\u0000", "a\u007f"]) {
      assert.throws(() => checkQueueName(q), isBadSubject, JSON.stringify(q));
    }
    for (const q of NOT_STRINGS) assert.throws(() => checkQueueName(q), isBadSubject, String(q));
  });
});

describe("subjectMatches", () => {
  const cases: [string, string, boolean][] = [
    ["foo", "foo", true],
    ["foo", "bar", false],
    ["foo", "foo.bar", false],
    ["foo.bar", "foo", false],
    ["foo.*", "foo.bar", true],
    ["foo.*", "foo", false],
    ["foo.*", "foo.bar.baz", false],
    ["*", "foo", true],
    ["*", "foo.bar", false],
    ["*.bar", "foo.bar", true],
    ["*.bar", "foo.baz", false],
    ["a.*.c", "a.b.c", true],
    ["a.*.c", "a.b.d", false],
    [">", "foo", true],
    [">", "foo.bar.baz", true],
    ["foo.>", "foo.bar", true],
    ["foo.>", "foo.bar.baz", true],
    ["foo.>", "foo", false],
    ["foo.>", "bar.baz", false],
    ["*.>", "a.b", true],
    ["*.>", "a", false],
    ["foo.*.>", "foo.a.b.c", true],
    ["foo.*.>", "foo.a", false],
    ["_INBOX.abc.*", "_INBOX.abc.7", true],
    ["_INBOX.abc.*", "_INBOX.abd.7", false],
    ["Foo", "foo", false],
  ];
  for (const [pattern, subject, want] of cases) {
    it(`${pattern} ${want ? "matches" : "does not match"} ${subject}`, () => assert.equal(subjectMatches(pattern, subject), want));
  }
});
