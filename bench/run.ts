/**
 * `npm run bench [name ...]`: runs each bench/<name>.bench.ts in its own process (so one
 * benchmark's memory never counts against another's) and lets it print its ratios.
 * Benchmarks report; they never fail on a number.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

// Names pick the benchmarks; `--flag [value]` arguments are handed to each of them.
const flagAt = process.argv.findIndex((argument, index) => index > 1 && argument.startsWith("--"));
const wanted = process.argv.slice(2, flagAt > 0 ? flagAt : undefined);
const flags = flagAt > 0 ? process.argv.slice(flagAt) : [];
const benches = readdirSync(new URL(".", import.meta.url))
  .filter((file) => file.endsWith(".bench.ts"))
  .map((file) => file.replace(/\.bench\.ts$/, ""))
  .filter((name) => wanted.length === 0 || wanted.includes(name))
  .sort();

if (benches.length === 0) {
  console.error(`bench: nothing matches ${wanted.join(", ") || "bench/*.bench.ts"}`);
  process.exit(1);
}
let failed = 0;
for (const name of benches) {
  console.log(`\n### ${name}`);
  const result = spawnSync("tsx", [`bench/${name}.bench.ts`, ...flags], { stdio: "inherit" });
  if (result.status !== 0) {
    failed++;
    console.error(`bench ${name} exited with ${result.status ?? result.signal}`);
  }
}
process.exit(failed ? 1 : 0);
