/**
 * Runs a bundled action (actions/<name>/dist/index.js) the way the runner does, on Node 24:
 * inputs as INPUT_* variables, outputs, state and the job summary as files, RUNNER_TEMP a
 * fresh folder. The log is what a user would see (the runner hides ::add-mask:: commands).
 *
 * It can also play what the runner does on a cancel (SIGINT, then SIGTERM 7.5 s later, then
 * SIGKILL 2.5 s after that, or any sequence a test chooses, from a chosen point of the log)
 * and then the `post:` step (dist/post/index.js) with the state the main step saved, passed
 * as STATE_<name> variables, and the same RUNNER_TEMP.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { constants } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";

export const NODE24 = join(process.cwd(), "node_modules", ".bin", "node");

export interface ActionRun {
  exitCode: number;
  /** The signal that ended the process (SIGKILL), when one did. */
  signal: NodeJS.Signals | null;
  log: string;
  /** The values given to ::add-mask:: (the runner would hide them from every later line). */
  masked: string[];
  outputs: Record<string, string>;
  /** What the step saved with core.saveState, for its post step. */
  state: Record<string, string>;
  summary: string;
  /** The run's RUNNER_TEMP, to check nothing was left in it. */
  runnerTemp: string;
  /** The signals sent, in order (a cancel). */
  signalsSent: NodeJS.Signals[];
}

/** A cancel as the runner sends it, from the first moment `at` holds for the log so far. */
export interface CancelPlan {
  at: (log: string) => boolean;
  /** Signals and their delay after the point, in ms; default the runner's own sequence. */
  sequence?: Array<{ signal: NodeJS.Signals; afterMs: number }>;
}

/** What actions/runner sends when a run is cancelled (ProcessInvoker's cancel). */
export const RUNNER_CANCEL: CancelPlan["sequence"] = [
  { signal: "SIGINT", afterMs: 0 },
  { signal: "SIGTERM", afterMs: 7500 },
  { signal: "SIGKILL", afterMs: 10_000 },
];

export interface RunOptions {
  /** `main` (default) or `post`. */
  entry?: "main" | "post";
  /** The state the main step saved (given to post as STATE_<name>). */
  state?: Record<string, string>;
  /** Reuse a RUNNER_TEMP (the post step runs in the same job as the main step). */
  runnerTemp?: string;
  cancel?: CancelPlan;
}

export async function runAction(
  action: string,
  workDir: string,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
  options: RunOptions = {},
): Promise<ActionRun> {
  const folder = await mkdtemp(join(workDir, "run-"));
  const runnerTemp = options.runnerTemp ?? join(folder, "temp");
  const outputFile = join(folder, "output");
  const stateFile = join(folder, "state");
  const summaryFile = join(folder, "summary");
  await writeFile(outputFile, "");
  await writeFile(stateFile, "");
  await writeFile(summaryFile, "");
  await mkdir(runnerTemp, { recursive: true });
  const inputEnv = Object.fromEntries(
    Object.entries({ ...(await actionDefaults(action)), ...inputs }).map(([name, value]) => [
      `INPUT_${name.replace(/ /g, "_").toUpperCase()}`,
      value,
    ]),
  );
  const stateEnv = Object.fromEntries(
    Object.entries(options.state ?? {}).map(([name, value]) => [`STATE_${name}`, value]),
  );
  const entry = options.entry === "post" ? join("post", "index.js") : "index.js";
  const bundle = join(process.cwd(), "actions", action, "dist", entry);
  const result = await runBundle(
    bundle,
    {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      RUNNER_TEMP: runnerTemp,
      GITHUB_OUTPUT: outputFile,
      GITHUB_STATE: stateFile,
      GITHUB_STEP_SUMMARY: summaryFile,
      ...inputEnv,
      ...stateEnv,
      ...env,
    },
    options.cancel,
  );
  const lines = result.log.split("\n");
  return {
    exitCode: result.code,
    signal: result.signal,
    log: lines.filter((line) => !line.startsWith("::add-mask::")).join("\n"),
    masked: lines
      .filter((line) => line.startsWith("::add-mask::"))
      .map((line) => unescapeCommandData(line.slice("::add-mask::".length))),
    outputs: parseFileCommand(await readFile(outputFile, "utf8")),
    state: parseFileCommand(await readFile(stateFile, "utf8")),
    summary: await readFile(summaryFile, "utf8"),
    runnerTemp,
    signalsSent: result.signalsSent,
  };
}

/**
 * The defaults action.yml declares, as the runner fills them in for every input the step
 * does not give. An expression default (`${{ github.token }}`) has no value outside a
 * workflow run: it becomes empty, as an unset context value does.
 */
async function actionDefaults(action: string): Promise<Record<string, string>> {
  const text = await readFile(join(process.cwd(), "actions", action, "action.yml"), "utf8");
  const declared = (parseYaml(text) as { inputs?: Record<string, { default?: unknown }> }).inputs;
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(declared ?? {})) {
    if (input?.default === undefined || input.default === null) continue;
    const value = String(input.default);
    defaults[name] = /\$\{\{.*\}\}/.test(value) ? "" : value;
  }
  return defaults;
}

/** The post step of `main`, as the runner runs it: same inputs, main's state, same RUNNER_TEMP. */
export function runPostStep(
  action: string,
  workDir: string,
  main: ActionRun,
  inputs: Record<string, string>,
  env: Record<string, string> = {},
): Promise<ActionRun> {
  return runAction(action, workDir, inputs, env, {
    entry: "post",
    state: main.state,
    runnerTemp: main.runnerTemp,
  });
}

interface BundleResult {
  code: number;
  signal: NodeJS.Signals | null;
  log: string;
  signalsSent: NodeJS.Signals[];
}

function runBundle(
  bundle: string,
  env: Record<string, string>,
  cancel?: CancelPlan,
): Promise<BundleResult> {
  const child = spawn(NODE24, [bundle], { env, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const timers: NodeJS.Timeout[] = [];
  const signalsSent: NodeJS.Signals[] = [];
  let cancelStarted = false;
  const startCancel = () => {
    if (!cancel || cancelStarted || !cancel.at(log)) return;
    cancelStarted = true;
    for (const { signal, afterMs } of cancel.sequence ?? RUNNER_CANCEL!) {
      timers.push(
        setTimeout(() => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          signalsSent.push(signal);
          child.kill(signal);
        }, afterMs),
      );
    }
  };
  const onOutput = (chunk: Buffer) => {
    log += chunk.toString("utf8");
    startCancel();
  };
  child.stdout.on("data", onOutput);
  child.stderr.on("data", onOutput);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      const signalNumber = signal ? constants.signals[signal] : 0;
      resolve({ code: code ?? 128 + signalNumber, signal, log, signalsSent });
    });
  });
}

/** @actions/core escapes %, CR and LF in command data. */
function unescapeCommandData(text: string): string {
  return text.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

/** GITHUB_OUTPUT's and GITHUB_STATE's `name<<delimiter` blocks; a later value wins. */
function parseFileCommand(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const pattern = /^([^<\n]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const match of text.matchAll(pattern)) values[match[1]!] = match[3]!;
  return values;
}

/** The ::error:: lines of a log: an action that fails should print exactly one. */
export function errorLines(log: string): string[] {
  return log.split("\n").filter((line) => line.startsWith("::error::"));
}
