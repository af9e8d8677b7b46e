/**
 * The write operations a restore needs, against the sandbox admin cluster (real API server,
 * StatefulSet and Deployment controllers, scheduler, pods as real processes): scale to 0
 * and back, utility pods, a snapshot streamed into a real pod, the PDB put back exactly, and
 * the sentences each gives when the cluster does not cooperate.
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CancelledError } from "../../src/core/errors.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { execChecked, execInPod } from "../../src/core/kube/exec.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import {
  deletePodDisruptionBudget,
  recreatePodDisruptionBudget,
  savePodDisruptionBudget,
} from "../../src/core/kube/pdb.ts";
import { createPodAndWait, deletePodAndWait } from "../../src/core/kube/pods.ts";
import { ScaleNotSettledError, scaleWorkload } from "../../src/core/kube/scale.ts";
import { streamFileIntoPod } from "../../src/core/kube/stream-into-pod.ts";
import { waitFor } from "../e2e/helpers.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";

let sandbox: Sandbox;
let config: KubeConfig;
let core: CoreV1Api;

beforeAll(async () => {
  sandbox = await startSandbox({
    userClusters: [{ name: "uc1", members: 3 }],
    logger: recordingLogger(),
  });
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  core = config.makeApiClient(CoreV1Api);
});

afterAll(async () => {
  await sandbox?.stop();
});

const KUBE_ETCD = { kind: "StatefulSet", namespace: "uc1", name: "kube-etcd" } as const;

async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection, but the call succeeded");
}

async function podsOf(labelSelector: string): Promise<V1Pod[]> {
  return (await core.listNamespacedPod({ namespace: "uc1", labelSelector })).items;
}

async function podExists(name: string): Promise<boolean> {
  return core.readNamespacedPod({ namespace: "uc1", name }).then(
    () => true,
    (error: { code?: number }) => {
      if (error.code === 404) return false;
      throw error;
    },
  );
}

/** A Deployment of `replicas` pods (0 by default: the test scales it). */
async function createDeployment(
  name: string,
  container: Record<string, unknown>,
  podSpec: Record<string, unknown> = {},
): Promise<void> {
  await config.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace: "uc1",
    body: {
      metadata: { name, namespace: "uc1" },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name, ...container }], ...podSpec },
        },
      },
    },
  });
}

function utilityPod(name: string, image: string, node?: string): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "uc1" },
    spec: {
      containers: [
        {
          name: "etcd-utility",
          image,
          command: ["/bin/sh"],
          args: ["-ec", "while :; do echo '.'; sleep 5 ; done"],
        },
      ],
      ...(node ? { nodeSelector: { "kubernetes.io/hostname": node } } : {}),
    },
  };
}

const UTILITY_IMAGE = () => sandbox.layout.images.etcdUtil;
/** No sandbox image rule matches it: it stays in ErrImagePull / ImagePullBackOff. */
const MISSING_IMAGE = "gcr.io/gke-on-prem-release/etcd-utility-missing:1.0";

