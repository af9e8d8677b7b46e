/**
 * A read-only bbolt (bolt v2) image reader, as etcd writes it in a snapshot. It reads
 * pages with positional reads, never the whole file, and walks bucket trees in key order.
 * Layout and rules: shared/reference/etcd-snapshot-format.md and etcd-io/bbolt 1.3.6.
 *
 * Reads are synchronous on purpose: a walk reads one small page after another, and a
 * synchronous positional read costs a fraction of an async one per page.
 */
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from "node:fs";
import { errorMessage } from "../errors.ts";
import { snapshotError, SnapshotError } from "./errors.ts";

export const PAGE_HEADER_SIZE = 16;
const ELEMENT_SIZE = 16;
const BUCKET_HEADER_SIZE = 16;
const META_MAGIC = 0xed0cdaed;
const META_VERSION = 2;
/** Bytes of the meta struct the checksum covers (everything before the checksum). */
const META_CHECKSUMMED_BYTES = 56;
const NO_FREELIST = 0xffffffffffffffffn;
const BUCKET_LEAF_FLAG = 0x01;
/** The page sizes bolt is created with on the platforms etcd runs on. */
const CANDIDATE_PAGE_SIZES = [4096, 8192, 16384, 32768, 65536];
/** Far beyond any real bolt tree (a few levels per billion keys). */
const MAX_TREE_DEPTH = 64;
/** Pages up to this span are read in one go when the whole page is needed. */
const EAGER_SPAN_LIMIT = 4 * 1024 * 1024;
/** The sha256 of the bolt image that `etcdctl snapshot save` appends. */
export const TRAILER_SIZE = 32;

export const PageFlag = { branch: 0x01, leaf: 0x02, meta: 0x04, freelist: 0x10 } as const;

export function pageTypeName(flags: number): string {
  if (flags & PageFlag.branch) return "branch";
  if (flags & PageFlag.leaf) return "leaf";
  if (flags & PageFlag.meta) return "meta";
  if (flags & PageFlag.freelist) return "freelist";
  return `unknown (flags 0x${flags.toString(16).padStart(2, "0")})`;
}

/** One of the two meta pages, parsed, with whether bolt would accept it. */
export interface MetaPage {
  pageId: 0 | 1;
  /** Why bolt would reject this meta page; undefined when it is valid. */
  problem?: string;
  pageSize: number;
  rootPageId: number;
  /** undefined when etcd did not sync a freelist (NoFreelistSync, the normal case). */
  freelistPageId?: number;
  /** Number of pages in the image (bolt's `pgid` high-water mark). */
  pageCount: number;
  txid: bigint;
}

/** Where a bucket's tree starts: a page of the image, or a page inline in its parent's value. */
export type BucketRoot =
  { kind: "page"; pageId: number; name: string } | { kind: "inline"; page: Page; name: string };

/** What a walk should load of each leaf page. */
export type ReadMode =
  /** The whole page (values included) when it is not huge: for hashing every byte. */
  | "eager"
  /** The first page only; values are read piecemeal when asked for: for listing keys. */
  | "lazy";

/** Called for every page a walk reaches, before it is used: tx.Check's bookkeeping. */
export interface PageObserver {
  onPage(page: Page, bucketName: string, depth: number): void;
}

function fnv1a64(bytes: Uint8Array): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash;
}

function safeNumber(value: bigint, what: string, file: string, page?: number): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw snapshotError(
      file,
      `${what} ${value} is too large to be real: the file is damaged.`,
      page,
    );
  }
  return Number(value);
}

/** What a path is when it is not a regular file, and what to give instead. */
function irregularKind(stats: Stats): { kind: string; instead: string } | undefined {
  const giveTheFile = "give the path of the file `etcdctl snapshot save` wrote";
  const saveFirst =
    "the reader seeks back and forth in the file, so write the stream to a file first and give that file";
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) {
    return { kind: "a directory", instead: `${giveTheFile} (or member/snap/db inside a data dir)` };
  }
  if (stats.isFIFO()) return { kind: "a named pipe (FIFO)", instead: saveFirst };
  if (stats.isSocket()) return { kind: "a socket", instead: saveFirst };
  if (stats.isCharacterDevice()) return { kind: "a character device", instead: giveTheFile };
  if (stats.isBlockDevice()) return { kind: "a block device", instead: giveTheFile };
  return { kind: "not a regular file", instead: giveTheFile };
}

