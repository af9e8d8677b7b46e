/**
 * `etcd-backup-actions`: the procedures of the actions from a terminal. Each group of
 * subcommands lives in src/cli/<group>.ts and registers itself on the program here.
 */
// First: ssh2 needs CommonJS's __dirname while it loads, and the CLI bundle is an ES module.
import "./actions/common/commonjs-globals.ts";
import { Command } from "commander";
import { TOOL_VERSION } from "./core/version.ts";
import { exposeGarbageCollector } from "./expose-gc.ts";

type Register = (program: Command) => void;

/**
 * The groups, loaded on demand: `snapshot ...` loads only the snapshot reader, so it answers
 * a small file in tens of milliseconds instead of first loading the Kubernetes client, SSH
 * and the storage backends it never uses. Any other command line (help included) loads all.
 */
const SNAPSHOT_GROUP = async (): Promise<Register> =>
  (await import("./cli/snapshot.ts")).registerSnapshotCommands;
const OTHER_GROUPS: Array<() => Promise<Register>> = [
  async () => (await import("./cli/backup.ts")).registerBackupCommands,
  async () => (await import("./cli/pki-backup.ts")).registerPkiBackupCommands,
  async () => (await import("./cli/restore.ts")).registerRestoreCommands,
  async () => (await import("./cli/admin-restore.ts")).registerAdminRestoreCommands,
  async () => (await import("./cli/history.ts")).registerHistoryCommands,
  async () => (await import("./cli/drill.ts")).registerDrillCommands,
];

export async function buildProgram(argv: string[] = process.argv): Promise<Command> {
  const program = new Command("etcd-backup-actions")
    .description("Back up and restore the etcd stores and PKI of Anthos clusters on VMware.")
    .version(TOOL_VERSION)
    .showHelpAfterError();
  const snapshotOnly = argv[2] === "snapshot";
  // Subcommand groups register here, one line each in OTHER_GROUPS, in this order.
  const groups = snapshotOnly ? [SNAPSHOT_GROUP] : [SNAPSHOT_GROUP, ...OTHER_GROUPS];
  for (const register of await Promise.all(groups.map((load) => load()))) register(program);
  return program;
}

// Before any stream flows: the storage pipeline paces V8's collector (memory-pacer.ts).
exposeGarbageCollector();
await (await buildProgram()).parseAsync(process.argv);
