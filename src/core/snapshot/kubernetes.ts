/**
 * Turns etcd keys and values into what a Kubernetes operator recognises: the resource,
 * namespace and name of a `/registry/...` key, and a value's encoding (protobuf, JSON,
 * encrypted at rest) and readable object. Decoding is separate from reading the bolt
 * file, as in etcd-io/auger; an encrypted value is reported, never decrypted.
 */
import { fieldsOf, ProtobufError, WireType, type Field } from "./protobuf.ts";

export const DEFAULT_REGISTRY_PREFIX = "/registry/";

/** Storage paths that differ from the resource's name (kube-apiserver's historic keys). */
const STORAGE_PATH_TO_RESOURCE: Record<string, string> = {
  controllers: "replicationcontrollers",
  "services/endpoints": "endpoints",
  "services/specs": "services",
  minions: "nodes",
  ingress: "ingresses",
};

export interface RegistryKey {
  /** The resource as kubectl names it: `configmaps`, `nodes`, `widgets.example.com`. */
  resource: string;
  /** The resource part of the key as stored: `minions`, `example.com/widgets`. */
  storagePath: string;
  /** Absent for cluster-scoped objects. */
  namespace?: string;
  name: string;
}

/** Parses `/registry/<resource>/[<namespace>/]<name>`; undefined for other keys. */
export function parseRegistryKey(
  key: string,
  registryPrefix = DEFAULT_REGISTRY_PREFIX,
): RegistryKey | undefined {
  if (!key.startsWith(registryPrefix)) return undefined;
  const segments = key.slice(registryPrefix.length).split("/");
  if (segments.length < 2 || segments.some((segment) => segment === "")) return undefined;
  const [first, second] = segments as [string, string];
  let storagePath: string;
  let resource: string;
  let rest: string[];
  if (STORAGE_PATH_TO_RESOURCE[`${first}/${second}`] && segments.length >= 3) {
    storagePath = `${first}/${second}`;
    resource = STORAGE_PATH_TO_RESOURCE[storagePath]!;
    rest = segments.slice(2);
  } else if (first.includes(".") && segments.length >= 3) {
    // Custom resources and aggregated APIs: /registry/<group>/<resource>/...
    storagePath = `${first}/${second}`;
    resource = `${second}.${first}`;
    rest = segments.slice(2);
  } else {
    storagePath = first;
    resource = STORAGE_PATH_TO_RESOURCE[first] ?? first;
    rest = segments.slice(1);
  }
  if (rest.length === 1) return { resource, storagePath, name: rest[0]! };
  return { resource, storagePath, namespace: rest[0]!, name: rest.slice(1).join("/") };
}

/**
 * Whether `wanted` (as an operator types it) names this key's resource: `nodes` or the
 * stored `minions`, `widgets.example.com` or just `widgets`.
 */
export function resourceMatches(key: RegistryKey | undefined, wanted: string): boolean {
  if (!key) return false;
  const normalized = wanted.toLowerCase();
  return (
    key.resource === normalized ||
    key.storagePath === normalized ||
    key.resource.split(".")[0] === normalized
  );
}

export type ValueEncoding = "protobuf" | "json" | "encrypted" | "other";

export interface EncryptionInfo {
  /** aescbc, aesgcm, secretbox, kms, ... */
  provider: string;
  /** v1, v2 */
  version: string;
  /** The key (or KMS plugin) name the value was encrypted with. */
  keyName: string;
  /** The whole prefix as stored, e.g. `k8s:enc:aescbc:v1:key1:`. */
  prefix: string;
}

const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"
const ENCRYPTED_PREFIX = "k8s:enc:";

/** Encoding of a value from its first bytes (a few hundred are plenty). */
export function detectEncoding(head: Buffer): {
  encoding: ValueEncoding;
  encryption?: EncryptionInfo;
} {
  // Byte comparisons, no strings: this runs for every key of a listing.
  if (startsWith(head, PROTOBUF_MAGIC)) return PROTOBUF;
  if (startsWith(head, ENCRYPTED_PREFIX_BYTES)) {
    return { encoding: "encrypted", encryption: parseEncryptionPrefix(head) };
  }
  let index = 0;
  while (index < head.length && JSON_WHITESPACE.has(head[index]!)) index++;
  const first = head[index];
  if (first === 0x7b /* { */ || first === 0x5b /* [ */) return JSON_ENCODING;
  return OTHER;
}

