#!/usr/bin/env node
// The command line: the same procedures as the actions, for when GitHub Actions is down.
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  process.stderr.write(
    `error: etcd-backup-actions needs Node 24 or newer (the Actions runtime); this is Node ${process.versions.node}. ` +
      "Run it as `npx etcd-backup-actions ...` from the project (npx uses its node@24 dev dependency), or install Node 24.\n",
  );
  process.exit(2);
}
const { register } = await import("tsx/esm/api");
register();
await import("../src/cli.ts");
