import { InvalidArgumentError } from "./errors.js";

/** Turns values into payload bytes and back. */
export interface Codec<T> {
  encode(value: T): Uint8Array;
  decode(data: Uint8Array): T;
}

const te = new TextEncoder();
const td = new TextDecoder();

/** UTF-8 strings. */
export function StringCodec(): Codec<string> {
  return {
    encode: (v) => te.encode(v),
    decode: (d) => td.decode(d),
  };
}

/** JSON values (UTF-8). Decoding an empty payload gives `undefined`. */
export function JSONCodec<T = unknown>(reviver?: (key: string, value: unknown) => unknown): Codec<T> {
  return {
    encode: (v) => te.encode(JSON.stringify(v)),
    decode: (d) => {
      try {
        return (d.length ? JSON.parse(td.decode(d), reviver) : undefined) as T;
      } catch (err) {
        throw new InvalidArgumentError(`payload is not valid JSON: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
