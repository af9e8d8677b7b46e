/**
 * The REST verbs on resources: GET, LIST, POST, PUT, PATCH, DELETE and the `status` and
 * `scale` subresources, over the ObjectStore. Each handler takes the parsed route and
 * request and returns the object to send; errors are thrown as ApiErrors (Status objects).
 */
import type { KubeObject, ObjectStore } from "../store.ts";
import { orphanDependents } from "../orphan-dependents.ts";
import { requestPodDeletion } from "../pod-deletion.ts";
import { applyDefaults, resetStatusForCreate, validateObject } from "./defaults.ts";
import {
  JsonPatchTestFailed,
  PATCH_TYPES,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
} from "./patch.ts";
import { formatLabelSelector, toTable, type TableRowObject } from "./printers.ts";
import { apiVersionOf, RESOURCES, type ResourceType } from "./registry.ts";
import type { ResourceRoute } from "./routes.ts";
import { parseSelectors } from "./selectors.ts";
import { ApiError, badRequest, invalid, notFound, successStatus, toApiError } from "./status.ts";

export interface RestRequest {
  route: ResourceRoute;
  query: URLSearchParams;
  /** The Accept header: decides between objects and `meta.k8s.io/v1` Tables. */
  accept: string;
  contentType: string;
  body: Buffer;
}

type Loose = Record<string, unknown>;

export function wantsTable(accept: string): boolean {
  return accept
    .split(",")
    .some((type) => type.includes("as=Table") && type.includes("g=meta.k8s.io"));
}

function includeObjectOf(query: URLSearchParams): TableRowObject {
  const value = query.get("includeObject");
  if (value === null || value === "") return "Metadata";
  if (value === "None" || value === "Metadata" || value === "Object") return value;
  throw badRequest(`includeObject "${value}" is not one of None, Metadata, Object`);
}

/** Objects leave the server with kind and apiVersion, as kubectl get -o yaml shows them. */
export function withTypeMeta(type: ResourceType, object: KubeObject): KubeObject {
  return { ...object, apiVersion: apiVersionOf(type), kind: type.kind };
}

