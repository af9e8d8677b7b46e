#!/usr/bin/env node
// The command line: the same procedures as the actions, for when GitHub Actions is down.
// It runs the built bundle (dist/cli, made by `npm run build` and committed like the
// actions' dist): Node 24 alone, no dev dependency, no TypeScript compiled at start-up.
// The tests set ETCD_BACKUP_ACTIONS_FROM_SOURCES=1 to run src/ through tsx instead, so a
// change to the sources is tested before the bundle is rebuilt; CI checks that the
// bundle is fresh (scripts/check-dist.sh) and test/cli/bundle.test.ts runs the bundle.
// A namespace import: a named one of an export an older Node lacks fails before the check below.
import * as nodeModule from "node:module";

const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `error: etcd-backup-actions needs Node 24 or newer (the Actions runtime); this is Node ${process.versions.node}. ` +
      "Run it as `npx etcd-backup-actions ...` from the project (npx uses its node@24 dev dependency), or install Node 24.\n",
  );
  process.exit(2);
}

if (process.env.ETCD_BACKUP_ACTIONS_FROM_SOURCES === "1") {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli.ts");
} else {
  // V8's compiled code for the bundle is kept in the OS temp folder and reused by the next
  // run: a command on a small file then answers in a few tens of milliseconds.
  nodeModule.enableCompileCache?.();
  const bundle = new URL("../dist/cli/index.js", import.meta.url);
  try {
    await import(bundle.href);
  } catch (error) {
    if (error?.code !== "ERR_MODULE_NOT_FOUND" || !String(error.message).includes(bundle.pathname))
      throw error;
    process.stderr.write(
      `error: the CLI bundle ${bundle.pathname} is missing; build it with \`npm run build\` (or check out the complete repository).\n`,
    );
    process.exit(2);
  }
}
