// Run by shapes.test.ts as `node --allow-natives-syntax --expose-gc shapes_child.js`: constructs
// classes one instance at a time, each dropped and collected before the next (as a process does
// with one consumer after another), and prints, per class, whether each instance has fast
// properties ("F") or is a dictionary object ("D").
import { PullEngine } from "../../src/jetstream/pull_engine.js";
import { ConsumerMessages } from "../../src/jetstream/consumer_messages.js";
import type { JsApi } from "../../src/jetstream/api.js";
import type { PullSettings } from "../../src/jetstream/pull_options.js";

// natives syntax parses only at run time, in a process started with --allow-natives-syntax
const hasFastProperties = new Function("o", "return %HasFastProperties(o)") as (o: object) => boolean;
const gc = (globalThis as { gc?: () => void }).gc!;
const INSTANCES = 10;

/** A class with `n` `#` fields (and nothing else), built at run time. */
function classWithPrivateFields(n: number): new () => object {
  const fields = Array.from({ length: n }, (_, i) => `#f${i} = ${i};`).join(" ");
  return new Function(`return class { ${fields} touch() { return this.#f0; } }`)() as new () => object;
}

const settings: PullSettings = { maxMessages: 100, maxBytes: 0, bytesMode: false, expires: 30_000, heartbeat: 15_000, thresholdMessages: 50, thresholdBytes: 0 };
const api = { nc: { createInbox: () => "_INBOX.shapes" }, subject: (s: string) => `$JS.API.${s}` } as unknown as JsApi;

const makers: Record<string, () => object> = {
  "15 # fields": ((C) => () => new C())(classWithPrivateFields(15)),
  "16 # fields": ((C) => () => new C())(classWithPrivateFields(16)),
  PullEngine: () => new PullEngine(api, "S", "C", settings, "consume", new ConsumerMessages()),
};

// one instance at a time: nothing of the class stays alive between constructions
function construct(make: () => object): string {
  return hasFastProperties(make()) ? "F" : "D";
}

const result: Record<string, string> = {};
for (const [name, make] of Object.entries(makers)) {
  let flags = "";
  for (let i = 0; i < INSTANCES; i++) {
    flags += construct(make);
    for (let k = 0; k < 8; k++) {
      gc();
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  result[name] = flags;
}
console.log(JSON.stringify(result));
