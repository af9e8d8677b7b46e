/**
 * One snapshot on its way out of a member pod (runbook 1.2-1.3): `etcdctl snapshot save`
 * in the pod, streamed while it is written, into two places at once: `stream`, which the
 * caller hands to the storage pipeline, and a private verification copy on the runner. The
 * pod's size and sha256 of its finished file (read, then the file removed) come from
 * `podFile`.
 *
 * Every path settles once. Whichever side fails first (the pod's save, the exec stream,
 * the verification copy, the storage pipeline reading `stream`) stops all the others: the
 * exec is aborted, `stream` and the copy are destroyed, and `delivered` rejects with that
 * first error. `settled()` resolves once nothing of the transfer is left running, and
 * never rejects, so a caller can always await it in its clean-up.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { errorMessage } from "../errors.ts";
import { createMemoryPacer } from "../storage/memory-pacer.ts";
import { teeInto } from "../stream/tee.ts";
import {
  fileFactsThenRemove,
  saveAndStreamSnapshot,
  type PodFileFacts,
  type PodTarget,
} from "./pod-snapshot.ts";

export interface SnapshotTransferOptions {
  target: PodTarget;
  /** The unique path of the snapshot in the pod (uniqueSnapshotPath). */
  podPath: string;
  /** The runner's verification copy: created exclusively, mode 0600. */
  copyPath: string;
  /** How long `etcdctl snapshot save` may take. */
  timeoutMs: number;
  /** Told the size of every piece received, for progress. */
  onBytes?: (bytes: number) => void;
  /** Stops the transfer (cancellation); the transfer then fails with the signal's reason. */
  signal?: AbortSignal;
}

/** The pod's own check of its finished file, read while the runner checks its copy. */
export interface PodFileCheck {
  /** Settles once the pod runs the check (or it failed to start): hash beside it meanwhile. */
  started: Promise<void>;
  /** Size and sha256 of the pod's file, which is then removed from the pod. */
  facts: Promise<PodFileFacts>;
}

/**
 * Many 32 KiB exec frames wait in the stream buffers long enough to be promoted to V8's old
 * generation, which only a full collection frees (V8 starts one on its own only once ~64 MiB
 * of them are held). Measured on a 240 MB snapshot streamed into zstd, age and a folder:
 * +68 MiB above the loaded process without it, +31 MiB with a full collection every 16 MiB.
 */
const FULL_COLLECTION_INTERVAL_BYTES = 16 * 1024 * 1024;

export class SnapshotTransfer {
  /** The snapshot's bytes as they arrive: the storage pipeline's source. */
  readonly stream: Readable;
  /** Resolves once every byte reached `stream` and the complete copy; rejects with the first failure. */
  readonly delivered: Promise<void>;
  readonly copyPath: string;

  private readonly options: SnapshotTransferOptions;
  private readonly abort = new AbortController();
  private readonly copy: WriteStream;
  private readonly copyClosed: Promise<void>;
  private podCheck: PodFileCheck | undefined;
  private firstFailure: Error | undefined;
  private done = false;

  constructor(options: SnapshotTransferOptions) {
    this.options = options;
    this.copyPath = options.copyPath;
    const stream = createMemoryPacer({ fullCollectionEveryBytes: FULL_COLLECTION_INTERVAL_BYTES });
    this.stream = stream;
    this.copy = createWriteStream(options.copyPath, { mode: 0o600, flags: "wx" });
    this.copyClosed = new Promise((resolve) => this.copy.once("close", () => resolve()));
    // Registered before the tee's own listeners: the copy's failure is named as such, not
    // reported as a failure of "the data" by whoever reads `stream`.
    this.copy.on("error", (error) => this.fail(this.copyFailure(error)));
    stream.on("error", (error) => this.fail(error));
    // The exec writes into the tee, whose write callbacks always come (taken, failed or
    // gone), so the exec never waits on a write that a failure elsewhere left hanging.
    const inlet = teeInto(stream, this.copy, options.onBytes);
    inlet.on("error", (error) => this.fail(error));
    const forwarding = finished(inlet);
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.abort.signal])
      : this.abort.signal;
    const saving = saveAndStreamSnapshot(options.target, options.podPath, inlet, {
      timeoutMs: options.timeoutMs,
      signal,
      // The pod hashes its finished file (then removes it) while the rest is on its way.
      onSaved: () => void this.podFile,
    }).then(
      () => void inlet.end(),
      (error: unknown) => {
        throw this.fail(error);
      },
    );
    this.delivered = Promise.all([saving, forwarding]).then(
      () => {
        this.done = true;
        if (this.firstFailure) throw this.firstFailure;
      },
      (error: unknown) => {
        this.done = true;
        throw this.fail(error);
      },
    );
    this.delivered.catch(() => undefined);
  }

  /** The pod's check of its file, started on first use (at the latest once all is delivered). */
  get podFile(): PodFileCheck {
    if (!this.podCheck) {
      const check = fileFactsThenRemove(this.options.target, this.options.podPath);
      check.facts.catch(() => undefined);
      this.podCheck = check;
    }
    return this.podCheck;
  }

  /** Stops whatever still runs (after a failure elsewhere) and waits until all of it settled. */
  async settled(): Promise<void> {
    // The caller gave up on it (its store failed before reading, say): stop it, don't wait.
    if (!this.done) this.fail(new Error("the snapshot transfer was stopped before it finished"));
    await this.delivered.catch(() => undefined);
    await Promise.all([this.copyClosed, this.podCheck?.facts.catch(() => undefined)]);
  }

  /** Records the first failure and stops every part of the transfer; returns that first failure. */
  private fail(error: unknown): Error {
    const failure = error instanceof Error ? error : new Error(errorMessage(error));
    if (this.firstFailure) return this.firstFailure;
    this.firstFailure = failure;
    this.abort.abort(failure);
    if (!this.stream.destroyed) this.stream.destroy(failure);
    if (!this.copy.destroyed) this.copy.destroy();
    return failure;
  }

  private copyFailure(error: Error): Error {
    return new Error(
      `writing the runner's verification copy ${this.copyPath} failed: ${error.message}; check the free space and permissions of the work folder (RUNNER_TEMP)`,
      { cause: error },
    );
  }
}

/** Starts the snapshot in the pod and its transfer; see SnapshotTransfer. */
export function startSnapshotTransfer(options: SnapshotTransferOptions): SnapshotTransfer {
  return new SnapshotTransfer(options);
}
