/**
 * What `bench/etcd-backup.bench.ts` runs in a child process (through
 * test/support/memory.ts, bundled to plain JavaScript), so the action's peak memory is
 * its own: the procedure itself, and the same work taken apart step by step to see
 * where its time goes. Arguments and results cross the process boundary as JSON.
 */
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  openSync,
  readFileSync,
  readSync,
} from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { userClusterProfile } from "../../src/core/etcd/profiles.ts";
import {
  fileSizeInPod,
  sha256InPod,
  streamFileFromPod,
  type PodTarget,
} from "../../src/core/etcd/pod-snapshot.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { teeInto } from "../../src/core/stream/tee.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { assertSnapshotVerified, listSnapshotKeys } from "../../src/core/snapshot/index.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { storeBackup, verifyStoredBackup } from "../../src/core/storage/pipeline.ts";
import { exposeGarbageCollector } from "../../src/expose-gc.ts";
import { runEtcdBackup } from "../../src/procedures/etcd-backup.ts";

export interface BackupArgs {
  kubeconfigPath: string;
  cluster: string;
  storeDir: string;
  workDir: string;
  recipient: string;
}

export interface BackupReport {
  wallMs: number;
  /** This process's CPU seconds (user plus system, all its threads) during the backup. */
  cpuSeconds: number;
  /** The highest of each of process.memoryUsage()'s figures, sampled every 50 ms, in MiB. */
  memoryMaxMiB: Record<string, number>;
  outcome: string;
  error?: string;
  member?: string;
  size?: number;
  storedSize?: number;
  steps: Array<{ step: string; durationMs: number }>;
}

/** The project's procedure, as the action runs it: one user cluster, zstd, age, a folder store. */
export async function backUpCluster(args: BackupArgs): Promise<BackupReport> {
  // As the action's entry does before anything flows (memory-pacer.ts).
  exposeGarbageCollector();
  const config = await loadKubeconfig({ path: args.kubeconfigPath });
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const memory = sampleMemory();
  const [result] = await runEtcdBackup({
    config,
    clusters: [args.cluster],
    store: new FileStore(args.storeDir),
    recipients: [args.recipient],
    allowUnencrypted: false,
    compression: "zstd",
    retention: {},
    dryRun: false,
    workDir: args.workDir,
    logger: recordingLogger(),
  });
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    wallMs,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    memoryMaxMiB: memory.stop(),
    outcome: result?.outcome ?? "none",
    ...(result?.error ? { error: result.error } : {}),
    ...(result?.member ? { member: result.member } : {}),
    ...(result?.size !== undefined ? { size: result.size } : {}),
    ...(result?.storedSize !== undefined ? { storedSize: result.storedSize } : {}),
    steps: (result?.steps ?? []).map(({ step, durationMs }) => ({ step, durationMs })),
  };
}

/**
 * Where the memory goes during the backup: V8's heap, the ArrayBuffers (batches, frames,
 * live or waiting for a collection) and the whole process (RSS), each at its highest.
 */
function sampleMemory(): { stop: () => Record<string, number> } {
  const max: Record<string, number> = {};
  const sample = () => {
    for (const [name, bytes] of Object.entries(process.memoryUsage())) {
      max[name] = Math.max(max[name] ?? 0, Math.round(bytes / 1048576));
    }
  };
  const timer = setInterval(sample, 50);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return max;
    },
  };
}

export interface PartsArgs extends BackupArgs {
  pod: string;
  /** A snapshot already saved in the pod; left there (the caller removes it). */
  podPath: string;
}

export interface PartTiming {
  part: string;
  ms: number;
  /** This child's VmHWM once the part is done: a rise shows the part that raised it. */
  peakMiB: number;
}

