/**
 * API discovery, both ways kubectl 1.32 asks for it: the aggregated documents
 * (`apidiscovery.k8s.io/v2` APIGroupDiscoveryList, one request each for /api and /apis) and
 * the legacy ones (APIVersions, APIGroupList, APIResourceList per group-version). Short
 * names such as `po`, `sts` and `pdb` reach kubectl only through here.
 */
import {
  RESOURCES,
  apiVersionOf,
  groupVersions,
  resourceVerbs,
  resourcesOf,
  type ResourceType,
} from "./registry.ts";

export const AGGREGATED_DISCOVERY_TYPE =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

export function wantsAggregatedDiscovery(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(",").some((type) => {
    const parameters = type.split(";").map((part) => part.trim());
    return (
      parameters.includes("g=apidiscovery.k8s.io") &&
      parameters.includes("v=v2") &&
      parameters.includes("as=APIGroupDiscoveryList")
    );
  });
}

function aggregatedResource(type: ResourceType) {
  return {
    resource: type.plural,
    responseKind: { group: type.group, version: type.version, kind: type.kind },
    scope: type.namespaced ? "Namespaced" : "Cluster",
    singularResource: type.singular,
    verbs: resourceVerbs(),
    ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
    ...(type.categories.length ? { categories: type.categories } : {}),
    ...(type.subresources.length
      ? {
          subresources: type.subresources.map((sub) => ({
            subresource: sub.name,
            responseKind: sub.responseKind,
            verbs: sub.verbs,
          })),
        }
      : {}),
  };
}

function aggregatedGroup(group: string) {
  const versions = groupVersions().filter((gv) => gv.group === group);
  return {
    metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
    versions: versions.map((gv) => ({
      version: gv.version,
      resources: resourcesOf(gv.group, gv.version).map(aggregatedResource),
      freshness: "Current",
    })),
  };
}

/** GET /api or /apis with the aggregated Accept type. */
export function aggregatedDiscovery(path: "/api" | "/apis") {
  const groups = [...new Set(RESOURCES.map((type) => type.group))].filter((group) =>
    path === "/api" ? group === "" : group !== "",
  );
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: groups.map(aggregatedGroup),
  };
}

export function legacyApiVersions(serverAddress: string) {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

export function legacyGroupList() {
  const groups = [...new Set(RESOURCES.map((type) => type.group))].filter(Boolean);
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map((group) => {
      const versions = groupVersions()
        .filter((gv) => gv.group === group)
        .map((gv) => ({ groupVersion: apiVersionOf(gv), version: gv.version }));
      return { name: group, versions, preferredVersion: versions[0] };
    }),
  };
}

/** GET /api/v1 or /apis/<group>/<version>: resources and subresources as separate entries. */
export function legacyResourceList(group: string, version: string) {
  const types = resourcesOf(group, version);
  if (types.length === 0) return undefined;
  const resources = types.flatMap((type) => [
    {
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: resourceVerbs(),
      ...(type.shortNames.length ? { shortNames: type.shortNames } : {}),
      ...(type.categories.length ? { categories: type.categories } : {}),
    },
    ...type.subresources.map((sub) => ({
      name: `${type.plural}/${sub.name}`,
      singularName: "",
      namespaced: type.namespaced,
      ...(sub.responseKind.group !== group || sub.responseKind.version !== version
        ? { group: sub.responseKind.group, version: sub.responseKind.version }
        : {}),
      kind: sub.responseKind.kind,
      verbs: sub.verbs,
    })),
  ]);
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: apiVersionOf({ group, version }),
    resources,
  };
}
