// Progress bars on stderr, only when it is a terminal (and not with --no-progress or --json);
// otherwise a no-op, and the command prints plain lines instead.
import cliProgress from "cli-progress";
import { humanBytes } from "./output.js";

export interface Progress {
  /** True when a bar is actually drawn. */
  readonly active: boolean;
  increment(n?: number): void;
  update(value: number): void;
  setTotal(total: number): void;
  /** Draws the final state and leaves the line in place. */
  stop(): void;
}

const none: Progress = { active: false, increment() {}, update() {}, setTotal() {}, stop() {} };

/** Whether progress bars should be drawn for a run with these flags. */
export function wantProgress(flags: { progress?: boolean; json?: boolean }): boolean {
  return Boolean(process.stderr.isTTY) && flags.progress !== false && !flags.json;
}

/** A bar counting messages or bytes towards `total`, or a no-op when `enabled` is false. */
export function progressBar(opts: { label: string; total: number; enabled: boolean; unit?: "msgs" | "bytes" }): Progress {
  if (!opts.enabled) return none;
  const bytes = opts.unit === "bytes";
  const fmt = (v: number): string => (bytes ? humanBytes(v) : v.toLocaleString("en-US"));
  const bar = new cliProgress.SingleBar(
    {
      format: `${opts.label} {bar} {percentage}% | {shown} | {rate} | ETA {eta_formatted}`,
      stream: process.stderr,
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 50,
      fps: 10,
      barCompleteChar: "█",
      barIncompleteChar: "░",
      autopadding: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = performance.now();
  let value = 0;
  let total = Math.max(opts.total, 1);
  const payload = (): Record<string, string> => {
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0 ? value / secs : 0;
    return { shown: `${fmt(value)}/${fmt(total)}`, rate: `${fmt(Math.round(rate))}/s` };
  };
  bar.start(total, 0, payload());
  return {
    active: true,
    increment(n = 1) {
      value += n;
      bar.update(value, payload());
    },
    update(v) {
      value = v;
      bar.update(value, payload());
    },
    setTotal(t) {
      total = Math.max(t, 1);
      bar.setTotal(total);
    },
    stop() {
      bar.update(value, payload());
      bar.stop();
    },
  };
}
