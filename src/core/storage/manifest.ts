/**
 * manifest.json: the record of one backup, written last, after both hashes are known, so
 * that a backup with a manifest is complete. Listing, verification, restore and retention
 * all work from it; it holds no secret (recipients are public keys).
 */
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";
import { X25519Recipient } from "../crypto/age-keys.ts";
import type { Digest } from "../crypto/hash.ts";
import type { RunInfo } from "../run-context.ts";
import type { NodeFileEntry, NodeFileType } from "../ssh/pki.ts";
import { COMPRESSIONS, type Compression } from "./compression.ts";
import {
  BACKUP_KINDS,
  checkClusterName,
  checkPayloadName,
  formatTimestamp,
  parseTimestamp,
} from "./layout.ts";
import type { BackupKind } from "./types.ts";

export const MANIFEST_FORMAT = "etcd-backup-actions/manifest/v1";

/** Where the backed-up bytes came from. */
export interface BackupSource {
  namespace?: string;
  pod?: string;
  /** The etcd member name (e.g. kube-etcd-0) or the admin etcd member. */
  member?: string;
  node?: string;
  /** Where the etcd ran (kubeception, controlplane-v2, admin); absent in older manifests. */
  topology?: string;
}

export type Encryption =
  | { method: "age"; recipients: string[] }
  /** Stored in clear text because the operator explicitly allowed it. */
  | { method: "none"; allowUnencrypted: true };

/**
 * One entry of a PKI archive as recorded: the node's file entry (name, owner, size, hash,
 * never its bytes) with its permission bits written as four octal digits, e.g. "0600".
 */
export type PkiFileRecord = Omit<NodeFileEntry, "mode"> & { mode: string };

/** The manifest's form of a file entry of the node. */
export function pkiFileRecord(entry: NodeFileEntry): PkiFileRecord {
  return { ...entry, mode: entry.mode.toString(8).padStart(4, "0") };
}

/** An SSH endpoint whose host key was verified before anything was sent to it. */
export interface SshEndpointRecord {
  host: string;
  port: number;
  user: string;
  /** `SHA256:...` as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
}

/** What an admin-pki backup holds and where it came from; checked against the node's listing. */
export interface PkiRecord {
  node: SshEndpointRecord;
  jumpHost?: SshEndpointRecord;
  /** The folders archived, as absolute paths on the node. */
  paths: string[];
  fileCount: number;
  files: PkiFileRecord[];
}

export interface BackupManifest {
  format: typeof MANIFEST_FORMAT;
  cluster: string;
  kind: BackupKind;
  /** The backup's folder name: UTC `YYYYMMDDTHHMMSSZ`. */
  timestamp: string;
  /** ISO 8601 UTC time the backup was taken. */
  createdAt: string;
  source: BackupSource;
  /** `version`: the etcd server version of the member it was taken from (e.g. 3.4.23). */
  etcd?: { revision?: number; keyCount?: number; version?: string };
  pki?: PkiRecord;
  payload: {
    name: string;
    compression: Compression;
    encryption: Encryption;
    plaintext: Digest;
    stored: Digest;
  };
  tool: { name: string; version: string };
  /** Present when the backup ran inside GitHub Actions. */
  run?: RunInfo;
}

export interface ManifestFacts {
  cluster: string;
  kind: BackupKind;
  createdAt: Date;
  source?: BackupSource;
  /** `version`: the etcd server version of the member it was taken from (e.g. 3.4.23). */
  etcd?: { revision?: number; keyCount?: number; version?: string };
  pki?: PkiRecord;
  payloadName: string;
  compression: Compression;
  encryption: Encryption;
  plaintext: Digest;
  stored: Digest;
  /** The GitHub run that made the backup (the run context's), when one did. */
  run?: RunInfo;
}

export function buildManifest(facts: ManifestFacts): BackupManifest {
  const run = facts.run;
  const etcd =
    facts.etcd && Object.values(facts.etcd).some((value) => value !== undefined)
      ? facts.etcd
      : undefined;
  const manifest: BackupManifest = {
    format: MANIFEST_FORMAT,
    cluster: facts.cluster,
    kind: facts.kind,
    timestamp: formatTimestamp(facts.createdAt),
    createdAt: facts.createdAt.toISOString(),
    source: { ...facts.source },
    ...(etcd ? { etcd: { ...etcd } } : {}),
    ...(facts.pki ? { pki: facts.pki } : {}),
    payload: {
      name: facts.payloadName,
      compression: facts.compression,
      encryption: facts.encryption,
      plaintext: { ...facts.plaintext },
      stored: { ...facts.stored },
    },
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    ...(run ? { run } : {}),
  };
  // Validating what we are about to write catches a bad fact before it becomes a bad record.
  return validateManifest(JSON.parse(JSON.stringify(manifest)), "the new backup");
}

export function serializeManifest(manifest: BackupManifest): Buffer {
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, "utf8");
}