function parseBody(request: RestRequest): unknown {
  const text = request.body.toString("utf8").trim();
  if (!text) throw badRequest("the request body is empty; send a JSON object");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the request body is not valid JSON: ${(error as Error).message}`);
  }
}

function parseObjectBody(request: RestRequest): KubeObject {
  const body = parseBody(request);
  const { type } = request.route;
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw badRequest(`the request body must be a ${type.kind} object`);
  }
  const object = body as KubeObject;
  if (object.kind !== undefined && object.kind !== type.kind) {
    throw badRequest(
      `the body is a ${String(object.kind)}, but ${apiVersionOf(type)} ${type.plural} takes a ${type.kind}`,
    );
  }
  if (object.apiVersion !== undefined && object.apiVersion !== apiVersionOf(type)) {
    throw badRequest(
      `the body has apiVersion "${String(object.apiVersion)}", but ${type.plural} are served as "${apiVersionOf(type)}"`,
    );
  }
  object.metadata =
    object.metadata && typeof object.metadata === "object"
      ? object.metadata
      : ({} as KubeObject["metadata"]);
  return withTypeMeta(type, object);
}

/** The namespace the object lives in: the path's, which a body namespace must agree with. */
function placeInNamespace(route: ResourceRoute, object: KubeObject): void {
  if (!route.type.namespaced) {
    delete object.metadata.namespace;
    return;
  }
  if (!route.namespace)
    throw badRequest(
      `${route.type.plural} are namespaced: send them to .../namespaces/<namespace>/${route.type.plural}`,
    );
  if (object.metadata.namespace && object.metadata.namespace !== route.namespace) {
    throw badRequest(
      `the namespace of the provided object (${object.metadata.namespace}) does not match the namespace sent on the request (${route.namespace})`,
    );
  }
  object.metadata.namespace = route.namespace;
}

function requireName(route: ResourceRoute): string {
  if (!route.name)
    throw new ApiError(
      405,
      "MethodNotAllowed",
      `the server does not allow this method on the ${route.type.plural} collection`,
    );
  return route.name;
}

function readObject(store: ObjectStore, route: ResourceRoute): KubeObject {
  const name = requireName(route);
  const object = store.get(
    route.type.key,
    route.type.namespaced ? route.namespace : undefined,
    name,
  );
  if (!object) throw notFound(route.type, name);
  return object;
}

// ---------------------------------------------------------------- GET and LIST

export function getObject(store: ObjectStore, request: RestRequest): unknown {
  const { type } = request.route;
  const object = withTypeMeta(type, readObject(store, request.route));
  if (wantsTable(request.accept)) {
    return toTable(
      type.printer,
      [object],
      includeObjectOf(request.query),
      store.currentResourceVersion(),
    );
  }
  return object;
}

export function listObjects(store: ObjectStore, request: RestRequest): unknown {
  const { type, namespace } = request.route;
  const matches = parseSelectors(request.query);
  const { items, resourceVersion } = store.list(type.key, type.namespaced ? namespace : undefined);
  const selected = items.filter(matches).map((object) => withTypeMeta(type, object));
  if (wantsTable(request.accept)) {
    return toTable(type.printer, selected, includeObjectOf(request.query), resourceVersion);
  }
  return {
    kind: `${type.kind}List`,
    apiVersion: apiVersionOf(type),
    metadata: { resourceVersion },
    items: selected,
  };
}

// ---------------------------------------------------------------- POST

function requireNamespaceExists(store: ObjectStore, route: ResourceRoute): void {
  if (!route.type.namespaced || !route.namespace) return;
  if (!store.get("namespaces", undefined, route.namespace)) {
    throw new ApiError(404, "NotFound", `namespaces "${route.namespace}" not found`, {
      name: route.namespace,
      kind: "namespaces",
    });
  }
}

const isDryRun = (query: URLSearchParams) => query.getAll("dryRun").includes("All");

export function createObject(
  store: ObjectStore,
  request: RestRequest,
): { code: number; object: KubeObject } {
  const { route } = request;
  if (route.name)
    throw new ApiError(
      405,
      "MethodNotAllowed",
      `POST is not allowed on a single ${route.type.kind}; send it to the collection`,
    );
  const object = parseObjectBody(request);
  placeInNamespace(route, object);
  const meta = object.metadata;
  if (!meta.name && !meta.generateName) {
    throw invalid(
      route.type,
      "",
      "metadata.name",
      "Required value: name or generateName is required",
    );
  }
  requireNamespaceExists(store, route);
  delete meta.deletionTimestamp;
  delete meta.deletionGracePeriodSeconds;
  delete meta.managedFields;
  resetStatusForCreate(route.type, object);
  applyDefaults(route.type, object);
  if (!meta.name) meta.name = `${meta.generateName ?? ""}${generatedSuffix()}`;
  validateObject(route.type, object);
  if (isDryRun(request.query)) return { code: 201, object };
  refuseResourceVersionOnCreate(meta.resourceVersion);
  try {
    return { code: 201, object: withTypeMeta(route.type, store.create(route.type.key, object)) };
  } catch (error) {
    throw toApiError(error, route.type);
  }
}

/**
 * What etcd3's store.Create answers an object that carries a resourceVersion (typically one
 * read back with `kubectl get -o yaml` and created again): the storage error
 * ErrResourceVersionSetOnCreate, which reaches the client as a Status with code 500 and no
 * reason. As upstream, it comes after admission and validation and before AlreadyExists, only
 * for a version that parses as a number other than 0 (kubernetes#113847), and not on dry runs
 * (the dry-run storage never gets that far).
 */
function refuseResourceVersionOnCreate(resourceVersion: string | undefined): void {
  if (!resourceVersion || !/^\d+$/.test(resourceVersion) || /^0+$/.test(resourceVersion)) return;
  throw new ApiError(500, "", "resourceVersion should not be set on objects to be created");
}

/** Five characters from the alphabet Kubernetes uses for generateName (no vowels, no look-alikes). */
function generatedSuffix(): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  return Array.from(
    { length: 5 },
    () => alphabet[Math.floor(Math.random() * alphabet.length)],
  ).join("");
}

// ---------------------------------------------------------------- PUT and PATCH

const hasStatusSubresource = (type: ResourceType) =>
  type.subresources.some((sub) => sub.name === "status");

/**
 * Stores a new version of an object. The main resource keeps the stored status (it is the
 * `status` subresource's to change), the status subresource changes nothing but status.
 */
function storeUpdate(
  store: ObjectStore,
  request: RestRequest,
  current: KubeObject,
  next: KubeObject,
): KubeObject {
  const { route } = request;
  const name = requireName(route);
  if (next.metadata.name !== undefined && next.metadata.name !== name) {
    throw badRequest(
      `the name of the object (${String(next.metadata.name)}) does not match the name on the URL (${name})`,
    );
  }
  let updated: KubeObject;
  if (route.subresource === "status") {
    updated = { ...current, status: next.status };
    updated.metadata = {
      ...current.metadata,
      resourceVersion: next.metadata.resourceVersion || current.metadata.resourceVersion,
    };
  } else {
    updated = withTypeMeta(route.type, next);
    updated.metadata = { ...next.metadata, name, namespace: current.metadata.namespace };
    if (!route.type.namespaced) delete updated.metadata.namespace;
    for (const key of [
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "uid",
      "creationTimestamp",
    ] as const) {
      if (current.metadata[key] === undefined) delete updated.metadata[key];
      else (updated.metadata as Loose)[key] = current.metadata[key];
    }
    if (!updated.metadata.resourceVersion)
      updated.metadata.resourceVersion = current.metadata.resourceVersion;
    if (hasStatusSubresource(route.type)) {
      if (current.status === undefined) delete updated.status;
      else updated.status = current.status;
    }
    // Defaults are filled on create only: objects the sandbox seeds straight into the store
    // lack them, and filling them in on a later update would look like a template change
    // to the controllers (a rollout nobody asked for).
    validateObject(route.type, updated);
  }
  if (isDryRun(request.query)) return updated;
  if (isNoOp(current, updated)) return withTypeMeta(route.type, current);
  try {
    return withTypeMeta(route.type, store.update(route.type.key, updated));
  } catch (error) {
    throw toApiError(error, route.type);
  }
}

/**
 * A write that changes nothing is not stored, as on a real API server: no new
 * resourceVersion, no MODIFIED event for the controllers to react to.
 */
function isNoOp(current: KubeObject, updated: KubeObject): boolean {
  if (updated.metadata.resourceVersion !== current.metadata.resourceVersion) return false;
  const comparable = (object: KubeObject) =>
    canonicalJson({ ...object, apiVersion: undefined, kind: undefined });
  return comparable(current) === comparable(updated);
}

/** JSON with object keys sorted, so two equal objects built in different orders compare equal. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, child: unknown) =>
    child && typeof child === "object" && !Array.isArray(child)
      ? Object.fromEntries(
          Object.entries(child as Loose).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : child,
  );
}

export function replaceObject(store: ObjectStore, request: RestRequest): KubeObject {
  const current = readObject(store, request.route);
  const next = parseObjectBody(request);
  if (!next.metadata.resourceVersion) {
    // A PUT without resourceVersion is an unconditional update, as on a real server.
    next.metadata.resourceVersion = current.metadata.resourceVersion;
  }
  return storeUpdate(store, request, current, next);
}

/** Applies a patch of the request's Content-Type to a copy of the object. */
export function applyPatch<T>(request: RestRequest, target: T, kind: string): T {
  const patchType = request.contentType.split(";")[0]?.trim() ?? "";
  const patch = parseBody(request);
  try {
    switch (patchType) {
      case PATCH_TYPES.json:
        return applyJsonPatch(target, patch);
      case PATCH_TYPES.merge:
        return applyMergePatch(target, patch);
      case PATCH_TYPES.strategic:
        return applyStrategicMergePatch(target, patch, kind);
      default:
        throw new ApiError(
          415,
          "UnsupportedMediaType",
          `the body of the request was in an unknown format - accepted media types include: ${Object.values(PATCH_TYPES).join(", ")}`,
        );
    }
  } catch (error) {
    if (error instanceof JsonPatchTestFailed) {
      throw new ApiError(
        422,
        "Invalid",
        `the server rejected our request due to an error in our request: ${error.message}`,
      );
    }
    throw error;
  }
}

export function patchObject(store: ObjectStore, request: RestRequest): KubeObject {
  const current = withTypeMeta(request.route.type, readObject(store, request.route));
  const patched = applyPatch(request, current, request.route.type.kind);
  if (!patched || typeof patched !== "object" || !patched.metadata) {
    throw badRequest(`the patch leaves no ${request.route.type.kind} object`);
  }
  return storeUpdate(store, request, current, patched);
}

// ---------------------------------------------------------------- DELETE

const RETURNS_DELETED_OBJECT = new Set(["pods", "namespaces"]);

const PROPAGATION_POLICIES = ["Orphan", "Background", "Foreground"];

interface DeleteOptions {
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
  /** The deprecated spelling of `propagationPolicy: Orphan`. */
  orphanDependents?: boolean;
}

function parseDeleteOptions(request: RestRequest): DeleteOptions {
  const options: DeleteOptions = {};
  if (request.body.length > 0 && request.body.toString("utf8").trim()) {
    const body = parseBody(request) as DeleteOptions;
    Object.assign(options, body);
  }
  const grace = request.query.get("gracePeriodSeconds");
  if (grace !== null) options.gracePeriodSeconds = Number(grace);
  const propagation = request.query.get("propagationPolicy");
  if (propagation !== null) options.propagationPolicy = propagation;
  if (
    options.propagationPolicy !== undefined &&
    !PROPAGATION_POLICIES.includes(options.propagationPolicy)
  ) {
    throw badRequest(
      `propagationPolicy "${options.propagationPolicy}" is not one of ${PROPAGATION_POLICIES.join(", ")}`,
    );
  }
  if (
    options.gracePeriodSeconds !== undefined &&
    !(Number.isInteger(options.gracePeriodSeconds) && options.gracePeriodSeconds >= 0)
  ) {
    throw badRequest(
      `gracePeriodSeconds "${String(options.gracePeriodSeconds)}" must be a whole number of seconds, 0 or more`,
    );
  }
  return options;
}

export function deleteObject(store: ObjectStore, request: RestRequest): unknown {
  const { route } = request;
  if (route.subresource)
    throw new ApiError(
      405,
      "MethodNotAllowed",
      `DELETE is not allowed on ${route.type.plural}/${route.subresource}`,
    );
  const current = readObject(store, route);
  const options = parseDeleteOptions(request);
  const { uid, resourceVersion } = options.preconditions ?? {};
  if (
    (uid && uid !== current.metadata.uid) ||
    (resourceVersion && resourceVersion !== current.metadata.resourceVersion)
  ) {
    throw new ApiError(
      409,
      "Conflict",
      `Precondition failed for ${route.type.key} "${current.metadata.name}": the object has changed since the request was made`,
      {
        name: current.metadata.name,
        kind: route.type.plural,
      },
    );
  }
  if (isDryRun(request.query)) return withTypeMeta(route.type, current);
  try {
    if (route.type.key === "pods" && options.gracePeriodSeconds !== 0) {
      const grace = options.gracePeriodSeconds ?? podGracePeriod(current);
      return withTypeMeta(
        route.type,
        requestPodDeletion(store, current.metadata.namespace ?? "", current.metadata.name, grace),
      );
    }
    if (options.propagationPolicy === "Orphan" || options.orphanDependents === true) {
      // What the garbage collector does before the owner goes (see orphan-dependents.ts).
      orphanDependents(
        store,
        RESOURCES.filter((type) => type.namespaced === route.type.namespaced).map(
          (type) => type.key,
        ),
        current,
      );
    }
    const deleted = store.delete(route.type.key, current.metadata.namespace, current.metadata.name);
    // Pods and namespaces answer with the object, everything else with a Status, as the
    // generic registry's ReturnDeletedObject decides on a real API server.
    if (RETURNS_DELETED_OBJECT.has(route.type.key)) return withTypeMeta(route.type, deleted);
    return successStatus({
      name: deleted.metadata.name,
      ...(route.type.group ? { group: route.type.group } : {}),
      kind: route.type.plural,
      uid: deleted.metadata.uid,
    });
  } catch (error) {
    throw toApiError(error, route.type);
  }
}

function podGracePeriod(pod: KubeObject): number {
  const grace = (pod.spec as Loose | undefined)?.terminationGracePeriodSeconds;
  return typeof grace === "number" ? grace : 30;
}

// ---------------------------------------------------------------- scale

/** The autoscaling/v1 Scale of a StatefulSet or Deployment. */
export function scaleOf(object: KubeObject): Loose {
  const spec = (object.spec as Loose | undefined) ?? {};
  const status = (object.status as Loose | undefined) ?? {};
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: object.metadata.name,
      namespace: object.metadata.namespace,
      uid: object.metadata.uid,
      resourceVersion: object.metadata.resourceVersion,
      creationTimestamp: object.metadata.creationTimestamp,
    },
    spec: { replicas: typeof spec.replicas === "number" ? spec.replicas : 1 },
    status: {
      replicas: typeof status.replicas === "number" ? status.replicas : 0,
      selector: formatLabelSelector(spec.selector),
    },
  };
}

export function updateScale(
  store: ObjectStore,
  request: RestRequest,
  method: "PUT" | "PATCH",
): Loose {
  const { route } = request;
  const current = readObject(store, route);
  const currentScale = scaleOf(current);
  const nextScale = (
    method === "PUT" ? parseBody(request) : applyPatch(request, currentScale, "Scale")
  ) as Loose;
  const replicas = (nextScale?.spec as Loose | undefined)?.replicas;
  if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
    throw invalid(
      route.type,
      current.metadata.name,
      "spec.replicas",
      `Invalid value: ${JSON.stringify(replicas)}: must be a whole number, 0 or more`,
    );
  }
  const requestedVersion = (nextScale.metadata as Loose | undefined)?.resourceVersion;
  const updated = structuredClone(current);
  (updated.spec as Loose).replicas = replicas;
  if (typeof requestedVersion === "string" && requestedVersion)
    updated.metadata.resourceVersion = requestedVersion;
  if (isDryRun(request.query)) return scaleOf(updated);
  if (isNoOp(current, updated)) return scaleOf(current);
  try {
    return scaleOf(store.update(route.type.key, updated));
  } catch (error) {
    throw toApiError(error, route.type);
  }
}

export function readScale(store: ObjectStore, request: RestRequest): Loose {
  return scaleOf(readObject(store, request.route));
}
