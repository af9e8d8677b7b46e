/**
 * Deletion with `propagationPolicy: Orphan` (`kubectl delete --cascade=orphan`), as the
 * garbage collector carries it out on a real cluster: before the owner goes, every object
 * of its namespace that names it in `metadata.ownerReferences` loses that reference (and
 * only that one), so no controller deletes it afterwards and a new owner may adopt it.
 * The real API server parks the owner behind the `orphan` finalizer until the GC is done;
 * here the store is synchronous, so the references are gone before the owner is.
 */
import type { KubeObject, ObjectStore } from "./store.ts";

/** Removes `owner` from the owner references of its dependents; returns what was orphaned. */
export function orphanDependents(
  store: ObjectStore,
  resources: readonly string[],
  owner: KubeObject,
): string[] {
  const uid = owner.metadata.uid;
  if (!uid) return [];
  const orphaned: string[] = [];
  for (const resource of resources) {
    for (const dependent of store.list(resource, owner.metadata.namespace).items) {
      const references = dependent.metadata.ownerReferences ?? [];
      if (!references.some((reference) => reference.uid === uid)) continue;
      store.mutate(resource, dependent.metadata.namespace, dependent.metadata.name, (current) => {
        const kept = (current.metadata.ownerReferences ?? []).filter(
          (reference) => reference.uid !== uid,
        );
        if (kept.length) current.metadata.ownerReferences = kept;
        else delete current.metadata.ownerReferences;
      });
      orphaned.push(`${resource}/${dependent.metadata.name}`);
    }
  }
  return orphaned;
}
