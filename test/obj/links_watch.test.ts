// Links and watch against a real nats-server (current): links to objects (same bucket and another
// bucket) read through to the target, links to buckets, the refusals ADR-20 lists; watch with its
// options (initial values then updates, history, ignoreDeletes, updatesOnly), `initialized`, stop.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { type NatsConnection } from "../../src/index.js";
import { Objm, type ObjectStore, type ObjectWatchInfo, type ObjectWatcher } from "../../src/obj/node.js";
import { useServer } from "../support/fixtures.js";
import { failsWith, refusedLocally } from "../jetstream/helpers.js";
import { uniqBucket } from "./helpers.js";

/** Takes `n` infos from a watcher (the iteration goes on afterwards). */
async function take(it: AsyncIterator<ObjectWatchInfo>, n: number): Promise<ObjectWatchInfo[]> {
  const out: ObjectWatchInfo[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

const view = (i: ObjectWatchInfo): [string, boolean, boolean] => [i.name, i.deleted, i.isUpdate];

describe("links", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let objm: Objm;
  let os: ObjectStore;
  before(async () => {
    nc = await srv.connect();
    objm = new Objm(nc);
    os = await objm.create(uniqBucket());
  });

  it("a link to an object in the same bucket reads the target", async () => {
    const target = await os.putString("docs/target.txt", "target content");
    const link = await os.link("docs/link", target);
    assert.equal(link.isLink(), true);
    assert.deepEqual(link.options?.link, { bucket: os.bucket, name: "docs/target.txt" });
    assert.deepEqual([link.size, link.chunks, link.digest, link.bucket], [0, 0, "", os.bucket]);
    const info = (await os.info("docs/link"))!;
    assert.equal(info.isLink(), true);
    assert.equal(target.isLink(), false);
    const r = (await os.get("docs/link"))!;
    assert.equal(r.info.name, "docs/target.txt");
    assert.equal(await os.getString("docs/link"), "target content");
    // the target's update shows through the link
    await os.putString("docs/target.txt", "new content");
    assert.equal(await os.getString("docs/link"), "new content");
    // a link to a deleted target reads as missing
    await os.delete("docs/target.txt");
    assert.equal(await os.get("docs/link"), null);
  });

  it("a link to an object in another bucket, and a link to a whole bucket", async () => {
    const other = await objm.create(uniqBucket("other"));
    const t = await other.putString("far/away", "from the other bucket");
    await os.link("near", t);
    assert.equal(await os.getString("near"), "from the other bucket");
    const bl = await os.linkStore("bucket-link", other);
    assert.deepEqual(bl.options?.link, { bucket: other.bucket });
    assert.equal(bl.isLink(), true);
    await failsWith(() => os.get("bucket-link"), "INVALID_ARGUMENT", "get of a bucket link");
  });

  it("refusals: links to deleted objects and to links; a link over a live object", async () => {
    const t = await os.putString("r/t", "t");
    const l = await os.link("r/l", t);
    await refusedLocally(nc, () => os.link("r/l2", l), "link to a link");
    await os.delete("r/t");
    const deleted = (await os.info("r/t", { showDeleted: true }))!;
    await refusedLocally(nc, () => os.link("r/l3", deleted), "link to a deleted object");
    const live = await os.putString("r/live", "live");
    const t2 = await os.putString("r/t2", "t2");
    await failsWith(() => os.link("r/live", t2), "OBJECT_EXISTS");
    assert.equal(await os.getString("r/live"), "live");
    // a link may replace a link, or a deleted object
    await os.link("r/l", t2);
    assert.equal(await os.getString("r/l"), "t2");
    await os.delete("r/live");
    await os.link("r/live", t2);
    assert.equal(await os.getString("r/live"), "t2");
    assert.ok(live.revision > 0);
    await refusedLocally(nc, () => os.link("", t2), "empty link name");
    await refusedLocally(nc, () => os.link("x", { name: "t" } as never), "not an info");
    await refusedLocally(nc, () => os.linkStore("x", {} as never), "not a store");
    // renaming and deleting a link works like for any object
    await os.update("r/l", { name: "r/l-renamed" });
    assert.equal(await os.getString("r/l-renamed"), "t2");
    assert.equal(await os.delete("r/l-renamed"), true);
    assert.equal(await os.getString("r/t2"), "t2");
  });
});

describe("watch", () => {
  const srv = useServer({ server: { jetstream: true } });
  let objm: Objm;
  before(async () => {
    objm = new Objm(await srv.connect());
  });

  it("default: the last info of each object (initialized after them), then every change", async () => {
    const os = await objm.create(uniqBucket());
    await os.putString("a", "1");
    await os.putString("a", "2");
    await os.putString("b", "1");
    const w = await os.watch();
    const it = w[Symbol.asyncIterator]();
    let initialized = false;
    void w.initialized.then(() => (initialized = true));
    const first = await take(it, 2);
    assert.deepEqual(first.map(view), [["a", false, false], ["b", false, false]]);
    await w.initialized;
    assert.equal(initialized, true);
    assert.ok(first.every((i) => i.revision > 0 && !Number.isNaN(Date.parse(i.mtime))));
    await os.putString("c", "1");
    await os.delete("a");
    const next = await take(it, 2);
    assert.deepEqual(next.map(view), [["c", false, true], ["a", true, true]]);
    await w.stop();
    assert.equal((await it.next()).done, true);
  });

  it("an empty bucket is initialized at once; updatesOnly gives only changes", async () => {
    const os = await objm.create(uniqBucket());
    const w = await os.watch();
    await w.initialized;
    await os.putString("x", "1");
    const it = w[Symbol.asyncIterator]();
    assert.deepEqual((await take(it, 1)).map(view), [["x", false, true]]);
    await w.stop();

    const u = await os.watch({ updatesOnly: true });
    await u.initialized;
    await os.putString("y", "1");
    assert.deepEqual((await take(u[Symbol.asyncIterator](), 1)).map(view), [["y", false, true]]);
    await u.stop();
  });

  it("includeHistory gives every stored info; ignoreDeletes leaves out deleted objects", async () => {
    const os = await objm.create(uniqBucket());
    await os.putString("h", "1");
    await os.update("h", { description: "changed" });
    await os.putString("d", "1");
    await os.delete("d");
    // a put rolls up the object's earlier meta messages: what stays is the last of each name's
    const hist = await os.watch({ includeHistory: true });
    const all = await take(hist[Symbol.asyncIterator](), 2);
    await hist.initialized;
    assert.deepEqual(all.map(view), [["h", false, false], ["d", true, false]]);
    assert.equal(all[0]!.description, "changed");
    await hist.stop();

    const nd = await os.watch({ ignoreDeletes: true });
    const it = nd[Symbol.asyncIterator]();
    const first = await take(it, 1);
    await nd.initialized;
    assert.deepEqual(first.map(view), [["h", false, false]]);
    await os.putString("e", "1");
    await os.delete("e");
    await os.putString("f", "1");
    assert.deepEqual((await take(it, 2)).map(view), [["e", false, true], ["f", false, true]]);
    await nd.stop();
  });

  it("initialized resolves before any iteration when every initial info is skipped (only deleted objects, ignoreDeletes)", async () => {
    const os = await objm.create(uniqBucket());
    await os.putString("gone1", "1");
    await os.putString("gone2", "2");
    await os.delete("gone1");
    await os.delete("gone2");
    const w = await os.watch({ ignoreDeletes: true });
    await w.initialized;
    await os.putString("new", "n");
    assert.deepEqual((await take(w[Symbol.asyncIterator](), 1)).map(view), [["new", false, true]]);
    await w.stop();
    assert.deepEqual((await os.list()).map((i) => i.name), ["new"]);
  });

  it("a watcher ends when the connection closes, and initialized settles", async () => {
    const nc = await srv.connect();
    const os = await new Objm(nc).create(uniqBucket());
    await os.putString("a", "1");
    const w: ObjectWatcher = await os.watch({ updatesOnly: true });
    const ended = (async () => {
      for await (const _ of w) {
        // nothing
      }
    })();
    await nc.close();
    await ended;
    await w.initialized;
  });
});
