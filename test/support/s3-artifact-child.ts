/**
 * Starts a storage server (s3rver, Azurite) as a child process on 127.0.0.1 and learns the
 * port it chose. The child is tied to the test process: it gets SIGKILL from the kernel
 * if the test process dies without cleaning up (setpriv --pdeathsig), so a killed test run
 * leaves no server behind. Tests stop it themselves by its pid.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";

export interface ServerProcess {
  pid: number;
  port: number;
  /** SIGKILL by pid, resolved once the process has exited. */
  kill(): Promise<void>;
}

const SETPRIV = "/usr/bin/setpriv";

export async function startServerProcess(options: {
  name: string;
  /** Arguments to node: the server's script and its flags. */
  nodeArguments: string[];
  /** Matches the line that announces the port, with the port as group 1. */
  listening: RegExp;
  timeoutMs: number;
}): Promise<ServerProcess> {
  const [command, args] = existsSync(SETPRIV)
    ? [SETPRIV, ["--pdeathsig", "KILL", process.execPath, ...options.nodeArguments]]
    : [process.execPath, options.nodeArguments];
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  try {
    const port = await waitForPort(child, options);
    return { pid: child.pid!, port, kill: () => killAndWait(child) };
  } catch (error) {
    await killAndWait(child);
    throw error;
  }
}

function waitForPort(
  child: ChildProcess,
  options: { name: string; listening: RegExp; timeoutMs: number },
): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () =>
        reject(
          new Error(`${options.name} did not start within ${options.timeoutMs} ms: ${output}`),
        ),
      options.timeoutMs,
    );
    const onOutput = (data: Buffer) => {
      output += String(data);
      const port = options.listening.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(Number(port));
      }
    };
    child.stdout!.on("data", onOutput);
    child.stderr!.on("data", onOutput);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${options.name} exited before listening (${code ?? signal}): ${output}`));
    });
  });
}

async function killAndWait(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}
