// Bundles every action in actions/<name>/ with ncc: src/actions/<name>/main.ts becomes
// actions/<name>/dist/index.js, and src/actions/<name>/post.ts (when an action has a post
// step) becomes actions/<name>/dist/post/index.js. With --out DIR the bundles are written
// under DIR/<name>/dist instead, which is how the freshness check compares them.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import ncc from "@vercel/ncc";

const outIndex = process.argv.indexOf("--out");
const outRoot = outIndex >= 0 ? process.argv[outIndex + 1] : "actions";

const actionNames = existsSync("actions")
  ? readdirSync("actions", { withFileTypes: true })
      .filter(
        (entry) => entry.isDirectory() && existsSync(join("actions", entry.name, "action.yml")),
      )
      .map((entry) => entry.name)
      .sort()
  : [];

for (const name of actionNames) {
  const entries = [
    ["main.ts", "dist"],
    ["post.ts", "dist/post"],
  ];
  rmSync(join(outRoot, name, "dist"), { recursive: true, force: true });
  for (const [entry, dir] of entries) {
    const source = join("src", "actions", name, entry);
    if (!existsSync(source)) {
      if (entry === "main.ts") throw new Error(`action ${name}: ${source} is missing`);
      continue;
    }
    const { code } = await ncc(join(process.cwd(), source), {
      minify: false,
      sourceMap: false,
      quiet: true,
      target: "es2023",
    });
    const outDir = join(outRoot, name, dir);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "index.js"), code);
    // ncc emits ESM for an ESM entry; mark the folder so node24 loads it as a module.
    writeFileSync(join(outDir, "package.json"), '{ "type": "module" }\n');
  }
  console.log(`built actions/${name}`);
}
if (actionNames.length === 0) console.log("no actions to build");
