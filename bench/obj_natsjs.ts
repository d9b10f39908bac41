// nats.js v3's Object Store (@nats-io/obj) behind adapter_obj.ts; imported when first used, so
// without the package the cases fail saying so.
import type { NatsConnection } from "@nats-io/transport-node";
import { readObjectToEnd, type BenchObjm } from "./adapter_obj.js";

/** `new Objm(nc)`: `create(name, { storage })`, `putBlob`, `get()` read through `data`. */
export async function natsJsObjm(nc: NatsConnection): Promise<BenchObjm> {
  const mod = await import("@nats-io/obj");
  const { StorageType } = await import("@nats-io/jetstream");
  const objm = new mod.Objm(nc);
  return {
    async create(bucket, storage) {
      const os = await objm.create(bucket, { storage: storage === "file" ? StorageType.File : StorageType.Memory });
      return {
        async put(name, data) {
          const i = await os.putBlob({ name }, data);
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
      // nats.js' Objm has no delete: the store's destroy() deletes its stream
      await (await objm.open(bucket)).destroy();
    },
  };
}
