/**
 * The sandbox's kube-controller-manager: the controllers that turn StatefulSets,
 * Deployments and PodDisruptionBudgets in the ObjectStore into pods and status.
 */
import type { Logger } from "../../../../src/core/log/logger.ts";
import type { ObjectStore } from "../../store.ts";
import { startDeploymentController } from "./deployment.ts";
import { startDisruptionController } from "./disruption.ts";
import { startStatefulSetController } from "./statefulset.ts";

export interface Controllers {
  /** Stops every watch and timer; safe to call twice. */
  stop(): void;
}

export function startControllers(store: ObjectStore, logger: Logger): Controllers {
  const stops = [
    startStatefulSetController(store, logger),
    startDeploymentController(store, logger),
    startDisruptionController(store, logger),
  ];
  return {
    stop: () => {
      for (const stop of stops.splice(0)) stop();
    },
  };
}
