/**
 * `etcdctl snapshot status`, without etcd: the same integrity check first, then the same
 * numbers, computed the same way, so the two can be compared field by field.
 */
import type { LeafEntry } from "./bolt.ts";
import { BoltImage } from "./bolt.ts";
import { PageTracker, walkChecked } from "./check.ts";
import { Crc32c } from "./crc32c.ts";
import { SnapshotError } from "./errors.ts";
import { uint64At } from "./mvcc.ts";

/** Exactly the fields and meaning of `etcdctl snapshot status -w json`. */
export interface SnapshotStatus {
  /** CRC-32C over every top-level bucket's name and every entry's key and value. */
  hash: number;
  /** Main revision of the last entry of bucket `key` (0 for an empty store). */
  revision: number;
  /** Entries across all top-level buckets. */
  totalKey: number;
  /** Bytes of the bolt image (page count x page size), trailer excluded. */
  totalSize: number;
}

const KEY_BUCKET = Buffer.from("key");
/** Values bigger than this are hashed in pieces, so memory stays flat. */
const VALUE_CHUNK = 1024 * 1024;

/** Reads the status of the snapshot at `file`; throws a SnapshotError if it is damaged. */
export function readSnapshotStatus(file: string): SnapshotStatus {
  return BoltImage.with(file, (image) => statusOf(image));
}

export function statusOf(image: BoltImage): SnapshotStatus {
  image.assertComplete();
  const hash = new Crc32c();
  let totalKey = 0;
  let revision = 0;
  try {
    walkChecked(image, "eager", new PageTracker(image), {
      onBucket: (bucketName) => hash.update(bucketName),
      onEntry: (bucketName, entry) => {
        totalKey++;
        hashEntry(hash, entry);
        if (bucketName.equals(KEY_BUCKET) && entry.key.length >= 8) {
          revision = uint64At(entry.key, 0);
        }
      },
    });
  } catch (error) {
    if (error instanceof SnapshotError) {
      throw new SnapshotError(
        `Snapshot integrity check failed: ${error.message}`,
        error.file,
        error.page,
      );
    }
    throw error;
  }
  return { hash: hash.value, revision, totalKey, totalSize: image.imageSize };
}

function hashEntry(hash: Crc32c, entry: LeafEntry): void {
  // bolt's ForEach hands a nested bucket's value as nil: only its key is hashed.
  if (entry.isBucket) {
    hash.update(entry.key);
    return;
  }
  const contiguous = entry.loadedKeyAndValue();
  if (contiguous) {
    hash.update(contiguous);
    return;
  }
  hash.update(entry.key);
  for (let offset = 0; offset < entry.valueLength; offset += VALUE_CHUNK) {
    hash.update(entry.valueRange(offset, VALUE_CHUNK));
  }
}
