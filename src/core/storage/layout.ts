/**
 * The object layout every backend with paths shares: `<cluster>/<kind>/<UTC timestamp>/`
 * holding the payload and `manifest.json`. The names are checked here once, so no backend
 * can be talked into writing outside its root.
 */
import { ConfigurationError } from "../errors.ts";
import { quoteValue } from "../redact.ts";
import type { BackupKind, PutOptions } from "./types.ts";

export const BACKUP_KINDS: readonly BackupKind[] = [
  "user-etcd",
  "admin-etcd",
  "admin-pki",
  "node-pki",
];
export const MANIFEST_NAME = "manifest.json";
/**
 * Restore records sit beside a cluster's backups, `<cluster>/restores/<timestamp>.json`: not a
 * backup kind, so listing, `latest` and retention never see them.
 */
export const RESTORES_FOLDER = "restores";
const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
// A Kubernetes namespace or cluster name: a DNS label (RFC 1123), lower case, no dots.
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PAYLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** A user cluster's name (its namespace) or `admin`: a DNS label. */
export function isClusterName(name: string): boolean {
  return CLUSTER_NAME.test(name);
}

export function checkClusterName(cluster: string): string {
  if (!isClusterName(cluster)) {
    throw new Error(
      `The cluster name ${quoteValue(cluster)} is not valid; expected a DNS label (lower-case letters, digits and '-', at most 63 characters), such as the user cluster's namespace.`,
    );
  }
  return cluster;
}

export function parseBackupKind(text: string): BackupKind {
  if ((BACKUP_KINDS as readonly string[]).includes(text)) return text as BackupKind;
  throw new Error(
    `The backup kind ${quoteValue(text)} is not known; expected one of ${BACKUP_KINDS.join(", ")}.`,
  );
}

export function checkPayloadName(name: string): string {
  if (!PAYLOAD_NAME.test(name) || name === MANIFEST_NAME || name.includes("..")) {
    throw new Error(
      `The payload name ${quoteValue(name)} is not valid; expected a plain file name such as snapshot.db.zst.age (letters, digits, '.', '_', '-').`,
    );
  }
  return name;
}

/** `YYYYMMDDTHHMMSSZ` in UTC: sorts as text in time order, and is safe in every store's names. */
export function formatTimestamp(time: Date): string {
  return time
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
}

/** Whether `text` is a backup timestamp (a real UTC second written as formatTimestamp does). */
export function isTimestamp(text: string): boolean {
  try {
    parseTimestamp(text);
    return true;
  } catch {
    return false;
  }
}

export function parseTimestamp(text: string): Date {
  const match = TIMESTAMP.exec(text);
  const time = match
    ? new Date(Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!, +match[4]!, +match[5]!, +match[6]!))
    : undefined;
  if (!time || Number.isNaN(time.getTime()) || formatTimestamp(time) !== text) {
    throw new Error(
      `The backup timestamp ${quoteValue(text)} is not valid; expected UTC time as YYYYMMDDTHHMMSSZ, e.g. 20260131T235959Z.`,
    );
  }
  return time;
}

/** The relative folder of one backup, `<cluster>/<kind>/<timestamp>`, after checking each part. */
export function backupFolder(cluster: string, kind: BackupKind, timestamp: string): string {
  checkClusterName(cluster);
  parseBackupKind(kind);
  parseTimestamp(timestamp);
  return `${cluster}/${kind}/${timestamp}`;
}

/** The relative path of one restore record, `<cluster>/restores/<timestamp>.json`. */
export function restoreRecordPath(cluster: string, timestamp: string): string {
  checkClusterName(cluster);
  parseTimestamp(timestamp);
  return `${cluster}/${RESTORES_FOLDER}/${timestamp}.json`;
}

/** Checks every part of a backup's name before anything is stored; returns the options. */
export function checkPutOptions(options: PutOptions): PutOptions {
  checkClusterName(options.cluster);
  parseBackupKind(options.kind);
  parseTimestamp(options.timestamp);
  checkPayloadName(options.payloadName);
  return options;
}

/** Whether a kind holds a tar of a node's files (a PKI) rather than an etcd snapshot. */
export function isPkiKind(kind: BackupKind): boolean {
  return kind === "admin-pki" || kind === "node-pki";
}

/** The payload's default base name by kind, before compression and encryption suffixes. */
export function defaultPayloadBaseName(kind: BackupKind): string {
  return isPkiKind(kind) ? "pki.tar" : "snapshot.db";
}

/**
 * `s3://bucket[/prefix]` -> bucket and prefix (no leading or trailing slash). The one parser
 * of S3 locations: the destination input and the S3 backend both use it.
 */
export function parseS3Location(text: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/?#]*)(\/[^?#]*)?$/.exec(text.trim());
  const bucket = match?.[1] ?? "";
  if (!match || !S3_BUCKET.test(bucket) || bucket.includes("..")) {
    throw new ConfigurationError(
      "destination",
      `${quoteValue(text)} is not a valid S3 location; expected s3://bucket[/prefix] with a bucket name of 3-63 lower-case letters, digits, '.' or '-'.`,
    );
  }
  const prefix = (match[2] ?? "").replace(/^\/+|\/+$/g, "");
  if (
    prefix.split("/").some((segment) => segment === "." || segment === "..") ||
    /\/\//.test(prefix)
  ) {
    throw new ConfigurationError(
      "destination",
      `${quoteValue(text)} has an S3 prefix with empty, "." or ".." parts; expected e.g. s3://bucket/etcd-backups.`,
    );
  }
  return { bucket, prefix };
}
