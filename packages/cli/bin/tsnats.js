#!/usr/bin/env node
// The `tsnats` command: runs the compiled CLI (packages/cli/dist, built by `npm run build -w tsnats-cli`
// or by the repository's set-up). This stub is what npm links as the bin, so the link exists even
// before the first build.
try {
  await import("../dist/main.js");
} catch (err) {
  if (err?.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/main.js")) {
    console.error("tsnats: the CLI is not built yet: run `npm run setup` (or `npm run build -w tsnats-cli`) first");
    process.exit(1);
  }
  throw err;
}
