/**
 * Headless Chromium for browser tests: Debian's /usr/bin/chromium (or `CHROMIUM_BIN`) driven by
 * playwright-core, with a fresh user-data-dir per launch, and a tiny static HTTP server on
 * 127.0.0.1 for the page and its scripts. Chromium is never downloaded: when it is missing the
 * caller gets an error saying how to install it.
 */
import { accessSync, constants as fsConstants, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_BIN ?? "/usr/bin/chromium";

const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Throws a clear error when the Chromium binary is missing or not executable. */
export function requireChromium(): string {
  try {
    accessSync(CHROMIUM_PATH, fsConstants.X_OK);
  } catch (err) {
    throw new Error(
      `Chromium is needed for the browser test but ${CHROMIUM_PATH} is missing or not executable (${(err as Error).message}). ` +
        "Install Debian's package (`apt-get install -y chromium`, or run `node scripts/setup.mjs` as root), or set CHROMIUM_BIN.",
    );
  }
  return CHROMIUM_PATH;
}

export interface Chromium {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh, temporary user-data-dir. */
export async function launchChromium(): Promise<Chromium> {
  const executablePath = requireChromium();
  const profile = mkdtempSync(join(tmpdir(), "tsnats-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, { executablePath, headless: true, args: ARGS, timeout: 20_000 });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw new Error(`could not launch ${executablePath}: ${(err as Error).message}`, { cause: err });
  }
  return {
    context,
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}

export interface StaticFile {
  type: string;
  body: string | Uint8Array;
}

export interface StaticServer {
  /** "http://127.0.0.1:<port>" */
  origin: string;
  close(): Promise<void>;
}

/** Serves `files` (keyed by path, e.g. "/index.html") on 127.0.0.1; anything else is a 404. */
export async function serveStatic(files: Record<string, StaticFile>): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const f = files[path];
    if (!f) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      return;
    }
    res.writeHead(200, { "content-type": f.type, "cache-control": "no-store" }).end(f.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
