/**
 * Runs `etcd-backup-actions snapshot ...` as a user would, in a child process, for the
 * CLI tests: through the real bin script, or through a program that registers only the
 * snapshot commands (what the bin runs for `snapshot ...`, without starting every other
 * command group for each case).
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";

export const BIN = new URL("../../bin/etcd-backup-actions.mjs", import.meta.url).pathname;
const SNAPSHOT_COMMANDS = new URL("../../src/cli/snapshot.ts", import.meta.url).href;
/** Only to tell a hang from an answer; no command here comes near it. */
const HANG_TIMEOUT_MS = 90_000;

export interface CliResult {
  status: number | null;
  /** Set when the command had to be killed: it hung. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  bytes: Buffer;
}

function resultOf(result: SpawnSyncReturns<Buffer>): CliResult {
  return {
    status: result.status,
    signal: result.signal,
    stdout: result.stdout.toString("utf8"),
    stderr: result.stderr.toString("utf8"),
    bytes: result.stdout,
  };
}

/** The whole command line, through the bin script users run. */
export function bin(...args: string[]): CliResult {
  return resultOf(
    spawnSync(process.execPath, [BIN, "snapshot", ...args], {
      encoding: "buffer",
      timeout: HANG_TIMEOUT_MS,
    }),
  );
}

/** The program `cli()` runs, as a `node -e` script; `args` follow it. */
export const SNAPSHOT_PROGRAM = `
  import { Command } from "commander";
  import { registerSnapshotCommands } from ${JSON.stringify(SNAPSHOT_COMMANDS)};
  const program = new Command("etcd-backup-actions");
  registerSnapshotCommands(program);
  await program.parseAsync(process.argv.slice(1), { from: "user" });
`;

/** `snapshot <args>` on a program that registers only the snapshot commands. */
export function cli(...args: string[]): CliResult {
  return resultOf(
    spawnSync(
      process.execPath,
      ["--import", "tsx", "--input-type=module", "-e", SNAPSHOT_PROGRAM, "snapshot", ...args],
      { encoding: "buffer", timeout: HANG_TIMEOUT_MS },
    ),
  );
}
