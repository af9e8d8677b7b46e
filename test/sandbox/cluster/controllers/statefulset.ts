/**
 * The StatefulSet controller, with the behaviour the runbook leans on: pods
 * `<set>-<ordinal>` for ordinals 0..replicas-1, one PVC per claim template and ordinal that
 * outlives its pod, a deleted pod recreated under the same name once the old one is gone,
 * scale-down from the highest ordinal, and a rolling update (e.g. `kubectl rollout
 * restart`) that replaces one pod at a time from the highest ordinal, waiting for each new
 * pod to be Ready. The algorithm follows kube-controller-manager's stateful_set_control.go.
 * Pods belong to a set by the uid in their controller reference, as on a real cluster: a
 * pod orphaned by `kubectl delete sts --cascade=orphan` is adopted by a new set of the same
 * name whose selector matches it (ControllerRefManager), keeping its revision label, so an
 * identical template restarts nothing; a pod whose controller no longer exists is removed,
 * as the garbage collector removes it.
 */
import type { Logger } from "../../../../src/core/log/logger.ts";
import { POD_RESOURCE, requestPodDeletion } from "../../pod-deletion.ts";
import type { KubeObject, ObjectStore } from "../../store.ts";
import { ReconcileLoop, templateHash, type ObjectKey } from "./reconcile-loop.ts";
import {
  controllerReference,
  isHealthy,
  isOwnedBy,
  isPodReady,
  isTerminating,
  selectorMatches,
  type LabelSelector,
} from "./selectors.ts";

export const STATEFULSET_RESOURCE = "statefulsets.apps";
export const PVC_RESOURCE = "persistentvolumeclaims";

export const POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
export const REVISION_LABEL = "controller-revision-hash";
export const POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";

interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { volumes?: Array<{ name: string; [field: string]: unknown }>; [field: string]: unknown };
}

