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

/** Nested buckets deeper than this are a loop: etcd nests none, bolt users a few levels. */
const MAX_BUCKET_NESTING = 64;
/** Freelist page ids are read this many at a time, so a huge freelist costs no memory. */
const FREELIST_IDS_PER_READ = 64 * 1024;

/** One bit per page: a bitmap of an 8 GiB image of 4 KiB pages is 256 KiB. */
class PageSet {
  private readonly bits: Uint8Array;
  readonly size: number;

  constructor(size: number) {
    this.size = size;
    this.bits = new Uint8Array(Math.ceil(size / 8));
  }

  has(id: number): boolean {
    return (this.bits[id >>> 3]! & (1 << (id & 7))) !== 0;
  }

  add(id: number): void {
    this.bits[id >>> 3]! |= 1 << (id & 7);
  }
}

/** Marks every page a walk reaches and refuses a page reached twice. */
export class PageTracker implements PageObserver {
  // Sized by the pages the file really holds, not by the meta page's claim: readPage
  // refuses any page (and overflow) past the file's end before it gets here.
  private readonly reachable: PageSet;
  private readonly freed: PageSet;
  readonly shapes = new Map<string, BucketShape>();

  private readonly image: BoltImage;

  constructor(image: BoltImage) {
    this.image = image;
    this.reachable = new PageSet(image.pagesInFile);
    this.freed = new PageSet(image.pagesInFile);
    this.reachable.add(0);
    this.reachable.add(1);
    this.loadFreelist();
  }

  onPage(page: Page, bucketName: string, depth: number): void {
    for (let id = page.id; id <= page.id + page.overflow; id++) {
      if (this.reachable.has(id)) {
        throw snapshotError(
          this.image.file,
          `page ${id} is referenced twice (again from bucket "${bucketName}"): the tree is damaged.`,
          page.id,
        );
      }
      this.reachable.add(id);
    }
    if (this.freed.has(page.id)) {
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
    for (let id = 2; id < this.reachable.size; id++) {
      if (!this.reachable.has(id) && !this.freed.has(id)) {
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
    const pageSize = this.image.pageSize;
    if (freelistPageId < 2 || freelistPageId >= this.image.pageCount) {
      throw snapshotError(
        file,
        `the meta page points to freelist page ${freelistPageId}, outside the image.`,
      );
    }
    const pageOffset = freelistPageId * pageSize;
    const header = this.image.read(pageOffset, PAGE_HEADER_SIZE + 8, freelistPageId);
    const flags = header.readUInt16LE(8);
    if (!(flags & PageFlag.freelist)) {
      throw snapshotError(
        file,
        `the meta page's freelist page is a ${pageTypeName(flags)} page.`,
        freelistPageId,
      );
    }
    const overflow = header.readUInt32LE(12);
    if (freelistPageId + overflow >= this.reachable.size) {
      throw snapshotError(
        file,
        `the freelist page claims ${overflow} overflow pages, past the end of the image or the file.`,
        freelistPageId,
      );
    }
    const span = (overflow + 1) * pageSize;
    for (let id = freelistPageId; id <= freelistPageId + overflow; id++) this.reachable.add(id);
    // A count of 0xFFFF means the real count is the first u64 of the data (kept a bigint
    // until checked: a damaged one can be 2^64-1).
    const shortCount = header.readUInt16LE(10);
    const longCount = shortCount === 0xffff;
    const claimed = longCount ? header.readBigUInt64LE(PAGE_HEADER_SIZE) : BigInt(shortCount);
    const idsAt = PAGE_HEADER_SIZE + (longCount ? 8 : 0);
    if (BigInt(idsAt) + claimed * 8n > BigInt(span)) {
      throw snapshotError(
        file,
        `the freelist claims ${claimed} page ids, more than its page holds.`,
        freelistPageId,
      );
    }
    const count = Number(claimed);
    for (let first = 0; first < count; first += FREELIST_IDS_PER_READ) {
      const ids = Math.min(FREELIST_IDS_PER_READ, count - first);
      const chunk = this.image.read(pageOffset + idsAt + first * 8, ids * 8, freelistPageId);
      for (let index = 0; index < ids; index++) {
        this.markFree(chunk.readBigUInt64LE(index * 8), freelistPageId);
      }
    }
  }

  private markFree(pageId: bigint, freelistPageId: number): void {
    const file = this.image.file;
    if (pageId >= BigInt(this.freed.size)) {
      throw snapshotError(
        file,
        `the freelist lists page ${pageId}, outside the image.`,
        freelistPageId,
      );
    }
    const id = Number(pageId);
    if (this.freed.has(id)) {
      throw snapshotError(file, `page ${id} is freed twice on the freelist.`, freelistPageId);
    }
    this.freed.add(id);
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
          if (entry.isBucket) checkNestedBucket(image, image.bucketOf(entry), tracker, 2);
        },
        tracker,
      );
    },
    tracker,
  );
  tracker.assertNoLostPages();
}

function checkNestedBucket(
  image: BoltImage,
  bucket: BucketRoot,
  tracker: PageTracker,
  nesting: number,
): void {
  // Inline buckets nest inside one value without a page the tracker could see twice: a
  // crafted value could nest them until the stack overflows.
  if (nesting > MAX_BUCKET_NESTING) {
    throw snapshotError(
      image.file,
      `bucket "${bucket.name}" is nested more than ${MAX_BUCKET_NESTING} buckets deep; etcd nests none: the file is damaged.`,
    );
  }
  tracker.noteInline(bucket);
  image.walk(
    bucket,
    "lazy",
    (entry) => {
      if (entry.isBucket) checkNestedBucket(image, image.bucketOf(entry), tracker, nesting + 1);
    },
    tracker,
  );
}
