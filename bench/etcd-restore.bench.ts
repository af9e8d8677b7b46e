/**
 * `npm run bench etcd-restore [-- --data-mb N]`: issue 11's goals, measured in one run on a
 * sandbox whose uc1 (3 members) and uc2 (1 member) etcds each hold about N MB (default 400):
 *   (a) the action's HA restore of uc1 (runEtcdRestore: verify, decrypt once, stream to the
 *       three members in parallel, restore beside the live data, then the outage), in a
 *       child process as on a runner (the sandbox's API server runs in this one);
 *   (b) the action's single-member restore of uc2, a snapshot of the same size;
 *   (c) the runbook's HA steps (PROCEDURES.md section 3) scripted with kubectl on uc1
 *       (bench/support/runbook-ha-restore.sh), with the members stopped before the swap so
 *       that they finish, from the same snapshot already decrypted on disk.
 * Prints wall times and the ratios HA / single (goal 1.5x or better), action / runbook (goal
 * below 1), and the action's outage (first scale-down to the API server Ready) against the
 * runbook's, whose whole run is outage (goal a quarter or less). Never fails on a number.
 * Filling the sandbox's etcds takes most of the start-up.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseIdentities } from "../src/core/crypto/age.ts";
import { etcdctl } from "../src/core/etcd/etcdctl.ts";
import { userClusterProfile } from "../src/core/etcd/profiles.ts";
import { execChecked } from "../src/core/kube/exec.ts";
import { loadKubeconfig } from "../src/core/kube/kubeconfig.ts";
import { consoleLogger, recordingLogger } from "../src/core/log/logger.ts";
import { FileStore } from "../src/core/storage/file.ts";
import { findBackup, restoreBackupToFile } from "../src/core/storage/pipeline.ts";
import { runEtcdBackup } from "../src/procedures/etcd-backup.ts";
import type { EtcdRestoreResult } from "../src/procedures/etcd-restore.ts";
import { GKE_ON_PREM_VERSION } from "../test/sandbox/cluster/topology.ts";
import { measurePeakMemory as runInChild } from "../test/support/memory.ts";
import type { RestoreArgs } from "./support/etcd-restore-work.ts";
import { startSandbox, type Sandbox } from "../test/sandbox/index.ts";

const run = promisify(execFile);
const DATA_MB = dataMbFromArguments();
const HA_GOAL = 1.5;
const OUTAGE_GOAL = 0.25;
const WORK = new URL("./support/etcd-restore-work.ts", import.meta.url);
const RUNBOOK_SCRIPT = new URL("./support/runbook-ha-restore.sh", import.meta.url).pathname;

function dataMbFromArguments(): number {
  const flag = process.argv.indexOf("--data-mb");
  const text = flag >= 0 ? process.argv[flag + 1] : process.env.ETCD_RESTORE_BENCH_DATA_MB;
  const dataMb = Number(text ?? 400);
  if (!Number.isInteger(dataMb) || dataMb < 0 || dataMb > 8000) {
    throw new Error(`--data-mb ${text}: expected a whole number of MB from 0 to 8000.`);
  }
  return dataMb;
}

async function main(): Promise<void> {
  let sandbox: Sandbox | undefined;
  const work = await mkdtemp(join(tmpdir(), "etcd-restore-bench-"));
  try {
    const started = Date.now();
    const base = consoleLogger();
    sandbox = await startSandbox({
      ...(DATA_MB > 0 ? { etcdDataMb: DATA_MB, etcdDataMbClusters: ["uc1", "uc2"] } : {}),
      logger: { ...base, info: () => {}, debug: () => {} },
    });
    console.log(
      `sandbox with ${DATA_MB} MB in uc1 and uc2: up in ${seconds(Date.now() - started)}`,
    );
    const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
    const keyFile = join(work, "key.txt");
    await run("age-keygen", ["-o", keyFile]);
    const recipient = (await run("age-keygen", ["-y", keyFile])).stdout.trim();
    const identities = parseIdentities(await readFile(keyFile, "utf8"));
    const store = new FileStore(join(work, "store"));
    const backUp = async (cluster: string) => {
      const [result] = await runEtcdBackup({
        config,
        clusters: [cluster],
        store,
        recipients: [recipient],
        allowUnencrypted: false,
        compression: "zstd",
        retention: {},
        dryRun: false,
        logger: recordingLogger(),
        workDir: work,
      });
      if (result?.outcome !== "stored") throw new Error(`backup of ${cluster}: ${result?.error}`);
      const timestamp = result.uri!.split("/").filter(Boolean).pop()!;
      return findBackup(store, { cluster, kind: "user-etcd", timestamp });
    };
    const haBackup = await backUp("uc1");
    const singleBackup = await backUp("uc2");
    console.log(
      `snapshots: uc1 ${mb(haBackup.manifest.payload.plaintext.bytes)}, uc2 ${mb(singleBackup.manifest.payload.plaintext.bytes)} (plaintext)`,
    );

    const restore = async (cluster: string, backup: typeof haBackup) => {
      const { result, peakRssBytes } = await runInChild<EtcdRestoreResult>(
        WORK,
        "restoreCluster",
        [
          {
            kubeconfigPath: sandbox!.kubeconfigPath,
            cluster,
            storeDir: join(work, "store"),
            timestamp: backup.location.timestamp,
            keyFile,
          } satisfies RestoreArgs,
        ],
        { timeoutMs: 3_600_000 },
      );
      peaks.push(`${cluster} ${(peakRssBytes / 1024 / 1024).toFixed(0)} MiB`);
      return result;
    };
    const peaks: string[] = [];
    const ha = await restore("uc1", haBackup);
    const single = await restore("uc2", singleBackup);

    // The runbook starts from snapshot.db on the operator's disk: decrypted before its clock.
    const snapshot = join(work, "snapshot.db");
    await restoreBackupToFile(store, haBackup, snapshot, { identities, logger: recordingLogger() });
    const runbookMs = await runbookHaRestore(sandbox.kubeconfigPath, snapshot, work);
    await checkHealthy(config, "uc1");
    printTable(ha, single, runbookMs);
    printSteps(ha, single);
    console.log(`\nthe action's peak memory (child VmHWM): ${peaks.join(", ")}`);
  } finally {
    await sandbox?.stop();
    await rm(work, { recursive: true, force: true });
  }
}

/** (c) The runbook's HA steps with kubectl, in a shell: its whole run is outage. */
async function runbookHaRestore(kubeconfig: string, snapshot: string, work: string) {
  const started = performance.now();
  const output: Buffer[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(
      "sh",
      [RUNBOOK_SCRIPT, kubeconfig, "uc1", snapshot, GKE_ON_PREM_VERSION, work],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk));
    child.once("error", reject);
    child.once("close", resolve);
  });
  const ms = performance.now() - started;
  if (code !== 0) {
    throw new Error(
      `the runbook script exited with ${code}:\n${Buffer.concat(output).toString("utf8")}`,
    );
  }
  return ms;
}

