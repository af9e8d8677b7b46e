/**
 * The disruption controller's part that the runbook's readers look at: a
 * PodDisruptionBudget's status (expectedPods, currentHealthy, desiredHealthy,
 * disruptionsAllowed and the DisruptionAllowed condition), from the Ready pods its selector
 * matches. Eviction is not modelled; the runbook deletes the PDB instead.
 */
import type { Logger } from "../../../../src/core/log/logger.ts";
import { POD_RESOURCE } from "../../pod-deletion.ts";
import type { KubeObject, ObjectStore } from "../../store.ts";
import { nowTimestamp, ReconcileLoop, type ObjectKey } from "./reconcile-loop.ts";
import { isPodReady, isTerminating, selectorMatches, type LabelSelector } from "./selectors.ts";

export const PDB_RESOURCE = "poddisruptionbudgets.policy";

interface PdbSpec {
  selector?: LabelSelector;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

export function startDisruptionController(store: ObjectStore, logger: Logger): () => void {
  const loop = new ReconcileLoop("disruption", store, logger, (key) =>
    reconcileDisruptionBudget(store, key),
  )
    .watchOwn(PDB_RESOURCE)
    .watchRelated(POD_RESOURCE, (event) =>
      store
        .list(PDB_RESOURCE, event.object.metadata.namespace)
        .items.map((pdb) => ({ namespace: pdb.metadata.namespace ?? "", name: pdb.metadata.name })),
    )
    .resyncFrom(PDB_RESOURCE);
  return () => loop.stop();
}

export function reconcileDisruptionBudget(store: ObjectStore, key: ObjectKey): void {
  const pdb = store.get(PDB_RESOURCE, key.namespace, key.name);
  if (!pdb) return;
  const spec = (pdb.spec ?? {}) as PdbSpec;
  const pods = store
    .list(POD_RESOURCE, key.namespace)
    .items.filter(
      (pod) => !isTerminating(pod) && selectorMatches(spec.selector, pod.metadata.labels),
    );
  const expectedPods = pods.length;
  const currentHealthy = pods.filter(isPodReady).length;
  const desiredHealthy = desiredHealthyPods(spec, expectedPods);
  const disruptionsAllowed = Math.max(0, currentHealthy - desiredHealthy);
  const previous = (pdb.status as { conditions?: Array<Record<string, string>> } | undefined)
    ?.conditions?.[0];
  const allowed = disruptionsAllowed > 0 ? "True" : "False";
  const status = {
    observedGeneration: pdb.metadata.generation ?? 1,
    expectedPods,
    currentHealthy,
    desiredHealthy,
    disruptionsAllowed,
    conditions: [
      {
        type: "DisruptionAllowed",
        status: allowed,
        reason: disruptionsAllowed > 0 ? "SufficientPods" : "InsufficientPods",
        message: "",
        observedGeneration: pdb.metadata.generation ?? 1,
        lastTransitionTime:
          previous?.status === allowed && previous.lastTransitionTime
            ? previous.lastTransitionTime
            : nowTimestamp(),
      },
    ],
  };
  store.mutate(PDB_RESOURCE, key.namespace, key.name, (current: KubeObject) => {
    current.status = status;
  });
}

/** minAvailable or maxUnavailable, as a count or a percentage (rounded up, as upstream). */
function desiredHealthyPods(spec: PdbSpec, expectedPods: number): number {
  if (spec.maxUnavailable !== undefined) {
    return Math.max(0, expectedPods - scaled(spec.maxUnavailable, expectedPods));
  }
  if (spec.minAvailable !== undefined) return scaled(spec.minAvailable, expectedPods);
  return 0;
}

function scaled(value: number | string, expectedPods: number): number {
  if (typeof value === "number") return value;
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return Math.ceil((Number(percent[1]) * expectedPods) / 100);
  return Number(value) || 0;
}
