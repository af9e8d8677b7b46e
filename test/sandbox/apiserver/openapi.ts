/**
 * Just enough OpenAPI v3 for kubectl's `--validate=strict` (the default): kubectl looks in the
 * group-version document for a PATCH operation tagged with the kind's
 * `x-kubernetes-group-version-kind` that takes a `fieldValidation` query parameter; finding it,
 * kubectl leaves validation to the server and sends `fieldValidation=Strict`.
 *
 * The PATCH operations deliberately carry no requestBody: kubectl's client-side apply then
 * computes its three-way strategic merge patch from its built-in Go types, which know every
 * patch merge key, instead of from these minimal schemas.
 */
import { createHash } from "node:crypto";
import { groupVersions, resourcesOf, type ResourceType } from "./registry.ts";

/** "api/v1" or "apis/apps/v1": the key of a group-version in /openapi/v3. */
function groupVersionPath(gv: { group: string; version: string }): string {
  return gv.group ? `apis/${gv.group}/${gv.version}` : `api/${gv.version}`;
}

const fieldValidationParameter = {
  name: "fieldValidation",
  in: "query",
  description:
    "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values are: Ignore, Warn, Strict.",
  schema: { type: "string", uniqueItems: true },
};

function itemPath(type: ResourceType): string {
  const prefix = `/${groupVersionPath(type)}`;
  return type.namespaced
    ? `${prefix}/namespaces/{namespace}/${type.plural}/{name}`
    : `${prefix}/${type.plural}/{name}`;
}

export function groupVersionDocument(gv: { group: string; version: string }) {
  const paths: Record<string, unknown> = {};
  for (const type of resourcesOf(gv.group, gv.version)) {
    paths[itemPath(type)] = {
      patch: {
        description: `partially update the specified ${type.kind}`,
        operationId: `patch${type.kind}`,
        parameters: [fieldValidationParameter],
        responses: { "200": { description: "OK" } },
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {
          group: type.group,
          version: type.version,
          kind: type.kind,
        },
      },
    };
  }
  return {
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.32.4-sandbox" },
    paths,
    components: { schemas: {} },
  };
}

function documentHash(gv: { group: string; version: string }): string {
  return createHash("sha512")
    .update(JSON.stringify(groupVersionDocument(gv)))
    .digest("hex")
    .slice(0, 128)
    .toUpperCase();
}

/** GET /openapi/v3: where each group-version document lives. */
export function openApiRoot() {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const gv of groupVersions()) {
    const path = groupVersionPath(gv);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${documentHash(gv)}` };
  }
  return { paths };
}

/** GET /openapi/v3/api/v1 and /openapi/v3/apis/<group>/<version>; undefined when unknown. */
export function openApiDocumentFor(path: string) {
  const gv = groupVersions().find(
    (candidate) => `/openapi/v3/${groupVersionPath(candidate)}` === path,
  );
  return gv ? groupVersionDocument(gv) : undefined;
}
