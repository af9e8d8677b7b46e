/**
 * Host commands the runtime drives (`ip`, `nsenter`, `bwrap`): one helper that runs a
 * command to completion and turns a failure into a sentence naming the command and what it
 * printed, so a broken network set-up reads as what it is.
 */
import { execFile } from "node:child_process";

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a command; a non-zero exit is an Error unless allowFailure is set. */
export function runCommand(
  command: string,
  args: string[],
  options: { allowFailure?: boolean } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      if (error && !options.allowFailure) {
        const said = String(stderr).trim() || error.message;
        reject(new Error(`\`${command} ${args.join(" ")}\` failed (exit ${exitCode}): ${said}`));
        return;
      }
      resolve({ stdout: String(stdout), stderr: String(stderr), exitCode });
    });
  });
}

/** `ip ...`, the one tool the network set-up needs. */
export function ip(...args: string[]): Promise<CommandResult> {
  return runCommand("ip", args);
}

/** `ip ...` where "already gone" is fine (teardown and stale clean-up). */
export function ipQuiet(...args: string[]): Promise<CommandResult> {
  return runCommand("ip", args, { allowFailure: true });
}
