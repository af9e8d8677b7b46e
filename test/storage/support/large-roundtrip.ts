/**
 * One backup and restore of a generated stream through the storage pipeline and one
 * backend (folder, S3-compatible, GitHub artifacts), run in a child process by the memory
 * tests and the benchmark so its peak memory can be measured alone. Everything it is
 * given and returns is plain JSON: servers run in the parent, the child gets their address.
 */
import { rm } from "node:fs/promises";
import { recordingLogger } from "../../../src/core/log/logger.ts";
import { runContextFromEnvironment } from "../../../src/core/run-context.ts";
import { exposeGarbageCollector } from "../../../src/expose-gc.ts";
import { X25519Identity } from "../../../src/core/crypto/age.ts";
import type { Digest } from "../../../src/core/crypto/hash.ts";
import type { Compression } from "../../../src/core/storage/compression.ts";
import { FileStore } from "../../../src/core/storage/file.ts";
import { findBackup, readBackup, storeBackup } from "../../../src/core/storage/pipeline.ts";
import type { SnapshotStore } from "../../../src/core/storage/types.ts";
import { peakRssBytes } from "../../support/peak-rss.ts";
import { generatedStream, hashingSink } from "./data.ts";

export interface RoundTripReport {
  source: Digest;
  restored: Digest;
  stored: Digest;
  manifestPlaintext: Digest;
  writeSeconds: number;
  readSeconds: number;
  /** This process's peak memory once the backup was stored, before the restore. */
  peakRssAfterWriteBytes: number;
}

/** Where the round trip stores its backup. */
export type BackendSpec =
  | { backend: "folder"; folder: string }
  | {
      backend: "s3";
      url: string;
      endpoint: string;
      credentials: { accessKeyId: string; secretAccessKey: string };
      /** The backend's defaults when unset. */
      partSizeBytes?: number;
      queueSize?: number;
    }
  | {
      backend: "artifact";
      stagingDir: string;
      /** ACTIONS_RUNTIME_TOKEN of the run that makes the backup. */
      backupRunToken: string;
      /** The restore: another run, reading the backup run's artifacts with a REST token. */
      restoreRunToken: string;
      backupRun: {
        token: string;
        workflowRunId: number;
        repositoryOwner: string;
        repositoryName: string;
      };
    };

export interface RoundTripOptions {
  store: BackendSpec;
  bytes: number;
  compression: Compression;
  encrypted: boolean;
}

/** The store a backup job writes to, and the one its restore reads from (after switching runs). */
async function storesFor(
  spec: BackendSpec,
): Promise<{ writer: SnapshotStore; reader: () => SnapshotStore; cleanUp: () => Promise<void> }> {
  const logger = recordingLogger();
  if (spec.backend === "folder") {
    const store = new FileStore(spec.folder);
    return {
      writer: store,
      reader: () => store,
      cleanUp: () => rm(spec.folder, { recursive: true, force: true }),
    };
  }
  if (spec.backend === "s3") {
    const { createS3Store } = await import("../../../src/core/storage/s3.ts");
    const store = createS3Store({ ...spec, region: "us-east-1", forcePathStyle: true, logger });
    return { writer: store, reader: () => store, cleanUp: async () => undefined };
  }
  const { createArtifactStore } = await import("../../../src/core/storage/artifact.ts");
  process.env.ACTIONS_RUNTIME_TOKEN = spec.backupRunToken;
  // Facts of a real runner that would point @actions/artifact elsewhere.
  delete process.env.GITHUB_SERVER_URL;
  delete process.env.GITHUB_RETENTION_DAYS;
  return {
    writer: createArtifactStore({
      logger,
      context: runContextFromEnvironment(process.env),
      stagingDir: spec.stagingDir,
    }),
    reader: () => {
      process.env.ACTIONS_RUNTIME_TOKEN = spec.restoreRunToken;
      return createArtifactStore({
        logger,
        context: runContextFromEnvironment(process.env),
        stagingDir: spec.stagingDir,
        otherRun: spec.backupRun,
      });
    },
    cleanUp: async () => undefined,
  };
}

/**
 * Stores `bytes` of generated snapshot-like data and reads the backup back into a hashing
 * sink; the source's sha256 is taken as it is generated, independently of the pipeline.
 * The backup is deleted afterwards.
 */
export async function roundTrip(options: RoundTripOptions): Promise<RoundTripReport> {
  // What the front doors do at start-up, so the pipeline is paced as in an action.
  exposeGarbageCollector();
  const logger = recordingLogger();
  const { writer, reader, cleanUp } = await storesFor(options.store);
  const { identity } = X25519Identity.generate();
  const generated = generatedStream(options.bytes);
  const writeStart = performance.now();
  const backup = await storeBackup(writer, {
    cluster: "uc1",
    kind: "user-etcd",
    source: generated.stream,
    compression: options.compression,
    ...(options.encrypted ? { recipients: [identity.recipient] } : { allowUnencrypted: true }),
    logger,
  });
  const writeSeconds = (performance.now() - writeStart) / 1000;
  const peakRssAfterWriteBytes = peakRssBytes();
  const readStart = performance.now();
  const sink = hashingSink();
  const restoreStore = reader();
  // As a restore job finds it: listed from its manifest, which must match where it lies.
  const listed = await findBackup(restoreStore, backup.location);
  await readBackup(restoreStore, listed, sink.sink, { identities: [identity], logger });
  const readSeconds = (performance.now() - readStart) / 1000;
  await restoreStore.delete(backup.location);
  await cleanUp();
  return {
    source: generated.digest(),
    restored: sink.digest(),
    stored: backup.manifest.payload.stored,
    manifestPlaintext: backup.manifest.payload.plaintext,
    writeSeconds,
    readSeconds,
    peakRssAfterWriteBytes,
  };
}

/** The benchmark's pipeline runs: a file through zstd+age into the folder backend and back (into nothing). */
export async function benchPipelineOnFile(options: {
  input: string;
  folder: string;
  recipient: string;
  secret: string;
}): Promise<{ storedBytes: number; write: PhaseCost; read: PhaseCost }> {
  exposeGarbageCollector();
  const { createReadStream } = await import("node:fs");
  const { Writable } = await import("node:stream");
  const { parseIdentities } = await import("../../../src/core/crypto/age.ts");
  const logger = recordingLogger();
  const store = new FileStore(options.folder);
  let backup: Awaited<ReturnType<typeof storeBackup>> | undefined;
  const write = await measurePhase(async () => {
    backup = await storeBackup(store, {
      cluster: "bench",
      kind: "user-etcd",
      source: createReadStream(options.input),
      recipients: [options.recipient],
      logger,
    });
  });
  const discard = new Writable({ write: (_data, _encoding, done) => done() });
  const read = await measurePhase(() =>
    readBackup(store, backup!, discard, { identities: parseIdentities(options.secret), logger }),
  );
  return { storedBytes: backup!.manifest.payload.stored.bytes, write, read };
}

export interface PhaseCost {
  seconds: number;
  /** User plus system CPU time of the whole process (all threads). */
  cpuSeconds: number;
}

async function measurePhase(run: () => Promise<unknown>): Promise<PhaseCost> {
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await run();
  const cpu = process.cpuUsage(cpuBefore);
  return { seconds: (performance.now() - start) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