/** Each part of the procedure's transfer and checks, timed alone, in the procedure's order. */
export async function timeParts(args: PartsArgs): Promise<PartTiming[]> {
  exposeGarbageCollector();
  const config = await loadKubeconfig({ path: args.kubeconfigPath });
  const target: PodTarget = { config, profile: userClusterProfile(args.cluster), pod: args.pod };
  const parts: PartTiming[] = [];
  const time = async <T>(part: string, body: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await body();
    parts.push({ part, ms: performance.now() - started, peakMiB: peakMiB() });
    return result;
  };
  const local = join(args.workDir, "parts-copy.db");
  const storeDir = join(args.storeDir, "parts");
  await mkdir(storeDir, { recursive: true });
  try {
    await time("stat in the pod (exec)", () => fileSizeInPod(target, args.podPath));
    await time("sha256sum in the pod (exec, runs beside the transfer)", () =>
      sha256InPod(target, args.podPath),
    );
    await time("exec cat -> discard", () => streamFileFromPod(target, args.podPath, discard()));
    await time("exec cat -> local file", async () => {
      const file = createWriteStream(local, { mode: 0o600 });
      await streamFileFromPod(target, args.podPath, file);
      await new Promise<void>((resolve, reject) =>
        file.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    });
    const store = new FileStore(storeDir);
    for (const copyHighWaterMark of [16 * 1024, 8 * 1024 * 1024]) {
      await time(
        `exec cat -> tee(copy, hwm ${copyHighWaterMark / 1024} KiB; zstd -> age -> FileStore)`,
        () => streamThroughTee(target, args, store, copyHighWaterMark, local),
      );
    }
    const stored = await time("local file -> zstd -> age -> FileStore", () =>
      storeBackup(store, {
        cluster: args.cluster,
        kind: "user-etcd",
        source: createReadStream(local, { highWaterMark: 1024 * 1024 }),
        compression: "zstd",
        recipients: [args.recipient],
        logger: recordingLogger(),
      }),
    );
    await time("snapshot reader: verify the copy", async () => assertSnapshotVerified(local));
    await time("snapshot reader: list keys (revision, key count)", async () =>
      listSnapshotKeys(local),
    );
    // The structure check's parts (issue 14): how much of verify is the trailer's second
    // sha256 pass over the copy (the pipeline hashes the same bytes as they stream by); the
    // rest of verify is its tree walk, which reads the pages again (from the page cache).
    await time("sha256 of the copy alone (verify's trailer check)", async () =>
      sha256OfFile(local),
    );
    await time("verifyStoredBackup (read the payload back)", () =>
      verifyStoredBackup(store, stored),
    );
    await time("read local copy -> discard (disk read speed)", () =>
      pipeline(createReadStream(local, { highWaterMark: 1024 * 1024 }), discard()),
    );
  } finally {
    await rm(local, { force: true });
    await rm(storeDir, { recursive: true, force: true });
  }
  return parts;
}

/** Hashes a file as the snapshot reader hashes its trailer: 4 MiB synchronous reads into one buffer. */
function sha256OfFile(file: string): string {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  const descriptor = openSync(file, "r");
  try {
    for (;;) {
      const read = readSync(descriptor, buffer, 0, buffer.length, null);
      if (read === 0) return hash.digest("hex");
      hash.update(buffer.subarray(0, read));
    }
  } finally {
    closeSync(descriptor);
  }
}

function peakMiB(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

function discard(): Writable {
  return new Writable({ highWaterMark: 1024 * 1024, write: (_chunk, _encoding, done) => done() });
}

/**
 * The procedure's streaming step, rebuilt here to time it with another high-water mark on
 * the verification copy (the procedure opens it with the default 16 KiB): the pod's bytes
 * go through a tee into the local copy and into the storage pipeline.
 */
async function streamThroughTee(
  target: PodTarget,
  args: PartsArgs,
  store: FileStore,
  copyHighWaterMark: number,
  copyPath: string,
): Promise<void> {
  const source = new PassThrough({ highWaterMark: 1024 * 1024 });
  const copy = createWriteStream(`${copyPath}.tee`, {
    mode: 0o600,
    highWaterMark: copyHighWaterMark,
  });
  const tee = teeInto(source, copy);
  const transfer = streamFileFromPod(target, args.podPath, tee).then(
    () =>
      new Promise<void>((resolve, reject) =>
        tee.end((error?: Error | null) => (error ? reject(error) : resolve())),
      ),
  );
  try {
    await storeBackup(store, {
      cluster: args.cluster,
      kind: "user-etcd",
      source,
      compression: "zstd",
      recipients: [args.recipient],
      logger: recordingLogger(),
      beforeManifest: async () => {
        await transfer;
      },
    });
  } finally {
    await transfer.catch(() => undefined);
    await rm(`${copyPath}.tee`, { force: true });
  }
}
