/**
 * The store as etcd serves it at the snapshot's revision: every live key with its latest
 * KeyValue, tombstones and superseded revisions resolved (per key, the highest revision
 * wins and a tombstone removes the key), in key byte order.
 */
import { createHash } from "node:crypto";
import { BoltImage, printable, type LeafEntry } from "./bolt.ts";
import { snapshotError } from "./errors.ts";
import {
  detectEncoding,
  parseRegistryKey,
  resourceMatches,
  type EncryptionInfo,
  type ValueEncoding,
} from "./kubernetes.ts";
import {
  parseRevisionKey,
  readKeyValueHeader,
  type KeyValueHeader,
  type Revision,
} from "./mvcc.ts";
import { ProtobufError } from "./protobuf.ts";

/** One live key, as `snapshot ls` shows it. */
export interface SnapshotKey {
  key: string;
  /** The Kubernetes resource, namespace and name, for `/registry/...` keys. */
  resource?: string;
  namespace?: string;
  name?: string;
  createRevision: number;
  modRevision: number;
  version: number;
  /** Lease id (hex, as `etcdctl lease list` shows it) the key is attached to. */
  lease?: string;
  valueSize: number;
  encoding: ValueEncoding;
  encryption?: EncryptionInfo;
  /** sha256 of the value, when asked for (diff). */
  valueSha256?: string;
}

export interface ListOptions {
  /** Only keys of this resource (`configmaps`, `nodes`/`minions`, `widgets.example.com`). */
  resource?: string;
  namespace?: string;
  /** Only keys starting with this. */
  prefix?: string;
  /** Where Kubernetes keys start (kube-apiserver --etcd-prefix); `/registry/` by default. */
  registryPrefix?: string;
  /** Also compute each value's sha256 (reads every live value). */
  digest?: boolean;
}

export interface ResourceCount {
  /** `(none)` for keys that are not Kubernetes objects. */
  resource: string;
  count: number;
  valueBytes: number;
}

export interface SnapshotListing {
  /** The snapshot's revision (the last revision in bucket `key`). */
  revision: number;
  /** Revisions at or below this were compacted away; 0 if never compacted. */
  compactRevision: number;
  keys: SnapshotKey[];
  /** Counts of the listed keys per resource, by resource name. */
  resources: ResourceCount[];
}

export const NOT_KUBERNETES = "(none)";

/** The latest KeyValue of one key, and where its value sits in the file. */
interface LatestEntry {
  createRevision: number;
  modRevision: number;
  version: number;
  lease: string;
  valueLength: number;
  valueFileOffset: number;
  encoding: ValueEncoding;
  encryption?: EncryptionInfo;
}

const ENCODINGS: ValueEncoding[] = ["protobuf", "json", "encrypted", "other"];
const ENCODING_CODES = new Map(ENCODINGS.map((encoding, code) => [encoding, code]));

/**
 * The latest entry of each key, kept in columns: per key a string and a slot in a few
 * typed arrays, not an object, so a listing of a million keys holds what it needs (key,
 * revisions, size, where the value is) and little else. Slots of deleted keys are reused.
 */
class LatestEntries {
  private readonly slots = new Map<string, number>();
  private readonly freeSlots: number[] = [];
  private used = 0;
  private numbers = new Float64Array(0);
  private encodings = new Uint8Array(0);
  /** Only the few keys with a lease or an encryption prefix pay for them. */
  private readonly leases = new Map<number, string>();
  private readonly encryptions = new Map<number, EncryptionInfo>();

  get size(): number {
    return this.slots.size;
  }

