/**
 * The sandbox API server driven by @kubernetes/client-node 2.x, the client the product uses.
 */
import type { Readable } from "node:stream";
import { PassThrough, Writable } from "node:stream";
import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  Exec,
  KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  Watch,
  setHeaderOptions,
  type V1Pod,
  type V1PodDisruptionBudget,
  type V1Status,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pod, startTestCluster, type TestCluster } from "./harness.ts";

let cluster: TestCluster;
let config: KubeConfig;
let core: CoreV1Api;
let apps: AppsV1Api;
let policy: PolicyV1Api;

beforeAll(async () => {
  cluster = await startTestCluster();
  config = new KubeConfig();
  config.loadFromFile(cluster.kubeconfigPath);
  core = config.makeApiClient(CoreV1Api);
  apps = config.makeApiClient(AppsV1Api);
  policy = config.makeApiClient(PolicyV1Api);
});
afterAll(async () => {
  await cluster?.stop();
});

/** The Status body of a failed call, parsed, with the HTTP code. */
async function failure(call: Promise<unknown>): Promise<{ code: number; status: V1Status }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body = typeof error.body === "string" ? JSON.parse(error.body) : error.body;
    return { code: error.code, status: body as V1Status };
  }
  throw new Error("the call succeeded, but a failure was expected");
}

