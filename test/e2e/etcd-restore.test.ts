/**
 * The user-cluster restore against the sandbox: real etcd members in pods, real exec, a
 * real backup in a folder store. Keys A are written, a backup taken, keys B written; the
 * restore must bring back A and drop B, with the members healthy as one cluster, every
 * replica count and the PDB as before, the displaced data kept in pre-restore folders, and
 * nothing of the restore left behind (utility pods, journal, snapshot files).
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AppsV1Api, CoreV1Api, PolicyV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { RESTORE_JOURNAL_NAME } from "../../src/core/kube/configmap-journal.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import {
  etcdRestorePlan,
  etcdUndoPlan,
  runEtcdRestore,
  runEtcdUndo,
  type EtcdRestoreOptions,
} from "../../src/procedures/etcd-restore.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { waitFor } from "./helpers.ts";
import { ageKeyPair, backUpUserCluster, etcdctlIn as etcdctlIn0 } from "./restore-helpers.ts";

let sandbox: Sandbox;
let config: KubeConfig;
let work: string;
let identityText: string;
let recipient: string;
let store: FileStore;

beforeAll(async () => {
  sandbox = await startSandbox({});
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  work = await mkdtemp(join(tmpdir(), "etcd-restore-e2e-"));
  ({ recipient, identityText } = await ageKeyPair(work));
  store = new FileStore(join(work, "backups"));
});

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const etcdctlIn = (cluster: string, pod: string, ...args: string[]) =>
  etcdctlIn0(config, cluster, pod, ...args);

const backUp = (cluster: string) => backUpUserCluster({ config, store, recipient, work }, cluster);

async function restoreOptions(
  cluster: string,
  overrides: Partial<EtcdRestoreOptions> = {},
): Promise<EtcdRestoreOptions & { logger: ReturnType<typeof recordingLogger> }> {
  return {
    config,
    cluster,
    store,
    backup: overrides.backup!,
    identities: parseIdentities(identityText),
    confirm: cluster,
    revisionBump: "auto",
    dryRun: false,
    waitTimeoutMs: 120_000,
    ...overrides,
    logger: recordingLogger(),
  };
}

/**
 * Each step of a plan with the outcome a run on this sandbox gives it: done, but the steps
 * for OrderedReady members, watchers and a failure, which have nothing to do here.
 */
function expectedOutcomes(plan: { steps: readonly { name: string }[] }): [string, string][] {
  const idle = [
    "relaxPodManagement",
    "restorePodManagement",
    "restartWatchers",
    "putBackAfterFailure",
  ];
  return plan.steps.map(({ name }) => [name, idle.includes(name) ? "skipped" : "done"]);
}

/** What a user checks afterwards: replicas, the PDB's spec, the pods of the namespace. */
async function clusterState(cluster: string) {
  const apps = config.makeApiClient(AppsV1Api);
  const policy = config.makeApiClient(PolicyV1Api);
  const core = config.makeApiClient(CoreV1Api);
  const pdb = await policy.readNamespacedPodDisruptionBudget({
    name: "kube-apiserver-pdb",
    namespace: cluster,
  });
  const pods = await core.listNamespacedPod({ namespace: cluster });
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
    pdbSpec: pdb.spec,
    utilityPods: pods.items
      .map((pod) => pod.metadata!.name!)
      .filter((name) => name.startsWith("etcd-utility")),
  };
}

/** Every file and folder on the cluster's member volumes, with sizes: what a restore may touch. */
function volumeListing(cluster: string): string[] {
  const members = sandbox.layout.userClusters.find((item) => item.name === cluster)!.members;
  const listing: string[] = [];
  const walk = (root: string, path: string) => {
    for (const entry of readdirSync(join(root, path), { withFileTypes: true })) {
      const relative = join(path, entry.name);
      if (entry.isDirectory()) {
        listing.push(`${relative}/`);
        walk(root, relative);
      } else listing.push(`${relative} ${statSync(join(root, relative)).size}`);
    }
  };
  for (const member of members) {
    listing.push(`== ${member.pod}`);
    walk(member.pvcPath, "");
  }
  return listing;
}

