// jsm.streams against a real nats-server (current): CRUD, merge-on-update, ms durations, every
// 2.10+ field, purge, list/names/find, getMessage (direct and STREAM.MSG.GET), deleteMessage,
// info paging, error classes, local refusal of bad input, JetStream domains, and no JetStream.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect, headers, type Msg, type NatsConnection } from "../../src/index.js";
import { jetstreamManager, ConfigNotAppliedError, JetStreamApiError, StreamNameInUseError, StreamNotFoundError } from "../../src/jetstream/index.js";
import type { JetStreamManager, PurgeResponse, StoredMsg, StreamConfig } from "../../src/jetstream/index.js";
import { useServer } from "../support/fixtures.js";
import { NatsLeafPair } from "../support/server.js";
import { poll } from "../support/ports.js";
import { apiFails, collect, failsWith, pullOne, refusedLocally, streamNames, uniq, untilMessages, userMeta } from "./helpers.js";

describe("jsm.streams", () => {
  const srv = useServer({ server: { jetstream: true } });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  before(async () => {
    nc = await srv.connect();
    jsm = await jetstreamManager(nc);
  });

  /** The raw (nanosecond) config the server holds for `name`. */
  async function wireConfig(name: string): Promise<Record<string, unknown>> {
    const m = await nc.request(`$JS.API.STREAM.INFO.${name}`, "", { timeout: 5_000 });
    return m.json<{ config: Record<string, unknown> }>().config;
  }

  it("add, info, identical re-add, add with another config (STREAM_NAME_IN_USE), delete", async () => {
    const name = uniq("CRUD");
    const si = await jsm.streams.add({ name, subjects: [`${name}.>`], description: "first", storage: "memory" });
    const { subjects, description, storage } = si.config;
    assert.deepEqual([si.config.name, subjects, description, storage, si.state.messages], [name, [`${name}.>`], "first", "memory", 0]);
    assert.equal(typeof si.created, "string");
    const again = await jsm.streams.add({ name, subjects: [`${name}.>`], description: "first", storage: "memory" });
    assert.equal(again.config.name, name);
    const inUse = await apiFails(() => jsm.streams.add({ name, subjects: [`${name}.other`] }), 10058, 400, "STREAM_NAME_IN_USE");
    assert.ok(inUse instanceof StreamNameInUseError && inUse instanceof JetStreamApiError);
    assert.match(inUse.description, /already in use/);
    const info = await jsm.streams.info(name);
    assert.deepEqual(info.config.subjects, [`${name}.>`], "the refused add changed nothing");
    assert.equal(await jsm.streams.delete(name), true);
    assert.ok(!(await streamNames(jsm)).includes(name));
  });

  it("info / delete / update / purge of a missing stream reject with STREAM_NOT_FOUND (10059, 404)", async () => {
    const s = jsm.streams;
    for (const call of [() => s.info("NOPE"), () => s.delete("NOPE"), () => s.update("NOPE", { description: "x" }), () => s.purge("NOPE")]) {
      const e = await apiFails(call, 10059, 404, "STREAM_NOT_FOUND");
      assert.ok(e instanceof StreamNotFoundError);
      assert.equal(e.description, "stream not found");
    }
  });

  it("update merges into the current config", async () => {
    const name = uniq("UPD");
    await jsm.streams.add({ name, subjects: [`${name}.a`, `${name}.b`], max_age: 60_000, max_msgs: 50, description: "v1", storage: "memory" });
    const u = await jsm.streams.update(name, { description: "v2" });
    assert.equal(u.config.description, "v2");
    assert.deepEqual(u.config.subjects, [`${name}.a`, `${name}.b`]);
    assert.deepEqual([u.config.max_age, u.config.max_msgs], [60_000, 50]);
    const u2 = await jsm.streams.update(name, { subjects: [`${name}.c`], max_msgs: 10 });
    assert.deepEqual(u2.config.subjects, [`${name}.c`]);
    assert.deepEqual([u2.config.description, u2.config.max_age], ["v2", 60_000]);
    assert.deepEqual((await jsm.streams.info(name)).config, u2.config);
    await refusedLocally(nc, () => jsm.streams.update(name, { name: "OTHER" }), "update with another name");
    // a change the server refuses (storage type) is a JetStreamApiError and changes nothing
    await failsWith(() => jsm.streams.update(name, { storage: "file" }), "JETSTREAM_API");
    assert.equal((await jsm.streams.info(name)).config.storage, "memory");
  });

  it("durations are milliseconds in and out (nanoseconds on the wire)", async () => {
    const name = uniq("DUR");
    const cfg: StreamConfig = {
      name,
      subjects: [`${name}.>`],
      storage: "memory",
      max_age: 90_000,
      duplicate_window: 1_500,
      consumer_limits: { inactive_threshold: 2_500, max_ack_pending: 7 },
      allow_msg_ttl: true,
      subject_delete_marker_ttl: 3_000,
    };
    const check = (c: StreamConfig, what: string): void => {
      assert.equal(c.max_age, 90_000, what);
      assert.equal(c.duplicate_window, 1_500, what);
      assert.deepEqual(c.consumer_limits, { inactive_threshold: 2_500, max_ack_pending: 7 }, what);
      assert.equal(c.subject_delete_marker_ttl, 3_000, what);
    };
    check((await jsm.streams.add(cfg)).config, "add");
    check((await jsm.streams.info(name)).config, "info");
    check((await jsm.streams.update(name, { description: "d" })).config, "update");
    const listed = (await collect(jsm.streams.list(`${name}.x`))).find((s) => s.config.name === name);
    assert.ok(listed);
    check(listed.config, "list");
    const wire = await wireConfig(name);
    assert.deepEqual([wire.max_age, wire.duplicate_window, wire.subject_delete_marker_ttl], [90_000_000_000, 1_500_000_000, 3_000_000_000]);
    assert.deepEqual(wire.consumer_limits, { inactive_threshold: 2_500_000_000, max_ack_pending: 7 });
    // beyond 2^53 ns (about 104 days) and not a whole second: still exact
    assert.equal((await jsm.streams.update(name, { max_age: 34_560_000_001 })).config.max_age, 34_560_000_001);
    assert.equal((await jsm.streams.info(name)).config.max_age, 34_560_000_001);
  });

  it("every 2.10+ field round-trips", async () => {
    const origin = uniq("ORIG");
    await jsm.streams.add({ name: origin, subjects: [`${origin}.>`], storage: "memory" });
    const name = uniq("NEW");
    const cfg: StreamConfig = {
      name, subjects: [`${name}.in.>`], metadata: { owner: "tests", "x-y": "z" }, compression: "s2", first_seq: 100, allow_direct: true,
      subject_transform: { src: `${name}.in.>`, dest: `${name}.stored.>` },
      sources: [{ name: origin, subject_transforms: [{ src: `${origin}.>`, dest: `${name}.sourced.>` }] }],
      consumer_limits: { inactive_threshold: 10_000, max_ack_pending: 100 }, allow_msg_ttl: true, subject_delete_marker_ttl: 60_000,
    };
    const si = await jsm.streams.add(cfg);
    const c = si.config;
    assert.deepEqual(userMeta(c.metadata), cfg.metadata);
    assert.ok(Object.keys(c.metadata!).some((k) => k.startsWith("_nats.")), "2.11+ adds _nats.* metadata");
    assert.deepEqual([c.compression, c.first_seq], ["s2", 100]);
    assert.deepEqual(c.subject_transform, cfg.subject_transform);
    assert.deepEqual(c.sources?.map((x) => [x.name, x.subject_transforms]), [[origin, cfg.sources![0].subject_transforms]]);
    assert.deepEqual(c.consumer_limits, cfg.consumer_limits);
    assert.deepEqual([c.allow_msg_ttl, c.subject_delete_marker_ttl], [true, 60_000]);
    // the fields work: first_seq, the stream's subject transform and the source's transform
    nc.publish(`${name}.in.one`, "1");
    nc.publish(`${origin}.two`, "2");
    await untilMessages(jsm, name, 2);
    const first = await jsm.streams.getMessage(name, { seq: 100 });
    assert.equal(first?.subject, `${name}.stored.one`);
    const sourced = await jsm.streams.getMessage(name, { last_by_subj: `${name}.sourced.two` });
    assert.equal(sourced?.string(), "2");
    assert.equal(sourced?.seq, 101);
  });

  it("subject_delete_marker_ttl without allow_msg_ttl: the server turns allow_msg_ttl on", async () => {
    const name = uniq("SDM");
    const si = await jsm.streams.add({ name, subjects: [`${name}.>`], storage: "memory", subject_delete_marker_ttl: 5_000 });
    assert.deepEqual([si.config.subject_delete_marker_ttl, si.config.allow_msg_ttl], [5_000, true]);
  });

  it("2.12+ / 2.14+ flags round-trip in the combinations nats-server 2.15.2 accepts", async () => {
    const ok: Partial<StreamConfig>[] = [
      { allow_msg_counter: true, allow_atomic: true },
      { allow_msg_counter: true, persist_mode: "async" },
      { allow_msg_schedules: true, allow_msg_ttl: true },
      { allow_atomic: true, allow_batched: true },
      { persist_mode: "async", allow_msg_ttl: true },
    ];
    for (const flags of ok) {
      const name = uniq("FLAGS");
      // async persist mode needs file storage
      const si = await jsm.streams.add({ name, subjects: [`${name}.>`], storage: "file", ...flags });
      for (const [k, v] of Object.entries(flags)) assert.equal(si.config[k as keyof StreamConfig], v, `${JSON.stringify(flags)}: ${k}`);
      const info = await jsm.streams.info(name);
      for (const [k, v] of Object.entries(flags)) assert.equal(info.config[k as keyof StreamConfig], v, `info ${k}`);
      await jsm.streams.delete(name);
    }
    // mutually exclusive on 2.15.2: refused by the server (10052) and nothing is left behind
    const refused: [Partial<StreamConfig>, RegExp][] = [
      [{ allow_msg_counter: true, allow_msg_ttl: true }, /counter.*TTL/i],
      [{ allow_msg_counter: true, allow_msg_schedules: true }, /counter.*schedule/i],
      [{ allow_msg_counter: true, discard: "new" }, /counter.*discard/i],
      [{ allow_atomic: true, persist_mode: "async" }, /async.*atomic/i],
      [{ persist_mode: "async", storage: "memory" }, /async.*file storage/i],
    ];
    for (const [flags, re] of refused) {
      const name = uniq("BADFLAGS");
      const e = await apiFails(() => jsm.streams.add({ name, subjects: [`${name}.>`], storage: "file", ...flags }), 10052);
      assert.match(e.description, re);
      assert.ok(!(await streamNames(jsm)).includes(name));
    }
  });

  it("a field set to the server's default value is not mistaken for a dropped field", async () => {
    // nats-server omits persist_mode when it is "default" (omitempty): the echo check must not call
    // that a dropped field. BUG: src/jetstream/config_check.ts droppedField() rejects it with
    // CONFIG_NOT_APPLIED and deletes the stream again.
    const name = uniq("PDEF");
    const si = await jsm.streams.add({ name, subjects: [`${name}.>`], storage: "memory", persist_mode: "default", compression: "none", retention: "limits" });
    assert.equal(si.config.persist_mode ?? "default", "default");
  });

  function assertPurged(r: PurgeResponse, n: number): void {
    assert.equal(r.success, true);
    assert.equal(r.purged, n);
  }

  it("a field the server does not keep is CONFIG_NOT_APPLIED (the stream is left as the server made it)", async () => {
    // mirror_direct follows the origin's allow_direct: asked for on a mirror of a stream without
    // direct get, nats-server silently turns it off
    const origin = uniq("MDO");
    await jsm.streams.add({ name: origin, subjects: [`${origin}.>`], storage: "memory" });
    const name = uniq("MDM");
    const e = await failsWith<ConfigNotAppliedError>(() => jsm.streams.add({ name, storage: "memory", mirror: { name: origin }, mirror_direct: true }), "CONFIG_NOT_APPLIED");
    assert.ok(e instanceof ConfigNotAppliedError);
    assert.equal(e.field, "mirror_direct");
    assert.match(e.message, /2\.15\.2/);
    assert.notEqual((await jsm.streams.info(name)).config.mirror_direct, true, "the server did not keep mirror_direct");
  });

  it("re-adding an existing stream never deletes it, even when the echo check fails", async () => {
    // an add with the same (normalized) config answers with the stream that already existed: the
    // echo check must not take its messages with it
    const origin = uniq("RAO");
    await jsm.streams.add({ name: origin, subjects: [`${origin}.>`], storage: "memory" });
    const name = uniq("RAM");
    await jsm.streams.add({ name, storage: "memory", mirror: { name: origin } });
    nc.publish(`${origin}.x`, "1");
    nc.publish(`${origin}.x`, "2");
    await untilMessages(jsm, name, 2);
    await failsWith(() => jsm.streams.add({ name, storage: "memory", mirror: { name: origin }, mirror_direct: true }), "CONFIG_NOT_APPLIED");
    assert.equal((await jsm.streams.info(name)).state.messages, 2, "the existing mirror and its messages are still there");
  });

  it("purge: all, by filter, below a seq, keeping the newest; seq with keep is refused locally", async () => {
    const name = uniq("PURGE");
    await jsm.streams.add({ name, subjects: [`${name}.*`], storage: "memory" });
    const fill = async (): Promise<number> => {
      const before = (await jsm.streams.info(name)).state.messages;
      for (let i = 0; i < 4; i++) nc.publish(`${name}.a`, `a${i}`);
      for (let i = 0; i < 6; i++) nc.publish(`${name}.b`, `b${i}`);
      await untilMessages(jsm, name, before + 10);
      return (await jsm.streams.info(name)).state.last_seq;
    };
    let last = await fill();
    assertPurged(await jsm.streams.purge(name, { filter: `${name}.a` }), 4);
    let st = (await jsm.streams.info(name)).state;
    assert.equal(st.messages, 6);
    assert.equal(await jsm.streams.getMessage(name, { last_by_subj: `${name}.a` }), null);
    assertPurged(await jsm.streams.purge(name, { keep: 2 }), 4);
    st = (await jsm.streams.info(name)).state;
    assert.deepEqual([st.messages, st.first_seq], [2, last - 1]);
    assertPurged(await jsm.streams.purge(name), 2);
    assert.equal((await jsm.streams.info(name)).state.messages, 0);
    last = await fill();
    // seq: everything below seq goes
    assertPurged(await jsm.streams.purge(name, { seq: last - 2 }), 7);
    st = (await jsm.streams.info(name)).state;
    assert.deepEqual([st.messages, st.first_seq], [3, last - 2]);
    // filter + keep
    assertPurged(await jsm.streams.purge(name, { filter: `${name}.b`, keep: 1 }), 2);
    await refusedLocally(nc, () => jsm.streams.purge(name, { seq: 5, keep: 1 }), "seq + keep");
    await refusedLocally(nc, () => jsm.streams.purge(name, { filter: "bad subject" }), "filter with a space");
    await refusedLocally(nc, () => jsm.streams.purge(name, { nope: 1 } as never), "unknown purge option");
    assert.equal((await jsm.streams.info(name)).state.messages, 1);
  });

  it("list, names and find, with a subject filter", async () => {
    const base = uniq("LST");
    const names = [`${base}_A`, `${base}_B`, `${base}_C`];
    await jsm.streams.add({ name: names[0], subjects: [`${base}.a.>`], storage: "memory", max_age: 5_000 });
    await jsm.streams.add({ name: names[1], subjects: [`${base}.b.*`], storage: "memory" });
    await jsm.streams.add({ name: names[2], subjects: [`${base}.b.x.y`, `${base}.c`], storage: "memory" });
    const all = await streamNames(jsm);
    for (const n of names) assert.ok(all.includes(n), n);
    assert.deepEqual((await collect(jsm.streams.names(`${base}.>`))).sort(), names);
    assert.deepEqual((await collect(jsm.streams.names(`${base}.b.>`))).sort(), [names[1], names[2]]);
    assert.deepEqual(await collect(jsm.streams.names(`${base}.zzz`)), []);
    const infos = await collect(jsm.streams.list(`${base}.a.q`));
    assert.deepEqual(infos.map((s) => s.config.name), [names[0]]);
    assert.equal(infos[0].config.max_age, 5_000);
    assert.equal((await collect(jsm.streams.list())).filter((s) => names.includes(s.config.name)).length, 3);
    assert.equal(await jsm.streams.find(`${base}.a.q.r`), names[0]);
    assert.equal(await jsm.streams.find(`${base}.b.q`), names[1]);
    assert.equal(await jsm.streams.find(`${base}.c`), names[2]);
    const nf = await failsWith<StreamNotFoundError>(() => jsm.streams.find(`${base}.none`), "STREAM_NOT_FOUND");
    assert.ok(nf instanceof StreamNotFoundError);
    assert.equal(nf.errCode, 10059);
    await refusedLocally(nc, () => jsm.streams.find("a b"), "find with a space");
    await refusedLocally(nc, () => collect(jsm.streams.names("a..b")), "names with an empty token");
  });

  /** Publishes 4 messages (the second with headers) to a stream and returns the stream name. */
  async function messageStream(allowDirect: boolean): Promise<string> {
    const name = uniq(allowDirect ? "GETD" : "GETL");
    await jsm.streams.add({ name, subjects: [`${name}.*`], storage: "memory", allow_direct: allowDirect });
    const h = headers();
    h.set("X-Custom", "v1");
    h.append("X-Custom", "v2");
    h.set("Other-Case", "Keep");
    nc.publish(`${name}.a`, "a1");
    nc.publish(`${name}.b`, "b1", { headers: h });
    nc.publish(`${name}.a`, "a2");
    nc.publish(`${name}.c`, JSON.stringify({ n: 3 }));
    await untilMessages(jsm, name, 4);
    return name;
  }

  /** A connection that records the requests sent to the direct-get and the msg-get API subjects. */
  async function spy(name: string): Promise<{ direct: string[]; msgGet: string[] }> {
    const s = await srv.connect();
    const seen = { direct: [] as string[], msgGet: [] as string[] };
    const rec = (list: string[]) => (_: unknown, m: Msg) => list.push(m.subject);
    s.subscribe(`$JS.API.DIRECT.GET.${name}`, { callback: rec(seen.direct) });
    s.subscribe(`$JS.API.DIRECT.GET.${name}.>`, { callback: rec(seen.direct) });
    s.subscribe(`$JS.API.STREAM.MSG.GET.${name}`, { callback: rec(seen.msgGet) });
    await s.flush();
    return seen;
  }

  for (const allowDirect of [true, false]) {
    it(`getMessage by seq, last_by_subj, next_by_subj (allow_direct ${allowDirect}: ${allowDirect ? "DIRECT.GET" : "STREAM.MSG.GET"})`, async () => {
      const name = await messageStream(allowDirect);
      const seen = await spy(name);
      const bySeq = await jsm.streams.getMessage(name, { seq: 2 });
      assert.ok(bySeq);
      assert.deepEqual([bySeq.subject, bySeq.seq, bySeq.string()], [`${name}.b`, 2, "b1"]);
      assert.ok(bySeq.time instanceof Date && !Number.isNaN(bySeq.time.getTime()));
      assert.equal(bySeq.time.getTime(), new Date(bySeq.timestamp).getTime());
      assert.deepEqual(bySeq.headers?.values("X-Custom"), ["v1", "v2"]);
      assert.equal(bySeq.headers?.get("Other-Case"), "Keep");
      assert.deepEqual(bySeq.headers?.keys().sort(), ["Other-Case", "X-Custom"], "no Nats-* headers of the server");
      const plain = await jsm.streams.getMessage(name, { seq: 1 });
      assert.equal(plain?.headers, undefined, "a message published without headers has none");
      const last = await jsm.streams.getMessage(name, { last_by_subj: `${name}.a` });
      assert.deepEqual([last?.seq, last?.string()], [3, "a2"]);
      assert.equal((await jsm.streams.getMessage(name, { next_by_subj: `${name}.a`, seq: 2 }))?.seq, 3);
      assert.equal((await jsm.streams.getMessage(name, { next_by_subj: `${name}.*` }))?.seq, 1);
      const json = await jsm.streams.getMessage(name, { last_by_subj: `${name}.*` });
      assert.deepEqual(json?.json(), { n: 3 });
      // missing: null
      assert.equal(await jsm.streams.getMessage(name, { seq: 99 }), null);
      assert.equal(await jsm.streams.getMessage(name, { last_by_subj: `${name}.zz` }), null);
      assert.equal(await jsm.streams.getMessage(name, { next_by_subj: `${name}.a`, seq: 4 }), null);
      // the path used
      const want = allowDirect ? seen.direct : seen.msgGet;
      await poll(() => (want.length === 9 ? true : undefined), 10_000, () => `saw ${JSON.stringify(seen)}`);
      assert.equal((allowDirect ? seen.msgGet : seen.direct).length, 0, JSON.stringify(seen));
      // bad queries are refused locally
      for (const q of [{}, { seq: 1, last_by_subj: `${name}.a` }, { seq: 0 }, { last_by_subj: "a b" }, { nope: 1 }]) {
        await refusedLocally(nc, () => jsm.streams.getMessage(name, q as never), JSON.stringify(q));
      }
    });
  }

  it("getMessage returns the same message through both paths", async () => {
    const d = await messageStream(true);
    const l = await messageStream(false);
    const strip = (m: StoredMsg | null) => ({ subject: m!.subject.split(".")[1], seq: m!.seq, data: m!.string(), h: m!.headers?.values("X-Custom") });
    for (const seq of [1, 2, 3, 4]) {
      assert.deepEqual(strip(await jsm.streams.getMessage(d, { seq })), strip(await jsm.streams.getMessage(l, { seq })));
    }
    // direct get on a stream without allow_direct: a clear error, not a hang
    const e = await failsWith<JetStreamApiError>(() => jsm.direct.getMessage(l, { seq: 1 }), "JETSTREAM_API");
    assert.equal(e.status, 503);
  });

  it("deleteMessage with and without erase; deleted_details lists them", async () => {
    const name = uniq("DEL");
    await jsm.streams.add({ name, subjects: [`${name}.*`], storage: "memory" });
    for (let i = 1; i <= 5; i++) nc.publish(`${name}.x`, `m${i}`);
    await untilMessages(jsm, name, 5);
    assert.equal(await jsm.streams.deleteMessage(name, 2), true);
    assert.equal(await jsm.streams.deleteMessage(name, 4, false), true);
    assert.equal(await jsm.streams.getMessage(name, { seq: 2 }), null);
    assert.equal(await jsm.streams.getMessage(name, { seq: 4 }), null);
    assert.equal((await jsm.streams.getMessage(name, { seq: 3 }))?.string(), "m3");
    const si = await jsm.streams.info(name, { deleted_details: true });
    assert.equal(si.state.messages, 3);
    assert.equal(si.state.num_deleted, 2);
    assert.deepEqual(si.state.deleted, [2, 4]);
    assert.equal((await jsm.streams.info(name)).state.deleted, undefined);
    // deleting it again: the server's error
    const e = await failsWith<JetStreamApiError>(() => jsm.streams.deleteMessage(name, 2), "JETSTREAM_API");
    assert.ok(e.errCode > 0 && e.description.length > 0, e.message);
    await refusedLocally(nc, () => jsm.streams.deleteMessage(name, 0), "seq 0");
    await refusedLocally(nc, () => jsm.streams.deleteMessage(name, 1.5), "seq 1.5");
  });

  it("info with subjects_filter holds every subject (2,000 distinct subjects)", async () => {
    const name = uniq("SUBJ");
    await jsm.streams.add({ name, subjects: [`${name}.>`], storage: "memory" });
    for (let i = 0; i < 2_000; i++) nc.publish(`${name}.s.${i}`, "");
    nc.publish(`${name}.other`, "");
    nc.publish(`${name}.other`, "");
    await untilMessages(jsm, name, 2_002);
    const si = await jsm.streams.info(name, { subjects_filter: `${name}.s.*` });
    const subjects = si.state.subjects!;
    assert.equal(Object.keys(subjects).length, 2_000);
    for (let i = 0; i < 2_000; i++) assert.equal(subjects[`${name}.s.${i}`], 1, `${name}.s.${i}`);
    const all = await jsm.streams.info(name, { subjects_filter: ">" });
    assert.equal(Object.keys(all.state.subjects!).length, 2_001);
    assert.equal(all.state.subjects![`${name}.other`], 2);
    assert.equal(all.state.num_subjects, 2_001);
    assert.equal((await jsm.streams.info(name)).state.subjects, undefined);
    assert.ok(!("total" in all) && !("offset" in all) && !("limit" in all), "paging fields are not exposed");
    await refusedLocally(nc, () => jsm.streams.info(name, { subjects_filter: "a b" }), "bad subjects_filter");
    await refusedLocally(nc, () => jsm.streams.info(name, { nope: true } as never), "unknown info option");
  });

  it("info with subjects_filter follows the server's pages (100,000 subjects per response)", async () => {
    const name = uniq("PAGES");
    const n = 100_050;
    await jsm.streams.add({ name, subjects: [`${name}.>`], storage: "memory" });
    // in chunks, each stored before the next goes out: the stream's ingest queue is never near its
    // 100,000-message limit, even on a slow machine
    for (let i = 0; i < n; ) {
      const end = Math.min(n, i + 25_000);
      for (; i < end; i++) nc.publish(`${name}.${i}`, "");
      await untilMessages(jsm, name, end, 60_000);
    }
    // one raw page: the server really pages here
    const page = (await nc.request(`$JS.API.STREAM.INFO.${name}`, JSON.stringify({ subjects_filter: ">" }), { timeout: 20_000 })).json<{
      total: number;
      state: { subjects: Record<string, number> };
    }>();
    assert.equal(page.total, n);
    assert.ok(Object.keys(page.state.subjects).length < n, "the server sent every subject in one response");
    const si = await jsm.streams.info(name, { subjects_filter: ">" }, { timeout: 20_000 });
    const keys = Object.keys(si.state.subjects!);
    assert.equal(keys.length, n);
    assert.equal(si.state.subjects![`${name}.0`], 1);
    assert.equal(si.state.subjects![`${name}.${n - 1}`], 1);
    await jsm.streams.delete(name);
  });

  it("bad names and configs are refused with INVALID_ARGUMENT before anything is sent", async () => {
    const before = await streamNames(jsm);
    const badNames = ["a.b", "a*", "a>", "a b", "a\tb", "a/b", "a\\b", "", "x".repeat(256), "a\nb"];
    for (const name of badNames) {
      await refusedLocally(nc, () => jsm.streams.add({ name, subjects: ["bad.name.subject"] }), `add ${JSON.stringify(name)}`);
      await refusedLocally(nc, () => jsm.streams.info(name), `info ${JSON.stringify(name)}`);
      await refusedLocally(nc, () => jsm.streams.delete(name), `delete ${JSON.stringify(name)}`);
      await refusedLocally(nc, () => jsm.streams.update(name, {}), `update ${JSON.stringify(name)}`);
    }
    const cfg = (extra: object): unknown => ({ name: "BADCFG", subjects: ["bad.cfg"], ...extra });
    const badConfigs: unknown[] = [
      cfg({ nope: true }), cfg({ subjects: "bad.cfg" }), cfg({ max_msgs: "10" }), cfg({ storage: "disk" }), cfg({ retention: 3 }),
      cfg({ subjects: ["bad cfg"] }), cfg({ subjects: ["bad.\tcfg"] }), cfg({ subjects: ["bad..cfg"] }), cfg({ max_age: -1 }),
      cfg({ metadata: { a: 1 } }), cfg({ consumer_limits: { inactive_threshold: "1s" } }), cfg({ sources: [{ name: "a.b" }] }),
      cfg({ sources: [{ name: "X", nope: 1 }] }), { name: "BADCFG", sources: [{ name: "X", opt_start_time: "2020" }] },
      { subjects: ["bad.cfg"] },
      null,
    ];
    for (const c of badConfigs) await refusedLocally(nc, () => jsm.streams.add(c as StreamConfig), `add ${JSON.stringify(c)}`);
    for (const opts of [{ timeout: -1 }, { timeout: 0 }, { domain: "a.b" }, { domain: "" }, { domain: "x", apiPrefix: "y" }, { apiPrefix: "a b" }, { nope: 1 }]) {
      await refusedLocally(nc, () => jetstreamManager(nc, opts as never), `jetstreamManager(${JSON.stringify(opts)})`);
    }
    assert.deepEqual(await streamNames(jsm), before, "nothing was created");
    // 255 characters is allowed
    const long = "L".repeat(255);
    const si = await jsm.streams.add({ name: long, subjects: ["long.name"], storage: "memory" });
    assert.equal(si.config.name, long);
    await jsm.streams.delete(long);
  });
});

