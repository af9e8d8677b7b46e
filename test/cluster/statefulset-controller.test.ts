import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { startControllers, type Controllers } from "../sandbox/cluster/controllers/index.ts";
import { ObjectStore, type KubeObject } from "../sandbox/store.ts";
import {
  bindPod,
  finishTermination,
  markPodReady,
  pod,
  podNames,
  settle,
  terminatingPodNames,
} from "./kubelet-stand-in.ts";

const NS = "uc1";

function statefulSet(
  replicas: number,
  podManagementPolicy: "OrderedReady" | "Parallel",
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "kube-etcd", namespace: NS },
    spec: {
      replicas,
      serviceName: "kube-etcd",
      podManagementPolicy,
      selector: { matchLabels: { component: "kube-etcd" } },
      template: {
        metadata: { labels: { component: "kube-etcd" } },
        spec: {
          containers: [
            { name: "kube-etcd", image: "gcr.io/gke-on-prem-release/etcd:v3.4.13-0-gke.0" },
          ],
          volumes: [{ name: "etcd-certs", secret: { secretName: "kube-etcd-certs" } }],
        },
      },
      volumeClaimTemplates: [
        { metadata: { name: "data" }, spec: { resources: { requests: { storage: "1Gi" } } } },
      ],
    },
  };
}

function setStatus(store: ObjectStore): Record<string, unknown> {
  return store.require("statefulsets.apps", NS, "kube-etcd").status as Record<string, unknown>;
}

function readyAll(store: ObjectStore): void {
  for (const name of podNames(store, NS)) markPodReady(store, NS, name);
}

function rolloutRestart(store: ObjectStore): void {
  store.mutate("statefulsets.apps", NS, "kube-etcd", (set) => {
    const template = (
      set.spec as { template: { metadata: { annotations?: Record<string, string> } } }
    ).template;
    template.metadata.annotations = {
      ...template.metadata.annotations,
      "kubectl.kubernetes.io/restartedAt": new Date().toISOString(),
    };
  });
}

function scale(store: ObjectStore, replicas: number): void {
  store.mutate("statefulsets.apps", NS, "kube-etcd", (set) => {
    (set.spec as { replicas: number }).replicas = replicas;
  });
}

