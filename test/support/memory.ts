/**
 * Runs one exported function of a module in a fresh child Node process and reports its
 * peak resident memory (the kernel's high-water mark, getrusage maxrss), so a memory bound
 * is checked on the work alone and not on whatever the test runner holds.
 *
 *   const { result, peakRssBytes } = await measurePeakMemory(new URL("./work.ts", import.meta.url), "roundTrip", [args]);
 *
 * The module is first bundled to plain JavaScript with esbuild (as the shipped actions are
 * bundled with ncc), because a TypeScript loader in the child would add 30-50 MiB of its
 * own to the figure. Arguments and the result cross the process boundary as JSON.
 */
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface MemoryReport<T> {
  result: T;
  /** Peak RSS of the child over its whole life, in bytes. */
  peakRssBytes: number;
  /** Peak RSS just before the function ran: Node itself and the loaded code. */
  baselineRssBytes: number;
}

const childSource = (modulePath: string, exportName: string) => `
import * as work from ${JSON.stringify(modulePath)};
const peakRss = () => process.resourceUsage().maxRSS * 1024;
process.once("disconnect", () => process.exit(1));
process.once("message", async (args) => {
  let reply;
  try {
    const baselineRssBytes = peakRss();
    const result = await work[${JSON.stringify(exportName)}](...args);
    reply = { result, peakRssBytes: peakRss(), baselineRssBytes };
  } catch (error) {
    reply = { error: error?.stack ?? String(error) };
  }
  process.send(reply, () => process.exit(0));
});
`;

export async function measurePeakMemory<T>(
  module: URL | string,
  exportName: string,
  args: unknown[] = [],
  options: { timeoutMs?: number } = {},
): Promise<MemoryReport<T>> {
  const modulePath = module instanceof URL ? fileURLToPath(module) : module;
  const folder = await mkdtemp(join(tmpdir(), "memory-measure-"));
  try {
    const bundle = join(folder, "work.mjs");
    await build({
      stdin: {
        contents: childSource(modulePath, exportName),
        resolveDir: dirname(modulePath),
        loader: "js",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      outfile: bundle,
      logLevel: "error",
    });
    return await runChild<T>(bundle, exportName, args, options.timeoutMs ?? 600_000);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function runChild<T>(
  bundle: string,
  exportName: string,
  args: unknown[],
  timeoutMs: number,
): Promise<MemoryReport<T>> {
  return new Promise((resolve, reject) => {
    const child = fork(bundle, [], {
      execPath: process.execPath,
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      finish(() =>
        reject(
          new Error(
            `${exportName} in a child process did not finish within ${timeoutMs} ms; it was killed.`,
          ),
        ),
      );
    }, timeoutMs);
    child.on(
      "message",
      (message: { result?: T; error?: string; peakRssBytes: number; baselineRssBytes: number }) => {
        if (message.error !== undefined) {
          finish(() =>
            reject(new Error(`${exportName} failed in the child process: ${message.error}`)),
          );
        } else {
          const { result, peakRssBytes, baselineRssBytes } = message;
          finish(() => resolve({ result: result as T, peakRssBytes, baselineRssBytes }));
        }
      },
    );
    child.on("error", (error) => finish(() => reject(error)));
    child.on("exit", (code, signal) =>
      finish(() =>
        reject(
          new Error(`The child process running ${exportName} exited early (${signal ?? code}).`),
        ),
      ),
    );
    child.send(args);
  });
}
