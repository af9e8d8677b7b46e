/**
 * One narrow interface for every place a backup can live (artifact, S3-compatible, local
 * folder). Listing works from manifests alone, never by downloading payloads.
 */
import type { Readable } from "node:stream";

/** What a backup holds. */
/** `node-pki`: one control-plane node's PKI, the node named in the manifest's `source.node`. */
export type BackupKind = "user-etcd" | "admin-etcd" | "admin-pki" | "node-pki";

/** Where one stored backup lives, as the backend names it. */
export interface BackupLocation {
  cluster: string;
  kind: BackupKind;
  /** UTC timestamp of the backup, `YYYYMMDDTHHMMSSZ`, the folder name in the layout. */
  timestamp: string;
  /** A URI an operator can paste into a restore, e.g. `s3://bucket/prefix/uc1/user-etcd/...`. */
  uri: string;
}

/** Which backups a `list` call asks for. */
export interface ListFilter {
  cluster?: string;
  kind?: BackupKind;
}

export interface PutOptions {
  cluster: string;
  kind: BackupKind;
  timestamp: string;
  /** Name of the payload object inside the backup's folder, e.g. `snapshot.db.zst.age`. */
  payloadName: string;
}

/**
 * A backend stores a payload stream and then, separately and last, its manifest: a backup
 * without a manifest is incomplete and is never listed.
 */
export interface SnapshotStore {
  /** A human-readable description of the destination for logs and summaries. */
  readonly description: string;
  /** Streams the payload to the backend. Resolves with the number of bytes stored. */
  putPayload(
    options: PutOptions,
    payload: Readable,
  ): Promise<{ location: BackupLocation; storedBytes: number }>;
  /** Writes manifest.json next to the payload; after this the backup is listed. */
  putManifest(location: BackupLocation, manifest: Buffer): Promise<void>;
  /** Complete backups (those with a manifest), newest first, optionally for one cluster and kind. */
  list(filter?: ListFilter): Promise<Array<{ location: BackupLocation; manifest: Buffer }>>;
  /** The stored payload bytes as a stream. */
  getPayload(location: BackupLocation, payloadName: string): Promise<Readable>;
  /** Removes a backup, payload and manifest; also cleans up an incomplete one. */
  delete(location: BackupLocation): Promise<void>;
  /**
   * Writes a restore's record beside the cluster's backups (never listed as a backup);
   * resolves with its URI. Absent on a store that keeps no records.
   */
  putRestoreRecord?(cluster: string, timestamp: string, record: Buffer): Promise<string>;
  /** The cluster's restore records, newest first. */
  listRestoreRecords?(cluster: string): Promise<RestoreRecordObject[]>;
}

/** One stored restore record: where it is and its JSON bytes. */
export interface RestoreRecordObject {
  cluster: string;
  timestamp: string;
  uri: string;
  record: Buffer;
}