describe("jsm.streams across JetStream domains (hub and leaf)", () => {
  let pair: NatsLeafPair;
  const conns: NatsConnection[] = [];
  before(async () => {
    pair = await NatsLeafPair.start();
  });
  after(async () => {
    await Promise.all(conns.map((c) => c.close()));
    await pair?.stop();
  });

  it("manages the hub's streams from the leaf, and a leaf stream sources a hub stream by domain", async () => {
    const leafNc = await connect({ servers: pair.leaf.url });
    conns.push(leafNc);
    const hubNc = await connect({ servers: pair.hub.url });
    conns.push(hubNc);
    const hub = await jetstreamManager(leafNc, { domain: "hub" });
    assert.equal(hub.apiPrefix, "$JS.hub.API");
    assert.equal((await hub.getAccountInfo()).domain, "hub");
    const leaf = await jetstreamManager(leafNc);
    assert.equal((await leaf.getAccountInfo()).domain, "leaf");
    const hs = await hub.streams.add({ name: "HUBS", subjects: ["hubs.>"], storage: "memory" });
    assert.equal(hs.config.name, "HUBS");
    assert.deepEqual(await collect(hub.streams.names()), ["HUBS"]);
    assert.deepEqual(await collect((await jetstreamManager(hubNc)).streams.names()), ["HUBS"], "created on the hub");
    const ls = await leaf.streams.add({ name: "LEAFS", storage: "memory", sources: [{ name: "HUBS", domain: "hub" }] });
    assert.equal(ls.config.sources?.[0].external?.api, "$JS.hub.API");
    assert.equal(ls.config.sources?.[0].domain, undefined);
    assert.ok(!(await collect(hub.streams.names())).includes("LEAFS"), "created on the leaf");
    for (let i = 0; i < 3; i++) hubNc.publish(`hubs.${i}`, `h${i}`);
    await hubNc.flush();
    await untilMessages(leaf, "LEAFS", 3);
    const m = await leaf.streams.getMessage("LEAFS", { last_by_subj: "hubs.2" });
    assert.equal(m?.string(), "h2");
    assert.equal((await hub.streams.getMessage("HUBS", { seq: 1 }))?.string(), "h0");
    // a mirror by domain too
    const lm = await leaf.streams.add({ name: "LEAFM", storage: "memory", mirror: { name: "HUBS", domain: "hub" } });
    assert.equal(lm.config.mirror?.external?.api, "$JS.hub.API");
    await untilMessages(leaf, "LEAFM", 3);
    // consumers and direct gets in the other domain
    await hub.streams.update("HUBS", { allow_direct: true });
    assert.equal((await hub.direct.getMessage("HUBS", { last_by_subj: "hubs.1" }))?.string(), "h1");
    assert.equal((await hub.streams.getMessage("HUBS", { seq: 3 }))?.string(), "h2");
    assert.deepEqual((await collect(hub.direct.getBatch("HUBS", { batch: 2, seq: 2 }))).map((m) => m.seq), [2, 3]);
    const ci = await hub.consumers.add("HUBS", { durable_name: "HC", filter_subject: "hubs.1" });
    assert.equal(ci.num_pending, 1);
    assert.deepEqual(await collect(hub.consumers.names("HUBS")), ["HC"]);
    assert.equal((await pullOne(leafNc, "HUBS", "HC", {}, "$JS.hub.API"))?.string(), "h1");
    await refusedLocally(leafNc, () => leaf.streams.add({ name: "X", sources: [{ name: "HUBS", domain: "hub", external: { api: "$JS.x.API" } }] }), "domain + external");
  });
});

describe("jsm on a server without JetStream", () => {
  const srv = useServer();
  it("jetstreamManager rejects with JETSTREAM_NOT_ENABLED", async () => {
    const nc = await srv.connect();
    await failsWith(() => jetstreamManager(nc), "JETSTREAM_NOT_ENABLED");
    await failsWith(() => jetstreamManager(nc, { domain: "elsewhere" }), "JETSTREAM_NOT_ENABLED");
  });
});
