/**
 * One snapshot on its way out of a member pod (runbook 1.2-1.3): `etcdctl snapshot save`
 * in the pod, streamed while it is written, into two places at once: `stream`, which the
 * caller hands to the storage pipeline, and a private verification copy on the runner. The
 * pod's size and sha256 of its finished file (read, then the file removed) come from
 * `podFile`.
 *
 * Every path settles once. Whichever side fails first (the pod's save, the exec stream,
 * the verification copy, the storage pipeline reading `stream`) stops the others: `stream`
 * and the copy are destroyed and `delivered` rejects with that first error. The pod's save
 * is let finish (its bytes discarded; the pod's timeout bounds it) rather than cut off: an
 * etcdctl cut off from its client goes on writing and would leave its file behind the
 * clean-up; a finished one is removed by the pod's file check. `settled()` resolves once
 * nothing of the transfer is left running, and never rejects, so a clean-up can await it.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { PassThrough, Writable, type Readable } from "node:stream";
import { finished } from "node:stream/promises";
import { errorMessage } from "../errors.ts";
import { BATCH_BYTES, BatchBuilder } from "../storage/batching.ts";
import { NO_PACING } from "../storage/memory-pacer.ts";
import { teeInto, writeTo } from "../stream/tee.ts";
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
  /** Stops the transfer at once (cancellation): the exec is closed, nothing is drained. */
  signal?: AbortSignal;
}

/** The pod's own check of its finished file, read while the runner checks its copy. */
export interface PodFileCheck {
  /** Settles once the pod runs the check (or it failed to start): hash beside it meanwhile. */
  started: Promise<void>;
  /** Size and sha256 of the pod's file, which is then removed from the pod. */
  facts: Promise<PodFileFacts>;
}

export class SnapshotTransfer {
  /** The snapshot's bytes as they arrive: the storage pipeline's source. */
  readonly stream: Readable;
  /** How often the storage pipeline should pace V8's collector on this source (memory-pacer.ts). */
  readonly memoryPacingBytes = NO_PACING;
  /** Resolves once every byte reached `stream` and the complete copy; rejects with the first failure. */
  readonly delivered: Promise<void>;
  readonly copyPath: string;

  private readonly options: SnapshotTransferOptions;
  private readonly copy: WriteStream;
  private readonly tee: Writable;
  private readonly copyClosed: Promise<void>;
  private readonly saving: Promise<void>;
  private podCheck: PodFileCheck | undefined;
  private firstFailure: Error | undefined;
  private done = false;

  constructor(options: SnapshotTransferOptions) {
    this.options = options;
    this.copyPath = options.copyPath;
    // Batches arrive here (see inlet): one waits while the pipeline works on the last.
    const stream = new PassThrough({ highWaterMark: BATCH_BYTES });
    this.stream = stream;
    this.copy = createWriteStream(options.copyPath, { mode: 0o600, flags: "wx" });
    this.copyClosed = new Promise((resolve) => this.copy.once("close", () => resolve()));
    // Registered before the tee's own listeners: the copy's failure is named as such, not
    // reported as a failure of "the data" by whoever reads `stream`.
    this.copy.on("error", (error) => this.fail(this.copyFailure(error)));
    stream.on("error", (error) => this.fail(error));
    this.tee = teeInto(stream, this.copy, options.onBytes);
    this.tee.on("error", (error) => this.fail(error));
    const forwarding = finished(this.tee);
    const batches = new BatchBuilder();
    const saving = saveAndStreamSnapshot(options.target, options.podPath, this.inlet(batches), {
      timeoutMs: options.timeoutMs,
      ...(options.signal ? { signal: options.signal } : {}),
      // The pod hashes its finished file (then removes it) while the rest is on its way.
      onSaved: () => void this.podFile,
    }).then(
      async () => {
        // Every write of the exec has called back (execInPod waits for them): the rest follows.
        const rest = batches.takeRest();
        if (rest && !this.firstFailure) await writeTo(this.tee, rest).catch(() => undefined);
        if (!this.firstFailure) this.tee.end();
      },
      (error: unknown) => {
        throw this.fail(error);
      },
    );
    this.saving = saving.catch(() => undefined);
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
    await this.saving;
    await Promise.all([this.copyClosed, this.podCheck?.facts.catch(() => undefined)]);
  }

  /**
   * What the exec writes into: its frames copied into batches (storage/batching.ts), each
   * full batch handed to the tee while all is well, nothing once the transfer failed. The
   * frames die as soon as they are copied, so no socket buffer waits in a stream long
   * enough to reach V8's old generation (which took a full collection every 16 MiB to
   * free). Its write callbacks always come, so the exec never waits on a write a failure
   * elsewhere left hanging (a destroyed stream calls back no write that it had in hand).
   */
  private inlet(batches: BatchBuilder): Writable {
    return new Writable({
      highWaterMark: BATCH_BYTES,
      write: (chunk: Buffer, _encoding, done) => {
        if (this.firstFailure) return done();
        const full = batches.add(chunk);
        if (full.length === 0) return done();
        full
          .reduce(
            (previous, batch) => previous.then(() => writeTo(this.tee, batch)),
            Promise.resolve(),
          )
          .then(
            () => done(),
            () => done(), // the tee's 'error' listener has recorded the failure
          );
      },
    });
  }

  /** Records the first failure and stops the runner's side of the transfer; returns that first failure. */
  private fail(error: unknown): Error {
    if (this.firstFailure) return this.firstFailure;
    const failure = error instanceof Error ? error : new Error(errorMessage(error));
    this.firstFailure = failure;
    if (!this.stream.destroyed) this.stream.destroy(failure);
    if (!this.copy.destroyed) this.copy.destroy();
    if (!this.tee.destroyed) this.tee.destroy(failure);
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
