/**
 * The three patch types kubectl and client-node send: JSON patch (RFC 6902), JSON merge
 * patch (RFC 7386) and strategic merge patch, the Kubernetes flavour in which lists such
 * as containers, env and volumes merge by a key instead of being replaced, with the
 * `$patch`, `$retainKeys`, `$setElementOrder/...` and `$deleteFromPrimitiveList/...`
 * directives kubectl's client-side apply and `rollout restart` produce.
 */
import { badRequest } from "./status.ts";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

export const PATCH_TYPES = {
  json: "application/json-patch+json",
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
} as const;

// ---------------------------------------------------------------- RFC 6902 JSON patch

interface JsonPatchOperation {
  op: "add" | "remove" | "replace" | "move" | "copy" | "test";
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === "") return [];
  if (!pointer.startsWith("/"))
    throw badRequest(`json patch path "${pointer}" must start with "/"`);
  return pointer
    .slice(1)
    .split("/")
    .map((token) => token.replace(/~1/g, "/").replace(/~0/g, "~"));
}

/** The container that holds the pointer's last token, and that token. */
function locate(document: Json, pointer: string): { parent: Json; token: string } {
  const tokens = parsePointer(pointer);
  const token = tokens.pop();
  if (token === undefined)
    throw badRequest(`json patch path "${pointer}" cannot address the whole object`);
  let parent: Json = document;
  for (const step of tokens) {
    const next: Json | undefined = Array.isArray(parent)
      ? parent[Number(step)]
      : isObject(parent)
        ? parent[step]
        : undefined;
    if (next === undefined)
      throw badRequest(`json patch path "${pointer}" does not exist: no "${step}"`);
    parent = next;
  }
  return { parent, token };
}

function readPointer(document: Json, pointer: string): Json {
  if (pointer === "") return document;
  const { parent, token } = locate(document, pointer);
  const value = Array.isArray(parent)
    ? parent[Number(token)]
    : isObject(parent)
      ? parent[token]
      : undefined;
  if (value === undefined) throw badRequest(`json patch path "${pointer}" does not exist`);
  return value;
}

function arrayIndex(array: Json[], token: string, pointer: string, forInsert: boolean): number {
  if (forInsert && token === "-") return array.length;
  const index = Number(token);
  const limit = forInsert ? array.length : array.length - 1;
  if (!/^\d+$/.test(token) || index > limit) {
    throw badRequest(
      `json patch path "${pointer}" has index ${token}, outside the list of ${array.length}`,
    );
  }
  return index;
}

function addAt(document: Json, pointer: string, value: Json): void {
  const { parent, token } = locate(document, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, pointer, true), 0, value);
  else if (isObject(parent)) parent[token] = value;
  else
    throw badRequest(
      `json patch path "${pointer}" points into a value that is not an object or list`,
    );
}

function removeAt(document: Json, pointer: string): Json {
  const { parent, token } = locate(document, pointer);
  if (Array.isArray(parent))
    return parent.splice(arrayIndex(parent, token, pointer, false), 1)[0] ?? null;
  if (isObject(parent) && Object.hasOwn(parent, token)) {
    const removed = parent[token] ?? null;
    delete parent[token];
    return removed;
  }
  throw badRequest(`json patch cannot remove "${pointer}": it does not exist`);
}

export function applyJsonPatch<T>(target: T, operations: unknown): T {
  if (!Array.isArray(operations)) throw badRequest("a json patch must be a list of operations");
  const document = { root: structuredClone(target) as Json } as JsonObject;
  const at = (path: string) => `/root${path}`;
  for (const operation of operations as JsonPatchOperation[]) {
    if (!isObject(operation as unknown) || typeof operation.path !== "string") {
      throw badRequest(`json patch operation ${JSON.stringify(operation)} needs "op" and "path"`);
    }
    switch (operation.op) {
      case "add":
        addAt(document, at(operation.path), structuredClone(operation.value ?? null));
        break;
      case "remove":
        removeAt(document, at(operation.path));
        break;
      case "replace":
        removeAt(document, at(operation.path));
        addAt(document, at(operation.path), structuredClone(operation.value ?? null));
        break;
      case "move":
        addAt(document, at(operation.path), removeAt(document, at(operation.from ?? "")));
        break;
      case "copy":
        addAt(
          document,
          at(operation.path),
          structuredClone(readPointer(document, at(operation.from ?? ""))),
        );
        break;
      case "test":
        if (
          JSON.stringify(readPointer(document, at(operation.path))) !==
          JSON.stringify(operation.value)
        ) {
          throw new JsonPatchTestFailed(operation.path);
        }
        break;
      default:
        throw badRequest(
          `json patch operation "${String(operation.op)}" is not one of add, remove, replace, move, copy, test`,
        );
    }
  }
  return document.root as T;
}

