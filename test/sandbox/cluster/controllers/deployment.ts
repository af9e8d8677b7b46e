/**
 * The Deployment controller, folded into one level (the sandbox has no ReplicaSet
 * resource): it keeps `replicas` pods named `<deployment>-<template hash>-<5 chars>`,
 * recreates deleted ones, scales, and on a template change rolls out with the default
 * RollingUpdate bounds (maxSurge 25% rounded up, maxUnavailable 25% rounded down), so a
 * one-replica Deployment starts the new pod and removes the old one once the new is Ready.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../../../../src/core/log/logger.ts";
import { POD_RESOURCE, requestPodDeletion } from "../../pod-deletion.ts";
import type { KubeObject, ObjectStore } from "../../store.ts";
import { nowTimestamp, ReconcileLoop, templateHash, type ObjectKey } from "./reconcile-loop.ts";
import { controllerReference, isPodReady, isTerminating, type LabelSelector } from "./selectors.ts";

export const DEPLOYMENT_RESOURCE = "deployments.apps";
export const POD_TEMPLATE_HASH_LABEL = "pod-template-hash";

interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelector;
  strategy?: {
    type?: "RollingUpdate" | "Recreate";
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
  };
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec?: Record<string, unknown>;
  };
}

interface DeploymentCondition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

export function startDeploymentController(store: ObjectStore, logger: Logger): () => void {
  const loop = new ReconcileLoop("deployment", store, logger, (key) =>
    reconcileDeployment(store, logger, key),
  )
    .watchOwn(DEPLOYMENT_RESOURCE)
    .watchRelated(POD_RESOURCE, (event) => {
      const owner = deploymentOf(event.object);
      return owner ? [{ namespace: event.object.metadata.namespace ?? "", name: owner }] : [];
    })
    .resyncFrom(DEPLOYMENT_RESOURCE);
  return () => loop.stop();
}

/**
 * Which Deployment a pod belongs to: its owner is the (implied) ReplicaSet
 * `<deployment>-<pod-template-hash>`, as on a real cluster.
 */
export function deploymentOf(pod: KubeObject): string | undefined {
  const hash = hashOf(pod);
  const owner = pod.metadata.ownerReferences?.find((ref) => ref.kind === "ReplicaSet");
  if (!hash || !owner?.name.endsWith(`-${hash}`)) return undefined;
  return owner.name.slice(0, -(hash.length + 1));
}

export function reconcileDeployment(store: ObjectStore, logger: Logger, key: ObjectKey): void {
  const deployment = store.get(DEPLOYMENT_RESOURCE, key.namespace, key.name);
  const pods = ownedPods(store, key);
  if (!deployment || deployment.metadata.deletionTimestamp) {
    for (const pod of pods) if (!isTerminating(pod)) deletePod(store, logger, pod);
    return;
  }
  const spec = deployment.spec as DeploymentSpec;
  const replicas = spec.replicas ?? 1;
  const hash = templateHash(spec.template);
  const live = pods.filter((pod) => !isTerminating(pod));
  const current = live.filter((pod) => hashOf(pod) === hash);
  const old = live.filter((pod) => hashOf(pod) !== hash);
  const { maxSurge, maxUnavailable } = rolloutBounds(spec, replicas);

  if (spec.strategy?.type === "Recreate" && old.length > 0) {
    old.forEach((pod) => deletePod(store, logger, pod));
  } else {
    scaleCurrent(store, logger, deployment, spec, hash, current, old, replicas, maxSurge);
    retireOld(store, logger, current, old, replicas, maxUnavailable);
  }
  writeStatus(store, deployment, replicas, hash, ownedPods(store, key));
}

/** Brings the pods of the current template towards `replicas`, within the surge allowance. */
function scaleCurrent(
  store: ObjectStore,
  logger: Logger,
  deployment: KubeObject,
  spec: DeploymentSpec,
  hash: string,
  current: KubeObject[],
  old: KubeObject[],
  replicas: number,
  maxSurge: number,
): void {
  if (current.length > replicas) {
    // Scale down: the pods that are not Ready go first, then the newest.
    const surplus = [...current]
      .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || newestFirst(a, b))
      .slice(0, current.length - replicas);
    surplus.forEach((pod) => deletePod(store, logger, pod));
    return;
  }
  const room = Math.min(
    replicas - current.length,
    replicas + maxSurge - current.length - old.length,
  );
  for (let i = 0; i < room; i++) createPod(store, logger, deployment, spec, hash);
}

/** Removes old-template pods as fast as availability allows. */
function retireOld(
  store: ObjectStore,
  logger: Logger,
  current: KubeObject[],
  old: KubeObject[],
  replicas: number,
  maxUnavailable: number,
): void {
  if (old.length === 0) return;
  const available = [...current, ...old].filter(isPodReady).length;
  const notReadyOld = old.filter((pod) => !isPodReady(pod));
  notReadyOld.forEach((pod) => deletePod(store, logger, pod)); // never counted as available
  let canRemove = available - (replicas - maxUnavailable);
  for (const pod of old.filter(isPodReady)) {
    if (canRemove <= 0) break;
    deletePod(store, logger, pod);
    canRemove--;
  }
}

