/**
 * Reading etcd snapshots without etcd: status (as `etcdctl snapshot status`), verify,
 * list, get and diff. Used by the backup action to verify each snapshot before it is
 * stored, by restores to report what they are about to restore, and by the CLI.
 */
export { readSnapshotStatus, type SnapshotStatus } from "./status.ts";
export {
  verifySnapshot,
  assertSnapshotVerified,
  type SnapshotVerification,
  type VerifyProblem,
  type VerifyOptions,
} from "./verify.ts";
export {
  listSnapshotKeys,
  withSnapshotKeys,
  readSnapshotKey,
  NOT_KUBERNETES,
  type ListOptions,
  type SnapshotKey,
  type SnapshotListing,
  type SnapshotKeys,
  type SnapshotValue,
  type ResourceCount,
} from "./keys.ts";
export {
  diffSnapshots,
  type SnapshotDiff,
  type DiffEntry,
  type ChangedEntry,
  type ResourceDiffCount,
} from "./diff.ts";
export {
  decodeValue,
  detectEncoding,
  parseRegistryKey,
  type DecodedValue,
  type ObjectMeta,
  type EncryptionInfo,
  type ValueEncoding,
  type RegistryKey,
} from "./kubernetes.ts";
export { inspectSnapshot, type SnapshotSummary } from "./inspect.ts";
export { SnapshotError } from "./errors.ts";
export type { BucketShape } from "./check.ts";
