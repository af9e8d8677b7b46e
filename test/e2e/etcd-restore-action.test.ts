/**
 * The bundled etcd-restore-ha action (actions/etcd-restore-ha/dist, main and post, as the
 * runner runs them on Node 24) against the sandbox: backups made by the etcd-backup bundle
 * into a folder, `backup: latest`, the identity given as a secret input and never shown; the
 * runner killed (SIGKILL) at several points, then the post step and a rerun, as a runner and
 * an operator would.
 */
import { readdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, PolicyV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RESTORE_JOURNAL_NAME } from "../../src/core/kube/configmap-journal.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { errorLines, runAction, runPostStep, type ActionRun } from "./action-runner.ts";
import { ageKeyPair, etcdctlIn as etcdctlInMember } from "./restore-helpers.ts";

let sandbox: Sandbox;
let config: KubeConfig;
let work: string;
let identityText: string;
let recipient: string;
let destination: string;

beforeAll(async () => {
  sandbox = await startSandbox({});
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  work = await mkdtemp(join(tmpdir(), "etcd-restore-action-"));
  ({ recipient, identityText } = await ageKeyPair(work));
  destination = `file://${join(work, "backups")}`;
});

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const etcdctlIn = (cluster: string, pod: string, ...args: string[]) =>
  etcdctlInMember(config, cluster, pod, ...args);

async function backUp(cluster: string): Promise<void> {
  const backup = await runAction("etcd-backup", work, {
    "admin-kubeconfig-path": sandbox.kubeconfigPath,
    clusters: cluster,
    destination,
    "encryption-recipients": recipient,
  });
  expect(backup.exitCode, backup.log).toBe(0);
}

function restoreInputs(cluster: string, extra: Record<string, string> = {}) {
  return {
    "admin-kubeconfig-path": sandbox.kubeconfigPath,
    cluster,
    backup: "latest",
    destination,
    "decryption-identity": identityText,
    confirm: cluster,
    "wait-timeout-minutes": "3",
    ...extra,
  };
}

async function clusterState(cluster: string) {
  const apps = config.makeApiClient(AppsV1Api);
  const policy = config.makeApiClient(PolicyV1Api);
  const pdb = await policy
    .readNamespacedPodDisruptionBudget({ name: "kube-apiserver-pdb", namespace: cluster })
    .then((found) => found.spec)
    .catch(() => "missing");
  return {
    etcd: (await apps.readNamespacedStatefulSet({ name: "kube-etcd", namespace: cluster })).spec
      ?.replicas,
    apiServer: (
      await apps.readNamespacedStatefulSet({ name: "kube-apiserver", namespace: cluster })
    ).spec?.replicas,
    maintenance: (
      await apps.readNamespacedDeployment({
        name: "gke-master-etcd-maintenance",
        namespace: cluster,
      })
    ).spec?.replicas,
    pdb,
  };
}

async function journalExists(cluster: string): Promise<boolean> {
  return config
    .makeApiClient(CoreV1Api)
    .readNamespacedConfigMap({ name: RESTORE_JOURNAL_NAME, namespace: cluster })
    .then(() => true)
    .catch((error: { code?: number }) => {
      if (error.code === 404) return false;
      throw error;
    });
}

/** No line of any log shows the identity, in any form a runner would not mask. */
function expectNoIdentity(...runs: ActionRun[]): void {
  const secret = identityText.split("\n").find((line) => line.startsWith("AGE-SECRET-KEY-1"))!;
  for (const action of runs) {
    expect(action.log).not.toContain(secret);
    expect(action.log).not.toContain(secret.toLowerCase());
    expect(action.log).not.toContain(Buffer.from(secret).toString("base64"));
    expect(action.masked).toContain(secret);
  }
}