const PROTOBUF = { encoding: "protobuf" } as const;
const JSON_ENCODING = { encoding: "json" } as const;
const OTHER = { encoding: "other" } as const;
const ENCRYPTED_PREFIX_BYTES = Buffer.from(ENCRYPTED_PREFIX, "latin1");
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

function startsWith(bytes: Buffer, prefix: Buffer): boolean {
  return (
    bytes.length >= prefix.length && bytes.compare(prefix, 0, prefix.length, 0, prefix.length) === 0
  );
}

/** `k8s:enc:<provider>:<version>:<keyName>:` (identity and unknown shapes kept as found). */
function parseEncryptionPrefix(head: Buffer): EncryptionInfo {
  const text = head.subarray(0, 256).toString("latin1");
  const parts = text.split(":");
  const provider = parts[2] ?? "";
  const version = parts[3] ?? "";
  const keyName = parts.length > 5 ? (parts[4] ?? "") : "";
  const prefix = keyName ? `${parts.slice(0, 5).join(":")}:` : `${parts.slice(0, 4).join(":")}:`;
  return { provider, version, keyName, prefix };
}

export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  uid?: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  subresource?: string;
}

/** metav1.ObjectMeta in its JSON shape; empty fields left out, as the API does. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  selfLink?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: ManagedFieldsEntry[];
}

/** A value made readable. */
export type DecodedValue =
  | { encoding: "json"; object: unknown }
  | {
      encoding: "protobuf";
      apiVersion: string;
      kind: string;
      metadata: ObjectMeta;
      /** Fields after metadata (spec, status, data, ...): their sizes, since the schema is not known here. */
      undecodedFields: Array<{ field: number; bytes: number }>;
      contentType?: string;
      contentEncoding?: string;
    }
  | { encoding: "encrypted"; encryption: EncryptionInfo; ciphertextBytes: number }
  | { encoding: "other"; bytes: number; text?: string; problem?: string };

/** Decodes a whole value; never throws for damaged or unknown bytes, it says so instead. */
export function decodeValue(value: Buffer): DecodedValue {
  const { encoding, encryption } = detectEncoding(value.subarray(0, 256));
  if (encoding === "encrypted" && encryption) {
    return { encoding, encryption, ciphertextBytes: value.length - encryption.prefix.length };
  }
  if (encoding === "json") {
    try {
      return { encoding, object: JSON.parse(value.toString("utf8")) };
    } catch (error) {
      return {
        encoding: "other",
        bytes: value.length,
        problem: `looks like JSON but does not parse: ${(error as Error).message}`,
      };
    }
  }
  if (encoding === "protobuf") {
    try {
      return decodeProtobufObject(value.subarray(PROTOBUF_MAGIC.length));
    } catch (error) {
      if (!(error instanceof ProtobufError)) throw error;
      return {
        encoding: "other",
        bytes: value.length,
        problem: `has the k8s protobuf prefix but does not decode: ${error.message}`,
      };
    }
  }
  const text = value.toString("utf8");
  // eslint-disable-next-line no-control-regex
  const printable = !text.includes("\uFFFD") && !/[\x00-\x08\x0e-\x1f]/.test(text);
  return { encoding: "other", bytes: value.length, ...(printable ? { text } : {}) };
}

/** runtime.Unknown: typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4. */
function decodeProtobufObject(envelope: Buffer): DecodedValue {
  let apiVersion = "";
  let kind = "";
  let raw: Buffer = Buffer.alloc(0);
  let contentEncoding = "";
  let contentType = "";
  for (const field of fieldsOf(envelope)) {
    if (field.number === 1 && field.wireType === WireType.bytes) {
      for (const typeField of fieldsOf(field.bytes)) {
        if (typeField.number === 1) apiVersion = text(typeField);
        if (typeField.number === 2) kind = text(typeField);
      }
    } else if (field.number === 2) raw = field.bytes;
    else if (field.number === 3) contentEncoding = text(field);
    else if (field.number === 4) contentType = text(field);
  }
  let metadata: ObjectMeta = {};
  const undecodedFields: Array<{ field: number; bytes: number }> = [];
  for (const field of fieldsOf(raw)) {
    if (field.number === 1 && field.wireType === WireType.bytes)
      metadata = decodeObjectMeta(field.bytes);
    else undecodedFields.push({ field: field.number, bytes: field.bytes.length });
  }
  return {
    encoding: "protobuf",
    apiVersion,
    kind,
    metadata,
    undecodedFields,
    ...(contentType ? { contentType } : {}),
    ...(contentEncoding ? { contentEncoding } : {}),
  };
}

