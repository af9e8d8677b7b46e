/**
 * The runbook's PKI backup (PROCEDURES.md section 4 steps 1, 2 and 4), as a procedure:
 * find the admin control-plane node, read its SSH key from the cluster, connect with every
 * host key checked, list the files with `sudo -n find`, stream `sudo -n tar` of the same
 * paths straight into the storage pipeline (no chmod, no copy on the node, no temporary
 * file anywhere), check the archive holds exactly the listed files, record that listing
 * (never contents) and the host key in the manifest, and only then apply retention.
 */
import { PassThrough } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import type { PkiFileRecord, PkiRecord, SshEndpointRecord } from "../core/audit/manifest.ts";
import { errorMessage } from "../core/errors.ts";
import { formatBytes } from "../core/format.ts";
import {
  findControlPlaneNode,
  readSshKeyFromSecret,
  SSH_KEY_SECRET,
} from "../core/kube/admin-node.ts";
import type { Logger } from "../core/log/logger.ts";
import { DEFAULT_PKI_PATHS, DEFAULT_SSH_USER } from "../core/ssh/pki.ts";
import {
  compareArchiveWithListing,
  connectSsh,
  listNodeFiles,
  loadPrivateKey,
  readArchiveEntries,
  SshError,
  UnpinnedHostKeyError,
  streamPkiArchive,
  validateNodePaths,
  type ArchiveEntry,
  type HostKeyPins,
  type NodeFileEntry,
  type SshSession,
} from "../core/ssh/index.ts";
import { teeInto } from "../core/stream/tee.ts";
import type { Compression } from "../core/storage/compression.ts";
import { storeBackup, verifyStoredBackup, type StoredBackup } from "../core/storage/pipeline.ts";
import type { RetentionPolicy } from "../core/storage/retention.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import { applyRetentionStep, Journal, printPlan, type PlannedStep } from "./steps.ts";

export { DEFAULT_PKI_PATHS, DEFAULT_SSH_USER } from "../core/ssh/pki.ts";

export interface JumpHostInput {
  user: string;
  host: string;
  port: number;
  /** Default: the node's key (SSH sends only a signature made with it, never the key). */
  privateKey?: string | Buffer;
}

export interface PkiBackupOptions {
  /** The admin cluster; needed unless both `privateKey` and `host` are given. */
  config?: KubeConfig;
  /** Default: read from secret kube-system/sshkeys, field vsphere_tmp. Kept in memory. */
  privateKey?: string | Buffer;
  /** Default `ubuntu`. */
  user?: string;
  /** Default: the ExternalIP (else InternalIP) of the node with the control-plane role. */
  host?: string;
  port?: number;
  jumpHost?: JumpHostInput;
  hostKeys: HostKeyPins;
  acceptUnknownHostKey: boolean;
  /** Absolute paths on the node; default /etc/kubernetes/pki. */
  paths?: string[];
  store: SnapshotStore;
  /** age recipients: mandatory, the archive holds the cluster's private keys. */
  recipients: string[];
  compression: Compression;
  retention: RetentionPolicy;
  dryRun: boolean;
  logger: Logger;
  /**
   * Told every secret this procedure reads (the SSH key from the cluster, in each form a
   * log line could show it) before anything else happens, so the action can mask them.
   */
  onSecret?: (secret: string) => void;
  connectTimeoutMs?: number;
}

export interface PkiBackupResult {
  cluster: "admin";
  kind: "admin-pki";
  outcome: "stored" | "failed" | "planned";
  node?: string;
  /** `ubuntu@10.0.0.2:22` (and the jump host) as connected. */
  target?: string;
  hostKeyFingerprint?: string;
  fileCount?: number;
  /** Bytes of regular files under the paths, as the node listed them. */
  filesBytes?: number;
  size?: number;
  storedSize?: number;
  sha256?: string;
  uri?: string;
  durationMs: number;
  deleted?: string[];
  error?: string;
  /** When the run failed on a host key nothing pins: what to pin (each front door says how). */
  unpinnedHostKey?: { fingerprint: string; knownHostsLine: string };
  journal: Journal["entries"];
}