/** After the runbook's run, the cluster it restored is healthy (else its time means nothing). */
async function checkHealthy(config: KubeConfig, cluster: string): Promise<void> {
  const profile = userClusterProfile(cluster);
  await execChecked(config, {
    namespace: cluster,
    pod: "kube-etcd-0",
    container: profile.container,
    command: etcdctl(profile, "endpoint", "health", "--cluster"),
  });
}

function printTable(ha: EtcdRestoreResult, single: EtcdRestoreResult, runbookMs: number): void {
  const verdict = (met: boolean) => (met ? "meets the goal" : "misses the goal");
  const haVsSingle = ha.durationMs / single.durationMs;
  const vsRunbook = ha.durationMs / runbookMs;
  const outageVsRunbook = (ha.outageMs ?? Number.NaN) / runbookMs;
  console.log("\n| way | wall time | outage |");
  console.log("|---|---|---|");
  console.log(
    `| (a) action, HA restore of uc1 (3 members) | ${seconds(ha.durationMs)} | ${seconds(ha.outageMs ?? Number.NaN)} |`,
  );
  console.log(
    `| (b) action, single-member restore of uc2 | ${seconds(single.durationMs)} | ${seconds(single.outageMs ?? Number.NaN)} |`,
  );
  console.log(
    `| (c) runbook HA steps with kubectl on uc1, members stopped | ${seconds(runbookMs)} | ${seconds(runbookMs)} (all of it) |`,
  );
  console.log("\n| ratio | value | goal |");
  console.log("|---|---|---|");
  console.log(
    `| HA / single (a/b) | ${haVsSingle.toFixed(2)}x | <= ${HA_GOAL}x: ${verdict(haVsSingle <= HA_GOAL)} |`,
  );
  console.log(
    `| action / runbook (a/c) | ${vsRunbook.toFixed(2)}x | < 1x: ${verdict(vsRunbook < 1)} |`,
  );
  console.log(
    `| action's outage / runbook's (a outage / c) | ${outageVsRunbook.toFixed(2)}x | <= ${OUTAGE_GOAL}x: ${verdict(outageVsRunbook <= OUTAGE_GOAL)} |`,
  );
}

/** Where each restore's time went, step by step, side by side. */
function printSteps(ha: EtcdRestoreResult, single: EtcdRestoreResult): void {
  console.log(`\n| step | (a) HA, uc1 | (b) single, uc2 |`);
  console.log("|---|---:|---:|");
  const timeOf = (result: EtcdRestoreResult, step: string) => {
    const record = result.steps.find((entry) => entry.step === step);
    return record && record.outcome !== "skipped" ? seconds(record.durationMs) : "";
  };
  for (const { step, outcome } of ha.steps) {
    if (outcome === "skipped") continue;
    console.log(`| ${step} | ${timeOf(ha, step)} | ${timeOf(single, step)} |`);
  }
  console.log(`| (all) | ${seconds(ha.durationMs)} | ${seconds(single.durationMs)} |`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

await main();
