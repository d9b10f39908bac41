// Bad input to the Key-Value API is refused with InvalidArgumentError (code INVALID_ARGUMENT) before
// anything is sent: keys with spaces, leading/trailing/double dots, wildcards in a write, protocol
// text; bucket names with dots or wildcards; unknown or out-of-range options. A second connection
// subscribed to every subject checks that nothing at all reached the server.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { InvalidArgumentError, type NatsConnection } from "../../src/index.js";
import { Kvm, type Bucket, type KvOptions, type KvWatchOptions } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { ApiSpy, refusedLocally, uniq } from "./helpers.js";

const BAD_KEYS: unknown[] = [
  "",
  "has space",
  " lead",
  "trail ",
  "tab\there",
  "cr\rlf\n",
  "a\r\nPUB evil 1\r\nx",
  ".lead",
  "trail.",
  "double..dot",
  ".",
  "*",
  "a.*",
  ">",
  "a.>",
  "a*b",
  "ключ",
  "_kv.reserved",
  "semi;colon",
  "co:lon",
  42,
  null,
  undefined,
];

const BAD_FILTERS: unknown[] = ["", "has space", ".a", "a.", "a..b", "a*", "a.>.b", ">a", "a\n", "ключ.*", 7];

const BAD_BUCKETS: unknown[] = ["", "a.b", "with space", "a*", "a>", "a/b", "tab\t", "ведро", "new\nline", 3, null];

const BAD_OPTIONS: [string, KvOptions][] = [
  ["unknown option", { histroy: 2 } as unknown as KvOptions],
  ["history 0", { history: 0 }],
  ["history 65", { history: 65 }],
  ["history 1.5", { history: 1.5 }],
  ["negative ttl", { ttl: -1 }],
  ["ttl NaN", { ttl: Number.NaN }],
  ["markerTTL under a second", { markerTTL: 500 }],
  ["mirror and sources", { mirror: { name: "A" }, sources: [{ name: "B" }] }],
];

describe("KV bad input", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let kvm: Kvm;
  let kv: Bucket;
  let spy: ApiSpy;
  before(async () => {
    nc = await srv.connect();
    kvm = new Kvm(nc);
    kv = await kvm.create(uniq("IN"), { storage: "memory", history: 5 });
    await kv.put("good", "v");
    spy = await ApiSpy.on(await srv.connect(), ">");
  });

  /** Nothing reached the server from `nc` (checked on another connection subscribed to everything). */
  async function nothingSent(): Promise<void> {
    await nc.flush();
    await spy.flush();
    assert.deepEqual(spy.requests.map((r) => r.subject), [], "nothing was sent");
  }

  it("every write, read and watch refuses a bad key", async () => {
    const rev = 1;
    for (const key of BAD_KEYS) {
      const k = key as string;
      const what = `key ${JSON.stringify(key)}`;
      await refusedLocally(nc, () => kv.put(k, "v"), `put ${what}`);
      await refusedLocally(nc, () => kv.create(k, "v"), `create ${what}`);
      await refusedLocally(nc, () => kv.update(k, "v", rev), `update ${what}`);
      await refusedLocally(nc, () => kv.delete(k), `delete ${what}`);
      await refusedLocally(nc, () => kv.purge(k), `purge ${what}`);
      await refusedLocally(nc, () => kv.get(k), `get ${what}`);
      await refusedLocally(nc, () => kv.get(k, { revision: 1 }), `get revision ${what}`);
    }
    await nothingSent();
  });

  it("the message of a refusal names the bad key", async () => {
    const err = await refusedLocally(nc, () => kv.put("has space", "v"), "put");
    assert.ok(err instanceof InvalidArgumentError);
    assert.match(err.message, /invalid key "has space"/);
    assert.match((await refusedLocally(nc, () => kv.put("a.*", "v"), "put wildcard")).message, /"a\.\*"/);
  });

  it("watch, keys and history refuse a bad filter (wildcards as whole tokens are fine)", async () => {
    for (const f of BAD_FILTERS) {
      const what = `filter ${JSON.stringify(f)}`;
      await refusedLocally(nc, () => kv.watch({ key: f as string }), `watch ${what}`);
      await refusedLocally(nc, () => kv.watch({ key: ["good", f as string] }), `watch [good, ${what}]`);
      await refusedLocally(nc, () => kv.keys(f as string), `keys ${what}`);
      await refusedLocally(nc, () => kv.history({ key: f as string }), `history ${what}`);
    }
    await refusedLocally(nc, () => kv.watch({ key: [] }), "watch with an empty key list");
    await nothingSent();
  });

  it("bad watch options are refused", async () => {
    const bad: [string, KvWatchOptions][] = [
      ["unknown option", { keys: "a" } as unknown as KvWatchOptions],
      ["include", { include: "everything" as "allHistory" }],
      ["resumeFromRevision 0", { resumeFromRevision: 0 }],
      ["resumeFromRevision -1", { resumeFromRevision: -1 }],
      ["resumeFromRevision 1.5", { resumeFromRevision: 1.5 }],
      ["callback not a function", { callback: "no" as unknown as () => void }],
    ];
    for (const [what, o] of bad) await refusedLocally(nc, () => kv.watch(o), what);
    await nothingSent();
  });

  it("bad revisions and values are refused", async () => {
    await refusedLocally(nc, () => kv.update("good", "v", -1), "update revision -1");
    await refusedLocally(nc, () => kv.update("good", "v", 1.5), "update revision 1.5");
    await refusedLocally(nc, () => kv.update("good", "v", "1" as unknown as number), "update revision string");
    await refusedLocally(nc, () => kv.put("good", "v", { previousSeq: -2 }), "put previousSeq -2");
    await refusedLocally(nc, () => kv.delete("good", { previousSeq: Number.NaN }), "delete previousSeq NaN");
    await refusedLocally(nc, () => kv.purge("good", { previousSeq: 0.5 }), "purge previousSeq 0.5");
    await refusedLocally(nc, () => kv.get("good", { revision: -1 }), "get revision -1");
    await refusedLocally(nc, () => kv.put("good", 42 as unknown as string), "a number value without a codec");
    await refusedLocally(nc, () => kv.put("good", { a: 1 } as unknown as string), "an object value without a codec");
    await refusedLocally(nc, () => kv.create("good", "v", { ttl: 10 }), "a per-key ttl under a second");
    await refusedLocally(nc, () => kv.purge("good", { ttl: -5 }), "a negative purge ttl");
    await nothingSent();
  });

  it("the manager refuses bad bucket names and options", async () => {
    for (const b of BAD_BUCKETS) {
      const name = b as string;
      const what = `bucket ${JSON.stringify(b)}`;
      await refusedLocally(nc, () => kvm.create(name), `create ${what}`);
      await refusedLocally(nc, () => kvm.createOrUpdate(name), `createOrUpdate ${what}`);
      await refusedLocally(nc, () => kvm.update(name, { history: 2 }), `update ${what}`);
      await refusedLocally(nc, () => kvm.open(name), `open ${what}`);
      await refusedLocally(nc, () => kvm.delete(name), `delete ${what}`);
    }
    assert.match((await refusedLocally(nc, () => kvm.create("a.b"), "dotted")).message, /bucket name "a\.b"/);
    for (const [what, o] of BAD_OPTIONS) {
      await refusedLocally(nc, () => kvm.create(uniq("OPT"), o), `create: ${what}`);
      await refusedLocally(nc, () => kvm.update(kv.bucket, o), `update: ${what}`);
    }
    await refusedLocally(nc, () => kvm.create(uniq("OPT"), null as unknown as KvOptions), "null options");
    await nothingSent();
  });
});