interface ClaimTemplate {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

export interface StatefulSetSpec {
  replicas?: number;
  serviceName?: string;
  selector?: LabelSelector;
  podManagementPolicy?: "OrderedReady" | "Parallel";
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  template: PodTemplate;
  volumeClaimTemplates?: ClaimTemplate[];
}

export interface StatefulSetStatus {
  observedGeneration: number;
  replicas: number;
  readyReplicas: number;
  availableReplicas: number;
  currentReplicas: number;
  updatedReplicas: number;
  currentRevision: string;
  updateRevision: string;
  collisionCount: number;
}

export function startStatefulSetController(store: ObjectStore, logger: Logger): () => void {
  const loop = new ReconcileLoop("statefulset", store, logger, (key) =>
    reconcileStatefulSet(store, logger, key),
  )
    .watchOwn(STATEFULSET_RESOURCE)
    .watchRelated(POD_RESOURCE, (event) => {
      const namespace = event.object.metadata.namespace ?? "";
      const owners = (event.object.metadata.ownerReferences ?? []).filter(
        (owner) => owner.controller !== false,
      );
      // An orphan may be adopted by any set of its namespace.
      if (owners.length === 0)
        return store
          .list(STATEFULSET_RESOURCE, namespace)
          .items.map((set) => ({ namespace, name: set.metadata.name }));
      return owners
        .filter((owner) => owner.kind === "StatefulSet")
        .map((owner) => ({ namespace, name: owner.name }));
    })
    .resyncFrom(STATEFULSET_RESOURCE);
  return () => loop.stop();
}

/** The revision a pod template makes: what `controller-revision-hash` holds. */
export function statefulSetRevision(setName: string, template: PodTemplate): string {
  return `${setName}-${templateHash(template)}`;
}

export function reconcileStatefulSet(store: ObjectStore, logger: Logger, key: ObjectKey): void {
  const set = store.get(STATEFULSET_RESOURCE, key.namespace, key.name);
  if (!set || set.metadata.deletionTimestamp) {
    // Garbage collection of a deleted set's pods; its PVCs stay, as on a real cluster.
    for (const pod of podsNamingSet(store, key))
      if (!isTerminating(pod)) deletePod(store, logger, pod);
    return;
  }
  collectPodsOfFormerSet(store, logger, set);
  adoptOrphans(store, logger, set);
  const pods = ownedPods(store, set);
  const spec = set.spec as StatefulSetSpec;
  const replicas = spec.replicas ?? 1;
  const updateRevision = statefulSetRevision(set.metadata.name, spec.template);
  const byOrdinal = podsByOrdinal(set.metadata.name, pods);
  advance(store, logger, set, spec, replicas, updateRevision, byOrdinal);
  writeStatus(store, set, replicas, updateRevision, ownedPods(store, set));
}

/** One step of work, as the real controller does it: create, then scale down, then update. */
function advance(
  store: ObjectStore,
  logger: Logger,
  set: KubeObject,
  spec: StatefulSetSpec,
  replicas: number,
  updateRevision: string,
  byOrdinal: Map<number, KubeObject>,
): void {
  const ordered = (spec.podManagementPolicy ?? "OrderedReady") === "OrderedReady";

  for (let ordinal = 0; ordinal < replicas; ordinal++) {
    const pod = byOrdinal.get(ordinal);
    if (!pod) {
      createMemberPod(store, logger, set, spec, ordinal, updateRevision);
      if (ordered) return; // OrderedReady: the next ordinal waits for this one to be Ready.
      continue;
    }
    if (isFailed(pod) && !isTerminating(pod)) {
      deletePod(store, logger, pod); // a Failed pod is replaced, as the real controller does
      if (ordered) return;
      continue;
    }
    if (ordered && !isHealthy(pod)) return;
  }

  const condemned = [...byOrdinal.keys()].filter((ordinal) => ordinal >= replicas);
  // OrderedReady removes an unhealthy pod only when it is the lowest-numbered unhealthy
  // one: with members that are not Ready (an etcd without quorum), scaling down stalls,
  // as kube-controller-manager's monotonic scale-down does.
  const firstUnhealthy = [...byOrdinal.keys()]
    .sort((a, b) => a - b)
    .find((ordinal) => !isHealthy(byOrdinal.get(ordinal) as KubeObject));
  for (const ordinal of condemned.sort((a, b) => b - a)) {
    const pod = byOrdinal.get(ordinal) as KubeObject;
    if (isTerminating(pod)) {
      if (ordered) return;
      continue;
    }
    if (ordered && !isHealthy(pod) && ordinal !== firstUnhealthy) return;
    deletePod(store, logger, pod);
    if (ordered) return; // one at a time, highest ordinal first
  }
  if (condemned.length > 0) return;

  if ((spec.updateStrategy?.type ?? "RollingUpdate") !== "RollingUpdate") return;
  const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
  for (let ordinal = replicas - 1; ordinal >= partition; ordinal--) {
    const pod = byOrdinal.get(ordinal);
    if (!pod) return;
    if (revisionOf(pod) !== updateRevision && !isTerminating(pod)) {
      logger.debug(
        `statefulset ${set.metadata.namespace}/${set.metadata.name}: updating ${pod.metadata.name}`,
      );
      deletePod(store, logger, pod);
      return; // one pod at a time
    }
    if (!isHealthy(pod)) return; // wait for the replaced pod to be Ready before the next
  }
}

function createMemberPod(
  store: ObjectStore,
  logger: Logger,
  set: KubeObject,
  spec: StatefulSetSpec,
  ordinal: number,
  revision: string,
): void {
  const namespace = set.metadata.namespace as string;
  for (const claim of spec.volumeClaimTemplates ?? [])
    ensureClaim(store, set, spec, claim, ordinal);
  const pod = memberPod(set, spec, ordinal, revision);
  store.create(POD_RESOURCE, pod);
  logger.debug(`statefulset ${namespace}/${set.metadata.name}: created pod ${pod.metadata.name}`);
}

/** The pod for one ordinal: the template, plus the identity and volumes of that ordinal. */
export function memberPod(
  set: KubeObject,
  spec: StatefulSetSpec,
  ordinal: number,
  revision: string,
): KubeObject {
  const setName = set.metadata.name;
  const podName = `${setName}-${ordinal}`;
  const template = structuredClone(spec.template);
  const podSpec = { ...(template.spec ?? {}) } as NonNullable<PodTemplate["spec"]>;
  const claimVolumes = (spec.volumeClaimTemplates ?? []).map((claim) => ({
    name: claim.metadata.name,
    persistentVolumeClaim: { claimName: claimName(claim, setName, ordinal) },
  }));
  const claimNames = new Set(claimVolumes.map((volume) => volume.name));
  podSpec.volumes = [
    ...claimVolumes,
    ...(podSpec.volumes ?? []).filter((volume) => !claimNames.has(volume.name)),
  ];
  podSpec.hostname = podName;
  if (spec.serviceName) podSpec.subdomain = spec.serviceName;
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: podName,
      namespace: set.metadata.namespace,
      labels: {
        ...(template.metadata?.labels ?? {}),
        [REVISION_LABEL]: revision,
        [POD_NAME_LABEL]: podName,
        [POD_INDEX_LABEL]: String(ordinal),
      },
      ...(template.metadata?.annotations ? { annotations: template.metadata.annotations } : {}),
      ownerReferences: [controllerReference(set)],
    },
    spec: podSpec,
    status: { phase: "Pending" },
  };
}

export function claimName(claim: ClaimTemplate, setName: string, ordinal: number): string {
  return `${claim.metadata.name}-${setName}-${ordinal}`;
}

/** A claim is made once and kept: deleting or scaling the set never deletes its data. */
function ensureClaim(
  store: ObjectStore,
  set: KubeObject,
  spec: StatefulSetSpec,
  claim: ClaimTemplate,
  ordinal: number,
): void {
  const namespace = set.metadata.namespace as string;
  const name = claimName(claim, set.metadata.name, ordinal);
  if (store.get(PVC_RESOURCE, namespace, name)) return;
  const selectorLabels = spec.selector?.matchLabels ?? {};
  store.create(PVC_RESOURCE, {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name,
      namespace,
      labels: { ...selectorLabels, ...(claim.metadata.labels ?? {}) },
      ...(claim.metadata.annotations ? { annotations: claim.metadata.annotations } : {}),
    },
    spec: { accessModes: ["ReadWriteOnce"], volumeMode: "Filesystem", ...(claim.spec ?? {}) },
    status: { phase: "Pending" },
  });
}

