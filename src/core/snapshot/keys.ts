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

/** Slots per chunk of columns: columns grow a chunk at a time, never copied. */
const SLOT_SHIFT = 14;
const SLOTS_PER_CHUNK = 1 << SLOT_SHIFT;
const SLOT_MASK = SLOTS_PER_CHUNK - 1;
/** Bytes per piece of the key arena (a longer key gets a piece of its own). */
const ARENA_PIECE = 1024 * 1024;

/** The facts of SLOTS_PER_CHUNK keys, one typed array per column. */
interface SlotChunk {
  /** Which arena piece holds the key, and where in it. */
  piece: Uint32Array;
  start: Uint32Array;
  length: Uint32Array;
  alive: Uint8Array;
  encoding: Uint8Array;
  /** NUMBER_COLUMNS per slot. */
  numbers: Float64Array;
}

function newChunk(): SlotChunk {
  return {
    piece: new Uint32Array(SLOTS_PER_CHUNK),
    start: new Uint32Array(SLOTS_PER_CHUNK),
    length: new Uint32Array(SLOTS_PER_CHUNK),
    alive: new Uint8Array(SLOTS_PER_CHUNK),
    encoding: new Uint8Array(SLOTS_PER_CHUNK),
    numbers: new Float64Array(SLOTS_PER_CHUNK * NUMBER_COLUMNS),
  };
}

/**
 * The latest entry of each key, kept in columns: the key's bytes in an arena, its facts in
 * typed arrays, and an open-addressing hash table of slot numbers, so a listing of a
 * million keys holds about 100 bytes per key and no object per key at all (a Map of
 * strings cost ~200 bytes per key). Columns and arena grow in fixed pieces, never by
 * copying: a doubled array leaves its old copy for the collector, and those copies were a
 * third of the listing's peak memory. A deleted key keeps its slot, marked dead, and comes
 * back to it if put again.
 */
class LatestEntries {
  private readonly pieces: Buffer[] = [];
  private pieceUsed = ARENA_PIECE;
  private readonly chunks: SlotChunk[] = [];
  /** Slot + 1 per bucket (0: empty); at least twice as many buckets as slots. */
  private table = new Int32Array(1024);
  private used = 0;
  private liveCount = 0;
  /** Only the few keys with a lease or an encryption prefix pay for them. */
  private readonly leases = new Map<number, string>();
  private readonly encryptions = new Map<number, EncryptionInfo>();

  get size(): number {
    return this.liveCount;
  }

  set(key: Buffer, latest: LatestEntry): void {
    let slot = this.find(key);
    if (slot < 0) slot = this.add(key);
    const chunk = this.chunks[slot >>> SLOT_SHIFT]!;
    const index = slot & SLOT_MASK;
    if (!chunk.alive[index]) {
      chunk.alive[index] = 1;
      this.liveCount++;
    }
    const at = index * NUMBER_COLUMNS;
    chunk.numbers[at] = latest.createRevision;
    chunk.numbers[at + 1] = latest.modRevision;
    chunk.numbers[at + 2] = latest.version;
    chunk.numbers[at + 3] = latest.valueLength;
    chunk.numbers[at + 4] = latest.valueFileOffset;
    chunk.encoding[index] = ENCODING_CODES.get(latest.encoding)!;
    if (latest.lease) this.leases.set(slot, latest.lease);
    else this.leases.delete(slot);
    if (latest.encryption) this.encryptions.set(slot, latest.encryption);
    else this.encryptions.delete(slot);
  }

  delete(key: Buffer): void {
    const slot = this.slotOf(key);
    if (slot < 0) return;
    this.chunks[slot >>> SLOT_SHIFT]!.alive[slot & SLOT_MASK] = 0;
    this.liveCount--;
    this.leases.delete(slot);
    this.encryptions.delete(slot);
  }

  /** The live slot of `key`, or -1. */
  slotOf(key: Buffer): number {
    const slot = this.find(key);
    return slot >= 0 && this.chunks[slot >>> SLOT_SHIFT]!.alive[slot & SLOT_MASK] ? slot : -1;
  }