export class JsonPatchTestFailed extends Error {
  constructor(readonly path: string) {
    super(`json patch test operation failed at "${path}"`);
  }
}

// ---------------------------------------------------------------- RFC 7386 merge patch

export function applyMergePatch<T>(target: T, patch: unknown): T {
  return mergePatchValue(structuredClone(target) as Json, patch as Json) as T;
}

function mergePatchValue(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: JsonObject = isObject(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatchValue(result[key] ?? null, value);
  }
  return result;
}

// ---------------------------------------------------------------- strategic merge patch

/** How a list field merges: by a key of its items, as a set of primitives, or replaced. */
interface ListField {
  mergeKey?: string;
  /** Primitive lists merged as sets (finalizers). */
  primitiveSet?: boolean;
  item?: Schema;
}
interface Schema {
  fields?: Record<string, Schema>;
  lists?: Record<string, ListField>;
}

const objectMeta: Schema = {
  lists: { ownerReferences: { mergeKey: "uid" }, finalizers: { primitiveSet: true } },
};
const container: Schema = {
  lists: {
    ports: { mergeKey: "containerPort" },
    env: { mergeKey: "name" },
    volumeMounts: { mergeKey: "mountPath" },
    volumeDevices: { mergeKey: "devicePath" },
  },
};
const podSpec: Schema = {
  lists: {
    containers: { mergeKey: "name", item: container },
    initContainers: { mergeKey: "name", item: container },
    ephemeralContainers: { mergeKey: "name", item: container },
    volumes: { mergeKey: "name" },
    imagePullSecrets: { mergeKey: "name" },
    hostAliases: { mergeKey: "ip" },
    topologySpreadConstraints: { mergeKey: "topologyKey" },
    resourceClaims: { mergeKey: "name" },
    schedulingGates: { mergeKey: "name" },
  },
};
const conditionsByType: Schema = { lists: { conditions: { mergeKey: "type" } } };
const podTemplate: Schema = { fields: { metadata: objectMeta, spec: podSpec } };
const withTemplate: Schema = { fields: { template: podTemplate } };

/** The strategic-merge schema of each kind, from the patchMergeKey tags of k8s.io/api. */
const KIND_SCHEMAS: Record<string, Schema> = {
  Pod: {
    fields: {
      spec: podSpec,
      status: { lists: { conditions: { mergeKey: "type" }, podIPs: { mergeKey: "ip" } } },
    },
  },
  StatefulSet: { fields: { spec: withTemplate, status: conditionsByType } },
  Deployment: { fields: { spec: withTemplate, status: conditionsByType } },
  Node: {
    fields: {
      status: { lists: { conditions: { mergeKey: "type" }, addresses: { mergeKey: "type" } } },
    },
  },
  Service: { fields: { spec: { lists: { ports: { mergeKey: "port" } } } } },
  PodDisruptionBudget: { fields: { status: conditionsByType } },
  PersistentVolumeClaim: { fields: { status: conditionsByType } },
  Namespace: { fields: { status: conditionsByType } },
};

export function strategicSchemaFor(kind: string): Schema {
  const schema = KIND_SCHEMAS[kind] ?? {};
  return { ...schema, fields: { metadata: objectMeta, ...schema.fields } };
}

const SET_ORDER = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/";

