/**
 * The restore against the sandbox's honest variants: uc1's kube-etcd is OrderedReady with a
 * readiness probe that needs quorum (scaling it from 0 would deadlock, scaling it down
 * stalls once quorum is lost), uc2's volume is a 200 MB tmpfs, nodes can be NotReady or
 * gone. Each refusal must come before any change, as one clear error naming what is wrong.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, statSync, statfsSync, writeFileSync, rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AppsV1Api, CoreV1Api, PolicyV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { WAL_SEGMENT_BYTES } from "../../src/core/etcd/restore-scripts.ts";
import { RESTORE_JOURNAL_NAME } from "../../src/core/kube/configmap-journal.ts";
import { readStatefulSet, savedStatefulSet } from "../../src/core/kube/statefulset-recreate.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger, type Logger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { runEtcdRestore, type EtcdRestoreOptions } from "../../src/procedures/etcd-restore.ts";
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
  sandbox = await startSandbox({
    userClusters: [
      { name: "uc1", members: 3, podManagementPolicy: "OrderedReady" },
      { name: "uc2", members: 1, volumeLimitMb: 200 },
    ],
  });
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  work = await mkdtemp(join(tmpdir(), "etcd-restore-ordered-"));
  ({ recipient, identityText } = await ageKeyPair(work));
  store = new FileStore(join(work, "backups"));
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const apps0 = () => config.makeApiClient(AppsV1Api);

const members = (cluster: string) =>
  sandbox.layout.userClusters.find((item) => item.name === cluster)!.members;

const etcdctlIn = (cluster: string, pod: string, ...args: string[]) =>
  etcdctlIn0(config, cluster, pod, ...args);

const backUp = (cluster: string) => backUpUserCluster({ config, store, recipient, work }, cluster);

function restoreOptions(
  cluster: string,
  backup: EtcdRestoreOptions["backup"],
  logger: Logger = recordingLogger(),
): EtcdRestoreOptions {
  return {
    config,
    cluster,
    store,
    backup,
    identities: parseIdentities(identityText),
    confirm: cluster,
    revisionBump: "auto",
    dryRun: false,
    waitTimeoutMs: 120_000,
    logger,
  };
}

/** What a user checks afterwards: kube-etcd's spec, replicas, the PDB, the utility pods. */
async function clusterState(cluster: string) {
  const apps = config.makeApiClient(AppsV1Api);
  const policy = config.makeApiClient(PolicyV1Api);
  const core = config.makeApiClient(CoreV1Api);
  const etcd = await apps.readNamespacedStatefulSet({ name: "kube-etcd", namespace: cluster });
  const pdb = await policy.readNamespacedPodDisruptionBudget({
    name: "kube-apiserver-pdb",
    namespace: cluster,
  });
  const pods = await core.listNamespacedPod({ namespace: cluster });
  return {
    etcdSpec: etcd.spec,
    etcdLabels: etcd.metadata?.labels,
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

function volumeListing(cluster: string): string[] {
  const listing: string[] = [];
  const walk = (root: string, path: string) => {
    for (const entry of readdirSync(join(root, path), { withFileTypes: true })) {
      const relative = join(path, entry.name);
      if (entry.isDirectory()) {
        listing.push(`${relative}/`);
        walk(root, relative);
      } else if (!relative.includes("/wal/") && !relative.endsWith("/snap/db")) {
        listing.push(relative);
      } else listing.push(`${relative} (etcd's, size varies)`);
    }
  };
  for (const member of members(cluster)) {
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

async function etcdPods(cluster: string) {
  const core = config.makeApiClient(CoreV1Api);
  return (
    await core.listNamespacedPod({ namespace: cluster, labelSelector: "component=kube-etcd" })
  ).items;
}

/** A refusal leaves every object and every data folder as it was, and no lock. */
async function expectRefusedBeforeAnyChange(
  cluster: string,
  backup: EtcdRestoreOptions["backup"],
  message: RegExp,
): Promise<void> {
  const before = { state: await clusterState(cluster), volumes: volumeListing(cluster) };
  const options = restoreOptions(cluster, backup);
  const result = await runEtcdRestore(options);
  expect(result.outcome).toBe("failed");
  expect(result.error).toMatch(message);
  expect(result.steps.find((step) => step.step === "savePdb")?.outcome).toBe("skipped");
  expect({ state: await clusterState(cluster), volumes: volumeListing(cluster) }).toEqual(before);
  expect(await journalExists(cluster)).toBe(false);
}

/**
 * A process that takes bbolt's lock on the first member's live db the moment etcd lets go of
 * it, as a leftover etcd would: the swap must find the data in use there. The logger releases
 * it once the swap failed, so the members can start again when put back; call release too in
 * a finally.
 */
function dbHeldThroughSwap(cluster: string) {
  const { pvcPath } = members(cluster)[0]!;
  const holder: ChildProcess = spawn(
    "flock",
    ["-x", "-o", join(pvcPath, "member", "snap", "db"), "sleep", "600"],
    { detached: true, stdio: "ignore" },
  );
  const release = () => {
    if (holder.pid && holder.exitCode === null) {
      try {
        process.kill(-holder.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  };
  const recorder = recordingLogger();
  const logger: Logger = {
    ...recorder,
    info: (message) => {
      recorder.info(message);
      if (message.startsWith("✘ swapMembers")) release();
    },
  };
  return { recorder, logger, release };
}

describe("etcd-restore with OrderedReady, node faults and small volumes", () => {
  it(
    "restores an OrderedReady uc1 that lost quorum: A back, B gone, the set as it was",
    { timeout: 420_000 },
    async () => {
      const apps = config.makeApiClient(AppsV1Api);
      const set = await apps.readNamespacedStatefulSet({ name: "kube-etcd", namespace: "uc1" });
      expect(set.spec?.podManagementPolicy).toBe("OrderedReady");
      expect(
        set.spec?.template.spec?.containers[0]?.readinessProbe?.exec?.command?.join(" "),
      ).toMatch(/endpoint health/);
      await etcdctlIn("uc1", "kube-etcd-0", "put", "/ordered/A", "before the backup");
      const backup = await backUp("uc1");
      await etcdctlIn("uc1", "kube-etcd-0", "put", "/ordered/B", "after the backup");
      const before = await clusterState("uc1");

      // Two members' databases overwritten, then their pods restarted: quorum is lost.
      const core = config.makeApiClient(CoreV1Api);
      for (const member of members("uc1").slice(1)) {
        writeFileSync(join(member.pvcPath, "member", "snap", "db"), Buffer.alloc(64 * 1024, 0x5a));
        await core.deleteNamespacedPod({
          name: member.pod,
          namespace: "uc1",
          gracePeriodSeconds: 0,
        });
      }
      await waitFor(
        "no kube-etcd member of uc1 Ready",
        async () => {
          const pods = await etcdPods("uc1");
          const ready = pods.filter((pod) =>
            pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
          );
          return ready.length === 0 ? true : undefined;
        },
        120_000,
      );

      const logger = recordingLogger();
      const result = await runEtcdRestore(restoreOptions("uc1", backup, logger));
      expect(result.error, logger.lines.join("\n")).toBeUndefined();
      expect(result.outcome).toBe("restored");
      for (const member of members("uc1")) {
        expect(await etcdctlIn("uc1", member.pod, "get", "/ordered/A", "--print-value-only")).toBe(
          "before the backup\n",
        );
        expect(await etcdctlIn("uc1", member.pod, "get", "/ordered/B", "--keys-only")).toBe("");
      }
      const health = JSON.parse(
        await etcdctlIn("uc1", "kube-etcd-2", "endpoint", "health", "--cluster", "-w", "json"),
      ) as { health: boolean }[];
      expect(health.map((entry) => entry.health)).toEqual([true, true, true]);
      // kube-etcd exactly as before (OrderedReady), its running members its own.
      expect(await clusterState("uc1")).toEqual(before);
      const after = await apps.readNamespacedStatefulSet({ name: "kube-etcd", namespace: "uc1" });
      const pods = await etcdPods("uc1");
      expect(pods.map((pod) => pod.metadata?.ownerReferences?.[0]?.uid)).toEqual(
        pods.map(() => after.metadata?.uid),
      );
      const steps = Object.fromEntries(result.steps.map((step) => [step.step, step]));
      expect(steps.relaxPodManagement).toMatchObject({
        outcome: "done",
        detail: expect.stringMatching(/re-created as Parallel/),
      });
      expect(steps.restorePodManagement).toMatchObject({
        outcome: "done",
        detail: expect.stringMatching(
          /re-created as OrderedReady, its running pods adopted \(kube-etcd-0, kube-etcd-1, kube-etcd-2\)/,
        ),
      });
      expect(await journalExists("uc1")).toBe(false);
    },
  );

  it(
    "a rerun after a kill between the orphan delete and the create re-creates kube-etcd from the journal's copy",
    { timeout: 420_000 },
    async () => {
      await etcdctlIn("uc1", "kube-etcd-0", "put", "/rerun/A", "before the backup");
      const backup = await backUp("uc1");
      await etcdctlIn("uc1", "kube-etcd-0", "put", "/rerun/B", "after the backup");
      const before = await clusterState("uc1");
      const podUids = (await etcdPods("uc1")).map((pod) => pod.metadata?.uid);
      // What the killed run left: kube-etcd saved in the journal and deleted with orphan
      // propagation, the runner gone before it created the Parallel copy.
      // An annotation of the operator's own, which a re-created set must carry again.
      const current = await apps0().readNamespacedStatefulSet({
        name: "kube-etcd",
        namespace: "uc1",
      });
      current.metadata!.annotations = {
        ...current.metadata!.annotations,
        "example.com/owner-team": "platform",
      };
      await apps0().replaceNamespacedStatefulSet({
        name: "kube-etcd",
        namespace: "uc1",
        body: current,
      });
      const live = await readStatefulSet(config, { namespace: "uc1", name: "kube-etcd" });
      const manifest = savedStatefulSet(live as unknown as Record<string, unknown>);
      expect(manifest.metadata.annotations).toMatchObject({
        "example.com/owner-team": "platform",
      });
      const at = new Date().toISOString();
      const journal = [
        { step: "", event: "begin", at, data: { cluster: "uc1", backup: backup.location.uri } },
        { step: "relaxPodManagement", event: "started", at },
        { step: "relaxPodManagement", event: "intent", at, data: { manifest } },
      ];
      const core = config.makeApiClient(CoreV1Api);
      await core.createNamespacedConfigMap({
        namespace: "uc1",
        body: {
          metadata: { name: RESTORE_JOURNAL_NAME, namespace: "uc1" },
          data: { journal: journal.map((entry) => JSON.stringify(entry)).join("\n") + "\n" },
        },
      });
      const apps = config.makeApiClient(AppsV1Api);
      await apps.deleteNamespacedStatefulSet({
        name: "kube-etcd",
        namespace: "uc1",
        propagationPolicy: "Orphan",
      });
      await waitFor(
        "kube-etcd gone",
        async () =>
          (await readStatefulSet(config, { namespace: "uc1", name: "kube-etcd" }))
            ? undefined
            : true,
        30_000,
      );
      expect((await etcdPods("uc1")).map((pod) => pod.metadata?.uid)).toEqual(podUids);

      const logger = recordingLogger();
      const result = await runEtcdRestore(restoreOptions("uc1", backup, logger));
      expect(result.error, logger.lines.join("\n")).toBeUndefined();
      expect(result.steps.find((step) => step.step === "relaxPodManagement")).toMatchObject({
        outcome: "done",
        detail: expect.stringMatching(/kube-etcd re-created as Parallel/),
      });
      expect(await etcdctlIn("uc1", "kube-etcd-1", "get", "/rerun/A", "--print-value-only")).toBe(
        "before the backup\n",
      );
      expect(await etcdctlIn("uc1", "kube-etcd-1", "get", "/rerun/B", "--keys-only")).toBe("");
      expect(await clusterState("uc1")).toEqual(before);
      // The whole object as it was saved, not only its spec and labels: the same annotations,
      // no owner, nothing the restore added.
      const after = await readStatefulSet(config, { namespace: "uc1", name: "kube-etcd" });
      const afterSaved = savedStatefulSet(after as unknown as Record<string, unknown>);
      expect(afterSaved).toEqual(manifest);
      expect(afterSaved.metadata.ownerReferences).toBeUndefined();
      expect(await journalExists("uc1")).toBe(false);
    },
  );

  it(
    "refuses an OrderedReady set that deletes its PVCs when deleted, before any change",
    { timeout: 300_000 },
    async () => {
      const backup = await backUp("uc1");
      const apps = config.makeApiClient(AppsV1Api);
      const set = await apps.readNamespacedStatefulSet({ name: "kube-etcd", namespace: "uc1" });
      const retention = set.spec!.persistentVolumeClaimRetentionPolicy;
      set.spec!.persistentVolumeClaimRetentionPolicy = {
        whenDeleted: "Delete",
        whenScaled: "Retain",
      };
      await apps.replaceNamespacedStatefulSet({ name: "kube-etcd", namespace: "uc1", body: set });
      try {
        await expectRefusedBeforeAnyChange(
          "uc1",
          backup,
          /kube-etcd is OrderedReady, so the restore must delete and re-create it .*whenDeleted: Delete/,
        );
      } finally {
        const current = await apps.readNamespacedStatefulSet({
          name: "kube-etcd",
          namespace: "uc1",
        });
        current.spec!.persistentVolumeClaimRetentionPolicy = retention;
        await apps.replaceNamespacedStatefulSet({
          name: "kube-etcd",
          namespace: "uc1",
          body: current,
        });
      }
    },
  );

  it(
    "refuses a PVC whose node is NotReady, and one whose node is gone, before any change",
    { timeout: 300_000 },
    async () => {
      const backup = await backUp("uc2");
      const { node, pod, pvc } = members("uc2")[0]!;
      sandbox.faults.markNotReady(node);
      try {
        await expectRefusedBeforeAnyChange(
          "uc2",
          backup,
          new RegExp(
            `^the node ${node} of ${pod}'s PVC ${pvc} is not Ready \\(NodeStatusUnknown\\)`,
          ),
        );
      } finally {
        sandbox.faults.markReady(node);
      }
      sandbox.faults.remove(node);
      try {
        await expectRefusedBeforeAnyChange(
          "uc2",
          backup,
          new RegExp(`^the node ${node} of ${pod}'s PVC ${pvc}: node ${node} not found`),
        );
      } finally {
        sandbox.faults.restore(node);
      }
    },
  );

  it(
    "refuses a volume without room for the snapshot and the restored data (WAL included)",
    { timeout: 300_000 },
    async () => {
      const backup = await backUp("uc2");
      const { pvcPath, pvc, pod } = members("uc2")[0]!;
      const snapshotBytes = backup.manifest.payload.plaintext.bytes;
      // Leave room for the snapshot twice and a bit, but not for the 64 MB WAL segment that
      // `snapshot restore` preallocates: a check without it would start and then fill the volume.
      const leaveBytes = 2 * snapshotBytes + WAL_SEGMENT_BYTES - 16 * 1024 * 1024;
      const free = () => {
        const stats = statfsSync(pvcPath);
        return stats.bavail * stats.bsize;
      };
      expect(free()).toBeGreaterThan(leaveBytes);
      const ballast = join(pvcPath, "ballast");
      writeFileSync(ballast, Buffer.alloc(free() - leaveBytes));
      try {
        await expectRefusedBeforeAnyChange(
          "uc2",
          backup,
          new RegExp(
            `^the volume ${pvc} of ${pod} has [0-9.]+ [KMG]i?B free, but the restore needs [0-9.]+ [KMG]i?B for the snapshot and the restored data`,
          ),
        );
      } finally {
        rmSync(ballast, { force: true });
      }
      expect(statSync(pvcPath).isDirectory()).toBe(true);
    },
  );

  it(
    "a swap refused on its first member moved nothing: everything is put back and the lock released",
    { timeout: 300_000 },
    async () => {
      const backup = await backUp("uc2");
      const before = { state: await clusterState("uc2"), volumes: volumeListing("uc2") };
      const { recorder, logger, release } = dbHeldThroughSwap("uc2");
      try {
        const result = await runEtcdRestore(restoreOptions("uc2", backup, logger));
        expect(result.outcome).toBe("failed");
        expect(result.error).toMatch(
          /a process still holds \/var\/lib\/etcd\/member\/snap\/db of kube-etcd-0 .*nothing was swapped on it/,
        );
        expect(result.steps.find((step) => step.step === "putBackAfterFailure")).toMatchObject({
          outcome: "done",
          detail: expect.stringMatching(/kube-etcd back to 1.*lock released/),
        });
        expect(recorder.lines.join("\n")).not.toContain("stopped after the swap began");
      } finally {
        release();
      }
      expect({ state: await clusterState("uc2"), volumes: volumeListing("uc2") }).toEqual(before);
      expect(await journalExists("uc2")).toBe(false);
      expect(
        JSON.parse(await etcdctlIn("uc2", "kube-etcd-0", "endpoint", "health", "-w", "json")),
      ).toMatchObject([{ health: true }]);
    },
  );

  // Last in this file: it leaves uc1 as it found it, without quorum.
  it(
    "a swap refused on an OrderedReady uc1 that lost quorum puts everything back as it was, without waiting for a Ready it never had",
    { timeout: 420_000 },
    async () => {
      const backup = await backUp("uc1");
      const core = config.makeApiClient(CoreV1Api);
      for (const member of members("uc1").slice(1)) {
        writeFileSync(join(member.pvcPath, "member", "snap", "db"), Buffer.alloc(64 * 1024, 0x5a));
        await core.deleteNamespacedPod({
          name: member.pod,
          namespace: "uc1",
          gracePeriodSeconds: 0,
        });
      }
      await waitFor(
        "no kube-etcd member of uc1 Ready",
        async () => {
          const pods = await etcdPods("uc1");
          const ready = pods.filter((pod) =>
            pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
          );
          return ready.length === 0 ? true : undefined;
        },
        120_000,
      );
      const before = await clusterState("uc1");
      expect(before.etcdSpec?.podManagementPolicy).toBe("OrderedReady");
      const { recorder, logger, release } = dbHeldThroughSwap("uc1");
      try {
        const result = await runEtcdRestore(restoreOptions("uc1", backup, logger));
        expect(result.outcome).toBe("failed");
        expect(result.error).toMatch(
          /a process still holds \/var\/lib\/etcd\/member\/snap\/db of kube-etcd-0 .*nothing was swapped on it/,
        );
        expect(
          result.steps.find((step) => step.step === "putBackAfterFailure"),
          recorder.lines.join("\n"),
        ).toMatchObject({
          outcome: "done",
          detail: expect.stringMatching(
            /kube-etcd back to 3, kube-etcd re-created as saved \(OrderedReady\), its members were not Ready before the restore.*kube-apiserver-pdb re-created.*lock released/,
          ),
        });
      } finally {
        release();
      }
      expect(await clusterState("uc1")).toEqual(before);
      expect(await journalExists("uc1")).toBe(false);
      const set = await config
        .makeApiClient(AppsV1Api)
        .readNamespacedStatefulSet({ name: "kube-etcd", namespace: "uc1" });
      const pods = await etcdPods("uc1");
      expect(pods.map((pod) => pod.metadata?.name).sort()).toEqual([
        "kube-etcd-0",
        "kube-etcd-1",
        "kube-etcd-2",
      ]);
      expect(pods.map((pod) => pod.metadata?.ownerReferences?.[0]?.uid)).toEqual(
        pods.map(() => set.metadata?.uid),
      );
    },
  );
});