/** The steps of the PKI backup, for the printed plan. */
export function planPkiBackup(paths: string[], destination: string): PlannedStep[] {
  const { namespace, name, field } = SSH_KEY_SECRET;
  return [
    {
      name: "findControlPlaneNode",
      description: "the admin control-plane node's ExternalIP (else InternalIP), unless given",
      equivalent: "kubectl get nodes -o wide",
    },
    {
      name: "readSshKey",
      description: `the SSH key from secret ${namespace}/${name} (field ${field}), kept in memory only, unless given`,
      equivalent: `kubectl get secret -n ${namespace} ${name} -o jsonpath='{.data.${field}}' | base64 -d`,
    },
    {
      name: "connect",
      description:
        "SSH to the node (through the jump host when given); every host key must be pinned",
      equivalent: "ssh -o StrictHostKeyChecking=yes ubuntu@NODE",
    },
    {
      name: "listNodeFiles",
      description: "what the archive must hold: names, types, modes, owners and sizes",
      equivalent: `sudo -n find ${paths.join(" ")} -printf '%y %m %U %G %s %p\\n'`,
    },
    {
      name: "streamAndStore",
      description: `stream the archive over the SSH session into ${destination}, hashed, compressed, encrypted; no chmod, no copy on the node`,
      equivalent: `sudo -n tar --create --numeric-owner --preserve-permissions -f - -C / ${paths
        .map((path) => path.replace(/^\/+/, ""))
        .join(" ")}`,
    },
    {
      name: "verify",
      description:
        "the archive holds exactly the listed files with their modes, owners and sizes; then the manifest records the listing and the host key",
    },
    {
      name: "verifyStored",
      description: "read the stored bytes back and check them against the manifest",
    },
    {
      name: "applyRetention",
      description: "only after the new backup is verified: delete backups beyond the retention",
    },
  ];
}

export async function runAdminPkiBackup(options: PkiBackupOptions): Promise<PkiBackupResult> {
  const { logger } = options;
  const paths = validatePaths(options.paths ?? DEFAULT_PKI_PATHS);
  if (options.recipients.length === 0) {
    throw new Error(
      "no encryption recipient was given: the PKI archive holds the admin cluster's private keys, so it is always encrypted; give one or more age recipients (age1..., from age-keygen).",
    );
  }
  if (options.dryRun) {
    printPlan(
      logger,
      `back up the admin control plane's PKI (${paths.join(", ")}) to ${options.store.description}`,
      planPkiBackup(paths, options.store.description),
    );
  }
  const started = Date.now();
  const journal = new Journal(logger);
  const result: PkiBackupResult = {
    cluster: "admin",
    kind: "admin-pki",
    outcome: "failed",
    durationMs: 0,
    journal: journal.entries,
  };
  let session: SshSession | undefined;
  try {
    session = await connectToNode(options, journal, result);
    const connected = session;
    const listing = await journal.run(
      { name: "listNodeFiles", description: `sudo -n find ${paths.join(" ")}` },
      () => listNodeFiles(connected, { paths }),
      (entries) => describeListing(entries),
    );
    result.fileCount = listing.length;
    result.filesBytes = totalBytes(listing);
    if (options.dryRun) {
      result.outcome = "planned";
      logger.info(
        `Dry run: would archive ${describeListing(listing)} from ${connected.target} to ${options.store.description}; nothing was stored.`,
      );
      return result;
    }
    const stored = await journal.run(
      {
        name: "streamAndStore",
        description: `tar of ${paths.join(", ")} from ${connected.target} to ${options.store.description}`,
      },
      () => streamAndStore(options, connected, paths, listing, result.node),
      (backup) => backup.location.uri,
    );
    const verified = await journal.run(
      {
        name: "verifyStored",
        description: "read the stored bytes back and check them against the manifest",
      },
      () => verifyStoredBackup(options.store, stored),
    );
    Object.assign(result, {
      outcome: "stored",
      size: stored.manifest.payload.plaintext.bytes,
      storedSize: stored.manifest.payload.stored.bytes,
      sha256: stored.manifest.payload.plaintext.sha256,
      uri: stored.location.uri,
    });
    const deleted = await applyRetentionStep(
      journal,
      options.store,
      verified,
      options.retention,
      logger,
    );
    if (deleted) result.deleted = deleted;
  } catch (error) {
    result.outcome = "failed";
    // The caller reports it, once: the action as its one error, the CLI with the result.
    result.error = errorMessage(error);
    if (error instanceof UnpinnedHostKeyError) result.unpinnedHostKey = error.pin;
  } finally {
    await session?.close().catch(() => undefined);
  }
  result.durationMs = Date.now() - started;
  return result;
}

