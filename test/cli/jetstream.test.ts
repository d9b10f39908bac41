// `tsnats stream`, `consumer`, `pub --jetstream`, `sub --stream` and `kv` as child processes
// against a real nats-server with JetStream, checked against what nats.js sees.
import { describe, it, before, after } from "node:test";
import { strict as assert } from "node:assert";
import { connect as natsJsConnect, type NatsConnection as NatsJsConnection } from "@nats-io/transport-node";
import { jetstreamManager as natsJsJsm } from "@nats-io/jetstream";
import { Kvm as NatsJsKvm } from "@nats-io/kv";
import { useServer } from "../support/fixtures.js";
import { Running, lines, ok, tsnats } from "./helpers.js";

describe("tsnats stream, consumer and kv", () => {
  const srv = useServer({ server: { jetstream: true } });
  let js: NatsJsConnection;
  const s = (...args: string[]): string[] => ["-s", srv.url, ...args];
  before(async () => {
    js = await natsJsConnect({ servers: srv.url });
  });
  after(async () => {
    await js?.close();
  });

  it("stream add, info, ls (table and JSON), edit", async () => {
    const add = await ok(s("stream", "add", "ORDERS", "--subjects", "orders.>", "--storage", "memory", "--max-age", "1h", "--description", "all orders", "--dupe-window", "30s"));
    assert.match(add.stderr, /Stream ORDERS was created/);
    assert.match(add.stdout, /Subjects: orders\.>/);
    assert.match(add.stdout, /Storage: Memory/);
    assert.match(add.stdout, /Maximum Age: 1h\n/);
    const si = await (await natsJsJsm(js)).streams.info("ORDERS");
    assert.equal(si.config.max_age, 3600 * 1e9, "nats.js sees the stream as configured (ns)");
    assert.equal(si.config.duplicate_window, 30 * 1e9);
    assert.equal(si.config.storage, "memory");

    await ok(s("stream", "add", "EVENTS")); // defaults: subjects = the name, file storage
    const ls = await ok(s("stream", "ls"));
    assert.match(ls.stdout, /Streams \(2\)/);
    assert.match(ls.stdout, /│ EVENTS\s+│\s+│ \d{4}-\d\d-\d\d [\d:]+ │\s+0 │\s+0 B │\s+never │/);
    assert.match(ls.stdout, /│ ORDERS\s+│ all orders\s+│/);
    const names = JSON.parse((await ok(s("--json", "stream", "ls", "--names"))).stdout) as string[];
    assert.deepEqual(names, ["EVENTS", "ORDERS"]);

    const edit = await ok(s("stream", "edit", "ORDERS", "--max-msgs", "1000", "--description", "edited"));
    assert.match(edit.stdout, /Maximum Messages: 1,000/);
    assert.match(edit.stdout, /Description: edited/);
    const info = JSON.parse((await ok(s("--json", "stream", "info", "ORDERS"))).stdout) as { config: { max_msgs: number; max_age: number; subjects: string[] } };
    assert.equal(info.config.max_msgs, 1000);
    assert.equal(info.config.max_age, 3_600_000, "JSON durations are ms, like the library");
    assert.deepEqual(info.config.subjects, ["orders.>"]);
    const none = await tsnats(s("stream", "edit", "ORDERS"));
    assert.equal(none.code, 2, "bad usage exits 2");
    assert.match(none.stderr, /nothing to change/);
  });

  it("pub --jetstream stores messages; stream get, view, rmm, purge; sub --stream reads them in order", async () => {
    const pub = await ok(s("pub", "orders.new", '{"id":{{Count}}}', "--count", "5", "--jetstream"));
    assert.match(pub.stderr, /stream ORDERS sequence 5/);
    const acks = lines((await ok(s("--json", "pub", "orders.old", "old", "-J"))).stdout).map((l) => JSON.parse(l) as { stream: string; seq: number });
    assert.deepEqual(acks, [{ subject: "orders.old", stream: "ORDERS", seq: 6, duplicate: false }]);

    const get = await ok(s("stream", "get", "ORDERS", "2"));
    assert.match(get.stdout, /^Item: ORDERS#2 received .* on subject orders\.new\n\n\{"id":2\}\n$/);
    assert.equal((await ok(s("stream", "get", "ORDERS", "--last-for", "orders.new", "--raw"))).stdout, '{"id":5}');
    const missing = await tsnats(s("stream", "get", "ORDERS", "99"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /MESSAGE_NOT_FOUND/);

    const view = await ok(s("stream", "view", "ORDERS", "--count", "2", "--raw"));
    assert.equal(view.stdout, '{"id":1}\n{"id":2}\n');
    const viewAll = await ok(s("stream", "view", "ORDERS", "--subject", "orders.old"));
    assert.match(viewAll.stdout, /\[#1\] Received on "orders\.old" \(stream ORDERS sequence 6, /);

    const sub = await ok(s("sub", "--stream", "ORDERS", "--count", "3", "--raw"));
    assert.equal(sub.stdout, '{"id":1}\n{"id":2}\n{"id":3}\n');
    const fromSeq = await ok(s("--json", "sub", "orders.new", "--stream", "ORDERS", "--start-seq", "4", "--count", "2"));
    assert.deepEqual(lines(fromSeq.stdout).map((l) => (JSON.parse(l) as { seq: number }).seq), [4, 5]);
    const last = await ok(s("sub", "--stream", "ORDERS", "--last", "--count", "1", "--raw"));
    assert.equal(last.stdout, "old\n");
    const live = new Running(s("sub", "orders.live", "--stream", "ORDERS", "--new", "--count", "1", "--raw"));
    await live.waitFor(/Reading stream ORDERS/);
    await ok(s("pub", "orders.live", "fresh", "-J"));
    assert.equal((await live.done).stdout, "fresh\n");

    await ok(s("stream", "rmm", "ORDERS", "1", "-f"));
    const gone = await tsnats(s("stream", "get", "ORDERS", "1"));
    assert.equal(gone.code, 1);
    const purged = await ok(s("stream", "purge", "ORDERS", "--subject", "orders.old", "-f"));
    assert.match(purged.stdout, /Purged 1 message from stream ORDERS/);
    const state = JSON.parse((await ok(s("--json", "stream", "info", "ORDERS"))).stdout) as { state: { messages: number } };
    assert.equal(state.state.messages, 5);
  });

  it("consumer add, info, ls, next (acks), pause/resume, rm", async () => {
    const add = await ok(s("consumer", "add", "ORDERS", "worker", "--filter", "orders.new", "--ack", "explicit", "--max-deliver", "3", "--wait", "10s", "--description", "does the work"));
    assert.match(add.stdout, /Filter Subjects: orders\.new/);
    assert.match(add.stdout, /Ack Wait: 10s/);
    assert.match(add.stdout, /Unprocessed Messages: 4/);
    const ci = await (await natsJsJsm(js)).consumers.info("ORDERS", "worker");
    assert.equal(ci.config.ack_wait, 10 * 1e9);
    assert.equal(ci.config.max_deliver, 3);

    const next = await ok(s("consumer", "next", "ORDERS", "worker", "--count", "2"));
    assert.match(next.stdout, /\[#1\] Received on "orders\.new" \(stream ORDERS sequence 2, /);
    assert.match(next.stdout, /\[#2\] Received on "orders\.new" \(stream ORDERS sequence 3, /);
    assert.match(next.stderr, /Acknowledged message 3/);
    const info = JSON.parse((await ok(s("--json", "consumer", "info", "ORDERS", "worker"))).stdout) as { num_pending: number; num_ack_pending: number; delivered: { stream_seq: number } };
    assert.equal(info.num_pending, 2);
    assert.equal(info.num_ack_pending, 0);
    assert.equal(info.delivered.stream_seq, 3);
    const noAck = await ok(s("--json", "consumer", "next", "ORDERS", "worker", "--no-ack"));
    assert.equal((JSON.parse(noAck.stdout) as { seq: number }).seq, 4);

    await ok(s("consumer", "add", "ORDERS", "audit", "--deliver", "last", "--ack", "none"));
    const ls = await ok(s("consumer", "ls", "ORDERS"));
    assert.match(ls.stdout, /Consumers of stream ORDERS \(\d+\)/); // with the ordered consumers sub/view left for the server to remove
    assert.match(ls.stdout, /│ worker\s+│ does the work\s+│ [^│]+│\s+1 │\s+1 │/);
    assert.match(ls.stdout, /│ audit\s+│/);

    const pause = await ok(s("consumer", "pause", "ORDERS", "worker", "1h"));
    assert.match(pause.stdout, /is paused until/);
    assert.match((await ok(s("consumer", "ls", "ORDERS"))).stdout, /worker \(paused\)/);
    await ok(s("consumer", "resume", "ORDERS", "worker"));
    assert.equal((JSON.parse((await ok(s("--json", "consumer", "info", "ORDERS", "worker"))).stdout) as { paused?: boolean }).paused ?? false, false);

    await ok(s("consumer", "rm", "ORDERS", "audit", "-f"));
    const gone = await tsnats(s("consumer", "info", "ORDERS", "audit"));
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /^tsnats: CONSUMER_NOT_FOUND: .*hint: list the consumers/);
    const empty = await tsnats(s("consumer", "next", "ORDERS", "worker", "--count", "2", "--wait", "1s"));
    assert.equal(empty.code, 1, "after the last message, next times out");
    assert.match(empty.stderr, /TIMEOUT: no message arrived/);
  });

  it("stream rm and errors for streams that do not exist", async () => {
    await ok(s("stream", "rm", "EVENTS", "-f"));
    const r = await tsnats(s("stream", "info", "EVENTS"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^tsnats: STREAM_NOT_FOUND: .*\(hint: list the streams with `tsnats stream ls`\)\n$/);
    const sub = await tsnats(s("sub", "--stream", "EVENTS"));
    assert.match(sub.stderr, /STREAM_NOT_FOUND/);
  });

  it("kv add, put (read back by nats.js), get, create/update conflicts, history, ls, info", async () => {
    const add = await ok(s("kv", "add", "config", "--history", "5", "--description", "settings"));
    assert.match(add.stdout, /History Kept: 5/);
    assert.match((await ok(s("kv", "put", "config", "color", "blue"))).stdout, /revision 1/);
    await ok(s("kv", "put", "config", "color", "red"));
    await ok(s("kv", "put", "config", "size"), { input: "XL" });

    const kv = await new NatsJsKvm(js).open("config");
    assert.equal((await kv.get("color"))?.string(), "red", "nats.js reads what tsnats put");
    assert.equal((await kv.get("size"))?.string(), "XL");
    await kv.put("shape", "round");
    assert.equal((await ok(s("kv", "get", "config", "shape", "--raw"))).stdout, "round", "tsnats reads what nats.js put");
    const get = await ok(s("kv", "get", "config", "color"));
    assert.match(get.stdout, /^config > color revision 2 created .*\n\nred\n$/);
    assert.equal((await ok(s("kv", "get", "config", "color", "--revision", "1", "--raw"))).stdout, "blue");
    const asJson = JSON.parse((await ok(s("--json", "kv", "get", "config", "color"))).stdout) as { revision: number; data: string; operation: string };
    assert.deepEqual([asJson.revision, asJson.data, asJson.operation], [2, "red", "PUT"]);

    const exists = await tsnats(s("kv", "create", "config", "color", "x"));
    assert.equal(exists.code, 1);
    assert.match(exists.stderr, /^tsnats: KEY_EXISTS: /);
    const stale = await tsnats(s("kv", "update", "config", "color", "green", "1"));
    assert.match(stale.stderr, /^tsnats: WRONG_LAST_SEQUENCE: /);
    await ok(s("kv", "update", "config", "color", "green", "2"));
    await ok(s("kv", "create", "config", "fresh", "new"));

    const hist = await ok(s("kv", "history", "config", "color"));
    assert.match(hist.stdout, /│ color │\s+1 │ PUT │ [^│]+│\s+4 │ blue\s+│/);
    assert.match(hist.stdout, /│ color │\s+5 │ PUT │ [^│]+│\s+5 │ green\s+│/);
    assert.deepEqual(lines((await ok(s("kv", "ls", "config"))).stdout), ["color", "fresh", "shape", "size"]);
    const buckets = await ok(s("kv", "ls"));
    assert.match(buckets.stdout, /│ config\s+│ settings\s+│ [^│]+│\s+\S+ \S+ │\s+6 │/);
    const info = await ok(s("kv", "info", "config"));
    assert.match(info.stdout, /Backing Stream: KV_config/);
    assert.match(info.stdout, /Description: settings/);
  });

  it("kv watch prints changes; del, purge and rm", async () => {
    const watch = new Running(s("kv", "watch", "config", "color", "--count", "3"));
    await watch.waitFor(/\] PUT config > color: green/);
    await watch.waitFor(/Watching config > color/);
    await ok(s("kv", "put", "config", "color", "purple"));
    await ok(s("kv", "del", "config", "color", "-f"));
    const w = await watch.done;
    assert.equal(w.code, 0, w.stderr);
    const ops = lines(w.stdout).map((l) => l.replace(/^\[[^\]]+\] /, ""));
    assert.deepEqual(ops, ["PUT config > color: green", "PUT config > color: purple", "DEL config > color"]);

    const gone = await tsnats(s("kv", "get", "config", "color"));
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /KEY_NOT_FOUND/);
    await ok(s("kv", "purge", "config", "size", "-f"));
    const kv = await new NatsJsKvm(js).open("config");
    const purged = await kv.get("size");
    assert.ok(purged === null || purged.operation === "PURGE", "nats.js sees the purge");
    await ok(s("kv", "rm", "config", "-f"));
    const r = await tsnats(s("kv", "info", "config"));
    assert.match(r.stderr, /^tsnats: BUCKET_NOT_FOUND: /);
  });
});
