/**
 * The etcd-restore-drill action's bundle as the runner runs it, against the sandbox: a
 * passing drill gives the `drills` output and a summary; a failing one fails the step with
 * one error and puts the failure first in the summary; a bad input fails before any pod;
 * a run killed mid-drill leaves its pod to the post step, which deletes it.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { errorLines, runAction, runPostStep } from "./action-runner.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let config: KubeConfig;
let work: string;
let identityText: string;
let destination: string;
let uc2BackupUri: string;

beforeAll(async () => {
  sandbox = await startSandbox({});
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  work = await mkdtemp(join(tmpdir(), "etcd-drill-action-"));
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  const recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
  identityText = await readFile(join(work, "key.txt"), "utf8");
  destination = `file://${join(work, "backups")}`;
  const backup = await runAction("etcd-backup", work, {
    "admin-kubeconfig-path": sandbox.kubeconfigPath,
    clusters: "uc1,uc2",
    destination,
    "encryption-recipients": recipient,
  });
  expect(backup.exitCode, backup.log).toBe(0);
  const stored = JSON.parse(backup.outputs.backups!) as Array<{ cluster: string; uri: string }>;
  uc2BackupUri = stored.find((entry) => entry.cluster === "uc2")!.uri;
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function drillInputs(extra: Record<string, string> = {}) {
  return {
    "admin-kubeconfig-path": sandbox.kubeconfigPath,
    clusters: "uc2",
    destination,
    "decryption-identity": identityText,
    "fail-if-older-than": "26h",
    "wait-timeout-minutes": "2",
    ...extra,
  };
}

async function drillPods(): Promise<string[]> {
  const pods = await config.makeApiClient(CoreV1Api).listPodForAllNamespaces({
    labelSelector: "etcd-backup-actions/role=restore-drill",
  });
  return pods.items.map((pod) => `${pod.metadata!.namespace}/${pod.metadata!.name}`);
}

describe("the etcd-restore-drill action", () => {
  it("drills uc1 and uc2: drills output, summary, the identity masked", async () => {
    const drill = await runAction("etcd-restore-drill", work, drillInputs({ clusters: "uc1,uc2" }));
    expect(drill.exitCode, drill.log).toBe(0);
    const drills = JSON.parse(drill.outputs.drills!) as Array<Record<string, unknown>>;
    expect(drills.map((entry) => [entry.cluster, entry.result])).toEqual([
      ["uc1", "passed"],
      ["uc2", "passed"],
    ]);
    for (const entry of drills) {
      expect(entry.backup).toMatch(
        new RegExp(`${entry.cluster as string}/user-etcd/\\d{8}T\\d{6}Z`),
      );
      expect(entry.revision).toEqual(expect.any(Number));
      expect(entry.keys).toEqual(expect.any(Number));
      expect(entry.ageSeconds).toEqual(expect.any(Number));
      expect(entry.restoreMs).toEqual(expect.any(Number));
      expect(entry.startMs).toEqual(expect.any(Number));
      expect(entry).not.toHaveProperty("steps");
    }
    expect(drill.summary).toMatch(/### etcd restore drill: 2 passed/);
    expect(drill.summary).toMatch(/\| uc1 \| ✅ passed \|/);
    const secret = identityText.split("\n").find((line) => line.startsWith("AGE-SECRET-KEY-"))!;
    expect(drill.masked).toContain(secret);
    expect(drill.log).not.toContain(secret);
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("a failed drill fails the step with one error and lists the failure in the summary", async () => {
    // Taken seconds ago, the backups are older than 1 s: both fail before any pod is made.
    const drill = await runAction(
      "etcd-restore-drill",
      work,
      drillInputs({ clusters: "uc1,uc2", "fail-if-older-than": "1s" }),
    );
    expect(drill.exitCode).toBe(1);
    expect(errorLines(drill.log)).toHaveLength(1);
    expect(errorLines(drill.log)[0]).toMatch(
      /The restore drill failed for 2 of 2 cluster\(s\): uc1: the newest backup of uc1, .* old, older than the 1 s allowed: check that the backup schedule still runs and succeeds\./,
    );
    const rows = drill.summary.split("\n").filter((line) => /^\| uc\d/.test(line));
    expect(rows.map((row) => row.split(" | ")[1])).toEqual(["❌ failed", "❌ failed"]);
    expect(drill.summary).toMatch(/### etcd restore drill: 2 of 2 failed/);
    expect(drill.summary).toMatch(/\*\*uc2:\*\* the newest backup of uc2/);
    expect(JSON.parse(drill.outputs.drills!)).toHaveLength(2);
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("drills one backup given by its URI, clusters left at its default", async () => {
    const { clusters: _clusters, ...inputs } = drillInputs();
    const drill = await runAction("etcd-restore-drill", work, { ...inputs, backup: uc2BackupUri });
    expect(drill.exitCode, drill.log).toBe(0);
    const drills = JSON.parse(drill.outputs.drills!) as Array<Record<string, unknown>>;
    expect(drills.map((entry) => [entry.cluster, entry.backup, entry.result])).toEqual([
      ["uc2", uc2BackupUri, "passed"],
    ]);
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("refuses a bad fail-if-older-than before it makes anything", async () => {
    const drill = await runAction(
      "etcd-restore-drill",
      work,
      drillInputs({ "fail-if-older-than": "daily" }),
    );
    expect(drill.exitCode).toBe(1);
    expect(errorLines(drill.log)).toEqual([
      '::error::Input fail-if-older-than is "daily": expected a whole number and a unit, s, m, h or d, such as 26h (a little more than the backup schedule\'s interval).',
    ]);
    expect(drill.log).not.toMatch(/createDrillPod/);
  }, 120_000);

  it("killed during the drill, the post step deletes the drill pod", async () => {
    const killed = await runAction(
      "etcd-restore-drill",
      work,
      drillInputs(),
      {},
      {
        cancel: {
          at: (log) => log.includes("✔ createDrillPod"),
          sequence: [{ signal: "SIGKILL", afterMs: 0 }],
        },
      },
    );
    expect(killed.signal).toBe("SIGKILL");
    expect(await drillPods()).toHaveLength(1);
    // The pod asks for the memory its memory volume and etcd take, and tolerates only the
    // control-plane taint, not every NoSchedule one.
    const [pod] = (
      await config.makeApiClient(CoreV1Api).listNamespacedPod({
        namespace: "uc2",
        labelSelector: "etcd-backup-actions/role=restore-drill",
      })
    ).items;
    const container = pod!.spec!.containers[0]!;
    const volumeMi = Number(/^(\d+)Mi$/.exec(pod!.spec!.volumes![0]!.emptyDir!.sizeLimit!)?.[1]);
    const memoryMi = Number(/^(\d+)Mi$/.exec(container.resources!.limits!.memory!)?.[1]);
    expect(container.resources!.requests!.memory).toBe(container.resources!.limits!.memory);
    expect(memoryMi).toBeGreaterThanOrEqual(volumeMi + 256);
    expect(pod!.spec!.tolerations!.map((toleration) => toleration.key).sort()).toEqual([
      "node-role.kubernetes.io/control-plane",
      "node-role.kubernetes.io/master",
    ]);
    const post = await runPostStep("etcd-restore-drill", work, killed, drillInputs());
    expect(post.exitCode, post.log).toBe(0);
    expect(post.log).toMatch(/Cleaned up pod uc2\/etcd-drill-uc2-[0-9a-f]+\./);
    expect(await drillPods()).toEqual([]);
  }, 300_000);
});