  get(slot: number): LatestEntry {
    const chunk = this.chunks[slot >>> SLOT_SHIFT]!;
    const at = (slot & SLOT_MASK) * NUMBER_COLUMNS;
    const encryption = this.encryptions.get(slot);
    return {
      createRevision: chunk.numbers[at]!,
      modRevision: chunk.numbers[at + 1]!,
      version: chunk.numbers[at + 2]!,
      lease: this.leases.get(slot) ?? "",
      valueLength: chunk.numbers[at + 3]!,
      valueFileOffset: chunk.numbers[at + 4]!,
      encoding: ENCODINGS[chunk.encoding[slot & SLOT_MASK]!]!,
      ...(encryption ? { encryption } : {}),
    };
  }

  valueLength(slot: number): number {
    return this.chunks[slot >>> SLOT_SHIFT]!.numbers[(slot & SLOT_MASK) * NUMBER_COLUMNS + 3]!;
  }

  /** The key as text: its bytes decoded as UTF-8 (etcd keys are, nearly always, ASCII). */
  keyText(slot: number): string {
    const chunk = this.chunks[slot >>> SLOT_SHIFT]!;
    const index = slot & SLOT_MASK;
    const start = chunk.start[index]!;
    return this.pieces[chunk.piece[index]!]!.toString("utf8", start, start + chunk.length[index]!);
  }

  /** The live slots in etcd's order: the keys' bytes compared unsigned, shorter first on a tie. */
  sortedSlots(): Int32Array {
    const slots = new Int32Array(this.liveCount);
    let next = 0;
    for (let slot = 0; slot < this.used; slot++) {
      if (this.chunks[slot >>> SLOT_SHIFT]!.alive[slot & SLOT_MASK]) slots[next++] = slot;
    }
    return slots.sort((a, b) => this.compareKeys(a, b));
  }

  private compareKeys(a: number, b: number): number {
    const aChunk = this.chunks[a >>> SLOT_SHIFT]!;
    const bChunk = this.chunks[b >>> SLOT_SHIFT]!;
    const aIndex = a & SLOT_MASK;
    const bIndex = b & SLOT_MASK;
    const aPiece = this.pieces[aChunk.piece[aIndex]!]!;
    const bPiece = this.pieces[bChunk.piece[bIndex]!]!;
    const aStart = aChunk.start[aIndex]!;
    const bStart = bChunk.start[bIndex]!;
    const aLength = aChunk.length[aIndex]!;
    const bLength = bChunk.length[bIndex]!;
    const common = Math.min(aLength, bLength);
    for (let offset = 0; offset < common; offset++) {
      const difference = aPiece[aStart + offset]! - bPiece[bStart + offset]!;
      if (difference !== 0) return difference;
    }
    return aLength - bLength;
  }

  private find(key: Buffer): number {
    const mask = this.table.length - 1;
    for (let bucket = hashOf(key) & mask; ; bucket = (bucket + 1) & mask) {
      const entry = this.table[bucket]!;
      if (entry === 0) return -1;
      if (this.keyEquals(entry - 1, key)) return entry - 1;
    }
  }

  private keyEquals(slot: number, key: Buffer): boolean {
    const chunk = this.chunks[slot >>> SLOT_SHIFT]!;
    const index = slot & SLOT_MASK;
    const length = chunk.length[index]!;
    if (length !== key.length) return false;
    const piece = this.pieces[chunk.piece[index]!]!;
    const start = chunk.start[index]!;
    for (let offset = 0; offset < length; offset++) {
      if (piece[start + offset] !== key[offset]) return false;
    }
    return true;
  }

