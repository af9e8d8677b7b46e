/**
 * `etcd-backup-actions`: the procedures of the actions from a terminal. Each group of
 * subcommands lives in src/cli/<group>.ts and registers itself on the program here.
 */
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { registerAdminRestoreCommands } from "./cli/admin-restore.ts";
import { registerBackupCommands } from "./cli/backup.ts";
import { registerPkiBackupCommands } from "./cli/pki-backup.ts";
import { registerRestoreCommands } from "./cli/restore.ts";
import { registerSnapshotCommands } from "./cli/snapshot.ts";
import { exposeGarbageCollector } from "./expose-gc.ts";

const packageJson = JSON.parse(
  readFileSync(new URL("../package.json", import.meta.url), "utf8"),
) as { version: string };

export function buildProgram(): Command {
  const program = new Command("etcd-backup-actions")
    .description("Back up and restore the etcd stores and PKI of Anthos clusters on VMware.")
    .version(packageJson.version)
    .showHelpAfterError();
  // Subcommand groups register here, one line each.
  registerSnapshotCommands(program);
  registerBackupCommands(program);
  registerPkiBackupCommands(program);
  registerRestoreCommands(program);
  registerAdminRestoreCommands(program);
  return program;
}

// Before any stream flows: the storage pipeline paces V8's collector (memory-pacer.ts).
exposeGarbageCollector();
await buildProgram().parseAsync(process.argv);
