/**
 * What `bench/storage.bench.ts` runs in a child process for a profile of each direction on
 * its own (test/support/memory.ts bundles it to plain JavaScript): the store (sha256, zstd,
 * age, sha256, the folder backend) and the restore's read path (fetch, sha256 of the stored
 * bytes, age, zstd, sha256 of the plaintext), each in its own child so that its CPU profile
 * and its peak memory are its alone. Arguments and results cross the process boundary as JSON.
 */
import { createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { readBackup, storeBackup, type StoredBackup } from "../../src/core/storage/pipeline.ts";
import { exposeGarbageCollector } from "../../src/expose-gc.ts";

export interface DirectionCost {
  seconds: number;
  /** User plus system CPU time of the whole process (all threads). */
  cpuSeconds: number;
}

/** Stores `input` into the folder store at `folder`; returns the backup for restoreOnly. */
export async function storeOnly(options: {
  input: string;
  folder: string;
  recipient: string;
}): Promise<{ backup: StoredBackup; cost: DirectionCost }> {
  exposeGarbageCollector();
  let backup: StoredBackup | undefined;
  const cost = await measured(async () => {
    backup = await storeBackup(new FileStore(options.folder), {
      cluster: "bench",
      kind: "user-etcd",
      source: createReadStream(options.input),
      recipients: [options.recipient],
      logger: recordingLogger(),
    });
  });
  if (!backup) throw new Error("storeBackup returned no backup");
  return { backup, cost };
}

/** Reads `backup` back from the folder store, every check on, the plaintext discarded. */
export async function restoreOnly(options: {
  folder: string;
  backup: StoredBackup;
  secret: string;
}): Promise<DirectionCost> {
  exposeGarbageCollector();
  const discard = new Writable({ write: (_data, _encoding, done) => done() });
  return measured(() =>
    readBackup(new FileStore(options.folder), options.backup, discard, {
      identities: parseIdentities(options.secret),
      logger: recordingLogger(),
    }),
  );
}

async function measured(run: () => Promise<unknown>): Promise<DirectionCost> {
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await run();
  const cpu = process.cpuUsage(cpuBefore);
  return {
    seconds: (performance.now() - started) / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}
