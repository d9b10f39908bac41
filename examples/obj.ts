// A runnable Object Store tour: `node build/examples/obj.js` with $NATS_URL pointing at a
// nats-server with JetStream (`nats-server -js`). Puts a 3 MiB file from a Node stream, gets it back
// into another file and checks its SHA-256, links to it from another bucket, watches the changes,
// and cleans up.
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { connect } from "../src/index.js";
import { Objm } from "../src/obj/node.js";

const url = process.env.NATS_URL ?? "nats://127.0.0.1:4222";
const nc = await connect({ servers: url });
const objm = new Objm(nc);
const suffix = Date.now().toString(36);
const files = await objm.create(`tour_files_${suffix}`, { description: "tour" });
const links = await objm.create(`tour_links_${suffix}`);
const dir = mkdtempSync(join(tmpdir(), "tsnats-obj-tour-"));
const sha = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

try {
  const src = join(dir, "data.bin");
  writeFileSync(src, randomBytes(3 * 1024 * 1024));

  const watcher = await files.watch({ updatesOnly: true });
  const changes: string[] = [];
  const watching = (async () => {
    for await (const i of watcher) changes.push(`${i.name}${i.deleted ? " (deleted)" : ""}`);
  })();

  const info = await files.put({ name: "data/3 MiB ✓.bin", metadata: { source: "tour" } }, createReadStream(src));
  console.log(`put ${info.size} bytes in ${info.chunks} chunks, digest ${info.digest}`);

  const dst = join(dir, "copy.bin");
  const r = await files.get("data/3 MiB ✓.bin");
  if (!r) throw new Error("the object is missing");
  await pipeline(r.readable(), createWriteStream(dst));
  const err = await r.error;
  if (err) throw err;
  console.log(`get: ${sha(dst) === sha(src) ? "same bytes" : "DIFFERENT bytes"} (sha256 ${sha(dst).slice(0, 16)}…)`);

  await links.link("latest", info);
  console.log(`link: ${(await links.getBlob("latest"))?.length} bytes through ${links.bucket}/latest`);

  await files.putString("notes.txt", "hello");
  await files.delete("notes.txt");
  await new Promise((resolve) => setTimeout(resolve, 200));
  await watcher.stop();
  await watching;
  console.log(`watch saw: ${changes.join(", ")}`);
  console.log(`objects: ${(await files.list()).map((i) => i.name).join(", ")}`);
} finally {
  await files.destroy();
  await links.destroy();
  rmSync(dir, { recursive: true, force: true });
  await nc.close();
}
