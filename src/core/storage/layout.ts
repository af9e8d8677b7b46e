/**
 * The object layout every backend with paths shares: `<cluster>/<kind>/<UTC timestamp>/`
 * holding the payload and `manifest.json`. The names are checked here once, so no backend
 * can be talked into writing outside its root.
 */
import { quoteValue } from "../redact.ts";
import type { BackupKind } from "./types.ts";

export const BACKUP_KINDS: readonly BackupKind[] = ["user-etcd", "admin-etcd", "admin-pki"];
export const MANIFEST_NAME = "manifest.json";
const TIMESTAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
// A Kubernetes namespace or cluster name: a DNS label, lower case.
const CLUSTER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const PAYLOAD_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export function checkClusterName(cluster: string): string {
  if (!CLUSTER_NAME.test(cluster)) {
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

/** The payload's default base name by kind, before compression and encryption suffixes. */
export function defaultPayloadBaseName(kind: BackupKind): string {
  return kind === "admin-pki" ? "pki.tar" : "snapshot.db";
}
