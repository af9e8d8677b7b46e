/**
 * What every bad-input case checks, for the actions and the CLI alike: the run fails with
 * exactly one error that names the input, no secret it was fed shows up anywhere in its
 * output (as is, lower-cased, in base64, or any line of it), and nothing changed in the
 * sandbox cluster or the destination.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Sandbox } from "../sandbox/index.ts";

export interface BadInputCase {
  name: string;
  /** The input (or flag) the one error must name, as the user wrote it. */
  names: string;
  /** More the error must say (a fragment of the expected sentence). */
  says?: string | RegExp;
  /** Secret text fed in this case: it must not appear in any output, in any form. */
  secrets?: string[];
}

/** The forms a secret could leak in: itself, lower-cased, base64, and each long line of it. */
export function secretForms(secret: string): string[] {
  const trimmed = secret.trim();
  const forms = [
    trimmed,
    trimmed.toLowerCase(),
    Buffer.from(trimmed).toString("base64"),
    Buffer.from(secret).toString("base64"),
    ...trimmed
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.length >= 20 && !line.startsWith("-----") && !line.startsWith("#")),
  ];
  // Only the part of a long base64 form that does not depend on what precedes it.
  return [...new Set(forms)].map((form) => (form.length > 64 ? form.slice(8, 64) : form));
}

/** What is wrong with one refusal; empty when it is one clear error that leaks nothing. */
export function refusalProblems(
  badCase: BadInputCase,
  run: { exitCode: number; expectedExitCode: number; errors: string[]; output: string },
): string[] {
  const problems: string[] = [];
  const error = run.errors[0] ?? "";
  if (run.exitCode !== run.expectedExitCode) {
    problems.push(`exit code ${run.exitCode}, expected ${run.expectedExitCode}`);
  }
  if (run.errors.length !== 1) {
    problems.push(`${run.errors.length} error lines, expected one: ${run.errors.join(" | ")}`);
  }
  if (!error.includes(badCase.names))
    problems.push(`the error does not name ${badCase.names}: ${error}`);
  if (typeof badCase.says === "string" && !error.includes(badCase.says)) {
    problems.push(`the error does not say "${badCase.says}": ${error}`);
  }
  if (badCase.says instanceof RegExp && !badCase.says.test(error)) {
    problems.push(`the error does not match ${badCase.says}: ${error}`);
  }
  for (const secret of badCase.secrets ?? []) {
    for (const form of secretForms(secret)) {
      if (run.output.includes(form))
        problems.push(`the output holds a secret (${form.slice(0, 12)}...)`);
    }
  }
  return problems.map((problem) => `${badCase.name}: ${problem}`);
}

/**
 * Everything a refused run must leave as it was: each pod's identity (a pod deleted and
 * recreated gets a new folder) and the files in its /tmp, the admin node's PKI folder with
 * every file's mode and content, and each folder given (destinations, RUNNER_TEMP).
 */
export async function clusterAndFolderState(sandbox: Sandbox, folders: string[]): Promise<string> {
  const podsDir = join(sandbox.dir, "pods");
  const lines: string[] = [];
  for (const pod of (await readdir(podsDir)).sort()) {
    const tmp = join(podsDir, pod, "root", "tmp");
    const names = await readdir(tmp, { recursive: true }).catch(() => ["(no /tmp)"]);
    lines.push(`pod ${pod}: /tmp ${names.sort().join(",")}`);
  }
  lines.push(...(await treeOf(sandbox.layout.admin.pkiDir, "pki")));
  for (const folder of folders) lines.push(...(await treeOf(folder, folder)));
  return lines.join("\n");
}

async function treeOf(folder: string, label: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true }).catch(() => undefined);
  if (!entries) return [`${label}: absent`];
  const lines: string[] = [];
  for (const entry of entries.sort()) {
    const path = join(folder, entry);
    const facts = await stat(path);
    const hash = facts.isFile()
      ? createHash("sha256")
          .update(await readFile(path))
          .digest("hex")
      : "-";
    lines.push(`${label}/${entry} ${(facts.mode & 0o7777).toString(8)} ${hash}`);
  }
  return lines;
}
