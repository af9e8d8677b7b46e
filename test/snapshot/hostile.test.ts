/**
 * Hostile files: whatever sits at a snapshot path (absurd page counts and sizes, loops in
 * the B+tree, truncations, devices, a FIFO, a directory, a symlink loop), every way of
 * reading it ends in ONE sentence naming the file: from the library, measured in a child
 * process whose peak memory must stay under 128 MiB, and from the CLI, with exit code 1
 * and no stack trace. A generous timeout marks a hang; it is not a speed assertion.
 * The damaged files are a real etcd snapshot, changed byte by byte here.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BoltImage, PageFlag, type PageObserver } from "../../src/core/snapshot/bolt.ts";
import { readSnapshotStatus } from "../../src/core/snapshot/index.ts";
import { measurePeakMemory } from "../support/memory.ts";
import { cleanup, etcdctlStatus, makeTempDir } from "./etcd-fixture.ts";
import type { Operation, Outcome } from "./hostile-work.ts";
import { BIN, cli, type CliResult } from "./run-cli.ts";
import { snapshotOf } from "./scenarios.ts";

const WORK = new URL("./hostile-work.ts", import.meta.url);
const PAGE = 4096;
const MEMORY_LIMIT_BYTES = 128 * 1024 * 1024;
/** Marks a hang; every case answers in a second or two. */
const HANG_TIMEOUT_MS = 90_000;
/** Meta struct fields, as offsets in a meta page (the struct starts after the header). */
const META = { pageSize: 24, root: 32, freelist: 48, pageCount: 56, checksum: 72 } as const;
const KEY_BUCKET_INDEX_IN_ROOT = 5; // alarm auth authRoles authUsers cluster *key* lease ...

let originalFile: string;
let original: Buffer;
let workDir: string;
let tree: TreeMap;

/** Pages of the real snapshot the damage is aimed at. */
interface TreeMap {
  /** The bucket of buckets (meta.root): one leaf page. */
  rootBucketPage: number;
  /** Bucket `key`: its root branch, a branch below it, a plain leaf, the big value's page. */
  keyRoot: number;
  keyInnerBranch: number;
  keyLeaf: number;
  /** File offset of the KeyValue of the first entry on `keyLeaf`. */
  keyLeafValueOffset: number;
  overflowPage: number;
  pageCount: number;
}

beforeAll(async () => {
  // Three levels in bucket `key` (root branch, branches, leaves) and a value on overflow pages.
  originalFile = await snapshotOf(async (etcd) => {
    await etcd.putMany(
      Array.from({ length: 5000 }, (_, index) => ({
        key: `/registry/configmaps/ns-${index % 7}/cm-${index}`,
        value: "v".repeat(200),
      })),
    );
    await etcd.put("/big", "b".repeat(20_000));
  }, "hostile");
  original = readFileSync(originalFile);
  workDir = makeTempDir("hostile");
  tree = mapTree(originalFile);
});

afterAll(cleanup);

function mapTree(file: string): TreeMap {
  return BoltImage.with(file, (image) => {
    const found: Partial<TreeMap> = { rootBucketPage: image.meta.rootPageId };
    const observer: PageObserver = {
      onPage(page, _bucket, depth) {
        if (depth === 1) found.keyRoot ??= page.id;
        if (depth === 2 && page.flags & PageFlag.branch) found.keyInnerBranch ??= page.id;
        if (page.overflow > 0) found.overflowPage ??= page.id;
      },
    };
    const keyBucket = image.findBucket("key");
    if (!keyBucket) throw new Error("the fixture has no bucket key");
    image.walk(
      keyBucket,
      "lazy",
      (entry) => {
        if (found.keyLeaf === undefined && entry.page.overflow === 0) {
          found.keyLeaf = entry.page.id;
          found.keyLeafValueOffset = entry.valueFileOffset;
        }
      },
      observer,
    );
    const map = { ...found, pageCount: image.pageCount } as TreeMap;
    for (const [name, value] of Object.entries(map)) {
      if (value === undefined) throw new Error(`the fixture has no ${name}`);
    }
    return map;
  });
}

// --- Making damaged copies -------------------------------------------------------------

function fnv1a64(bytes: Uint8Array): bigint {
  let hash = 0xcbf29ce484222325n;
  for (const byte of bytes) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash;
}

/** Sets a meta field on both meta pages and reseals their checksums, so bolt would trust them. */
function setMeta(bytes: Buffer, field: keyof typeof META, value: bigint): void {
  for (const metaPage of [0, PAGE]) {
    const at = metaPage + META[field];
    if (field === "pageSize") bytes.writeUInt32LE(Number(value), at);
    else bytes.writeBigUInt64LE(value, at);
    bytes.writeBigUInt64LE(fnv1a64(bytes.subarray(metaPage + 16, metaPage + 72)), metaPage + 72);
  }
}

