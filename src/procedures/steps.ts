/**
 * Plan, then act. A procedure is a list of named steps, each with the kubectl (or shell)
 * command an operator would have typed from the runbook; `dry-run` prints the plan, and a
 * real run logs every step as it starts and ends and keeps a journal of what happened.
 */
import type { Logger } from "../core/log/logger.ts";
import type { VerifiedBackup } from "../core/storage/pipeline.ts";
import { applyRetention, type RetentionPolicy } from "../core/storage/retention.ts";
import type { SnapshotStore } from "../core/storage/types.ts";

export interface PlannedStep {
  /** The step's name in the job log, e.g. `saveSnapshot(kube-etcd-1)`. */
  name: string;
  /** One line: what the step does and why. */
  description: string;
  /** What an operator following the runbook would have run for the same effect. */
  equivalent?: string;
}

export interface JournalEntry {
  step: string;
  outcome: "done" | "failed";
  startedAt: string;
  durationMs: number;
  detail?: string;
}

export class Journal {
  readonly entries: JournalEntry[] = [];

  constructor(private readonly logger: Logger) {}

  /** Runs one step: logs its start and end, records the outcome, rethrows a failure. */
  async run<T>(
    step: PlannedStep,
    body: () => Promise<T>,
    describeResult?: (result: T) => string,
  ): Promise<T> {
    const startedAt = new Date();
    this.logger.info(`▶ ${step.name}: ${step.description}`);
    try {
      const result = await body();
      const detail = describeResult?.(result);
      this.record(step, "done", startedAt, detail);
      this.logger.info(`✔ ${step.name} (${elapsed(startedAt)})${detail ? `: ${detail}` : ""}`);
      return result;
    } catch (error) {
      const detail = (error as Error).message;
      this.record(step, "failed", startedAt, detail);
      // Logged, not annotated: the run reports each failure once, as one error, at its end.
      this.logger.info(`✘ ${step.name} (${elapsed(startedAt)}): ${detail}`);
      throw error;
    }
  }

  private record(
    step: PlannedStep,
    outcome: JournalEntry["outcome"],
    startedAt: Date,
    detail?: string,
  ) {
    this.entries.push({
      step: step.name,
      outcome,
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      ...(detail ? { detail } : {}),
    });
  }
}

/** Prints a plan the way `dry-run` shows it: numbered steps with their runbook equivalent. */
export function printPlan(logger: Logger, title: string, steps: PlannedStep[]): void {
  logger.info(`Plan: ${title}`);
  steps.forEach((step, index) => {
    logger.info(`  ${index + 1}. ${step.name}: ${step.description}`);
    if (step.equivalent) logger.info(`       $ ${step.equivalent}`);
  });
}

function elapsed(since: Date): string {
  const ms = Date.now() - since.getTime();
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The last step of every backup: when a retention policy is set, delete the backups beyond
 * it (only ever called with the new backup verified). Returns the URIs deleted.
 */
export async function applyRetentionStep(
  journal: Journal,
  store: SnapshotStore,
  verified: VerifiedBackup,
  retention: RetentionPolicy,
  logger: Logger,
): Promise<string[] | undefined> {
  if (retention.keepLast === undefined && retention.maxAgeMs === undefined) return undefined;
  const outcome = await journal.run(
    { name: "applyRetention", description: "delete backups beyond the retention policy" },
    () => applyRetention(store, verified, retention, { logger }),
    (done) => `${done.deleted.length} deleted, ${done.kept.length} kept`,
  );
  return outcome.deleted.map((location) => location.uri);
}
