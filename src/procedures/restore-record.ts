/**
 * The restore record: a small JSON object written at the destination beside the cluster's
 * backups (`<cluster>/restores/<timestamp>.json`), so the audit trail that holds every backup
 * holds every restore too: who restored, when, from which backup, and what came of it.
 * Written for a restore that succeeded and for one that failed; writing it is best effort and
 * never hides the restore's own outcome or error.
 */
import { TOOL_VERSION } from "../core/version.ts";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../core/log/logger.ts";
import { formatTimestamp } from "../core/storage/layout.ts";
import type { SnapshotStore } from "../core/storage/types.ts";

export const RESTORE_RECORD_VERSION = 1;

/** Who asked for the restore, as the front door knows it. */
export interface RestoreAudit {
  /** GITHUB_ACTOR inside Actions, the user at the terminal for the CLI. */
  actor: string;
  /** The workflow run's link, when the restore ran inside GitHub Actions. */
  runUrl?: string;
  /** Which front door: `etcd-restore-ha` (Actions) or `cli`. */
  via: string;
}

/** What a restore reports that belongs in its record (EtcdRestoreResult extends it). */
export interface RestoreFacts {
  cluster: string;
  outcome: string;
  backup: string;
  revision?: number;
  keys?: number;
  members: string[];
  bump?: number;
  preRestoreFolders: string[];
  removedPreRestoreFolders: string[];
  /** From the first scale-down (or the control plane's stop) to the API server Ready again. */
  outageMs?: number;
  durationMs: number;
  error?: string;
}

export interface RestoreRecord extends RestoreFacts {
  recordVersion: number;
  kind: "restore";
  startedAt: string;
  finishedAt: string;
  actor: string;
  runUrl?: string;
  via: string;
  toolVersion: string;
}

export function restoreRecord(
  facts: RestoreFacts,
  audit: RestoreAudit,
  startedAt: Date,
  finishedAt: Date,
): RestoreRecord {
  return {
    recordVersion: RESTORE_RECORD_VERSION,
    kind: "restore",
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    actor: audit.actor,
    ...(audit.runUrl ? { runUrl: audit.runUrl } : {}),
    via: audit.via,
    toolVersion: TOOL_VERSION,
    cluster: facts.cluster,
    outcome: facts.outcome,
    backup: facts.backup,
    ...(facts.revision !== undefined ? { revision: facts.revision } : {}),
    ...(facts.keys !== undefined ? { keys: facts.keys } : {}),
    members: facts.members,
    ...(facts.bump !== undefined ? { bump: facts.bump } : {}),
    preRestoreFolders: facts.preRestoreFolders,
    removedPreRestoreFolders: facts.removedPreRestoreFolders,
    ...(facts.outageMs !== undefined ? { outageMs: facts.outageMs } : {}),
    durationMs: facts.durationMs,
    ...(facts.error ? { error: facts.error } : {}),
  };
}

/**
 * Writes the record at the destination; resolves with its URI, or undefined (with a warning
 * that says what to do) when it could not be written. Never rejects: the restore's own
 * outcome is what the run reports.
 */
export async function writeRestoreRecord(
  store: SnapshotStore,
  record: RestoreRecord,
  logger: Logger,
): Promise<string | undefined> {
  if (!store.putRestoreRecord) {
    logger.warning(
      `The destination ${store.description} keeps no restore records; the restore of ${record.cluster} is recorded only in this run's log and summary.`,
    );
    return undefined;
  }
  const body = Buffer.from(`${JSON.stringify(record, null, 2)}\n`);
  try {
    const uri = await store.putRestoreRecord(
      record.cluster,
      formatTimestamp(new Date(record.startedAt)),
      body,
    );
    logger.info(`Restore record written: ${uri}`);
    return uri;
  } catch (error) {
    logger.warning(
      `The restore record of ${record.cluster} could not be written to ${store.description} (${errorMessage(error)}); the restore's outcome (${record.outcome}) stands. Keep this run's log as its record.`,
    );
    return undefined;
  }
}
