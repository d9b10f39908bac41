// `tsnats bench` as child processes against a real nats-server: every bench runs to the end and
// prints figures that agree with each other (no wall-clock thresholds: rates are checked for being
// consistent with the counts and times printed, not for being fast).
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { useServer } from "../support/fixtures.js";
import { Running, lines, ok, tempDir, tsnats } from "./helpers.js";

interface Summary {
  msgs: number;
  bytes: number;
  seconds: number;
  msgsPerSec: number;
  mbPerSec: number;
  latency?: { count: number; min: number; avg: number; p50: number; p90: number; p99: number; p999: number; max: number };
}
interface BenchJson {
  benchmark: string;
  total: Summary;
  clients: Summary[];
  notes?: string[];
}

/** The closing line: "20,000 msgs in 35ms: 571,428 msgs/s, 36.57 MB/s (1.2 MiB)". */
function closingLine(stdout: string, unit: string): { msgs: number; rate: number; mb: number } {
  const m = new RegExp(`^([\\d,]+) ${unit} in \\S+: ([\\d,]+) ${unit}/s, ([\\d.]+) MB/s`, "m").exec(stdout);
  assert.ok(m, `closing line in:\n${stdout}`);
  const num = (s: string): number => Number(s.replace(/,/g, ""));
  return { msgs: num(m[1]!), rate: num(m[2]!), mb: Number(m[3]) };
}

function assertConsistent(t: Summary, msgs: number, size?: number): void {
  assert.equal(t.msgs, msgs);
  assert.ok(t.seconds > 0 && Number.isFinite(t.seconds));
  assert.ok(Math.abs(t.msgsPerSec * t.seconds - msgs) < 1e-6 * msgs + 1, "rate × time = messages");
  if (size !== undefined) assert.ok(Math.abs(t.mbPerSec - (t.msgsPerSec * size) / 1e6) < 1e-6 * t.mbPerSec + 1e-9, "MB/s = rate × size");
}

function assertLatency(l: Summary["latency"], count: number): void {
  assert.ok(l, "latency figures");
  assert.equal(l.count, count);
  assert.ok(l.min > 0, "min > 0");
  assert.ok(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max * 1.001, `ordered percentiles ${JSON.stringify(l)}`);
  assert.ok(l.avg >= l.min && l.avg <= l.max);
}

