// Records keyed by increasing integer tokens (0, 1, 2, ...) where most are removed soon and in
// about the order they were added: async-publish acks. A ring of slots indexed by the token's low
// bits holds them; a record still there when its slot comes round again moves to a Map. Unlike a
// Map under steady add/remove churn, the ring allocates nothing per record and keeps one array for
// good, instead of a new hash table every few thousand records that the garbage collector must
// copy (with thousands in flight, those tables outlived young-generation collections).

/** A record that knows its own token. */
export interface Tokened {
  token: number;
}

const MIN_SLOTS = 64;

export class TokenTable<T extends Tokened> {
  #slots: (T | undefined)[] = new Array<T | undefined>(MIN_SLOTS).fill(undefined);
  #mask = MIN_SLOTS - 1;
  /** The most slots the ring grows to. */
  readonly #maxSlots: number;
  /** Records whose slot was needed for a later token. */
  readonly #spill = new Map<number, T>();
  #size = 0;

  /**
   * `expected`: about how many records are held at once at most. The ring starts small and
   * doubles while it is more than half full, up to twice that (a power of 2); beyond, stragglers
   * spill into the Map.
   */
  constructor(expected: number) {
    let n = MIN_SLOTS;
    while (n < expected * 2) n *= 2;
    this.#maxSlots = n;
  }

  get size(): number {
    return this.#size;
  }

  /** Adds `r` under `r.token`, which must not be held already. */
  set(r: T): void {
    if (this.#size >= this.#slots.length >> 1 && this.#slots.length < this.#maxSlots) this.#grow();
    const i = r.token & this.#mask;
    const old = this.#slots[i];
    if (old !== undefined) this.#spill.set(old.token, old);
    this.#slots[i] = r;
    this.#size++;
  }

  get(token: number): T | undefined {
    const r = this.#slots[token & this.#mask];
    if (r !== undefined && r.token === token) return r;
    return this.#spill.size === 0 ? undefined : this.#spill.get(token);
  }

  /** Removes and returns the record of `token`, if held. */
  take(token: number): T | undefined {
    const i = token & this.#mask;
    const r = this.#slots[i];
    if (r !== undefined && r.token === token) {
      this.#slots[i] = undefined;
      this.#size--;
      return r;
    }
    if (this.#spill.size === 0) return undefined;
    const s = this.#spill.get(token);
    if (s !== undefined) {
      this.#spill.delete(token);
      this.#size--;
    }
    return s;
  }

  /** Every record held, in no particular order (a copy: the table may change meanwhile). */
  values(): T[] {
    const out: T[] = [];
    if (this.#size === 0) return out;
    for (const r of this.#slots) if (r !== undefined) out.push(r);
    for (const r of this.#spill.values()) out.push(r);
    return out;
  }

  #grow(): void {
    const old = this.#slots;
    const n = old.length * 2;
    this.#slots = new Array<T | undefined>(n).fill(undefined);
    this.#mask = n - 1;
    // a token's new slot keeps its old slot's low bits: records of different slots never meet
    for (const r of old) if (r !== undefined) this.#slots[r.token & this.#mask] = r;
  }

  clear(): void {
    this.#slots.fill(undefined);
    this.#spill.clear();
    this.#size = 0;
  }
}
