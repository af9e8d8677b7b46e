/**
 * How a pod goes away, for the API server and the controllers alike. A pod that runs on a
 * node is deleted gracefully, as on a real cluster: it gets a deletionTimestamp, the node's
 * kubelet stops its containers and then removes the object. A pod that never reached a node
 * has nothing to stop and is removed at once.
 */
import type { KubeObject, ObjectStore } from "./store.ts";

export const POD_RESOURCE = "pods";

export function requestPodDeletion(
  store: ObjectStore,
  namespace: string,
  name: string,
  gracePeriodSeconds = 30,
): KubeObject {
  const pod = store.require(POD_RESOURCE, namespace, name);
  const nodeName = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
  if (!nodeName) return store.delete(POD_RESOURCE, namespace, name);
  if (pod.metadata.deletionTimestamp) return pod;
  return store.mutate(POD_RESOURCE, namespace, name, (current) => {
    current.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    current.metadata.deletionGracePeriodSeconds = gracePeriodSeconds;
  });
}