describe("client-node CoreV1Api", () => {
  it("lists pods by label in a namespace and across namespaces", async () => {
    const members = await core.listNamespacedPod({ namespace: "uc1", labelSelector: "app=etcd" });
    expect(members.items.map((item) => [item.metadata?.name, item.spec?.nodeName])).toEqual([
      ["kube-etcd-0", "admin-node-0"],
      ["kube-etcd-1", "admin-node-1"],
      ["kube-etcd-2", "admin-node-2"],
    ]);
    const adminEtcd = await core.listPodForAllNamespaces({
      labelSelector: "component=etcd,tier=control-plane",
    });
    expect(
      adminEtcd.items.map((item) => `${item.metadata?.namespace}/${item.metadata?.name}`),
    ).toEqual(["kube-system/etcd-admin-master"]);
  });

  it("finds the control-plane node's external IP", async () => {
    const nodes = await core.listNode({ labelSelector: "node-role.kubernetes.io/control-plane" });
    expect(nodes.items).toHaveLength(1);
    expect(
      nodes.items[0]?.status?.addresses?.find((address) => address.type === "ExternalIP")?.address,
    ).toBe("203.0.113.10");
  });

  it("creates a pod, refuses a second one of the same name with AlreadyExists", async () => {
    const body: V1Pod = {
      metadata: { name: "etcd-utility-1", namespace: "uc1" },
      spec: {
        containers: [
          {
            name: "etcd-utility",
            image: "gcr.io/gke-on-prem-release/etcd-util:1.32",
            command: ["sleep", "3600"],
          },
        ],
      },
    };
    const created = await core.createNamespacedPod({ namespace: "uc1", body });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.status?.phase).toBe("Pending");
    const again = await failure(core.createNamespacedPod({ namespace: "uc1", body }));
    expect(again.code).toBe(409);
    expect(again.status).toMatchObject({
      reason: "AlreadyExists",
      message: 'pods "etcd-utility-1" already exists',
      details: { name: "etcd-utility-1", kind: "pods" },
    });
  });

  it("names a pod from generateName and refuses a body whose namespace contradicts the path", async () => {
    const body: V1Pod = {
      metadata: { generateName: "etcd-backup-" },
      spec: {
        containers: [{ name: "backup", image: "gcr.io/gke-on-prem-release/etcd-util:1.32" }],
      },
    };
    const created = await core.createNamespacedPod({ namespace: "uc1", body });
    expect(created.metadata?.name).toMatch(/^etcd-backup-[a-z0-9]{5}$/);
    expect(created.metadata?.namespace).toBe("uc1");

    const elsewhere = await failure(
      core.createNamespacedPod({
        namespace: "uc1",
        body: { ...body, metadata: { name: "misplaced", namespace: "kube-system" } },
      }),
    );
    expect(elsewhere.code).toBe(400);
    expect(elsewhere.status).toMatchObject({
      reason: "BadRequest",
      message:
        "the namespace of the provided object (kube-system) does not match the namespace sent on the request (uc1)",
    });
  });

  it("patches a pod with a JSON patch (the default) and a merge patch", async () => {
    const jsonPatched = await core.patchNamespacedPod({
      name: "kube-etcd-0",
      namespace: "uc1",
      body: [
        { op: "add", path: "/metadata/annotations", value: { "backup.example.com/last": "today" } },
      ],
    });
    expect(jsonPatched.metadata?.annotations).toEqual({ "backup.example.com/last": "today" });
    const mergePatched = await core.patchNamespacedPod(
      {
        name: "kube-etcd-0",
        namespace: "uc1",
        body: { metadata: { labels: { "backup.example.com/selected": "true" } } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(mergePatched.metadata?.labels).toMatchObject({
      app: "etcd",
      "backup.example.com/selected": "true",
    });
    expect(cluster.store.require("pods", "uc1", "kube-etcd-0").metadata.annotations).toEqual({
      "backup.example.com/last": "today",
    });
  });

  it("stores nothing for a patch that changes nothing: same resourceVersion, no watch event", async () => {
    const before = await core.readNamespacedPod({ name: "kube-etcd-2", namespace: "uc1" });
    const revisionBefore = cluster.store.currentResourceVersion();
    const patched = await core.patchNamespacedPod(
      {
        name: "kube-etcd-2",
        namespace: "uc1",
        body: { metadata: { labels: before.metadata?.labels } },
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(patched.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
    expect(cluster.store.currentResourceVersion()).toBe(revisionBefore);
  });

  it("answers a missing pod with a NotFound Status and a stale update with Conflict", async () => {
    const missing = await failure(
      core.readNamespacedPod({ name: "kube-etcd-7", namespace: "uc1" }),
    );
    expect(missing.code).toBe(404);
    expect(missing.status).toMatchObject({
      reason: "NotFound",
      details: { name: "kube-etcd-7", kind: "pods" },
    });

    const secret = await core.readNamespacedSecret({ name: "kube-etcd-certs", namespace: "uc1" });
    await core.replaceNamespacedSecret({
      name: "kube-etcd-certs",
      namespace: "uc1",
      body: { ...secret, data: { ...secret.data, extra: "eA==" } },
    });
    const stale = await failure(
      core.replaceNamespacedSecret({ name: "kube-etcd-certs", namespace: "uc1", body: secret }),
    );
    expect(stale.code).toBe(409);
    expect(stale.status.reason).toBe("Conflict");
  });

  it("deletes a running pod gracefully: it stays, marked, until its kubelet removes it", async () => {
    const deleted = await core.deleteNamespacedPod({ name: "kube-etcd-1", namespace: "uc1" });
    expect(deleted.metadata?.deletionTimestamp).toBeTruthy();
    const stillThere = await core.readNamespacedPod({ name: "kube-etcd-1", namespace: "uc1" });
    expect(stillThere.metadata?.deletionTimestamp).toBeTruthy();
    expect(stillThere.metadata?.deletionGracePeriodSeconds).toBe(30);
    cluster.store.delete("pods", "uc1", "kube-etcd-1");
    cluster.store.create(
      "pods",
      pod({
        namespace: "uc1",
        name: "kube-etcd-1",
        node: "admin-node-1",
        ip: "10.244.0.11",
        labels: { app: "etcd" },
        containers: ["kube-etcd"],
      }),
    );
  });
});

describe("client-node AppsV1Api and PolicyV1Api", () => {
  it("scales a statefulset through the scale subresource", async () => {
    const scale = await apps.readNamespacedStatefulSetScale({
      name: "kube-apiserver",
      namespace: "uc1",
    });
    expect(scale).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      spec: { replicas: 3 },
      status: { replicas: 3, selector: "app=kube-apiserver" },
    });
    const scaled = await apps.patchNamespacedStatefulSetScale(
      { name: "kube-apiserver", namespace: "uc1", body: { spec: { replicas: 0 } } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    expect(scaled.spec?.replicas).toBe(0);
    const set = await apps.readNamespacedStatefulSet({ name: "kube-apiserver", namespace: "uc1" });
    expect(set.spec?.replicas).toBe(0);
  });

  it("restarts a statefulset's pods with a strategic merge patch of the template annotation", async () => {
    const restartedAt = new Date().toISOString();
    const patched = await apps.patchNamespacedStatefulSet(
      {
        name: "kube-etcd",
        namespace: "uc1",
        body: {
          spec: {
            template: {
              metadata: { annotations: { "kubectl.kubernetes.io/restartedAt": restartedAt } },
            },
          },
        },
      },
      setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
    );
    expect(
      patched.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/restartedAt"],
    ).toBe(restartedAt);
    expect(patched.spec?.template.spec?.containers.map((c) => c.name)).toEqual(["kube-etcd"]);
  });

  it("saves, deletes and recreates the kube-apiserver PDB", async () => {
    const saved = await policy.readNamespacedPodDisruptionBudget({
      name: "kube-apiserver-pdb",
      namespace: "uc1",
    });
    const status = await policy.deleteNamespacedPodDisruptionBudget({
      name: "kube-apiserver-pdb",
      namespace: "uc1",
    });
    expect(status.status).toBe("Success");
    const gone = await failure(
      policy.readNamespacedPodDisruptionBudget({ name: "kube-apiserver-pdb", namespace: "uc1" }),
    );
    expect(gone.status).toMatchObject({
      reason: "NotFound",
      message: 'poddisruptionbudgets.policy "kube-apiserver-pdb" not found',
      details: { group: "policy", kind: "poddisruptionbudgets" },
    });

    const body: V1PodDisruptionBudget = {
      metadata: { name: saved.metadata?.name, namespace: "uc1", labels: saved.metadata?.labels },
      spec: saved.spec,
    };
    const recreated = await policy.createNamespacedPodDisruptionBudget({ namespace: "uc1", body });
    expect(recreated.spec).toEqual(saved.spec);
    expect(recreated.metadata?.uid).not.toBe(saved.metadata?.uid);
  });
});

function collector(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

function execIn(
  command: string[],
  stdin: Readable | null,
): Promise<{ stdout: string; stderr: string; status: V1Status }> {
  const stdout = collector();
  const stderr = collector();
  return new Promise((resolve, reject) => {
    new Exec(config)
      .exec(
        "uc1",
        "kube-etcd-2",
        "kube-etcd",
        command,
        stdout.stream,
        stderr.stream,
        stdin,
        false,
        (status) =>
          // client-node ends the streams when the status arrives; let their last writes land.
          setImmediate(() => resolve({ stdout: stdout.text(), stderr: stderr.text(), status })),
      )
      .catch(reject);
  });
}

describe("client-node Exec", () => {
  it("streams stdin in and stdout and stderr out, and reports success", async () => {
    const stdin = new PassThrough();
    stdin.end("snapshot bytes\n");
    const result = await execIn(["sh", "-c", "cat; echo done >&2"], stdin);
    expect(result).toEqual({
      stdout: "snapshot bytes\n",
      stderr: "done\n",
      status: { metadata: {}, status: "Success" },
    });
  });

  it("reports a non-zero exit code in the status details", async () => {
    const result = await execIn(["sh", "-c", "echo no space left >&2; exit 5"], null);
    expect(result.stderr).toBe("no space left\n");
    expect(result.status.status).toBe("Failure");
    expect(result.status.reason).toBe("NonZeroExitCode");
    expect(
      result.status.details?.causes?.find((cause) => cause.reason === "ExitCode")?.message,
    ).toBe("5");
  });
});

describe("client-node Watch", () => {
  it("sees a pod added, modified and deleted, filtered by field selector", async () => {
    const events: string[] = [];
    const watch = new Watch(config);
    const done = new Promise<unknown>((resolve) => {
      void watch
        .watch(
          "/api/v1/namespaces/uc1/pods",
          {
            fieldSelector: "metadata.name=watched",
            resourceVersion: cluster.store.currentResourceVersion(),
          },
          (phase, object: V1Pod) =>
            events.push(
              `${phase} ${object.metadata?.name} ${object.metadata?.labels?.step ?? ""}`.trim(),
            ),
          resolve,
        )
        .then((controller) => {
          cluster.store.create(
            "pods",
            pod({ namespace: "uc1", name: "unwatched", node: "admin-node-0" }),
          );
          cluster.store.create(
            "pods",
            pod({ namespace: "uc1", name: "watched", node: "admin-node-0" }),
          );
          cluster.store.mutate("pods", "uc1", "watched", (object) => {
            object.metadata.labels = { step: "two" };
          });
          cluster.store.delete("pods", "uc1", "watched");
          setTimeout(() => controller.abort(), 300);
        });
    });
    await done;
    expect(events).toEqual(["ADDED watched", "MODIFIED watched two", "DELETED watched two"]);
  });

  it("answers a watch from a compacted resourceVersion with an ERROR event carrying 410 Expired", async () => {
    for (let i = 0; i < 1100; i++) {
      cluster.store.create("configmaps", {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `churn-${i}`, namespace: "uc1" },
      });
      cluster.store.delete("configmaps", "uc1", `churn-${i}`);
    }
    const events: Array<{ phase: string; object: V1Status }> = [];
    await new Promise<unknown>((resolve) => {
      void new Watch(config).watch(
        "/api/v1/namespaces/uc1/pods",
        { resourceVersion: "2" },
        (phase, object: V1Status) => events.push({ phase, object }),
        resolve,
      );
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.phase).toBe("ERROR");
    expect(events[0]?.object).toMatchObject({
      kind: "Status",
      status: "Failure",
      reason: "Expired",
      code: 410,
    });
  });
});