describe("scaleWorkload", () => {
  it("scales kube-etcd to 0, returns 3, and only returns once every member pod is gone", async () => {
    const { previousReplicas } = await scaleWorkload(config, KUBE_ETCD, 0, { timeoutMs: 120_000 });
    expect(previousReplicas).toBe(3);
    expect(await podsOf("component=kube-etcd")).toEqual([]);
  });

  it("scales kube-etcd back to 3 and returns once all three are Ready", async () => {
    const { previousReplicas } = await scaleWorkload(config, KUBE_ETCD, 3, { timeoutMs: 120_000 });
    expect(previousReplicas).toBe(0);
    const pods = await podsOf("component=kube-etcd");
    expect(pods.map((pod) => pod.metadata?.name).sort()).toEqual([
      "kube-etcd-0",
      "kube-etcd-1",
      "kube-etcd-2",
    ]);
    for (const pod of pods) {
      expect(pod.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    }
  });

  it("names the pod and ImagePullBackOff when the image cannot be pulled", async () => {
    await createDeployment("missing-image", {
      image: "gcr.io/gke-on-prem-release/no-such-image:1.0",
    });
    const error = await rejectionOf(
      scaleWorkload(config, { kind: "Deployment", namespace: "uc1", name: "missing-image" }, 1, {
        timeoutMs: 15_000,
      }),
    );
    expect(error).toBeInstanceOf(ScaleNotSettledError);
    expect((error as ScaleNotSettledError).previousReplicas).toBe(0);
    expect(error.message).toMatch(
      /^gave up waiting for deployment uc1\/missing-image to have 1 Ready pods after 15 s: 0 of 1 Ready: missing-image-[a-z0-9]+-[a-z0-9]+: container missing-image (ErrImagePull|ImagePullBackOff) \(.*gcr\.io\/gke-on-prem-release\/no-such-image:1\.0.*\); it was scaled from 0 to 1 replicas\.$/,
    );
  });

  it("names the pod and CrashLoopBackOff with the exit code when its process keeps failing", async () => {
    await createDeployment("crashing", {
      image: UTILITY_IMAGE(),
      command: ["sh", "-c", "echo starting; exit 3"],
    });
    const error = await rejectionOf(
      scaleWorkload(config, { kind: "Deployment", namespace: "uc1", name: "crashing" }, 1, {
        timeoutMs: 15_000,
      }),
    );
    // Between two back-offs the container is, for a few milliseconds, terminated instead.
    expect(error.message).toMatch(
      /: 0 of 1 Ready: crashing-[a-z0-9]+-[a-z0-9]+: container crashing (CrashLoopBackOff \(.*last exit code 3, restarted \d+ times\)|terminated \(Error 3\))/,
    );
  });

  it("names the pod and Unschedulable with the scheduler's reason when no node fits", async () => {
    await createDeployment(
      "nowhere",
      { image: UTILITY_IMAGE(), command: ["sleep", "infinity"] },
      { nodeSelector: { "kubernetes.io/hostname": "no-such-node" } },
    );
    const error = await rejectionOf(
      scaleWorkload(config, { kind: "Deployment", namespace: "uc1", name: "nowhere" }, 1, {
        timeoutMs: 10_000,
      }),
    );
    expect(error.message).toMatch(
      /: 0 of 1 Ready: nowhere-[a-z0-9]+-[a-z0-9]+: Pending, Unschedulable \(.*node.*\); it was scaled from 0 to 1 replicas\.$/,
    );
  });

  it("refuses a negative replica count before touching the cluster", async () => {
    const error = await rejectionOf(scaleWorkload(config, KUBE_ETCD, -1, { timeoutMs: 1000 }));
    expect(error.message).toBe(
      "replicas: expected a whole number, 0 or more, for statefulset uc1/kube-etcd; got -1",
    );
  });
});

describe("utility pods and streaming into them", () => {
  const payload = randomBytes(4 * 1024 * 1024);
  const payloadSha256 = createHash("sha256").update(payload).digest("hex");
  const target = { namespace: "uc1", pod: "etcd-utility-0", container: "etcd-utility" };

  it("creates the runbook's utility pod on member 0's node and returns once it is Ready", async () => {
    const node = sandbox.layout.userClusters[0]!.members[0]!.node;
    const pod = await createPodAndWait(
      config,
      utilityPod("etcd-utility-0", UTILITY_IMAGE(), node),
      {
        timeoutMs: 120_000,
      },
    );
    expect(pod.spec?.nodeName).toBe(node);
    expect(pod.status?.phase).toBe("Running");
  });

  it("streams a snapshot into the pod, where sha256sum finds the same bytes", async () => {
    await streamFileIntoPod(config, target, "/tmp/snapshot.db", Readable.from([payload]), {
      bytes: payload.length,
      sha256: payloadSha256,
    });
    const { stdout } = await execChecked(config, {
      ...target,
      command: ["sh", "-c", "sha256sum /tmp/snapshot.db; ls /tmp"],
    });
    expect(stdout).toBe(`${payloadSha256}  /tmp/snapshot.db\nsnapshot.db\n`);
  });

  it("says the stream broke off when the pod dies half-way, and deletePodAndWait sees it gone", async () => {
    const source = new Readable({ read() {} });
    for (let i = 0; i < 16; i++) source.push(payload.subarray(i * 65536, (i + 1) * 65536));
    const streaming = rejectionOf(
      streamFileIntoPod(config, target, "/tmp/second.db", source, {
        bytes: payload.length,
        sha256: payloadSha256,
      }),
    );
    await waitFor("the .part file in the pod", async () => {
      const result = await execInPod(config, {
        ...target,
        command: ["test", "-s", "/tmp/second.db.part"],
      });
      return result.exitCode === 0 ? true : undefined;
    });
    await deletePodAndWait(
      config,
      { namespace: "uc1", name: "etcd-utility-0" },
      { timeoutMs: 60_000, gracePeriodSeconds: 0 },
    );
    expect(await podExists("etcd-utility-0")).toBe(false);
    const error = await streaming;
    expect(error.message).toMatch(
      // The runtime kills the command (a status frame says so), or the stream is cut first.
      /^(receiving \/tmp\/second\.db in uc1\/etcd-utility-0 \(container etcd-utility\) was killed \(signal 9\) before it finished: the pod or its container stopped|streaming \/tmp\/second\.db into uc1\/etcd-utility-0 \(container etcd-utility\) broke off \(.+\)); check that the pod is still running\. \/tmp\/second\.db\.part could not be removed \(.+pods \\?"etcd-utility-0\\?" not found\); a rerun removes it first\.$/,
    );
  });

  it("fails naming ImagePullBackOff for an image that cannot be pulled, and deletes the pod", async () => {
    const error = await rejectionOf(
      createPodAndWait(config, utilityPod("etcd-utility-1", MISSING_IMAGE), { timeoutMs: 10_000 }),
    );
    expect(error.message).toMatch(
      /^gave up waiting for pod uc1\/etcd-utility-1 to become Ready after 10 s: container etcd-utility (ErrImagePull|ImagePullBackOff) \(.*\); the pod was deleted\.$/,
    );
    expect(await podExists("etcd-utility-1")).toBe(false);
  });

  it("stops waiting when cancelled, and deletes the pod it created", async () => {
    const controller = new AbortController();
    const creating = rejectionOf(
      createPodAndWait(config, utilityPod("etcd-utility-2", MISSING_IMAGE), {
        timeoutMs: 120_000,
        signal: controller.signal,
      }),
    );
    await waitFor("the pod to exist", async () =>
      (await podExists("etcd-utility-2")) ? true : undefined,
    );
    controller.abort();
    const error = await creating;
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.message).toBe(
      "cancelled while waiting for pod uc1/etcd-utility-2 to become Ready; the pod was deleted.",
    );
    expect(await podExists("etcd-utility-2")).toBe(false);
  });
});

