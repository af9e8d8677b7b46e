import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { startControllers, type Controllers } from "../sandbox/cluster/controllers/index.ts";
import { ObjectStore } from "../sandbox/store.ts";
import { markPodReady, settle } from "./kubelet-stand-in.ts";

const NS = "uc1";

function apiserverPod(store: ObjectStore, name: string): void {
  store.create("pods", {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS, labels: { component: "kube-apiserver" } },
    spec: { containers: [] },
  });
}

describe("PodDisruptionBudget status", () => {
  let store: ObjectStore;
  let controllers: Controllers;

  beforeEach(() => {
    store = new ObjectStore();
    controllers = startControllers(store, recordingLogger());
  });
  afterEach(() => controllers.stop());

  it("counts the Ready pods its selector matches and how many may be disrupted", async () => {
    for (const name of ["kube-apiserver-0", "kube-apiserver-1", "kube-apiserver-2"]) {
      apiserverPod(store, name);
    }
    apiserverPod(store, "unrelated");
    store.mutate("pods", NS, "unrelated", (pod) => {
      pod.metadata.labels = { component: "other" };
    });
    store.create("poddisruptionbudgets.policy", {
      apiVersion: "policy/v1",
      kind: "PodDisruptionBudget",
      metadata: { name: "kube-apiserver-pdb", namespace: NS },
      spec: { minAvailable: 1, selector: { matchLabels: { component: "kube-apiserver" } } },
    });
    await settle();
    const read = () =>
      store.require("poddisruptionbudgets.policy", NS, "kube-apiserver-pdb").status;
    expect(read()).toMatchObject({
      expectedPods: 3,
      currentHealthy: 0,
      desiredHealthy: 1,
      disruptionsAllowed: 0,
    });

    markPodReady(store, NS, "kube-apiserver-0");
    markPodReady(store, NS, "kube-apiserver-1");
    await settle();
    expect(read()).toMatchObject({
      expectedPods: 3,
      currentHealthy: 2,
      desiredHealthy: 1,
      disruptionsAllowed: 1,
    });
    expect((read() as { conditions: unknown[] }).conditions).toEqual([
      expect.objectContaining({
        type: "DisruptionAllowed",
        status: "True",
        reason: "SufficientPods",
      }),
    ]);
  });
});
