/**
 * Runs one exported function of a module in a fresh child Node process and reports its
 * result and peak resident memory, so a memory bound is checked on the work alone and not
 * on whatever the test runner or benchmark holds. Used by the tests and the benchmarks.
 *
 *   const { result, peakRssBytes } = await measurePeakMemory(new URL("./work.ts", import.meta.url), "roundTrip", [args]);
 *
 * The peak is the child's own VmHWM (peak-rss.ts), not getrusage's maxRSS, which on Linux
 * starts a forked child at its parent's RSS, so a big test runner would count as the child's.
 *
 * The module is bundled to plain JavaScript with esbuild first, as the shipped actions are
 * bundled with ncc (dynamic imports split into chunks loaded on demand, as ncc does): run as TypeScript, the child would carry a loader of its own, measured
 * at +25-35 MiB (Node's type stripping, which also refuses parameter properties) and
 * +40-45 MiB (tsx). The bundle gets a `require` of its own for the CommonJS packages
 * inside it (ws, the AWS and Azure SDKs) that require Node's built-ins. Arguments and the
 * result cross the process boundary as JSON.
 */
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface MemoryReport<T> {
  result: T;
  /** Peak RSS (VmHWM) of the child over its whole life, in bytes. */
  peakRssBytes: number;
  /** Peak RSS just before the function ran: Node itself and the loaded code. */
  baselineRssBytes: number;
}

export interface MeasureOptions {
  /** Default 10 minutes; the child is killed after it. */
  timeoutMs?: number;
  /** Added to the child's environment (read by code at load time, such as @actions/github). */
  env?: Record<string, string>;
  /** Node options of the child (the benchmarks pass `--cpu-prof` and its folder). */
  execArgv?: string[];
}

const REQUIRE_BANNER =
  'import { createRequire as __childCreateRequire } from "node:module"; const require = __childCreateRequire(import.meta.url);';

const PEAK_RSS_MODULE = fileURLToPath(new URL("./peak-rss.ts", import.meta.url));

const childSource = (modulePath: string, exportName: string) => `
import * as work from ${JSON.stringify(modulePath)};
import { peakRssBytes as peakRss } from ${JSON.stringify(PEAK_RSS_MODULE)};
process.once("disconnect", () => process.exit(1));
process.once("message", async (args) => {
  let reply;
  try {
    const run = work[${JSON.stringify(exportName)}];
    if (typeof run !== "function") {
      throw new Error(${JSON.stringify(`${modulePath} exports no function ${exportName}`)});
    }
    const baselineRssBytes = peakRss();
    const result = await run(...args);
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
  options: MeasureOptions = {},
): Promise<MemoryReport<T>> {
  const modulePath = module instanceof URL ? fileURLToPath(module) : module;
  const folder = await mkdtemp(join(tmpdir(), "memory-measure-"));
  try {
    await build({
      stdin: {
        contents: childSource(modulePath, exportName),
        resolveDir: dirname(modulePath),
        loader: "js",
      },
      bundle: true,
      // Dynamic imports become chunks loaded on demand, as in the shipped bundles: a folder
      // backup does not carry the S3 and Azure SDKs.
      splitting: true,
      platform: "node",
      format: "esm",
      target: "node24",
      banner: { js: REQUIRE_BANNER },
      outdir: folder,
      entryNames: "work",
      outExtension: { ".js": ".mjs" },
      logLevel: "error",
    });
    return await runChild<T>(join(folder, "work.mjs"), exportName, args, options);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function runChild<T>(
  bundle: string,
  exportName: string,
  args: unknown[],
  options: MeasureOptions,
): Promise<MemoryReport<T>> {
  const timeoutMs = options.timeoutMs ?? 600_000;
  return new Promise((resolve, reject) => {
    const child = fork(bundle, [], {
      execPath: process.execPath,
      execArgv: options.execArgv ?? [],
      env: { ...process.env, ...options.env },
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
    // Settled at the child's exit, not at its reply: a child run with --cpu-prof writes its
    // profile as it exits, and the caller reads it next.
    let reply: (Partial<MemoryReport<T>> & { error?: string }) | undefined;
    child.on("message", (message: Partial<MemoryReport<T>> & { error?: string }) => {
      reply = message;
    });
    child.on("error", (error) => finish(() => reject(error)));
    child.on("exit", (code, signal) =>
      finish(() => {
        if (reply?.error !== undefined) {
          reject(new Error(`${exportName} failed in the child process: ${reply.error}`));
        } else if (reply) {
          resolve(reply as MemoryReport<T>);
        } else {
          reject(
            new Error(`The child process running ${exportName} exited early (${signal ?? code}).`),
          );
        }
      }),
    );
    child.send(args);
  });
}
