/**
 * `npm run demo`: brings the sandbox admin cluster up, shows its clusters (namespaces,
 * members, nodes) and the health of every etcd member, asked the way the runbook asks
 * (`kubectl exec ... -- etcdctl ... endpoint health` and `endpoint status -w table`, with
 * the runbook's certificate paths), backs up every cluster with the etcd-backup procedure
 * (to a temporary folder, encrypted to an age key made for the run), backs up the admin
 * control plane's PKI over SSH with the admin-pki-backup procedure (the node's host key
 * pinned, the archive listed back with age, zstd and tar), then writes a key into uc1 and
 * restores uc1 from its backup with the etcd-restore-ha procedure (the key written after the
 * backup is gone, the members healthy as one cluster), and tears it all down.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { backupResultsTable } from "../src/cli/backup.ts";
import { pkiResultTable } from "../src/cli/pki-backup.ts";
import { parseIdentities } from "../src/core/crypto/age.ts";
import { endpointHealth, etcdctl } from "../src/core/etcd/etcdctl.ts";
import {
  adminClusterProfile,
  userClusterProfile,
  type EtcdClusterProfile,
} from "../src/core/etcd/profiles.ts";
import { loadKubeconfig } from "../src/core/kube/kubeconfig.ts";
import { consoleLogger, type Logger } from "../src/core/log/logger.ts";
import { runContextFromEnvironment } from "../src/core/run-context.ts";
import { openStore, parseDestination } from "../src/core/storage/destination.ts";
import { findNewestVerifiedBackup } from "../src/core/storage/pipeline.ts";
import { runAdminPkiBackup } from "../src/procedures/admin-pki-backup.ts";
import { runEtcdBackup } from "../src/procedures/etcd-backup.ts";
import { runEtcdRestore } from "../src/procedures/etcd-restore.ts";
import { startSandbox, type Sandbox } from "../test/sandbox/index.ts";

const run = promisify(execFile);

async function kubectl(sandbox: Sandbox, ...args: string[]): Promise<string> {
  try {
    const { stdout } = await run("kubectl", ["--kubeconfig", sandbox.kubeconfigPath, ...args]);
    return stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string };
    return `${failure.stdout ?? ""}${failure.stderr ?? ""}`;
  }
}

/**
 * `endpoint health` and `endpoint status -w table` in a member's pod, as runbook sections 1
 * and 4 run them, with the certificate paths of the cluster's profile.
 */
async function memberHealth(sandbox: Sandbox, profile: EtcdClusterProfile, pod: string) {
  for (const command of [
    endpointHealth(profile),
    etcdctl(profile, "endpoint", "status", "-w", "table"),
  ]) {
    const line = `ETCDCTL_API=3 ${command.join(" ")} 2>&1`;
    const args = ["exec", "-n", profile.namespace, pod, "-c", profile.container, "--"];
    process.stdout.write(await kubectl(sandbox, ...args, "/bin/sh", "-ec", line));
  }
}

function heading(title: string): void {
  process.stdout.write(`\n=== ${title} ===\n`);
}

async function showCluster(sandbox: Sandbox): Promise<void> {
  const { layout } = sandbox;
  heading("nodes");
  process.stdout.write(await kubectl(sandbox, "get", "nodes", "-o", "wide"));
  heading("namespaces");
  process.stdout.write(await kubectl(sandbox, "get", "namespaces"));

  for (const cluster of layout.userClusters) {
    heading(
      `user cluster ${cluster.name} (namespace ${cluster.namespace}, ${cluster.members.length} etcd member${cluster.members.length === 1 ? "" : "s"})`,
    );
    for (const member of cluster.members) {
      process.stdout.write(
        `  ${member.pod} on ${member.node} (${member.podIP}), data in PVC ${member.pvc}\n`,
      );
    }
    process.stdout.write(
      await kubectl(sandbox, "get", "pods", "-n", cluster.namespace, "-o", "wide"),
    );
    for (const member of cluster.members) {
      process.stdout.write(`\n${cluster.name}/${member.pod}: `);
      await memberHealth(sandbox, userClusterProfile(cluster.namespace), member.pod);
    }
  }

  heading(
    `admin cluster (node ${layout.admin.node}, static pods from ${layout.admin.manifestsDir})`,
  );
  process.stdout.write(
    await kubectl(
      sandbox,
      "get",
      "pods",
      "-n",
      "kube-system",
      "-l",
      "component=etcd,tier=control-plane",
      "-o",
      "wide",
    ),
  );
  process.stdout.write(`\nkube-system/${layout.admin.etcdPod}: `);
  await memberHealth(sandbox, adminClusterProfile(), layout.admin.etcdPod);

  heading("content");
  for (const [cluster, summary] of Object.entries(layout.content)) {
    process.stdout.write(
      `  ${cluster}: ${summary.keys} keys (${summary.deleted} deleted, ${summary.leased} under a lease), ${(summary.bytes / 1024).toFixed(0)} KiB of values\n`,
    );
  }
}

/** An age key made for this run: backups are encrypted to its public half. */
async function ageKey(work: string): Promise<{ keyFile: string; recipient: string }> {
  const keyFile = join(work, "age-key.txt");
  await run("age-keygen", ["-o", keyFile]);
  return { keyFile, recipient: (await run("age-keygen", ["-y", keyFile])).stdout.trim() };
}

