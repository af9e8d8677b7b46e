/**
 * `snapshot verify`: is this file a whole, undamaged etcd snapshot? Checks both meta
 * pages, the file's length, the bolt tree (tx.Check plus bounds and key order), every
 * MVCC entry's revision and KeyValue, and the sha256 trailer. A damaged file yields a
 * report naming the page and what is wrong; verify itself never throws for one.
 */
import { createHash } from "node:crypto";
import type { Logger } from "../log/logger.ts";
import { BoltImage, printable, TRAILER_SIZE } from "./bolt.ts";
import { PageTracker, walkChecked, type BucketShape } from "./check.ts";
import { SnapshotError, snapshotError } from "./errors.ts";
import { parseRevisionKey, readKeyValueHeader } from "./mvcc.ts";
import { ProtobufError } from "./protobuf.ts";

export interface VerifyProblem {
  /** The bolt page the problem is on, when it is about one page. */
  page?: number;
  message: string;
}

export interface SnapshotVerification {
  file: string;
  ok: boolean;
  problems: VerifyProblem[];
  fileSize: number;
  pageSize?: number;
  pageCount?: number;
  /** Bytes of the bolt image (the part the trailer's sha256 covers). */
  imageSize?: number;
  /** sha256 of the bolt image, hex; computed when the file has a trailer. */
  imageSha256?: string;
  /** `verified`, `mismatch`, or `absent` (a copied member/snap/db has none). */
  trailer?: "verified" | "mismatch" | "absent";
  /** The MVCC revision of the snapshot. */
  revision?: number;
  /** Shape of each bucket's tree. */
  buckets: BucketShape[];
}

const HASH_CHUNK = 4 * 1024 * 1024;
const KEY_BUCKET = Buffer.from("key");

export interface VerifyOptions {
  logger?: Logger;
}

/** Verifies the snapshot at `file` and reports every problem found. */
export function verifySnapshot(file: string, options: VerifyOptions = {}): SnapshotVerification {
  const report: SnapshotVerification = { file, ok: false, problems: [], fileSize: 0, buckets: [] };
  let image: BoltImage;
  try {
    image = BoltImage.open(file);
  } catch (error) {
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
  } finally {
    image.close();
  }
  report.ok = report.problems.length === 0;
  options.logger?.debug(
    `${file}: ${report.ok ? "verified" : `${report.problems.length} problem(s)`}`,
  );
  return report;
}

/** Verifies and throws one SnapshotError listing every problem; for the backup action. */
export function assertSnapshotVerified(
  file: string,
  options: VerifyOptions = {},
): SnapshotVerification {
  const report = verifySnapshot(file, options);
  if (!report.ok) {
    const first = report.problems[0];
    throw new SnapshotError(
      `Snapshot ${file} failed verification: ${report.problems.map((problem) => problem.message).join(" ")}`,
      file,
      first?.page,
    );
  }
  return report;
}

function describeImage(image: BoltImage, report: SnapshotVerification): void {
  report.fileSize = image.fileSize;
  report.pageSize = image.pageSize;
  report.pageCount = image.pageCount;
  report.imageSize = image.imageSize;
  report.trailer = image.trailer ? "mismatch" : "absent";
}

function checkTree(image: BoltImage, report: SnapshotVerification): void {
  let tracker: PageTracker | undefined;
  let revision = 0;
  try {
    // Inside the try: the tracker reads the freelist, which can be damaged too.
    tracker = new PageTracker(image);
    walkChecked(image, "lazy", tracker, {
      onEntry: (bucketName, entry) => {
        if (!bucketName.equals(KEY_BUCKET)) return;
        const entryRevision = parseRevisionKey(entry.key);
        if (!entryRevision) {
          throw snapshotError(
            image.file,
            `bucket "key" holds ${printable(entry.key)}, which is not an etcd revision.`,
            entry.page.id,
          );
        }
        revision = entryRevision.main;
        try {
          readKeyValueHeader(entry, 0);
        } catch (error) {
          if (!(error instanceof ProtobufError)) throw error;
          throw snapshotError(
            image.file,
            `the value of revision ${entryRevision.main}.${entryRevision.sub} is not an etcd KeyValue (${error.message}).`,
            entry.page.id,
          );
        }
      },
    });
    report.revision = revision;
  } catch (error) {
    report.problems.push(problemOf(error));
  }
  report.buckets = tracker ? [...tracker.shapes.values()] : [];
}

function checkTrailer(image: BoltImage, report: SnapshotVerification): void {
  if (!image.trailer || image.fileSize < image.imageSize + TRAILER_SIZE) return;
  const hash = createHash("sha256");
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
    message:
      `${image.file}: the sha256 trailer does not match the bolt image (trailer ${image.trailer.toString("hex")}, ` +
      `image ${report.imageSha256}): the file changed after etcd wrote it.`,
  });
}

function problemOf(error: unknown): VerifyProblem {
  if (error instanceof SnapshotError) {
    return { ...(error.page === undefined ? {} : { page: error.page }), message: error.message };
  }
  throw error;
}