function createPod(
  store: ObjectStore,
  logger: Logger,
  deployment: KubeObject,
  spec: DeploymentSpec,
  hash: string,
): void {
  const name = deployment.metadata.name;
  const replicaSetName = `${name}-${hash}`;
  const template = structuredClone(spec.template);
  const pod = store.create(POD_RESOURCE, {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: "",
      generateName: `${replicaSetName}-`,
      namespace: deployment.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [
        controllerReference({
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: { name: replicaSetName, uid: replicaSetUid(deployment, hash) },
        }),
      ],
    },
    spec: template.spec ?? {},
    status: { phase: "Pending" },
  });
  logger.debug(
    `deployment ${deployment.metadata.namespace}/${name}: created pod ${pod.metadata.name}`,
  );
}

/** A stable uid for the implied ReplicaSet, so every pod of one template names the same owner. */
function replicaSetUid(deployment: KubeObject, hash: string): string {
  const hex = createHash("sha256").update(`${deployment.metadata.uid}/${hash}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function rolloutBounds(
  spec: DeploymentSpec,
  replicas: number,
): { maxSurge: number; maxUnavailable: number } {
  const bounds = spec.strategy?.rollingUpdate ?? {};
  const maxSurge = resolveBound(bounds.maxSurge ?? "25%", replicas, Math.ceil);
  let maxUnavailable = resolveBound(bounds.maxUnavailable ?? "25%", replicas, Math.floor);
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1; // as the real controller
  return { maxSurge, maxUnavailable };
}

function resolveBound(
  value: number | string,
  replicas: number,
  round: (x: number) => number,
): number {
  if (typeof value === "number") return value;
  const percent = /^(\d+)%$/.exec(value);
  if (percent) return round((Number(percent[1]) * replicas) / 100);
  return Number(value) || 0;
}

function deletePod(store: ObjectStore, logger: Logger, pod: KubeObject): void {
  const namespace = pod.metadata.namespace as string;
  requestPodDeletion(store, namespace, pod.metadata.name);
  logger.debug(`deployment controller: deleting pod ${namespace}/${pod.metadata.name}`);
}

function ownedPods(store: ObjectStore, key: ObjectKey): KubeObject[] {
  return store
    .list(POD_RESOURCE, key.namespace)
    .items.filter((pod) => deploymentOf(pod) === key.name);
}

function hashOf(pod: KubeObject): string | undefined {
  return pod.metadata.labels?.[POD_TEMPLATE_HASH_LABEL];
}

function newestFirst(a: KubeObject, b: KubeObject): number {
  return (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? "");
}

/** The status fields `kubectl get deploy` and `kubectl rollout status` read. */
function writeStatus(
  store: ObjectStore,
  deployment: KubeObject,
  replicas: number,
  hash: string,
  pods: KubeObject[],
): void {
  const live = pods.filter((pod) => !isTerminating(pod));
  const updated = live.filter((pod) => hashOf(pod) === hash);
  const ready = live.filter(isPodReady).length;
  const previous = (deployment.status as { conditions?: DeploymentCondition[] } | undefined)
    ?.conditions;
  const rolledOut = updated.length === replicas && live.length === replicas;
  const conditions = [
    condition(
      previous,
      "Available",
      ready >= replicas ? "True" : "False",
      ready >= replicas ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
      ready >= replicas
        ? "Deployment has minimum availability."
        : "Deployment does not have minimum availability.",
    ),
    condition(
      previous,
      "Progressing",
      "True",
      rolledOut ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
      rolledOut
        ? `ReplicaSet "${deployment.metadata.name}-${hash}" has successfully progressed.`
        : `ReplicaSet "${deployment.metadata.name}-${hash}" is progressing.`,
    ),
  ];
  const status: Record<string, unknown> = {
    observedGeneration: deployment.metadata.generation ?? 1,
    replicas: live.length,
    updatedReplicas: updated.length,
    readyReplicas: ready,
    availableReplicas: ready,
    conditions,
  };
  if (live.length - ready > 0) status.unavailableReplicas = live.length - ready;
  store.mutate(
    DEPLOYMENT_RESOURCE,
    deployment.metadata.namespace,
    deployment.metadata.name,
    (current) => {
      current.status = status;
    },
  );
}

/** A condition keeps its transition time while its status stays the same. */
function condition(
  previous: DeploymentCondition[] | undefined,
  type: string,
  status: string,
  reason: string,
  message: string,
): DeploymentCondition {
  const before = previous?.find((c) => c.type === type);
  const unchanged = before && before.status === status && before.reason === reason;
  const now = nowTimestamp();
  return {
    type,
    status,
    reason,
    message,
    lastUpdateTime: unchanged ? before.lastUpdateTime : now,
    lastTransitionTime: before && before.status === status ? before.lastTransitionTime : now,
  };
}
