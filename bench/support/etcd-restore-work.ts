/**
 * What `bench/etcd-restore.bench.ts` runs in a child process (through test/support/memory.ts,
 * bundled to plain JavaScript), as the action runs on a runner: a process of its own, not
 * sharing the bench's event loop with the sandbox's API server. Arguments and results cross
 * the process boundary as JSON.
 */
import { readFile } from "node:fs/promises";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { findBackup } from "../../src/core/storage/pipeline.ts";
import { exposeGarbageCollector } from "../../src/expose-gc.ts";
import { runEtcdRestore, type EtcdRestoreResult } from "../../src/procedures/etcd-restore.ts";

export interface RestoreArgs {
  kubeconfigPath: string;
  cluster: string;
  storeDir: string;
  timestamp: string;
  keyFile: string;
}

/** The project's procedure, as the action runs it: one user cluster from a folder store. */
export async function restoreCluster(args: RestoreArgs): Promise<EtcdRestoreResult> {
  // As the action's entry does before anything flows (memory-pacer.ts).
  exposeGarbageCollector();
  const config = await loadKubeconfig({ path: args.kubeconfigPath });
  const store = new FileStore(args.storeDir);
  const backup = await findBackup(store, {
    cluster: args.cluster,
    kind: "user-etcd",
    timestamp: args.timestamp,
  });
  const logger = recordingLogger();
  const result = await runEtcdRestore({
    config,
    cluster: args.cluster,
    store,
    backup,
    identities: parseIdentities(await readFile(args.keyFile, "utf8")),
    confirm: args.cluster,
    revisionBump: "auto",
    dryRun: false,
    waitTimeoutMs: 600_000,
    logger,
    audit: { actor: "bench", via: "bench" },
  });
  if (result.outcome !== "restored") {
    throw new Error(
      `the restore of ${args.cluster} failed: ${result.error}\n${logger.lines.join("\n")}`,
    );
  }
  return result;
}
