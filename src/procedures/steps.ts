/**
 * What the backup procedures share: the last step of every backup, and the shape of a
 * procedure's report of its steps.
 */
import type { Logger } from "../core/log/logger.ts";
import type { VerifiedBackup } from "../core/storage/pipeline.ts";
import { applyRetention, type RetentionPolicy } from "../core/storage/retention.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import type { PlanRun, StepDeclaration } from "./plan.ts";

/** The declaration of every backup's last step. */
export const applyRetentionDeclaration: StepDeclaration = {
  name: "applyRetention",
  purpose: "delete the backups beyond the retention policy, only after the new one is verified",
  effect: "changes",
  onlyWhen: "with a retention policy (keep-last or max-age)",
};

/**
 * The last step of every backup: when a retention policy is set, delete the backups beyond
 * it (only ever called with the new backup verified). Returns the URIs deleted.
 */
export async function applyRetentionStep(
  run: PlanRun,
  store: SnapshotStore,
  verified: VerifiedBackup,
  retention: RetentionPolicy,
  logger: Logger,
): Promise<string[] | undefined> {
  if (retention.keepLast === undefined && retention.maxAgeMs === undefined) {
    run.skip(applyRetentionDeclaration.name, "no retention policy is set");
    return undefined;
  }
  const outcome = await run.run(
    applyRetentionDeclaration.name,
    () => applyRetention(store, verified, retention, { logger }),
    (done) => `${done.deleted.length} deleted, ${done.kept.length} kept`,
  );
  return outcome.deleted.map((location) => location.uri);
}