  set(mapKey: string, latest: LatestEntry): void {
    let slot = this.slots.get(mapKey);
    if (slot === undefined) {
      slot = this.freeSlots.pop() ?? this.newSlot();
      this.slots.set(mapKey, slot);
    }
    const at = slot * NUMBER_COLUMNS;
    this.numbers[at] = latest.createRevision;
    this.numbers[at + 1] = latest.modRevision;
    this.numbers[at + 2] = latest.version;
    this.numbers[at + 3] = latest.valueLength;
    this.numbers[at + 4] = latest.valueFileOffset;
    this.encodings[slot] = ENCODING_CODES.get(latest.encoding)!;
    if (latest.lease) this.leases.set(slot, latest.lease);
    else this.leases.delete(slot);
    if (latest.encryption) this.encryptions.set(slot, latest.encryption);
    else this.encryptions.delete(slot);
  }

  delete(mapKey: string): void {
    const slot = this.slots.get(mapKey);
    if (slot === undefined) return;
    this.slots.delete(mapKey);
    this.leases.delete(slot);
    this.encryptions.delete(slot);
    this.freeSlots.push(slot);
  }

  get(mapKey: string): LatestEntry | undefined {
    const slot = this.slots.get(mapKey);
    if (slot === undefined) return undefined;
    const at = slot * NUMBER_COLUMNS;
    const encryption = this.encryptions.get(slot);
    return {
      createRevision: this.numbers[at]!,
      modRevision: this.numbers[at + 1]!,
      version: this.numbers[at + 2]!,
      lease: this.leases.get(slot) ?? "",
      valueLength: this.numbers[at + 3]!,
      valueFileOffset: this.numbers[at + 4]!,
      encoding: ENCODINGS[this.encodings[slot]!]!,
      ...(encryption ? { encryption } : {}),
    };
  }

  valueLength(mapKey: string): number {
    const slot = this.slots.get(mapKey);
    return slot === undefined ? 0 : this.numbers[slot * NUMBER_COLUMNS + 3]!;
  }

  /**
   * The keys in etcd's order (byte order): the map keys are latin1 strings, one character
   * per byte, and the default sort compares them code unit by code unit.
   */
  sortedKeys(): string[] {
    return [...this.slots.keys()].sort();
  }

  private newSlot(): number {
    const slot = this.used++;
    if (slot >= this.encodings.length) {
      const capacity = Math.max(1024, this.encodings.length * 2);
      const numbers = new Float64Array(capacity * NUMBER_COLUMNS);
      numbers.set(this.numbers);
      this.numbers = numbers;
      const encodings = new Uint8Array(capacity);
      encodings.set(this.encodings);
      this.encodings = encodings;
    }
    return slot;
  }
}

/** createRevision, modRevision, version, valueLength, valueFileOffset. */
const NUMBER_COLUMNS = 5;

/**
 * Walks bucket `key` once, keeping the latest entry of each key `wanted` accepts. Reads
 * only the first page of each leaf and a few bytes around each KeyValue's fields.
 */
function latestEntries(
  image: BoltImage,
  wanted: (key: Buffer) => boolean,
): { entries: LatestEntries; revision: number } {
  image.assertComplete();
  const keyBucket = image.findBucket("key");
  if (!keyBucket) {
    throw snapshotError(
      image.file,
      `has no bucket "key", so it is a bolt file but not an etcd v3 snapshot.`,
    );
  }
  const entries = new LatestEntries();
  let revision = 0;
  image.walk(keyBucket, "lazy", (entry) => {
    const entryRevision = revisionOf(image, entry);
    revision = entryRevision.main;
    const header = keyValueOf(image, entry, entryRevision);
    if (!wanted(header.key)) return;
    const mapKey = header.key.toString("latin1");
    if (entryRevision.tombstone) {
      entries.delete(mapKey);
      return;
    }
    // Keep only small facts: the page's bytes are gone after this callback.
    const { encoding, encryption } = detectEncoding(header.valueHead);
    entries.set(mapKey, {
      createRevision: header.createRevision,
      modRevision: header.modRevision,
      version: header.version,
      lease: header.lease,
      valueLength: header.valueLength,
      valueFileOffset: entry.valueFileOffset + header.valueOffset,
      encoding,
      ...(encryption ? { encryption } : {}),
    });
  });
  return { entries, revision };
}

