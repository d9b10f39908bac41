// kv.create() under contention against a real nats-server (current): 50 concurrent workers (on
// several connections) racing create / delete / purge on the same few keys. A create either stores
// (and then the key's previous entry was nothing, a DEL or a PURGE) or fails with KEY_EXISTS — never
// with the raw wrong-last-sequence error or anything else; exactly one of 50 simultaneous creates of
// a new, a deleted or a purged key wins.
import { describe, it, before } from "node:test";
import { strict as assert } from "node:assert";
import { NatsError, type NatsConnection } from "../../src/index.js";
import { Kvm, KeyExistsError, type Bucket } from "../../src/kv/index.js";
import { useServer } from "../support/fixtures.js";
import { range } from "../support/helpers.js";
import { uniq } from "./helpers.js";

const WORKERS = 50;
const CONNECTIONS = 5;
const ROUNDS = 30;
const KEYS = ["k0", "k1", "k2"];

interface Event {
  key: string;
  op: "create" | "delete" | "purge";
  revision: number;
}

describe("KV create races", () => {
  const srv = useServer({ server: { jetstream: true } });
  /** One bucket handle per connection. */
  let handles: Bucket[];
  let kvm: Kvm;
  before(async () => {
    const conns: NatsConnection[] = await Promise.all(range(CONNECTIONS).map(() => srv.connect()));
    kvm = new Kvm(conns[0]!);
    const b = uniq("RACE");
    await kvm.create(b, { storage: "memory" });
    handles = await Promise.all(conns.map((nc) => new Kvm(nc).open(b)));
  });

  /** Runs `n` workers at once; each calls `work(handle, worker)`. */
  const all = (n: number, work: (kv: Bucket, w: number) => Promise<void>): Promise<void[]> => Promise.all(range(n).map((w) => work(handles[w % CONNECTIONS]!, w)));

  it(`${WORKERS} workers racing create/delete/purge: create fails only with KEY_EXISTS`, async () => {
    const events: Event[] = [];
    const unexpected: unknown[] = [];
    let exists = 0;
    await all(WORKERS, async (kv, w) => {
      for (let i = 0; i < ROUNDS; i++) {
        const key = KEYS[(w + i) % KEYS.length]!;
        const roll = (w * 7 + i * 13) % 10;
        try {
          if (roll < 6) events.push({ key, op: "create", revision: await kv.create(key, `w${w} r${i}`) });
          else if (roll < 9) events.push({ key, op: "delete", revision: await kv.delete(key) });
          else events.push({ key, op: "purge", revision: await kv.purge(key) });
        } catch (err) {
          if (err instanceof KeyExistsError && roll < 6) exists++;
          else unexpected.push(err);
        }
      }
    });
    assert.deepEqual(
      unexpected.map((e) => (e instanceof NatsError ? `${e.code}: ${e.message}` : String(e))),
      [],
      "no error but KEY_EXISTS from a create",
    );
    const creates = events.filter((e) => e.op === "create").length;
    assert.ok(creates > 0 && exists > 0, `both outcomes happened (${creates} created, ${exists} KEY_EXISTS)`);
    assert.equal(events.length + exists, WORKERS * ROUNDS);
    // per key, in revision order: between two successful creates there is a delete or a purge
    for (const key of KEYS) {
      const seq = events.filter((e) => e.key === key).sort((a, b) => a.revision - b.revision);
      assert.equal(new Set(seq.map((e) => e.revision)).size, seq.length, "revisions are unique");
      let live = false;
      for (const e of seq) {
        if (e.op === "create") {
          assert.ok(!live, `${key}: create at revision ${e.revision} over a live value`);
          live = true;
        } else live = false;
      }
    }
  });

  it(`${WORKERS} simultaneous creates of a new, a deleted and a purged key: exactly one wins each time`, async () => {
    const kv = handles[0]!;
    const race = async (key: string): Promise<number> => {
      let won = 0;
      const other: unknown[] = [];
      await all(WORKERS, async (h, w) => {
        try {
          await h.create(key, `worker ${w}`);
          won++;
        } catch (err) {
          if (!(err instanceof KeyExistsError)) other.push(err);
        }
      });
      assert.deepEqual(other.map(String), [], `${key}: only KEY_EXISTS`);
      return won;
    };
    assert.equal(await race("fresh"), 1, "a new key");
    await kv.delete("fresh");
    assert.equal(await race("fresh"), 1, "a deleted key");
    await kv.purge("fresh");
    assert.equal(await race("fresh"), 1, "a purged key");
    assert.match((await kv.get("fresh"))!.string(), /^worker \d+$/);
  });
});
