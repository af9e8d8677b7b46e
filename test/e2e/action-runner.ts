/**
 * Runs a bundled action (actions/<name>/dist/index.js) the way the runner does, on Node 24:
 * inputs as INPUT_* variables, outputs and the job summary as files, RUNNER_TEMP a fresh
 * folder. The log is what a user would see (the runner hides ::add-mask:: commands).
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const NODE24 = join(process.cwd(), "node_modules", ".bin", "node");

export interface ActionRun {
  exitCode: number;
  log: string;
  /** The values given to ::add-mask:: (the runner would hide them from every later line). */
  masked: string[];
  outputs: Record<string, string>;
  summary: string;
  /** The run's RUNNER_TEMP, to check nothing was left in it. */
  runnerTemp: string;
}

export async function runAction(
  action: string,
  workDir: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  const folder = await mkdtemp(join(workDir, "run-"));
  const runnerTemp = join(folder, "temp");
  const outputFile = join(folder, "output");
  const summaryFile = join(folder, "summary");
  await writeFile(outputFile, "");
  await writeFile(summaryFile, "");
  await mkdir(runnerTemp);
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
  );
  const bundle = join(process.cwd(), "actions", action, "dist", "index.js");
  const result = await new Promise<{ code: number; log: string }>((resolve) => {
    execFile(
      NODE24,
      [bundle],
      {
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          RUNNER_TEMP: runnerTemp,
          GITHUB_OUTPUT: outputFile,
          GITHUB_STEP_SUMMARY: summaryFile,
          ...inputEnv,
          ...env,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, log: `${stdout}${stderr}` }),
    );
  });
  const lines = result.log.split("\n");
  return {
    exitCode: result.code,
    log: lines.filter((line) => !line.startsWith("::add-mask::")).join("\n"),
    masked: lines
      .filter((line) => line.startsWith("::add-mask::"))
      .map((line) => unescapeCommandData(line.slice("::add-mask::".length))),
    outputs: parseOutputFile(await readFile(outputFile, "utf8")),
    summary: await readFile(summaryFile, "utf8"),
    runnerTemp,
  };
}

/** @actions/core escapes %, CR and LF in command data. */
function unescapeCommandData(text: string): string {
  return text.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

/** GITHUB_OUTPUT's `name<<delimiter` blocks. */
function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const pattern = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(pattern)) outputs[match[1]!] = match[3]!;
  return outputs;
}

/** The ::error:: lines of a log: an action that fails should print exactly one. */
export function errorLines(log: string): string[] {
  return log.split("\n").filter((line) => line.startsWith("::error::"));
}
