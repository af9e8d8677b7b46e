/**
 * One call for the actions: the backup verifies each snapshot before storing it, a restore
 * reports what it is about to restore. Verifies (throwing if damaged), then reads the
 * status and what the store holds per resource, and logs it in a few lines.
 */
import type { Logger } from "../log/logger.ts";
import { withSnapshotKeys, type ResourceCount } from "./keys.ts";
import { readSnapshotStatus, type SnapshotStatus } from "./status.ts";
import { assertSnapshotVerified, type SnapshotVerification } from "./verify.ts";

export interface SnapshotSummary {
  file: string;
  status: SnapshotStatus;
  verification: SnapshotVerification;
  /** Revisions at or below this were compacted away; 0 if never compacted. */
  compactRevision: number;
  /** Live keys per resource. */
  resources: ResourceCount[];
}

/** Verifies the snapshot and describes it; throws a SnapshotError when it is damaged. */
export function inspectSnapshot(file: string, options: { logger: Logger }): SnapshotSummary {
  const { logger } = options;
  logger.info(`Verifying snapshot ${file}`);
  const verification = assertSnapshotVerified(file, { logger });
  const status = readSnapshotStatus(file);
  // Counts only: no object per key (a store of a million keys would hold them all).
  const listing = withSnapshotKeys(file, {}, ({ count, compactRevision, resources }) => ({
    count,
    compactRevision,
    resources,
  }));
  const trailer =
    verification.trailer === "verified"
      ? "sha256 trailer verified"
      : "no sha256 trailer (structure checked only)";
  logger.info(
    `${file}: revision ${status.revision}, ${listing.count} live keys (${status.totalKey} entries), ` +
      `hash ${status.hash.toString(16).padStart(8, "0")}, ${status.totalSize} bytes; ${trailer}`,
  );
  logger.info(
    `${file} holds: ${listing.resources.map((count) => `${count.count} ${count.resource}`).join(", ") || "no keys"}`,
  );
  return {
    file,
    status,
    verification,
    compactRevision: listing.compactRevision,
    resources: listing.resources,
  };
}
