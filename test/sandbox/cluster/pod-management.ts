/**
 * Gives a running kube-etcd another podManagementPolicy, the way it is done on a real
 * cluster (the field is immutable): the set is deleted with `propagationPolicy: Orphan`
 * (its pods keep running, without owner), and re-created with the same spec but the new
 * policy; the StatefulSet controller adopts the running pods, whose revision is unchanged,
 * so nothing restarts.
 *
 * Why the sandbox needs it: an etcd cluster whose members' readiness probe needs quorum
 * never forms under OrderedReady (pod-0 is not Ready alone, so pod-1 is never created). The
 * sandbox therefore creates such a set Parallel and switches it once the members are
 * healthy, which leaves an OrderedReady set of running members as a cluster switched to it
 * later would have.
 */
import { RESOURCES } from "../apiserver/registry.ts";
import { orphanDependents } from "../orphan-dependents.ts";
import type { KubeObject, ObjectStore } from "../store.ts";
import { STATEFULSET_RESOURCE } from "./controllers/statefulset.ts";

const SERVER_SET_METADATA = [
  "uid",
  "resourceVersion",
  "creationTimestamp",
  "generation",
  "managedFields",
  "selfLink",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
];

export function switchPodManagementPolicy(
  store: ObjectStore,
  namespace: string,
  name: string,
  policy: "OrderedReady" | "Parallel",
): KubeObject {
  const current = store.require(STATEFULSET_RESOURCE, namespace, name);
  const copy = structuredClone(current);
  for (const field of SERVER_SET_METADATA) delete copy.metadata[field];
  delete copy.status;
  (copy.spec as { podManagementPolicy?: string }).podManagementPolicy = policy;
  orphanDependents(
    store,
    RESOURCES.filter((type) => type.namespaced).map((type) => type.key),
    current,
  );
  store.delete(STATEFULSET_RESOURCE, namespace, name);
  return store.create(STATEFULSET_RESOURCE, copy);
}
