/**
 * bolt's `tx.Check()`, which `etcdctl snapshot status` runs before anything else: every
 * reachable page is referenced once, lies inside the image, and is a branch or leaf page;
 * with a synced freelist, no page is both free and reachable and none is lost.
 */
import type { BoltImage, BucketRoot, LeafEntry, Page, PageObserver, ReadMode } from "./bolt.ts";
import { PAGE_HEADER_SIZE, PageFlag, pageTypeName, printable } from "./bolt.ts";
import { snapshotError } from "./errors.ts";

/** The shape of one bucket's tree, for reports and for tests that need deep trees. */
export interface BucketShape {
  name: string;
  entries: number;
  /** Levels from the root page to the leaves (1: the root is a leaf; 0: inline). */
  depth: number;
  branchPages: number;
  leafPages: number;
  overflowPages: number;
}

/** Marks every page a walk reaches and refuses a page reached twice. */
export class PageTracker implements PageObserver {
  private readonly reachable: Uint8Array;
  private readonly freed: Uint8Array;
  readonly shapes = new Map<string, BucketShape>();

  private readonly image: BoltImage;

  constructor(image: BoltImage) {
    this.image = image;
    this.reachable = new Uint8Array(image.pageCount);
    this.freed = new Uint8Array(image.pageCount);
    this.reachable[0] = 1;
    this.reachable[1] = 1;
    this.loadFreelist();
  }

  onPage(page: Page, bucketName: string, depth: number): void {
    for (let id = page.id; id <= page.id + page.overflow; id++) {
      if (this.reachable[id]) {
        throw snapshotError(
          this.image.file,
          `page ${id} is referenced twice (again from bucket "${bucketName}"): the tree is damaged.`,
          page.id,
        );
      }
      this.reachable[id] = 1;
    }
    if (this.freed[page.id]) {
      throw snapshotError(this.image.file, `page is both reachable and on the freelist.`, page.id);
    }
    const shape = this.shape(bucketName);
    shape.depth = Math.max(shape.depth, depth);
    shape.overflowPages += page.overflow;
    if (page.flags & PageFlag.branch) shape.branchPages++;
    else if (page.flags & PageFlag.leaf) {
      shape.leafPages++;
      shape.entries += page.count;
    }
  }

  shape(bucketName: string): BucketShape {
    let shape = this.shapes.get(bucketName);
    if (!shape) {
      shape = {
        name: bucketName,
        entries: 0,
        depth: 0,
        branchPages: 0,
        leafPages: 0,
        overflowPages: 0,
      };
      this.shapes.set(bucketName, shape);
    }
    return shape;
  }

  /** Counts an inline bucket's entries (its page is part of its parent's value). */
  noteInline(bucket: BucketRoot): void {
    if (bucket.kind === "inline") this.shape(bucket.name).entries += bucket.page.count;
  }

  /**
   * Pages neither reachable nor free. etcd does not sync the freelist (NoFreelistSync),
   * and then bolt rebuilds it as "every unreachable page", so only a synced freelist
   * can reveal lost pages.
   */
  assertNoLostPages(): void {
    if (this.image.meta.freelistPageId === undefined) return;
    for (let id = 2; id < this.image.pageCount; id++) {
      if (!this.reachable[id] && !this.freed[id]) {
        throw snapshotError(
          this.image.file,
          `page is neither reachable nor free (unreachable unfreed).`,
          id,
        );
      }
    }
  }

  private loadFreelist(): void {
    const freelistPageId = this.image.meta.freelistPageId;
    if (freelistPageId === undefined) return;
    const file = this.image.file;
    if (freelistPageId < 2 || freelistPageId >= this.image.pageCount) {
      throw snapshotError(
        file,
        `the meta page points to freelist page ${freelistPageId}, outside the image.`,
      );
    }
    const header = this.image.read(
      freelistPageId * this.image.pageSize,
      PAGE_HEADER_SIZE,
      freelistPageId,
    );
    const flags = header.readUInt16LE(8);
    if (!(flags & PageFlag.freelist)) {
      throw snapshotError(
        file,
        `the meta page's freelist page is a ${pageTypeName(flags)} page.`,
        freelistPageId,
      );
    }
    const overflow = header.readUInt32LE(12);
    const span = (overflow + 1) * this.image.pageSize;
    const page = this.image.read(freelistPageId * this.image.pageSize, span, freelistPageId);
    for (
      let id = freelistPageId;
      id <= freelistPageId + overflow && id < this.image.pageCount;
      id++
    ) {
      this.reachable[id] = 1;
    }
    let count = header.readUInt16LE(10);
    let idsAt = PAGE_HEADER_SIZE;
    // A count of 0xFFFF means the real count is the first u64 of the data.
    if (count === 0xffff) {
      count = Number(page.readBigUInt64LE(PAGE_HEADER_SIZE));
      idsAt += 8;
    }
    if (idsAt + count * 8 > span) {
      throw snapshotError(
        file,
        `the freelist claims ${count} page ids, more than its page holds.`,
        freelistPageId,
      );
    }
    for (let index = 0; index < count; index++) {
      const id = Number(page.readBigUInt64LE(idsAt + index * 8));
      if (id >= this.image.pageCount) {
        throw snapshotError(
          file,
          `the freelist lists page ${id}, outside the image.`,
          freelistPageId,
        );
      }
      if (this.freed[id])
        throw snapshotError(file, `page ${id} is freed twice on the freelist.`, freelistPageId);
      this.freed[id] = 1;
    }
  }
}

/** What a checked walk reports: each top-level bucket, then each of its entries, in key order. */
export interface CheckedWalkVisitor {
  onBucket?(bucketName: Buffer): void;
  onEntry?(bucketName: Buffer, entry: LeafEntry): void;
}

/** Walks every bucket (nested ones too) with the tracker, as tx.Check does. */
export function walkChecked(
  image: BoltImage,
  mode: ReadMode,
  tracker: PageTracker,
  visitor: CheckedWalkVisitor = {},
): void {
  image.walk(
    image.rootBucket(),
    "lazy",
    (bucketEntry) => {
      if (!bucketEntry.isBucket) {
        throw snapshotError(
          image.file,
          `the root bucket holds a plain key ${printable(bucketEntry.key)}; etcd keeps only buckets there.`,
          bucketEntry.page.id,
        );
      }
      const name = Buffer.from(bucketEntry.key);
      const bucket = image.bucketOf(bucketEntry);
      tracker.noteInline(bucket);
      visitor.onBucket?.(name);
      image.walk(
        bucket,
        mode,
        (entry) => {
          visitor.onEntry?.(name, entry);
          if (entry.isBucket) checkNestedBucket(image, image.bucketOf(entry), tracker);
        },
        tracker,
      );
    },
    tracker,
  );
  tracker.assertNoLostPages();
}

function checkNestedBucket(image: BoltImage, bucket: BucketRoot, tracker: PageTracker): void {
  tracker.noteInline(bucket);
  image.walk(
    bucket,
    "lazy",
    (entry) => {
      if (entry.isBucket) checkNestedBucket(image, image.bucketOf(entry), tracker);
    },
    tracker,
  );
}