const header = {
  setFlags: (bytes: Buffer, page: number, flags: number) =>
    bytes.writeUInt16LE(flags, page * PAGE + 8),
  setCount: (bytes: Buffer, page: number, count: number) =>
    bytes.writeUInt16LE(count, page * PAGE + 10),
  setOverflow: (bytes: Buffer, page: number, overflow: number) =>
    bytes.writeUInt32LE(overflow, page * PAGE + 12),
};

/** Offset of element `index` of `page` in the file. */
function element(page: number, index: number): number {
  return page * PAGE + 16 + 16 * index;
}

function branchChildCount(bytes: Buffer, page: number): number {
  return bytes.readUInt16LE(page * PAGE + 10);
}

function setBranchChild(bytes: Buffer, page: number, index: number, child: number): void {
  bytes.writeBigUInt64LE(BigInt(child), element(page, index) + 8);
}

interface HostileCase {
  name: string;
  /** What every refusal's (first) sentence says. */
  expected: RegExp;
  /** Operations that may read the file anyway (they do not look at the damaged part). */
  reads?: Operation[];
  make(): string;
}

function damaged(
  name: string,
  expected: RegExp,
  damage: (bytes: Buffer) => void,
  reads?: Operation[],
): HostileCase {
  return {
    name,
    expected,
    ...(reads ? { reads } : {}),
    make: () => {
      const bytes = Buffer.from(original);
      damage(bytes);
      const file = join(workDir, `${name.replace(/[^a-z0-9]+/gi, "-")}.db`);
      writeFileSync(file, bytes);
      return file;
    },
  };
}

function truncatedAt(size: () => number, label: string, expected: RegExp): HostileCase {
  return {
    name: `the snapshot truncated ${label}`,
    expected,
    make: () => {
      const file = join(workDir, `truncated-${label.replace(/[^a-z0-9]+/gi, "-")}.db`);
      writeFileSync(file, original.subarray(0, size()));
      return file;
    },
  };
}

function path(name: string, expected: RegExp, make: () => string): HostileCase {
  return { name, expected, make };
}

/** A loop is named as such, or by what the walk finds where it should not (the root's buckets). */
const LOOP =
  /is referenced twice|points back into its own tree|is out of key order|not an etcd revision|bucket "key" holds a nested bucket/;
const OUTSIDE_PAGE =
  /element \d+ of the (leaf|branch) page of bucket "key" points to bytes \d+\.\.\d+, outside the page's 4096 bytes/;

