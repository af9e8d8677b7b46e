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
const NAME = "gke-master-etcd-maintenance";

function deployment(replicas: number): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: NAME, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: NAME } },
      template: {
        metadata: { labels: { app: NAME } },
        spec: {
          containers: [{ name: "maintenance", image: "gcr.io/gke-on-prem-release/etcd-util:x" }],
        },
      },
    },
  };
}

function status(store: ObjectStore): Record<string, unknown> {
  return store.require("deployments.apps", NS, NAME).status as Record<string, unknown>;
}

function setReplicas(store: ObjectStore, replicas: number): void {
  store.mutate("deployments.apps", NS, NAME, (d) => {
    (d.spec as { replicas: number }).replicas = replicas;
  });
}

describe("Deployment controller", () => {
  let store: ObjectStore;
  let controllers: Controllers;

  beforeEach(() => {
    store = new ObjectStore();
    controllers = startControllers(store, recordingLogger());
  });
  afterEach(() => controllers.stop());

  it("keeps its replicas as pods named <deployment>-<template hash>-<5 chars>", async () => {
    store.create("deployments.apps", deployment(2));
    await settle();
    const names = podNames(store, NS);
    expect(names).toHaveLength(2);
    for (const name of names) {
      expect(name).toMatch(new RegExp(`^${NAME}-[a-z0-9]{10}-[a-z0-9]{5}$`));
      const pod = store.require("pods", NS, name);
      expect(pod.metadata.labels).toMatchObject({
        app: NAME,
        "pod-template-hash": name.split("-").at(-2),
      });
      expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
        kind: "ReplicaSet",
        name: name.slice(0, name.lastIndexOf("-")),
      });
    }
  });

  it("replaces a deleted pod and scales down and up", async () => {
    store.create("deployments.apps", deployment(1));
    await settle();
    const [first] = podNames(store, NS);
    store.delete("pods", NS, first as string);
    await settle();
    const after = podNames(store, NS);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(first);

    markPodReady(store, NS, after[0] as string);
    await settle();
    expect(status(store)).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
    });

    setReplicas(store, 0);
    await settle();
    expect(terminatingPodNames(store, NS)).toEqual(after);
    finishTermination(store, NS);
    await settle();
    expect(podNames(store, NS)).toEqual([]);
    expect(status(store)).toMatchObject({ replicas: 0, readyReplicas: 0 });

    setReplicas(store, 1);
    await settle();
    expect(podNames(store, NS)).toHaveLength(1);
  });

  it("rolls out a template change by starting the new pod before stopping the old one", async () => {
    store.create("deployments.apps", deployment(1));
    await settle();
    const [oldPod] = podNames(store, NS) as [string];
    markPodReady(store, NS, oldPod);
    await settle();

    store.mutate("deployments.apps", NS, NAME, (d) => {
      const template = (
        d.spec as { template: { metadata: { annotations?: Record<string, string> } } }
      ).template;
      template.metadata.annotations = { "kubectl.kubernetes.io/restartedAt": "now" };
    });
    await settle();
    const during = podNames(store, NS);
    expect(during).toHaveLength(2);
    expect(terminatingPodNames(store, NS)).toEqual([]);
    const newPod = during.find((name) => name !== oldPod) as string;
    expect(status(store)).toMatchObject({ updatedReplicas: 1, replicas: 2 });

    markPodReady(store, NS, newPod);
    await settle();
    expect(terminatingPodNames(store, NS)).toEqual([oldPod]);
    finishTermination(store, NS);
    await settle();
    expect(podNames(store, NS)).toEqual([newPod]);
    const finalStatus = status(store);
    expect(finalStatus).toMatchObject({
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      observedGeneration: store.require("deployments.apps", NS, NAME).metadata.generation,
    });
    expect(finalStatus.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: "Available", status: "True" }),
        expect.objectContaining({ type: "Progressing", reason: "NewReplicaSetAvailable" }),
      ]),
    );
  });
});
