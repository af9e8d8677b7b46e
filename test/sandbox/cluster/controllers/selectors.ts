/**
 * Label selectors as the apps and policy APIs hold them (matchLabels and matchExpressions),
 * and the pod facts every controller asks about: ready, terminating, owned by whom.
 */
import type { KubeObject } from "../../store.ts";

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

/** An empty selector matches everything, as in policy/v1; a missing one matches nothing. */
export function selectorMatches(
  selector: LabelSelector | undefined,
  labels: Record<string, string> | undefined,
): boolean {
  if (!selector) return false;
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((requirement) =>
    requirementMatches(requirement, have),
  );
}

function requirementMatches(
  requirement: LabelSelectorRequirement,
  labels: Record<string, string>,
): boolean {
  const present = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  switch (requirement.operator) {
    case "In":
      return present && (requirement.values ?? []).includes(value as string);
    case "NotIn":
      return !present || !(requirement.values ?? []).includes(value as string);
    case "Exists":
      return present;
    case "DoesNotExist":
      return !present;
    default:
      return false;
  }
}

interface PodCondition {
  type: string;
  status: string;
}

/** The pod's Ready condition is True: what `kubectl get pods` shows as 1/1. */
export function isPodReady(pod: KubeObject): boolean {
  const status = pod.status as { phase?: string; conditions?: PodCondition[] } | undefined;
  if (status?.phase !== "Running") return false;
  return (status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

export function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

/** Running, Ready and not on its way out: what the StatefulSet controller calls healthy. */
export function isHealthy(pod: KubeObject): boolean {
  return isPodReady(pod) && !isTerminating(pod);
}

export function isOwnedBy(object: KubeObject, kind: string, name: string): boolean {
  return (object.metadata.ownerReferences ?? []).some(
    (owner) => owner.kind === kind && owner.name === name && owner.controller !== false,
  );
}

type OwnerReference = NonNullable<KubeObject["metadata"]["ownerReferences"]>[number] & {
  blockOwnerDeletion: boolean;
};

/** The controller reference a controller puts on what it creates. */
export function controllerReference(owner: {
  apiVersion: string;
  kind: string;
  metadata: { name: string; uid?: string };
}): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
}
