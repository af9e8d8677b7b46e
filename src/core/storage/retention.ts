/**
 * Retention per cluster and kind: keep-last-N and max-age, two independent limits (a backup
 * goes when it is beyond the newest N, or older than the max age). It runs only after a new
 * backup was stored and verified (it takes nothing else), never deletes that backup nor the
 * newest good one, leaves alone anything whose manifest it cannot read, and reports each
 * deletion.
 */
import { ConfigurationError } from "../errors.ts";
import { quoteValue } from "../redact.ts";
import type { Logger } from "../log/logger.ts";
import { parseTimestamp } from "./layout.ts";
import type { BackupManifest } from "./manifest.ts";
import { checkedManifest, type VerifiedBackup } from "./pipeline.ts";
import type { BackupLocation, SnapshotStore } from "./types.ts";

export interface RetentionPolicy {
  /** Keep at most this many backups (at least 1). */
  keepLast?: number;
  /** Delete backups older than this many milliseconds. */
  maxAgeMs?: number;
}

export interface RetentionResult {
  deleted: BackupLocation[];
  kept: BackupLocation[];
  /** Listed folders whose manifest could not be read; never deleted automatically. */
  skipped: Array<{ location: BackupLocation; reason: string }>;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Parses the inputs as a user writes them: keep-last "7", max-age "30d" (m, h, d, w); empty means no limit. */
export function parseRetentionPolicy(input: {
  keepLast?: string;
  maxAge?: string;
}): RetentionPolicy {
  const policy: RetentionPolicy = {};
  const keepLast = input.keepLast?.trim();
  if (keepLast) {
    if (!/^\d+$/.test(keepLast) || Number(keepLast) < 1) {
      throw new ConfigurationError(
        "keepLast",
        `the retention keep-last ${quoteValue(input.keepLast ?? "")} is not valid; expected a whole number of 1 or more (the newest backup is always kept).`,
      );
    }
    policy.keepLast = Number(keepLast);
  }
  const maxAge = input.maxAge?.trim();
  if (maxAge) {
    const match = /^(\d+)\s*([mhdw])$/.exec(maxAge);
    if (!match || Number(match[1]) < 1) {
      throw new ConfigurationError(
        "maxAge",
        `the retention max-age ${quoteValue(input.maxAge ?? "")} is not valid; expected a number and a unit m, h, d or w, such as 30d.`,
      );
    }
    policy.maxAgeMs = Number(match[1]) * UNITS[match[2]!]!;
  }
  return policy;
}

/** node-pki backups are kept per node (the manifest's source.node); every other kind is one series. */
function seriesOf(manifest: BackupManifest): string {
  return manifest.kind === "node-pki" ? (manifest.source.node ?? "") : "";
}

function describePolicy(policy: RetentionPolicy): string {
  const parts = [];
  if (policy.keepLast !== undefined) parts.push(`keep the last ${policy.keepLast}`);
  if (policy.maxAgeMs !== undefined)
    parts.push(`delete after ${Math.round(policy.maxAgeMs / 3_600_000)} h`);
  return parts.join(", ") || "no limit";
}

export async function applyRetention(
  store: SnapshotStore,
  newBackup: VerifiedBackup,
  policy: RetentionPolicy,
  options: { logger: Logger; now?: Date },
): Promise<RetentionResult> {
  if (
    policy.keepLast !== undefined &&
    (!Number.isSafeInteger(policy.keepLast) || policy.keepLast < 1)
  ) {
    throw new Error(
      `The retention keep-last ${policy.keepLast} is not valid; expected a whole number of 1 or more.`,
    );
  }
  const { cluster, kind } = newBackup.location;
  const logger = options.logger;
  const now = (options.now ?? new Date()).getTime();
  const listed = await store.list({ cluster, kind });
  const result: RetentionResult = { deleted: [], kept: [], skipped: [] };
  const good: BackupLocation[] = [];
  const series = seriesOf(newBackup.manifest);
  for (const entry of listed) {
    try {
      const manifest = checkedManifest(entry.location, entry.manifest);
      // Another node's archives are another series: each node keeps its own last N.
      if (seriesOf(manifest) !== series) continue;
      good.push(entry.location);
    } catch (error) {
      result.skipped.push({ location: entry.location, reason: (error as Error).message });
      logger.warning(`Retention leaves ${entry.location.uri} alone: ${(error as Error).message}`);
    }
  }
  if (!good.some((location) => location.timestamp === newBackup.location.timestamp)) {
    throw new Error(
      `Retention for ${cluster}/${kind} stopped before deleting anything: the new backup ${newBackup.location.uri} is not listed in ${store.description}.`,
    );
  }
  const newest = good[0]!;
  const doomed = good.filter((location, index) => {
    if (location.timestamp === newBackup.location.timestamp || location === newest) return false;
    const beyondCount = policy.keepLast !== undefined && index >= policy.keepLast;
    const tooOld =
      policy.maxAgeMs !== undefined &&
      now - parseTimestamp(location.timestamp).getTime() > policy.maxAgeMs;
    return beyondCount || tooOld;
  });
  result.kept = good.filter((location) => !doomed.includes(location));
  const of = series ? `${cluster}/${kind} of node ${series}` : `${cluster}/${kind}`;
  logger.info(
    `Retention for ${of} (${describePolicy(policy)}): ${good.length} backups, deleting ${doomed.length}.`,
  );
  const failures: string[] = [];
  for (const location of doomed) {
    try {
      await store.delete(location);
      result.deleted.push(location);
      logger.info(`Deleted old backup ${location.uri}`);
    } catch (error) {
      failures.push(`${location.uri}: ${(error as Error).message}`);
    }
  }
  if (failures.length > 0) {
    throw new Error(
      `Retention for ${cluster}/${kind} deleted ${result.deleted.length} backup(s) (${result.deleted.map((location) => location.uri).join(", ") || "none"}) but could not delete ${failures.length}: ${failures.join("; ")}.`,
    );
  }
  return result;
}
