/**
 * What every backend does the same way (as gardener's snapstore keeps its utils.go): the
 * order listings come in, the order a backup's objects go in a delete, reading manifests a
 * few at a time, trying a remote call again, and where a backup sits in a listing.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isClusterName, isTimestamp, parseBackupKind } from "./layout.ts";
import type { BackupKind, BackupLocation, ListFilter } from "./types.ts";

/** Newest first; backups of the same second by cluster, then kind, so the order is stable. */
export function compareNewestFirst(a: BackupLocation, b: BackupLocation): number {
  return (
    b.timestamp.localeCompare(a.timestamp) ||
    a.cluster.localeCompare(b.cluster) ||
    a.kind.localeCompare(b.kind)
  );
}

/** The listed backups, newest first (the order `SnapshotStore.list` promises). */
export function newestFirst<T extends { location: BackupLocation }>(backups: T[]): T[] {
  return backups.sort((a, b) => compareNewestFirst(a.location, b.location));
}

export function matchesFilter(location: BackupLocation, filter: ListFilter): boolean {
  return (
    (!filter.cluster || location.cluster === filter.cluster) &&
    (!filter.kind || location.kind === filter.kind)
  );
}

/**
 * The complete backups among the manifests a backend found by name: those `filter` asks
 * for, each manifest read by `readManifest` (a few at a time; undefined when it vanished
 * since the listing, e.g. retention running elsewhere), newest first.
 */
export async function readListedBackups<T extends { location: BackupLocation }>(
  manifests: readonly T[],
  filter: ListFilter,
  readsInParallel: number,
  readManifest: (found: T) => Promise<Buffer | undefined>,
): Promise<Array<{ location: BackupLocation; manifest: Buffer }>> {
  const wanted = manifests.filter((found) => matchesFilter(found.location, filter));
  const read = await mapInBatches(wanted, readsInParallel, async (found) => {
    const manifest = await readManifest(found);
    return manifest ? { location: found.location, manifest } : undefined;
  });
  return newestFirst(read.filter((backup) => backup !== undefined));
}

/**
 * The place of a backup named by an object's path or an artifact's name, or undefined when
 * the name is not one of ours (listing skips what it does not recognise).
 */
export function backupPlaceOf(
  cluster: string | undefined,
  kind: string | undefined,
  timestamp: string | undefined,
): { cluster: string; kind: BackupKind; timestamp: string } | undefined {
  if (!cluster || !kind || !timestamp || !isClusterName(cluster) || !isTimestamp(timestamp)) {
    return undefined;
  }
  try {
    return { cluster, kind: parseBackupKind(kind), timestamp };
  } catch {
    return undefined;
  }
}

/**
 * Deletes a backup's objects one by one, its manifest first: a delete interrupted half-way
 * leaves a backup that is no longer listed, never a listed backup without its payload. The
 * first failure stops the delete and is thrown as `describeFailure` words it.
 */
export async function deleteManifestFirst(
  names: readonly string[],
  isManifest: (name: string) => boolean,
  deleteOne: (name: string) => Promise<void>,
  describeFailure: (name: string, error: unknown) => Error,
): Promise<void> {
  const ordered = [...names].sort((a, b) => Number(isManifest(b)) - Number(isManifest(a)));
  for (const name of ordered) {
    try {
      await deleteOne(name);
    } catch (error) {
      throw describeFailure(name, error);
    }
  }
}

/** `work` over every item, at most `batchSize` at once, results in the items' order. */
export async function mapInBatches<T, R>(
  items: readonly T[],
  batchSize: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += batchSize) {
    results.push(...(await Promise.all(items.slice(start, start + batchSize).map(work))));
  }
  return results;
}

export interface RetryPolicy {
  attempts: number;
  /** How long to wait after failed attempt number `attempt` (1, 2, ...). */
  delayMs: (attempt: number) => number;
  /** Whether this failure is worth another attempt; default every failure. */
  retryable?: (error: unknown) => boolean;
}

/** Runs `attempt` until it succeeds, the failure is not retryable, or the attempts are spent. */
export async function withRetries<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
): Promise<T> {
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      const retryable = policy.retryable?.(error) ?? true;
      if (!retryable || attemptNumber >= policy.attempts) throw error;
      await sleep(policy.delayMs(attemptNumber));
    }
  }
}

/** An HTTP answer outside 2xx, carrying its status so a retry policy can judge it. */
export class HttpStatusError extends Error {
  override readonly name = "HttpStatusError";

  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** The HTTP status of a failed answer, or undefined for a network failure. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof HttpStatusError ? error.status : undefined;
}

/** A rate limit or a server error: worth another attempt, unlike a 4xx or a broken network. */
export function isBusyAnswer(error: unknown): boolean {
  const status = statusOf(error);
  return status !== undefined && (status === 429 || status >= 500);
}

/** A network error's message with its code (ECONNREFUSED...) when the message lacks it. */
export function networkErrorMessage(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}
