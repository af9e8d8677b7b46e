/**
 * `npm run demo`: brings the sandbox admin cluster up, shows its clusters (namespaces,
 * members, nodes) and the health of every etcd member, asked the way the runbook asks
 * (`kubectl exec ... -- etcdctl ... endpoint health` and `endpoint status -w table`, with
 * the runbook's certificate paths), backs up every cluster with the etcd-backup procedure
 * (to a temporary folder, encrypted to an age key made for the run), and tears it all down.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { backupResultsTable } from "../src/cli/backup.ts";
import { endpointHealth, etcdctl } from "../src/core/etcd/etcdctl.ts";
import {
  adminClusterProfile,
  userClusterProfile,
  type EtcdClusterProfile,
} from "../src/core/etcd/profiles.ts";
import { loadKubeconfig } from "../src/core/kube/kubeconfig.ts";
import { consoleLogger, type Logger } from "../src/core/log/logger.ts";
import { openStore, parseDestination } from "../src/core/storage/destination.ts";
import { runEtcdBackup } from "../src/procedures/etcd-backup.ts";
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

/** Backs up every sandbox cluster to a folder in `work`, encrypted to a key made for this run. */
async function backUpEveryCluster(sandbox: Sandbox, logger: Logger, work: string): Promise<void> {
  heading("backing up every cluster (etcd-backup, clusters: all)");
  const keyFile = join(work, "age-key.txt");
  await run("age-keygen", ["-o", keyFile]);
  const recipient = (await run("age-keygen", ["-y", keyFile])).stdout.trim();
  const destination = parseDestination(`file://${join(work, "backups")}`);
  const results = await runEtcdBackup({
    config: await loadKubeconfig({ path: sandbox.kubeconfigPath }),
    clusters: ["all"],
    store: await openStore(destination, { logger }),
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
    await backUpEveryCluster(sandbox, logger, work);
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
