/**
 * Running a procedure so that SIGINT and SIGTERM stop it cleanly, for both front doors (the
 * actions and the CLI): the signal aborts the procedure's AbortSignal, the procedure gets a
 * moment to stop by itself (its own clean-up runs then), then every clean-up still
 * registered runs, and the caller gets one sentence saying what was removed. A second
 * signal skips the wait. Nothing here exits the process: the front door decides how.
 */
import {
  describeTarget,
  type CleanupRegistry,
  type CleanupReport,
  type CleanupTarget,
} from "./cleanup.ts";
import { CancelledError } from "./errors.ts";
import type { Logger } from "./log/logger.ts";

export type CancelSignal = "SIGINT" | "SIGTERM";

export type RunOutcome =
  | { kind: "settled"; error?: unknown }
  | { kind: "cancelled"; signal: CancelSignal; message: string; report: CleanupReport };

export interface CancellableRun {
  logger: Logger;
  cleanups: CleanupRegistry;
  /**
   * How long the procedure may take to stop by itself after each signal. The Actions runner
   * sends SIGTERM ~7.5 s after SIGINT and SIGKILL ~2.5 s after that.
   */
  stopWaitMs: Record<CancelSignal, number>;
  /** Each remaining clean-up gets this long, so a cluster that stopped answering cannot hang us. */
  cleanupTimeoutMs: number;
}

export async function runCancellable(
  body: (signal: AbortSignal) => Promise<void>,
  run: CancellableRun,
): Promise<RunOutcome> {
  const controller = new AbortController();
  const signals = listenForSignals();
  try {
    const outcome = settle(body(controller.signal));
    const first = await Promise.race([outcome, signals.next()]);
    if (first.kind === "settled") return first;
    // Errors of streams torn down by the abort are expected now; none may end in a stack trace.
    process.on("unhandledRejection", ignore);
    const pendingAtCancel = run.cleanups.targets;
    run.logger.info(`Received ${first.signal}: stopping the run and removing what it created.`);
    controller.abort(new CancelledError(`The run was cancelled (${first.signal}).`));
    await Promise.race([outcome, delay(run.stopWaitMs[first.signal]), signals.next()]);
    const report = await run.cleanups.runAll(run.logger, run.cleanupTimeoutMs);
    const message = cancelMessage(first.signal, pendingAtCancel, run.cleanups.targets, report);
    return { kind: "cancelled", signal: first.signal, message, report };
  } finally {
    signals.stop();
  }
}

/** One sentence: what was removed, and what is left for later (the post step, or by hand). */
export function cancelMessage(
  signal: CancelSignal,
  pendingAtCancel: CleanupTarget[],
  stillPending: CleanupTarget[],
  report: CleanupReport,
): string {
  const left = new Set(stillPending.map(describeTarget));
  const cleaned = [...new Set([...pendingAtCancel, ...report.done].map(describeTarget))].filter(
    (what) => !left.has(what),
  );
  const parts = [
    `The run was cancelled (${signal}) before it finished (a backup it had not finished is never listed)`,
  ];
  if (cleaned.length) parts.push(`removed ${cleaned.join(", ")}`);
  else if (!left.size) parts.push("it had nothing in a cluster or on this machine to remove");
  if (left.size) parts.push(`could not remove ${[...left].join(", ")} (see the warnings above)`);
  return `${parts.join("; ")}.`;
}

function ignore(): void {}

function settle(promise: Promise<void>): Promise<RunOutcome> {
  return promise.then(
    () => ({ kind: "settled" }),
    (error: unknown) => ({ kind: "settled", error: error ?? new Error("the run failed") }),
  );
}

function listenForSignals() {
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
      new Promise<{ kind: "signal"; signal: CancelSignal }>((resolve) =>
        waiting.push((signal) => resolve({ kind: "signal", signal })),
      ),
    stop: () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
