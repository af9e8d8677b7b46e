/**
 * The PKI of every control-plane node of a Controlplane V2 user cluster (issue 16): the
 * vendor's procedure SSHes as `ubuntu` to each node, `chmod`s the PKI and `scp`s it; here,
 * per node, the same safe stream as the admin master's (admin-pki-backup.ts): host key
 * pinned, `sudo -n find` listing, `sudo -n tar` straight into the encrypted store, the
 * archive checked against the listing. One archive per node, kind `node-pki` under the
 * cluster, the node's name in the manifest's `source.node`; retention keeps each node's
 * last N. The secrets-encryption keys folder goes into the node's archive where it exists.
 *
 * The nodes and the key are found first, for every cluster, so that a missing secret or a
 * cluster without control-plane nodes fails before anything is stored.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { CancelledError, errorMessage } from "../core/errors.ts";
import type { UserClusterAccess } from "../core/kube/user-kubeconfigs.ts";
import {
  controlPlaneNodesAccess,
  type ControlPlaneNodeTarget,
  type ControlPlaneNodesAccess,
} from "../core/ssh/control-plane-nodes.ts";
import {
  checkNodePathsExist,
  connectSsh,
  RemoteCommandError,
  UnpinnedHostKeyError,
  validateNodePaths,
  type HostKeyPins,
  type SshSession,
} from "../core/ssh/index.ts";
import { formatTimestamp } from "../core/storage/layout.ts";
import {
  archiveNodePki,
  DEFAULT_PKI_PATHS,
  nodeSshOptions,
  keySecretForms,
  nodePkiSteps,
  type NodePkiArchiveOptions,
  type PkiBackupResult,
  ENCRYPTION_KEYS_PATH,
} from "./admin-pki-backup.ts";
import { Plan, PlanRun } from "./plan.ts";

/** Where the vendor keeps the secrets-encryption keys on a control-plane node's data disk. */
export const ENCRYPTION_KEYS_FOLDER = ENCRYPTION_KEYS_PATH;

