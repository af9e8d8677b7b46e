/**
 * The runbook's PKI backup (PROCEDURES.md section 4 steps 1, 2 and 4), as a procedure:
 * find the admin control-plane node, read its SSH key from the cluster, connect with every
 * host key checked, list the files with `sudo -n find`, stream `sudo -n tar` of the same
 * paths straight into the storage pipeline (no chmod, no copy on the node, no temporary
 * file anywhere), check the archive holds exactly the listed files, record that listing
 * (never contents) and the host key in the manifest, and only then apply retention.
 */
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { errorMessage } from "../core/errors.ts";
import {
  pkiFileRecord,
  type BackupSource,
  type PkiRecord,
  type SshEndpointRecord,
} from "../core/storage/manifest.ts";
import { formatBytes } from "../core/format.ts";
import {
  findControlPlaneNode,
  readSshKeyFromSecret,
  SSH_KEY_SECRET,
} from "../core/kube/admin-node.ts";
import type { Logger } from "../core/log/logger.ts";
import type { RunInfo } from "../core/run-context.ts";
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
  type HostKeyPins,
  type NodeFileEntry,
  type SshConnectOptions,
  type SshSession,
} from "../core/ssh/index.ts";
import { teeInto } from "../core/stream/tee.ts";
import type { Compression } from "../core/storage/compression.ts";
import { storeBackup, type StoredBackup } from "../core/storage/pipeline.ts";
import type { RetentionPolicy } from "../core/storage/retention.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import { Plan, PlanRun, type StepDeclaration } from "./plan.ts";
import { applyRetentionDeclaration, verifyAndRetain, type BackupResult } from "./steps.ts";

export { DEFAULT_PKI_PATHS, DEFAULT_SSH_USER } from "../core/ssh/pki.ts";

export interface JumpHostInput {
  user: string;
  host: string;
  port: number;
  /** Default: the node's key (SSH sends only a signature made with it, never the key). */
  privateKey?: string | Buffer;
}

/** How a procedure reaches its nodes over SSH: everything but the node's address and key. */
export interface NodeSshAccess {
  /** Default 22. */
  port?: number;
  /** Default `ubuntu`. */
  user?: string;
  jumpHost?: JumpHostInput;
  hostKeys: HostKeyPins;
  acceptUnknownHostKey?: boolean;
  connectTimeoutMs?: number;
}

/** The connection to one node; the jump host signs with the node's key unless given its own. */
export function nodeSshOptions(
  host: string,
  privateKey: string | Buffer,
  access: NodeSshAccess,
): SshConnectOptions {
  return {
    host,
    port: access.port ?? 22,
    user: access.user ?? DEFAULT_SSH_USER,
    privateKey,
    ...(access.jumpHost
      ? {
          jumpHost: {
            ...access.jumpHost,
            privateKey: access.jumpHost.privateKey ?? privateKey,
          },
        }
      : {}),
    hostKeys: access.hostKeys,
    acceptUnknownHostKey: access.acceptUnknownHostKey ?? false,
    ...(access.connectTimeoutMs ? { connectTimeoutMs: access.connectTimeoutMs } : {}),
  };
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
  /** The GitHub run doing this (the run context's), recorded in each manifest. */
  run?: RunInfo;
  /**
   * Told every secret this procedure reads (the SSH key from the cluster, in each form a
   * log line could show it) before anything else happens, so the action can mask them.
   */
  onSecret?: (secret: string) => void;
  connectTimeoutMs?: number;
  /** Cancels the run: the SSH session is closed, so the transfer stops and nothing is listed. */
  signal?: AbortSignal;
}

export interface PkiBackupResult extends BackupResult {
  cluster: "admin";
  kind: "admin-pki";
  node?: string;
  /** `ubuntu@10.0.0.2:22` (and the jump host) as connected. */
  target?: string;
  hostKeyFingerprint?: string;
  fileCount?: number;
  /** Bytes of regular files under the paths, as the node listed them. */
  filesBytes?: number;
  /** When the run failed on a host key nothing pins: what to pin (each front door says how). */
  unpinnedHostKey?: { fingerprint: string; knownHostsLine: string };
}

/** The PKI backup, declared once: `dry-run` prints it, a run executes it. */
export function pkiBackupPlan(paths: string[], destination: string): Plan {
  const { namespace, name, field } = SSH_KEY_SECRET;
  return new Plan(`back up the admin control plane's PKI (${paths.join(", ")}) to ${destination}`, [
    {
      name: "findControlPlaneNode",
      purpose: "the admin control-plane node's ExternalIP (else InternalIP)",
      runbook: "kubectl get nodes -o wide",
      effect: "reads",
      onlyWhen: "when the node's address is not given",
    },
    {
      name: "readSshKey",
      purpose: `the SSH key from secret ${namespace}/${name} (field ${field}), kept in memory only`,
      runbook: `kubectl get secret -n ${namespace} ${name} -o jsonpath='{.data.${field}}' | base64 -d`,
      effect: "reads",
      onlyWhen: "when the SSH private key is not given",
    },
    ...nodePkiSteps(paths, destination),
  ]);
}