/** Parses and validates manifest.json; `where` names it in errors (e.g. its URI). */
export function parseManifest(data: Buffer | string, where: string): BackupManifest {
  let value: unknown;
  try {
    value = JSON.parse(data.toString());
  } catch (error) {
    throw new Error(
      `The manifest of ${where} is not valid JSON (${(error as Error).message}); the file is damaged or was edited by hand.`,
      { cause: error },
    );
  }
  return validateManifest(value, where);
}

class ManifestReader {
  private readonly where: string;
  constructor(where: string) {
    this.where = where;
  }

  fail(field: string, expected: string, actual: unknown): never {
    const shown = actual === undefined ? "nothing" : JSON.stringify(actual);
    throw new Error(
      `The manifest of ${this.where} is not valid: field ${field} should be ${expected}, but it is ${shown}.`,
    );
  }

  object(value: unknown, field: string): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value))
      this.fail(field, "an object", value);
    return value as Record<string, unknown>;
  }

  string(value: unknown, field: string, check?: (text: string) => unknown): string {
    if (typeof value !== "string" || value === "") this.fail(field, "a non-empty string", value);
    if (check) {
      try {
        check(value);
      } catch (error) {
        this.fail(field, `valid (${(error as Error).message})`, value);
      }
    }
    return value;
  }

  optionalString(value: unknown, field: string): string | undefined {
    return value === undefined ? undefined : this.string(value, field);
  }

  count(value: unknown, field: string): number {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
      this.fail(field, "a whole number of zero or more", value);
    }
    return value;
  }

  digest(value: unknown, field: string): Digest {
    const digest = this.object(value, field);
    const sha256 = digest.sha256;
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256)) {
      this.fail(`${field}.sha256`, "64 lower-case hex digits", sha256);
    }
    return { bytes: this.count(digest.bytes, `${field}.bytes`), sha256 };
  }

  oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
    if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
      this.fail(field, `one of ${allowed.join(", ")}`, value);
    }
    return value as T;
  }
}

function validateManifest(value: unknown, where: string): BackupManifest {
  const read: ManifestReader = new ManifestReader(where);
  const root = read.object(value, "(top level)");
  if (root.format !== MANIFEST_FORMAT) read.fail("format", `"${MANIFEST_FORMAT}"`, root.format);
  const cluster = read.string(root.cluster, "cluster", checkClusterName);
  const kind = read.oneOf(root.kind, "kind", BACKUP_KINDS);
  const timestamp = read.string(root.timestamp, "timestamp", parseTimestamp);
  const createdAt = read.string(root.createdAt, "createdAt", (text) => {
    if (Number.isNaN(Date.parse(text))) throw new Error("an ISO 8601 time");
  });
  if (formatTimestamp(new Date(createdAt)) !== timestamp) {
    read.fail(
      "timestamp",
      `the folder name of createdAt (${formatTimestamp(new Date(createdAt))})`,
      timestamp,
    );
  }
  const sourceRecord = read.object(root.source, "source");
  const source: BackupSource = {};
  for (const key of ["namespace", "pod", "member", "node", "topology"] as const) {
    const text = read.optionalString(sourceRecord[key], `source.${key}`);
    if (text !== undefined) source[key] = text;
  }
  let etcd: BackupManifest["etcd"];
  if (root.etcd !== undefined) {
    const record = read.object(root.etcd, "etcd");
    etcd = {};
    if (record.revision !== undefined) etcd.revision = read.count(record.revision, "etcd.revision");
    if (record.keyCount !== undefined) etcd.keyCount = read.count(record.keyCount, "etcd.keyCount");
    if (record.version !== undefined) {
      etcd.version = read.string(record.version, "etcd.version");
      if (!/^\d+\.\d+\.\d+/.test(etcd.version)) {
        read.fail("etcd.version", "an etcd version such as 3.4.23", etcd.version);
      }
    }
  }
  const pki = root.pki === undefined ? undefined : readPkiRecord(read, root.pki);
  const payload = read.object(root.payload, "payload");
  const encryptionRecord = read.object(payload.encryption, "payload.encryption");
  let encryption: Encryption;
  if (encryptionRecord.method === "age") {
    const recipients = encryptionRecord.recipients;
    if (!Array.isArray(recipients) || recipients.length === 0) {
      read.fail(
        "payload.encryption.recipients",
        "a non-empty list of age1... public keys",
        recipients,
      );
    }
    encryption = {
      method: "age",
      recipients: recipients.map((recipient, index) =>
        read.string(recipient, `payload.encryption.recipients[${index}]`, (text) =>
          X25519Recipient.parse(text),
        ),
      ),
    };
  } else if (encryptionRecord.method === "none") {
    if (encryptionRecord.allowUnencrypted !== true) {
      read.fail(
        "payload.encryption.allowUnencrypted",
        "true (unencrypted storage is an explicit opt-in)",
        encryptionRecord.allowUnencrypted,
      );
    }
    encryption = { method: "none", allowUnencrypted: true };
  } else {
    read.fail("payload.encryption.method", '"age" or "none"', encryptionRecord.method);
  }
  const tool = read.object(root.tool, "tool");
  let run: RunInfo | undefined;
  if (root.run !== undefined) {
    const record = read.object(root.run, "run");
    run = {
      url: read.string(record.url, "run.url"),
      repository: typeof record.repository === "string" ? record.repository : "",
      workflow: typeof record.workflow === "string" ? record.workflow : "",
      runId: typeof record.runId === "string" ? record.runId : "",
      actor: typeof record.actor === "string" ? record.actor : "",
      commit: typeof record.commit === "string" ? record.commit : "",
    };
    if (typeof record.runAttempt === "string") run.runAttempt = record.runAttempt;
    if (typeof record.ref === "string") run.ref = record.ref;
  }
  return {
    format: MANIFEST_FORMAT,
    cluster,
    kind,
    timestamp,
    createdAt,
    source,
    ...(etcd ? { etcd } : {}),
    ...(pki ? { pki } : {}),
    payload: {
      name: read.string(payload.name, "payload.name", checkPayloadName),
      compression: read.oneOf(payload.compression, "payload.compression", COMPRESSIONS),
      encryption,
      plaintext: read.digest(payload.plaintext, "payload.plaintext"),
      stored: read.digest(payload.stored, "payload.stored"),
    },
    tool: {
      name: read.string(tool.name, "tool.name"),
      version: read.string(tool.version, "tool.version"),
    },
    ...(run ? { run } : {}),
  };
}