const cases: HostileCase[] = [
  // Page counts.
  damaged(
    "meta pages claiming 2^40 pages",
    /the file is truncated: its bolt image needs \d+ bytes \(1099511627776 pages of 4096\)/,
    (bytes) => setMeta(bytes, "pageCount", 2n ** 40n),
  ),
  damaged("meta pages claiming 0 pages", /meta page \d says the image has 0 pages/, (bytes) =>
    setMeta(bytes, "pageCount", 0n),
  ),
  damaged(
    "meta pages claiming 10 pages beyond the file",
    /the file is truncated: its bolt image needs/,
    (bytes) => setMeta(bytes, "pageCount", BigInt(tree.pageCount + 10)),
  ),
  damaged(
    "meta pages claiming fewer pages than the tree uses",
    /unexpected bytes after its bolt image/,
    (bytes) => setMeta(bytes, "pageCount", BigInt(tree.keyLeaf)),
  ),
  damaged(
    "meta pages giving a page size of 2^31",
    /gives page size 2147483648, expected one of 4096, 8192/,
    (bytes) => setMeta(bytes, "pageSize", 2n ** 31n),
  ),
  damaged(
    "meta pages whose root page is far outside the image",
    /points to page 1125899906842624, outside the image's data pages/,
    (bytes) => setMeta(bytes, "root", 2n ** 50n),
  ),
  // Cycles in the B+tree.
  damaged("a branch that points to itself", LOOP, (bytes) =>
    setBranchChild(bytes, tree.keyRoot, 0, tree.keyRoot),
  ),
  damaged("a branch that points to its parent", LOOP, (bytes) =>
    setBranchChild(bytes, tree.keyInnerBranch, 1, tree.keyRoot),
  ),
  damaged("a branch that points to the bucket of buckets above its tree", LOOP, (bytes) =>
    setBranchChild(bytes, tree.keyRoot, 1, tree.rootBucketPage),
  ),
  damaged("a branch whose children are all one branch", LOOP, (bytes) => {
    for (let index = 0; index < branchChildCount(bytes, tree.keyRoot); index++) {
      setBranchChild(bytes, tree.keyRoot, index, tree.keyInnerBranch);
    }
  }),
  damaged("branches whose children are all one empty leaf", LOOP, (bytes) => {
    header.setCount(bytes, tree.keyLeaf, 0); // an empty leaf passes any key order check
    for (let index = 0; index < branchChildCount(bytes, tree.keyRoot); index++) {
      setBranchChild(bytes, tree.keyRoot, index, tree.keyInnerBranch);
    }
    for (let index = 0; index < branchChildCount(bytes, tree.keyInnerBranch); index++) {
      setBranchChild(bytes, tree.keyInnerBranch, index, tree.keyLeaf);
    }
  }),
  damaged("bucket key whose root is the bucket of buckets holding it", LOOP, (bytes) => {
    const value = bytes.readUInt32LE(element(tree.rootBucketPage, KEY_BUCKET_INDEX_IN_ROOT) + 4);
    const keyBucketHeader = element(tree.rootBucketPage, KEY_BUCKET_INDEX_IN_ROOT) + value + 3; // after "key"
    bytes.writeBigUInt64LE(BigInt(tree.rootBucketPage), keyBucketHeader);
  }),
  damaged(
    "an entry of bucket key flagged as a nested bucket",
    /bucket ".*" on leaf page \d+|bucket "key" holds a nested bucket|outside the image's data pages|is referenced twice/,
    (bytes) => bytes.writeUInt32LE(1, element(tree.keyLeaf, 0)),
  ),
  // Absurd sizes.
  damaged(
    "a leaf claiming 2^32-1 overflow pages",
    /the leaf page claims 4294967295 overflow pages, past the image's last page/,
    (bytes) => header.setOverflow(bytes, tree.keyLeaf, 0xffffffff),
  ),
  damaged(
    "the big value's page claiming overflow pages past the end",
    /claims \d+ overflow pages, past the image's last page/,
    (bytes) => header.setOverflow(bytes, tree.overflowPage, tree.pageCount - tree.overflowPage),
  ),
  damaged(
    "a leaf claiming 65535 elements",
    /the leaf page of bucket "key" claims 65535 elements, more than its 4096 bytes can hold/,
    (bytes) => header.setCount(bytes, tree.keyLeaf, 0xffff),
  ),
  damaged("a leaf key longer than its page", OUTSIDE_PAGE, (bytes) =>
    bytes.writeUInt32LE(0xffffff00, element(tree.keyLeaf, 0) + 8),
  ),
  damaged("a leaf value of 4 GiB", OUTSIDE_PAGE, (bytes) =>
    bytes.writeUInt32LE(0xffffffff, element(tree.keyLeaf, 1) + 12),
  ),
  damaged("a branch key longer than its page", OUTSIDE_PAGE, (bytes) =>
    bytes.writeUInt32LE(0x7fffffff, element(tree.keyRoot, 1) + 4),
  ),
  damaged(
    "a KeyValue whose value field claims 2^62 bytes",
    /is not an etcd KeyValue \(field 5 \(\d+ bytes\) runs past the end of the KeyValue\)/,
    (bytes) => {
      // Tag 5 (bytes), then a varint of 2^62: far past the 200-byte value.
      Buffer.from([0x2a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40]).copy(
        bytes,
        tree.keyLeafValueOffset,
      );
    },
    ["status"], // status hashes bytes as etcdctl does; it does not parse KeyValues
  ),
  damaged(
    "bucket key with a 3-byte bucket header",
    /bucket "key" on leaf page \d+ has a 3-byte header, expected at least 16/,
    (bytes) => bytes.writeUInt32LE(3, element(tree.rootBucketPage, KEY_BUCKET_INDEX_IN_ROOT) + 12),
  ),
  damaged(
    "a freelist page claiming 2^32-16 overflow pages",
    /the freelist page claims 4294967280 overflow pages|reaches a freelist page where only branch or leaf pages may be/,
    (bytes) => {
      header.setFlags(bytes, tree.keyLeaf, PageFlag.freelist);
      header.setOverflow(bytes, tree.keyLeaf, 0xfffffff0);
      setMeta(bytes, "freelist", BigInt(tree.keyLeaf));
    },
  ),
  damaged(
    "a freelist claiming 2^60 free pages",
    /the freelist claims 1152921504606846976 page ids, more than its page holds|reaches a freelist page/,
    (bytes) => {
      header.setFlags(bytes, tree.keyLeaf, PageFlag.freelist);
      header.setCount(bytes, tree.keyLeaf, 0xffff);
      bytes.writeBigUInt64LE(2n ** 60n, tree.keyLeaf * PAGE + 16);
      setMeta(bytes, "freelist", BigInt(tree.keyLeaf));
    },
  ),
  damaged(
    "meta pages pointing the freelist at a leaf",
    /the meta page's freelist page is a leaf page/,
    (bytes) => setMeta(bytes, "freelist", BigInt(tree.keyLeaf)),
    ["ls", "get"], // listing keys never needs the freelist
  ),
  // Truncations.
  truncatedAt(() => 0, "to nothing", /is 0 bytes long, too short to be an etcd snapshot/),
  truncatedAt(() => 50, "inside meta page 0", /is 50 bytes long, too short to be an etcd snapshot/),
  truncatedAt(() => PAGE + 40, "inside meta page 1", /the file is truncated: its bolt image needs/),
  truncatedAt(
    () => 2 * PAGE,
    "after the meta pages",
    /the file is truncated: its bolt image needs/,
  ),
  truncatedAt(
    () => Math.floor(original.length / 2) + 123,
    "half way",
    /the file is truncated: its bolt image needs/,
  ),
  truncatedAt(
    () => original.length - 33,
    "one byte into the image's last page",
    /the file is truncated: its bolt image needs/,
  ),
  truncatedAt(
    () => original.length - 1,
    "inside the sha256 trailer",
    /has 31 unexpected bytes after its bolt image/,
  ),
  // Not a snapshot at all.
  path(
    "1 MiB of random bytes",
    /is not an etcd snapshot: it does not start with a bolt meta page/,
    () => {
      const file = join(workDir, "random.db");
      writeFileSync(file, execFileSync("head", ["-c", String(1024 * 1024), "/dev/urandom"]));
      return file;
    },
  ),
  path("two good meta pages and zeros after them", /the page header says it is page 0/, () => {
    const file = join(workDir, "zeros.db");
    const bytes = Buffer.alloc(original.length);
    original.copy(bytes, 0, 0, 2 * PAGE);
    writeFileSync(file, bytes);
    return file;
  }),
  path(
    "a sparse 4 GiB file behind meta pages claiming all of it",
    /the page header says it is page 0/,
    () => {
      const file = join(workDir, "sparse.db");
      const metas = Buffer.from(original.subarray(0, 2 * PAGE));
      setMeta(metas, "pageCount", 2n ** 20n);
      const fd = openSync(file, "w");
      writeSync(fd, metas);
      closeSync(fd);
      truncateSync(file, 2 ** 32);
      return file;
    },
  ),
  // Paths that are not regular files.
  path("/dev/zero", /\/dev\/zero: is a character device, not a snapshot file/, () => "/dev/zero"),
  path("/dev/null", /\/dev\/null: is a character device, not a snapshot file/, () => "/dev/null"),
  path(
    "a FIFO",
    /is a named pipe \(FIFO\), not a snapshot file: .*write the stream to a file first/,
    () => {
      const file = join(workDir, "fifo.db");
      execFileSync("mkfifo", [file]);
      return file;
    },
  ),
  path("a directory", /is a directory, not a snapshot file/, () => {
    const dir = join(workDir, "a-directory.db");
    mkdirSync(dir, { recursive: true });
    return dir;
  }),
  path("a symlink loop", /is a symbolic link that leads back to itself \(ELOOP\)/, () => {
    const [one, two] = [join(workDir, "loop-1.db"), join(workDir, "loop-2.db")];
    symlinkSync(two, one);
    symlinkSync(one, two);
    return one;
  }),
  path(
    "a missing file",
    /Cannot open snapshot .*missing\.db: ENOENT: no such file or directory/,
    () => join(workDir, "missing.db"),
  ),
];