  private add(key: Buffer): number {
    const slot = this.used++;
    if (slot >>> SLOT_SHIFT >= this.chunks.length) this.chunks.push(newChunk());
    if (this.pieceUsed + key.length > ARENA_PIECE || this.pieces.length === 0) {
      this.pieces.push(Buffer.allocUnsafe(Math.max(ARENA_PIECE, key.length)));
      this.pieceUsed = 0;
    }
    const chunk = this.chunks[slot >>> SLOT_SHIFT]!;
    const index = slot & SLOT_MASK;
    key.copy(this.pieces[this.pieces.length - 1]!, this.pieceUsed);
    chunk.piece[index] = this.pieces.length - 1;
    chunk.start[index] = this.pieceUsed;
    chunk.length[index] = key.length;
    this.pieceUsed += key.length;
    if (this.used * 2 > this.table.length) this.rehash(this.table.length * 2);
    else this.insert(slot, hashOf(key));
    return slot;
  }

  private insert(slot: number, hash: number): void {
    const mask = this.table.length - 1;
    let bucket = hash & mask;
    while (this.table[bucket] !== 0) bucket = (bucket + 1) & mask;
    this.table[bucket] = slot + 1;
  }

  private rehash(buckets: number): void {
    this.table = new Int32Array(buckets);
    for (let slot = 0; slot < this.used; slot++) {
      const chunk = this.chunks[slot >>> SLOT_SHIFT]!;
      const index = slot & SLOT_MASK;
      const start = chunk.start[index]!;
      const piece = this.pieces[chunk.piece[index]!]!;
      this.insert(slot, hashOf(piece.subarray(start, start + chunk.length[index]!)));
    }
  }
}

/** FNV-1a over the key's bytes, 32 bits. */
function hashOf(key: Buffer): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash = Math.imul(hash ^ key[index]!, 0x01000193);
  }
  return hash >>> 0;
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
    if (entryRevision.tombstone) {
      entries.delete(header.key);
      return;
    }
    // Keep only small facts: the page's bytes are gone after this callback.
    const { encoding, encryption } = detectEncoding(header.valueHead);
    entries.set(header.key, {
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
  /** Counts of those keys per resource, by resource name (free after a forEach). */
  readonly resources: ResourceCount[];
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
  const listing = snapshotKeysOf(image, options);
  const keys: SnapshotKey[] = [];
  listing.forEach((key) => keys.push(key));
  // After the visit, which counted them.
  return {
    revision: listing.revision,
    compactRevision: listing.compactRevision,
    keys,
    resources: listing.resources,
  };
}

function snapshotKeysOf(image: BoltImage, options: ListOptions): SnapshotKeys {
  const { entries, revision } = latestEntries(image, keyFilter(options));
  const sorted = entries.sortedSlots();
  // Counted by the first whole visit (ls prints the counts after the keys), or by a visit
  // of their own when asked for first: parsing every key once more costs as much as listing.
  let resources: ResourceCount[] | undefined;
  const visit = (onKey: (key: SnapshotKey, latest: LatestEntry) => void) => {
    const counts = new Map<string, ResourceCount>();
    for (const slot of sorted) {
      const latest = entries.get(slot);
      const summary = summarize(entries.keyText(slot), latest, options.registryPrefix);
      const name = summary.resource ?? NOT_KUBERNETES;
      const count = counts.get(name) ?? { resource: name, count: 0, valueBytes: 0 };
      count.count++;
      count.valueBytes += latest.valueLength;
      counts.set(name, count);
      onKey(summary, latest);
    }
    resources ??= [...counts.values()].sort((a, b) => a.resource.localeCompare(b.resource));
  };
  return {
    revision,
    compactRevision: compactRevisionOf(image),
    count: sorted.length,
    get resources() {
      if (resources === undefined) visit(() => {});
      return resources!;
    },
    forEach(onKey) {
      visit((summary, latest) => {
        if (options.digest) summary.valueSha256 = sha256Of(image, latest);
        onKey(summary);
      });
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

function summarize(key: string, latest: LatestEntry, registryPrefix?: string): SnapshotKey {
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
    const slot = entries.slotOf(wanted);
    if (slot < 0) return undefined;
    const latest = entries.get(slot);
    return {
      ...summarize(entries.keyText(slot), latest, options.registryPrefix),
      value:
        latest.valueLength === 0
          ? Buffer.alloc(0)
          : image.read(latest.valueFileOffset, latest.valueLength),
    };
  });
}
