/**
 * The one way an action's main step runs: its body gets a logger, an AbortSignal and a
 * clean-up registry; an error fails the step with one `::error::` line; a cancel from the
 * Actions UI (SIGINT, then SIGTERM ~7.5 s later, then SIGKILL ~2.5 s after that) stops the
 * procedure, removes what it created, and ends with one cancel message and exit code 1.
 * What could not be removed stays in the step's state for the `post:` step (post.ts).
 */
import * as core from "@actions/core";
import {
  CleanupRegistry,
  describeTarget,
  type CleanupReport,
  type CleanupTarget,
} from "../../core/cleanup.ts";
import { CancelledError, errorMessage } from "../../core/errors.ts";
import type { Logger } from "../../core/log/logger.ts";
import { actionsLogger } from "./logger.ts";

/** The names under which the main step leaves data for the post step, declared once. */
export const State = {
  /** JSON array of CleanupTarget: what the main step created and has not removed yet. */
  Cleanups: "cleanups",
} as const;

export interface ActionContext {
  logger: Logger;
  /** Aborted on SIGINT or SIGTERM: hand it to the procedure. */
  signal: AbortSignal;
  /** Hand it to the procedure: it registers what it creates until it removed it. */
  cleanups: CleanupRegistry;
}

/**
 * How long the procedure may take to stop by itself (its own clean-up runs then) before the
 * registry removes what is left: after SIGINT the runner waits ~7.5 s for the process, after
 * SIGTERM only ~2.5 s.
 */
const STOP_WAIT_MS = { SIGINT: 4000, SIGTERM: 1000 } as const;
/** Each remaining clean-up gets this long, so a cluster that stopped answering cannot hang us. */
const CLEANUP_TIMEOUT_MS = 2000;

type CancelSignal = keyof typeof STOP_WAIT_MS;

export async function runAction(body: (context: ActionContext) => Promise<void>): Promise<void> {
  const logger = actionsLogger();
  const cleanups = new CleanupRegistry({ onChange: saveCleanups });
  const controller = new AbortController();
  const signals = listenForCancel();
  const outcome = settle(body({ logger, signal: controller.signal, cleanups }));
  const first = await Promise.race([outcome, signals.next()]);
  if (first.kind === "settled") {
    signals.stop();
    if (first.error !== undefined) core.setFailed(errorMessage(first.error));
    return;
  }
  await cancel(first.signal, { logger, cleanups, controller, outcome, signals });
}

/**
 * Stops the run: the procedure is aborted and given a moment to stop by itself, then every
 * clean-up still registered runs; one cancel message, and the process ends now, whatever
 * might still be pending.
 */
async function cancel(
  signal: CancelSignal,
  run: {
    logger: Logger;
    cleanups: CleanupRegistry;
    controller: AbortController;
    outcome: Promise<Settled>;
    signals: CancelSignals;
  },
): Promise<never> {
  // Errors of streams torn down by the abort are expected now; none may end in a stack trace.
  process.on("unhandledRejection", () => undefined);
  const pendingAtCancel = run.cleanups.targets;
  run.logger.info(`Received ${signal}: stopping the run and removing what it created.`);
  run.controller.abort(new CancelledError(`The run was cancelled (${signal}).`));
  await Promise.race([run.outcome, delay(STOP_WAIT_MS[signal]), run.signals.next()]);
  const report = await run.cleanups.runAll(run.logger, CLEANUP_TIMEOUT_MS);
  core.setFailed(cancelMessage(signal, pendingAtCancel, run.cleanups.targets, report));
  process.exit(1);
}

/** One sentence: what was removed, and what the post step will still try to remove. */
export function cancelMessage(
  signal: string,
  pendingAtCancel: CleanupTarget[],
  stillPending: CleanupTarget[],
  report: CleanupReport,
): string {
  const left = new Set(stillPending.map(describeTarget));
  const cleaned = [...new Set([...pendingAtCancel, ...report.done].map(describeTarget))].filter(
    (what) => !left.has(what),
  );
  const parts = [`The run was cancelled (${signal}) before it finished; no backup of it is listed`];
  parts.push(
    cleaned.length
      ? `removed ${cleaned.join(", ")}`
      : "it had nothing in the cluster or on the runner to remove",
  );
  if (left.size) {
    parts.push(`could not remove ${[...left].join(", ")} (the post step tries again)`);
  }
  return `${parts.join("; ")}.`;
}

/** Writes the job summary (or, outside Actions, logs it). */
export async function writeSummary(markdown: string, logger: Logger): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
  else logger.info(markdown);
}

function saveCleanups(targets: CleanupTarget[]): void {
  core.saveState(State.Cleanups, JSON.stringify(targets));
}

type Settled = { kind: "settled"; error?: unknown };

function settle(promise: Promise<void>): Promise<Settled> {
  return promise.then(
    () => ({ kind: "settled" }),
    (error: unknown) => ({ kind: "settled", error: error ?? new Error("the run failed") }),
  );
}

interface CancelSignals {
  /** Resolves at the next SIGINT or SIGTERM. */
  next(): Promise<{ kind: "signal"; signal: CancelSignal }>;
  stop(): void;
}

function listenForCancel(): CancelSignals {
  const waiting: Array<(signal: CancelSignal) => void> = [];
  const onSignal = (signal: CancelSignal) => {
    for (const resolve of waiting.splice(0)) resolve(signal);
  };
  const onInt = () => onSignal("SIGINT");
  const onTerm = () => onSignal("SIGTERM");
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onTerm);
  return {
    next: () =>
      new Promise((resolve) => waiting.push((signal) => resolve({ kind: "signal", signal }))),
    stop: () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