/** One line, ending a sentence, naming the file, and nothing of a crash in it. */
function expectOneSentence(message: string, file: string): void {
  expect(message).not.toContain("\n");
  expect(message).toContain(file);
  expect(message).toMatch(/\.$/);
  expect(message).not.toMatch(
    /RangeError|TypeError|Maximum call stack|node:internal|\n\s+at |Error: /,
  );
  expect(message.length).toBeLessThan(600);
}

function expectRefused(result: CliResult, expected: RegExp, file: string): void {
  expect(result.signal, "the command hung and was killed").toBeNull();
  expect(result.status).toBe(1);
  expect(result.stdout).toBe("");
  expect(result.stderr).toMatch(/^error: [^\n]*\n$/);
  const sentence = result.stderr.slice("error: ".length, -1);
  expectOneSentence(sentence, file);
  expect(sentence).toMatch(expected);
}

describe("a hostile snapshot file", () => {
  it("the untouched snapshot reads every way and agrees with etcdctl, so each failure below comes from the damage", async () => {
    const { result, peakRssBytes, baselineRssBytes } = await measurePeakMemory<Outcome[]>(
      WORK,
      "readEveryWay",
      [originalFile],
    );
    expect(result).toEqual(
      ["verify", "status", "ls", "get"].map((operation) => ({ operation, result: "read" })),
    );
    expect(readSnapshotStatus(originalFile)).toEqual(await etcdctlStatus(originalFile));
    expect(peakRssBytes).toBeGreaterThanOrEqual(baselineRssBytes);
    expect(peakRssBytes).toBeLessThan(MEMORY_LIMIT_BYTES);
  });

  describe.each(cases)("$name", (hostile) => {
    let file: string;
    beforeAll(() => {
      file = hostile.make();
    });

    it("verify, status, ls and get each end in one sentence, in a child that stays under 128 MiB", async () => {
      const { result, peakRssBytes } = await measurePeakMemory<Outcome[]>(
        WORK,
        "readEveryWay",
        [file],
        {
          timeoutMs: HANG_TIMEOUT_MS,
        },
      );
      for (const outcome of result) {
        if (hostile.reads?.includes(outcome.operation)) {
          expect(outcome).toEqual({ operation: outcome.operation, result: "read" });
          continue;
        }
        if (outcome.result !== "refused")
          throw new Error(
            `${outcome.operation} did not refuse ${file}: ${JSON.stringify(outcome)}`,
          );
        // verify reports every problem it finds, one sentence each (the sha256 trailer
        // usually disagrees too); everything else stops at the first.
        const sentences = outcome.message.split("\n");
        if (outcome.operation !== "verify") expect(sentences).toHaveLength(1);
        for (const sentence of sentences) expectOneSentence(sentence, file);
        expect(sentences[0], outcome.operation).toMatch(hostile.expected);
      }
      expect(peakRssBytes).toBeLessThan(MEMORY_LIMIT_BYTES);
    });

    it("the CLI's status, ls and verify say it in one line and exit 1", () => {
      for (const command of ["status", "ls"] as const) {
        const result = cli(command, file);
        if (hostile.reads?.includes(command)) expect(result.status).toBe(0);
        else expectRefused(result, hostile.expected, file);
      }
      const verify = cli("verify", file);
      expect(verify.signal, "verify hung and was killed").toBeNull();
      expect(verify.status).toBe(1);
      expect(verify.stderr).toBe("");
      // The table, a blank line, then one line per problem.
      const [table, problems] = verify.stdout.split("\n\n");
      expect(table).toMatch(/(DAMAGED|UNREADABLE)/);
      const lines = (problems ?? "").trim().split("\n");
      for (const line of lines) expectOneSentence(line, file);
      expect(lines[0]).toMatch(hostile.expected);
    });
  });

  it("`snapshot ls | head -1` prints the first line and ends quietly, without an EPIPE stack trace", () => {
    const whole = cli("ls", originalFile);
    // Far more than a pipe holds: head's exit must break the pipe under the writer.
    expect(whole.bytes.length).toBeGreaterThan(256 * 1024);
    for (const output of ["table", "json"]) {
      const full = output === "table" ? whole.stdout : cli("ls", originalFile, "-o", "json").stdout;
      const piped = spawnSync(
        "bash",
        [
          "-c",
          'set -o pipefail; "$0" "$1" snapshot ls "$2" --output "$3" | head -1',
          process.execPath,
          BIN,
          originalFile,
          output,
        ],
        { encoding: "utf8", timeout: HANG_TIMEOUT_MS },
      );
      expect(piped.signal).toBeNull();
      expect(piped.stderr).toBe("");
      expect(piped.stdout).toBe(`${full.split("\n")[0]}\n`);
      expect(piped.status).toBe(0);
    }
  });
  it("`snapshot ls > /dev/full` says in one sentence that stdout cannot be written, and exits 1", () => {
    const full = spawnSync(
      "bash",
      ["-c", '"$0" "$1" snapshot ls "$2" > /dev/full', process.execPath, BIN, originalFile],
      { encoding: "utf8", timeout: HANG_TIMEOUT_MS },
    );
    expect(full.signal).toBeNull();
    expect(full.stderr).toBe(
      "error: cannot write the output to stdout: ENOSPC: no space left on device, write\n",
    );
    expect(full.status).toBe(1);
  });
});
