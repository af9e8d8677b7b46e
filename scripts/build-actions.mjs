// Bundles every action in actions/<name>/ with ncc: src/actions/<name>/main.ts becomes
// actions/<name>/dist/index.js, and src/actions/<name>/post.ts (when an action has a post
// step) becomes actions/<name>/dist/post/index.js. With --out DIR the bundles are written
// under DIR/<name>/dist instead, which is how the freshness check compares them.
//
// The CLI (src/cli.ts) is bundled the same way into dist/cli/index.js (with --out DIR:
// DIR/.cli/dist), so bin/etcd-backup-actions.mjs runs on Node 24 alone, without tsx or any
// dev dependency, and starts without compiling TypeScript. `--cli` builds the CLI alone.
//
// The sources import each other with .ts extensions (run directly by tsx and vitest), so
// tsc first compiles src/ to JavaScript in a temporary folder (tsconfig.build.json rewrites
// the extensions), and ncc bundles that JavaScript. The folder sits inside the project
// (.build/, ignored by git) so that the compiled files still find node_modules.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ncc from "@vercel/ncc";

const OPTIONAL_NATIVE_ADDONS = ["cpu-features", "./crypto/build/Release/sshcrypto.node"];
const CLI_DIST = join("dist", "cli");

const outIndex = process.argv.indexOf("--out");
const outRoot = outIndex >= 0 ? process.argv[outIndex + 1] : "actions";
const cliOnly = process.argv.includes("--cli");

const actionNames = existsSync("actions")
  ? readdirSync("actions", { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && existsSync(join("actions", entry.name, "action.yml")),
      )
      .map((entry) => entry.name)
      .sort()
  : [];

if (actionNames.length === 0) {
  console.log("no actions to build");
  process.exit(0);
}

// A fixed folder: its path shows in the bundle's module comments and ids, so a random name
// would make every build differ and the freshness check fail.
const compiled = join(".build", "compile");
rmSync(compiled, { recursive: true, force: true });
mkdirSync(compiled, { recursive: true });
try {
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
  for (const name of cliOnly ? [] : actionNames) {
    const entries = [
      ["main", "dist"],
      ["post", "dist/post"],
    ];
    rmSync(join(outRoot, name, "dist"), { recursive: true, force: true });
    for (const [entry, dir] of entries) {
      const source = resolve(compiled, "src", "actions", name, `${entry}.js`);
      if (!existsSync(join("src", "actions", name, `${entry}.ts`))) {
        if (entry === "main")
          throw new Error(`action ${name}: src/actions/${name}/main.ts is missing`);
        continue;
      }
      await bundle(source, join(outRoot, name, dir));
    }
    console.log(`built actions/${name}`);
  }
  const cliOut = outIndex >= 0 ? join(outRoot, ".cli", "dist") : CLI_DIST;
  rmSync(cliOut, { recursive: true, force: true });
  await bundle(resolve(compiled, "src", "cli.js"), cliOut);
  console.log(`built ${CLI_DIST} (the CLI)`);
} finally {
  rmSync(compiled, { recursive: true, force: true });
}

/** Bundles one compiled entry into outDir/index.js, with its chunks and assets beside it. */
async function bundle(source, outDir) {
  const { code, assets } = await ncc(source, {
    minify: false,
    sourceMap: false,
    quiet: true,
    target: "es2023",
    cache: false,
    // ssh2's optional native add-ons: bundled only where they happen to be compiled (npm
    // ci does not build them: allowScripts), which would make the bundle depend on the
    // machine. Left out, ssh2 uses its pure-JS code, as it does after a clean install.
    externals: OPTIONAL_NATIVE_ADDONS,
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "index.js"), code);
  // Chunks of dynamic imports (the S3 and artifact backends load on demand) and other
  // assets ncc found go beside the entry.
  for (const [fileName, asset] of Object.entries(assets ?? {})) {
    mkdirSync(join(outDir, fileName, ".."), { recursive: true });
    writeFileSync(join(outDir, fileName), asset.source, { mode: asset.permissions });
  }
  // ncc emits ESM for an ESM entry; mark the folder so node24 loads it as a module.
  writeFileSync(join(outDir, "package.json"), '{ "type": "module" }\n');
}
