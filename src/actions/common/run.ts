/**
 * The one way an action's main step runs: its body gets a logger, an AbortSignal and a
 * clean-up registry; an error fails the step with one `::error::` line; a cancel from the
 * Actions UI (SIGINT, then SIGTERM ~7.5 s later, then SIGKILL ~2.5 s after that) stops the
 * procedure, removes what it created, and ends with one cancel message and exit code 1.
 * What could not be removed stays in the step's state for the `post:` step (post.ts).
 */
import * as core from "@actions/core";
import { runCancellable } from "../../core/cancel.ts";
import { CleanupRegistry, type CleanupTarget } from "../../core/cleanup.ts";
import { errorMessage } from "../../core/errors.ts";
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

/** After SIGINT the runner waits ~7.5 s before SIGTERM; after SIGTERM ~2.5 s before SIGKILL. */
const STOP_WAIT_MS = { SIGINT: 4000, SIGTERM: 1000 };
const CLEANUP_TIMEOUT_MS = 2000;

export interface RunActionOptions {
  /** The one sentence for a failure; by default the error's message. */
  describeFailure?: (error: unknown) => string;
}

export async function runAction(
  body: (context: ActionContext) => Promise<void>,
  options: RunActionOptions = {},
): Promise<void> {
  const logger = actionsLogger();
  const cleanups = new CleanupRegistry({ onChange: saveCleanups });
  const outcome = await runCancellable((signal) => body({ logger, signal, cleanups }), {
    logger,
    cleanups,
    stopWaitMs: STOP_WAIT_MS,
    cleanupTimeoutMs: CLEANUP_TIMEOUT_MS,
  });
  if (outcome.kind === "settled") {
    if (outcome.error !== undefined) {
      core.setFailed((options.describeFailure ?? errorMessage)(outcome.error));
    }
    return;
  }
  const postNote = outcome.report.failed.length ? " The post step tries again." : "";
  core.setFailed(`${outcome.message}${postNote}`);
  // Whatever the aborted procedure still has pending must not keep the step alive.
  process.exit(1);
}

/** Writes the job summary (or, outside Actions, logs it). */
export async function writeSummary(markdown: string, logger: Logger): Promise<void> {
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
  else logger.info(markdown);
}

function saveCleanups(targets: CleanupTarget[]): void {
  core.saveState(State.Cleanups, JSON.stringify(targets));
}
