/**
 * The restore's audit record and its utility-image fallback, against the sandbox's
 * single-member uc2 (real etcd in a pod, real exec, a real backup in a folder store):
 * - every restore, succeeded or failed, leaves `<cluster>/restores/<timestamp>.json` beside
 *   the backups, saying who, when, which backup and what came of it;
 * - a cluster whose own etcd image has no shell (distroless, as etcd's images from 3.5.7 on)
 *   is refused with one error naming utility-image and gke-on-prem-version before any change,
 *   and restored with the runbook's etcd-util image when gke-on-prem-version is given.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AppsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { RESTORE_JOURNAL_NAME } from "../../src/core/kube/configmap-journal.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { isPodReady } from "../../src/core/kube/pod-status.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { runEtcdRestore, type EtcdRestoreOptions } from "../../src/procedures/etcd-restore.ts";
import { GKE_ON_PREM_VERSION, IMAGES } from "../sandbox/cluster/topology.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { waitFor } from "./helpers.ts";
import { ageKeyPair, backUpUserCluster, etcdctlIn as etcdctlIn0 } from "./restore-helpers.ts";

const AUDIT = {
  actor: "octocat",
  via: "etcd-restore-ha",
  runUrl: "https://github.com/o/r/actions/runs/42/attempts/1",
};

let sandbox: Sandbox;
let config: KubeConfig;
let work: string;
let identityText: string;
let recipient: string;
let store: FileStore;

beforeAll(async () => {
  sandbox = await startSandbox({ userClusters: [{ name: "uc2", members: 1 }] });
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  work = await mkdtemp(join(tmpdir(), "etcd-restore-record-e2e-"));
  ({ recipient, identityText } = await ageKeyPair(work));
  store = new FileStore(join(work, "backups"));
});

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const etcdctlIn = (...args: string[]) => etcdctlIn0(config, "uc2", "kube-etcd-0", ...args);

const backUp = () => backUpUserCluster({ config, store, recipient, work }, "uc2");

function restoreOptions(
  overrides: Partial<EtcdRestoreOptions>,
): EtcdRestoreOptions & { logger: ReturnType<typeof recordingLogger> } {
  return {
    config,
    cluster: "uc2",
    store,
    backup: overrides.backup!,
    identities: parseIdentities(identityText),
    confirm: "uc2",
    revisionBump: "auto",
    dryRun: false,
    waitTimeoutMs: 120_000,
    audit: AUDIT,
    ...overrides,
    logger: recordingLogger(),
  };
}

function recordAt(uri: string | undefined): Record<string, unknown> {
  expect(uri).toMatch(/^file:\/\/.*\/uc2\/restores\/\d{8}T\d{6}Z\.json$/);
  return JSON.parse(readFileSync(fileURLToPath(uri!), "utf8")) as Record<string, unknown>;
}

/** What must not change when a restore is refused: the workloads and their pods. */
async function uc2State() {
  const apps = config.makeApiClient(AppsV1Api);
  const core = config.makeApiClient(CoreV1Api);
  const replicasOf = async (name: string) =>
    (await apps.readNamespacedStatefulSet({ name, namespace: "uc2" })).spec?.replicas;
  const pods = await core.listNamespacedPod({ namespace: "uc2" });
  const journal = await core
    .readNamespacedConfigMap({ name: RESTORE_JOURNAL_NAME, namespace: "uc2" })
    .then(() => true)
    .catch(() => false);
  return {
    etcd: await replicasOf("kube-etcd"),
    apiServer: await replicasOf("kube-apiserver"),
    pods: pods.items.map((pod) => pod.metadata!.name!).sort(),
    journal,
  };
}

/** uc2's kube-etcd on an image without a shell; the readiness probe runs etcdctl directly. */
async function makeEtcdDistroless(): Promise<void> {
  const apps = config.makeApiClient(AppsV1Api);
  const set = await apps.readNamespacedStatefulSet({ name: "kube-etcd", namespace: "uc2" });
  const container = set.spec!.template.spec!.containers[0]!;
  container.image = IMAGES.etcdDistroless;
  const script = container.readinessProbe!.exec!.command!.at(-1)!;
  container.readinessProbe!.exec!.command = script
    .split(" ")
    .filter((word) => word && !word.startsWith("ETCDCTL_API="));
  await apps.replaceNamespacedStatefulSet({ name: "kube-etcd", namespace: "uc2", body: set });
  const core = config.makeApiClient(CoreV1Api);
  await waitFor(
    "kube-etcd-0 Ready on the distroless image",
    async () => {
      const pod = await core
        .readNamespacedPod({ name: "kube-etcd-0", namespace: "uc2" })
        .catch(() => undefined);
      return pod?.spec?.containers[0]?.image === IMAGES.etcdDistroless && pod && isPodReady(pod)
        ? true
        : undefined;
    },
    180_000,
  );
}