/** Backs up every sandbox cluster to a folder in `work`. */
async function backUpEveryCluster(
  sandbox: Sandbox,
  logger: Logger,
  work: string,
  recipient: string,
): Promise<void> {
  heading("backing up every cluster (etcd-backup, clusters: all)");
  const destination = parseDestination(`file://${join(work, "backups")}`);
  const results = await runEtcdBackup({
    config: await loadKubeconfig({ path: sandbox.kubeconfigPath }),
    clusters: ["all"],
    store: await openStore(destination, {
      logger,
      context: runContextFromEnvironment(process.env),
    }),
    recipients: [recipient],
    allowUnencrypted: false,
    compression: "zstd",
    retention: {},
    dryRun: false,
    logger,
    workDir: work,
  });
  heading(`backups (encrypted to ${recipient})`);
  process.stdout.write(backupResultsTable(results, destination.uri));
}

/**
 * Backs up the admin control plane's PKI over SSH (admin-pki-backup): the node and its key
 * come from the cluster, the host key is pinned; then lists the stored archive the way an
 * operator would check it.
 */
async function backUpAdminPki(
  sandbox: Sandbox,
  logger: Logger,
  work: string,
  key: { keyFile: string; recipient: string },
): Promise<void> {
  heading("backing up the admin control plane's PKI over SSH (admin-pki-backup)");
  const folder = join(work, "backups");
  const destination = parseDestination(`file://${folder}`);
  const result = await runAdminPkiBackup({
    config: await loadKubeconfig({ path: sandbox.kubeconfigPath }),
    hostKeys: { knownHosts: [sandbox.layout.ssh.node.knownHostsLine] },
    acceptUnknownHostKey: false,
    store: await openStore(destination, {
      logger,
      context: runContextFromEnvironment(process.env),
    }),
    recipients: [key.recipient],
    compression: "zstd",
    retention: {},
    dryRun: false,
    logger,
  });
  process.stdout.write(pkiResultTable(result, destination.uri));
  if (result.outcome !== "stored" || !result.uri) return;
  const payload = join(new URL(result.uri).pathname, "pki.tar.zst.age");
  heading(`age -d -i age-key.txt ${payload} | zstd -d | tar -tv`);
  const { stdout } = await run("sh", [
    "-c",
    'age -d -i "$1" "$2" | zstd -d -q | tar --numeric-owner -tvf -',
    "sh",
    key.keyFile,
    payload,
  ]);
  process.stdout.write(stdout);
}

/**
 * Writes a key into uc1 after its backup, restores uc1 from that backup (etcd-restore-ha),
 * and shows the key is gone and the members are one healthy cluster again.
 */
async function restoreUc1(
  sandbox: Sandbox,
  logger: Logger,
  work: string,
  keyFile: string,
): Promise<void> {
  const profile = userClusterProfile("uc1");
  const exec = ["exec", "-n", "uc1", "kube-etcd-0", "-c", profile.container, "--"];
  const put = etcdctl(profile, "put", "/demo/written-after-the-backup", "gone after the restore");
  heading(`a key written after the backup: ${put.slice(-3).join(" ")}`);
  process.stdout.write(await kubectl(sandbox, ...exec, ...put));
  heading("restoring uc1 from its latest backup (etcd-restore-ha)");
  const store = await openStore(parseDestination(`file://${join(work, "backups")}`), {
    logger,
    context: runContextFromEnvironment(process.env),
  });
  const result = await runEtcdRestore({
    config: await loadKubeconfig({ path: sandbox.kubeconfigPath }),
    cluster: "uc1",
    store,
    backup: await findNewestVerifiedBackup(store, { cluster: "uc1", kind: "user-etcd" }),
    identities: parseIdentities(await readFile(keyFile, "utf8")),
    confirm: "uc1",
    revisionBump: "auto",
    dryRun: false,
    logger,
  });
  process.stdout.write(
    `restore of uc1: ${result.outcome}${result.error ? ` (${result.error})` : ""}; outage ${((result.outageMs ?? 0) / 1000).toFixed(1)} s\n`,
  );
  heading("the key written after the backup (none expected), and the members");
  const get = etcdctl(profile, "get", "/demo/written-after-the-backup", "--print-value-only");
  process.stdout.write((await kubectl(sandbox, ...exec, ...get)) || "(no such key)\n");
  await memberHealth(sandbox, profile, "kube-etcd-0");
}

async function demo(): Promise<void> {
  const logger = consoleLogger();
  const sandbox = await startSandbox({ logger });
  const work = await mkdtemp(join(tmpdir(), "etcd-backup-demo-"));
  const stopOnSignal = () => {
    void sandbox
      .stop()
      .then(() => rm(work, { recursive: true, force: true }))
      .then(() => process.exit(130));
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  try {
    await showCluster(sandbox);
    const key = await ageKey(work);
    await backUpEveryCluster(sandbox, logger, work, key.recipient);
    await backUpAdminPki(sandbox, logger, work, key);
    await restoreUc1(sandbox, logger, work, key.keyFile);
  } finally {
    heading("tearing down");
    await sandbox.stop();
    await rm(work, { recursive: true, force: true });
    process.stdout.write("sandbox stopped and torn down\n");
  }
}

demo().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${(error as Error).message}\n`);
  process.exit(1);
});
