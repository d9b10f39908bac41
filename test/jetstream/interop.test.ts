// JetStream interop with the official clients, against a real nats-server (current): what one client
// publishes the others read back byte for byte (payloads with non-UTF-8 bytes, empty payloads;
// headers with several values, mixed case, UTF-8 values, `Nats-Msg-Id`), the PubAck sequences and
// de-duplication agree across clients, and stream configs (durations, metadata, subjects) mean the
// same to all three.
//
//   nats.js: @nats-io/transport-node + @nats-io/jetstream (v3, devDependencies), in this process.
//   nats.go: test/go, built by test/support/go_client.ts and run once per operation. When Go or the
//            module proxy is missing, the cases that need nats.go fail saying why (never skipped).
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { headers as natsJsHeaders } from "@nats-io/transport-node";
import {
  StorageType,
  type JetStreamClient as NatsJsJetStreamClient,
  type JetStreamManager as NatsJsJetStreamManager,
  type PubAck as NatsJsPubAck,
} from "@nats-io/jetstream";
import { headers, type NatsConnection, type Subscription } from "../../src/index.js";
import { type JetStreamClient, type JetStreamManager, type PubAck, type StoredMsg } from "../../src/jetstream/index.js";
import { until } from "../support/helpers.js";
import { goInterop, type GoStoredMsg } from "../support/go_client.js";
import { useInteropClients } from "./interop_fixture.js";
import { uniq, untilMessages, userMeta } from "./helpers.js";

const enc = new TextEncoder();

/** Headers as [key, values] in order (a client's MsgHdrs, or what a reader got). */
type HeaderEntries = [string, string[]][];

/** One message to publish: payload, the application's headers, and (maybe) a de-duplication id. */
interface Sample {
  label: string;
  data: Uint8Array;
  headers: HeaderEntries;
  msgID?: string;
}

/** Invalid UTF-8 on purpose: a lone 0xff/0xfe, NUL, a bare continuation byte, a broken pair, an encoded surrogate, CR LF. */
const NON_UTF8 = Uint8Array.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x0d, 0x0a, 0xf8, 0x88, 0x80, 0x80, 0x80]);
/** Every byte value, up and down. */
const ALL_BYTES = Uint8Array.from({ length: 512 }, (_, i) => (i < 256 ? i : 511 - i));
const EMPTY = new Uint8Array(0);

const APP_HEADERS: HeaderEntries = [
  ["X-Multi", ["one", "two", "three"]],
  ["x-lower-Mixed", ["Case Kept"]],
  ["X-Utf8", ["héllo wörld ✓ 日本"]],
  ["X-Colon", ["a: b:c"]],
  ["X-Empty", [""]],
];

/** The messages every publisher sends; `tag` keeps msgIDs and values distinct per publisher/stream. */
function samples(tag: string): Sample[] {
  const h = (i: number): HeaderEntries => [...APP_HEADERS, ["X-Index", [`${tag}-${i}`]]];
  return [
    { label: "text", data: enc.encode(`hello from ${tag}`), headers: h(0), msgID: `${tag}-id-0` },
    { label: "non-UTF-8 bytes", data: NON_UTF8, headers: h(1), msgID: `${tag}-id-1` },
    { label: "empty payload", data: EMPTY, headers: h(2), msgID: `${tag}-id-2` },
    { label: "every byte value", data: ALL_BYTES, headers: h(3), msgID: `${tag}-id-3` },
    { label: "empty payload, no headers, no msgID", data: EMPTY, headers: [] },
    { label: "non-UTF-8 bytes, headers without msgID", data: NON_UTF8, headers: h(5) },
  ];
}

/** What a reader must see: the application's headers, then `Nats-Msg-Id` (each client appends it last). */
function storedHeaders(s: Sample): HeaderEntries {
  return s.msgID === undefined ? s.headers : [...s.headers, ["Nats-Msg-Id", [s.msgID]]];
}

