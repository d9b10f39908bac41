// Interactive runs under a pseudo-terminal (util-linux `script`): the progress bar of `bench pub`
// and of `obj put`/`obj get` is drawn, reaches 100 %, and ends cleanly (cursor shown again, a
// newline, then the report); --no-progress draws none.
import { describe, it } from "node:test";
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { useServer } from "../support/fixtures.js";
import { CLI, childEnv, tempDir } from "./helpers.js";

const SHOW_CURSOR = "\x1b[?25h";
const HIDE_CURSOR = "\x1b[?25l";

const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** Runs `tsnats ARGS` with its stdio on a pseudo-terminal; resolves to the exit code and what the terminal showed. */
function inTerminal(args: string[], dir: string, timeout = 30_000): Promise<{ code: number | null; screen: string }> {
  const log = join(dir, `typescript-${Date.now()}-${Math.random().toString(36).slice(2)}`);
  const cmd = [process.execPath, CLI, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qefc", cmd, log], { env: { ...childEnv(), COLUMNS: "120", LINES: "40", TERM: "xterm" }, stdio: ["pipe", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no exit within ${timeout} ms: ${err}`));
    }, timeout);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, screen: readFileSync(log, "utf8") });
    });
  });
}

describe("tsnats under a terminal", () => {
  const srv = useServer({ server: { jetstream: true } });

  it("bench pub draws a progress bar that reaches 100% and ends cleanly before the report", async () => {
    const dir = tempDir();
    const { code, screen } = await inTerminal(["-s", srv.url, "bench", "pub", "tty.bench", "--msgs", "200000", "--size", "16"], dir);
    assert.equal(code, 0, screen);
    const hide = screen.indexOf(HIDE_CURSOR);
    const show = screen.lastIndexOf(SHOW_CURSOR);
    assert.ok(hide >= 0, `the bar hides the cursor while it draws:\n${screen}`);
    assert.ok(show > hide, "and shows it again when done");
    const bar = screen.slice(hide, show);
    assert.match(bar, /pub [█░]+ +\d+% \| [\d,]+\/200,000 \| [\d,]+\/s/, "bar, percentage, counts and rate");
    const frames = bar.split("\x1b[1G").filter((f) => f.includes("%"));
    assert.match(frames.at(-1)!, /pub █{30} 100% \| 200,000\/200,000 \|/, "the last frame is complete");
    const after = screen.slice(show);
    assert.match(after, /^[^\n]*\r?\n/, "a newline right after the bar");
    assert.match(after, /Pub stats: 1 publisher/);
    assert.match(after, /200,000 msgs in \S+: [\d,]+ msgs\/s/);
    assert.doesNotMatch(after, /█/, "no bar frame after the report starts");
  });

  it("obj put and get show byte progress; --no-progress draws nothing", async () => {
    const dir = tempDir();
    const file = join(dir, "data.bin");
    writeFileSync(file, randomBytes(2 * 1024 * 1024));
    const s = ["-s", srv.url];
    const add = await inTerminal([...s, "obj", "add", "ttyfiles"], dir);
    assert.equal(add.code, 0, add.screen);
    const put = await inTerminal([...s, "obj", "put", "ttyfiles", file], dir);
    assert.equal(put.code, 0, put.screen);
    assert.match(put.screen, /put data\.bin █{30} 100% \| 2\.0 MiB\/2\.0 MiB \|/);
    assert.ok(put.screen.lastIndexOf(SHOW_CURSOR) < put.screen.indexOf("Object information for ttyfiles > data.bin"), "the bar ends before the info");
    const out = join(dir, "back.bin");
    const get = await inTerminal([...s, "obj", "get", "ttyfiles", "data.bin", "-O", out], dir);
    assert.equal(get.code, 0, get.screen);
    assert.match(get.screen, /get data\.bin █{30} 100% \| 2\.0 MiB\/2\.0 MiB \|/);
    assert.ok(readFileSync(out).equals(readFileSync(file)));
    const quiet = await inTerminal([...s, "obj", "get", "ttyfiles", "data.bin", "-O", out, "--no-progress"], dir);
    assert.equal(quiet.code, 0, quiet.screen);
    assert.doesNotMatch(quiet.screen, /█|\x1b\[\?25l/);
    assert.match(quiet.screen, /Wrote 2\.0 MiB to /);
  });
});
