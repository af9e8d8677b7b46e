/**
 * Every resource the sandbox API server serves, declared once: its store key, group, version,
 * kind, scope, short names, subresources and table printer. Discovery, OpenAPI, routing and
 * printing all read from here, so adding a resource is one entry.
 */
import { printers, type TablePrinter } from "./printers.ts";

export interface SubresourceType {
  name: "status" | "scale" | "exec";
  /** What the subresource returns; scale is autoscaling/v1 Scale as on a real cluster. */
  responseKind: { group: string; version: string; kind: string };
  verbs: string[];
}

export interface ResourceType {
  /** The ObjectStore key: the plural, then ".group" outside the core group. */
  key: string;
  plural: string;
  singular: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: SubresourceType[];
  printer: TablePrinter;
}

const OBJECT_VERBS = ["create", "delete", "get", "list", "patch", "update", "watch"];

const statusOf = (group: string, version: string, kind: string): SubresourceType => ({
  name: "status",
  responseKind: { group, version, kind },
  verbs: ["get", "patch", "update"],
});
const scale: SubresourceType = {
  name: "scale",
  responseKind: { group: "autoscaling", version: "v1", kind: "Scale" },
  verbs: ["get", "patch", "update"],
};
const exec: SubresourceType = {
  name: "exec",
  responseKind: { group: "", version: "v1", kind: "PodExecOptions" },
  verbs: ["create", "get"],
};

interface Entry {
  plural: keyof typeof printers;
  kind: string;
  group?: string;
  version?: string;
  namespaced?: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: Array<"status" | "scale" | "exec">;
}

function resource(entry: Entry): ResourceType {
  const group = entry.group ?? "";
  const version = entry.version ?? "v1";
  const subresources = (entry.subresources ?? []).map((name) =>
    name === "scale" ? scale : name === "exec" ? exec : statusOf(group, version, entry.kind),
  );
  return {
    key: group ? `${entry.plural}.${group}` : entry.plural,
    plural: entry.plural,
    singular: entry.kind.toLowerCase(),
    group,
    version,
    kind: entry.kind,
    namespaced: entry.namespaced ?? true,
    shortNames: entry.shortNames ?? [],
    categories: entry.categories ?? [],
    subresources,
    printer: printers[entry.plural],
  };
}

export const RESOURCES: readonly ResourceType[] = [
  resource({
    plural: "namespaces",
    kind: "Namespace",
    namespaced: false,
    shortNames: ["ns"],
    subresources: ["status"],
  }),
  resource({
    plural: "nodes",
    kind: "Node",
    namespaced: false,
    shortNames: ["no"],
    subresources: ["status"],
  }),
  resource({
    plural: "pods",
    kind: "Pod",
    shortNames: ["po"],
    categories: ["all"],
    subresources: ["status", "exec"],
  }),
  resource({ plural: "secrets", kind: "Secret" }),
  resource({ plural: "configmaps", kind: "ConfigMap", shortNames: ["cm"] }),
  resource({
    plural: "persistentvolumeclaims",
    kind: "PersistentVolumeClaim",
    shortNames: ["pvc"],
    subresources: ["status"],
  }),
  resource({ plural: "events", kind: "Event", shortNames: ["ev"] }),
  resource({
    plural: "services",
    kind: "Service",
    shortNames: ["svc"],
    categories: ["all"],
    subresources: ["status"],
  }),
  resource({
    plural: "statefulsets",
    kind: "StatefulSet",
    group: "apps",
    shortNames: ["sts"],
    categories: ["all"],
    subresources: ["status", "scale"],
  }),
  resource({
    plural: "deployments",
    kind: "Deployment",
    group: "apps",
    shortNames: ["deploy"],
    categories: ["all"],
    subresources: ["status", "scale"],
  }),
  resource({
    plural: "poddisruptionbudgets",
    kind: "PodDisruptionBudget",
    group: "policy",
    shortNames: ["pdb"],
    subresources: ["status"],
  }),
];

export const resourceVerbs = (): string[] => [...OBJECT_VERBS];

/** "" for the core group, else the group name: the order /apis lists them. */
export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const type of RESOURCES)
    seen.set(`${type.group}/${type.version}`, { group: type.group, version: type.version });
  return [...seen.values()];
}

export function resourcesOf(group: string, version: string): ResourceType[] {
  return RESOURCES.filter((type) => type.group === group && type.version === version);
}

export function findResource(
  group: string,
  version: string,
  plural: string,
): ResourceType | undefined {
  return RESOURCES.find(
    (type) => type.group === group && type.version === version && type.plural === plural,
  );
}

/** "v1" or "apps/v1": the apiVersion objects of this resource carry. */
export function apiVersionOf(type: { group: string; version: string }): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}