describe("PodDisruptionBudget", () => {
  const ref = { namespace: "uc1", name: "kube-apiserver-pdb" };

  it("is saved without server fields, deleted, and re-created exactly as it was", async () => {
    const before = JSON.parse(
      await execKubectlJson(["get", "pdb", "-n", "uc1", "kube-apiserver-pdb", "-o", "json"]),
    ) as Record<string, Record<string, unknown>>;
    const saved = await savePodDisruptionBudget(config, ref);
    expect(saved).toBeDefined();
    expect(Object.keys(saved!.metadata).sort()).toEqual(
      Object.keys(before.metadata!)
        .filter(
          (key) =>
            ![
              "resourceVersion",
              "uid",
              "creationTimestamp",
              "generation",
              "managedFields",
            ].includes(key),
        )
        .sort(),
    );
    expect(saved).not.toHaveProperty("status");
    expect(saved!.spec).toEqual(before.spec);

    await deletePodDisruptionBudget(config, ref, { timeoutMs: 30_000 });
    expect(await savePodDisruptionBudget(config, ref)).toBeUndefined();

    expect(await recreatePodDisruptionBudget(config, saved!)).toBe("created");
    const after = JSON.parse(
      await execKubectlJson(["get", "pdb", "-n", "uc1", "kube-apiserver-pdb", "-o", "json"]),
    ) as Record<string, Record<string, unknown>>;
    expect(after.spec).toEqual(before.spec);
    expect(after.metadata!.labels).toEqual(before.metadata!.labels);
    expect(after.metadata!.annotations).toEqual(before.metadata!.annotations);
    expect(after.metadata!.uid).not.toBe(before.metadata!.uid);
    // A rerun finds it in place and leaves it.
    expect(await recreatePodDisruptionBudget(config, saved!)).toBe("already present");
  });

  it("refuses to overwrite a PDB of the same name with another spec", async () => {
    const saved = (await savePodDisruptionBudget(config, ref))!;
    expect(saved.spec?.minAvailable).not.toBe(7);
    const other = { ...saved, spec: { ...saved.spec, minAvailable: 7 } };
    const error = await rejectionOf(recreatePodDisruptionBudget(config, other));
    expect(error.message).toMatch(
      /^poddisruptionbudget uc1\/kube-apiserver-pdb already exists with a spec other than the saved one; compare it with the saved \{.*"minAvailable":7.*\} and fix it by hand\.$/,
    );
  });
});

async function execKubectlJson(args: string[]): Promise<string> {
  const { execFile } = await import("node:child_process");
  return new Promise((resolve, reject) =>
    execFile(
      "kubectl",
      ["--kubeconfig", sandbox.kubeconfigPath, ...args],
      (error, stdout, stderr) => (error ? reject(new Error(`${stderr}`)) : resolve(stdout)),
    ),
  );
}
