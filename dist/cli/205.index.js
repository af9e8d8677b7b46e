export const id = 205;
export const ids = [205];
export const modules = {

/***/ 51205:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {


// EXPORTS
__webpack_require__.d(__webpack_exports__, {
  dr: () => (/* reexport */ NOT_KUBERNETES),
  JC: () => (/* reexport */ SnapshotError),
  $W: () => (/* reexport */ verify_assertSnapshotVerified),
  wz: () => (/* reexport */ kubernetes/* decodeValue */.wz),
  V1: () => (/* reexport */ diffSnapshots),
  VE: () => (/* reexport */ listSnapshotKeys),
  ET: () => (/* reexport */ readSnapshotKey),
  ZR: () => (/* reexport */ status_readSnapshotStatus),
  Mx: () => (/* reexport */ verifySnapshot),
  Ze: () => (/* reexport */ keys_withSnapshotKeys)
});

// UNUSED EXPORTS: detectEncoding, inspectSnapshot, parseRegistryKey

// EXTERNAL MODULE: external "node:fs"
var external_node_fs_ = __webpack_require__(73024);
// EXTERNAL MODULE: ./.build/compile/src/core/errors.js
var errors = __webpack_require__(51222);
;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/errors.js
/**
 * The one error type of the snapshot reader: what is wrong, in which file, and on which
 * bolt page when there is one, phrased for an operator deciding whether to trust a backup.
 */
class SnapshotError extends Error {
    name = "SnapshotError";
    file;
    /** The bolt page the problem was found on, when it is about one page. */
    page;
    constructor(message, file, page) {
        super(message);
        this.file = file;
        if (page !== undefined)
            this.page = page;
    }
}
/** `file: page N: what is wrong` as a sentence. */
function describeAt(file, page, what) {
    return page === undefined ? `${file}: ${what}` : `${file}: page ${page}: ${what}`;
}
function snapshotError(file, what, page) {
    return new SnapshotError(describeAt(file, page, what), file, page);
}

;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/bolt.js
/**
 * A read-only bbolt (bolt v2) image reader, as etcd writes it in a snapshot. It reads
 * pages with positional reads, never the whole file, and walks bucket trees in key order.
 * Layout and rules: shared/reference/etcd-snapshot-format.md and etcd-io/bbolt 1.3.6.
 *
 * Reads are synchronous on purpose: a walk reads one small page after another, and a
 * synchronous positional read costs a fraction of an async one per page.
 */



const PAGE_HEADER_SIZE = 16;
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
const TRAILER_SIZE = 32;
const PageFlag = { branch: 0x01, leaf: 0x02, meta: 0x04, freelist: 0x10 };
function pageTypeName(flags) {
    if (flags & PageFlag.branch)
        return "branch";
    if (flags & PageFlag.leaf)
        return "leaf";
    if (flags & PageFlag.meta)
        return "meta";
    if (flags & PageFlag.freelist)
        return "freelist";
    return `unknown (flags 0x${flags.toString(16).padStart(2, "0")})`;
}
function fnv1a64(bytes) {
    let hash = 0xcbf29ce484222325n;
    for (const byte of bytes) {
        hash ^= BigInt(byte);
        hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
    }
    return hash;
}
function safeNumber(value, what, file, page) {
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw snapshotError(file, `${what} ${value} is too large to be real: the file is damaged.`, page);
    }
    return Number(value);
}
/** What a path is when it is not a regular file, and what to give instead. */
function irregularKind(stats) {
    const giveTheFile = "give the path of the file `etcdctl snapshot save` wrote";
    const saveFirst = "the reader seeks back and forth in the file, so write the stream to a file first and give that file";
    if (stats.isFile())
        return undefined;
    if (stats.isDirectory()) {
        return { kind: "a directory", instead: `${giveTheFile} (or member/snap/db inside a data dir)` };
    }
    if (stats.isFIFO())
        return { kind: "a named pipe (FIFO)", instead: saveFirst };
    if (stats.isSocket())
        return { kind: "a socket", instead: saveFirst };
    if (stats.isCharacterDevice())
        return { kind: "a character device", instead: giveTheFile };
    if (stats.isBlockDevice())
        return { kind: "a block device", instead: giveTheFile };
    return { kind: "not a regular file", instead: giveTheFile };
}
function refuseIrregular(file, stats) {
    const irregular = irregularKind(stats);
    if (irregular) {
        throw snapshotError(file, `is ${irregular.kind}, not a snapshot file: ${irregular.instead}.`);
    }
}
function cannotOpen(file, error) {
    if (error.code === "ELOOP") {
        return snapshotError(file, `is a symbolic link that leads back to itself (ELOOP), so it names no file: point it at the snapshot file.`);
    }
    return new SnapshotError(`Cannot open snapshot ${file}: ${(0,errors/* errorMessage */.gJ)(error)}. Check the path and permissions.`, file);
}
/**
 * Opens `file` for positional reads, refusing anything but a regular file before reading a
 * byte: a directory fails every read with EISDIR, opening a FIFO blocks until a writer comes,
 * and /dev/zero never ends. The path is checked with stat first, so a device is never
 * opened (opening some has side effects), and the descriptor again, opened non-blocking so a
 * FIFO swapped in between cannot hang the open.
 */
function openRegularFile(file) {
    try {
        refuseIrregular(file, (0,external_node_fs_.statSync)(file));
    }
    catch (error) {
        throw error instanceof SnapshotError ? error : cannotOpen(file, error);
    }
    let fd;
    try {
        fd = (0,external_node_fs_.openSync)(file, external_node_fs_.constants.O_RDONLY | external_node_fs_.constants.O_NONBLOCK);
    }
    catch (error) {
        throw cannotOpen(file, error);
    }
    try {
        refuseIrregular(file, (0,external_node_fs_.fstatSync)(fd));
    }
    catch (error) {
        (0,external_node_fs_.closeSync)(fd);
        throw error;
    }
    return fd;
}
/** Parses the meta struct at page offset 16 of `page`, judging it as bolt's validate() does. */
function parseMeta(page, pageId, file) {
    const at = PAGE_HEADER_SIZE;
    const magic = page.readUInt32LE(at);
    const version = page.readUInt32LE(at + 4);
    const stored = page.readBigUInt64LE(at + 56);
    const computed = fnv1a64(page.subarray(at, at + META_CHECKSUMMED_BYTES));
    const freelist = page.readBigUInt64LE(at + 32);
    let problem;
    if (magic !== META_MAGIC) {
        problem = `meta page ${pageId} has magic 0x${magic.toString(16)}, not the bolt magic 0xed0cdaed`;
    }
    else if (version !== META_VERSION) {
        problem = `meta page ${pageId} has bolt version ${version}, expected ${META_VERSION}`;
    }
    else if (stored !== computed) {
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
class Page {
    // Plain fields, not parameter properties: Node runs this file with type stripping alone.
    image;
    id;
    /** File offset of the page's first byte (for an inline page: inside its parent). */
    fileOffset;
    flags;
    count;
    overflow;
    /** Bytes the page covers: (overflow + 1) * pageSize, or the inline value's size. */
    span;
    loaded;
    inline;
    constructor(image, header, loaded, inline) {
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
    get type() {
        return pageTypeName(this.flags);
    }
    bytes(offset, length) {
        if (offset + length <= this.loaded.length)
            return this.loaded.subarray(offset, offset + length);
        return this.image.read(this.fileOffset + offset, length, this.id);
    }
    /** Reads `length` bytes from `offset` into the start of `target`, returning them. */
    bytesInto(offset, length, target) {
        this.image.readInto(target, 0, length, this.fileOffset + offset, this.id);
        return target.subarray(0, length);
    }
    /** Describes where this page is for error messages. */
    get where() {
        return this.inline ? `inline bucket page inside page ${this.id}` : `${this.type} page`;
    }
}
/** One key/value of a leaf page. Valid only during the callback that receives it. */
class LeafEntry {
    page;
    index;
    flags;
    /** Offset of the key within the page; the value follows the key. */
    keyOffset;
    key;
    valueLength;
    constructor(page, index, flags, keyOffset, key, valueLength) {
        this.page = page;
        this.index = index;
        this.flags = flags;
        this.keyOffset = keyOffset;
        this.key = key;
        this.valueLength = valueLength;
    }
    get isBucket() {
        return (this.flags & BUCKET_LEAF_FLAG) !== 0;
    }
    get valueOffset() {
        return this.keyOffset + this.key.length;
    }
    /** File offset of the value's first byte, to read it again later without a walk. */
    get valueFileOffset() {
        return this.page.fileOffset + this.valueOffset;
    }
    /** Key and value as one contiguous run of bytes, when the page holds them loaded. */
    loadedKeyAndValue() {
        const end = this.valueOffset + this.valueLength;
        return end <= this.page.loaded.length
            ? this.page.loaded.subarray(this.keyOffset, end)
            : undefined;
    }
    value() {
        return this.page.bytes(this.valueOffset, this.valueLength);
    }
    /**
     * Up to `length` bytes from the value's start without reading the file when the page
     * already holds a good part of them (at least `minimum`); a read otherwise, into
     * `scratch` when given (valid until the caller reuses it), else into a new buffer.
     */
    valuePrefix(length, minimum, scratch) {
        const start = this.valueOffset;
        const available = Math.min(this.page.loaded.length - start, this.valueLength, length);
        if (available >= Math.min(minimum, this.valueLength)) {
            return this.page.loaded.subarray(start, start + available);
        }
        const wanted = Math.min(length, this.valueLength);
        if (scratch && scratch.length >= wanted)
            return this.page.bytesInto(start, wanted, scratch);
        return this.valueRange(0, length);
    }
    /** `length` bytes of the value from `offset` (clipped to the value's end). */
    valueRange(offset, length) {
        const clipped = Math.max(0, Math.min(length, this.valueLength - offset));
        return this.page.bytes(this.valueOffset + offset, clipped);
    }
}
/** An open snapshot file: its meta pages, its size, and page-by-page access. */
class BoltImage {
    metas;
    /** The meta page bolt would use: the valid one with the higher txid. */
    meta;
    pageSize;
    /** Bytes of the bolt image: pageCount * pageSize; excludes the sha256 trailer. */
    imageSize;
    fileSize;
    /**
     * Whole pages the file holds: pageCount, or fewer when the file is truncated. Anything
     * sized per page (the page tracker, walk budgets) is sized by this, never by the meta
     * page's claim alone, which a damaged file can set to 2^40.
     */
    pagesInFile;
    /** The 32-byte sha256 trailer, when the file has one (size = image + 32). */
    trailer;
    /** Problems of the file's shape (truncation, stray bytes); empty for a sound file. */
    layoutProblems = [];
    file;
    fd;
    constructor(file, fd) {
        this.file = file;
        this.fd = fd;
        this.fileSize = (0,external_node_fs_.fstatSync)(fd).size;
        const { metas, pageSize } = this.readMetas();
        this.metas = metas;
        this.pageSize = pageSize;
        this.meta = this.chooseMeta(metas);
        this.imageSize = this.meta.pageCount * pageSize;
        this.pagesInFile = Math.min(this.meta.pageCount, Math.floor(this.fileSize / pageSize));
        this.trailer = this.readTrailer();
    }
    /** The file ends before the bolt image its meta page describes. */
    get truncated() {
        return this.fileSize < this.imageSize;
    }
    static open(file) {
        const fd = openRegularFile(file);
        try {
            return new BoltImage(file, fd);
        }
        catch (error) {
            (0,external_node_fs_.closeSync)(fd);
            throw error;
        }
    }
    /** Opens, runs `body`, and always closes the file. */
    static with(file, body) {
        const image = BoltImage.open(file);
        try {
            return body(image);
        }
        finally {
            image.close();
        }
    }
    close() {
        (0,external_node_fs_.closeSync)(this.fd);
    }
    get pageCount() {
        return this.meta.pageCount;
    }
    /** Throws the first layout problem (truncation, stray bytes): walks need a whole image. */
    assertComplete() {
        const first = this.layoutProblems[0];
        if (first !== undefined)
            throw snapshotError(this.file, first);
    }
    /** Reads exactly `length` bytes at `offset`, or explains that the file ends early. */
    read(offset, length, page) {
        const buffer = Buffer.allocUnsafe(length);
        this.readInto(buffer, 0, length, offset, page);
        return buffer;
    }
    /** Fills `target[targetOffset, +length)` from file offset `offset`. */
    readInto(target, targetOffset, length, offset, page) {
        let done = 0;
        while (done < length) {
            const got = this.readSome(target, targetOffset + done, length - done, offset + done, page);
            if (got === 0) {
                throw snapshotError(this.file, `the file ends at byte ${offset + done}, but this page needs bytes up to ${offset + length}: ` +
                    `the snapshot is truncated (an interrupted download or copy?).`, page);
            }
            done += got;
        }
    }
    /** One positional read; an I/O error (a failing disk, a vanished mount) becomes a sentence. */
    readSome(target, targetOffset, length, offset, page) {
        try {
            return (0,external_node_fs_.readSync)(this.fd, target, targetOffset, length, offset);
        }
        catch (error) {
            throw snapshotError(this.file, `reading ${length} bytes at byte ${offset} failed (${(0,errors/* errorMessage */.gJ)(error)}): check the disk or file system the file is on.`, page);
        }
    }
    readMetas() {
        const minimum = PAGE_HEADER_SIZE + 64;
        if (this.fileSize < minimum) {
            throw snapshotError(this.file, `is ${this.fileSize} bytes long, too short to be an etcd snapshot (a bolt database starts with two meta pages).`);
        }
        const first = this.read(0, Math.min(this.fileSize, CANDIDATE_PAGE_SIZES[0]));
        const meta0 = parseMeta(first, 0, this.file);
        // Like bolt: the page size comes from meta page 0; if that page is damaged, find
        // meta page 1 at each page size bolt could have used.
        const sizes = meta0.problem === undefined ? [meta0.pageSize] : CANDIDATE_PAGE_SIZES;
        let meta1;
        for (const size of sizes) {
            if (this.fileSize < size + minimum)
                continue;
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
    chooseMeta(metas) {
        const valid = metas.filter((meta) => meta.problem === undefined);
        if (valid.length === 0) {
            const noMagic = metas.every((meta) => meta.problem?.includes("not the bolt magic"));
            throw snapshotError(this.file, noMagic
                ? `is not an etcd snapshot: it does not start with a bolt meta page (magic 0xed0cdaed). ` +
                    `Check that this is the file \`etcdctl snapshot save\` wrote, decrypted and decompressed.`
                : `both meta pages are damaged, so the snapshot cannot be read: ` +
                    metas.map((meta) => meta.problem).join("; ") +
                    ".");
        }
        const chosen = valid.reduce((best, meta) => (meta.txid > best.txid ? meta : best));
        if (!CANDIDATE_PAGE_SIZES.includes(chosen.pageSize)) {
            throw snapshotError(this.file, `meta page ${chosen.pageId} gives page size ${chosen.pageSize}, expected one of ${CANDIDATE_PAGE_SIZES.join(", ")}.`, chosen.pageId);
        }
        if (chosen.pageCount < 2) {
            throw snapshotError(this.file, `meta page ${chosen.pageId} says the image has ${chosen.pageCount} pages.`);
        }
        return chosen;
    }
    readTrailer() {
        const pageSize = this.pageSize;
        const expected = `${this.imageSize} bytes (${this.pageCount} pages of ${pageSize})`;
        if (this.fileSize < this.imageSize) {
            this.layoutProblems.push(`the file is truncated: its bolt image needs ${expected} but the file has only ${this.fileSize} bytes ` +
                `(an interrupted download or copy?).`);
            return undefined;
        }
        if (this.fileSize === this.imageSize)
            return undefined;
        if (this.fileSize === this.imageSize + TRAILER_SIZE)
            return this.read(this.imageSize, TRAILER_SIZE);
        this.layoutProblems.push(`the file has ${this.fileSize - this.imageSize} unexpected bytes after its bolt image of ${expected}; ` +
            `a snapshot ends right after the image or after a 32-byte sha256 trailer.`);
        return undefined;
    }
    /** The top-level bucket of buckets. */
    rootBucket() {
        return { kind: "page", pageId: this.meta.rootPageId, name: "(root)" };
    }
    /**
     * Reads page `id` (header checked), loading what `mode` asks for. Eager reads reuse one
     * scratch buffer, so memory stays flat however big the file: an eagerly read page is
     * valid until the next eager read (walks never hold two). Lazy reads reuse `scratch`
     * when given (a walk's own: its page is valid until that walk reads the next one, while
     * a walk nested in its callback reads into another), else a fresh buffer.
     */
    readPage(id, mode, scratch) {
        if (!Number.isSafeInteger(id) || id < 2 || id >= this.pageCount) {
            throw snapshotError(this.file, `a branch or bucket points to page ${id}, outside the image's data pages 2..${this.pageCount - 1}: the file is damaged.`);
        }
        const pageSize = this.pageSize;
        const fileOffset = id * pageSize;
        const eager = mode === "eager";
        const reused = eager ? this.eagerScratch : scratch;
        let buffer = reused ? reused.of(pageSize) : Buffer.allocUnsafe(pageSize);
        this.readInto(buffer, 0, pageSize, fileOffset, id);
        const headerId = buffer.readBigUInt64LE(0);
        if (headerId !== BigInt(id)) {
            throw snapshotError(this.file, `the page header says it is page ${headerId}: the page is damaged or was overwritten.`, id);
        }
        const flags = buffer.readUInt16LE(8);
        const count = buffer.readUInt16LE(10);
        const overflow = buffer.readUInt32LE(12);
        if (id + overflow >= this.pageCount) {
            throw snapshotError(this.file, `the ${pageTypeName(flags)} page claims ${overflow} overflow pages, past the image's last page ${this.pageCount - 1}.`, id);
        }
        if (id + overflow >= this.pagesInFile) {
            throw snapshotError(this.file, `the ${pageTypeName(flags)} page claims ${overflow} overflow pages, past the file's end at byte ${this.fileSize}: ` +
                `the snapshot is truncated (an interrupted download or copy?).`, id);
        }
        const span = (overflow + 1) * pageSize;
        const elementTableEnd = PAGE_HEADER_SIZE + count * ELEMENT_SIZE;
        const wanted = eager && span <= EAGER_SPAN_LIMIT
            ? span
            : Math.min(Math.max(elementTableEnd, pageSize), span);
        if (wanted > pageSize) {
            const bigger = reused ? reused.of(wanted) : Buffer.allocUnsafe(wanted);
            if (bigger !== buffer)
                buffer.copy(bigger, 0, 0, pageSize);
            buffer = bigger;
            this.readInto(buffer, pageSize, wanted - pageSize, fileOffset + pageSize, id);
        }
        return new Page(this, { id, fileOffset, flags, count, overflow, span }, buffer.subarray(0, wanted), false);
    }
    eagerScratch = new ScratchBuffer(64 * 1024);
    /** The bucket a leaf entry opens: a page of the image, or an inline page in the value. */
    bucketOf(entry) {
        const where = `bucket "${printable(entry.key)}" on ${entry.page.where} ${entry.page.id}`;
        if (entry.valueLength < BUCKET_HEADER_SIZE) {
            throw snapshotError(this.file, `${where} has a ${entry.valueLength}-byte header, expected at least ${BUCKET_HEADER_SIZE}.`, entry.page.id);
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
            throw snapshotError(this.file, `${where} is inline but too short to hold a page.`, entry.page.id);
        }
        const page = new Page(this, {
            id: entry.page.id,
            fileOffset: entry.valueFileOffset + BUCKET_HEADER_SIZE,
            flags: inline.readUInt16LE(8),
            count: inline.readUInt16LE(10),
            overflow: 0,
            span: inline.length,
        }, inline, true);
        if (!(page.flags & PageFlag.leaf)) {
            throw snapshotError(this.file, `${where} is inline but its page is ${page.type}, not leaf.`, entry.page.id);
        }
        return { kind: "inline", page, name };
    }
    /** Finds a top-level bucket by name (etcd's `key`, `meta`, `lease`, ...). */
    findBucket(name) {
        let found;
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
    walk(bucket, mode, onEntry, observer) {
        const state = {
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
    walkPage(pageId, depth, bucketName, mode, state, onEntry, observer) {
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
            throw this.loopError(bucketName, `reaches more pages than the file's ${this.pagesInFile - 2} data pages`, pageId);
        }
        if (page.flags & PageFlag.branch) {
            for (const child of this.branchChildren(page, bucketName)) {
                this.walkPage(child, depth + 1, bucketName, mode, state, onEntry, observer);
                if (state.stopped)
                    return;
            }
        }
        else if (page.flags & PageFlag.leaf) {
            this.walkLeaf(page, bucketName, state, onEntry);
        }
        else {
            throw snapshotError(this.file, `bucket "${bucketName}" reaches a ${page.type} page where only branch or leaf pages may be: the file is damaged.`, page.id);
        }
    }
    loopError(bucketName, how, pageId) {
        return snapshotError(this.file, `the tree of bucket "${bucketName}" ${how}, so a branch points back into its own tree: the file is damaged.`, pageId);
    }
    branchChildren(page, bucketName) {
        if (page.count === 0) {
            throw snapshotError(this.file, `the branch page of bucket "${bucketName}" has no elements.`, page.id);
        }
        const table = this.elementTable(page, bucketName);
        const children = [];
        let previousKey;
        for (let index = 0; index < page.count; index++) {
            const element = PAGE_HEADER_SIZE + index * ELEMENT_SIZE;
            const keyOffset = element + table.readUInt32LE(element);
            const keySize = table.readUInt32LE(element + 4);
            this.checkBounds(page, index, keyOffset, keySize, 0, bucketName);
            const key = page.bytes(keyOffset, keySize);
            if (previousKey !== undefined && Buffer.compare(previousKey, key) >= 0) {
                throw snapshotError(this.file, `branch element ${index} of bucket "${bucketName}" is out of key order: the page is damaged.`, page.id);
            }
            previousKey = key;
            children.push(safeNumber(table.readBigUInt64LE(element + 8), `branch element ${index}: child page`, this.file, page.id));
        }
        return children;
    }
    walkLeaf(page, bucketName, state, onEntry) {
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
                throw snapshotError(this.file, `leaf element ${index} of bucket "${bucketName}" (${page.where}) is out of key order: ` +
                    `key ${printable(key)} does not sort after ${printable(state.previousKey)}; the page is damaged.`, page.id);
            }
            state.previousKey = key;
            if (onEntry(new LeafEntry(page, index, flags, keyOffset, key, valueSize)) === "stop") {
                state.stopped = true;
                return;
            }
        }
        // The next page may be read into the same scratch buffer: keep the last key's own copy.
        if (state.previousKey)
            state.previousKey = Buffer.from(state.previousKey);
    }
    /** The loaded bytes holding the element table (readPage loads it whenever it fits the page). */
    elementTable(page, bucketName) {
        const tableEnd = PAGE_HEADER_SIZE + page.count * ELEMENT_SIZE;
        if (tableEnd > page.span || tableEnd > page.loaded.length) {
            throw snapshotError(this.file, `the ${page.where} of bucket "${bucketName}" claims ${page.count} elements, ` +
                `more than its ${page.span} bytes can hold: the page is damaged.`, page.id);
        }
        return page.loaded;
    }
    checkBounds(page, index, keyOffset, keySize, valueSize, bucketName) {
        const tableEnd = PAGE_HEADER_SIZE + page.count * ELEMENT_SIZE;
        const end = keyOffset + keySize + valueSize;
        if (tableEnd > page.span || keyOffset < tableEnd || end > page.span) {
            throw snapshotError(this.file, `element ${index} of the ${page.where} of bucket "${bucketName}" points to bytes ${keyOffset}..${end}, ` +
                `outside the page's ${page.span} bytes: the page is damaged.`, page.id);
        }
    }
}
/** A buffer reused from page to page, grown when a page needs more. */
class ScratchBuffer {
    buffer = Buffer.alloc(0);
    minimum;
    constructor(minimum) {
        this.minimum = minimum;
    }
    /** The buffer, at least `length` bytes long; earlier contents are not kept when it grows. */
    of(length) {
        if (this.buffer.length < length) {
            this.buffer = Buffer.allocUnsafe(Math.max(length, this.buffer.length * 2, this.minimum));
        }
        return this.buffer;
    }
}
/** A key for messages: text when it is text, hex otherwise. */
function printable(key) {
    const text = key.toString("utf8");
    return /^[\x20-\x7e]*$/.test(text) ? text : `0x${key.toString("hex")}`;
}

;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/check.js


/** Nested buckets deeper than this are a loop: etcd nests none, bolt users a few levels. */
const MAX_BUCKET_NESTING = 64;
/** Freelist page ids are read this many at a time, so a huge freelist costs no memory. */
const FREELIST_IDS_PER_READ = 64 * 1024;
/** One bit per page: a bitmap of an 8 GiB image of 4 KiB pages is 256 KiB. */
class PageSet {
    bits;
    size;
    constructor(size) {
        this.size = size;
        this.bits = new Uint8Array(Math.ceil(size / 8));
    }
    has(id) {
        return (this.bits[id >>> 3] & (1 << (id & 7))) !== 0;
    }
    add(id) {
        this.bits[id >>> 3] |= 1 << (id & 7);
    }
}
/** Marks every page a walk reaches and refuses a page reached twice. */
class PageTracker {
    // Sized by the pages the file really holds, not by the meta page's claim: readPage
    // refuses any page (and overflow) past the file's end before it gets here.
    reachable;
    freed;
    shapes = new Map();
    image;
    constructor(image) {
        this.image = image;
        this.reachable = new PageSet(image.pagesInFile);
        this.freed = new PageSet(image.pagesInFile);
        this.reachable.add(0);
        this.reachable.add(1);
        this.loadFreelist();
    }
    onPage(page, bucketName, depth) {
        for (let id = page.id; id <= page.id + page.overflow; id++) {
            if (this.reachable.has(id)) {
                throw snapshotError(this.image.file, `page ${id} is referenced twice (again from bucket "${bucketName}"): the tree is damaged.`, page.id);
            }
            this.reachable.add(id);
        }
        if (this.freed.has(page.id)) {
            throw snapshotError(this.image.file, `page is both reachable and on the freelist.`, page.id);
        }
        const shape = this.shape(bucketName);
        shape.depth = Math.max(shape.depth, depth);
        shape.overflowPages += page.overflow;
        if (page.flags & PageFlag.branch)
            shape.branchPages++;
        else if (page.flags & PageFlag.leaf) {
            shape.leafPages++;
            shape.entries += page.count;
        }
    }
    shape(bucketName) {
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
    noteInline(bucket) {
        if (bucket.kind === "inline")
            this.shape(bucket.name).entries += bucket.page.count;
    }
    /**
     * Pages neither reachable nor free. etcd does not sync the freelist (NoFreelistSync),
     * and then bolt rebuilds it as "every unreachable page", so only a synced freelist
     * can reveal lost pages.
     */
    assertNoLostPages() {
        if (this.image.meta.freelistPageId === undefined)
            return;
        for (let id = 2; id < this.reachable.size; id++) {
            if (!this.reachable.has(id) && !this.freed.has(id)) {
                throw snapshotError(this.image.file, `page is neither reachable nor free (unreachable unfreed).`, id);
            }
        }
    }
    loadFreelist() {
        const freelistPageId = this.image.meta.freelistPageId;
        if (freelistPageId === undefined)
            return;
        const file = this.image.file;
        const pageSize = this.image.pageSize;
        if (freelistPageId < 2 || freelistPageId >= this.image.pageCount) {
            throw snapshotError(file, `the meta page points to freelist page ${freelistPageId}, outside the image.`);
        }
        const pageOffset = freelistPageId * pageSize;
        const header = this.image.read(pageOffset, PAGE_HEADER_SIZE + 8, freelistPageId);
        const flags = header.readUInt16LE(8);
        if (!(flags & PageFlag.freelist)) {
            throw snapshotError(file, `the meta page's freelist page is a ${pageTypeName(flags)} page.`, freelistPageId);
        }
        const overflow = header.readUInt32LE(12);
        if (freelistPageId + overflow >= this.reachable.size) {
            throw snapshotError(file, `the freelist page claims ${overflow} overflow pages, past the end of the image or the file.`, freelistPageId);
        }
        const span = (overflow + 1) * pageSize;
        for (let id = freelistPageId; id <= freelistPageId + overflow; id++)
            this.reachable.add(id);
        // A count of 0xFFFF means the real count is the first u64 of the data (kept a bigint
        // until checked: a damaged one can be 2^64-1).
        const shortCount = header.readUInt16LE(10);
        const longCount = shortCount === 0xffff;
        const claimed = longCount ? header.readBigUInt64LE(PAGE_HEADER_SIZE) : BigInt(shortCount);
        const idsAt = PAGE_HEADER_SIZE + (longCount ? 8 : 0);
        if (BigInt(idsAt) + claimed * 8n > BigInt(span)) {
            throw snapshotError(file, `the freelist claims ${claimed} page ids, more than its page holds.`, freelistPageId);
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
    markFree(pageId, freelistPageId) {
        const file = this.image.file;
        if (pageId >= BigInt(this.freed.size)) {
            throw snapshotError(file, `the freelist lists page ${pageId}, outside the image.`, freelistPageId);
        }
        const id = Number(pageId);
        if (this.freed.has(id)) {
            throw snapshotError(file, `page ${id} is freed twice on the freelist.`, freelistPageId);
        }
        this.freed.add(id);
    }
}
/** Walks every bucket (nested ones too) with the tracker, as tx.Check does. */
function walkChecked(image, mode, tracker, visitor = {}) {
    image.walk(image.rootBucket(), "lazy", (bucketEntry) => {
        if (!bucketEntry.isBucket) {
            throw snapshotError(image.file, `the root bucket holds a plain key ${printable(bucketEntry.key)}; etcd keeps only buckets there.`, bucketEntry.page.id);
        }
        const name = Buffer.from(bucketEntry.key);
        const bucket = image.bucketOf(bucketEntry);
        tracker.noteInline(bucket);
        visitor.onBucket?.(name);
        image.walk(bucket, mode, (entry) => {
            visitor.onEntry?.(name, entry);
            if (entry.isBucket)
                checkNestedBucket(image, image.bucketOf(entry), tracker, 2);
        }, tracker);
    }, tracker);
    tracker.assertNoLostPages();
}
function checkNestedBucket(image, bucket, tracker, nesting) {
    // Inline buckets nest inside one value without a page the tracker could see twice: a
    // crafted value could nest them until the stack overflows.
    if (nesting > MAX_BUCKET_NESTING) {
        throw snapshotError(image.file, `bucket "${bucket.name}" is nested more than ${MAX_BUCKET_NESTING} buckets deep; etcd nests none: the file is damaged.`);
    }
    tracker.noteInline(bucket);
    image.walk(bucket, "lazy", (entry) => {
        if (entry.isBucket)
            checkNestedBucket(image, image.bucketOf(entry), tracker, nesting + 1);
    }, tracker);
}

;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/crc32c.js
/**
 * CRC-32C (Castagnoli), the checksum `etcdctl snapshot status` reports as `hash`.
 * Slicing-by-16 over 32-bit words: sixteen table lookups per 16 bytes keep the pure-JS
 * loop within a small factor of a hardware CRC, and need no native addon inside a
 * bundled action. Words are read in the host's byte order, which is little-endian on
 * every platform etcd's bolt files come from (amd64, arm64), as bolt itself assumes.
 */
const CASTAGNOLI_REFLECTED = 0x82f63b78;
const SLICES = 16;
/** TABLES[s * 256 + b]: the CRC of byte b followed by s zero bytes. */
const TABLES = buildTables();
function buildTables() {
    const tables = new Int32Array(256 * SLICES);
    for (let byte = 0; byte < 256; byte++) {
        let crc = byte;
        for (let bit = 0; bit < 8; bit++)
            crc = crc & 1 ? (crc >>> 1) ^ CASTAGNOLI_REFLECTED : crc >>> 1;
        tables[byte] = crc;
    }
    for (let slice = 1; slice < SLICES; slice++) {
        for (let byte = 0; byte < 256; byte++) {
            const previous = tables[(slice - 1) * 256 + byte];
            tables[slice * 256 + byte] = (previous >>> 8) ^ tables[previous & 0xff];
        }
    }
    return tables;
}
/** A running CRC-32C: feed it bytes in order, read `value` at the end. */
class Crc32c {
    /** The register before the final inversion, so updates chain without extra work. */
    register = -1;
    update(bytes) {
        this.register = updateRegister(this.register, bytes);
        return this;
    }
    get value() {
        return (this.register ^ -1) >>> 0;
    }
}
/** The CRC-32C of one buffer. */
function crc32c(bytes) {
    return new Crc32c().update(bytes).value;
}
/**
 * An Int32Array over the whole of the last ArrayBuffer hashed, from its start so that its
 * words are aligned. status hashes every entry of a page from one reused page buffer: a
 * view per entry (a typed array per ~250 bytes) cost more than the CRC of the bytes.
 * Holds one buffer until another is hashed.
 */
let viewedBuffer;
let viewedWords = new Int32Array(0);
function wordsOf(buffer) {
    if (buffer !== viewedBuffer) {
        viewedWords = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
        viewedBuffer = buffer;
    }
    return viewedWords;
}
function updateRegister(register, bytes) {
    const T = TABLES;
    let crc = register;
    let index = 0;
    const length = bytes.length;
    // Bytes up to the first 4-byte boundary, so the rest can be read as whole words.
    while (index < length && (bytes.byteOffset + index) & 3) {
        crc = (crc >>> 8) ^ T[(crc ^ bytes[index]) & 0xff];
        index++;
    }
    const wordCount = (length - index) >>> 2;
    if (wordCount >= 4) {
        const words = wordsOf(bytes.buffer);
        const first = (bytes.byteOffset + index) >>> 2;
        const end = first + wordCount - (wordCount % 4);
        for (let w = first; w < end; w += 4) {
            const a = words[w] ^ crc;
            const b = words[w + 1];
            const c = words[w + 2];
            const d = words[w + 3];
            crc =
                T[3840 + (a & 0xff)] ^
                    T[3584 + ((a >>> 8) & 0xff)] ^
                    T[3328 + ((a >>> 16) & 0xff)] ^
                    T[3072 + (a >>> 24)] ^
                    T[2816 + (b & 0xff)] ^
                    T[2560 + ((b >>> 8) & 0xff)] ^
                    T[2304 + ((b >>> 16) & 0xff)] ^
                    T[2048 + (b >>> 24)] ^
                    T[1792 + (c & 0xff)] ^
                    T[1536 + ((c >>> 8) & 0xff)] ^
                    T[1280 + ((c >>> 16) & 0xff)] ^
                    T[1024 + (c >>> 24)] ^
                    T[768 + (d & 0xff)] ^
                    T[512 + ((d >>> 8) & 0xff)] ^
                    T[256 + ((d >>> 16) & 0xff)] ^
                    T[d >>> 24];
        }
        index += (end - first) * 4;
    }
    while (index < length) {
        crc = (crc >>> 8) ^ T[(crc ^ bytes[index]) & 0xff];
        index++;
    }
    return crc;
}

// EXTERNAL MODULE: ./.build/compile/src/core/snapshot/protobuf.js
var protobuf = __webpack_require__(45647);
;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/mvcc.js

/** Parses a `key` bucket key; undefined when the bytes are not a revision. */
function parseRevisionKey(key) {
    const tombstone = key.length === 18 && key[17] === 0x74; // 't'
    if (!(key.length === 17 || tombstone) || key[8] !== 0x5f /* '_' */)
        return undefined;
    return { main: uint64At(key, 0), sub: uint64At(key, 9), tombstone };
}
/** A big-endian u64 as a number (revisions stay far below 2^53). */
function uint64At(bytes, offset) {
    return bytes.readUInt32BE(offset) * 0x1_0000_0000 + bytes.readUInt32BE(offset + 4);
}
function compareRevisions(a, b) {
    return a.main - b.main || a.sub - b.sub;
}
/** Bytes read at a time while parsing; KeyValue headers are far smaller than this. */
const WINDOW = 4096;
/**
 * The first read of a KeyValue whose start is not in the loaded page: key, revisions and
 * the value's first 256 bytes fit in it. It goes into one reused buffer: a fresh 4 KiB
 * buffer per key was most of what listing 150,000 keys allocated (and its peak memory).
 */
const HEADER_READ = 1024;
const headerScratch = Buffer.allocUnsafe(HEADER_READ);
/**
 * Reads the KeyValue of a `key` bucket entry, loading only the bytes around its fields:
 * a 1 MiB value costs two small reads, not 1 MiB. Throws ProtobufError when it is not one.
 * The header's `key` and `valueHead` are valid until the next call: copy them to keep them.
 */
function readKeyValueHeader(entry, headSize = 256) {
    const cursor = new ValueCursor(entry);
    const header = {
        key: EMPTY,
        createRevision: 0,
        modRevision: 0,
        version: 0,
        lease: "",
        valueLength: 0,
        valueOffset: 0,
        valueHead: EMPTY,
    };
    while (cursor.position < entry.valueLength) {
        const tag = cursor.varint();
        const number = Math.floor(tag / 8);
        const wireType = tag & 7;
        if (wireType === protobuf/* WireType */.O0.varint && number === 6) {
            // Lease ids are random 63-bit numbers: exact only as a bigint.
            const lease = cursor.varintBig();
            header.lease = lease === 0n ? "" : lease.toString(16);
        }
        else if (wireType === protobuf/* WireType */.O0.varint) {
            const value = cursor.varint();
            if (number === 2)
                header.createRevision = value;
            else if (number === 3)
                header.modRevision = value;
            else if (number === 4)
                header.version = value;
        }
        else if (wireType === protobuf/* WireType */.O0.bytes) {
            const length = cursor.varint();
            if (cursor.position + length > entry.valueLength) {
                throw new protobuf/* ProtobufError */.uk(`field ${number} (${length} bytes) runs past the end of the KeyValue`);
            }
            if (number === 1)
                header.key = cursor.bytes(length);
            if (number === 5) {
                header.valueLength = length;
                header.valueOffset = cursor.position;
                header.valueHead = cursor.bytes(Math.min(length, headSize));
            }
            cursor.position += length;
        }
        else if (wireType === protobuf/* WireType */.O0.fixed64) {
            cursor.position += 8;
        }
        else if (wireType === protobuf/* WireType */.O0.fixed32) {
            cursor.position += 4;
        }
        else {
            throw new protobuf/* ProtobufError */.uk(`field ${number} has unsupported wire type ${wireType}`);
        }
    }
    if (cursor.position !== entry.valueLength)
        throw new protobuf/* ProtobufError */.uk("the last field runs past the end");
    return header;
}
const EMPTY = Buffer.alloc(0);
/** Reads a bolt value through a small window that moves as parsing advances. */
class ValueCursor {
    position = 0;
    window;
    windowStart = 0;
    entry;
    constructor(entry) {
        this.entry = entry;
        // The page usually holds the KeyValue's header already: no read for it.
        this.window = entry.valuePrefix(HEADER_READ, 512, headerScratch);
    }
    byteAt(position) {
        if (position >= this.entry.valueLength)
            throw new protobuf/* ProtobufError */.uk("a varint runs past the end of the KeyValue");
        if (position < this.windowStart || position >= this.windowStart + this.window.length) {
            this.windowStart = position;
            this.window = this.entry.valueRange(position, WINDOW);
        }
        return this.window[position - this.windowStart];
    }
    varint() {
        let value = 0;
        let scale = 1;
        for (let count = 0; count < 10; count++) {
            const byte = this.byteAt(this.position++);
            value += (byte & 0x7f) * scale;
            if (byte < 0x80)
                return value;
            scale *= 128;
        }
        throw new protobuf/* ProtobufError */.uk("a varint is longer than 10 bytes");
    }
    varintBig() {
        let value = 0n;
        for (let shift = 0n; shift < 70n; shift += 7n) {
            const byte = this.byteAt(this.position++);
            value |= BigInt(byte & 0x7f) << shift;
            if (byte < 0x80)
                return BigInt.asIntN(64, value);
        }
        throw new protobuf/* ProtobufError */.uk("a varint is longer than 10 bytes");
    }
    bytes(length) {
        const offset = this.position - this.windowStart;
        if (offset >= 0 && offset + length <= this.window.length)
            return this.window.subarray(offset, offset + length);
        return this.entry.valueRange(this.position, length);
    }
}

;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/status.js





const KEY_BUCKET = Buffer.from("key");
/** Values bigger than this are hashed in pieces, so memory stays flat. */
const VALUE_CHUNK = 1024 * 1024;
/** Reads the status of the snapshot at `file`; throws a SnapshotError if it is damaged. */
function status_readSnapshotStatus(file) {
    return BoltImage.with(file, (image) => statusOf(image));
}
function statusOf(image) {
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
    }
    catch (error) {
        if (error instanceof SnapshotError) {
            throw new SnapshotError(`Snapshot integrity check failed: ${error.message}`, error.file, error.page);
        }
        throw error;
    }
    return { hash: hash.value, revision, totalKey, totalSize: image.imageSize };
}
function hashEntry(hash, entry) {
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

// EXTERNAL MODULE: external "node:crypto"
var external_node_crypto_ = __webpack_require__(77598);
;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/verify.js
/**
 * `snapshot verify`: is this file a whole, undamaged etcd snapshot? Checks both meta
 * pages, the file's length, the bolt tree (tx.Check plus bounds and key order), every
 * MVCC entry's revision and KeyValue, and the sha256 trailer. A damaged file yields a
 * report naming the page and what is wrong; verify itself never throws for one.
 */






const HASH_CHUNK = 4 * 1024 * 1024;
const verify_KEY_BUCKET = Buffer.from("key");
/** Verifies the snapshot at `file` and reports every problem found. */
function verifySnapshot(file, options = {}) {
    const report = { file, ok: false, problems: [], fileSize: 0, buckets: [] };
    let image;
    try {
        image = BoltImage.open(file);
    }
    catch (error) {
        report.problems.push(problemOf(error));
        return report;
    }
    try {
        describeImage(image, report);
        options.logger?.debug(`${file}: ${report.pageCount} pages of ${report.pageSize} bytes`);
        for (const meta of image.metas) {
            if (meta.problem)
                report.problems.push({ page: meta.pageId, message: `${file}: ${meta.problem}.` });
        }
        for (const problem of image.layoutProblems)
            report.problems.push({ message: `${file}: ${problem}` });
        // A truncated image has nothing more to tell: the walk would only fail again at the
        // first missing page, as a second sentence about the same missing bytes.
        if (!image.truncated) {
            checkTree(image, report);
            checkTrailer(image, report);
        }
    }
    finally {
        image.close();
    }
    report.ok = report.problems.length === 0;
    options.logger?.debug(`${file}: ${report.ok ? "verified" : `${report.problems.length} problem(s)`}`);
    return report;
}
/** Verifies and throws one SnapshotError listing every problem; for the backup action. */
function verify_assertSnapshotVerified(file, options = {}) {
    const report = verifySnapshot(file, options);
    if (!report.ok) {
        const first = report.problems[0];
        throw new SnapshotError(`Snapshot ${file} failed verification: ${report.problems.map((problem) => problem.message).join(" ")}`, file, first?.page);
    }
    return report;
}
function describeImage(image, report) {
    report.fileSize = image.fileSize;
    report.pageSize = image.pageSize;
    report.pageCount = image.pageCount;
    report.imageSize = image.imageSize;
    report.trailer = image.trailer ? "mismatch" : "absent";
}
function checkTree(image, report) {
    let tracker;
    let revision = 0;
    try {
        // Inside the try: the tracker reads the freelist, which can be damaged too.
        tracker = new PageTracker(image);
        walkChecked(image, "lazy", tracker, {
            onEntry: (bucketName, entry) => {
                if (!bucketName.equals(verify_KEY_BUCKET))
                    return;
                const entryRevision = parseRevisionKey(entry.key);
                if (!entryRevision) {
                    throw snapshotError(image.file, `bucket "key" holds ${printable(entry.key)}, which is not an etcd revision.`, entry.page.id);
                }
                revision = entryRevision.main;
                try {
                    readKeyValueHeader(entry, 0);
                }
                catch (error) {
                    if (!(error instanceof protobuf/* ProtobufError */.uk))
                        throw error;
                    throw snapshotError(image.file, `the value of revision ${entryRevision.main}.${entryRevision.sub} is not an etcd KeyValue (${error.message}).`, entry.page.id);
                }
            },
        });
        report.revision = revision;
    }
    catch (error) {
        report.problems.push(problemOf(error));
    }
    report.buckets = tracker ? [...tracker.shapes.values()] : [];
}
function checkTrailer(image, report) {
    if (!image.trailer || image.fileSize < image.imageSize + TRAILER_SIZE)
        return;
    const hash = (0,external_node_crypto_.createHash)("sha256");
    const chunk = Buffer.allocUnsafe(HASH_CHUNK);
    for (let offset = 0; offset < image.imageSize; offset += HASH_CHUNK) {
        const length = Math.min(HASH_CHUNK, image.imageSize - offset);
        image.readInto(chunk, 0, length, offset);
        hash.update(chunk.subarray(0, length));
    }
    const actual = hash.digest();
    report.imageSha256 = actual.toString("hex");
    if (actual.equals(image.trailer)) {
        report.trailer = "verified";
        return;
    }
    report.trailer = "mismatch";
    report.problems.push({
        message: `${image.file}: the sha256 trailer does not match the bolt image (trailer ${image.trailer.toString("hex")}, ` +
            `image ${report.imageSha256}): the file changed after etcd wrote it.`,
    });
}
function problemOf(error) {
    if (error instanceof SnapshotError) {
        return { ...(error.page === undefined ? {} : { page: error.page }), message: error.message };
    }
    throw error;
}

// EXTERNAL MODULE: ./.build/compile/src/core/snapshot/kubernetes.js
var kubernetes = __webpack_require__(12140);
;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/keys.js
/**
 * The store as etcd serves it at the snapshot's revision: every live key with its latest
 * KeyValue, tombstones and superseded revisions resolved (per key, the highest revision
 * wins and a tombstone removes the key), in key byte order.
 */






const NOT_KUBERNETES = "(none)";
const ENCODINGS = ["protobuf", "json", "encrypted", "other"];
const ENCODING_CODES = new Map(ENCODINGS.map((encoding, code) => [encoding, code]));
/** Slots per chunk of columns: columns grow a chunk at a time, never copied. */
const SLOT_SHIFT = 14;
const SLOTS_PER_CHUNK = 1 << SLOT_SHIFT;
const SLOT_MASK = SLOTS_PER_CHUNK - 1;
/** Bytes per piece of the key arena (a longer key gets a piece of its own). */
const ARENA_PIECE = 1024 * 1024;
function newChunk() {
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
    pieces = [];
    pieceUsed = ARENA_PIECE;
    chunks = [];
    /** Slot + 1 per bucket (0: empty); at least twice as many buckets as slots. */
    table = new Int32Array(1024);
    used = 0;
    liveCount = 0;
    /** Only the few keys with a lease or an encryption prefix pay for them. */
    leases = new Map();
    encryptions = new Map();
    get size() {
        return this.liveCount;
    }
    set(key, latest) {
        let slot = this.find(key);
        if (slot < 0)
            slot = this.add(key);
        const chunk = this.chunks[slot >>> SLOT_SHIFT];
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
        chunk.encoding[index] = ENCODING_CODES.get(latest.encoding);
        if (latest.lease)
            this.leases.set(slot, latest.lease);
        else
            this.leases.delete(slot);
        if (latest.encryption)
            this.encryptions.set(slot, latest.encryption);
        else
            this.encryptions.delete(slot);
    }
    delete(key) {
        const slot = this.slotOf(key);
        if (slot < 0)
            return;
        this.chunks[slot >>> SLOT_SHIFT].alive[slot & SLOT_MASK] = 0;
        this.liveCount--;
        this.leases.delete(slot);
        this.encryptions.delete(slot);
    }
    /** The live slot of `key`, or -1. */
    slotOf(key) {
        const slot = this.find(key);
        return slot >= 0 && this.chunks[slot >>> SLOT_SHIFT].alive[slot & SLOT_MASK] ? slot : -1;
    }
    get(slot) {
        const chunk = this.chunks[slot >>> SLOT_SHIFT];
        const at = (slot & SLOT_MASK) * NUMBER_COLUMNS;
        const encryption = this.encryptions.get(slot);
        return {
            createRevision: chunk.numbers[at],
            modRevision: chunk.numbers[at + 1],
            version: chunk.numbers[at + 2],
            lease: this.leases.get(slot) ?? "",
            valueLength: chunk.numbers[at + 3],
            valueFileOffset: chunk.numbers[at + 4],
            encoding: ENCODINGS[chunk.encoding[slot & SLOT_MASK]],
            ...(encryption ? { encryption } : {}),
        };
    }
    valueLength(slot) {
        return this.chunks[slot >>> SLOT_SHIFT].numbers[(slot & SLOT_MASK) * NUMBER_COLUMNS + 3];
    }
    /** The key as text: its bytes decoded as UTF-8 (etcd keys are, nearly always, ASCII). */
    keyText(slot) {
        const chunk = this.chunks[slot >>> SLOT_SHIFT];
        const index = slot & SLOT_MASK;
        const start = chunk.start[index];
        return this.pieces[chunk.piece[index]].toString("utf8", start, start + chunk.length[index]);
    }
    /** The live slots in etcd's order: the keys' bytes compared unsigned, shorter first on a tie. */
    sortedSlots() {
        const slots = new Int32Array(this.liveCount);
        let next = 0;
        for (let slot = 0; slot < this.used; slot++) {
            if (this.chunks[slot >>> SLOT_SHIFT].alive[slot & SLOT_MASK])
                slots[next++] = slot;
        }
        return slots.sort((a, b) => this.compareKeys(a, b));
    }
    compareKeys(a, b) {
        const aChunk = this.chunks[a >>> SLOT_SHIFT];
        const bChunk = this.chunks[b >>> SLOT_SHIFT];
        const aIndex = a & SLOT_MASK;
        const bIndex = b & SLOT_MASK;
        const aPiece = this.pieces[aChunk.piece[aIndex]];
        const bPiece = this.pieces[bChunk.piece[bIndex]];
        const aStart = aChunk.start[aIndex];
        const bStart = bChunk.start[bIndex];
        const aLength = aChunk.length[aIndex];
        const bLength = bChunk.length[bIndex];
        const common = Math.min(aLength, bLength);
        for (let offset = 0; offset < common; offset++) {
            const difference = aPiece[aStart + offset] - bPiece[bStart + offset];
            if (difference !== 0)
                return difference;
        }
        return aLength - bLength;
    }
    find(key) {
        const mask = this.table.length - 1;
        for (let bucket = hashOf(key) & mask;; bucket = (bucket + 1) & mask) {
            const entry = this.table[bucket];
            if (entry === 0)
                return -1;
            if (this.keyEquals(entry - 1, key))
                return entry - 1;
        }
    }
    keyEquals(slot, key) {
        const chunk = this.chunks[slot >>> SLOT_SHIFT];
        const index = slot & SLOT_MASK;
        const length = chunk.length[index];
        if (length !== key.length)
            return false;
        const piece = this.pieces[chunk.piece[index]];
        const start = chunk.start[index];
        for (let offset = 0; offset < length; offset++) {
            if (piece[start + offset] !== key[offset])
                return false;
        }
        return true;
    }
    add(key) {
        const slot = this.used++;
        if (slot >>> SLOT_SHIFT >= this.chunks.length)
            this.chunks.push(newChunk());
        if (this.pieceUsed + key.length > ARENA_PIECE || this.pieces.length === 0) {
            this.pieces.push(Buffer.allocUnsafe(Math.max(ARENA_PIECE, key.length)));
            this.pieceUsed = 0;
        }
        const chunk = this.chunks[slot >>> SLOT_SHIFT];
        const index = slot & SLOT_MASK;
        key.copy(this.pieces[this.pieces.length - 1], this.pieceUsed);
        chunk.piece[index] = this.pieces.length - 1;
        chunk.start[index] = this.pieceUsed;
        chunk.length[index] = key.length;
        this.pieceUsed += key.length;
        if (this.used * 2 > this.table.length)
            this.rehash(this.table.length * 2);
        else
            this.insert(slot, hashOf(key));
        return slot;
    }
    insert(slot, hash) {
        const mask = this.table.length - 1;
        let bucket = hash & mask;
        while (this.table[bucket] !== 0)
            bucket = (bucket + 1) & mask;
        this.table[bucket] = slot + 1;
    }
    rehash(buckets) {
        this.table = new Int32Array(buckets);
        for (let slot = 0; slot < this.used; slot++) {
            const chunk = this.chunks[slot >>> SLOT_SHIFT];
            const index = slot & SLOT_MASK;
            const start = chunk.start[index];
            const piece = this.pieces[chunk.piece[index]];
            this.insert(slot, hashOf(piece.subarray(start, start + chunk.length[index])));
        }
    }
}
/** FNV-1a over the key's bytes, 32 bits. */
function hashOf(key) {
    let hash = 0x811c9dc5;
    for (let index = 0; index < key.length; index++) {
        hash = Math.imul(hash ^ key[index], 0x01000193);
    }
    return hash >>> 0;
}
/** createRevision, modRevision, version, valueLength, valueFileOffset. */
const NUMBER_COLUMNS = 5;
/**
 * Walks bucket `key` once, keeping the latest entry of each key `wanted` accepts. Reads
 * only the first page of each leaf and a few bytes around each KeyValue's fields.
 */
function latestEntries(image, wanted) {
    image.assertComplete();
    const keyBucket = image.findBucket("key");
    if (!keyBucket) {
        throw snapshotError(image.file, `has no bucket "key", so it is a bolt file but not an etcd v3 snapshot.`);
    }
    const entries = new LatestEntries();
    let revision = 0;
    image.walk(keyBucket, "lazy", (entry) => {
        const entryRevision = revisionOf(image, entry);
        revision = entryRevision.main;
        const header = keyValueOf(image, entry, entryRevision);
        if (!wanted(header.key))
            return;
        if (entryRevision.tombstone) {
            entries.delete(header.key);
            return;
        }
        // Keep only small facts: the page's bytes are gone after this callback.
        const { encoding, encryption } = (0,kubernetes/* detectEncoding */.X0)(header.valueHead);
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
function revisionOf(image, entry) {
    // etcd nests no buckets; bolt would hand such an entry's value over as nil.
    if (entry.isBucket) {
        throw snapshotError(image.file, `bucket "key" holds a nested bucket ${printable(entry.key)}, where etcd keeps only revisions: the page is damaged.`, entry.page.id);
    }
    const revision = parseRevisionKey(entry.key);
    if (!revision) {
        throw snapshotError(image.file, `bucket "key" holds key ${printable(entry.key)}, which is not an etcd revision ` +
            `(17 bytes: main, "_", sub; 18 with a trailing "t"): the page is damaged.`, entry.page.id);
    }
    return revision;
}
function keyValueOf(image, entry, revision) {
    try {
        return readKeyValueHeader(entry);
    }
    catch (error) {
        if (!(error instanceof protobuf/* ProtobufError */.uk))
            throw error;
        throw snapshotError(image.file, `the value of revision ${revision.main}.${revision.sub} in bucket "key" is not an etcd KeyValue ` +
            `(${error.message}): the page is damaged.`, entry.page.id);
    }
}
/** The compaction revision etcd recorded in bucket `meta` (key `finishedCompactRev`). */
function compactRevisionOf(image) {
    const metaBucket = image.findBucket("meta");
    if (!metaBucket)
        return 0;
    let compactRevision = 0;
    const wanted = Buffer.from("finishedCompactRev");
    image.walk(metaBucket, "lazy", (entry) => {
        if (!entry.key.equals(wanted))
            return undefined;
        compactRevision = parseRevisionKey(entry.value())?.main ?? 0;
        return "stop";
    });
    return compactRevision;
}
/** Opens the snapshot at `file`, hands its live keys to `body`, and closes it. */
function keys_withSnapshotKeys(file, options, body) {
    return BoltImage.with(file, (image) => body(snapshotKeysOf(image, options)));
}
/** Lists the live keys of the snapshot at `file`, filtered as asked, sorted by key. */
function listSnapshotKeys(file, options = {}) {
    return BoltImage.with(file, (image) => listKeysOf(image, options));
}
function listKeysOf(image, options = {}) {
    const listing = snapshotKeysOf(image, options);
    const keys = [];
    listing.forEach((key) => keys.push(key));
    // After the visit, which counted them.
    return {
        revision: listing.revision,
        compactRevision: listing.compactRevision,
        keys,
        resources: listing.resources,
    };
}
function snapshotKeysOf(image, options) {
    const { entries, revision } = latestEntries(image, keyFilter(options));
    const sorted = entries.sortedSlots();
    // Counted by the first whole visit (ls prints the counts after the keys), or by a visit
    // of their own when asked for first: parsing every key once more costs as much as listing.
    let resources;
    const visit = (onKey) => {
        const counts = new Map();
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
            if (resources === undefined)
                visit(() => { });
            return resources;
        },
        forEach(onKey) {
            visit((summary, latest) => {
                if (options.digest)
                    summary.valueSha256 = sha256Of(image, latest);
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
function keyFilter(options) {
    const prefix = options.prefix === undefined ? undefined : Buffer.from(options.prefix);
    const { resource, namespace, registryPrefix } = options;
    return (key) => {
        if (prefix !== undefined && !key.subarray(0, prefix.length).equals(prefix))
            return false;
        if (resource === undefined && namespace === undefined)
            return true;
        const registryKey = (0,kubernetes/* parseRegistryKey */.Qc)(key.toString("utf8"), registryPrefix);
        if (resource !== undefined && !(0,kubernetes/* resourceMatches */.uH)(registryKey, resource))
            return false;
        return namespace === undefined || registryKey?.namespace === namespace;
    };
}
function summarize(key, latest, registryPrefix) {
    const registryKey = (0,kubernetes/* parseRegistryKey */.Qc)(key, registryPrefix);
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
function sha256Of(image, latest) {
    const hash = (0,external_node_crypto_.createHash)("sha256");
    const length = latest.valueLength;
    for (let offset = 0; offset < length; offset += DIGEST_CHUNK) {
        hash.update(image.read(latest.valueFileOffset + offset, Math.min(DIGEST_CHUNK, length - offset)));
    }
    return hash.digest("hex");
}
/** The latest value of `key`, or undefined when the key is not live in the snapshot. */
function readSnapshotKey(file, key, options = {}) {
    return BoltImage.with(file, (image) => {
        const wanted = typeof key === "string" ? Buffer.from(key) : key;
        const { entries } = latestEntries(image, (candidate) => candidate.equals(wanted));
        const slot = entries.slotOf(wanted);
        if (slot < 0)
            return undefined;
        const latest = entries.get(slot);
        return {
            ...summarize(entries.keyText(slot), latest, options.registryPrefix),
            value: latest.valueLength === 0
                ? Buffer.alloc(0)
                : image.read(latest.valueFileOffset, latest.valueLength),
        };
    });
}

;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/diff.js
/**
 * `snapshot diff A B`: which keys two backups disagree on, per resource, with the
 * revisions on each side; answers "what changed between these two backups?".
 */

/** Compares the live keys of two snapshots; `options` filter both sides alike. */
function diffSnapshots(fromFile, toFile, options = {}) {
    const from = listSnapshotKeys(fromFile, { ...options, digest: true });
    const to = listSnapshotKeys(toFile, { ...options, digest: true });
    const before = new Map(from.keys.map((key) => [key.key, key]));
    const diff = {
        from: { file: fromFile, revision: from.revision, keys: from.keys.length },
        to: { file: toFile, revision: to.revision, keys: to.keys.length },
        added: [],
        removed: [],
        changed: [],
        unchanged: 0,
        resources: [],
    };
    for (const after of to.keys) {
        const previous = before.get(after.key);
        before.delete(after.key);
        if (!previous)
            diff.added.push(entryOf(after));
        else if (previous.modRevision !== after.modRevision ||
            previous.valueSha256 !== after.valueSha256) {
            diff.changed.push(changeOf(previous, after));
        }
        else
            diff.unchanged++;
    }
    diff.removed = [...before.values()].map(entryOf);
    diff.resources = countChanges(diff);
    return diff;
}
function identity(key) {
    return {
        key: key.key,
        ...(key.resource ? { resource: key.resource } : {}),
        ...(key.namespace ? { namespace: key.namespace } : {}),
        ...(key.name ? { name: key.name } : {}),
    };
}
function entryOf(key) {
    return { ...identity(key), modRevision: key.modRevision, valueSize: key.valueSize };
}
function changeOf(previous, after) {
    return {
        ...identity(after),
        fromModRevision: previous.modRevision,
        toModRevision: after.modRevision,
        fromValueSize: previous.valueSize,
        toValueSize: after.valueSize,
        valueChanged: previous.valueSha256 !== after.valueSha256,
    };
}
function countChanges(diff) {
    const counts = new Map();
    const count = (resource, kind) => {
        const name = resource ?? NOT_KUBERNETES;
        const entry = counts.get(name) ?? { resource: name, added: 0, removed: 0, changed: 0 };
        entry[kind]++;
        counts.set(name, entry);
    };
    for (const entry of diff.added)
        count(entry.resource, "added");
    for (const entry of diff.removed)
        count(entry.resource, "removed");
    for (const entry of diff.changed)
        count(entry.resource, "changed");
    return [...counts.values()].sort((a, b) => a.resource.localeCompare(b.resource));
}

;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/inspect.js



/** Verifies the snapshot and describes it; throws a SnapshotError when it is damaged. */
function inspectSnapshot(file, options) {
    const { logger } = options;
    logger.info(`Verifying snapshot ${file}`);
    const verification = assertSnapshotVerified(file, { logger });
    const status = readSnapshotStatus(file);
    // Counts only: no object per key (a store of a million keys would hold them all).
    const listing = withSnapshotKeys(file, {}, ({ count, compactRevision, resources }) => ({
        count,
        compactRevision,
        resources,
    }));
    const trailer = verification.trailer === "verified"
        ? "sha256 trailer verified"
        : "no sha256 trailer (structure checked only)";
    logger.info(`${file}: revision ${status.revision}, ${listing.count} live keys (${status.totalKey} entries), ` +
        `hash ${status.hash.toString(16).padStart(8, "0")}, ${status.totalSize} bytes; ${trailer}`);
    logger.info(`${file} holds: ${listing.resources.map((count) => `${count.count} ${count.resource}`).join(", ") || "no keys"}`);
    return {
        file,
        status,
        verification,
        compactRevision: listing.compactRevision,
        resources: listing.resources,
    };
}

;// CONCATENATED MODULE: ./.build/compile/src/core/snapshot/index.js
/**
 * Reading etcd snapshots without etcd: status (as `etcdctl snapshot status`), verify,
 * list, get and diff. Used by the backup action to verify each snapshot before it is
 * stored, by restores to report what they are about to restore, and by the CLI.
 */









/***/ }),

/***/ 12140:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   Qc: () => (/* binding */ parseRegistryKey),
/* harmony export */   X0: () => (/* binding */ detectEncoding),
/* harmony export */   uH: () => (/* binding */ resourceMatches),
/* harmony export */   wz: () => (/* binding */ decodeValue)
/* harmony export */ });
/* unused harmony export DEFAULT_REGISTRY_PREFIX */
/* harmony import */ var _protobuf_js__WEBPACK_IMPORTED_MODULE_0__ = __webpack_require__(45647);
/**
 * Turns etcd keys and values into what a Kubernetes operator recognises: the resource,
 * namespace and name of a `/registry/...` key, and a value's encoding (protobuf, JSON,
 * encrypted at rest) and readable object. Decoding is separate from reading the bolt
 * file, as in etcd-io/auger; an encrypted value is reported, never decrypted.
 */

const DEFAULT_REGISTRY_PREFIX = "/registry/";
/** Storage paths that differ from the resource's name (kube-apiserver's historic keys). */
const STORAGE_PATH_TO_RESOURCE = {
    controllers: "replicationcontrollers",
    "services/endpoints": "endpoints",
    "services/specs": "services",
    minions: "nodes",
    ingress: "ingresses",
};
/** Parses `/registry/<resource>/[<namespace>/]<name>`; undefined for other keys. */
function parseRegistryKey(key, registryPrefix = DEFAULT_REGISTRY_PREFIX) {
    if (!key.startsWith(registryPrefix))
        return undefined;
    const segments = key.slice(registryPrefix.length).split("/");
    if (segments.length < 2 || segments.some((segment) => segment === ""))
        return undefined;
    const [first, second] = segments;
    let storagePath;
    let resource;
    let rest;
    if (STORAGE_PATH_TO_RESOURCE[`${first}/${second}`] && segments.length >= 3) {
        storagePath = `${first}/${second}`;
        resource = STORAGE_PATH_TO_RESOURCE[storagePath];
        rest = segments.slice(2);
    }
    else if (first.includes(".") && segments.length >= 3) {
        // Custom resources and aggregated APIs: /registry/<group>/<resource>/...
        storagePath = `${first}/${second}`;
        resource = `${second}.${first}`;
        rest = segments.slice(2);
    }
    else {
        storagePath = first;
        resource = STORAGE_PATH_TO_RESOURCE[first] ?? first;
        rest = segments.slice(1);
    }
    if (rest.length === 1)
        return { resource, storagePath, name: rest[0] };
    return { resource, storagePath, namespace: rest[0], name: rest.slice(1).join("/") };
}
/**
 * Whether `wanted` (as an operator types it) names this key's resource: `nodes` or the
 * stored `minions`, `widgets.example.com` or just `widgets`.
 */
function resourceMatches(key, wanted) {
    if (!key)
        return false;
    const normalized = wanted.toLowerCase();
    return (key.resource === normalized ||
        key.storagePath === normalized ||
        key.resource.split(".")[0] === normalized);
}
const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"
const ENCRYPTED_PREFIX = "k8s:enc:";
/** Encoding of a value from its first bytes (a few hundred are plenty). */
function detectEncoding(head) {
    // Byte comparisons, no strings: this runs for every key of a listing.
    if (startsWith(head, PROTOBUF_MAGIC))
        return PROTOBUF;
    if (startsWith(head, ENCRYPTED_PREFIX_BYTES)) {
        return { encoding: "encrypted", encryption: parseEncryptionPrefix(head) };
    }
    let index = 0;
    while (index < head.length && JSON_WHITESPACE.has(head[index]))
        index++;
    const first = head[index];
    if (first === 0x7b /* { */ || first === 0x5b /* [ */)
        return JSON_ENCODING;
    return OTHER;
}
const PROTOBUF = { encoding: "protobuf" };
const JSON_ENCODING = { encoding: "json" };
const OTHER = { encoding: "other" };
const ENCRYPTED_PREFIX_BYTES = Buffer.from(ENCRYPTED_PREFIX, "latin1");
const JSON_WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
function startsWith(bytes, prefix) {
    return (bytes.length >= prefix.length && bytes.compare(prefix, 0, prefix.length, 0, prefix.length) === 0);
}
/** `k8s:enc:<provider>:<version>:<keyName>:` (identity and unknown shapes kept as found). */
function parseEncryptionPrefix(head) {
    const text = head.subarray(0, 256).toString("latin1");
    const parts = text.split(":");
    const provider = parts[2] ?? "";
    const version = parts[3] ?? "";
    const keyName = parts.length > 5 ? (parts[4] ?? "") : "";
    const prefix = keyName ? `${parts.slice(0, 5).join(":")}:` : `${parts.slice(0, 4).join(":")}:`;
    return { provider, version, keyName, prefix };
}
/** Decodes a whole value; never throws for damaged or unknown bytes, it says so instead. */
function decodeValue(value) {
    const { encoding, encryption } = detectEncoding(value.subarray(0, 256));
    if (encoding === "encrypted" && encryption) {
        return { encoding, encryption, ciphertextBytes: value.length - encryption.prefix.length };
    }
    if (encoding === "json") {
        try {
            return { encoding, object: JSON.parse(value.toString("utf8")) };
        }
        catch (error) {
            return {
                encoding: "other",
                bytes: value.length,
                problem: `looks like JSON but does not parse: ${error.message}`,
            };
        }
    }
    if (encoding === "protobuf") {
        try {
            return decodeProtobufObject(value.subarray(PROTOBUF_MAGIC.length));
        }
        catch (error) {
            if (!(error instanceof _protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .ProtobufError */ .uk))
                throw error;
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
function decodeProtobufObject(envelope) {
    let apiVersion = "";
    let kind = "";
    let raw = Buffer.alloc(0);
    let contentEncoding = "";
    let contentType = "";
    for (const field of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(envelope)) {
        if (field.number === 1 && field.wireType === _protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .WireType */ .O0.bytes) {
            for (const typeField of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(field.bytes)) {
                if (typeField.number === 1)
                    apiVersion = text(typeField);
                if (typeField.number === 2)
                    kind = text(typeField);
            }
        }
        else if (field.number === 2)
            raw = field.bytes;
        else if (field.number === 3)
            contentEncoding = text(field);
        else if (field.number === 4)
            contentType = text(field);
    }
    let metadata = {};
    const undecodedFields = [];
    for (const field of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(raw)) {
        if (field.number === 1 && field.wireType === _protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .WireType */ .O0.bytes)
            metadata = decodeObjectMeta(field.bytes);
        else
            undecodedFields.push({ field: field.number, bytes: field.bytes.length });
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
function decodeObjectMeta(bytes) {
    const meta = {};
    for (const field of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(bytes)) {
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
function decodeTime(bytes) {
    let seconds = 0;
    for (const field of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(bytes))
        if (field.number === 1)
            seconds = field.varint;
    return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");
}
function mapKey(entry) {
    for (const field of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(entry))
        if (field.number === 1)
            return text(field);
    return "";
}
function mapValue(entry) {
    for (const field of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(entry))
        if (field.number === 2)
            return text(field);
    return "";
}
/** OwnerReference: kind=1, name=3, uid=4, apiVersion=5, controller=6, blockOwnerDeletion=7. */
function decodeOwnerReference(bytes) {
    const reference = {};
    for (const field of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(bytes)) {
        if (field.number === 1)
            reference.kind = text(field);
        else if (field.number === 3)
            reference.name = text(field);
        else if (field.number === 4)
            reference.uid = text(field);
        else if (field.number === 5)
            reference.apiVersion = text(field);
        else if (field.number === 6)
            reference.controller = field.varint !== 0;
        else if (field.number === 7)
            reference.blockOwnerDeletion = field.varint !== 0;
    }
    return reference;
}
/** ManagedFieldsEntry: manager=1, operation=2, apiVersion=3, time=4, subresource=8. */
function decodeManagedFieldsEntry(bytes) {
    const entry = {};
    for (const field of (0,_protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .fieldsOf */ .Pf)(bytes)) {
        if (field.number === 1)
            entry.manager = text(field);
        else if (field.number === 2)
            entry.operation = text(field);
        else if (field.number === 3)
            entry.apiVersion = text(field);
        else if (field.number === 4)
            entry.time = decodeTime(field.bytes);
        else if (field.number === 8)
            entry.subresource = text(field);
    }
    return entry;
}
function text(field) {
    if (field.wireType !== _protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .WireType */ .O0.bytes)
        throw new _protobuf_js__WEBPACK_IMPORTED_MODULE_0__/* .ProtobufError */ .uk(`field ${field.number} should be a string`);
    return field.bytes.toString("utf8");
}
function omitEmpty(meta) {
    const entries = Object.entries(meta).filter(([, value]) => value !== "" && value !== undefined);
    return Object.fromEntries(entries);
}


/***/ }),

/***/ 45647:
/***/ ((__unused_webpack___webpack_module__, __webpack_exports__, __webpack_require__) => {

/* harmony export */ __webpack_require__.d(__webpack_exports__, {
/* harmony export */   O0: () => (/* binding */ WireType),
/* harmony export */   Pf: () => (/* binding */ fieldsOf),
/* harmony export */   uk: () => (/* binding */ ProtobufError)
/* harmony export */ });
/* unused harmony export ProtoReader */
/**
 * The few protobuf wire-format reads the snapshot needs (mvccpb.KeyValue, the Kubernetes
 * envelope and ObjectMeta). No schema compiler: each message is a handful of known fields.
 */
const WireType = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 };
/** Thrown when bytes are not the protobuf they should be; callers add where they are. */
class ProtobufError extends Error {
    name = "ProtobufError";
}
/** Reads fields one after another from a buffer. */
class ProtoReader {
    position = 0;
    buffer;
    constructor(buffer) {
        this.buffer = buffer;
    }
    get done() {
        return this.position >= this.buffer.length;
    }
    readVarint() {
        let value = 0;
        let scale = 1;
        for (let shift = 0; shift < 70; shift += 7) {
            if (this.position >= this.buffer.length)
                throw new ProtobufError("a varint runs past the end of the message");
            const byte = this.buffer[this.position++];
            value += (byte & 0x7f) * scale;
            if (byte < 0x80)
                return value;
            scale *= 128;
        }
        throw new ProtobufError("a varint is longer than 10 bytes");
    }
    /** The next field's number and wire type. */
    readTag() {
        const tag = this.readVarint();
        const number = Math.floor(tag / 8);
        if (number === 0)
            throw new ProtobufError("a field has number 0");
        return { number, wireType: tag & 7 };
    }
    /** The length of a length-delimited field, checked against what is left. */
    readLength() {
        const length = this.readVarint();
        if (this.position + length > this.buffer.length) {
            throw new ProtobufError(`a ${length}-byte field runs past the end of the message`);
        }
        return length;
    }
    readField() {
        const { number, wireType } = this.readTag();
        const field = { number, wireType, varint: 0, bytes: EMPTY };
        switch (wireType) {
            case WireType.varint:
                field.varint = this.readVarint();
                break;
            case WireType.bytes: {
                const length = this.readLength();
                field.bytes = this.buffer.subarray(this.position, this.position + length);
                this.position += length;
                break;
            }
            case WireType.fixed64:
                this.skip(8);
                break;
            case WireType.fixed32:
                this.skip(4);
                break;
            default:
                throw new ProtobufError(`field ${number} has unsupported wire type ${wireType}`);
        }
        return field;
    }
    skip(length) {
        if (this.position + length > this.buffer.length) {
            throw new ProtobufError("a field runs past the end of the message");
        }
        this.position += length;
    }
}
const EMPTY = Buffer.alloc(0);
/** Every field of a message, in order. */
function* fieldsOf(message) {
    const reader = new ProtoReader(message);
    while (!reader.done)
        yield reader.readField();
}


/***/ })

};
