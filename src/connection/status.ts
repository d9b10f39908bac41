import { RingQueue } from "../util/queue.js";

/** A connection event, as yielded by `nc.status()` and passed to `nc.on()` listeners. */
export type Status =
  | { type: "disconnect"; server: string; error?: Error }
  | { type: "reconnecting"; server: string; attempt: number; delay: number }
  | { type: "reconnect"; server: string }
  | { type: "update"; added: string[]; deleted: string[] }
  | { type: "ldm"; server: string }
  | { type: "error"; error: Error }
  | { type: "slowConsumer"; subject: string; sid: number; dropped: number; error: Error }
  | { type: "staleConnection"; server: string }
  | { type: "close"; error?: Error };

export type StatusType = Status["type"];
type Listener = (s: Status) => void;

const ITERATOR_LIMIT = 4096;

/** Fans status events out to listeners and bounded async iterators. */
export class StatusEmitter {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly iterators = new Set<{ q: RingQueue<Status>; wake?: () => void }>();
  private done = false;

  on(type: StatusType | "*", fn: Listener): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  emit(s: Status): void {
    for (const key of [s.type, "*"]) {
      const set = this.listeners.get(key);
      if (!set) continue;
      for (const fn of [...set]) {
        try {
          fn(s);
        } catch {
          // a listener's failure must not break the connection
        }
      }
    }
    for (const it of this.iterators) {
      if (it.q.length >= ITERATOR_LIMIT) it.q.shift(); // bounded: the oldest event goes
      it.q.push(s);
      it.wake?.();
    }
    if (s.type === "close") this.end();
  }

  private end(): void {
    this.done = true;
    for (const it of this.iterators) it.wake?.();
  }

  iterate(): AsyncIterableIterator<Status> {
    const it: { q: RingQueue<Status>; wake?: () => void } = { q: new RingQueue<Status>() };
    this.iterators.add(it);
    const iterators = this.iterators;
    const isDone = () => this.done;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<Status>> {
        while (true) {
          const s = it.q.shift();
          if (s) return { value: s, done: false };
          if (isDone()) {
            iterators.delete(it);
            return { value: undefined, done: true };
          }
          await new Promise<void>((r) => (it.wake = r));
          it.wake = undefined;
        }
      },
      async return(): Promise<IteratorResult<Status>> {
        iterators.delete(it);
        it.wake?.();
        return { value: undefined, done: true };
      },
    };
  }
}