/** Headers the server adds to a direct-get reply (not part of the stored message). */
const DIRECT_GET_HEADERS = new Set(["Nats-Stream", "Nats-Subject", "Nats-Sequence", "Nats-Time-Stamp", "Nats-Num-Pending", "Nats-Last-Sequence", "Nats-UpTo-Sequence"]);

/** A client's headers (tsnats or nats.js MsgHdrs, or nats.go's JSON) as ordered entries, minus the direct-get ones when asked. */
function entriesOf(h: Iterable<[string, string[]]> | Record<string, string[]> | undefined | null, dropDirect = false): HeaderEntries {
  if (!h) return [];
  const list: HeaderEntries = Symbol.iterator in h ? [...(h as Iterable<[string, string[]]>)] : Object.entries(h);
  return list.filter(([k]) => !dropDirect || !DIRECT_GET_HEADERS.has(k)).map(([k, vs]) => [k, [...vs]]);
}

/** Sorted by key: for comparisons across clients that do not keep the key order (nats.go's map). */
function sorted(e: HeaderEntries): HeaderEntries {
  return [...e].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function tsnatsHeaders(e: HeaderEntries) {
  if (e.length === 0) return undefined;
  const h = headers();
  for (const [k, vs] of e) for (const v of vs) h.append(k, v);
  return h;
}

function natsJsHeadersOf(e: HeaderEntries) {
  if (e.length === 0) return undefined;
  const h = natsJsHeaders();
  for (const [k, vs] of e) for (const v of vs) h.append(k, v);
  return h;
}

const hex = (d: Uint8Array): string => Buffer.from(d).toString("hex");

/** The bytes equal, compared as hex so that a failure shows where. */
function sameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  assert.ok(got instanceof Uint8Array, `${what}: data is not a Uint8Array`);
  assert.equal(hex(got), hex(want), `${what}: payload differs`);
}

/** A message read back is the one published: subject, seq, bytes, headers (key order kept, or `anyKeyOrder`). */
function checkRead(
  what: string,
  got: { subject: string; seq: number; data: Uint8Array; headers: HeaderEntries },
  want: { subject: string; seq: number; sample: Sample },
  anyKeyOrder = false,
): void {
  assert.equal(got.subject, want.subject, `${what}: subject`);
  assert.equal(got.seq, want.seq, `${what}: seq`);
  sameBytes(got.data, want.sample.data, what);
  const expected = storedHeaders(want.sample);
  if (anyKeyOrder) assert.deepEqual(sorted(got.headers), sorted(expected), `${what}: headers`);
  else assert.deepEqual(got.headers, expected, `${what}: headers (in the order sent)`);
}

/** nats.go's view of a stored message, in the shape checkRead wants. */
function fromGo(m: GoStoredMsg): { subject: string; seq: number; data: Uint8Array; headers: HeaderEntries } {
  return { subject: m.subject, seq: m.seq, data: new Uint8Array(Buffer.from(m.data_b64, "base64")), headers: entriesOf(m.headers, m.via === "direct") };
}

/** tsnats's StoredMsg, in the shape checkRead wants. */
function fromTsnats(m: StoredMsg | null, what: string): { subject: string; seq: number; data: Uint8Array; headers: HeaderEntries } {
  assert.ok(m, `${what}: tsnats found no message`);
  return { subject: m.subject, seq: m.seq, data: m.data, headers: entriesOf(m.headers) };
}

