/**
 * What the backup procedures share: the last step of every backup, and the shape of a
 * procedure's report of its steps.
 */
import type { Logger } from "../core/log/logger.ts";
import {
  verifyStoredBackup,
  type StoredBackup,
  type VerifiedBackup,
} from "../core/storage/pipeline.ts";
import { applyRetention, type RetentionPolicy } from "../core/storage/retention.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import type { PlanRun, StepDeclaration, StepRecord } from "./plan.ts";

/** What every backup procedure reports of one backup. */
export interface BackupResult {
  /** `skipped`: a restore of the cluster holds its lock; backing it up now would race it. */
  outcome: "stored" | "failed" | "planned" | "skipped";
  size?: number;
  storedSize?: number;
  sha256?: string;
  uri?: string;
  durationMs: number;
  /** The backups retention deleted after this one was verified. */
  deleted?: string[];
  error?: string;
  /** Every planned step, in plan order, as done, failed or skipped. */
  steps: StepRecord[];
}

/**
 * The end of every backup: the stored bytes read back and checked against the manifest,
 * the result filled in from the manifest, then retention, which only a verified backup may
 * start. Returns what the manifest says of the etcd data, when it holds etcd data.
 */
export async function verifyAndRetain(
  run: PlanRun,
  store: SnapshotStore,
  stored: StoredBackup,
  retention: RetentionPolicy,
  logger: Logger,
  result: BackupResult,
): Promise<void> {
  const verified = await run.run("verifyStored", () => verifyStoredBackup(store, stored));
  const { payload } = stored.manifest;
  Object.assign(result, {
    outcome: "stored",
    size: payload.plaintext.bytes,
    storedSize: payload.stored.bytes,
    sha256: payload.plaintext.sha256,
    uri: stored.location.uri,
  });
  const deleted = await applyRetentionStep(run, store, verified, retention, logger);
  if (deleted) result.deleted = deleted;
}

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