function deletePod(store: ObjectStore, logger: Logger, pod: KubeObject): void {
  const namespace = pod.metadata.namespace as string;
  requestPodDeletion(store, namespace, pod.metadata.name);
  logger.debug(`statefulset controller: deleting pod ${namespace}/${pod.metadata.name}`);
}

/** The pods whose controller reference is this set, by uid. */
function ownedPods(store: ObjectStore, set: KubeObject): KubeObject[] {
  return store
    .list(POD_RESOURCE, set.metadata.namespace)
    .items.filter((pod) => controllerOf(pod)?.uid === set.metadata.uid);
}

/** Pods controlled by a set of this name, whichever its uid: a deleted set's. */
function podsNamingSet(store: ObjectStore, key: ObjectKey): KubeObject[] {
  return store
    .list(POD_RESOURCE, key.namespace)
    .items.filter((pod) => isOwnedBy(pod, "StatefulSet", key.name));
}

function controllerOf(pod: KubeObject) {
  return (pod.metadata.ownerReferences ?? []).find((owner) => owner.controller === true);
}

/**
 * A pod still controlled by an earlier set of the same name (deleted, then re-created
 * without orphaning) has no owner any more: the garbage collector deletes it.
 */
function collectPodsOfFormerSet(store: ObjectStore, logger: Logger, set: KubeObject): void {
  for (const pod of podsNamingSet(store, {
    namespace: set.metadata.namespace ?? "",
    name: set.metadata.name,
  })) {
    if (controllerOf(pod)?.uid !== set.metadata.uid && !isTerminating(pod))
      deletePod(store, logger, pod);
  }
}

/**
 * Adoption (ControllerRefManager.ClaimPods): a pod without a controller, named as one of
 * the set's ordinals and matching its selector, gets the set as its controller. Its labels,
 * the revision label included, stay as they are.
 */
function adoptOrphans(store: ObjectStore, logger: Logger, set: KubeObject): void {
  const namespace = set.metadata.namespace ?? "";
  const selector = (set.spec as StatefulSetSpec).selector;
  const pattern = new RegExp(`^${escapeRegExp(set.metadata.name)}-(\\d+)$`);
  for (const pod of store.list(POD_RESOURCE, namespace).items) {
    if (controllerOf(pod) || isTerminating(pod) || !pattern.test(pod.metadata.name)) continue;
    if (!selectorMatches(selector, pod.metadata.labels)) continue;
    store.mutate(POD_RESOURCE, namespace, pod.metadata.name, (current) => {
      current.metadata.ownerReferences = [
        ...(current.metadata.ownerReferences ?? []),
        controllerReference(set),
      ];
    });
    logger.debug(`statefulset ${namespace}/${set.metadata.name}: adopted pod ${pod.metadata.name}`);
  }
}

function podsByOrdinal(setName: string, pods: KubeObject[]): Map<number, KubeObject> {
  const byOrdinal = new Map<number, KubeObject>();
  const pattern = new RegExp(`^${escapeRegExp(setName)}-(\\d+)$`);
  for (const pod of pods) {
    const match = pattern.exec(pod.metadata.name);
    if (match) byOrdinal.set(Number(match[1]), pod);
  }
  return byOrdinal;
}

function revisionOf(pod: KubeObject): string | undefined {
  return pod.metadata.labels?.[REVISION_LABEL];
}

function isFailed(pod: KubeObject): boolean {
  return (pod.status as { phase?: string } | undefined)?.phase === "Failed";
}

/** The status fields `kubectl get sts` and `kubectl rollout status` read. */
function writeStatus(
  store: ObjectStore,
  set: KubeObject,
  replicas: number,
  updateRevision: string,
  pods: KubeObject[],
): void {
  const previous = (set.status ?? {}) as Partial<StatefulSetStatus>;
  const live = pods.filter((pod) => !isTerminating(pod));
  const updated = live.filter((pod) => revisionOf(pod) === updateRevision);
  const rolloutDone = updated.length === replicas && live.length === replicas;
  const currentRevision =
    rolloutDone || !previous.currentRevision ? updateRevision : previous.currentRevision;
  const ready = pods.filter(isPodReady).length;
  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation ?? 1,
    replicas: pods.length,
    readyReplicas: ready,
    availableReplicas: ready,
    currentReplicas: live.filter((pod) => revisionOf(pod) === currentRevision).length,
    updatedReplicas: updated.length,
    currentRevision,
    updateRevision,
    collisionCount: 0,
  };
  store.mutate(STATEFULSET_RESOURCE, set.metadata.namespace, set.metadata.name, (current) => {
    current.status = status;
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
