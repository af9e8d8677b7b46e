/**
 * Cancelling the restore-side actions as the runner cancels a job (SIGINT, SIGTERM 7.5 s
 * later, SIGKILL 2.5 s after that): the user-cluster restore before its swap, and the drill
 * while its pod runs. Each ends with one cancel message, no stack trace, and leaves nothing
 * behind once its post step ran: the cluster as it was, no lock, no utility or drill pod.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AppsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESTORE_JOURNAL_NAME } from "../../src/core/kube/configmap-journal.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { errorLines, runAction, runPostStep, type ActionRun } from "../e2e/action-runner.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let config: KubeConfig;
let work: string;
let identityText: string;
let destination: string;

beforeAll(async () => {
  sandbox = await startSandbox({});
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  work = await mkdtemp(join(tmpdir(), "restore-cancel-"));
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  const recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
  identityText = await readFile(join(work, "key.txt"), "utf8");
  destination = `file://${join(work, "backups")}`;
  const backup = await runAction("etcd-backup", work, {
    "admin-kubeconfig-path": sandbox.kubeconfigPath,
    clusters: "uc2",
    destination,
    "encryption-recipients": recipient,
  });
  expect(backup.exitCode, backup.log).toBe(0);
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function expectOneCancelMessage(result: ActionRun) {
  expect(result.signalsSent[0]).toBe("SIGINT");
  const errors = errorLines(result.log);
  expect(errors, result.log).toHaveLength(1);
  expect(errors[0]).toMatch(/^::error::The run was cancelled \(SIGINT\)/);
  expect(result.log).not.toMatch(/^\s+at /m);
  expect(result.exitCode).toBe(1);
}

/** Replicas of what the restore scales, the lock, and the pods it makes. */
async function uc2State() {
  const apps = config.makeApiClient(AppsV1Api);
  const core = config.makeApiClient(CoreV1Api);
  const replicas = async (kind: "sts" | "deploy", name: string) =>
    kind === "sts"
      ? (await apps.readNamespacedStatefulSet({ name, namespace: "uc2" })).spec?.replicas
      : (await apps.readNamespacedDeployment({ name, namespace: "uc2" })).spec?.replicas;
  const lock = await core
    .readNamespacedConfigMap({ name: RESTORE_JOURNAL_NAME, namespace: "uc2" })
    .then(() => "held")
    .catch(() => "free");
  const pods = (await core.listNamespacedPod({ namespace: "uc2" })).items
    .map((pod) => pod.metadata!.name!)
    .filter((name) => name.startsWith("etcd-utility") || name.startsWith("etcd-drill"));
  return {
    etcd: await replicas("sts", "kube-etcd"),
    apiServer: await replicas("sts", "kube-apiserver"),
    maintenance: await replicas("deploy", "gke-master-etcd-maintenance"),
    lock,
    pods,
  };
}

describe("cancelling the restore-side actions", { timeout: 300_000 }, () => {
  it("etcd-restore-ha cancelled before its swap: one cancel message; with its post step, uc2 as before, no lock, no utility pod", async () => {
    const before = await uc2State();
    const inputs = {
      "admin-kubeconfig-path": sandbox.kubeconfigPath,
      cluster: "uc2",
      backup: "latest",
      destination,
      "decryption-identity": identityText,
      confirm: "uc2",
      "wait-timeout-minutes": "3",
    };
    const main = await runAction(
      "etcd-restore-ha",
      work,
      inputs,
      {},
      { cancel: { at: (log) => log.includes("✔ scaleDownApiServer") } },
    );
    expectOneCancelMessage(main);
    const post = await runPostStep("etcd-restore-ha", work, main, inputs);
    expect(post.exitCode, post.log).toBe(0);
    expect(await uc2State()).toEqual(before);
  });

  it("etcd-restore-drill cancelled while its pod runs: one cancel message; with its post step, no drill pod", async () => {
    const inputs = {
      "admin-kubeconfig-path": sandbox.kubeconfigPath,
      clusters: "uc2",
      destination,
      "decryption-identity": identityText,
      "fail-if-older-than": "26h",
      "wait-timeout-minutes": "2",
    };
    const main = await runAction(
      "etcd-restore-drill",
      work,
      inputs,
      {},
      { cancel: { at: (log) => log.includes("✔ createDrillPod") } },
    );
    expectOneCancelMessage(main);
    const post = await runPostStep("etcd-restore-drill", work, main, inputs);
    expect(post.exitCode, post.log).toBe(0);
    expect((await uc2State()).pods).toEqual([]);
  });
});
