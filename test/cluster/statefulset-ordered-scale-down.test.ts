/**
 * OrderedReady scale-down as kube-controller-manager does it (monotonic): an unhealthy pod
 * is removed only when it is the lowest-numbered unhealthy one. An etcd set whose members
 * lost quorum (none Ready) therefore cannot be scaled to 0 under OrderedReady: the restore
 * must not rely on it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { startControllers, type Controllers } from "../sandbox/cluster/controllers/index.ts";
import { ObjectStore, type KubeObject } from "../sandbox/store.ts";
import {
  finishTermination,
  markPodReady,
  podNames,
  settle,
  terminatingPodNames,
} from "./kubelet-stand-in.ts";

const NS = "uc1";

function statefulSet(policy: "OrderedReady" | "Parallel"): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: "kube-etcd", namespace: NS },
    spec: {
      replicas: 3,
      podManagementPolicy: policy,
      selector: { matchLabels: { component: "kube-etcd" } },
      template: {
        metadata: { labels: { component: "kube-etcd" } },
        spec: { containers: [{ name: "kube-etcd", image: "etcd" }] },
      },
    },
  };
}

function markNotReady(store: ObjectStore, name: string): void {
  store.mutate("pods", NS, name, (pod) => {
    (pod.spec as { nodeName?: string }).nodeName ??= "node-a"; // placed: deletion is graceful
    pod.status = { phase: "Running", conditions: [{ type: "Ready", status: "False" }] };
  });
}

function scaleToZero(store: ObjectStore): void {
  store.mutate("statefulsets.apps", NS, "kube-etcd", (set) => {
    (set.spec as { replicas: number }).replicas = 0;
  });
}

async function threeMembers(store: ObjectStore): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await settle();
    markPodReady(store, NS, `kube-etcd-${i}`);
  }
  await settle();
  expect(podNames(store, NS)).toHaveLength(3);
}

describe("OrderedReady scale-down with unhealthy members", () => {
  let store: ObjectStore;
  let controllers: Controllers;
  beforeEach(() => {
    store = new ObjectStore();
    controllers = startControllers(store, recordingLogger());
  });
  afterEach(() => controllers.stop());

  it("stalls when no member is Ready: the highest is not the first unhealthy pod", async () => {
    store.create("statefulsets.apps", statefulSet("OrderedReady"));
    await threeMembers(store);
    for (const name of podNames(store, NS)) markNotReady(store, name);
    scaleToZero(store);
    for (let round = 0; round < 3; round++) await settle();
    expect(terminatingPodNames(store, NS)).toEqual([]);
    expect(podNames(store, NS)).toHaveLength(3);
  });

  it("removes the lowest unhealthy member once it is the highest left", async () => {
    store.create("statefulsets.apps", statefulSet("OrderedReady"));
    await threeMembers(store);
    markNotReady(store, "kube-etcd-2");
    scaleToZero(store);
    await settle();
    expect(terminatingPodNames(store, NS)).toEqual(["kube-etcd-2"]);
    finishTermination(store, NS);
    await settle();
    expect(terminatingPodNames(store, NS)).toEqual(["kube-etcd-1"]);
  });

  it("stops every member of a Parallel set, Ready or not", async () => {
    store.create("statefulsets.apps", statefulSet("Parallel"));
    await settle();
    for (const name of podNames(store, NS)) markNotReady(store, name);
    scaleToZero(store);
    await settle();
    expect(terminatingPodNames(store, NS)).toEqual(["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"]);
  });
});