function decodeObjectMeta(bytes: Buffer): ObjectMeta {
  const meta: ObjectMeta = {};
  for (const field of fieldsOf(bytes)) {
    switch (field.number) {
      case 1:
        meta.name = text(field);
        break;
      case 2:
        meta.generateName = text(field);
        break;
      case 3:
        meta.namespace = text(field);
        break;
      case 4:
        meta.selfLink = text(field);
        break;
      case 5:
        meta.uid = text(field);
        break;
      case 6:
        meta.resourceVersion = text(field);
        break;
      case 7:
        meta.generation = field.varint;
        break;
      case 8:
        meta.creationTimestamp = decodeTime(field.bytes);
        break;
      case 9:
        meta.deletionTimestamp = decodeTime(field.bytes);
        break;
      case 10:
        meta.deletionGracePeriodSeconds = field.varint;
        break;
      case 11:
        (meta.labels ??= {})[mapKey(field.bytes)] = mapValue(field.bytes);
        break;
      case 12:
        (meta.annotations ??= {})[mapKey(field.bytes)] = mapValue(field.bytes);
        break;
      case 13:
        (meta.ownerReferences ??= []).push(decodeOwnerReference(field.bytes));
        break;
      case 14:
        (meta.finalizers ??= []).push(text(field));
        break;
      case 17:
        (meta.managedFields ??= []).push(decodeManagedFieldsEntry(field.bytes));
        break;
    }
  }
  return omitEmpty(meta);
}

/** metav1.Time {seconds=1, nanos=2}, shown as the API shows it (RFC 3339, seconds). */
function decodeTime(bytes: Buffer): string {
  let seconds = 0;
  for (const field of fieldsOf(bytes)) if (field.number === 1) seconds = field.varint;
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}

function mapKey(entry: Buffer): string {
  for (const field of fieldsOf(entry)) if (field.number === 1) return text(field);
  return "";
}

function mapValue(entry: Buffer): string {
  for (const field of fieldsOf(entry)) if (field.number === 2) return text(field);
  return "";
}

/** OwnerReference: kind=1, name=3, uid=4, apiVersion=5, controller=6, blockOwnerDeletion=7. */
function decodeOwnerReference(bytes: Buffer): OwnerReference {
  const reference: OwnerReference = {};
  for (const field of fieldsOf(bytes)) {
    if (field.number === 1) reference.kind = text(field);
    else if (field.number === 3) reference.name = text(field);
    else if (field.number === 4) reference.uid = text(field);
    else if (field.number === 5) reference.apiVersion = text(field);
    else if (field.number === 6) reference.controller = field.varint !== 0;
    else if (field.number === 7) reference.blockOwnerDeletion = field.varint !== 0;
  }
  return reference;
}

/** ManagedFieldsEntry: manager=1, operation=2, apiVersion=3, time=4, subresource=8. */
function decodeManagedFieldsEntry(bytes: Buffer): ManagedFieldsEntry {
  const entry: ManagedFieldsEntry = {};
  for (const field of fieldsOf(bytes)) {
    if (field.number === 1) entry.manager = text(field);
    else if (field.number === 2) entry.operation = text(field);
    else if (field.number === 3) entry.apiVersion = text(field);
    else if (field.number === 4) entry.time = decodeTime(field.bytes);
    else if (field.number === 8) entry.subresource = text(field);
  }
  return entry;
}

function text(field: Field): string {
  if (field.wireType !== WireType.bytes)
    throw new ProtobufError(`field ${field.number} should be a string`);
  return field.bytes.toString("utf8");
}

function omitEmpty(meta: ObjectMeta): ObjectMeta {
  const entries = Object.entries(meta).filter(([, value]) => value !== "" && value !== undefined);
  return Object.fromEntries(entries) as ObjectMeta;
}
