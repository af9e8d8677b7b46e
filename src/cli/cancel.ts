/**
 * Ctrl-C (SIGINT) and SIGTERM during a CLI command: the procedure is stopped, what it created
 * (the snapshot in the pod, the local verification copy) is removed, one line says so, and
 * the process exits 130 (SIGINT) or 143 (SIGTERM), as a shell expects of a signalled command.
 */
import { runCancellable } from "../core/cancel.ts";
import { CleanupRegistry } from "../core/cleanup.ts";
import type { Logger } from "../core/log/logger.ts";

export interface CancellableContext {
  signal: AbortSignal;
  cleanups: CleanupRegistry;
}

const STOP_WAIT_MS = { SIGINT: 4000, SIGTERM: 2000 };
const CLEANUP_TIMEOUT_MS = 5000;
const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 };

/** Runs `body`; returns its value, throws its error, or exits the process on a signal. */
export async function runUntilSignalled<T>(
  logger: Logger,
  body: (context: CancellableContext) => Promise<T>,
  beforeMessage?: () => void,
): Promise<T> {
  const cleanups = new CleanupRegistry();
  let value: T | undefined;
  const outcome = await runCancellable(
    async (signal) => {
      value = await body({ signal, cleanups });
    },
    { logger, cleanups, stopWaitMs: STOP_WAIT_MS, cleanupTimeoutMs: CLEANUP_TIMEOUT_MS },
  );
  if (outcome.kind === "cancelled") {
    beforeMessage?.();
    process.stderr.write(`${outcome.message}\n`);
    process.exit(EXIT_CODE[outcome.signal]);
  }
  if (outcome.error !== undefined) throw outcome.error;
  return value as T;
}