function refuseIrregular(file: string, stats: Stats): void {
  const irregular = irregularKind(stats);
  if (irregular) {
    throw snapshotError(file, `is ${irregular.kind}, not a snapshot file: ${irregular.instead}.`);
  }
}

function cannotOpen(file: string, error: unknown): SnapshotError {
  if ((error as NodeJS.ErrnoException).code === "ELOOP") {
    return snapshotError(
      file,
      `is a symbolic link that leads back to itself (ELOOP), so it names no file: point it at the snapshot file.`,
    );
  }
  return new SnapshotError(
    `Cannot open snapshot ${file}: ${errorMessage(error)}. Check the path and permissions.`,
    file,
  );
}

/**
 * Opens `file` for positional reads, refusing anything but a regular file before reading a
 * byte: a directory fails every read with EISDIR, opening a FIFO blocks until a writer comes,
 * and /dev/zero never ends. The path is checked with stat first, so a device is never
 * opened (opening some has side effects), and the descriptor again, opened non-blocking so a
 * FIFO swapped in between cannot hang the open.
 */
function openRegularFile(file: string): number {
  try {
    refuseIrregular(file, statSync(file));
  } catch (error) {
    throw error instanceof SnapshotError ? error : cannotOpen(file, error);
  }
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw cannotOpen(file, error);
  }
  try {
    refuseIrregular(file, fstatSync(fd));
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** Parses the meta struct at page offset 16 of `page`, judging it as bolt's validate() does. */
function parseMeta(page: Buffer, pageId: 0 | 1, file: string): MetaPage {
  const at = PAGE_HEADER_SIZE;
  const magic = page.readUInt32LE(at);
  const version = page.readUInt32LE(at + 4);
  const stored = page.readBigUInt64LE(at + 56);
  const computed = fnv1a64(page.subarray(at, at + META_CHECKSUMMED_BYTES));
  const freelist = page.readBigUInt64LE(at + 32);
  let problem: string | undefined;
  if (magic !== META_MAGIC) {
    problem = `meta page ${pageId} has magic 0x${magic.toString(16)}, not the bolt magic 0xed0cdaed`;
  } else if (version !== META_VERSION) {
    problem = `meta page ${pageId} has bolt version ${version}, expected ${META_VERSION}`;
  } else if (stored !== computed) {
    problem =
      `meta page ${pageId} fails its checksum (stored 0x${stored.toString(16)}, ` +
      `computed 0x${computed.toString(16)}): the page was altered after bolt wrote it`;
  }
  const pageCount = page.readBigUInt64LE(at + 40);
  const rootPageId = page.readBigUInt64LE(at + 16);
  return {
    pageId,
    ...(problem === undefined ? {} : { problem }),
    pageSize: page.readUInt32LE(at + 8),
    rootPageId: problem ? 0 : safeNumber(rootPageId, "root page id", file, pageId),
    ...(freelist === NO_FREELIST || problem
      ? {}
      : { freelistPageId: safeNumber(freelist, "freelist page id", file, pageId) }),
    pageCount: problem ? 0 : safeNumber(pageCount, "page count", file, pageId),
    txid: page.readBigUInt64LE(at + 48),
  };
}

/**
 * A loaded page: its header and the bytes read so far (a prefix of its span). Offsets
 * are relative to the page start; `bytes` reads past the loaded prefix from the file.
 */
export class Page {
  // Plain fields, not parameter properties: Node runs this file with type stripping alone.
  private readonly image: BoltImage;
  readonly id: number;
  /** File offset of the page's first byte (for an inline page: inside its parent). */
  readonly fileOffset: number;
  readonly flags: number;
  readonly count: number;
  readonly overflow: number;
  /** Bytes the page covers: (overflow + 1) * pageSize, or the inline value's size. */
  readonly span: number;
  readonly loaded: Buffer;
  readonly inline: boolean;

  constructor(
    image: BoltImage,
    header: {
      id: number;
      fileOffset: number;
      flags: number;
      count: number;
      overflow: number;
      span: number;
    },
    loaded: Buffer,
    inline: boolean,
  ) {
    this.image = image;
    this.id = header.id;
    this.fileOffset = header.fileOffset;
    this.flags = header.flags;
    this.count = header.count;
    this.overflow = header.overflow;
    this.span = header.span;
    this.loaded = loaded;
    this.inline = inline;
  }

  get type(): string {
    return pageTypeName(this.flags);
  }

  bytes(offset: number, length: number): Buffer {
    if (offset + length <= this.loaded.length) return this.loaded.subarray(offset, offset + length);
    return this.image.read(this.fileOffset + offset, length, this.id);
  }

  /** Reads `length` bytes from `offset` into the start of `target`, returning them. */
  bytesInto(offset: number, length: number, target: Buffer): Buffer {
    this.image.readInto(target, 0, length, this.fileOffset + offset, this.id);
    return target.subarray(0, length);
  }

  /** Describes where this page is for error messages. */
  get where(): string {
    return this.inline ? `inline bucket page inside page ${this.id}` : `${this.type} page`;
  }
}

/** One key/value of a leaf page. Valid only during the callback that receives it. */
export class LeafEntry {
  readonly page: Page;
  readonly index: number;
  readonly flags: number;
  /** Offset of the key within the page; the value follows the key. */
  readonly keyOffset: number;
  readonly key: Buffer;
  readonly valueLength: number;

  constructor(
    page: Page,
    index: number,
    flags: number,
    keyOffset: number,
    key: Buffer,
    valueLength: number,
  ) {
    this.page = page;
    this.index = index;
    this.flags = flags;
    this.keyOffset = keyOffset;
    this.key = key;
    this.valueLength = valueLength;
  }

  get isBucket(): boolean {
    return (this.flags & BUCKET_LEAF_FLAG) !== 0;
  }

  get valueOffset(): number {
    return this.keyOffset + this.key.length;
  }

  /** File offset of the value's first byte, to read it again later without a walk. */
  get valueFileOffset(): number {
    return this.page.fileOffset + this.valueOffset;
  }

  /** Key and value as one contiguous run of bytes, when the page holds them loaded. */
  loadedKeyAndValue(): Buffer | undefined {
    const end = this.valueOffset + this.valueLength;
    return end <= this.page.loaded.length
      ? this.page.loaded.subarray(this.keyOffset, end)
      : undefined;
  }

  value(): Buffer {
    return this.page.bytes(this.valueOffset, this.valueLength);
  }

  /**
   * Up to `length` bytes from the value's start without reading the file when the page
   * already holds a good part of them (at least `minimum`); a read otherwise, into
   * `scratch` when given (valid until the caller reuses it), else into a new buffer.
   */
  valuePrefix(length: number, minimum: number, scratch?: Buffer): Buffer {
    const start = this.valueOffset;
    const available = Math.min(this.page.loaded.length - start, this.valueLength, length);
    if (available >= Math.min(minimum, this.valueLength)) {
      return this.page.loaded.subarray(start, start + available);
    }
    const wanted = Math.min(length, this.valueLength);
    if (scratch && scratch.length >= wanted) return this.page.bytesInto(start, wanted, scratch);
    return this.valueRange(0, length);
  }

  /** `length` bytes of the value from `offset` (clipped to the value's end). */
  valueRange(offset: number, length: number): Buffer {
    const clipped = Math.max(0, Math.min(length, this.valueLength - offset));
    return this.page.bytes(this.valueOffset + offset, clipped);
  }
}

/** An open snapshot file: its meta pages, its size, and page-by-page access. */
export class BoltImage {
  readonly metas: MetaPage[];
  /** The meta page bolt would use: the valid one with the higher txid. */
  readonly meta: MetaPage;
  readonly pageSize: number;
  /** Bytes of the bolt image: pageCount * pageSize; excludes the sha256 trailer. */
  readonly imageSize: number;
  readonly fileSize: number;
  /**
   * Whole pages the file holds: pageCount, or fewer when the file is truncated. Anything
   * sized per page (the page tracker, walk budgets) is sized by this, never by the meta
   * page's claim alone, which a damaged file can set to 2^40.
   */
  readonly pagesInFile: number;
  /** The 32-byte sha256 trailer, when the file has one (size = image + 32). */
  readonly trailer?: Buffer;
  /** Problems of the file's shape (truncation, stray bytes); empty for a sound file. */
  readonly layoutProblems: string[] = [];

  readonly file: string;
  private readonly fd: number;

  private constructor(file: string, fd: number) {
    this.file = file;
    this.fd = fd;
    this.fileSize = fstatSync(fd).size;
    const { metas, pageSize } = this.readMetas();
    this.metas = metas;
    this.pageSize = pageSize;
    this.meta = this.chooseMeta(metas);
    this.imageSize = this.meta.pageCount * pageSize;
    this.pagesInFile = Math.min(this.meta.pageCount, Math.floor(this.fileSize / pageSize));
    this.trailer = this.readTrailer();
  }

  /** The file ends before the bolt image its meta page describes. */
  get truncated(): boolean {
    return this.fileSize < this.imageSize;
  }

  static open(file: string): BoltImage {
    const fd = openRegularFile(file);
    try {
      return new BoltImage(file, fd);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  /** Opens, runs `body`, and always closes the file. */
  static with<T>(file: string, body: (image: BoltImage) => T): T {
    const image = BoltImage.open(file);
    try {
      return body(image);
    } finally {
      image.close();
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  get pageCount(): number {
    return this.meta.pageCount;
  }

  /** Throws the first layout problem (truncation, stray bytes): walks need a whole image. */
  assertComplete(): void {
    const first = this.layoutProblems[0];
    if (first !== undefined) throw snapshotError(this.file, first);
  }

  /** Reads exactly `length` bytes at `offset`, or explains that the file ends early. */
  read(offset: number, length: number, page?: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    this.readInto(buffer, 0, length, offset, page);
    return buffer;
  }

  /** Fills `target[targetOffset, +length)` from file offset `offset`. */
  readInto(
    target: Buffer,
    targetOffset: number,
    length: number,
    offset: number,
    page?: number,
  ): void {
    let done = 0;
    while (done < length) {
      const got = this.readSome(target, targetOffset + done, length - done, offset + done, page);
      if (got === 0) {
        throw snapshotError(
          this.file,
          `the file ends at byte ${offset + done}, but this page needs bytes up to ${offset + length}: ` +
            `the snapshot is truncated (an interrupted download or copy?).`,
          page,
        );
      }
      done += got;
    }
  }

  /** One positional read; an I/O error (a failing disk, a vanished mount) becomes a sentence. */
  private readSome(
    target: Buffer,
    targetOffset: number,
    length: number,
    offset: number,
    page?: number,
  ): number {
    try {
      return readSync(this.fd, target, targetOffset, length, offset);
    } catch (error) {
      throw snapshotError(
        this.file,
        `reading ${length} bytes at byte ${offset} failed (${errorMessage(error)}): check the disk or file system the file is on.`,
        page,
      );
    }
  }

  private readMetas(): { metas: MetaPage[]; pageSize: number } {
    const minimum = PAGE_HEADER_SIZE + 64;
    if (this.fileSize < minimum) {
      throw snapshotError(
        this.file,
        `is ${this.fileSize} bytes long, too short to be an etcd snapshot (a bolt database starts with two meta pages).`,
      );
    }
    const first = this.read(0, Math.min(this.fileSize, CANDIDATE_PAGE_SIZES[0]!));
    const meta0 = parseMeta(first, 0, this.file);
    // Like bolt: the page size comes from meta page 0; if that page is damaged, find
    // meta page 1 at each page size bolt could have used.
    const sizes = meta0.problem === undefined ? [meta0.pageSize] : CANDIDATE_PAGE_SIZES;
    let meta1: MetaPage | undefined;
    for (const size of sizes) {
      if (this.fileSize < size + minimum) continue;
      const candidate = parseMeta(this.read(size, minimum), 1, this.file);
      if (candidate.problem === undefined && candidate.pageSize === size) {
        meta1 = candidate;
        break;
      }
      meta1 ??= candidate;
    }
    const metas = meta1 ? [meta0, meta1] : [meta0];
    const pageSize = meta0.problem === undefined ? meta0.pageSize : (meta1?.pageSize ?? 0);
    return { metas, pageSize };
  }

  private chooseMeta(metas: MetaPage[]): MetaPage {
    const valid = metas.filter((meta) => meta.problem === undefined);
    if (valid.length === 0) {
      const noMagic = metas.every((meta) => meta.problem?.includes("not the bolt magic"));
      throw snapshotError(
        this.file,
        noMagic
          ? `is not an etcd snapshot: it does not start with a bolt meta page (magic 0xed0cdaed). ` +
              `Check that this is the file \`etcdctl snapshot save\` wrote, decrypted and decompressed.`
          : `both meta pages are damaged, so the snapshot cannot be read: ` +
              metas.map((meta) => meta.problem).join("; ") +
              ".",
      );
    }
    const chosen = valid.reduce((best, meta) => (meta.txid > best.txid ? meta : best));
    if (!CANDIDATE_PAGE_SIZES.includes(chosen.pageSize)) {
      throw snapshotError(
        this.file,
        `meta page ${chosen.pageId} gives page size ${chosen.pageSize}, expected one of ${CANDIDATE_PAGE_SIZES.join(", ")}.`,
        chosen.pageId,
      );
    }
    if (chosen.pageCount < 2) {
      throw snapshotError(
        this.file,
        `meta page ${chosen.pageId} says the image has ${chosen.pageCount} pages.`,
      );
    }
    return chosen;
  }

  private readTrailer(): Buffer | undefined {
    const pageSize = this.pageSize;
    const expected = `${this.imageSize} bytes (${this.pageCount} pages of ${pageSize})`;
    if (this.fileSize < this.imageSize) {
      this.layoutProblems.push(
        `the file is truncated: its bolt image needs ${expected} but the file has only ${this.fileSize} bytes ` +
          `(an interrupted download or copy?).`,
      );
      return undefined;
    }
    if (this.fileSize === this.imageSize) return undefined;
    if (this.fileSize === this.imageSize + TRAILER_SIZE)
      return this.read(this.imageSize, TRAILER_SIZE);
    this.layoutProblems.push(
      `the file has ${this.fileSize - this.imageSize} unexpected bytes after its bolt image of ${expected}; ` +
        `a snapshot ends right after the image or after a 32-byte sha256 trailer.`,
    );
    return undefined;
  }

  /** The top-level bucket of buckets. */
  rootBucket(): BucketRoot {
    return { kind: "page", pageId: this.meta.rootPageId, name: "(root)" };
  }

  /**
   * Reads page `id` (header checked), loading what `mode` asks for. Eager reads reuse one
   * scratch buffer, so memory stays flat however big the file: an eagerly read page is
   * valid until the next eager read (walks never hold two). Lazy reads reuse `scratch`
   * when given (a walk's own: its page is valid until that walk reads the next one, while
   * a walk nested in its callback reads into another), else a fresh buffer.
   */
  readPage(id: number, mode: ReadMode, scratch?: ScratchBuffer): Page {
    if (!Number.isSafeInteger(id) || id < 2 || id >= this.pageCount) {
      throw snapshotError(
        this.file,
        `a branch or bucket points to page ${id}, outside the image's data pages 2..${this.pageCount - 1}: the file is damaged.`,
      );
    }
    const pageSize = this.pageSize;
    const fileOffset = id * pageSize;
    const eager = mode === "eager";
    const reused = eager ? this.eagerScratch : scratch;
    let buffer = reused ? reused.of(pageSize) : Buffer.allocUnsafe(pageSize);
    this.readInto(buffer, 0, pageSize, fileOffset, id);
    const headerId = buffer.readBigUInt64LE(0);
    if (headerId !== BigInt(id)) {
      throw snapshotError(
        this.file,
        `the page header says it is page ${headerId}: the page is damaged or was overwritten.`,
        id,
      );
    }
    const flags = buffer.readUInt16LE(8);
    const count = buffer.readUInt16LE(10);
    const overflow = buffer.readUInt32LE(12);
    if (id + overflow >= this.pageCount) {
      throw snapshotError(
        this.file,
        `the ${pageTypeName(flags)} page claims ${overflow} overflow pages, past the image's last page ${this.pageCount - 1}.`,
        id,
      );
    }
    if (id + overflow >= this.pagesInFile) {
      throw snapshotError(
        this.file,
        `the ${pageTypeName(flags)} page claims ${overflow} overflow pages, past the file's end at byte ${this.fileSize}: ` +
          `the snapshot is truncated (an interrupted download or copy?).`,
        id,
      );
    }
    const span = (overflow + 1) * pageSize;
    const elementTableEnd = PAGE_HEADER_SIZE + count * ELEMENT_SIZE;
    const wanted =
      eager && span <= EAGER_SPAN_LIMIT
        ? span
        : Math.min(Math.max(elementTableEnd, pageSize), span);
    if (wanted > pageSize) {
      const bigger = reused ? reused.of(wanted) : Buffer.allocUnsafe(wanted);
      if (bigger !== buffer) buffer.copy(bigger, 0, 0, pageSize);
      buffer = bigger;
      this.readInto(buffer, pageSize, wanted - pageSize, fileOffset + pageSize, id);
    }
    return new Page(
      this,
      { id, fileOffset, flags, count, overflow, span },
      buffer.subarray(0, wanted),
      false,
    );
  }

  private readonly eagerScratch = new ScratchBuffer(64 * 1024);

  /** The bucket a leaf entry opens: a page of the image, or an inline page in the value. */
  bucketOf(entry: LeafEntry): BucketRoot {
    const where = `bucket "${printable(entry.key)}" on ${entry.page.where} ${entry.page.id}`;
    if (entry.valueLength < BUCKET_HEADER_SIZE) {
      throw snapshotError(
        this.file,
        `${where} has a ${entry.valueLength}-byte header, expected at least ${BUCKET_HEADER_SIZE}.`,
        entry.page.id,
      );
    }
    const header = entry.valueRange(0, BUCKET_HEADER_SIZE);
    const rootPageId = header.readBigUInt64LE(0);
    const name = printable(entry.key);
    if (rootPageId !== 0n) {
      return {
        kind: "page",
        pageId: safeNumber(rootPageId, `${where}: root page`, this.file, entry.page.id),
        name,
      };
    }
    const inline = entry.valueRange(BUCKET_HEADER_SIZE, entry.valueLength - BUCKET_HEADER_SIZE);
    if (inline.length < PAGE_HEADER_SIZE) {
      throw snapshotError(
        this.file,
        `${where} is inline but too short to hold a page.`,
        entry.page.id,
      );
    }
    const page = new Page(
      this,
      {
        id: entry.page.id,
        fileOffset: entry.valueFileOffset + BUCKET_HEADER_SIZE,
        flags: inline.readUInt16LE(8),
        count: inline.readUInt16LE(10),
        overflow: 0,
        span: inline.length,
      },
      inline,
      true,
    );
    if (!(page.flags & PageFlag.leaf)) {
      throw snapshotError(
        this.file,
        `${where} is inline but its page is ${page.type}, not leaf.`,
        entry.page.id,
      );
    }
    return { kind: "inline", page, name };
  }

  /** Finds a top-level bucket by name (etcd's `key`, `meta`, `lease`, ...). */
  findBucket(name: string): BucketRoot | undefined {
    let found: BucketRoot | undefined;
    const wanted = Buffer.from(name);
    this.walk(this.rootBucket(), "lazy", (entry) => {
      if (entry.isBucket && entry.key.equals(wanted)) {
        found = this.bucketOf(entry);
        return "stop";
      }
      return undefined;
    });
    return found;
  }

  /**
   * Calls `onEntry` for every entry of the bucket in key order, checking each page's
   * structure on the way (types, element bounds, strictly increasing keys). Return
   * "stop" from `onEntry` to end the walk early.
   */
  walk(
    bucket: BucketRoot,
    mode: ReadMode,
    onEntry: (entry: LeafEntry) => "stop" | void,
    observer?: PageObserver,
  ): void {
    const state: WalkState = {
      previousKey: undefined,
      stopped: false,
      pagesLeft: this.pagesInFile - 2,
      // One buffer for every page of a lazy walk: listing a million keys reads tens of
      // thousands of pages, and a fresh buffer for each was garbage for the collector.
      scratch: new ScratchBuffer(0),
    };
    if (bucket.kind === "inline") {
      this.walkLeaf(bucket.page, bucket.name, state, onEntry);
      return;
    }
    this.walkPage(bucket.pageId, 1, bucket.name, mode, state, onEntry, observer);
  }

  private walkPage(
    pageId: number,
    depth: number,
    bucketName: string,
    mode: ReadMode,
    state: WalkState,
    onEntry: (entry: LeafEntry) => "stop" | void,
    observer?: PageObserver,
  ): void {
    // A loop in a damaged tree would otherwise recurse until the stack runs out.
    if (depth > MAX_TREE_DEPTH) {
      throw this.loopError(bucketName, `goes deeper than ${MAX_TREE_DEPTH} levels`, pageId);
    }
    const page = this.readPage(pageId, mode, state.scratch);
    observer?.onPage(page, bucketName, depth);
    // A walk reaches each page once, so it can never need more pages than the file has;
    // without this, branches that share children would be walked again and again (a walk
    // without a tracker sees no page twice otherwise: empty leaves pass the key order check).
    state.pagesLeft -= 1 + page.overflow;
    if (state.pagesLeft < 0) {
      throw this.loopError(
        bucketName,
        `reaches more pages than the file's ${this.pagesInFile - 2} data pages`,
        pageId,
      );
    }
    if (page.flags & PageFlag.branch) {
      for (const child of this.branchChildren(page, bucketName)) {
        this.walkPage(child, depth + 1, bucketName, mode, state, onEntry, observer);
        if (state.stopped) return;
      }
    } else if (page.flags & PageFlag.leaf) {
      this.walkLeaf(page, bucketName, state, onEntry);
    } else {
      throw snapshotError(
        this.file,
        `bucket "${bucketName}" reaches a ${page.type} page where only branch or leaf pages may be: the file is damaged.`,
        page.id,
      );
    }
  }

  private loopError(bucketName: string, how: string, pageId: number): SnapshotError {
    return snapshotError(
      this.file,
      `the tree of bucket "${bucketName}" ${how}, so a branch points back into its own tree: the file is damaged.`,
      pageId,
    );
  }

  private branchChildren(page: Page, bucketName: string): number[] {
    if (page.count === 0) {
      throw snapshotError(
        this.file,
        `the branch page of bucket "${bucketName}" has no elements.`,
        page.id,
      );
    }
    const table = this.elementTable(page, bucketName);
    const children: number[] = [];
    let previousKey: Buffer | undefined;
    for (let index = 0; index < page.count; index++) {
      const element = PAGE_HEADER_SIZE + index * ELEMENT_SIZE;
      const keyOffset = element + table.readUInt32LE(element);
      const keySize = table.readUInt32LE(element + 4);
      this.checkBounds(page, index, keyOffset, keySize, 0, bucketName);
      const key = page.bytes(keyOffset, keySize);
      if (previousKey !== undefined && Buffer.compare(previousKey, key) >= 0) {
        throw snapshotError(
          this.file,
          `branch element ${index} of bucket "${bucketName}" is out of key order: the page is damaged.`,
          page.id,
        );
      }
      previousKey = key;
      children.push(
        safeNumber(
          table.readBigUInt64LE(element + 8),
          `branch element ${index}: child page`,
          this.file,
          page.id,
        ),
      );
    }
    return children;
  }

  private walkLeaf(
    page: Page,
    bucketName: string,
    state: WalkState,
    onEntry: (entry: LeafEntry) => "stop" | void,
  ): void {
    const table = this.elementTable(page, bucketName);
    for (let index = 0; index < page.count; index++) {
      const element = PAGE_HEADER_SIZE + index * ELEMENT_SIZE;
      const flags = table.readUInt32LE(element);
      const keyOffset = element + table.readUInt32LE(element + 4);
      const keySize = table.readUInt32LE(element + 8);
      const valueSize = table.readUInt32LE(element + 12);
      this.checkBounds(page, index, keyOffset, keySize, valueSize, bucketName);
      const key = page.bytes(keyOffset, keySize);
      if (state.previousKey !== undefined && Buffer.compare(state.previousKey, key) >= 0) {
        throw snapshotError(
          this.file,
          `leaf element ${index} of bucket "${bucketName}" (${page.where}) is out of key order: ` +
            `key ${printable(key)} does not sort after ${printable(state.previousKey)}; the page is damaged.`,
          page.id,
        );
      }
      state.previousKey = key;
      if (onEntry(new LeafEntry(page, index, flags, keyOffset, key, valueSize)) === "stop") {
        state.stopped = true;
        return;
      }
    }
    // The next page may be read into the same scratch buffer: keep the last key's own copy.
    if (state.previousKey) state.previousKey = Buffer.from(state.previousKey);
  }

  /** The loaded bytes holding the element table (readPage loads it whenever it fits the page). */
  private elementTable(page: Page, bucketName: string): Buffer {
    const tableEnd = PAGE_HEADER_SIZE + page.count * ELEMENT_SIZE;
    if (tableEnd > page.span || tableEnd > page.loaded.length) {
      throw snapshotError(
        this.file,
        `the ${page.where} of bucket "${bucketName}" claims ${page.count} elements, ` +
          `more than its ${page.span} bytes can hold: the page is damaged.`,
        page.id,
      );
    }
    return page.loaded;
  }

  private checkBounds(
    page: Page,
    index: number,
    keyOffset: number,
    keySize: number,
    valueSize: number,
    bucketName: string,
  ): void {
    const tableEnd = PAGE_HEADER_SIZE + page.count * ELEMENT_SIZE;
    const end = keyOffset + keySize + valueSize;
    if (tableEnd > page.span || keyOffset < tableEnd || end > page.span) {
      throw snapshotError(
        this.file,
        `element ${index} of the ${page.where} of bucket "${bucketName}" points to bytes ${keyOffset}..${end}, ` +
          `outside the page's ${page.span} bytes: the page is damaged.`,
        page.id,
      );
    }
  }
}

/** Where a walk is: the last key (for the key order check), and pages it may still read. */
interface WalkState {
  previousKey: Buffer | undefined;
  stopped: boolean;
  pagesLeft: number;
  scratch: ScratchBuffer;
}

/** A buffer reused from page to page, grown when a page needs more. */
export class ScratchBuffer {
  private buffer = Buffer.alloc(0);
  private readonly minimum: number;

  constructor(minimum: number) {
    this.minimum = minimum;
  }

  /** The buffer, at least `length` bytes long; earlier contents are not kept when it grows. */
  of(length: number): Buffer {
    if (this.buffer.length < length) {
      this.buffer = Buffer.allocUnsafe(Math.max(length, this.buffer.length * 2, this.minimum));
    }
    return this.buffer;
  }
}

/** A key for messages: text when it is text, hex otherwise. */
export function printable(key: Buffer): string {
  const text = key.toString("utf8");
  return /^[\x20-\x7e]*$/.test(text) ? text : `0x${key.toString("hex")}`;
}
