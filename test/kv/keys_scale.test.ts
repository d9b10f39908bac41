// keys() over a large bucket against a real nats-server (current): 200,000 keys with 1 KiB values
// (about 200 MiB of values). Listing every key fetches no value (a headers-only consumer, no gets,
// few bytes in per key), streams them (the first key arrives after a pull's worth, not after all of
// them), the memory it holds (JavaScript heap and array buffers, after collections) grows far
// less than the size of the values, and so does the process's RSS, garbage included.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { NatsConnection } from "../../src/index.js";
import { Kvm, type Bucket } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { ApiSpy, uniq } from "./helpers.js";

const KEYS = 200_000;
const VALUE_SIZE = 1024;
const VALUE_BYTES = KEYS * VALUE_SIZE;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/**
 * What the process holds after a full collection (twice: finalizers may free more): the JavaScript
 * heap in use and the array buffers. Not RSS, which also keeps the pages of a young generation V8
 * grew while the keys streamed in (8–14 MiB in CI runs, whatever the client held).
 */
function heldBytes(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const keyOf = (i: number): string => `k.${String(i).padStart(6, "0")}`;

describe(`KV keys() over ${KEYS.toLocaleString("en")} keys`, { timeout: 120_000 }, () => {
  const srv = useServer({ server: { jetstream: { maxFile: "2GB" } } });
  let nc: NatsConnection;
  let kv: Bucket;
  before(async () => {
    nc = await srv.connect();
    const kvm = new Kvm(nc, { maxPending: 2_000, timeout: 30_000 });
    kv = await kvm.create(uniq("SCALE"), { storage: "file" });
    const value = new Uint8Array(VALUE_SIZE).fill(0x61);
    const js = kvm.js;
    const prefix = `$KV.${kv.bucket}.`;
    for (let i = 0; i < KEYS; i++) {
      if (js.publishAsyncPending() >= 2_000) await js.publishAsyncReady();
      js.publishAsync(`${prefix}${keyOf(i)}`, value).catch(() => undefined);
    }
    await js.publishAsyncComplete({ timeout: 60_000 });
    const s = await kv.status();
    assert.equal(s.values, KEYS);
    assert.ok(s.bytes > VALUE_BYTES, String(s.bytes));
  });

  it("lists every key once, headers only, with RSS growth far below the values' size", async (t) => {
    const spy = await ApiSpy.on(nc);
    const seen = new Uint8Array(KEYS);
    let count = 0;
    let dupes = 0;
    let bad = 0;
    const heldBase = heldBytes();
    const base = process.memoryUsage.rss();
    /** the highest RSS seen (garbage included), and the most held after a collection */
    let peak = base;
    let held = heldBase;
    const inBefore = nc.stats();
    let atFirst: { inMsgs: number } | undefined;
    for await (const k of kv.keys()) {
      if (!atFirst) atFirst = { inMsgs: nc.stats().inMsgs - inBefore.inMsgs };
      const i = Number(k.slice(2));
      if (!k.startsWith("k.") || !Number.isInteger(i) || i < 0 || i >= KEYS) bad++;
      else if (seen[i]) dupes++;
      else seen[i] = 1;
      if (++count % 5_000 === 0) peak = Math.max(peak, process.memoryUsage.rss());
      if (count % 25_000 === 0) held = Math.max(held, heldBytes());
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    held = Math.max(held, heldBytes());
    const after = nc.stats();
    await nc.flush();
    spy.stop();
    assert.equal(bad, 0);
    assert.equal(dupes, 0);
    assert.equal(count, KEYS);
    assert.equal(seen.indexOf(0), -1, "every key was listed");
    // no values: one consumer, no direct or leader gets; a few hundred bytes per key on the wire
    assert.equal(spy.count("$JS.API.DIRECT.GET"), 0);
    assert.equal(spy.count("$JS.API.STREAM.MSG.GET"), 0);
    assert.equal(spy.consumerConfigs().length, 1);
    assert.equal(spy.consumerConfigs()[0]!.headers_only, true);
    const bytesIn = after.inBytes - inBefore.inBytes;
    assert.ok(bytesIn < VALUE_BYTES / 10, `${bytesIn} payload bytes came in for ${VALUE_BYTES} bytes of values`);
    // streamed: the first key came after one pull's worth of messages, not after all of them
    assert.ok(atFirst && atFirst.inMsgs < 5_000, `the first key came after ${atFirst?.inMsgs} messages`);
    const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
    t.diagnostic(`RSS growth ${mib(peak - base)}, ${mib(held - heldBase)} more held after collections, ${bytesIn} bytes in, first key after ${atFirst?.inMsgs} messages`);
    assert.ok(held - heldBase < VALUE_BYTES / 16, `${mib(held - heldBase)} more held after collections while listing ${mib(VALUE_BYTES)} of values`);
    // the peak counts uncollected garbage, which depends on when V8 collects (other test files run
    // beside this one): 21-49 MiB seen in full runs. Half the values' size still shows that they
    // were never held; the bound that matters is the one on what is held, above.
    assert.ok(peak - base < VALUE_BYTES / 2, `RSS grew ${mib(peak - base)} (garbage included) while listing ${mib(VALUE_BYTES)} of values`);
  });
});
