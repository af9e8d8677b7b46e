/**
 * A backup's plaintext streamed into pods: read (and decrypted) once on the runner, the same
 * bytes fanned out to every pod through exec stdin, each pod checking the manifest's size and
 * sha256 before the file gets its name (stream-into-pod.ts). The restore's way: one utility
 * pod per member.
 */
import { PassThrough, type Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import { AgeDecryptionError } from "../crypto/age.ts";
import type { X25519Identity } from "../crypto/age-keys.ts";
import type { Logger } from "../log/logger.ts";
import { BackupIntegrityError, readBackup, type StoredBackup } from "../storage/pipeline.ts";
import type { SnapshotStore } from "../storage/types.ts";
import { fanOut } from "../stream/tee.ts";
import type { PodTarget } from "./pod-target.ts";
import { streamFileIntoPod } from "./stream-into-pod.ts";

export interface BackupIntoPodsOptions {
  config: KubeConfig;
  store: SnapshotStore;
  backup: StoredBackup;
  identities: readonly X25519Identity[];
  /** Each pod and the file it receives. */
  destinations: ReadonlyArray<{ target: PodTarget; path: string }>;
  logger: Logger;
  signal?: AbortSignal;
}

/**
 * Resolves when every pod holds the checked file;
 * rejects with the root cause: a damaged or undecryptable backup before a pod's failure.
 */
export async function streamBackupIntoPods(options: BackupIntoPodsOptions): Promise<void> {
  const plaintext = options.backup.manifest.payload.plaintext;
  const feeds = options.destinations.map(() => new PassThrough({ highWaterMark: 1024 * 1024 }));
  const deliveries = options.destinations.map((destination, index) =>
    streamFileIntoPod(
      options.config,
      destination.target,
      destination.path,
      feeds[index]!,
      { bytes: plaintext.bytes, sha256: plaintext.sha256 },
      options.signal ? { signal: options.signal } : {},
    ),
  );
  const outputs: Writable[] = feeds;
  const read = readBackup(options.store, options.backup, fanOut(outputs), {
    identities: options.identities,
    logger: options.logger,
  }).catch((error: unknown) => {
    // Every receiver stops at once, removing its partial file.
    for (const output of outputs) output.destroy(error as Error);
    throw error;
  });
  const [readOutcome, ...deliveryOutcomes] = await Promise.allSettled([read, ...deliveries]);
  const deliveryFailure = deliveryOutcomes.find((outcome) => outcome.status === "rejected");
  if (readOutcome!.status === "rejected") {
    const cause = readOutcome!.reason as unknown;
    // A damaged or undecryptable backup is the root cause; a closed feed is a pod's failure.
    if (
      cause instanceof BackupIntegrityError ||
      cause instanceof AgeDecryptionError ||
      !deliveryFailure
    )
      throw cause;
  }
  if (deliveryFailure) throw (deliveryFailure as PromiseRejectedResult).reason;
}
