#!/usr/bin/env node
// The `tsnats` command: global flags, the command groups, and one-line errors for bad usage.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { registerBench } from "./bench/index.js";
import { registerConsumer } from "./consumer.js";
import { registerContext } from "./context.js";
import { registerKv } from "./kv.js";
import { registerMicro } from "./micro.js";
import { registerObj } from "./obj.js";
import { addGlobalOptions, reportError } from "./options.js";
import { registerPub } from "./pub.js";
import { registerReply } from "./reply.js";
import { registerReq } from "./req.js";
import { registerRtt } from "./rtt.js";
import { registerServer } from "./server.js";
import { registerStream } from "./stream.js";
import { registerSub } from "./sub.js";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

function build(): Command {
  const program = new Command("tsnats");
  program
    .description("NATS from the command line: publish, subscribe, request, JetStream streams and consumers, KV, Object Store, services and benchmarks")
    .version(pkg.version, "-v, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .exitOverride()
    .configureOutput({ outputError: () => undefined })
    .showSuggestionAfterError(true);
  addGlobalOptions(program);
  program.addHelpText(
    "after",
    `
Environment: NATS_URL, NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY, NATS_CA, NATS_CERT,
NATS_KEY, NATS_TIMEOUT, NATS_CONTEXT. Flags win over the environment, which wins over the context.

Examples:
  tsnats sub "orders.>"                      print messages as they arrive
  tsnats pub orders.new '{"id":{{Count}}}' --count 10
  tsnats req time.now "" --timeout 2s
  tsnats stream add ORDERS --subjects "orders.>" --storage file
  tsnats kv put config color blue
  tsnats bench pub test --clients 4 --msgs 100000 --size 128`,
  );
  registerContext(program);
  registerPub(program);
  registerSub(program);
  registerReq(program);
  registerReply(program);
  registerRtt(program);
  registerServer(program);
  registerStream(program);
  registerConsumer(program);
  registerKv(program);
  registerObj(program);
  registerMicro(program);
  registerBench(program);
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = build();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (["commander.helpDisplayed", "commander.version", "commander.help"].includes(err.code) && err.exitCode === 0) return;
      if (err.code === "commander.help" || err.code === "commander.executeSubCommandAsync") {
        process.exitCode = err.exitCode || 1;
        return;
      }
      const message = err.message.replace(/^error:\s*/, "");
      const cmdPath = commandPath(program, argv.slice(2));
      reportError({ code: "INVALID_ARGUMENT", message, hint: `see \`${cmdPath} --help\`` }, argv.includes("--json"), false);
      process.exitCode = 2;
      return;
    }
    reportError(err, argv.includes("--json"), argv.includes("--trace"));
    process.exitCode = 1;
  }
}

/** "tsnats stream add" for the words of argv that name (sub)commands. */
function commandPath(program: Command, words: string[]): string {
  const path = [program.name()];
  let cmd: Command = program;
  for (const w of words) {
    if (w.startsWith("-")) continue;
    const next = cmd.commands.find((c) => c.name() === w || c.aliases().includes(w));
    if (!next) break;
    path.push(next.name());
    cmd = next;
  }
  return path.join(" ");
}

// `tsnats ... | head`: a reader that goes away early is not an error
for (const out of [process.stdout, process.stderr]) {
  out.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

await main(process.argv);
