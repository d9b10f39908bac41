// When the event loop has a turn for us: a macrotask after the current I/O (setImmediate where the
// runtime has it, else a zero timeout).

/** True where the runtime has setImmediate (Node): a later turn then costs no timer clamp. */
export const hasImmediate = typeof (globalThis as { setImmediate?: unknown }).setImmediate === "function";

/** Runs `fn` in a later turn of the event loop (after the I/O callbacks of this one). */
export const later: (fn: () => void) => void = hasImmediate
  ? (fn) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(fn)
  : (fn) => setTimeout(fn, 0);