describe("the restore's record and utility image", () => {
  it("writes a record beside the backups for a restore that succeeded and for one that failed", async () => {
    await etcdctlIn("put", "/record-test/A", "before");
    const backup = await backUp();
    await etcdctlIn("put", "/record-test/B", "after");

    const options = restoreOptions({ backup });
    const restored = await runEtcdRestore(options);
    expect(restored.error, options.logger.lines.join("\n")).toBeUndefined();
    expect(await etcdctlIn("get", "/record-test/B", "--keys-only")).toBe("");
    const record = recordAt(restored.record);
    expect(record).toMatchObject({
      kind: "restore",
      cluster: "uc2",
      outcome: "restored",
      backup: backup.location.uri,
      actor: "octocat",
      via: "etcd-restore-ha",
      runUrl: AUDIT.runUrl,
      members: ["kube-etcd-0"],
      revision: restored.revision,
      keys: restored.keys,
      outageMs: restored.outageMs,
      bump: restored.bump,
    });
    expect(Date.parse(String(record.finishedAt))).toBeGreaterThan(
      Date.parse(String(record.startedAt)),
    );
    expect(record.error).toBeUndefined();

    // A tampered payload fails before the outage; the record says so and names the error.
    const damaged = await backUp();
    const payload = join(fileURLToPath(damaged.location.uri), damaged.manifest.payload.name);
    const bytes = readFileSync(payload);
    const middle = bytes.length >> 1;
    bytes[middle] = bytes[middle]! ^ 0xff;
    writeFileSync(payload, bytes);
    const failing = restoreOptions({ backup: damaged });
    const failed = await runEtcdRestore(failing);
    expect(failed.outcome).toBe("failed");
    const failure = recordAt(failed.record);
    expect(failure).toMatchObject({
      outcome: "failed",
      backup: damaged.location.uri,
      error: failed.error,
      actor: "octocat",
    });
    expect(failure.outageMs).toBeUndefined();

    // Both are listed by the store, newest first; neither is a backup.
    const records = await store.listRestoreRecords("uc2");
    expect(records.map((entry) => entry.uri)).toEqual([failed.record, restored.record]);
    expect((await store.list({ cluster: "uc2" })).map((entry) => entry.location.uri)).toEqual([
      damaged.location.uri,
      backup.location.uri,
    ]);
    // A dry run changes nothing, and so leaves no record.
    const planned = await runEtcdRestore(restoreOptions({ backup, dryRun: true }));
    expect(planned.outcome).toBe("planned");
    expect(planned.record).toBeUndefined();
    expect(await store.listRestoreRecords("uc2")).toHaveLength(2);
  });

  it(
    "on a distroless etcd image: refused naming utility-image and gke-on-prem-version, then restored with etcd-util",
    { timeout: 420_000 },
    async () => {
      await etcdctlIn("put", "/distroless-test/A", "before");
      const backup = await backUp();
      await etcdctlIn("put", "/distroless-test/B", "after");
      await makeEtcdDistroless();
      const before = await uc2State();

      const refusedOptions = restoreOptions({ backup });
      const refused = await runEtcdRestore(refusedOptions);
      expect(refused.outcome).toBe("failed");
      expect(refused.error).toMatch(
        /^gke-on-prem-version: is not given, and the cluster's own etcd image gcr\.io\/gke-on-prem-release\/etcd:v3\.4\.13-0-gke\.0-distroless cannot run \/bin\/sh .*\(etcd images from 3\.5\.7 on are distroless\): give gke-on-prem-version, .* or utility-image with an image that has them\.$/,
      );
      expect(refused.steps.find((step) => step.step === "createUtilityPods")?.outcome).toBe(
        "failed",
      );
      expect(refused.steps.find((step) => step.step === "savePdb")?.outcome).toBe("skipped");
      expect(await uc2State()).toEqual(before);
      expect(recordAt(refused.record)).toMatchObject({ outcome: "failed", error: refused.error });

      const options = restoreOptions({ backup, gkeOnPremVersion: GKE_ON_PREM_VERSION });
      const restored = await runEtcdRestore(options);
      expect(restored.error, options.logger.lines.join("\n")).toBeUndefined();
      expect(options.logger.lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^warning: The cluster's own etcd image .*-distroless cannot run /bin/sh .*; the utility pods use gcr\\.io/gke-on-prem-release/etcd-util:${GKE_ON_PREM_VERSION.replace(/\./g, "\\.")} \\(from gke-on-prem-version\\) instead\\.$`,
          ),
        ),
      );
      expect(await etcdctlIn("get", "/distroless-test/A", "--print-value-only")).toBe("before\n");
      expect(await etcdctlIn("get", "/distroless-test/B", "--keys-only")).toBe("");
      // The same workloads as before; the maintenance job's pod is a new one after the restore.
      const withoutPodSuffix = (state: Awaited<ReturnType<typeof uc2State>>) => ({
        ...state,
        pods: state.pods.map((name) => name.replace(/-[a-z0-9]{5}$/, "-*")),
      });
      expect(withoutPodSuffix(await uc2State())).toEqual(withoutPodSuffix(before));
    },
  );
});