function revisionOf(image: BoltImage, entry: LeafEntry): Revision {
  // etcd nests no buckets; bolt would hand such an entry's value over as nil.
  if (entry.isBucket) {
    throw snapshotError(
      image.file,
      `bucket "key" holds a nested bucket ${printable(entry.key)}, where etcd keeps only revisions: the page is damaged.`,
      entry.page.id,
    );
  }
  const revision = parseRevisionKey(entry.key);
  if (!revision) {
    throw snapshotError(
      image.file,
      `bucket "key" holds key ${printable(entry.key)}, which is not an etcd revision ` +
        `(17 bytes: main, "_", sub; 18 with a trailing "t"): the page is damaged.`,
      entry.page.id,
    );
  }
  return revision;
}

function keyValueOf(image: BoltImage, entry: LeafEntry, revision: Revision): KeyValueHeader {
  try {
    return readKeyValueHeader(entry);
  } catch (error) {
    if (!(error instanceof ProtobufError)) throw error;
    throw snapshotError(
      image.file,
      `the value of revision ${revision.main}.${revision.sub} in bucket "key" is not an etcd KeyValue ` +
        `(${error.message}): the page is damaged.`,
      entry.page.id,
    );
  }
}

/** The compaction revision etcd recorded in bucket `meta` (key `finishedCompactRev`). */
function compactRevisionOf(image: BoltImage): number {
  const metaBucket = image.findBucket("meta");
  if (!metaBucket) return 0;
  let compactRevision = 0;
  const wanted = Buffer.from("finishedCompactRev");
  image.walk(metaBucket, "lazy", (entry) => {
    if (!entry.key.equals(wanted)) return undefined;
    compactRevision = parseRevisionKey(entry.value())?.main ?? 0;
    return "stop";
  });
  return compactRevision;
}

/**
 * The live keys of a snapshot, visited in key order one at a time: `snapshot ls` prints
 * each as it comes, so listing a million keys holds their columns (LatestEntries), never a
 * million objects at once.
 */
export interface SnapshotKeys {
  /** The snapshot's revision (the last revision in bucket `key`). */
  revision: number;
  /** Revisions at or below this were compacted away; 0 if never compacted. */
  compactRevision: number;
  /** Keys that pass the filters. */
  count: number;
  /** Counts of those keys per resource, by resource name. */
  resources: ResourceCount[];
  /** Calls `onKey` for each key in byte order; a fresh object each time, so keep what you need. */
  forEach(onKey: (key: SnapshotKey) => void): void;
}

/** Opens the snapshot at `file`, hands its live keys to `body`, and closes it. */
export function withSnapshotKeys<T>(
  file: string,
  options: ListOptions,
  body: (keys: SnapshotKeys) => T,
): T {
  return BoltImage.with(file, (image) => body(snapshotKeysOf(image, options)));
}

/** Lists the live keys of the snapshot at `file`, filtered as asked, sorted by key. */
export function listSnapshotKeys(file: string, options: ListOptions = {}): SnapshotListing {
  return BoltImage.with(file, (image) => listKeysOf(image, options));
}

export function listKeysOf(image: BoltImage, options: ListOptions = {}): SnapshotListing {
  const { revision, compactRevision, resources, forEach } = snapshotKeysOf(image, options);
  const keys: SnapshotKey[] = [];
  forEach((key) => keys.push(key));
  return { revision, compactRevision, keys, resources };
}

function snapshotKeysOf(image: BoltImage, options: ListOptions): SnapshotKeys {
  const { entries, revision } = latestEntries(image, keyFilter(options));
  const sorted = entries.sortedKeys();
  const resources = new Map<string, ResourceCount>();
  for (const mapKey of sorted) {
    const resource = parseRegistryKey(keyText(mapKey), options.registryPrefix)?.resource;
    const name = resource ?? NOT_KUBERNETES;
    const count = resources.get(name) ?? { resource: name, count: 0, valueBytes: 0 };
    count.count++;
    count.valueBytes += entries.valueLength(mapKey);
    resources.set(name, count);
  }
  return {
    revision,
    compactRevision: compactRevisionOf(image),
    count: sorted.length,
    resources: [...resources.values()].sort((a, b) => a.resource.localeCompare(b.resource)),
    forEach(onKey) {
      for (const mapKey of sorted) {
        const latest = entries.get(mapKey)!;
        const summary = summarize(mapKey, latest, options.registryPrefix);
        if (options.digest) summary.valueSha256 = sha256Of(image, latest);
        onKey(summary);
      }
    },
  };
}