function validatePaths(paths: string[]): string[] {
  // A ConfigurationError naming the paths setting; each front door shows it under its name.
  return validateNodePaths(paths);
}

/** Finds the node and the key (unless given), then connects with the host keys checked. */
async function connectToNode(
  options: PkiBackupOptions,
  journal: Journal,
  result: PkiBackupResult,
): Promise<SshSession> {
  const { logger } = options;
  const needsCluster = !options.host || !options.privateKey;
  if (needsCluster && !options.config) {
    throw new Error(
      "the admin cluster's kubeconfig is needed to find the control-plane node and its SSH key; give it, or give both the node's address and the SSH private key.",
    );
  }
  let host = options.host;
  if (!host) {
    const node = await journal.run(
      { name: "findControlPlaneNode", description: "the node with the control-plane role" },
      () => findControlPlaneNode(options.config!),
      (found) => `${found.name} at ${found.address} (${found.addressType})`,
    );
    host = node.address;
    result.node = node.name;
  }
  let privateKey = options.privateKey;
  if (!privateKey) {
    const { namespace, name, field } = SSH_KEY_SECRET;
    privateKey = await journal.run(
      {
        name: "readSshKey",
        description: `secret ${namespace}/${name}, field ${field} (kept in memory only)`,
      },
      async () => {
        const key = await readSshKeyFromSecret(options.config!);
        reportKeySecrets(key, options.onSecret);
        return key;
      },
      (key) => `key ${describeKey(key)}`,
    );
  }
  const nodeKey = privateKey;
  const nodeHost = host;
  const session = await journal.run(
    {
      name: "connect",
      description: `${options.user ?? DEFAULT_SSH_USER}@${nodeHost}${
        options.jumpHost ? ` through ${options.jumpHost.user}@${options.jumpHost.host}` : ""
      }`,
    },
    () =>
      connectSsh(
        {
          host: nodeHost,
          port: options.port ?? 22,
          user: options.user ?? DEFAULT_SSH_USER,
          privateKey: nodeKey,
          ...(options.jumpHost
            ? {
                jumpHost: {
                  ...options.jumpHost,
                  privateKey: options.jumpHost.privateKey ?? nodeKey,
                },
              }
            : {}),
          hostKeys: options.hostKeys,
          acceptUnknownHostKey: options.acceptUnknownHostKey,
          ...(options.connectTimeoutMs ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
        },
        logger,
      ),
    (connected) => `${connected.target}, host key ${connected.hostKeyFingerprint}`,
  );
  result.target = session.target;
  result.hostKeyFingerprint = session.hostKeyFingerprint;
  return session;
}

/** The key's type and public fingerprint: all of it that may be shown. */
function describeKey(key: string | Buffer): string {
  try {
    const parsed = loadPrivateKey(key, "the SSH private key from the cluster");
    return `${parsed.type} ${parsed.publicFingerprint}`;
  } catch (error) {
    if (error instanceof SshError) {
      throw new Error(
        `secret ${SSH_KEY_SECRET.namespace}/${SSH_KEY_SECRET.name} field ${SSH_KEY_SECRET.field}: ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
}

/** Every form of the key a log line could carry: the whole text, its base64, each body line. */
export function keySecretForms(key: string | Buffer): string[] {
  const text = Buffer.isBuffer(key) ? key.toString("utf8") : key;
  const forms = new Set<string>([text.trim(), Buffer.from(text).toString("base64")]);
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.length >= 8 && !trimmed.startsWith("-----")) forms.add(trimmed);
  }
  return [...forms].filter((form) => form !== "");
}

function reportKeySecrets(key: Buffer, onSecret?: (secret: string) => void): void {
  if (!onSecret) return;
  for (const form of keySecretForms(key)) onSecret(form);
}

function totalBytes(listing: NodeFileEntry[]): number {
  return listing.reduce((sum, entry) => sum + (entry.type === "file" ? entry.size : 0), 0);
}

function describeListing(listing: NodeFileEntry[]): string {
  const files = listing.filter((entry) => entry.type === "file").length;
  return `${listing.length} entries (${files} files, ${formatBytes(totalBytes(listing))})`;
}

/**
 * Streams the tar over the SSH session into the storage pipeline and, beside it, through a
 * tar reader that hashes each file. Before the manifest is written the archive must list
 * exactly what `find` saw; otherwise the stored payload is removed and nothing is listed.
 */
async function streamAndStore(
  options: PkiBackupOptions,
  session: SshSession,
  paths: string[],
  listing: NodeFileEntry[],
  nodeName: string | undefined,
): Promise<StoredBackup> {
  const remote = await streamPkiArchive(session, { paths });
  const source = new PassThrough({ highWaterMark: 1024 * 1024 });
  const inspected = new PassThrough({ highWaterMark: 1024 * 1024 });
  const entries = readArchiveEntries(inspected);
  entries.catch(() => undefined);
  const tee = teeInto(source, inspected);
  remote.archive.on("error", (error) => {
    source.destroy(error);
    inspected.destroy(error);
  });
  remote.archive.pipe(tee);
  return storeBackup(options.store, {
    cluster: "admin",
    kind: "admin-pki",
    source,
    compression: options.compression,
    recipients: options.recipients,
    allowUnencrypted: false,
    sourceInfo: { ...(nodeName ? { node: nodeName } : {}) },
    logger: options.logger,
    beforeManifest: async () => {
      await remote.completed;
      const archived = await entries;
      const differences = compareArchiveWithListing(archived, listing);
      if (differences.length > 0) {
        const shown = differences.slice(0, 10).join("; ");
        const more = differences.length > 10 ? ` and ${differences.length - 10} more` : "";
        throw new Error(
          `the archive does not match the node's listing of ${paths.join(", ")}: ${shown}${more}. Files may have changed during the backup; run it again.`,
        );
      }
      return { pki: pkiRecord(session, options, paths, archived) };
    },
  });
}

function pkiRecord(
  session: SshSession,
  options: PkiBackupOptions,
  paths: string[],
  archived: ArchiveEntry[],
): PkiRecord {
  const node: SshEndpointRecord = {
    host: session.host,
    port: options.port ?? 22,
    user: session.user,
    hostKeyFingerprint: session.hostKeyFingerprint,
  };
  const jump = options.jumpHost;
  const files: PkiFileRecord[] = archived.map((entry) => ({
    path: entry.path,
    type: entry.type,
    mode: entry.mode.toString(8).padStart(4, "0"),
    uid: entry.uid,
    gid: entry.gid,
    size: entry.size,
    ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
    ...(entry.linkTarget ? { linkTarget: entry.linkTarget } : {}),
  }));
  return {
    node,
    ...(jump && session.jumpHostKeyFingerprint
      ? {
          jumpHost: {
            host: jump.host,
            port: jump.port,
            user: jump.user,
            hostKeyFingerprint: session.jumpHostKeyFingerprint,
          },
        }
      : {}),
    paths,
    fileCount: files.length,
    files,
  };
}
