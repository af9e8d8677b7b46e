/**
 * The real CLI (bin/etcd-backup-actions.mjs) in a child process, as an operator runs it.
 * Asynchronous on purpose: a sandbox or store the command talks to may be served from this
 * very process.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";

export const CLI = resolve(import.meta.dirname, "../../bin/etcd-backup-actions.mjs");

export interface CliResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs the CLI with `env` over this process's environment; never throws on a non-zero exit. */
export function runCli(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ stdout: String(stdout), stderr: String(stderr), exitCode });
      },
    );
  });
}
