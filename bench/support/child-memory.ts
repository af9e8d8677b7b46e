/**
 * Runs one exported function of a module in a fresh Node child and reports its result and
 * peak resident memory (VmHWM), like test/support/memory.ts, but the bundle gets
 * a `require` of its own: the procedure pulls in CommonJS packages (ws, client-node) that
 * require Node's built-ins, which a plain ESM bundle cannot do. Bundled, not run through a
 * TypeScript loader, so the loader's own 30-50 MiB do not count.
 */
import { fork } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

export interface ChildReport<T> {
  result: T;
  /** Peak RSS (VmHWM) of the child over its whole life, in bytes. */
  peakRssBytes: number;
  /** Peak RSS just before the function ran: Node and the loaded code. */
  baselineRssBytes: number;
}

const REQUIRE_BANNER =
  'import { createRequire as __benchCreateRequire } from "node:module"; const require = __benchCreateRequire(import.meta.url);';

const childSource = (modulePath: string, exportName: string) => `
import * as work from ${JSON.stringify(modulePath)};
import { readFileSync } from "node:fs";
// VmHWM, the high-water mark of this process's own memory map. Not getrusage maxRSS: on
// Linux a forked child's maxRSS starts at its parent's RSS at fork time (kept across exec),
// so a big parent would be counted as the child's.
const peakRss = () => Number(/VmHWM:\\s+(\\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))[1]) * 1024;
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

export async function runInChild<T>(
  module: URL,
  exportName: string,
  args: unknown[],
): Promise<ChildReport<T>> {
  const modulePath = fileURLToPath(module);
  const folder = await mkdtemp(join(tmpdir(), "bench-child-"));
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
      banner: { js: REQUIRE_BANNER },
      outfile: bundle,
      logLevel: "error",
    });
    return await runBundle<T>(bundle, exportName, args);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

function runBundle<T>(
  bundle: string,
  exportName: string,
  args: unknown[],
): Promise<ChildReport<T>> {
  return new Promise((resolve, reject) => {
    const child = fork(bundle, [], {
      execPath: process.execPath,
      execArgv: [],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    let settled = false;
    const finish = (outcome: () => void) => {
      if (!settled) {
        settled = true;
        outcome();
      }
    };
    child.on("message", (message: Partial<ChildReport<T>> & { error?: string }) => {
      if (message.error !== undefined) {
        finish(() => reject(new Error(`${exportName} failed in the child: ${message.error}`)));
      } else {
        finish(() => resolve(message as ChildReport<T>));
      }
    });
    child.on("error", (error) => finish(() => reject(error)));
    child.on("exit", (code, signal) =>
      finish(() =>
        reject(new Error(`the child running ${exportName} exited early (${signal ?? code}).`)),
      ),
    );
    child.send(args);
  });
}