export function applyStrategicMergePatch<T>(target: T, patch: unknown, kind: string): T {
  if (!isObject(patch)) throw badRequest("a strategic merge patch must be a JSON object");
  const original = structuredClone(target) as Json;
  return mergeObject(isObject(original) ? original : {}, patch, strategicSchemaFor(kind)) as T;
}

function mergeObject(
  original: JsonObject,
  patch: JsonObject,
  schema: Schema,
): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === "replace") return stripDirectives(withoutKey(patch, "$patch")) as JsonObject;
  if (directive === "delete") return undefined;
  if (directive !== undefined)
    throw badRequest(
      `strategic merge patch directive "$patch: ${String(directive)}" is not replace or delete`,
    );

  const retainKeys = patch.$retainKeys;
  if (Array.isArray(retainKeys)) {
    for (const key of Object.keys(original)) if (!retainKeys.includes(key)) delete original[key];
  }
  for (const [key, values] of Object.entries(patch)) {
    if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    const current = original[field];
    if (Array.isArray(current) && Array.isArray(values)) {
      original[field] = current.filter((value) => !values.some((gone) => gone === value));
    }
  }

  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith("$")) continue;
    if (value === null) {
      delete original[key];
      continue;
    }
    const listField = schema.lists?.[key];
    const merged = Array.isArray(value)
      ? mergeList(original[key], value, listField)
      : mergeValue(original[key], value, schema.fields?.[key] ?? listField?.item ?? {});
    if (merged === undefined) delete original[key];
    else original[key] = merged;
  }

  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ORDER) || !Array.isArray(order)) continue;
    const field = key.slice(SET_ORDER.length);
    const current = original[field];
    if (Array.isArray(current))
      original[field] = orderElements(current, order, schema.lists?.[field]?.mergeKey);
  }
  return original;
}

function mergeValue(original: Json | undefined, patch: Json, schema: Schema): Json | undefined {
  if (isObject(patch)) return mergeObject(isObject(original) ? original : {}, patch, schema);
  return structuredClone(patch);
}

function mergeList(
  original: Json | undefined,
  patch: Json[],
  listField: ListField | undefined,
): Json[] {
  const replaceAll = patch.some((item) => isObject(item) && item.$patch === "replace");
  const current = Array.isArray(original) && !replaceAll ? original : [];
  const items = patch.filter((item) => !(isObject(item) && item.$patch === "replace"));
  if (listField?.primitiveSet) {
    return [...current, ...items.filter((item) => !current.includes(item))];
  }
  const mergeKey = listField?.mergeKey;
  if (!mergeKey)
    return items
      .filter((item) => !(isObject(item) && item.$patch === "delete"))
      .map(stripDirectives);
  const merged = [...current];
  for (const item of items) {
    if (!isObject(item)) {
      merged.push(item);
      continue;
    }
    const index = merged.findIndex(
      (existing) => isObject(existing) && existing[mergeKey] === item[mergeKey],
    );
    if (item.$patch === "delete") {
      if (index >= 0) merged.splice(index, 1);
      continue;
    }
    const existing = index >= 0 ? merged[index] : undefined;
    const result = mergeObject(isObject(existing) ? existing : {}, item, listField.item ?? {});
    if (result === undefined) {
      if (index >= 0) merged.splice(index, 1);
    } else if (index >= 0) {
      merged[index] = result;
    } else {
      merged.push(result);
    }
  }
  return merged;
}

/** `$setElementOrder`: the listed elements in the listed order, others after them. */
function orderElements(items: Json[], order: Json[], mergeKey: string | undefined): Json[] {
  const identity = (value: Json) => (mergeKey && isObject(value) ? value[mergeKey] : value);
  const rank = (value: Json) => order.findIndex((entry) => identity(entry) === identity(value));
  const listed = items.filter((item) => rank(item) >= 0).sort((a, b) => rank(a) - rank(b));
  return [...listed, ...items.filter((item) => rank(item) < 0)];
}

function withoutKey(object: JsonObject, key: string): JsonObject {
  const copy = { ...object };
  delete copy[key];
  return copy;
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const result: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (!key.startsWith("$")) result[key] = stripDirectives(child);
  }
  return result;
}
