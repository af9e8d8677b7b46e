/**
 * Orphan deletion and adoption in the sandbox, driven with the real kubectl: `kubectl delete
 * sts --cascade=orphan` leaves the pods running without owner; a StatefulSet re-created with
 * the same spec (another podManagementPolicy, which is immutable) adopts them by its new uid,
 * keeping their revision, so no pod is replaced. A plain delete still takes the pods along.
 * The kubelet's part (placing pods, Ready) is done by the stand-in, as in the controller tests.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { startControllers, type Controllers } from "../sandbox/cluster/controllers/index.ts";
import type { KubeObject, ObjectStore } from "../sandbox/store.ts";
import { namespace, startTestCluster, type TestCluster } from "../apiserver/harness.ts";
import { markPodReady, podNames, settle } from "../cluster/kubelet-stand-in.ts";
import { waitFor } from "../e2e/helpers.ts";

const NS = "orphans";
let cluster: TestCluster;
let controllers: Controllers;

beforeAll(async () => {
  cluster = await startTestCluster((store) => {
    store.create("namespaces", namespace(NS));
  });
  controllers = startControllers(cluster.store, recordingLogger());
}, 60_000);
afterAll(async () => {
  controllers?.stop();
  await cluster?.stop();
});

function statefulSetManifest(name: string, policy: "OrderedReady" | "Parallel") {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: NS, labels: { app: name } },
    spec: {
      replicas: 3,
      serviceName: name,
      podManagementPolicy: policy,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "main", image: "registry.example/main:1" }] },
      },
    },
  };
}

async function kubectlOk(args: string[]): Promise<string> {
  const result = await cluster.kubectl(args);
  expect(result.stderr, args.join(" ")).toBe("");
  expect(result.code, args.join(" ")).toBe(0);
  return result.stdout.trim();
}

async function createFromFile(name: string, policy: "OrderedReady" | "Parallel") {
  const file = join(cluster.dir, `${name}-${policy}.json`);
  await writeFile(file, JSON.stringify(statefulSetManifest(name, policy)));
  return kubectlOk(["create", "-f", file]);
}

function podsOf(store: ObjectStore, name: string): KubeObject[] {
  return store
    .list("pods", NS)
    .items.filter((pod) => pod.metadata.name.startsWith(`${name}-`))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
}

async function threeReadyPods(name: string): Promise<KubeObject[]> {
  await waitFor(
    `${name} has 3 pods`,
    async () => {
      await settle();
      const pods = podsOf(cluster.store, name);
      for (const pod of pods) markPodReady(cluster.store, NS, pod.metadata.name);
      return pods.length === 3 ? true : undefined;
    },
    30_000,
  );
  return podsOf(cluster.store, name);
}

describe("StatefulSet orphan deletion and adoption", () => {
  it("kubectl delete --cascade=orphan leaves the pods; a re-created set adopts them without replacing any", async () => {
    expect(await createFromFile("etcd", "Parallel")).toBe("statefulset.apps/etcd created");
    const before = await threeReadyPods("etcd");
    const oldUid = cluster.store.require("statefulsets.apps", NS, "etcd").metadata.uid;
    expect(before.every((pod) => pod.metadata.ownerReferences?.[0]?.uid === oldUid)).toBe(true);

    expect(await kubectlOk(["delete", "sts", "etcd", "-n", NS, "--cascade=orphan"])).toBe(
      'statefulset.apps "etcd" deleted',
    );
    await settle();
    const orphaned = podsOf(cluster.store, "etcd");
    expect(orphaned.map((pod) => pod.metadata.uid)).toEqual(before.map((pod) => pod.metadata.uid));
    expect(orphaned.every((pod) => pod.metadata.ownerReferences === undefined)).toBe(true);
    expect(orphaned.every((pod) => !pod.metadata.deletionTimestamp)).toBe(true);

    // The same set, OrderedReady this time: the field cannot be changed in place.
    expect(await createFromFile("etcd", "OrderedReady")).toBe("statefulset.apps/etcd created");
    const newUid = cluster.store.require("statefulsets.apps", NS, "etcd").metadata.uid;
    expect(newUid).not.toBe(oldUid);
    await waitFor(
      "the pods adopted by the new set",
      async () => {
        await settle();
        return podsOf(cluster.store, "etcd").every(
          (pod) => pod.metadata.ownerReferences?.[0]?.uid === newUid,
        )
          ? true
          : undefined;
      },
      30_000,
    );
    const adopted = podsOf(cluster.store, "etcd");
    expect(adopted.map((pod) => pod.metadata.uid)).toEqual(before.map((pod) => pod.metadata.uid));
    expect(adopted.map((pod) => pod.metadata.labels?.["controller-revision-hash"])).toEqual(
      before.map((pod) => pod.metadata.labels?.["controller-revision-hash"]),
    );
    expect(adopted[0]?.metadata.ownerReferences).toEqual([
      {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        name: "etcd",
        uid: newUid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(adopted.every((pod) => !pod.metadata.deletionTimestamp)).toBe(true);
    const status = JSON.parse(
      await kubectlOk(["get", "sts", "etcd", "-n", NS, "-o", "jsonpath={.status}"]),
    ) as { readyReplicas: number; replicas: number };
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 3 });
    expect(
      await kubectlOk([
        "get",
        "sts",
        "etcd",
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.podManagementPolicy}",
      ]),
    ).toBe("OrderedReady");
  });

  it("a plain delete still removes the set's pods (background propagation)", async () => {
    await createFromFile("plain", "Parallel");
    await threeReadyPods("plain");
    await kubectlOk(["delete", "sts", "plain", "-n", NS, "--wait=false"]);
    await waitFor(
      "the pods of the deleted set asked to go",
      async () => {
        await settle();
        const pods = podsOf(cluster.store, "plain");
        return pods.every((pod) => pod.metadata.deletionTimestamp) ? true : undefined;
      },
      30_000,
    );
  });

  it("a set re-created without orphaning does not adopt the old set's pods: they are collected", async () => {
    await createFromFile("again", "Parallel");
    const before = await threeReadyPods("again");
    // Deleted straight from the store and re-created at once, before the controller ran.
    cluster.store.delete("statefulsets.apps", NS, "again");
    await createFromFile("again", "Parallel");
    await waitFor(
      "the old set's pods asked to go",
      async () => {
        await settle();
        const old = podsOf(cluster.store, "again").filter((pod) =>
          before.some((previous) => previous.metadata.uid === pod.metadata.uid),
        );
        return old.every((pod) => pod.metadata.deletionTimestamp) ? true : undefined;
      },
      30_000,
    );
  });

  it("refuses an unknown propagationPolicy, naming it", async () => {
    await createFromFile("refused", "Parallel");
    const result = await cluster.kubectl([
      "delete",
      "--raw",
      `/apis/apps/v1/namespaces/${NS}/statefulsets/refused?propagationPolicy=Sideways`,
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'propagationPolicy "Sideways" is not one of Orphan, Background, Foreground',
    );
    expect(podNames(cluster.store, NS).some((name) => name.startsWith("refused-"))).toBe(true);
  });
});
