/**
 * Turns a request path into what it names: a resource of the registry, in a namespace or
 * across all of them, one object, or one of its subresources.
 *   /api/v1/pods                                  every pod
 *   /api/v1/namespaces/uc1/pods/kube-etcd-0/exec  exec into one pod
 *   /apis/apps/v1/namespaces/uc1/statefulsets/kube-etcd/scale
 *   /api/v1/namespaces/uc1                        the namespace object itself
 */
import { findResource, type ResourceType } from "./registry.ts";
import { ApiError } from "./status.ts";

export interface ResourceRoute {
  type: ResourceType;
  /** The namespace in the path; undefined for cluster-scoped resources and cross-namespace lists. */
  namespace?: string;
  name?: string;
  subresource?: string;
}

/** Splits /api/v1/... and /apis/<group>/<version>/... into group, version and the rest. */
function groupVersionOf(
  segments: string[],
): { group: string; version: string; rest: string[] } | undefined {
  if (segments[0] === "api" && segments.length >= 2) {
    return { group: "", version: segments[1] ?? "", rest: segments.slice(2) };
  }
  if (segments[0] === "apis" && segments.length >= 3) {
    return { group: segments[1] ?? "", version: segments[2] ?? "", rest: segments.slice(3) };
  }
  return undefined;
}

/**
 * The route of a resource path, undefined when the path is not one (discovery documents),
 * or a 404 ApiError when it names a resource this server does not serve.
 */
export function parseResourcePath(pathname: string): ResourceRoute | undefined {
  const segments = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const gv = groupVersionOf(segments);
  if (!gv || gv.rest.length === 0) return undefined;
  const { group, version, rest } = gv;
  const resourceOrNotFound = (plural: string) => {
    const type = findResource(group, version, plural);
    if (!type) {
      throw new ApiError(
        404,
        "NotFound",
        `the server could not find the requested resource (${plural} in ${group || "core"}/${version})`,
      );
    }
    return type;
  };

  // /namespaces/<ns>/<resource>[/<name>[/<subresource>]] unless the segment after the
  // namespace name is a subresource of the namespace itself.
  if (rest[0] === "namespaces" && rest.length >= 3) {
    const candidate = findResource(group, version, rest[2] ?? "");
    if (candidate?.namespaced) {
      if (rest.length > 5)
        throw new ApiError(
          404,
          "NotFound",
          `the server could not find the requested resource ${pathname}`,
        );
      return { type: candidate, namespace: rest[1], name: rest[3], subresource: rest[4] };
    }
  }
  const type = resourceOrNotFound(rest[0] ?? "");
  if (rest.length > 3)
    throw new ApiError(
      404,
      "NotFound",
      `the server could not find the requested resource ${pathname}`,
    );
  if (type.namespaced && rest.length > 1) {
    throw new ApiError(
      404,
      "NotFound",
      `the server could not find the requested resource: ${type.plural} are namespaced, use .../namespaces/<namespace>/${type.plural}/<name>`,
    );
  }
  return { type, name: rest[1], subresource: rest[2] };
}
