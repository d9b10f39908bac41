// The seam of the Object Store cases (cases_obj.ts), beside adapter.ts and adapter_js.ts:
// `BenchConn.obj()` gives a `BenchObjm`. Each client puts bytes and reads an object back as a
// stream the way its README shows, so the timed part is the client's own chunking, hashing,
// publishing and reading.

export interface BenchObjStore {
  /** Puts `data` as the object `name` (the client's putBlob / PutBytes); resolves to what its info says. */
  put(name: string, data: Uint8Array): Promise<{ size: number; chunks: number }>;
  /** Reads the object `name` to its end as a stream (not kept), digest checked; resolves to the bytes read. */
  read(name: string): Promise<number>;
}

export interface BenchObjm {
  /** Creates the bucket (the client's defaults: 128 KiB chunks) and opens it. */
  create(name: string, storage: "memory" | "file"): Promise<BenchObjStore>;
  delete(name: string): Promise<void>;
}

/**
 * Reads an object result (`data` a web stream, `error` its outcome: digest and size checked) to
 * its end, keeping nothing; resolves to the bytes read. tsnats and nats.js both give this shape.
 */
export async function readObjectToEnd(r: { data: ReadableStream<Uint8Array>; error: Promise<Error | null> }): Promise<number> {
  const reader = r.data.getReader();
  let n = 0;
  for (;;) {
    const x = await reader.read();
    if (x.done) break;
    n += x.value.length;
  }
  const err = await r.error;
  if (err) throw err;
  return n;
}