describe("tsnats bench", () => {
  const srv = useServer({ server: { jetstream: true } });
  const s = (...args: string[]): string[] => ["-s", srv.url, ...args];

  it("bench pub prints a plausible rate, per client and in all, and writes CSV", async () => {
    const dir = tempDir();
    const csv = join(dir, "pub.csv");
    const r = await ok(s("bench", "pub", "bench.pub", "--msgs", "20000", "--size", "64", "--csv", csv));
    assert.match(r.stderr, /Starting pub on "bench\.pub": 20,000 msgs of 64 B, 1 client/);
    assert.match(r.stdout, /Pub stats: 1 publisher, 64 B messages on "bench\.pub"/);
    assert.match(r.stdout, /│ #1\s+│ 20,000 │\s+[\d,]+ │\s+[\d.]+ │\s+\S+ │/);
    const c = closingLine(r.stdout, "msgs");
    assert.equal(c.msgs, 20_000);
    assert.ok(c.rate > 0 && Number.isFinite(c.rate), `a positive rate: ${c.rate}`);
    assert.ok(Math.abs(c.mb - (c.rate * 64) / 1e6) < 0.01 + c.mb * 0.01, "MB/s agrees with msgs/s × size");
    assert.doesNotMatch(r.stderr, /█/, "no progress bar without a terminal");
    const rows = readFileSync(csv, "utf8").trim().split("\n");
    assert.equal(rows.length, 3);
    assert.match(rows[0]!, /^benchmark,client,msgs,bytes,seconds,msgs_per_sec,mb_per_sec,lat_min_ms/);
    assert.match(rows[1]!, /^pub,1,20000,1280000,/);
    assert.match(rows[2]!, /^pub,total,20000,1280000,/);

    const j = JSON.parse((await ok(s("--json", "bench", "pub", "bench.pub", "--msgs", "9000", "--clients", "3", "--size", "16"))).stdout) as BenchJson;
    assert.equal(j.clients.length, 3);
    assert.deepEqual(j.clients.map((x) => x.msgs), [3000, 3000, 3000]);
    assertConsistent(j.total, 9000, 16);
    for (const x of j.clients) assertConsistent(x, 3000, 16);
  });

  it("bench sub counts what bench pub sends (every subscriber gets every message)", async () => {
    const sub = new Running(s("bench", "sub", "bench.fan", "--msgs", "5000", "--clients", "2"));
    await sub.waitFor(/Waiting for 5,000 messages on "bench\.fan" \(2 subscribers\)/);
    await ok(s("bench", "pub", "bench.fan", "--msgs", "5000", "--size", "32"));
    const r = await sub.done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /│ #1\s+│\s+5,000 │/);
    assert.match(r.stdout, /│ #2\s+│\s+5,000 │/);
    assert.equal(closingLine(r.stdout, "msgs").msgs, 10_000);
  });

  it("bench request against bench reply: rate and latency percentiles", async () => {
    const reply = new Running(s("bench", "reply", "bench.svc", "--msgs", "2000", "--size", "16"));
    await reply.waitFor(/Answering requests on "bench\.svc"/);
    const r = await ok(s("--json", "bench", "request", "bench.svc", "--msgs", "2000", "--clients", "2"));
    const j = JSON.parse(r.stdout) as BenchJson;
    assertConsistent(j.total, 2000);
    assertLatency(j.total.latency, 2000);
    for (const c of j.clients) assertLatency(c.latency, 1000);
    const rr = await reply.done;
    assert.equal(rr.code, 0, "bench reply ends after --msgs answers");
    assert.equal(closingLine(rr.stdout, "replies").msgs, 2000);

    const human = new Running(s("bench", "reply", "bench.svc2"));
    await human.waitFor(/Answering requests/);
    const h = await ok(s("bench", "request", "bench.svc2", "--msgs", "300"));
    assert.match(h.stdout, /│ Latency\s+│ Samples │\s+min │\s+avg │\s+p50 │\s+p90 │\s+p99 │\s+p99\.9 │\s+max │/);
    assert.match(h.stdout, /│ #1\s+│\s+300 │/);
    const stopped = await human.stop();
    assert.equal(stopped.code, 0, "Ctrl-C ends bench reply with its report");
    assert.equal(closingLine(stopped.stdout, "replies").msgs, 300);
  });

  it("bench js pub, js consume and js fetch", async () => {
    const pub = JSON.parse((await ok(s("--json", "bench", "js", "pub", "bench.js", "--msgs", "3000", "--clients", "2", "--storage", "memory", "--batch", "100"))).stdout) as BenchJson;
    assertConsistent(pub.total, 3000, 128);
    assertLatency(pub.total.latency, 3000);
    assert.match(pub.notes![0]!, /Stream benchstream now holds 3,000 messages \(3,000 added\)/);
    const sync = await ok(s("bench", "js", "pub", "bench.js", "--msgs", "200", "--batch", "1"));
    assert.match(sync.stdout, /Stream benchstream now holds 3,200 messages \(200 added\)/);
    assert.match(sync.stdout, /sync/);

    const consume = JSON.parse((await ok(s("--json", "bench", "js", "consume", "--msgs", "3000", "--clients", "2"))).stdout) as BenchJson;
    assertConsistent(consume.total, 3000);
    const fetch = JSON.parse((await ok(s("--json", "bench", "js", "fetch", "--msgs", "1000", "--batch", "100"))).stdout) as BenchJson;
    assertConsistent(fetch.total, 1000);
    assert.equal(fetch.total.latency?.count, 10, "one latency sample per fetch of 100");
    const ls = await ok(s("consumer", "ls", "benchstream", "--names"));
    assert.equal(ls.stdout, "", "the benches removed the consumers they made");
    const tooMany = await tsnats(s("bench", "js", "consume", "--msgs", "100000"));
    assert.equal(tooMany.code, 2);
    assert.match(tooMany.stderr, /holds 3,?200 messages, fewer than --msgs 100000/);
  });

  it("bench kv put then kv get", async () => {
    const put = JSON.parse((await ok(s("--json", "bench", "kv", "put", "--msgs", "400", "--clients", "2", "--keys", "50", "--size", "32"))).stdout) as BenchJson;
    assertConsistent(put.total, 400, 32);
    assertLatency(put.total.latency, 400);
    const get = await ok(s("bench", "kv", "get", "--msgs", "400", "--keys", "50"));
    assert.match(get.stdout, /KV get stats: 1 client reading benchbucket/);
    assert.equal(closingLine(get.stdout, "gets").msgs, 400);
    assert.doesNotMatch(get.stdout, /found no value/);
    const missing = await tsnats(s("bench", "kv", "get", "--bucket", "nosuch"));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tsnats: BUCKET_NOT_FOUND: .*bench kv put/);
  });

  it("bad bench flags are one-line usage errors", async () => {
    for (const args of [["--clients", "0"], ["--clients", "5", "--msgs", "2"], ["--size", "lots"]]) {
      const r = await tsnats(s("bench", "pub", "x", ...args));
      assert.equal(r.code, 2, args.join(" "));
      assert.equal(lines(r.stderr).length, 1);
      assert.match(r.stderr, /^tsnats: INVALID_ARGUMENT: /);
    }
  });
});