/**
 * Which keys the listing keeps, decided on the key alone while walking: a key's resource
 * and namespace never change between its revisions, so filtering before keeping the
 * latest entry gives the same result as filtering after, and keeps far less.
 */
function keyFilter(options: ListOptions): (key: Buffer) => boolean {
  const prefix = options.prefix === undefined ? undefined : Buffer.from(options.prefix);
  const { resource, namespace, registryPrefix } = options;
  return (key) => {
    if (prefix !== undefined && !key.subarray(0, prefix.length).equals(prefix)) return false;
    if (resource === undefined && namespace === undefined) return true;
    const registryKey = parseRegistryKey(key.toString("utf8"), registryPrefix);
    if (resource !== undefined && !resourceMatches(registryKey, resource)) return false;
    return namespace === undefined || registryKey?.namespace === namespace;
  };
}

/** A byte above 0x7f in a latin1 map key: without one, latin1 and UTF-8 read the same. */
const NON_ASCII = /[\x80-\xff]/;

/** The key as text (UTF-8) from its latin1 map key. */
function keyText(mapKey: string): string {
  // Nearly every etcd key is ASCII: skip a Buffer per key to decode it.
  return NON_ASCII.test(mapKey) ? Buffer.from(mapKey, "latin1").toString("utf8") : mapKey;
}

function summarize(mapKey: string, latest: LatestEntry, registryPrefix?: string): SnapshotKey {
  const key = keyText(mapKey);
  const registryKey = parseRegistryKey(key, registryPrefix);
  return {
    key,
    ...(registryKey
      ? {
          resource: registryKey.resource,
          ...(registryKey.namespace ? { namespace: registryKey.namespace } : {}),
          name: registryKey.name,
        }
      : {}),
    createRevision: latest.createRevision,
    modRevision: latest.modRevision,
    version: latest.version,
    ...(latest.lease ? { lease: latest.lease } : {}),
    valueSize: latest.valueLength,
    encoding: latest.encoding,
    ...(latest.encryption ? { encryption: latest.encryption } : {}),
  };
}

const DIGEST_CHUNK = 1024 * 1024;

function sha256Of(image: BoltImage, latest: LatestEntry): string {
  const hash = createHash("sha256");
  const length = latest.valueLength;
  for (let offset = 0; offset < length; offset += DIGEST_CHUNK) {
    hash.update(
      image.read(latest.valueFileOffset + offset, Math.min(DIGEST_CHUNK, length - offset)),
    );
  }
  return hash.digest("hex");
}

/** One key at the snapshot's revision, with its raw value bytes. */
export interface SnapshotValue extends SnapshotKey {
  value: Buffer;
}

/** The latest value of `key`, or undefined when the key is not live in the snapshot. */
export function readSnapshotKey(
  file: string,
  key: string | Buffer,
  options: { registryPrefix?: string } = {},
): SnapshotValue | undefined {
  return BoltImage.with(file, (image) => {
    const wanted = typeof key === "string" ? Buffer.from(key) : key;
    const { entries } = latestEntries(image, (candidate) => candidate.equals(wanted));
    const latest = entries.get(wanted.toString("latin1"));
    if (!latest) return undefined;
    return {
      ...summarize(wanted.toString("latin1"), latest, options.registryPrefix),
      value:
        latest.valueLength === 0
          ? Buffer.alloc(0)
          : image.read(latest.valueFileOffset, latest.valueLength),
    };
  });
}
