/**
 * `npm run bench code-load`: what loading the etcd-backup action's code costs, before any
 * byte flows (issue 14: "loading the code costs ~90 MiB"). The action's entry is bundled
 * the ways that matter and each bundle is started with no inputs, so it loads every static
 * import, fails on the first missing input and exits; its peak resident memory (VmHWM) is
 * read at exit. Three starts each; the machine is shared, so the load average is printed.
 *
 *   - ncc, as scripts/build-actions.mjs builds the shipped dist (tsc, then ncc);
 *   - esbuild, as test/support/memory.ts bundles the benches' children (tree-shaking ESM);
 *   - esbuild with @kubernetes/client-node replaced by empty classes (it then cannot run,
 *     but it loads): the client's share of the load;
 *   - esbuild with only its two API groups emptied: what CoreV1Api and AppsV1Api cost;
 *   - esbuild with the deep imports of src/core/kube-client.ts sent back to the package
 *     root, as the code imported it before: what the deep imports save.
 * And Node alone, for the floor. Never fails on a number.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const ENTRY = "src/actions/etcd-backup/main.ts";
const STARTS = 3;
const MiB = 1024 * 1024;
const REQUIRE_BANNER =
  'import { createRequire as __benchCreateRequire } from "node:module"; const require = __benchCreateRequire(import.meta.url);';
/** Prints the process's VmHWM at exit, on stderr, for the bench to read. */
const PEAK_AT_EXIT = `process.on("exit", () => {
  const status = require("node:fs").readFileSync("/proc/self/status", "utf8");
  process.stderr.write("VmHWM_KB " + status.match(/VmHWM:\\s+(\\d+)/)[1] + "\\n");
});`;
const DEEP_CONFIG = "@kubernetes/client-node/dist/config.js";
const DEEP_APIS = "@kubernetes/client-node/dist/gen/types/ObjectParamAPI.js";

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "code-load-bench-"));
  // tsc's output must sit inside the project so that it still finds node_modules.
  const compiled = resolve(".build", "bench-code-load");
  // Inside the project too: the root-import stubs must find node_modules.
  const rootStubs = resolve(".build", "bench-code-load-stubs");
  try {
    const preload = join(work, "peak-at-exit.cjs");
    await writeFile(preload, PEAK_AT_EXIT);
    const stubs = await writeStubs(work);
    const viaRoot = await writeRootStubs(rootStubs);
    const variants: Array<[string, string]> = [
      ["Node alone (node -e 0)", ""],
      ["ncc (the shipped dist's way)", await nccBundle(compiled, join(work, "ncc"))],
      ["esbuild (the benches' children)", await esbuildBundle(join(work, "esbuild"), {})],
      [
        "esbuild, client-node from its package root",
        await esbuildBundle(join(work, "root"), {
          [DEEP_CONFIG]: viaRoot.config,
          [DEEP_APIS]: viaRoot.apis,
        }),
      ],
      [
        "esbuild, client-node emptied",
        await esbuildBundle(join(work, "no-client"), {
          [DEEP_CONFIG]: stubs.config,
          [DEEP_APIS]: stubs.apis,
        }),
      ],
      [
        "esbuild, CoreV1Api and AppsV1Api emptied",
        await esbuildBundle(join(work, "no-apis"), { [DEEP_APIS]: stubs.apis }),
      ],
    ];
    console.log(
      `load average: ${loadavg()
        .map((load) => load.toFixed(1))
        .join(" ")} (2 cores, shared)`,
    );
    console.log(`peak RSS (VmHWM) of the etcd-backup action loading its code, ${STARTS} starts:`);
    for (const [label, bundle] of variants) {
      const peaks = Array.from({ length: STARTS }, () => peakAtLoad(preload, bundle));
      console.log(`  ${label.padEnd(44)} ${peaks.map((peak) => peak.toFixed(0)).join(", ")} MiB`);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
    await rm(compiled, { recursive: true, force: true });
    await rm(rootStubs, { recursive: true, force: true });
  }
}

/** Starts `bundle` (or Node alone) with no action inputs and reads its peak at exit. */
function peakAtLoad(preload: string, bundle: string): number {
  const args = bundle ? ["-r", preload, bundle] : ["-r", preload, "-e", "0"];
  // No INPUT_* variables: the action stops at its first input, after loading everything.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith("INPUT_")),
  );
  const result = spawnSync(process.execPath, args, { env, encoding: "utf8", timeout: 60_000 });
  const peak = /VmHWM_KB (\d+)/.exec(result.stderr ?? "");
  if (!peak) throw new Error(`no peak from ${bundle || "node"}: ${result.stderr}`);
  return (Number(peak[1]) * 1024) / MiB;
}

async function writeStubs(work: string): Promise<{ config: string; apis: string }> {
  const config = join(work, "stub-config.mjs");
  const apis = join(work, "stub-apis.mjs");
  await writeFile(config, "export class KubeConfig {}\n");
  await writeFile(apis, "export class ObjectCoreV1Api {}\nexport class ObjectAppsV1Api {}\n");
  return { config, apis };
}

/** The client's classes re-exported from the package root, under the deep modules' names. */
async function writeRootStubs(folder: string): Promise<{ config: string; apis: string }> {
  await mkdirp(folder);
  const config = join(folder, "root-config.mjs");
  const apis = join(folder, "root-apis.mjs");
  await writeFile(config, 'export { KubeConfig } from "@kubernetes/client-node";\n');
  await writeFile(
    apis,
    'export { CoreV1Api as ObjectCoreV1Api, AppsV1Api as ObjectAppsV1Api } from "@kubernetes/client-node";\n',
  );
  return { config, apis };
}

async function esbuildBundle(outdir: string, alias: Record<string, string>): Promise<string> {
  await build({
    entryPoints: { main: ENTRY },
    bundle: true,
    splitting: true,
    platform: "node",
    format: "esm",
    target: "node24",
    banner: { js: REQUIRE_BANNER },
    outdir,
    outExtension: { ".js": ".mjs" },
    alias,
    logLevel: "error",
  });
  return join(outdir, "main.mjs");
}

/** As scripts/build-actions.mjs: tsc to JavaScript, then ncc with the same options. */
async function nccBundle(compiled: string, outdir: string): Promise<string> {
  execFileSync(
    process.execPath,
    [
      join("node_modules", "typescript", "bin", "tsc"),
      "-p",
      "tsconfig.build.json",
      "--outDir",
      compiled,
    ],
    { stdio: "inherit" },
  );
  const ncc = await loadNcc();
  const { code, assets } = await ncc(join(compiled, "src", "actions", "etcd-backup", "main.js"), {
    minify: false,
    sourceMap: false,
    quiet: true,
    target: "es2023",
    cache: false,
    externals: ["cpu-features", "./crypto/build/Release/sshcrypto.node"],
  });
  await writeFile(join(await mkdirp(outdir), "index.js"), code);
  for (const [fileName, asset] of Object.entries(assets ?? {})) {
    const path = join(outdir, fileName);
    await mkdirp(join(path, ".."));
    await writeFile(path, asset.source);
  }
  await writeFile(join(outdir, "package.json"), '{ "type": "module" }\n');
  return join(outdir, "index.js");
}

async function mkdirp(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  return path;
}

type Ncc = (
  entry: string,
  options: Record<string, unknown>,
) => Promise<{ code: string; assets?: Record<string, { source: string | Buffer }> }>;

/** ncc ships no type declarations; its one function, typed as the build script calls it. */
async function loadNcc(): Promise<Ncc> {
  const name: string = "@vercel/ncc";
  return ((await import(name)) as { default: Ncc }).default;
}

await main();
