// The Object Store cases (`--case obj-`), written once against adapter_obj.ts.
//
// Each run creates its bucket (file storage, 128 KiB chunks: every client's default) before its
// warm-up and deletes it after the timed part. Three objects of `size` bytes per run (--quick: 8
// MiB), after a warm-up of three (warmCount; one before NOTES.md §18): a single 64 MiB object took
// 0.1-0.2 s, about as long as a JIT-compiled client takes to warm up (NOTES.md §11):
//   obj-put-64MiB-file   put of the object from bytes in memory (putBlob / PutBytes), timed until
//                        the put resolved (every chunk and the info acknowledged); warm-up: puts
//   obj-get-64MiB-file   get of an object put before, read to its end as a stream (bytes counted,
//                        not kept; the client checks the digest); warm-up: gets
// The figure is MB/s (10^6 bytes/s); msgs/s counts objects.
import type { CaseSpec } from "./adapter.js";
import type { BenchObjStore } from "./adapter_obj.js";
import type { Measured, RunContext } from "./cases.js";
import { MiB, streamName } from "./util.js";

const CHUNK = 128 * 1024;
/** Objects put or read in the timed part of a run. */
const OBJECTS = 3;

export function objCases(quick: boolean): CaseSpec[] {
  const size = quick ? 8 * MiB : 64 * MiB;
  const label = `${size / MiB}MiB`;
  return [
    {
      id: `obj-put-${label}-file`, kind: "objput", size, count: OBJECTS, storage: "file",
      description: `put of ${OBJECTS} objects of ${label} from memory, one at a time, 128 KiB chunks (file storage)`,
    },
    {
      id: `obj-get-${label}-file`, kind: "objget", size, count: OBJECTS, storage: "file",
      description: `get of an object of ${label} read to its end as a stream, ${OBJECTS} times, 128 KiB chunks (file storage)`,
    },
  ];
}

async function withObjStore(ctx: RunContext, body: (os: BenchObjStore) => Promise<Measured>): Promise<Measured> {
  const conn = await ctx.open("obj");
  const objm = await conn.obj();
  const bucket = streamName(ctx.tag);
  const os = await objm.create(bucket, ctx.spec.storage ?? "file");
  try {
    return await body(os);
  } finally {
    await objm.delete(bucket).catch(() => undefined);
  }
}

async function put(os: BenchObjStore, name: string, data: Uint8Array): Promise<void> {
  const i = await os.put(name, data);
  const chunks = Math.ceil(data.length / CHUNK);
  if (i.size !== data.length || i.chunks !== chunks) throw new Error(`put ${name}: ${i.size} bytes in ${i.chunks} chunks, expected ${data.length} in ${chunks}`);
}

async function read(os: BenchObjStore, name: string, size: number): Promise<void> {
  const n = await os.read(name);
  if (n !== size) throw new Error(`get ${name}: ${n} bytes, expected ${size}`);
}

async function runObjPut(ctx: RunContext): Promise<Measured> {
  return withObjStore(ctx, async (os) => {
    for (let i = 0; i < ctx.warm; i++) await put(os, `warm-${i}`, ctx.data);
    ctx.start();
    for (let i = 0; i < ctx.spec.count; i++) await put(os, `obj-${i}`, ctx.data);
    return { done: ctx.spec.count, elapsedMs: ctx.stop() };
  });
}

async function runObjGet(ctx: RunContext): Promise<Measured> {
  return withObjStore(ctx, async (os) => {
    await put(os, "obj", ctx.data);
    for (let i = 0; i < ctx.warm; i++) await read(os, "obj", ctx.spec.size);
    ctx.start();
    for (let i = 0; i < ctx.spec.count; i++) await read(os, "obj", ctx.spec.size);
    return { done: ctx.spec.count, elapsedMs: ctx.stop() };
  });
}

export const objBodies = {
  objput: runObjPut,
  objget: runObjGet,
} satisfies Partial<Record<CaseSpec["kind"], (ctx: RunContext) => Promise<Measured>>>;
