/**
 * The sandbox's object store: what etcd is to a real API server. Holds every object by
 * resource, namespace and name, hands out resourceVersions from one counter, and keeps a
 * short event log so a watch can start from a recent resourceVersion (older ones get 410
 * Expired, as on a real cluster). The API server and the controllers both work through it.
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  generateName?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
  }>;
  [field: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";
export interface WatchEvent {
  type: WatchEventType;
  /** The resource key the object belongs to, e.g. "pods" or "statefulsets.apps". */
  resource: string;
  object: KubeObject;
}

export type StoreErrorReason = "NotFound" | "AlreadyExists" | "Conflict" | "Expired" | "Invalid";
const statusCodes: Record<StoreErrorReason, number> = {
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  Expired: 410,
  Invalid: 422,
};

/** A failure the API server turns into a Status object with the matching code. */
export class StoreError extends Error {
  readonly code: number;
  constructor(
    readonly reason: StoreErrorReason,
    message: string,
    readonly details: { name?: string; resource?: string } = {},
  ) {
    super(message);
    this.code = statusCodes[reason];
  }
}

const EVENT_LOG_LENGTH = 2000;

/** Deep copy, so nobody outside the store can change a stored object in place. */
const copy = <T>(value: T): T => structuredClone(value);

/**
 * A resource key names a resource the way the API does: the plural, then ".group" for
 * resources outside the core group ("pods", "statefulsets.apps", "poddisruptionbudgets.policy").
 */
export class ObjectStore {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly events: Array<WatchEvent & { resourceVersion: number }> = [];
  private readonly emitter = new EventEmitter();
  private revision = 1;

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  currentResourceVersion(): string {
    return String(this.revision);
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(resource).get(objectKey(namespace, name));
    return found && copy(found);
  }

  /** Like get, but a missing object is a NotFound StoreError. */
  require(resource: string, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(resource, namespace, name);
    if (!found) throw notFound(resource, name);
    return found;
  }

  /** Objects of a resource, in one namespace or (namespace undefined) all, sorted by key. */
  list(resource: string, namespace?: string): { items: KubeObject[]; resourceVersion: string } {
    const items = [...this.bucket(resource).entries()]
      .filter(([, object]) => namespace === undefined || object.metadata.namespace === namespace)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, object]) => copy(object));
    return { items, resourceVersion: this.currentResourceVersion() };
  }

  create(resource: string, object: KubeObject): KubeObject {
    const stored = copy(object);
    const meta = stored.metadata;
    if (!meta.name && meta.generateName) meta.name = meta.generateName + randomSuffix();
    if (!meta.name) throw new StoreError("Invalid", `${resource}: metadata.name is required`);
    const bucket = this.bucket(resource);
    const key = objectKey(meta.namespace, meta.name);
    if (bucket.has(key)) {
      throw new StoreError(
        "AlreadyExists",
        `${resourceDisplayName(resource)} "${meta.name}" already exists`,
        { name: meta.name, resource },
      );
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    meta.generation = 1;
    delete meta.deletionTimestamp;
    meta.resourceVersion = String(++this.revision);
    bucket.set(key, stored);
    this.record("ADDED", resource, stored);
    return copy(stored);
  }

  /**
   * Replaces an object. With a resourceVersion in the new object's metadata, the update
   * happens only if it still matches (optimistic concurrency, 409 Conflict otherwise).
   * The generation goes up when the spec changes, as a real API server does.
   */
  update(resource: string, object: KubeObject): KubeObject {
    const meta = object.metadata;
    const bucket = this.bucket(resource);
    const key = objectKey(meta.namespace, meta.name);
    const current = bucket.get(key);
    if (!current) throw notFound(resource, meta.name);
    if (meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) {
      throw new StoreError(
        "Conflict",
        `Operation cannot be fulfilled on ${resourceDisplayName(resource)} "${meta.name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name: meta.name, resource },
      );
    }
    const stored = copy(object);
    stored.metadata.uid = current.metadata.uid;
    stored.metadata.creationTimestamp = current.metadata.creationTimestamp;
    const specChanged = JSON.stringify(stored.spec) !== JSON.stringify(current.spec);
    stored.metadata.generation = (current.metadata.generation ?? 1) + (specChanged ? 1 : 0);
    stored.metadata.resourceVersion = String(++this.revision);
    bucket.set(key, stored);
    this.record("MODIFIED", resource, stored);
    return copy(stored);
  }

  /** Read-modify-write for controllers: applies change to the current object and stores it. */
  mutate(
    resource: string,
    namespace: string | undefined,
    name: string,
    change: (object: KubeObject) => void,
  ): KubeObject {
    const current = this.require(resource, namespace, name);
    const before = JSON.stringify(current);
    change(current);
    if (JSON.stringify(current) === before) return current;
    return this.update(resource, current);
  }

  delete(resource: string, namespace: string | undefined, name: string): KubeObject {
    const bucket = this.bucket(resource);
    const key = objectKey(namespace, name);
    const current = bucket.get(key);
    if (!current) throw notFound(resource, name);
    bucket.delete(key);
    current.metadata.resourceVersion = String(++this.revision);
    this.record("DELETED", resource, current);
    return copy(current);
  }

  /**
   * Calls listener for every change of a resource (optionally one namespace) after
   * resourceVersion fromVersion; returns the function that stops the watch. A version older
   * than the event log throws a StoreError "Expired" (HTTP 410), as etcd compaction does.
   */
  watch(
    resource: string,
    namespace: string | undefined,
    fromVersion: string | undefined,
    listener: (event: WatchEvent) => void,
  ): () => void {
    const matches = (event: WatchEvent) =>
      event.resource === resource &&
      (namespace === undefined || event.object.metadata.namespace === namespace);
    if (fromVersion !== undefined && fromVersion !== "" && fromVersion !== "0") {
      const from = Number(fromVersion);
      const oldest = this.events[0]?.resourceVersion ?? this.revision + 1;
      if (!Number.isFinite(from) || (from < oldest - 1 && this.events.length >= EVENT_LOG_LENGTH)) {
        throw new StoreError("Expired", `too old resource version: ${fromVersion} (${oldest})`);
      }
      for (const event of this.events) {
        if (event.resourceVersion > from && matches(event)) listener(copy(event));
      }
    }
    const onEvent = (event: WatchEvent) => {
      if (matches(event)) listener(copy(event));
    };
    this.emitter.on("event", onEvent);
    return () => this.emitter.off("event", onEvent);
  }

  /** Every resource key that has had an object, for debugging and dumps. */
  resources(): string[] {
    return [...this.objects.keys()].sort();
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let bucket = this.objects.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    return bucket;
  }

  private record(type: WatchEventType, resource: string, object: KubeObject): void {
    const event = { type, resource, object: copy(object) };
    this.events.push({ ...event, resourceVersion: Number(object.metadata.resourceVersion) });
    if (this.events.length > EVENT_LOG_LENGTH) this.events.shift();
    this.emitter.emit("event", event);
  }
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

/** "statefulsets.apps" -> "statefulsets.apps", "pods" -> "pods": the name errors use. */
export function resourceDisplayName(resource: string): string {
  return resource;
}

function notFound(resource: string, name: string): StoreError {
  return new StoreError("NotFound", `${resourceDisplayName(resource)} "${name}" not found`, {
    name,
    resource,
  });
}

function randomSuffix(): string {
  const alphabet = "bcdfghjklmnpqrstvwxz2456789";
  let suffix = "";
  for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(Math.random() * alphabet.length)];
  return suffix;
}
