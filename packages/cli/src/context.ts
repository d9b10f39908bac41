// `tsnats context add|ls|select|info|rm`: named connection settings saved in the config directory
// ($TSNATS_CONFIG_DIR, else $XDG_CONFIG_HOME/tsnats, else ~/.config/tsnats). Each context is a JSON
// file written with mode 0600 (it may hold a password or token) in a 0700 directory; secrets are
// never printed.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Command } from "commander";
import { CliError, UsageError, printInfo, printJson, printTable } from "./output.js";
import { action, confirm } from "./options.js";

/** What a context saves; field names follow the JSON on disk. */
export interface ContextData {
  description?: string;
  url?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  cert?: string;
  key?: string;
  ca?: string;
  jetstream_domain?: string;
  jetstream_api_prefix?: string;
  inbox_prefix?: string;
}

const FIELDS: (keyof ContextData)[] = ["description", "url", "user", "password", "token", "creds", "nkey", "cert", "key", "ca", "jetstream_domain", "jetstream_api_prefix", "inbox_prefix"];
const SECRET: (keyof ContextData)[] = ["password", "token"];

/** The directory holding the contexts. */
export function configDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.TSNATS_CONFIG_DIR) return env.TSNATS_CONFIG_DIR;
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "tsnats");
}

function contextsDir(): string {
  return join(configDir(), "contexts");
}

function contextFile(name: string): string {
  return join(contextsDir(), `${name}.json`);
}

function selectedFile(): string {
  return join(configDir(), "context.txt");
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name.startsWith(".")) {
    throw new UsageError(`invalid context name "${name}": use letters, digits, '.', '_' and '-'`);
  }
}

/** Loads a saved context; throws CONTEXT_NOT_FOUND when it does not exist. */
export function loadContext(name: string): ContextData {
  checkName(name);
  const f = contextFile(name);
  if (!existsSync(f)) throw new CliError("CONTEXT_NOT_FOUND", `no context named "${name}"`, "list them with `tsnats context ls`");
  try {
    return JSON.parse(readFileSync(f, "utf8")) as ContextData;
  } catch (err) {
    throw new CliError("CONTEXT_INVALID", `context "${name}" cannot be read: ${(err as Error).message}`, `fix or remove ${f}`);
  }
}

/** The selected context's name, if one is selected and still exists. */
export function selectedContext(): string | undefined {
  try {
    const name = readFileSync(selectedFile(), "utf8").trim();
    return name && existsSync(contextFile(name)) ? name : undefined;
  } catch {
    return undefined;
  }
}