/** Counts the JetStream API requests for `stream` that go to STREAM.MSG.GET and to DIRECT.GET (any client). */
class GetPathSpy {
  msgGet = 0;
  directGet = 0;
  readonly #subs: Subscription[];
  private constructor(nc: NatsConnection, stream: string) {
    this.#subs = [
      nc.subscribe(`$JS.API.STREAM.MSG.GET.${stream}`, { callback: () => void this.msgGet++ }),
      nc.subscribe(`$JS.API.DIRECT.GET.${stream}`, { callback: () => void this.directGet++ }),
      nc.subscribe(`$JS.API.DIRECT.GET.${stream}.>`, { callback: () => void this.directGet++ }),
    ];
  }
  /** Subscribes on `nc` (a connection of its own) and waits until the server has the interest. */
  static async start(nc: NatsConnection, stream: string): Promise<GetPathSpy> {
    const spy = new GetPathSpy(nc, stream);
    await nc.flush();
    return spy;
  }
  /** Waits until `msgGet` and `directGet` reach the given counts, then checks they are exactly those. */
  async expect(msgGet: number, directGet: number, what: string): Promise<void> {
    await until(() => this.msgGet >= msgGet && this.directGet >= directGet, `${what}: ${msgGet} STREAM.MSG.GET and ${directGet} DIRECT.GET requests`);
    assert.equal(this.msgGet, msgGet, `${what}: STREAM.MSG.GET requests`);
    assert.equal(this.directGet, directGet, `${what}: DIRECT.GET requests`);
  }
  stop(): void {
    for (const s of this.#subs) s.unsubscribe();
  }
}

