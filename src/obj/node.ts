// tsnats/obj for Node.js: everything of index.ts, with an Objm whose stores hash with node:crypto,
// read and write files (putFile/getFile) and give Node Readables (ObjectResult.readable()).
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { open, rm } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { streamChunks, type ObjIo } from "./io.js";
import { Objm as PortableObjm } from "./objm.js";

export * from "./index.js";

declare module "./types.js" {
  /** In Node.js, `ObjectResult.readable()` is a `stream.Readable`. */
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- merges into types.ts's declaration
  interface NodeReadable extends Readable {}
}

const nodeIo: ObjIo = {
  sha256() {
    const h = createHash("sha256");
    return {
      update: (data) => void h.update(data),
      digest: () => new Uint8Array(h.digest()),
    };
  },
  async openFile(path, chunk) {
    // open first, so a missing file rejects here rather than in the middle of the put
    const fh = await open(path, "r");
    return createReadStream("", { fd: fh, highWaterMark: chunk });
  },
  writeFile(path, data) {
    return pipeline(Readable.from(streamChunks(data), { objectMode: false, highWaterMark: 64 * 1024 }), createWriteStream(path));
  },
  async removeFile(path) {
    await rm(path, { force: true }).catch(() => undefined);
  },
  toReadable(data, highWaterMark) {
    return Readable.from(streamChunks(data), { objectMode: false, highWaterMark });
  },
};

/** Creates, opens, lists and deletes object stores (Node.js: with files and Node streams). */
export class Objm extends PortableObjm {
  protected override get io(): ObjIo {
    return nodeIo;
  }
}