export interface NodePkiBackupOptions extends NodePkiArchiveOptions {
  /** The Controlplane V2 user clusters, by their own kubeconfigs (`user-kubeconfigs`). */
  userClusters: UserClusterAccess[];
  /** The admin cluster: each cluster's node key is in its secret `<cluster>/ssh-keys`. */
  adminConfig?: KubeConfig;
  /** The nodes' key for every user cluster given, instead of the secrets. Kept in memory. */
  privateKey?: string | Buffer;
  /** Default `ubuntu`. */
  user?: string;
  hostKeys: HostKeyPins;
  acceptUnknownHostKey: boolean;
  /** Absolute paths on each node; default /etc/kubernetes/pki. */
  paths?: string[];
  /** Told every secret read (the keys from the secrets, in each form a log could show). */
  onSecret?: (secret: string) => void;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface NodePkiBackupResult extends Omit<PkiBackupResult, "cluster" | "kind"> {
  cluster: string;
  kind: "node-pki";
  /** The paths archived on this node: the given ones, and the encryption keys where present. */
  paths?: string[];
}

/** The nodes and key of each cluster, found before anything is stored. */
export interface NodePkiPreparation {
  clusters: ControlPlaneNodesAccess[];
}

/** One node's backup, declared once: `dry-run` prints it, a run executes it. */
export function nodePkiBackupPlan(
  cluster: string,
  node: ControlPlaneNodeTarget,
  paths: string[],
  destination: string,
): Plan {
  const [connect, ...archive] = nodePkiSteps([...paths, ENCRYPTION_KEYS_FOLDER], destination);
  return new Plan(
    `back up the PKI of control-plane node ${node.name} (${node.address}) of user cluster ${cluster} to ${destination}`,
    [
      connect!,
      {
        name: "findEncryptionKeys",
        purpose: `whether the node keeps secrets-encryption keys in ${ENCRYPTION_KEYS_FOLDER}; archived with the PKI where it does`,
        runbook: `sudo -n find ${ENCRYPTION_KEYS_FOLDER} -maxdepth 0`,
        effect: "reads",
      },
      ...archive,
    ],
  );
}

/**
 * Finds each cluster's control-plane nodes (its own API) and their key (given, or the admin
 * cluster's `<cluster>/ssh-keys`). Throws the first problem: nothing has been stored yet.
 */
export async function prepareNodePkiBackup(
  options: Pick<
    NodePkiBackupOptions,
    "userClusters" | "adminConfig" | "privateKey" | "logger" | "onSecret"
  >,
): Promise<NodePkiPreparation> {
  const clusters: ControlPlaneNodesAccess[] = [];
  for (const userCluster of options.userClusters) {
    const access = await controlPlaneNodesAccess({
      cluster: userCluster.name,
      userConfig: userCluster.config,
      ...(options.adminConfig ? { adminConfig: options.adminConfig } : {}),
      ...(options.privateKey ? { privateKey: options.privateKey } : {}),
    });
    if (access.keySource !== "given") {
      for (const form of keySecretForms(access.privateKey)) options.onSecret?.(form);
    }
    options.logger.info(
      `User cluster ${access.cluster}: control-plane nodes ${access.nodes
        .map((node) => `${node.name} (${node.address})`)
        .join(
          ", ",
        )}; SSH key from ${access.keySource === "given" ? "the given key" : access.keySource}.`,
    );
    clusters.push(access);
  }
  return { clusters };
}

/** Backs up every node of every prepared cluster, one after the other; one result per node. */
export async function runNodePkiBackups(
  options: NodePkiBackupOptions,
  preparation: NodePkiPreparation,
): Promise<NodePkiBackupResult[]> {
  const paths = validateNodePaths(options.paths ?? DEFAULT_PKI_PATHS);
  const results: NodePkiBackupResult[] = [];
  let previousTimestamp: string | undefined;
  for (const cluster of preparation.clusters) {
    for (const node of cluster.nodes) {
      options.signal?.throwIfAborted();
      // Every archive gets a second of its own: a store keyed by cluster, kind and second
      // (S3, artifacts) would otherwise put two nodes' archives in one folder.
      if (!options.dryRun) await waitForNextSecond(previousTimestamp, options.signal);
      const result = await backUpNode(options, cluster, node, paths);
      if (result.uri) previousTimestamp = formatTimestamp(new Date());
      results.push(result);
    }
  }
  options.signal?.throwIfAborted();
  return results;
}

async function backUpNode(
  options: NodePkiBackupOptions,
  cluster: ControlPlaneNodesAccess,
  node: ControlPlaneNodeTarget,
  paths: string[],
): Promise<NodePkiBackupResult> {
  const { logger } = options;
  const plan = nodePkiBackupPlan(cluster.cluster, node, paths, options.store.description);
  if (options.dryRun) plan.print(logger);
  const started = Date.now();
  const run = await PlanRun.start(plan, { logger, dryRun: options.dryRun });
  const result: NodePkiBackupResult = {
    cluster: cluster.cluster,
    kind: "node-pki",
    node: node.name,
    outcome: "failed",
    durationMs: 0,
    steps: run.log,
  };
  let session: SshSession | undefined;
  const closeOnCancel = () => void session?.close().catch(() => undefined);
  options.signal?.addEventListener("abort", closeOnCancel, { once: true });
  try {
    session = await run.run(
      "connect",
      () => connectToNode(options, cluster, node),
      (connected) => `${connected.target}, host key ${connected.hostKeyFingerprint}`,
    );
    result.target = session.target;
    result.hostKeyFingerprint = session.hostKeyFingerprint;
    options.signal?.throwIfAborted();
    const connected = session;
    const nodePaths = await run.run(
      "findEncryptionKeys",
      () => withEncryptionKeysWhenPresent(connected, paths),
      (found) =>
        found.includes(ENCRYPTION_KEYS_FOLDER)
          ? `${ENCRYPTION_KEYS_FOLDER} is there: archived with the PKI`
          : `no ${ENCRYPTION_KEYS_FOLDER} on this node`,
    );
    result.paths = nodePaths;
    await archiveNodePki(run, options, connected, nodePaths, result, {
      cluster: cluster.cluster,
      kind: "node-pki",
      source: { node: node.name, topology: "controlplane-v2" },
    });
  } catch (error) {
    result.outcome = "failed";
    result.error = `control-plane node ${node.name} of ${cluster.cluster}: ${errorMessage(error)}`;
    if (error instanceof UnpinnedHostKeyError) result.unpinnedHostKey = error.pin;
  } finally {
    options.signal?.removeEventListener("abort", closeOnCancel);
    await session?.close().catch(() => undefined);
    run.finish();
    result.durationMs = Date.now() - started;
  }
  return result;
}

function connectToNode(
  options: NodePkiBackupOptions,
  cluster: ControlPlaneNodesAccess,
  node: ControlPlaneNodeTarget,
): Promise<SshSession> {
  return connectSsh(nodeSshOptions(node.address, cluster.privateKey, options), options.logger);
}

/** The given paths, and the encryption keys folder when the node has one (and it is not given). */
async function withEncryptionKeysWhenPresent(
  session: SshSession,
  paths: string[],
): Promise<string[]> {
  const covered = paths.some(
    (path) => ENCRYPTION_KEYS_FOLDER === path || ENCRYPTION_KEYS_FOLDER.startsWith(`${path}/`),
  );
  if (covered) return paths;
  try {
    await checkNodePathsExist(session, { paths: [ENCRYPTION_KEYS_FOLDER] });
  } catch (error) {
    if (error instanceof RemoteCommandError && error.reason === "path-missing") return paths;
    throw error;
  }
  return [...paths, ENCRYPTION_KEYS_FOLDER];
}

/** Resolves once the clock is past `previous`'s second; at once when there is none. */
function waitForNextSecond(previous: string | undefined, signal?: AbortSignal): Promise<void> {
  if (!previous) return Promise.resolve();
  const nextSecond = Math.floor(Date.now() / 1000) * 1000 + 1000;
  if (formatTimestamp(new Date()) !== previous) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, nextSecond - Date.now() + 5);
    function done() {
      signal?.removeEventListener("abort", cancelled);
      resolve();
    }
    function cancelled() {
      clearTimeout(timer);
      reject(new CancelledError("the PKI backup was cancelled between two nodes."));
    }
    signal?.addEventListener("abort", cancelled, { once: true });
  });
}