describe("JetStream interop with nats.js and nats.go", () => {
  const clients = useInteropClients("interop-natsjs");
  const srv = clients.srv;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let njs: NatsJsJetStreamClient;
  let njsm: NatsJsJetStreamManager;
  before(() => {
    ({ js, jsm, njs, njsm } = clients);
  });

  describe("tsnats publishes, nats.js and nats.go read", () => {
    /** Without allow_direct (readers use STREAM.MSG.GET) and with it (direct get). */
    let API: string;
    let DIR: string;
    const sent = new Map<string, { subject: string; seq: number; sample: Sample }[]>();

    before(async () => {
      API = uniq("TSPUB_API");
      DIR = uniq("TSPUB_DIR");
      await jsm.streams.add({ name: API, subjects: [`${API}.>`], storage: "memory", duplicate_window: 60_000 });
      await jsm.streams.add({ name: DIR, subjects: [`${DIR}.>`], storage: "memory", duplicate_window: 60_000, allow_direct: true });
      for (const stream of [API, DIR]) {
        const list = samples(`ts-${stream}`);
        const acks: PubAck[] = [];
        // The first half with publish(), one at a time; the rest with publishAsync(), all in flight at once.
        const half = Math.ceil(list.length / 2);
        for (const [i, s] of list.slice(0, half).entries()) {
          acks.push(await js.publish(`${stream}.m${i}`, s.data, { ...(s.msgID ? { msgID: s.msgID } : {}), ...(s.headers.length ? { headers: tsnatsHeaders(s.headers) } : {}) }));
        }
        const pending = list.slice(half).map((s, j) => {
          const opts = { ...(s.msgID ? { msgID: s.msgID } : {}), ...(s.headers.length ? { headers: tsnatsHeaders(s.headers) } : {}) };
          return js.publishAsync(`${stream}.m${half + j}`, s.data, Object.keys(opts).length ? opts : undefined);
        });
        acks.push(...(await Promise.all(pending)));
        assert.deepEqual(acks.map((a) => [a.stream, a.seq, a.duplicate]), list.map((_, i) => [stream, i + 1, false]), `${stream}: PubAcks`);
        sent.set(stream, list.map((sample, i) => ({ subject: `${stream}.m${i}`, seq: acks[i]!.seq, sample })));
      }
    });

    it("nats.js jsm.streams.getMessage (STREAM.MSG.GET) reads every message as sent, on both streams", async () => {
      for (const stream of [API, DIR]) {
        for (const want of sent.get(stream)!) {
          const what = `nats.js getMessage ${stream} seq ${want.seq} (${want.sample.label})`;
          const m = await njsm.streams.getMessage(stream, { seq: want.seq });
          assert.ok(m, `${what}: not found`);
          checkRead(what, { subject: m.subject, seq: m.seq, data: m.data, headers: entriesOf(m.header) }, want);
        }
      }
    });

    it("nats.js jsm.direct.getMessage reads every message as sent", async () => {
      for (const want of sent.get(DIR)!) {
        const what = `nats.js direct get seq ${want.seq} (${want.sample.label})`;
        const m = await njsm.direct.getMessage(DIR, { seq: want.seq });
        assert.ok(m, `${what}: not found`);
        checkRead(what, { subject: m.subject, seq: m.seq, data: m.data, headers: entriesOf(m.header, true) }, want);
      }
    });

    it("a nats.js ordered consumer delivers every message as sent", async () => {
      for (const stream of [API, DIR]) {
        const want = sent.get(stream)!;
        const c = await njs.consumers.get(stream);
        const got: { subject: string; seq: number; data: Uint8Array; headers: HeaderEntries }[] = [];
        while (got.length < want.length) {
          const batch = await c.fetch({ max_messages: want.length - got.length, expires: 5_000 });
          const had = got.length;
          for await (const m of batch) got.push({ subject: m.subject, seq: m.seq, data: m.data, headers: entriesOf(m.headers) });
          assert.ok(got.length > had, `${stream}: the nats.js consumer fetched nothing after ${got.length} of ${want.length}`);
        }
        for (const [i, w] of want.entries()) checkRead(`nats.js consumer ${stream} #${i} (${w.sample.label})`, got[i]!, w);
        await c.delete();
      }
    });

    it("nats.go Stream.GetMsg reads every message as sent (STREAM.MSG.GET without allow_direct, direct get with it)", async () => {
      const go = await goInterop();
      for (const [stream, via] of [[API, "api"], [DIR, "direct"]] as const) {
        const want = sent.get(stream)!;
        const got = await go.get(srv.url, stream, ...want.map((w) => w.seq));
        assert.equal(got.length, want.length, `${stream}: nats.go returned ${got.length} messages`);
        for (const [i, w] of want.entries()) {
          const what = `nats.go ${go.natsGo} GetMsg ${stream} seq ${w.seq} (${w.sample.label})`;
          assert.equal(got[i]!.via, via, `${what}: path`);
          checkRead(what, fromGo(got[i]!), w, true);
        }
      }
    });

    it("a nats.go ordered consumer delivers every message as sent", async () => {
      const go = await goInterop();
      for (const stream of [API, DIR]) {
        const want = sent.get(stream)!;
        const got = await go.consume(srv.url, stream, want.length);
        assert.equal(got.length, want.length, `${stream}: nats.go consumed ${got.length} messages`);
        for (const [i, w] of want.entries()) checkRead(`nats.go consumer ${stream} #${i} (${w.sample.label})`, fromGo(got[i]!), w, true);
      }
    });
  });

  describe("nats.js publishes, tsnats reads", () => {
    let API: string;
    let DIR: string;
    const sent = new Map<string, { subject: string; seq: number; sample: Sample; ack: NatsJsPubAck }[]>();

    before(async () => {
      API = uniq("JSPUB_API");
      DIR = uniq("JSPUB_DIR");
      // Created by nats.js: tsnats learns whether the stream allows direct get from its info.
      await njsm.streams.add({ name: API, subjects: [`${API}.>`], storage: StorageType.Memory });
      await njsm.streams.add({ name: DIR, subjects: [`${DIR}.>`], storage: StorageType.Memory, allow_direct: true });
      for (const stream of [API, DIR]) {
        const list = samples(`njs-${stream}`);
        const rows: { subject: string; seq: number; sample: Sample; ack: NatsJsPubAck }[] = [];
        for (const [i, s] of list.entries()) {
          const h = natsJsHeadersOf(s.headers);
          const ack = await njs.publish(`${stream}.m${i}`, s.data, { ...(s.msgID ? { msgID: s.msgID } : {}), ...(h ? { headers: h } : {}) });
          rows.push({ subject: `${stream}.m${i}`, seq: ack.seq, sample: s, ack });
        }
        assert.deepEqual(rows.map((r) => [r.ack.stream, r.ack.seq, r.ack.duplicate]), list.map((_, i) => [stream, i + 1, false]), `${stream}: nats.js PubAcks`);
        sent.set(stream, rows);
      }
    });

    it("jsm.streams.getMessage on a stream without allow_direct uses STREAM.MSG.GET and returns what nats.js sent, at the PubAck's seq", async () => {
      const spy = await GetPathSpy.start(await srv.connect(), API);
      try {
        for (const want of sent.get(API)!) {
          const what = `tsnats getMessage ${API} seq ${want.seq} (${want.sample.label})`;
          checkRead(what, fromTsnats(await jsm.streams.getMessage(API, { seq: want.seq }), what), want, true);
        }
        await spy.expect(sent.get(API)!.length, 0, API);
        const si = await jsm.streams.info(API);
        assert.equal(si.state.last_seq, sent.get(API)!.at(-1)!.ack.seq, "the stream's last seq is nats.js's last PubAck seq");
        assert.equal(si.state.messages, sent.get(API)!.length);
      } finally {
        spy.stop();
      }
    });

    it("jsm.streams.getMessage and jsm.direct.getMessage on a stream with allow_direct use direct get and return what nats.js sent", async () => {
      const spy = await GetPathSpy.start(await srv.connect(), DIR);
      try {
        const rows = sent.get(DIR)!;
        for (const want of rows) {
          const a = `tsnats getMessage ${DIR} seq ${want.seq} (${want.sample.label})`;
          checkRead(a, fromTsnats(await jsm.streams.getMessage(DIR, { seq: want.seq }), a), want, true);
          const b = `tsnats direct.getMessage ${DIR} seq ${want.seq} (${want.sample.label})`;
          checkRead(b, fromTsnats(await jsm.direct.getMessage(DIR, { seq: want.seq }), b), want, true);
        }
        // last_by_subj (a literal subject: DIRECT.GET.<stream>.<subject>) finds the same message
        const last = rows.at(-1)!;
        const c = `tsnats direct.getMessage ${DIR} last_by_subj ${last.subject}`;
        checkRead(c, fromTsnats(await jsm.direct.getMessage(DIR, { last_by_subj: last.subject }), c), last, true);
        await spy.expect(0, 2 * rows.length + 1, DIR);
      } finally {
        spy.stop();
      }
    });

    it("the stored headers keep nats.js's key order", async () => {
      for (const want of sent.get(API)!) {
        const m = await jsm.streams.getMessage(API, { seq: want.seq });
        assert.deepEqual(entriesOf(m?.headers), storedHeaders(want.sample), `seq ${want.seq}`);
      }
    });

    it("tsnats publishing a msgID nats.js used gets duplicate: true with nats.js's seq", async () => {
      const first = sent.get(API)![0]!;
      const ack = await js.publish(first.subject, "something else", { msgID: first.sample.msgID! });
      assert.deepEqual(ack, { stream: API, seq: first.ack.seq, duplicate: true });
      const m = await jsm.streams.getMessage(API, { seq: first.ack.seq });
      sameBytes(m!.data, first.sample.data, "the stored message is still nats.js's");
      assert.equal((await jsm.streams.info(API)).state.messages, sent.get(API)!.length);
    });
  });

  describe("nats.go publishes, tsnats reads", () => {
    let API: string;
    let DIR: string;
    const sent = new Map<string, { subject: string; seq: number; sample: Sample }[]>();

    before(async () => {
      API = uniq("GOPUB_API");
      DIR = uniq("GOPUB_DIR");
      await jsm.streams.add({ name: API, subjects: [`${API}.>`], storage: "memory", duplicate_window: 60_000 });
      await jsm.streams.add({ name: DIR, subjects: [`${DIR}.>`], storage: "memory", duplicate_window: 60_000, allow_direct: true });
    });

    it("nats.go's PubAcks (JetStream.PublishMsg with headers and msgID) count 1, 2, 3, … without duplicates", async () => {
      const go = await goInterop();
      for (const stream of [API, DIR]) {
        const list = samples(`go-${stream}`);
        const rows: { subject: string; seq: number; sample: Sample }[] = [];
        for (const [i, s] of list.entries()) {
          const ack = await go.pub(srv.url, `${stream}.m${i}`, s.data, Object.fromEntries(s.headers), s.msgID ?? "");
          assert.deepEqual(ack, { stream, seq: i + 1, duplicate: false }, `${stream} #${i} (${s.label}): nats.go PubAck`);
          rows.push({ subject: `${stream}.m${i}`, seq: ack.seq, sample: s });
        }
        sent.set(stream, rows);
      }
    });

    it("tsnats reads nats.go's messages byte-identical (STREAM.MSG.GET and direct get), with nats.go's timestamps", async () => {
      const go = await goInterop();
      for (const stream of [API, DIR]) {
        const rows = sent.get(stream);
        assert.ok(rows, "nats.go published nothing (see the previous test)");
        const viaGo = await go.get(srv.url, stream, ...rows.map((r) => r.seq));
        for (const [i, want] of rows.entries()) {
          const what = `tsnats getMessage ${stream} seq ${want.seq} (${want.sample.label})`;
          const m = await jsm.streams.getMessage(stream, { seq: want.seq });
          checkRead(what, fromTsnats(m, what), want, true);
          assert.equal(m!.time.getTime(), Date.parse(viaGo[i]!.time), `${what}: the time nats.go reads`);
        }
        if (stream === DIR) {
          for (const want of rows) {
            const what = `tsnats direct.getMessage ${stream} seq ${want.seq} (${want.sample.label})`;
            checkRead(what, fromTsnats(await jsm.direct.getMessage(stream, { seq: want.seq }), what), want, true);
          }
        }
      }
    });

    it("de-duplication across clients: tsnats gets duplicate: true with nats.go's seq, and nats.go with tsnats's", async () => {
      const go = await goInterop();
      const rows = sent.get(API);
      assert.ok(rows, "nats.go published nothing (see the first test)");
      const first = rows[0]!;
      // tsnats repeats nats.go's msgID, with publish() and with publishAsync()
      assert.deepEqual(await js.publish(`${API}.again`, "not stored", { msgID: first.sample.msgID! }), { stream: API, seq: first.seq, duplicate: true });
      assert.deepEqual(await js.publishAsync(`${API}.again`, "not stored", { msgID: first.sample.msgID! }), { stream: API, seq: first.seq, duplicate: true });
      // nats.go repeats tsnats's msgID
      const mine = await js.publish(`${API}.ts`, Uint8Array.from([0xff, 0x00]), { msgID: "tsnats-then-go" });
      assert.equal(mine.duplicate, false);
      assert.deepEqual(await go.pub(srv.url, `${API}.go`, enc.encode("not stored"), {}, "tsnats-then-go"), { stream: API, seq: mine.seq, duplicate: true });
      await untilMessages(jsm, API, rows.length + 1);
      sameBytes((await jsm.streams.getMessage(API, { seq: first.seq }))!.data, first.sample.data, "nats.go's message is unchanged");
      sameBytes((await jsm.streams.getMessage(API, { seq: mine.seq }))!.data, Uint8Array.from([0xff, 0x00]), "tsnats's message is unchanged");
    });
  });

  describe("stream configs mean the same to every client", () => {
    it("a stream tsnats creates (durations in ms, metadata, subjects) reads the same in nats.go (time.Duration) and nats.js (ns)", async () => {
      const name = uniq("CFG_TS");
      const cfg = {
        name,
        subjects: [`${name}.a`, `${name}.b.>`],
        storage: "memory" as const,
        max_age: 60_000,
        duplicate_window: 30_000,
        description: "made by tsnats",
        metadata: { owner: "tsnats", "x.y": "z", utf8: "ünïcödé ✓" },
        allow_direct: true,
      };
      const si = await jsm.streams.add(cfg);
      assert.equal(si.config.max_age, 60_000);
      assert.equal(si.config.duplicate_window, 30_000);

      const viaJs = await njsm.streams.info(name);
      assert.equal(viaJs.config.max_age, 60_000_000_000, "nats.js: max_age in ns");
      assert.equal(viaJs.config.duplicate_window, 30_000_000_000, "nats.js: duplicate_window in ns");
      assert.deepEqual(viaJs.config.subjects, cfg.subjects);
      assert.deepEqual(userMeta(viaJs.config.metadata), cfg.metadata);
      assert.equal(viaJs.config.description, cfg.description);
      assert.equal(viaJs.config.allow_direct, true);

      const go = await goInterop();
      const viaGo = await go.info(srv.url, name);
      assert.equal(viaGo.max_age, "1m0s", "nats.go: MaxAge 60000 ms is 60s");
      assert.equal(viaGo.max_age_ns, 60_000_000_000);
      assert.equal(viaGo.duplicate_window, "30s");
      assert.equal(viaGo.duplicate_window_ns, 30_000_000_000);
      assert.deepEqual(viaGo.subjects, cfg.subjects);
      assert.deepEqual(userMeta(viaGo.metadata), cfg.metadata);
      assert.equal(viaGo.description, cfg.description);
      assert.equal(viaGo.allow_direct, true);
      assert.equal(viaGo.storage, "Memory");
    });

    it("durations that are not whole seconds survive the ms → ns conversion (nats.go: 1h2m3.004s and 1.5s)", async () => {
      const name = uniq("CFG_FRAC");
      await jsm.streams.add({ name, subjects: [`${name}.>`], storage: "memory", max_age: 3_723_004, duplicate_window: 1_500 });
      const viaJs = await njsm.streams.info(name);
      assert.equal(viaJs.config.max_age, 3_723_004_000_000);
      assert.equal(viaJs.config.duplicate_window, 1_500_000_000);
      const viaGo = await (await goInterop()).info(srv.url, name);
      assert.equal(viaGo.max_age, "1h2m3.004s");
      assert.equal(viaGo.max_age_ns, 3_723_004_000_000);
      assert.equal(viaGo.duplicate_window, "1.5s");
      assert.equal(viaGo.duplicate_window_ns, 1_500_000_000);
    });

    it("a stream nats.go creates (MaxAge 90s, Duplicates 45s) shows max_age 90000 and duplicate_window 45000 in tsnats, and keeps them through a tsnats update", async () => {
      const go = await goInterop();
      const name = uniq("CFG_GO");
      const created = await go.add(srv.url, name, `${name}.>`, "90s", "45s");
      assert.equal(created.max_age, "1m30s");

      const si = await jsm.streams.info(name);
      assert.equal(si.config.max_age, 90_000);
      assert.equal(si.config.duplicate_window, 45_000);
      assert.deepEqual(si.config.subjects, [`${name}.>`]);
      assert.deepEqual(userMeta(si.config.metadata), { "created-by": "nats.go" });
      assert.equal(si.config.storage, "memory");
      assert.equal((await njsm.streams.info(name)).config.max_age, 90_000_000_000, "nats.js: 90 s in ns");

      // update() sends the whole (merged) config back: the durations must come out as they went in.
      const updated = await jsm.streams.update(name, { description: "updated by tsnats" });
      assert.equal(updated.config.max_age, 90_000);
      const later = await go.info(srv.url, name);
      assert.equal(later.max_age, "1m30s");
      assert.equal(later.duplicate_window, "45s");
      assert.equal(later.description, "updated by tsnats");
      assert.deepEqual(userMeta(later.metadata), { "created-by": "nats.go" });
    });
  });
});