async function journalExists(cluster: string): Promise<boolean> {
  const core = config.makeApiClient(CoreV1Api);
  return core
    .readNamespacedConfigMap({ name: RESTORE_JOURNAL_NAME, namespace: cluster })
    .then(() => true)
    .catch((error: { code?: number }) => {
      if (error.code === 404) return false;
      throw error;
    });
}

describe("etcd-restore of a user cluster in the sandbox", () => {
  it("restores all three members of a healthy uc1 from one snapshot: A back, B gone, one cluster", async () => {
    await etcdctlIn("uc1", "kube-etcd-0", "put", "/restore-test/A", "before the backup");
    const backup = await backUp("uc1");
    await etcdctlIn("uc1", "kube-etcd-0", "put", "/restore-test/B", "after the backup");
    const before = await clusterState("uc1");

    const options = await restoreOptions("uc1", { backup });
    const result = await runEtcdRestore(options);
    expect(result.error, options.logger.lines.join("\n")).toBeUndefined();
    expect(result.outcome).toBe("restored");

    for (const pod of ["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"]) {
      expect(await etcdctlIn("uc1", pod, "get", "/restore-test/A", "--print-value-only")).toBe(
        "before the backup\n",
      );
      expect(await etcdctlIn("uc1", pod, "get", "/restore-test/B", "--keys-only")).toBe("");
    }
    const members = JSON.parse(
      await etcdctlIn("uc1", "kube-etcd-1", "member", "list", "-w", "json"),
    ) as {
      members: { name: string; peerURLs: string[] }[];
    };
    expect(members.members.map((member) => [member.name, member.peerURLs]).sort()).toEqual(
      [0, 1, 2].map((n) => [`kube-etcd-${n}`, [`https://kube-etcd-${n}.kube-etcd:2380`]]),
    );
    expect(result.revision).toBe(backup.manifest.etcd?.revision);
    expect(result.keys).toBe(backup.manifest.etcd?.keyCount);
    expect(await clusterState("uc1")).toEqual(before);
    // The displaced data is kept on every member's own volume; nothing of the restore is left.
    for (const member of sandbox.layout.userClusters.find((cluster) => cluster.name === "uc1")!
      .members) {
      const entries = readdirSync(member.pvcPath).sort();
      expect(entries).toEqual(["member", expect.stringMatching(/^pre-restore-\d{8}T\d{6}Z$/)]);
      expect(existsSync(join(member.pvcPath, entries[1]!, "member", "snap", "db"))).toBe(true);
    }
    const core = config.makeApiClient(CoreV1Api);
    await expect(
      core.readNamespacedConfigMap({ name: RESTORE_JOURNAL_NAME, namespace: "uc1" }),
    ).rejects.toMatchObject({
      code: 404,
    });
    // The run executed its declared plan, in order; Debian's etcd 3.4.23 cannot bump.
    expect(result.steps.map(({ step, outcome }) => [step, outcome])).toEqual(
      expectedOutcomes(etcdRestorePlan("uc1", backup.location.uri)),
    );
    expect(result.bump).toBe(0);
    expect(options.logger.lines.join("\n")).toContain("cannot bump the revision");
    expect(result.outageMs).toBeGreaterThan(0);
  });

  it("brings back uc1 whose two members crash-loop on corrupted data", async () => {
    await etcdctlIn("uc1", "kube-etcd-0", "put", "/restore-test/C", "before the backup");
    const backup = await backUp("uc1");
    await etcdctlIn("uc1", "kube-etcd-0", "put", "/restore-test/D", "after the backup");
    const before = await clusterState("uc1");
    const members = sandbox.layout.userClusters.find((cluster) => cluster.name === "uc1")!.members;
    const core = config.makeApiClient(CoreV1Api);
    // Two members' databases overwritten, then their pods restarted: quorum is lost.
    for (const member of members.slice(1)) {
      writeFileSync(join(member.pvcPath, "member", "snap", "db"), Buffer.alloc(64 * 1024, 0x5a));
      await core.deleteNamespacedPod({ name: member.pod, namespace: "uc1", gracePeriodSeconds: 0 });
    }
    await waitFor(
      "two members crash-looping",
      async () => {
        const pods = await core.listNamespacedPod({
          namespace: "uc1",
          labelSelector: "component=kube-etcd",
        });
        const restarts = pods.items
          .filter((pod) => ["kube-etcd-1", "kube-etcd-2"].includes(pod.metadata!.name!))
          .map((pod) => pod.status?.containerStatuses?.[0]?.restartCount ?? 0);
        return restarts.length === 2 && restarts.every((count) => count > 0) ? true : undefined;
      },
      90_000,
    );

    const options = await restoreOptions("uc1", { backup });
    const result = await runEtcdRestore(options);
    expect(result.error, options.logger.lines.join("\n")).toBeUndefined();
    for (const member of members) {
      expect(
        await etcdctlIn("uc1", member.pod, "get", "/restore-test/C", "--print-value-only"),
      ).toBe("before the backup\n");
      expect(await etcdctlIn("uc1", member.pod, "get", "/restore-test/D", "--keys-only")).toBe("");
    }
    const state = await clusterState("uc1");
    expect(state).toEqual(before);
  });

  it("restores single-member uc2 with its member's real peer URL", async () => {
    await etcdctlIn("uc2", "kube-etcd-0", "put", "/restore-test/A", "before");
    const backup = await backUp("uc2");
    await etcdctlIn("uc2", "kube-etcd-0", "put", "/restore-test/B", "after");
    const before = await clusterState("uc2");
    const options = await restoreOptions("uc2", { backup });
    const result = await runEtcdRestore(options);
    expect(result.error, options.logger.lines.join("\n")).toBeUndefined();
    expect(
      await etcdctlIn("uc2", "kube-etcd-0", "get", "/restore-test/A", "--print-value-only"),
    ).toBe("before\n");
    expect(await etcdctlIn("uc2", "kube-etcd-0", "get", "/restore-test/B", "--keys-only")).toBe("");
    const members = JSON.parse(
      await etcdctlIn("uc2", "kube-etcd-0", "member", "list", "-w", "json"),
    ) as {
      members: { name: string; peerURLs: string[] }[];
    };
    expect(members.members.map((member) => [member.name, member.peerURLs])).toEqual([
      ["kube-etcd-0", ["https://kube-etcd-0.kube-etcd:2380"]],
    ]);
    expect(await clusterState("uc2")).toEqual(before);
    const core = config.makeApiClient(CoreV1Api);
    await expect(
      core.readNamespacedConfigMap({ name: RESTORE_JOURNAL_NAME, namespace: "uc2" }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it("undo after a restore brings back the keys written after the backup and removes nothing", async () => {
    await etcdctlIn("uc2", "kube-etcd-0", "put", "/undo-test/A", "before");
    const backup = await backUp("uc2");
    await etcdctlIn("uc2", "kube-etcd-0", "put", "/undo-test/B", "after");
    const before = await clusterState("uc2");
    const restored = await runEtcdRestore(await restoreOptions("uc2", { backup }));
    expect(restored.error).toBeUndefined();
    expect(await etcdctlIn("uc2", "kube-etcd-0", "get", "/undo-test/B", "--keys-only")).toBe("");
    const member = sandbox.layout.userClusters.find((cluster) => cluster.name === "uc2")!
      .members[0]!;
    const preRestore = readdirSync(member.pvcPath).filter((name) =>
      name.startsWith("pre-restore-"),
    );

    const options = await restoreOptions("uc2", {});
    const undone = await runEtcdUndo({ ...options, confirm: "uc2" });
    expect(undone.error, options.logger.lines.join("\n")).toBeUndefined();
    expect(undone.outcome).toBe("restored");
    expect(await etcdctlIn("uc2", "kube-etcd-0", "get", "/undo-test/B", "--print-value-only")).toBe(
      "after\n",
    );
    expect(await etcdctlIn("uc2", "kube-etcd-0", "get", "/undo-test/A", "--print-value-only")).toBe(
      "before\n",
    );
    expect(await clusterState("uc2")).toEqual(before);
    // The newest pre-restore folder went back into place; the restored data is kept aside.
    const after = readdirSync(member.pvcPath);
    expect(after).not.toContain(preRestore.sort().at(-1));
    const preUndo = after.filter((name) => name.startsWith("pre-undo-"));
    expect(preUndo).toHaveLength(1);
    expect(existsSync(join(member.pvcPath, preUndo[0]!, "member", "snap", "db"))).toBe(true);
    expect(undone.steps.map(({ step, outcome }) => [step, outcome])).toEqual(
      expectedOutcomes(etcdUndoPlan("uc2")),
    );
    expect(await journalExists("uc2")).toBe(false);
  });

  it("changes nothing in a dry run: objects and every data folder as before", async () => {
    const backup = await backUp("uc1");
    const before = { state: await clusterState("uc1"), volumes: volumeListing("uc1") };
    const options = await restoreOptions("uc1", { backup, dryRun: true, confirm: undefined });
    const result = await runEtcdRestore(options);
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe("planned");
    const plan = etcdRestorePlan("uc1", backup.location.uri);
    for (const line of plan.lines()) expect(options.logger.lines).toContain(line);
    expect(result.steps.map(({ step, outcome }) => [step, outcome])).toEqual(
      plan.steps.map(({ name }) => [
        name,
        ["readTopology", "checkBackup", "checkNodes"].includes(name) ? "done" : "skipped",
      ]),
    );
    expect({ state: await clusterState("uc1"), volumes: volumeListing("uc1") }).toEqual(before);
    expect(await journalExists("uc1")).toBe(false);
  });

  it("puts everything back when the payload turns out tampered with, before any outage", async () => {
    const backup = await backUp("uc2");
    const payload = join(fileURLToPath(backup.location.uri), backup.manifest.payload.name);
    const bytes = readFileSync(payload);
    const middle = Math.floor(bytes.length / 2);
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(payload, bytes);
    const before = { state: await clusterState("uc2"), volumes: volumeListing("uc2") };
    const options = await restoreOptions("uc2", { backup });
    const result = await runEtcdRestore(options);
    expect(result.outcome).toBe("failed");
    expect(result.error).toMatch(/sha256|damaged|authentication|decrypt/i);
    expect(result.steps.find((step) => step.step === "streamSnapshot")?.outcome).toBe("failed");
    expect(result.steps.find((step) => step.step === "putBackAfterFailure")).toMatchObject({
      outcome: "done",
      detail: expect.stringMatching(/utility pod\(s\) deleted; lock released/),
    });
    expect({ state: await clusterState("uc2"), volumes: volumeListing("uc2") }).toEqual(before);
    expect(await journalExists("uc2")).toBe(false);
  });

  it(
    "refuses a backup of another etcd minor version, a PVC policy that deletes on scale-down, an image that cannot be pulled; changes nothing",
    { timeout: 240_000 },
    async () => {
      const backup = await backUp("uc2");
      expect(backup.manifest.etcd?.version).toBe("3.4.23");
      const before = { state: await clusterState("uc2"), volumes: volumeListing("uc2") };
      const refusals: Array<{
        name: string;
        options: Partial<EtcdRestoreOptions>;
        message: RegExp;
      }> = [
        {
          name: "another minor version",
          options: {
            backup: {
              ...backup,
              manifest: { ...backup.manifest, etcd: { ...backup.manifest.etcd, version: "3.5.9" } },
            },
          },
          message:
            /was taken from etcd 3\.5\.9, but the members run .*\(etcd 3\.4\.13\): a snapshot restores only into the same etcd major\.minor version/,
        },
        {
          name: "an image that cannot be pulled",
          options: {
            backup,
            utilityImage: "gcr.io/gke-on-prem-release/no-such-image:v1",
            waitTimeoutMs: 20_000,
          },
          message: /utility pod uc2\/etcd-utility-0 .*did not start: .*ImagePullBackOff/,
        },
      ];
      for (const refusal of refusals) {
        const result = await runEtcdRestore(await restoreOptions("uc2", refusal.options));
        expect(result.outcome, refusal.name).toBe("failed");
        expect(result.error, refusal.name).toMatch(refusal.message);
        expect(
          { state: await clusterState("uc2"), volumes: volumeListing("uc2") },
          refusal.name,
        ).toEqual(before);
        expect(await journalExists("uc2"), refusal.name).toBe(false);
      }
      const apps = config.makeApiClient(AppsV1Api);
      const statefulSet = await apps.readNamespacedStatefulSet({
        name: "kube-etcd",
        namespace: "uc2",
      });
      const retention = statefulSet.spec!.persistentVolumeClaimRetentionPolicy;
      statefulSet.spec!.persistentVolumeClaimRetentionPolicy = {
        whenDeleted: "Retain",
        whenScaled: "Delete",
      };
      await apps.replaceNamespacedStatefulSet({
        name: "kube-etcd",
        namespace: "uc2",
        body: statefulSet,
      });
      try {
        const result = await runEtcdRestore(await restoreOptions("uc2", { backup }));
        expect(result.error).toMatch(/deletes its PVCs when scaled down .*whenScaled: Delete/);
        expect(result.steps.find((step) => step.step === "createUtilityPods")?.outcome).toBe(
          "skipped",
        );
        expect(await journalExists("uc2")).toBe(false);
      } finally {
        const current = await apps.readNamespacedStatefulSet({
          name: "kube-etcd",
          namespace: "uc2",
        });
        current.spec!.persistentVolumeClaimRetentionPolicy = retention;
        await apps.replaceNamespacedStatefulSet({
          name: "kube-etcd",
          namespace: "uc2",
          body: current,
        });
      }
    },
  );

  it("puts everything back when the payload turns out truncated", async () => {
    const backup = await backUp("uc2");
    const payload = join(fileURLToPath(backup.location.uri), backup.manifest.payload.name);
    const bytes = readFileSync(payload);
    writeFileSync(payload, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const before = { state: await clusterState("uc2"), volumes: volumeListing("uc2") };
    const result = await runEtcdRestore(await restoreOptions("uc2", { backup }));
    expect(result.outcome).toBe("failed");
    expect(result.error).toMatch(/truncated|short|bytes/i);
    expect({ state: await clusterState("uc2"), volumes: volumeListing("uc2") }).toEqual(before);
    expect(await journalExists("uc2")).toBe(false);
  });

  it("refuses before any change: wrong identity, a restore already running", async () => {
    const backup = await backUp("uc1");
    const before = { state: await clusterState("uc1"), volumes: volumeListing("uc1") };
    const { identityText: otherIdentity } = await ageKeyPair(work, "other.txt");
    await expect(
      runEtcdRestore(
        await restoreOptions("uc1", { backup, identities: parseIdentities(otherIdentity) }),
      ),
    ).rejects.toThrow(/^identity: None of the given age identities/);
    expect(await journalExists("uc1")).toBe(false);
    // Another restore's journal (of another backup) holds the lock.
    const core = config.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({
      namespace: "uc1",
      body: {
        metadata: { name: RESTORE_JOURNAL_NAME, namespace: "uc1" },
        data: {
          journal: `${JSON.stringify({ step: "", event: "begin", at: "2026-12-07T00:00:00Z", data: { cluster: "uc1", backup: "s3://elsewhere/uc1/user-etcd/20261201T000000Z/" } })}\n`,
        },
      },
    });
    await expect(runEtcdRestore(await restoreOptions("uc1", { backup }))).rejects.toThrow(
      /belongs to other work \(backup s3:\/\/elsewhere\/uc1\/user-etcd\/20261201T000000Z\/, cluster uc1\)/,
    );
    await core.deleteNamespacedConfigMap({ name: RESTORE_JOURNAL_NAME, namespace: "uc1" });
    expect({ state: await clusterState("uc1"), volumes: volumeListing("uc1") }).toEqual(before);
  });

  it("refuses before any change: wrong confirm, a backup of another cluster", async () => {
    const backup = await backUp("uc2");
    const before = await clusterState("uc1");
    await expect(
      runEtcdRestore(await restoreOptions("uc1", { backup, confirm: "uc1" })),
    ).rejects.toThrow("backup: file://");
    await expect(
      runEtcdRestore(await restoreOptions("uc2", { backup, confirm: "uc1" })),
    ).rejects.toThrow(
      'confirm: must be the cluster\'s name, uc2, for the restore to change anything (it is "uc1")',
    );
    expect(await clusterState("uc1")).toEqual(before);
  });
});
