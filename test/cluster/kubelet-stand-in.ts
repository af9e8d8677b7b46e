/**
 * For the controller tests, which run against the ObjectStore alone: the two things a
 * kubelet does that controllers react to, done by hand so each test decides when a pod is
 * placed, becomes Ready or finishes terminating. The e2e tests use the real runtime.
 */
import type { KubeObject, ObjectStore } from "../sandbox/store.ts";

export function bindPod(store: ObjectStore, namespace: string, name: string, node = "node-a") {
  store.mutate("pods", namespace, name, (pod) => {
    (pod.spec as { nodeName?: string }).nodeName = node;
  });
}

export function markPodReady(store: ObjectStore, namespace: string, name: string): void {
  store.mutate("pods", namespace, name, (pod) => {
    const spec = pod.spec as { nodeName?: string };
    spec.nodeName ??= "node-a";
    pod.status = {
      phase: "Running",
      conditions: [
        { type: "PodScheduled", status: "True" },
        { type: "Initialized", status: "True" },
        { type: "ContainersReady", status: "True" },
        { type: "Ready", status: "True" },
      ],
    };
  });
}

/** What the kubelet does once a terminating pod's processes are gone. */
export function finishTermination(store: ObjectStore, namespace: string): string[] {
  const finished: string[] = [];
  for (const pod of store.list("pods", namespace).items) {
    if (pod.metadata.deletionTimestamp) {
      store.delete("pods", namespace, pod.metadata.name);
      finished.push(pod.metadata.name);
    }
  }
  return finished;
}

export function podNames(store: ObjectStore, namespace: string): string[] {
  return store.list("pods", namespace).items.map((pod) => pod.metadata.name);
}

export function terminatingPodNames(store: ObjectStore, namespace: string): string[] {
  return store
    .list("pods", namespace)
    .items.filter((pod) => pod.metadata.deletionTimestamp)
    .map((pod) => pod.metadata.name);
}

/** Lets the controllers' queues drain: they run on setImmediate after each event. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function pod(store: ObjectStore, namespace: string, name: string): KubeObject {
  return store.require("pods", namespace, name);
}