function listContexts(): string[] {
  try {
    return readdirSync(contextsDir()).filter((f) => f.endsWith(".json")).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

/** Writes a file readable by its owner only, atomically (temp file + rename). */
function writePrivate(file: string, text: string): void {
  mkdirSync(contextsDir(), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

function saveContext(name: string, data: ContextData): void {
  writePrivate(contextFile(name), `${JSON.stringify(data, null, 2)}\n`);
}

function select(name: string): void {
  mkdirSync(configDir(), { recursive: true, mode: 0o700 });
  writeFileSync(selectedFile(), `${name}\n`, { mode: 0o600 });
}

/** A context as shown to people: secrets masked. */
function redacted(data: ContextData): ContextData {
  const out: ContextData = { ...data };
  for (const k of SECRET) if (out[k]) out[k] = "*********";
  return out;
}

interface AddFlags {
  server?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  jsDomain?: string;
  jsApiPrefix?: string;
  inboxPrefix?: string;
  description?: string;
  select?: boolean;
}

export function registerContext(program: Command): void {
  const ctx = program.command("context").description("Manage saved connection contexts (server and credentials)");

  ctx
    .command("add")
    .alias("save")
    .description("Save a context; the global connection flags given (--server, --user, --creds, ...) are stored in it")
    .argument("<name>", "context name")
    .option("--description <text>", "what this context is for")
    .option("--select", "select this context as the default")
    .action(
      action({ connect: false }, async (s, name: string) => {
        checkName(name);
        const f = s.opts as AddFlags;
        const existing = existsSync(contextFile(name)) ? loadContext(name) : {};
        const data: ContextData = { ...existing };
        const set = (k: keyof ContextData, v: string | undefined): void => {
          if (v !== undefined) data[k] = v;
        };
        set("description", f.description);
        set("url", f.server);
        set("user", f.user);
        set("password", f.password);
        set("token", f.token);
        set("creds", f.creds);
        set("nkey", f.nkey);
        set("cert", f.tlsCert);
        set("key", f.tlsKey);
        set("ca", f.tlsCa);
        set("jetstream_domain", f.jsDomain);
        set("jetstream_api_prefix", f.jsApiPrefix);
        set("inbox_prefix", f.inboxPrefix);
        for (const k of Object.keys(data) as (keyof ContextData)[]) if (!FIELDS.includes(k)) delete data[k];
        saveContext(name, data);
        if (f.select || !selectedContext()) select(name);
        if (s.json) printJson({ name, selected: selectedContext() === name, ...redacted(data) });
        else showContext(name, data);
      }),
    );

  ctx
    .command("ls")
    .alias("list")
    .description("List the saved contexts (* marks the selected one)")
    .action(
      action({ connect: false }, async (s) => {
        const names = listContexts();
        const current = selectedContext();
        if (s.json) {
          printJson(names.map((n) => ({ name: n, selected: n === current, ...redacted(safeLoad(n)) })));
          return;
        }
        if (!names.length) {
          console.log("No contexts saved: add one with `tsnats context add NAME --server URL`");
          return;
        }
        printTable(
          ["Name", "Description", "Server"],
          names.map((n) => {
            const c = safeLoad(n);
            return [n === current ? `${n}*` : n, c.description ?? "", c.url ?? ""];
          }),
          { title: "Known contexts" },
        );
      }),
    );

  ctx
    .command("select")
    .description("Select the default context")
    .argument("<name>", "context name")
    .action(
      action({ connect: false }, async (s, name: string) => {
        loadContext(name);
        select(name);
        if (s.json) printJson({ selected: name });
        else console.log(`Selected context "${name}"`);
      }),
    );

  ctx
    .command("info")
    .alias("show")
    .description("Show a context (the selected one by default); secrets are masked")
    .argument("[name]", "context name")
    .action(
      action({ connect: false }, async (s, name?: string) => {
        const n = name ?? selectedContext();
        if (!n) throw new CliError("CONTEXT_NOT_FOUND", "no context is selected", "select one with `tsnats context select NAME`");
        const data = loadContext(n);
        if (s.json) printJson({ name: n, selected: selectedContext() === n, ...redacted(data) });
        else showContext(n, data);
      }),
    );

  ctx
    .command("rm")
    .description("Remove a context")
    .argument("<name>", "context name")
    .option("-f, --force", "do not ask for confirmation")
    .action(
      action({ connect: false }, async (s, name: string) => {
        loadContext(name);
        await confirm(s, `Really remove the context "${name}"?`);
        const wasSelected = selectedContext() === name;
        rmSync(contextFile(name), { force: true });
        if (wasSelected) rmSync(selectedFile(), { force: true });
        if (s.json) printJson({ removed: name });
        else console.log(`Removed context "${name}"`);
      }),
    );
}

function safeLoad(name: string): ContextData {
  try {
    return loadContext(name);
  } catch {
    return { description: "(unreadable)" };
  }
}

function showContext(name: string, data: ContextData): void {
  const r = redacted(data);
  printInfo([
    [
      `Context "${name}"${selectedContext() === name ? " (selected)" : ""}`,
      [
        ["Description", r.description],
        ["Server URLs", r.url],
        ["Username", r.user],
        ["Password", r.password],
        ["Token", r.token],
        ["Credentials", r.creds],
        ["NKey", r.nkey],
        ["TLS Certificate", r.cert],
        ["TLS Key", r.key],
        ["TLS CA", r.ca],
        ["JetStream Domain", r.jetstream_domain],
        ["JetStream API Prefix", r.jetstream_api_prefix],
        ["Inbox Prefix", r.inbox_prefix],
        ["Path", contextFile(name)],
      ],
    ],
  ]);
}
