/**
 * Damaged files give one clear error naming what is wrong (and the page, when it is about
 * a page), never a crash, a hang, or a clean bill of health.
 */
import { copyFileSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BoltImage, PageFlag } from "../../src/core/snapshot/bolt.ts";
import {
  assertSnapshotVerified,
  listSnapshotKeys,
  readSnapshotStatus,
  SnapshotError,
  verifySnapshot,
} from "../../src/core/snapshot/index.ts";
import { cleanup, etcdctlStatus, makeTempDir } from "./etcd-fixture.ts";
import { snapshotOf } from "./scenarios.ts";

let original: string;
let workDir: string;
const PAGE = 4096;

beforeAll(async () => {
  // Enough keys for a branch page above several leaf pages in bucket "key".
  original = await snapshotOf(
    (etcd) =>
      etcd.putMany(
        Array.from({ length: 2000 }, (_, index) => ({
          key: `/registry/configmaps/default/cm-${index}`,
          value: `value-${index}`,
        })),
      ),
    "corruption",
  );
  workDir = makeTempDir("corrupted");
});

afterAll(cleanup);

/** A copy of the good snapshot, changed by `damage`. */
function damagedCopy(name: string, damage: (bytes: Buffer) => void): string {
  const file = join(workDir, name);
  const bytes = readFileSync(original);
  damage(bytes);
  writeFileSync(file, bytes);
  return file;
}

/** Page ids of bucket "key": its root page, and one leaf page holding entries. */
function keyBucketPages(): {
  rootPageId: number;
  leafPageId: number;
  leafEntryValueOffset: number;
} {
  return BoltImage.with(original, (image) => {
    const bucket = image.findBucket("key");
    if (!bucket || bucket.kind !== "page")
      throw new Error("bucket key should live in its own pages");
    let leafPageId = -1;
    let leafEntryValueOffset = -1;
    image.walk(bucket, "lazy", (entry) => {
      if (entry.index !== 2 || !(entry.page.flags & PageFlag.leaf)) return undefined;
      leafPageId = entry.page.id;
      leafEntryValueOffset = entry.valueFileOffset;
      return "stop";
    });
    return { rootPageId: bucket.pageId, leafPageId, leafEntryValueOffset };
  });
}

function messages(file: string): string[] {
  return verifySnapshot(file).problems.map((problem) => problem.message);
}

describe("a damaged snapshot", () => {
  it("the untouched snapshot verifies, so every failure below comes from the damage", () => {
    expect(verifySnapshot(original)).toMatchObject({ ok: true, trailer: "verified", problems: [] });
  });

  it("a flipped byte in meta page 0 is named by verify, while status falls back to meta page 1 as etcdctl does", async () => {
    const file = damagedCopy("meta-flip.db", (bytes) => {
      bytes[16 + 48]! ^= 0x01; // the txid of meta page 0
    });
    const report = verifySnapshot(file);
    expect(report.ok).toBe(false);
    expect(report.problems[0]).toMatchObject({
      page: 0,
      message: expect.stringMatching(/meta page 0 fails its checksum/),
    });
    expect(report.trailer).toBe("mismatch");
    expect(readSnapshotStatus(file)).toEqual(await etcdctlStatus(file));
  });

  it("a damaged element table in a leaf page names that page", () => {
    const { leafPageId } = keyBucketPages();
    const file = damagedCopy("leaf-element.db", (bytes) => {
      // The key size of element 1: now it runs far past the page.
      bytes.writeUInt32LE(0x00ff_0000, leafPageId * PAGE + 16 + 16 + 8);
    });
    const problems = verifySnapshot(file).problems;
    expect(problems[0]).toMatchObject({ page: leafPageId });
    expect(problems[0]?.message).toMatch(
      new RegExp(
        `page ${leafPageId}: element 1 of the leaf page of bucket "key" points to bytes .* outside the page`,
      ),
    );
    expect(() => readSnapshotStatus(file)).toThrow(
      /Snapshot integrity check failed: .*page \d+: element 1/,
    );
  });

  it("a flipped byte inside a stored value is caught by the sha256 trailer", () => {
    const { leafEntryValueOffset } = keyBucketPages();
    const file = damagedCopy("leaf-value.db", (bytes) => {
      bytes[leafEntryValueOffset + 30]! ^= 0x20;
    });
    expect(messages(file)).toEqual([
      expect.stringMatching(
        /the sha256 trailer does not match the bolt image .*: the file changed after etcd wrote it/,
      ),
    ]);
    expect(() => assertSnapshotVerified(file)).toThrow(SnapshotError);
  });

  it("a branch that points back at itself is reported as a page referenced twice, not followed forever", () => {
    const { rootPageId } = keyBucketPages();
    const file = damagedCopy("loop.db", (bytes) => {
      const flags = bytes.readUInt16LE(rootPageId * PAGE + 8);
      expect(flags & PageFlag.branch).toBeTruthy();
      bytes.writeBigUInt64LE(BigInt(rootPageId), rootPageId * PAGE + 16 + 8); // child of element 0
    });
    expect(messages(file)[0]).toMatch(new RegExp(`page ${rootPageId} is referenced twice`));
    // list keeps no page bookkeeping: it stops once the walk needs more pages than the
    // file holds, instead of overflowing the stack.
    expect(() => listSnapshotKeys(file)).toThrow(
      /the tree of bucket "key" reaches more pages than the file's \d+ data pages, so a branch points back into its own tree/,
    );
  });

  it("a truncated file says how many bytes are missing", () => {
    const file = join(workDir, "truncated.db");
    copyFileSync(original, file);
    const size = readFileSync(original).length;
    truncateSync(file, Math.floor(size / 2));
    expect(messages(file)[0]).toMatch(
      new RegExp(
        `the file is truncated: its bolt image needs ${size - 32} bytes \\(\\d+ pages of 4096\\) but the file has only ${Math.floor(size / 2)} bytes`,
      ),
    );
    expect(() => readSnapshotStatus(file)).toThrow(/truncated/);
    expect(() => listSnapshotKeys(file)).toThrow(/truncated/);
  });

  it("a wrong sha256 trailer is reported with both hashes", () => {
    const file = damagedCopy("bad-trailer.db", (bytes) => {
      bytes[bytes.length - 1]! ^= 0xff;
    });
    const report = verifySnapshot(file);
    expect(report.trailer).toBe("mismatch");
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]?.message).toContain(`image ${report.imageSha256}`);
  });

  it("a file that is not a snapshot at all is called that", () => {
    const text = join(workDir, "notes.txt");
    writeFileSync(text, "these are not the bytes you are looking for\n".repeat(200));
    expect(messages(text)).toEqual([
      expect.stringMatching(/is not an etcd snapshot: it does not start with a bolt meta page/),
    ]);
    expect(() => readSnapshotStatus(text)).toThrow(/is not an etcd snapshot/);

    const empty = join(workDir, "empty.db");
    writeFileSync(empty, "");
    expect(messages(empty)).toEqual([
      expect.stringMatching(/is 0 bytes long, too short to be an etcd snapshot/),
    ]);

    expect(messages(join(workDir, "missing.db"))).toEqual([
      expect.stringMatching(/Cannot open snapshot .*missing\.db: ENOENT/),
    ]);
  });

  it("a copied member/snap/db without a trailer verifies by structure and says the trailer is absent", () => {
    const file = join(workDir, "no-trailer.db");
    copyFileSync(original, file);
    truncateSync(file, readFileSync(original).length - 32);
    expect(verifySnapshot(file)).toMatchObject({ ok: true, trailer: "absent" });
  });
});