/**
 * The steps that back up one node's PKI once its address and key are known: the admin
 * master's (this action's original job) and each Controlplane V2 control-plane node's.
 */
export function nodePkiSteps(paths: string[], destination: string): StepDeclaration[] {
  const operands = paths.map((path) => path.replace(/^\/+/, "")).join(" ");
  return [
    {
      name: "connect",
      purpose: "SSH to the node (through the jump host when given); every host key must be pinned",
      runbook: "ssh -o StrictHostKeyChecking=yes ubuntu@NODE",
      effect: "reads",
    },
    {
      name: "listNodeFiles",
      purpose: "what the archive must hold: names, types, modes, owners and sizes",
      runbook: `sudo -n find ${paths.join(" ")} -printf '%y %m %U %G %s %p\\n'`,
      effect: "reads",
    },
    {
      name: "streamAndStore",
      purpose: `stream the archive over the SSH session into ${destination}, hashed, compressed, encrypted (no chmod, no copy on the node); before the manifest is written, the archive must hold exactly the listed files with their modes, owners and sizes, and the manifest records that listing and the host key`,
      runbook: `sudo -n tar --create --numeric-owner --preserve-permissions -f - -C / ${operands}`,
      effect: "changes",
    },
    {
      name: "verifyStored",
      purpose: "read the stored bytes back and check them against the manifest",
      effect: "reads",
    },
    applyRetentionDeclaration,
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
  const plan = pkiBackupPlan(paths, options.store.description);
  if (options.dryRun) plan.print(logger);
  const started = Date.now();
  const run = await PlanRun.start(plan, { logger, dryRun: options.dryRun });
  const result: PkiBackupResult = {
    cluster: "admin",
    kind: "admin-pki",
    outcome: "failed",
    durationMs: 0,
    steps: run.log,
  };
  let session: SshSession | undefined;
  const closeOnCancel = () => void session?.close().catch(() => undefined);
  options.signal?.addEventListener("abort", closeOnCancel, { once: true });
  try {
    options.signal?.throwIfAborted();
    session = await connectToNode(options, run, result);
    options.signal?.throwIfAborted();
    await archiveNodePki(run, options, session, paths, result, {
      cluster: "admin",
      kind: "admin-pki",
      source: result.node ? { node: result.node } : {},
    });
  } catch (error) {
    result.outcome = "failed";
    // The caller reports it, once: the action as its one error, the CLI with the result.
    result.error = errorMessage(error);
    if (error instanceof UnpinnedHostKeyError) result.unpinnedHostKey = error.pin;
  } finally {
    options.signal?.removeEventListener("abort", closeOnCancel);
    await session?.close().catch(() => undefined);
    run.finish();
    result.durationMs = Date.now() - started;
  }
  options.signal?.throwIfAborted();
  return result;
}

/** Where one node's archive goes: the cluster, the kind, and the manifest's source (the node). */
export interface NodePkiTarget {
  cluster: string;
  kind: "admin-pki" | "node-pki";
  source: BackupSource;
}

/** What archiving one node's PKI needs beside the session: the storage side of the options. */
export type NodePkiArchiveOptions = Pick<
  PkiBackupOptions,
  | "store"
  | "recipients"
  | "compression"
  | "retention"
  | "dryRun"
  | "logger"
  | "run"
  | "port"
  | "jumpHost"
>;

/** What a node's run reports, whichever cluster it belongs to. */
export type NodePkiProgress = Pick<
  PkiBackupResult,
  "outcome" | "fileCount" | "filesBytes" | "size" | "storedSize" | "sha256" | "uri" | "deleted"
> &
  BackupResult;

/**
 * Runbook section 4 steps 2 and 4 on a connected node: list the files, stream the archive
 * into the store and check it against the listing, read it back, apply retention. A dry
 * run stops after the listing.
 */
export async function archiveNodePki(
  run: PlanRun,
  options: NodePkiArchiveOptions,
  session: SshSession,
  paths: string[],
  result: NodePkiProgress,
  target: NodePkiTarget,
): Promise<void> {
  const { logger } = options;
  let nodePaths = paths;
  const listing = await run.run(
    "listNodeFiles",
    async () => {
      nodePaths = await withEncryptionKeys(session, paths, logger);
      return listNodeFiles(session, { paths: nodePaths });
    },
    (entries) => describeListing(entries),
  );
  result.fileCount = listing.length;
  result.filesBytes = totalBytes(listing);
  if (options.dryRun) {
    result.outcome = "planned";
    logger.info(
      `Dry run: would archive ${describeListing(listing)} from ${session.target} to ${options.store.description}; nothing was stored.`,
    );
    return;
  }
  const stored = await run.run(
    "streamAndStore",
    () => streamAndStore(options, session, nodePaths, listing, target),
    (backup) => `tar of ${nodePaths.join(", ")} from ${session.target} to ${backup.location.uri}`,
  );
  await verifyAndRetain(run, options.store, stored, options.retention, logger, result);
}

function validatePaths(paths: string[]): string[] {
  // A ConfigurationError naming the paths setting; each front door shows it under its name.
  return validateNodePaths(paths);
}

/** Finds the node and the key (unless given), then connects with the host keys checked. */
async function connectToNode(
  options: PkiBackupOptions,
  run: PlanRun,
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
  if (host) run.skip("findControlPlaneNode", `the node's address ${host} is given`);
  else {
    const node = await run.run(
      "findControlPlaneNode",
      () => findControlPlaneNode(options.config!),
      (found) => `${found.name} at ${found.address} (${found.addressType})`,
    );
    host = node.address;
    result.node = node.name;
  }
  let privateKey = options.privateKey;
  if (privateKey) run.skip("readSshKey", "the SSH private key is given");
  else {
    privateKey = await run.run(
      "readSshKey",
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
  const session = await run.run(
    "connect",
    () => connectSsh(nodeSshOptions(nodeHost, nodeKey, options), logger),
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
  options: NodePkiArchiveOptions,
  session: SshSession,
  paths: string[],
  listing: NodeFileEntry[],
  target: NodePkiTarget,
): Promise<StoredBackup> {
  const remote = await streamPkiArchive(session, { paths });
  const source = new PassThrough({ highWaterMark: 1024 * 1024 });
  const inspected = new PassThrough({ highWaterMark: 1024 * 1024 });
  const entries = readArchiveEntries(inspected);
  entries.catch(() => undefined);
  // One pipeline, so every failure settles everything once: a dropped link or a failed tar
  // fails the tee and with it the store's source and the reader; a store that gives up
  // fails the tee back, which stops tar on the node. The store reports the first error.
  const forwarding = pipeline(remote.archive, teeInto(source, inspected));
  forwarding.catch(() => undefined);
  try {
    return await storeBackup(options.store, {
      cluster: target.cluster,
      kind: target.kind,
      source,
      // Both kinds hold a tar of the node's files (node-pki is not named like a snapshot).
      payloadBaseName: "pki.tar",
      compression: options.compression,
      recipients: options.recipients,
      ...(options.run ? { run: options.run } : {}),
      allowUnencrypted: false,
      sourceInfo: target.source,
      logger: options.logger,
      beforeManifest: async () => {
        await forwarding;
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
  } finally {
    // A store that gave up before it read anything still stops tar on the node, and
    // nothing of the transfer is left running when this returns.
    source.destroy();
    await forwarding.catch(() => undefined);
  }
}

function pkiRecord(
  session: SshSession,
  options: NodePkiArchiveOptions,
  paths: string[],
  archived: NodeFileEntry[],
): PkiRecord {
  const node: SshEndpointRecord = {
    host: session.host,
    port: options.port ?? 22,
    user: session.user,
    hostKeyFingerprint: session.hostKeyFingerprint,
  };
  const jump = options.jumpHost;
  const files = archived.map(pkiFileRecord);
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

/** Where Anthos keeps the secrets-encryption keys: archived with the default PKI where present. */
export const ENCRYPTION_KEYS_PATH = "/opt/data/gke-k8s-kms-plugin/generatedkeys";

/**
 * The default paths take the secrets-encryption keys folder too where the node has one:
 * without those keys a restored cluster cannot read its encrypted Secrets. Paths the user
 * listed are taken as they are. Any failure but a missing folder (sudo wanting a password,
 * ...) is the listing's own, in its words.
 */
async function withEncryptionKeys(
  session: SshSession,
  paths: string[],
  logger: Logger,
): Promise<string[]> {
  const isDefault =
    paths.length === DEFAULT_PKI_PATHS.length &&
    paths.every((path, index) => path === DEFAULT_PKI_PATHS[index]);
  if (!isDefault) return paths;
  try {
    await listNodeFiles(session, { paths: [ENCRYPTION_KEYS_PATH] });
  } catch (error) {
    if (error instanceof SshError && error.reason === "path-missing") return paths;
    throw error;
  }
  logger.info(
    `The node keeps secrets-encryption keys in ${ENCRYPTION_KEYS_PATH}: archived with the PKI.`,
  );
  return [...paths, ENCRYPTION_KEYS_PATH];
}