const PKI_FILE_TYPES: readonly NodeFileType[] = ["file", "directory", "symlink", "other"];

function readEndpoint(read: ManifestReader, value: unknown, field: string): SshEndpointRecord {
  const record = read.object(value, field);
  const port = read.count(record.port, `${field}.port`);
  if (port < 1 || port > 65535) read.fail(`${field}.port`, "a TCP port (1 to 65535)", port);
  return {
    host: read.string(record.host, `${field}.host`),
    port,
    user: read.string(record.user, `${field}.user`),
    hostKeyFingerprint: read.string(
      record.hostKeyFingerprint,
      `${field}.hostKeyFingerprint`,
      (text) => {
        if (!/^SHA256:[A-Za-z0-9+/]{43}$/.test(text))
          throw new Error("SHA256: and 43 base64 digits");
      },
    ),
  };
}

function readPkiRecord(read: ManifestReader, value: unknown): PkiRecord {
  const record = read.object(value, "pki");
  const paths = record.paths;
  if (!Array.isArray(paths) || paths.length === 0) {
    read.fail("pki.paths", "a non-empty list of absolute paths", paths);
  }
  const files = record.files;
  if (!Array.isArray(files)) read.fail("pki.files", "a list of files", files);
  const fileCount = read.count(record.fileCount, "pki.fileCount");
  if (fileCount !== files.length) {
    read.fail("pki.fileCount", `the number of entries in pki.files (${files.length})`, fileCount);
  }
  return {
    node: readEndpoint(read, record.node, "pki.node"),
    ...(record.jumpHost !== undefined
      ? { jumpHost: readEndpoint(read, record.jumpHost, "pki.jumpHost") }
      : {}),
    paths: paths.map((path, index) =>
      read.string(path, `pki.paths[${index}]`, (text) => {
        if (!text.startsWith("/")) throw new Error("an absolute path");
      }),
    ),
    fileCount,
    files: files.map((file, index) => readPkiFile(read, file, `pki.files[${index}]`)),
  };
}

function readPkiFile(read: ManifestReader, value: unknown, field: string): PkiFileRecord {
  const record = read.object(value, field);
  const type = read.oneOf(record.type, `${field}.type`, PKI_FILE_TYPES);
  const entry: PkiFileRecord = {
    path: read.string(record.path, `${field}.path`),
    type,
    mode: read.string(record.mode, `${field}.mode`, (text) => {
      if (!/^[0-7]{4}$/.test(text)) throw new Error("four octal digits such as 0600");
    }),
    uid: read.count(record.uid, `${field}.uid`),
    gid: read.count(record.gid, `${field}.gid`),
    size: read.count(record.size, `${field}.size`),
  };
  if (record.sha256 !== undefined) {
    entry.sha256 = read.string(record.sha256, `${field}.sha256`, (text) => {
      if (!/^[0-9a-f]{64}$/.test(text)) throw new Error("64 lower-case hex digits");
    });
  }
  if (type === "file" && entry.sha256 === undefined) {
    read.fail(`${field}.sha256`, "the file's sha256 (every regular file has one)", undefined);
  }
  if (record.linkTarget !== undefined) {
    entry.linkTarget = read.string(record.linkTarget, `${field}.linkTarget`);
  }
  return entry;
}
