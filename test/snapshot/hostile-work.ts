/**
 * Runs in a child process (test/support/memory.ts): reads one file every way the reader
 * offers and reports how each ended, so the suite can check the answers and the child's
 * peak memory together. Nothing here judges: the test does.
 */
import {
  listSnapshotKeys,
  readSnapshotKey,
  readSnapshotStatus,
  SnapshotError,
  verifySnapshot,
} from "../../src/core/snapshot/index.ts";

export type Operation = "verify" | "status" | "ls" | "get";

export type Outcome =
  /** The file was read (and verify found nothing wrong). */
  | { operation: Operation; result: "read" }
  /** A SnapshotError, or verify's problems, one per line. */
  | { operation: Operation; result: "refused"; message: string }
  /** Anything else thrown (or anything verify throws): a bug; the stack, for the message. */
  | { operation: Operation; result: "crashed"; message: string };

const OPERATIONS: Record<Operation, (file: string) => void | string> = {
  verify: (file) => {
    const report = verifySnapshot(file);
    if (!report.ok) return report.problems.map((problem) => problem.message).join("\n");
  },
  status: (file) => void readSnapshotStatus(file),
  ls: (file) => void listSnapshotKeys(file, { digest: true }),
  get: (file) => void readSnapshotKey(file, "/registry/configmaps/ns-1/cm-1"),
};

export function readEveryWay(file: string): Outcome[] {
  return (Object.keys(OPERATIONS) as Operation[]).map((operation) => {
    try {
      const problems = OPERATIONS[operation](file);
      return problems === undefined
        ? { operation, result: "read" }
        : { operation, result: "refused", message: problems };
    } catch (error) {
      // verify reports a damaged file; it throws for none.
      if (error instanceof SnapshotError && operation !== "verify")
        return { operation, result: "refused", message: error.message };
      return { operation, result: "crashed", message: (error as Error)?.stack ?? String(error) };
    }
  });
}
