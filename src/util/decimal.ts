// Decimal numbers read from strings without slicing them (subject tokens, inbox tokens).

/** The decimal digits `s[from:to)` as a number, or -1 when that is empty or not all digits. */
export function decimalAt(s: string, from: number, to: number): number {
  if (from >= to) return -1;
  let v = 0;
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v;
}

/**
 * The decimal token that ends `subject` from `start` on (an inbox token: replies to requests and
 * to async publishes), or -1 when it is not one; at most 15 digits, so always an exact number.
 */
export function tokenAt(subject: string, start: number): number {
  return subject.length - start > 15 ? -1 : decimalAt(subject, start, subject.length);
}