describe("StatefulSet controller", () => {
  let store: ObjectStore;
  let controllers: Controllers;

  beforeEach(() => {
    store = new ObjectStore();
    controllers = startControllers(store, recordingLogger());
  });
  afterEach(() => controllers.stop());

  it("creates every member of a Parallel set at once, each with its identity and its own PVC", async () => {
    store.create("statefulsets.apps", statefulSet(3, "Parallel"));
    await settle();

    expect(podNames(store, NS)).toEqual(["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"]);
    const member = pod(store, NS, "kube-etcd-1");
    const set = store.require("statefulsets.apps", NS, "kube-etcd");
    expect(member.metadata.labels).toMatchObject({
      component: "kube-etcd",
      "statefulset.kubernetes.io/pod-name": "kube-etcd-1",
      "controller-revision-hash": expect.stringMatching(/^kube-etcd-[a-z0-9]+$/),
    });
    expect(member.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: "StatefulSet",
        name: "kube-etcd",
        uid: set.metadata.uid,
        controller: true,
      }),
    ]);
    expect(member.spec).toMatchObject({ hostname: "kube-etcd-1", subdomain: "kube-etcd" });
    expect((member.spec as { volumes: unknown[] }).volumes).toEqual(
      expect.arrayContaining([
        { name: "data", persistentVolumeClaim: { claimName: "data-kube-etcd-1" } },
        { name: "etcd-certs", secret: { secretName: "kube-etcd-certs" } },
      ]),
    );
    expect(store.list("persistentvolumeclaims", NS).items.map((c) => c.metadata.name)).toEqual([
      "data-kube-etcd-0",
      "data-kube-etcd-1",
      "data-kube-etcd-2",
    ]);
  });

  it("creates OrderedReady members one by one, each after the previous is Ready", async () => {
    store.create("statefulsets.apps", statefulSet(3, "OrderedReady"));
    await settle();
    expect(podNames(store, NS)).toEqual(["kube-etcd-0"]);

    markPodReady(store, NS, "kube-etcd-0");
    await settle();
    expect(podNames(store, NS)).toEqual(["kube-etcd-0", "kube-etcd-1"]);

    markPodReady(store, NS, "kube-etcd-1");
    await settle();
    expect(podNames(store, NS)).toEqual(["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"]);
  });

  it("recreates a deleted member under the same name only after the old pod is gone, keeping its PVC", async () => {
    store.create("statefulsets.apps", statefulSet(3, "Parallel"));
    await settle();
    readyAll(store);
    await settle();
    const claimBefore = store.require("persistentvolumeclaims", NS, "data-kube-etcd-0");
    const podBefore = pod(store, NS, "kube-etcd-0");

    store.mutate("pods", NS, "kube-etcd-0", (p) => {
      p.metadata.deletionTimestamp = new Date().toISOString();
    });
    await settle();
    expect(pod(store, NS, "kube-etcd-0").metadata.uid).toBe(podBefore.metadata.uid);

    finishTermination(store, NS);
    await settle();
    const recreated = pod(store, NS, "kube-etcd-0");
    expect(recreated.metadata.uid).not.toBe(podBefore.metadata.uid);
    expect(recreated.metadata.deletionTimestamp).toBeUndefined();
    expect(store.require("persistentvolumeclaims", NS, "data-kube-etcd-0").metadata.uid).toBe(
      claimBefore.metadata.uid,
    );
  });

  it("scales an OrderedReady set to 0 from the highest ordinal down, one pod at a time, and back", async () => {
    store.create("statefulsets.apps", statefulSet(3, "OrderedReady"));
    for (let i = 0; i < 3; i++) {
      await settle();
      markPodReady(store, NS, `kube-etcd-${i}`);
    }
    await settle();

    scale(store, 0);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      await settle();
      expect(terminatingPodNames(store, NS)).toHaveLength(1);
      order.push(...finishTermination(store, NS));
    }
    await settle();
    expect(order).toEqual(["kube-etcd-2", "kube-etcd-1", "kube-etcd-0"]);
    expect(podNames(store, NS)).toEqual([]);
    expect(store.list("persistentvolumeclaims", NS).items).toHaveLength(3);
    expect(setStatus(store)).toMatchObject({ replicas: 0, readyReplicas: 0 });

    scale(store, 3);
    await settle();
    expect(podNames(store, NS)).toEqual(["kube-etcd-0"]);
  });

  it("scales a Parallel set to 0 by asking for the deletion of every pod, which the kubelet completes", async () => {
    store.create("statefulsets.apps", statefulSet(3, "Parallel"));
    await settle();
    for (const name of podNames(store, NS)) bindPod(store, NS, name);
    readyAll(store);
    await settle();

    scale(store, 0);
    await settle();
    expect(terminatingPodNames(store, NS)).toEqual(["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"]);
    finishTermination(store, NS);
    await settle();
    expect(podNames(store, NS)).toEqual([]);

    scale(store, 3);
    await settle();
    expect(podNames(store, NS)).toEqual(["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"]);
  });

  it("rolls out a restart one pod at a time, highest ordinal first, waiting for each new pod to be Ready", async () => {
    store.create("statefulsets.apps", statefulSet(3, "Parallel"));
    await settle();
    readyAll(store);
    await settle();
    const oldRevision = setStatus(store).updateRevision;
    expect(setStatus(store)).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: oldRevision,
    });

    rolloutRestart(store);
    const replaced: string[] = [];
    for (let step = 0; step < 3; step++) {
      await settle();
      const terminating = terminatingPodNames(store, NS);
      expect(terminating).toHaveLength(1);
      replaced.push(...finishTermination(store, NS));
      await settle();
      // The replacement exists but is not Ready: nothing else may be touched yet.
      expect(terminatingPodNames(store, NS)).toEqual([]);
      await settle();
      expect(terminatingPodNames(store, NS)).toEqual([]);
      markPodReady(store, NS, replaced.at(-1) as string);
    }
    await settle();

    expect(replaced).toEqual(["kube-etcd-2", "kube-etcd-1", "kube-etcd-0"]);
    const status = setStatus(store);
    expect(status.updateRevision).not.toBe(oldRevision);
    expect(status).toMatchObject({
      replicas: 3,
      readyReplicas: 3,
      updatedReplicas: 3,
      currentReplicas: 3,
      currentRevision: status.updateRevision,
      observedGeneration: store.require("statefulsets.apps", NS, "kube-etcd").metadata.generation,
    });
    for (const name of podNames(store, NS)) {
      expect(pod(store, NS, name).metadata.labels?.["controller-revision-hash"]).toBe(
        status.updateRevision,
      );
      expect(pod(store, NS, name).metadata.annotations).toHaveProperty(
        "kubectl.kubernetes.io/restartedAt",
      );
    }
  });

  it("reports the rollout as unfinished while old-revision pods remain", async () => {
    store.create("statefulsets.apps", statefulSet(2, "Parallel"));
    await settle();
    readyAll(store);
    await settle();
    const oldRevision = setStatus(store).currentRevision;

    rolloutRestart(store);
    await settle();
    const status = setStatus(store);
    expect(status.currentRevision).toBe(oldRevision);
    expect(status.updateRevision).not.toBe(oldRevision);
    expect(status.updatedReplicas).toBe(0);
  });

  it("deletes the pods of a deleted StatefulSet but keeps their PVCs", async () => {
    store.create("statefulsets.apps", statefulSet(2, "Parallel"));
    await settle();
    store.delete("statefulsets.apps", NS, "kube-etcd");
    await settle();
    expect(podNames(store, NS)).toEqual([]);
    expect(store.list("persistentvolumeclaims", NS).items).toHaveLength(2);
  });
});
