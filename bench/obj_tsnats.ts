// tsnats' Object Store (tsnats/obj, the Node entry) behind adapter_obj.ts.
import type { connect } from "../src/index.js";
import { Objm } from "../src/obj/node.js";
import { readObjectToEnd, type BenchObjm } from "./adapter_obj.js";

type Connection = Awaited<ReturnType<typeof connect>>;

/** `new Objm(nc)`: `create(name, { storage })`, `putBlob`, `get()` read through `data`. */
export function tsnatsObjm(nc: Connection): BenchObjm {
  const objm = new Objm(nc);
  return {
    async create(bucket, storage) {
      const os = await objm.create(bucket, { storage });
      return {
        async put(name, data) {
          const i = await os.putBlob(name, data);
          return { size: i.size, chunks: i.chunks };
        },
        async read(name) {
          const r = await os.get(name);
          if (!r) throw new Error(`object ${name} not found`);
          return readObjectToEnd(r);
        },
      };
    },
    async delete(bucket) {
      await objm.delete(bucket);
    },
  };
}
