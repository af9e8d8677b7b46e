/**
 * One backup and restore of a generated stream through the folder backend, run in a child
 * process by the memory tests and the benchmark so its peak memory can be measured alone.
 */
import { rm } from "node:fs/promises";
import { recordingLogger } from "../../../src/core/log/logger.ts";
import { X25519Identity } from "../../../src/core/crypto/age.ts";
import type { Digest } from "../../../src/core/crypto/hash.ts";
import type { Compression } from "../../../src/core/storage/compression.ts";
import { FileStore } from "../../../src/core/storage/file.ts";
import { readBackup, storeBackup } from "../../../src/core/storage/pipeline.ts";
import { generatedStream, hashingSink } from "./data.ts";

export interface RoundTripReport {
  source: Digest;
  restored: Digest;
  stored: Digest;
  manifestPlaintext: Digest;
  writeSeconds: number;
  readSeconds: number;
}

export async function roundTripThroughFolder(options: {
  folder: string;
  bytes: number;
  compression: Compression;
  encrypted: boolean;
}): Promise<RoundTripReport> {
  const logger = recordingLogger();
  const store = new FileStore(options.folder);
  const { identity } = X25519Identity.generate();
  const generated = generatedStream(options.bytes);
  const writeStart = performance.now();
  const backup = await storeBackup(store, {
    cluster: "uc1",
    kind: "user-etcd",
    source: generated.stream,
    compression: options.compression,
    ...(options.encrypted ? { recipients: [identity.recipient] } : { allowUnencrypted: true }),
    logger,
  });
  const writeSeconds = (performance.now() - writeStart) / 1000;
  const readStart = performance.now();
  const sink = hashingSink();
  await readBackup(store, backup, sink.sink, { identities: [identity], logger });
  const readSeconds = (performance.now() - readStart) / 1000;
  await rm(options.folder, { recursive: true, force: true });
  return {
    source: generated.digest(),
    restored: sink.digest(),
    stored: backup.manifest.payload.stored,
    manifestPlaintext: backup.manifest.payload.plaintext,
    writeSeconds,
    readSeconds,
  };
}

/** The benchmark's pipeline runs: a file through zstd+age into the folder backend and back (into nothing). */
export async function benchPipelineOnFile(options: {
  input: string;
  folder: string;
  recipient: string;
  secret: string;
}): Promise<{ storedBytes: number; write: PhaseCost; read: PhaseCost }> {
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
