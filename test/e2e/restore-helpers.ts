/**
 * The setup the restore e2e files share: a real age key pair, real backups into a folder
 * store, etcdctl in a member's own container, and the admin node's SSH key and etcd as the
 * runbook reaches them (kubectl).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { expect } from "vitest";
import { etcdctl } from "../../src/core/etcd/etcdctl.ts";
import { userClusterProfile } from "../../src/core/etcd/profiles.ts";
import { execChecked } from "../../src/core/kube/exec.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { checkedManifest, findBackup, type StoredBackup } from "../../src/core/storage/pipeline.ts";
import type { BackupKind, SnapshotStore } from "../../src/core/storage/types.ts";
import { runEtcdBackup, type ClusterBackupResult } from "../../src/procedures/etcd-backup.ts";
import type { Sandbox } from "../sandbox/index.ts";
import { ADMIN_ETCDCTL } from "./helpers.ts";

const run = promisify(execFile);

/** A new age key pair in `work/<file>` (real age-keygen): its recipient and the identity's text. */
export async function ageKeyPair(
  work: string,
  file = "key.txt",
): Promise<{ recipient: string; identityText: string }> {
  const path = join(work, file);
  await run("age-keygen", ["-o", path]);
  const recipient = (await run("age-keygen", ["-y", path])).stdout.trim();
  return { recipient, identityText: await readFile(path, "utf8") };
}

/** etcdctl in a user cluster member's own etcd container, through the API server's exec. */
export async function etcdctlIn(
  config: KubeConfig,
  cluster: string,
  pod: string,
  ...args: string[]
): Promise<string> {
  const profile = userClusterProfile(cluster);
  const { stdout } = await execChecked(config, {
    namespace: cluster,
    pod,
    container: profile.container,
    command: etcdctl(profile, ...args),
  });
  return stdout;
}

export interface BackupTarget {
  config: KubeConfig;
  store: SnapshotStore;
  recipient: string;
  work: string;
}

/** Real encrypted backups of `clusters` into the store, each of which must be stored. */
export async function backUpEtcd(
  target: BackupTarget,
  clusters: string[],
): Promise<ClusterBackupResult[]> {
  const results = await runEtcdBackup({
    config: target.config,
    clusters,
    store: target.store,
    recipients: [target.recipient],
    allowUnencrypted: false,
    compression: "zstd",
    retention: {},
    dryRun: false,
    logger: recordingLogger(),
    workDir: target.work,
  });
  for (const result of results) expect(result.outcome, result.error).toBe("stored");
  return results;
}

/** A real backup of one user cluster, found in the store as a restore is given it. */
export async function backUpUserCluster(
  target: BackupTarget,
  cluster: string,
): Promise<StoredBackup> {
  const [result] = await backUpEtcd(target, [cluster]);
  expect(result?.outcome, result?.error).toBe("stored");
  const timestamp = result!.uri!.split("/").filter(Boolean).pop()!;
  return findBackup(target.store, { cluster, kind: "user-etcd", timestamp });
}

/** The newest listed backup of a cluster and kind, its manifest checked against its place. */
export async function newestBackup(
  store: SnapshotStore,
  cluster: string,
  kind: BackupKind,
): Promise<StoredBackup> {
  const [entry] = await store.list({ cluster, kind });
  return { location: entry!.location, manifest: checkedManifest(entry!.location, entry!.manifest) };
}

/** kubectl with the sandbox's admin kubeconfig; a non-zero exit throws. */
export async function kubectl(sandbox: Sandbox, ...args: string[]): Promise<string> {
  const { stdout } = await run("kubectl", ["--kubeconfig", sandbox.kubeconfigPath, ...args], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** etcdctl inside the admin etcd's own container, as the runbook runs it. */
export async function adminEtcdctl(sandbox: Sandbox, args: string): Promise<string> {
  return kubectl(
    sandbox,
    "exec",
    "-n",
    "kube-system",
    sandbox.layout.admin.etcdPod,
    "-c",
    "etcd",
    "--",
    "sh",
    "-ec",
    `ETCDCTL_API=3 ${ADMIN_ETCDCTL} ${args}`,
  );
}

/** The admin node's SSH private key, read from its Secret as the runbook reads it. */
export async function adminSshKey(sandbox: Sandbox): Promise<Buffer> {
  const { namespace, name, field } = sandbox.layout.admin.sshKeySecret;
  const secret = (
    await kubectl(
      sandbox,
      "get",
      "secret",
      "-n",
      namespace,
      name,
      "-o",
      `jsonpath={.data.${field}}`,
    )
  ).trim();
  return Buffer.from(secret, "base64");
}

/** The keys under a prefix in the admin etcd. */
export async function adminKeys(sandbox: Sandbox, prefix: string): Promise<string[]> {
  const out = await adminEtcdctl(sandbox, `get --prefix --keys-only ${prefix}`);
  return out.split("\n").filter(Boolean);
}
