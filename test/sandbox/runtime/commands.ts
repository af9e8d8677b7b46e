/**
 * Host commands the runtime drives (`ip`, `nsenter`, `bwrap`): one helper that runs a
 * command to completion and turns a failure into a sentence naming the command and what it
 * printed, so a broken network set-up reads as what it is.
 */
import { execFile, spawn } from "node:child_process";

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

/**
 * Several `ip` commands in one process (`ip -batch -`), optionally inside a network
 * namespace: on a loaded machine each `ip` start costs tens of milliseconds, and a pod's
 * network needs seven. With force, later lines still run when one fails (teardown).
 */
export function ipBatch(
  lines: string[],
  options: { netns?: string; force?: boolean } = {},
): Promise<CommandResult> {
  const args = [
    ...(options.netns ? ["-n", options.netns] : []),
    ...(options.force ? ["-force"] : []),
    "-batch",
    "-",
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("ip", args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("error", reject);
    child.once("close", (code) => {
      const exitCode = code ?? 1;
      if (exitCode !== 0 && !options.force) {
        reject(
          new Error(
            `\`ip ${args.join(" ")}\` failed (exit ${exitCode}) on:\n${lines.join("\n")}\n${stderr.trim()}`,
          ),
        );
        return;
      }
      resolve({ stdout, stderr, exitCode });
    });
    child.stdin.end(`${lines.join("\n")}\n`);
  });
}