describe("the etcd-restore-ha action, as the runner runs it", () => {
  it("restores uc1 from the latest backup: A back, B gone, everything as before, no identity shown", async () => {
    await etcdctlIn("uc1", "kube-etcd-0", "put", "/action-test/A", "before");
    await backUp("uc1");
    await etcdctlIn("uc1", "kube-etcd-0", "put", "/action-test/B", "after");
    const before = await clusterState("uc1");

    const restore = await runAction("etcd-restore-ha", work, restoreInputs("uc1"));
    expect(restore.exitCode, restore.log).toBe(0);
    expect(errorLines(restore.log)).toEqual([]);
    const output = JSON.parse(restore.outputs.restore!) as {
      outcome: string;
      backup: string;
      members: string[];
      keys: number;
    };
    expect(output).toMatchObject({
      outcome: "restored",
      members: ["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"],
    });
    expect(output.backup).toMatch(/\/uc1\/user-etcd\/\d{8}T\d{6}Z\/$/);
    expect(restore.summary).toContain("etcd restore of uc1: restored");
    expect(restore.summary).toContain("| swapMembers | ✅ done |");
    expect(
      await etcdctlIn("uc1", "kube-etcd-2", "get", "/action-test/A", "--print-value-only"),
    ).toBe("before\n");
    expect(await etcdctlIn("uc1", "kube-etcd-2", "get", "/action-test/B", "--keys-only")).toBe("");
    expect(await clusterState("uc1")).toEqual(before);
    const post = await runPostStep("etcd-restore-ha", work, restore, restoreInputs("uc1"));
    expect(post.exitCode, post.log).toBe(0);
    expect(post.log).toContain("No unfinished restore of uc1.");
    expectNoIdentity(restore);
  });

  it("a dry run prints the plan and changes nothing; bad inputs give one error each", async () => {
    const before = await clusterState("uc2");
    await backUp("uc2");
    const dry = await runAction(
      "etcd-restore-ha",
      work,
      restoreInputs("uc2", { "dry-run": "true", confirm: "", "decryption-identity": "" }),
    );
    expect(dry.exitCode, dry.log).toBe(0);
    expect(dry.log).toContain("Plan: restore etcd of uc2 from file://");
    expect(JSON.parse(dry.outputs.restore!)).toMatchObject({ outcome: "planned" });
    expect(await clusterState("uc2")).toEqual(before);
    expect(await journalExists("uc2")).toBe(false);

    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ confirm: "uc1" }, /^::error::Input confirm: must be the cluster's name, uc2/],
      [
        { cluster: "admin", confirm: "admin" },
        /^::error::Input cluster is "admin": expected a user cluster's name/,
      ],
      [
        { "revision-bump": "lots" },
        /^::error::Input revision-bump is "lots": expected auto, none, or a whole number/,
      ],
      [
        { "decryption-identity": "not a key" },
        /^::error::Input decryption-identity holds no age identity/,
      ],
      [{ backup: "file:///nowhere" }, /^::error::Input backup: The backup URI/],
      [{ "utility-image": "x y" }, /^::error::Input utility-image is not an image reference/],
    ];
    for (const [inputs, message] of cases) {
      const refused = await runAction("etcd-restore-ha", work, restoreInputs("uc2", inputs));
      expect(refused.exitCode, refused.log).not.toBe(0);
      const errors = errorLines(refused.log);
      expect(errors, refused.log).toHaveLength(1);
      expect(errors[0]).toMatch(message);
      expect(refused.log).not.toContain(identityText.trim());
    }
    expect(await clusterState("uc2")).toEqual(before);
    expect(await journalExists("uc2")).toBe(false);
  });

  it("killed before its swap, the post step brings service back and releases the lock", async () => {
    await backUp("uc2");
    const before = await clusterState("uc2");
    const killed = await runAction(
      "etcd-restore-ha",
      work,
      restoreInputs("uc2"),
      {},
      {
        cancel: {
          // The next step (stopMembers) waits seconds for the members to go: the kill lands
          // well before the swap. Killed at "✔ stopMembers" it could land after the swap began.
          at: (log) => log.includes("✔ scaleDownApiServer"),
          sequence: [{ signal: "SIGKILL", afterMs: 0 }],
        },
      },
    );
    expect(killed.signal).toBe("SIGKILL");
    expect(await journalExists("uc2")).toBe(true);
    const post = await runPostStep("etcd-restore-ha", work, killed, restoreInputs("uc2"));
    expect(post.exitCode, post.log).toBe(0);
    expect(post.log).toMatch(
      /did not finish before its swap; put back: (kube-etcd back to 1; )?kube-apiserver back to 1; gke-master-etcd-maintenance back to 1;/,
    );
    expect(await clusterState("uc2")).toEqual(before);
    expect(await journalExists("uc2")).toBe(false);
    const member = sandbox.layout.userClusters.find((cluster) => cluster.name === "uc2")!
      .members[0]!;
    expect(readdirSync(member.pvcPath).filter((name) => name.startsWith("restore-"))).toEqual([]);
    const pods = await config.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "uc2" });
    expect(
      pods.items
        .map((pod) => pod.metadata!.name)
        .filter((name) => name?.startsWith("etcd-utility")),
    ).toEqual([]);
  });

  it("killed after its first member's swap, an undo takes the lock over and puts back only what was swapped", async () => {
    await etcdctlIn("uc1", "kube-etcd-0", "put", "/undo-partial/A", "before the backup");
    await backUp("uc1");
    await etcdctlIn("uc1", "kube-etcd-0", "put", "/undo-partial/B", "after the backup");
    const before = await clusterState("uc1");
    const killed = await runAction(
      "etcd-restore-ha",
      work,
      restoreInputs("uc1"),
      {},
      {
        cancel: {
          at: (log) => log.includes("kube-etcd-0: swapped"),
          sequence: [{ signal: "SIGKILL", afterMs: 0 }],
        },
      },
    );
    expect(killed.signal, killed.log).toBe("SIGKILL");
    const undo = await runAction(
      "etcd-restore-ha",
      work,
      restoreInputs("uc1", { undo: "true", "decryption-identity": "" }),
    );
    expect(undo.exitCode, undo.log).toBe(0);
    expect(undo.log).toContain("Taking over the lock of the unfinished restore of uc1");
    expect(undo.log).toMatch(
      /kube-etcd-1: not swapped by the restore of \d{8}T\d{6}Z, left as it is/,
    );
    // Every member holds the data from before the restore: B is there.
    for (const pod of ["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"]) {
      expect(await etcdctlIn("uc1", pod, "get", "/undo-partial/B", "--print-value-only")).toBe(
        "after the backup\n",
      );
    }
    expect(await clusterState("uc1")).toEqual(before);
    expect(await journalExists("uc1")).toBe(false);
  });

  it("a run refused by another restore's lock leaves that restore alone, post included", async () => {
    await backUp("uc2");
    const core = config.makeApiClient(CoreV1Api);
    const other = [
      {
        step: "",
        event: "begin",
        at: "2026-12-07T00:00:00Z",
        data: { cluster: "uc2", backup: "s3://elsewhere/uc2/user-etcd/20261201T000000Z/" },
      },
      { step: "", event: "run", at: "2026-12-07T00:00:00Z", data: { owner: "another job" } },
    ];
    await core.createNamespacedConfigMap({
      namespace: "uc2",
      body: {
        metadata: { name: RESTORE_JOURNAL_NAME, namespace: "uc2" },
        data: { journal: other.map((entry) => JSON.stringify(entry)).join("\n") + "\n" },
      },
    });
    try {
      const refused = await runAction("etcd-restore-ha", work, restoreInputs("uc2"));
      expect(refused.exitCode).not.toBe(0);
      expect(errorLines(refused.log)).toHaveLength(1);
      expect(errorLines(refused.log)[0]).toMatch(/belongs to other work/);
      const post = await runPostStep("etcd-restore-ha", work, refused, restoreInputs("uc2"));
      expect(post.exitCode, post.log).toBe(0);
      expect(post.log).toContain("belongs to another run (another job); this step leaves it alone");
      const kept = await core.readNamespacedConfigMap({
        name: RESTORE_JOURNAL_NAME,
        namespace: "uc2",
      });
      expect(kept.data?.journal).toContain('"owner":"another job"');
    } finally {
      await core.deleteNamespacedConfigMap({ name: RESTORE_JOURNAL_NAME, namespace: "uc2" });
    }
  });

  for (const point of [
    { name: "after the scale-down", at: "✔ scaleDownApiServer" },
    { name: "after the first member's swap", at: "kube-etcd-0: swapped" },
    { name: "after the last swap", at: "✔ swapMembers" },
  ]) {
    it(`killed ${point.name}, a rerun finishes and the cluster serves`, async () => {
      await etcdctlIn("uc1", "kube-etcd-0", "put", "/kill-test/A", point.name);
      await backUp("uc1");
      await etcdctlIn("uc1", "kube-etcd-0", "put", "/kill-test/B", "after");
      const before = await clusterState("uc1");
      const killed = await runAction(
        "etcd-restore-ha",
        work,
        restoreInputs("uc1"),
        {},
        {
          cancel: {
            at: (log) => log.includes(point.at),
            sequence: [{ signal: "SIGKILL", afterMs: 0 }],
          },
        },
      );
      expect(killed.signal, killed.log).toBe("SIGKILL");
      const post = await runPostStep("etcd-restore-ha", work, killed, restoreInputs("uc1"));
      expect(post.exitCode, post.log).toBe(0);
      if (point.at !== "✔ scaleDownApiServer") {
        expect(post.log).toContain("stopped after its swap began: nothing is put back");
        expect(await journalExists("uc1")).toBe(true);
      }
      const rerun = await runAction("etcd-restore-ha", work, restoreInputs("uc1"));
      expect(rerun.exitCode, rerun.log).toBe(0);
      expect(
        await etcdctlIn("uc1", "kube-etcd-1", "get", "/kill-test/A", "--print-value-only"),
      ).toBe(`${point.name}\n`);
      expect(await etcdctlIn("uc1", "kube-etcd-1", "get", "/kill-test/B", "--keys-only")).toBe("");
      expect(await clusterState("uc1")).toEqual(before);
      expect(await journalExists("uc1")).toBe(false);
      expectNoIdentity(killed, rerun);
    });
  }
});
