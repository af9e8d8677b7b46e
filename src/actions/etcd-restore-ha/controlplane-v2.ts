/**
 * etcd-restore-ha for a Controlplane V2 user cluster (issue 16): its etcd runs as static pods
 * on its own control-plane nodes, so the action needs the cluster's own kubeconfig
 * (user-kubeconfigs, as etcd-backup takes it) and SSH to those nodes: their addresses from
 * the cluster's Nodes, the key from ssh-private-key or else the admin cluster's secret
 * `<cluster>/ssh-keys`, host keys pinned as admin-restore pins them.
 */
import * as core from "@actions/core";
import type { KubeConfig } from "@kubernetes/client-node";
import type { X25519Identity } from "../../core/crypto/age-keys.ts";
import type { UserClusterAccess } from "../../core/kube/user-kubeconfigs.ts";
import type { Logger } from "../../core/log/logger.ts";
import { errorMessage, isConfigurationError } from "../../core/errors.ts";
import {
  controlPlaneNodesAccess,
  type ControlPlaneNodeTarget,
} from "../../core/ssh/control-plane-nodes.ts";
import type { StoredBackup } from "../../core/storage/pipeline.ts";
import type { SnapshotStore } from "../../core/storage/types.ts";
import { keySecretForms } from "../../procedures/admin-pki-backup.ts";
import {
  finishInterruptedControlPlaneV2Restore,
  journalledControlPlaneNodes,
  runControlPlaneV2Restore,
  runControlPlaneV2Undo,
  type AfterInterruptionOutcome,
  type ControlPlaneV2RestoreResult,
  type ControlPlaneV2UndoOptions,
} from "../../procedures/controlplane-v2-restore.ts";
import type { RevisionBump } from "../../procedures/etcd-restore.ts";
import type { RestoreAudit } from "../../procedures/restore-record.ts";
import { getInput, getInputAsBool, InputError } from "../common/inputs.ts";
import { readUserKubeconfigs } from "../common/shared-inputs.ts";
import { readHostKeyPins, readJumpHost, readKeyInput, readSshUser } from "../common/ssh-inputs.ts";
import { Inputs } from "./constants.ts";

/** Core's names for the settings of this topology, mapped to the action's inputs. */
export const CPV2_INPUT_OF_FIELD: Readonly<Record<string, string>> = {
  userSshPrivateKey: Inputs.SshPrivateKey,
  nodes: Inputs.UserKubeconfigs,
  undo: Inputs.Undo,
};

/**
 * The cluster's own kubeconfig from user-kubeconfigs (paths, one per line; a folder means
 * its files), or undefined when none names the cluster: then it is a kubeception cluster.
 */
export async function readUserCluster(cluster: string): Promise<UserClusterAccess | undefined> {
  const clusters = await readUserKubeconfigs();
  return clusters.find((access) => access.name === cluster);
}

/** A backup of a Controlplane V2 cluster needs that cluster's kubeconfig: say so before anything. */
export function requireUserCluster(
  cluster: string,
  backup: StoredBackup,
  userCluster: UserClusterAccess | undefined,
): UserClusterAccess {
  if (!userCluster) {
    throw new InputError(
      `Input ${Inputs.UserKubeconfigs} names no kubeconfig of ${cluster}, but ${backup.location.uri} was taken from a Controlplane V2 cluster (its etcd runs on its own control-plane nodes): give ${cluster}'s kubeconfig there.`,
    );
  }
  return userCluster;
}

export interface ControlPlaneV2Run {
  adminConfig: KubeConfig;
  userCluster: UserClusterAccess;
  cluster: string;
  confirm?: string;
  dryRun: boolean;
  logger: Logger;
  signal: AbortSignal;
  owner: string;
  waitTimeoutMs: number;
}

/** The nodes, the key and the pins, all read and checked before anything connects. */
async function nodeAccess(run: ControlPlaneV2Run): Promise<ControlPlaneV2UndoOptions> {
  const givenKey = readKeyInput(Inputs.SshPrivateKey);
  const jumpPrivateKey = readKeyInput(Inputs.JumpPrivateKey);
  const jumpHost = readJumpHost(
    { jumpHost: Inputs.JumpHost, jumpPrivateKey: Inputs.JumpPrivateKey },
    jumpPrivateKey,
  );
  const hostKeys = readHostKeyPins({
    knownHosts: Inputs.SshKnownHosts,
    fingerprints: Inputs.SshHostKeyFingerprints,
  });
  // An unfinished restore or undo stopped the cluster's API: its journal names the nodes.
  const journalled = await journalledControlPlaneNodes(run.adminConfig, run.cluster);
  if (journalled) {
    run.logger.info(
      `An unfinished restore or undo of ${run.cluster} is journalled in the admin cluster: its control-plane nodes are taken from there, not from ${run.cluster}'s API (stopped by it).`,
    );
  }
  const given = readControlPlaneNodes();
  if (journalled && given) {
    run.logger.info(
      `${Inputs.ControlPlaneNodes} is not used: the journal of the unfinished run names the nodes it changed.`,
    );
  }
  const nodes = journalled ?? given;
  const access = await controlPlaneNodesAccess({
    cluster: run.cluster,
    userConfig: run.userCluster.config,
    adminConfig: run.adminConfig,
    ...(givenKey ? { privateKey: givenKey } : {}),
    ...(nodes ? { nodes } : {}),
  }).catch((error: unknown) => {
    if (nodes || isConfigurationError(error)) throw error;
    // Without quorum the cluster has no API: the one thing the user can do is name the nodes.
    throw new Error(
      `${errorMessage(error)} A cluster that lost etcd quorum cannot list its nodes: give them as ${Inputs.ControlPlaneNodes} (one name=address per line).`,
      { cause: error },
    );
  });
  const key = access.privateKey.toString();
  for (const form of keySecretForms(key)) core.setSecret(form);
  run.logger.info(
    `${run.cluster} is a Controlplane V2 cluster: control-plane nodes ${access.nodes.map((node) => `${node.name} (${node.address})`).join(", ")}; SSH key from ${access.keySource}.`,
  );
  return {
    adminConfig: run.adminConfig,
    userConfig: run.userCluster.config,
    cluster: run.cluster,
    nodes: access.nodes,
    user: readSshUser(Inputs.SshUser),
    privateKey: key,
    ...(jumpHost ? { jumpHost } : {}),
    hostKeys,
    acceptUnknownHostKey: getInputAsBool(Inputs.InsecureAcceptUnknownHostKey, false),
    ...(run.confirm ? { confirm: run.confirm } : {}),
    dryRun: run.dryRun,
    logger: run.logger,
    signal: run.signal,
    owner: run.owner,
    waitTimeoutMs: run.waitTimeoutMs,
  };
}

export async function restoreControlPlaneV2(
  run: ControlPlaneV2Run,
  restore: {
    store: SnapshotStore;
    backup: StoredBackup;
    identities: readonly X25519Identity[];
    revisionBump: RevisionBump;
    workDir: string;
    audit: RestoreAudit;
  },
): Promise<ControlPlaneV2RestoreResult> {
  return runControlPlaneV2Restore({ ...(await nodeAccess(run)), ...restore });
}

export async function undoControlPlaneV2(
  run: ControlPlaneV2Run,
): Promise<ControlPlaneV2RestoreResult> {
  return runControlPlaneV2Undo(await nodeAccess(run));
}

/** The post step: a run that did not finish is put back before its swap, else explained. */
export async function putBackControlPlaneV2(
  run: Omit<ControlPlaneV2Run, "signal" | "dryRun">,
): Promise<AfterInterruptionOutcome> {
  const { dryRun: _dryRun, ...access } = await nodeAccess({
    ...run,
    dryRun: false,
    signal: new AbortController().signal,
  });
  return finishInterruptedControlPlaneV2Restore({ ...access, owner: run.owner });
}

/**
 * control-plane-nodes: `name=address` per line, each a Node name and an address (IPv4, IPv6
 * or a host name); undefined when empty. Checked whole before anything connects.
 */
function readControlPlaneNodes(): ControlPlaneNodeTarget[] | undefined {
  const lines = getInput(Inputs.ControlPlaneNodes)
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  if (lines.length === 0) return undefined;
  const nodes = lines.map((line, index) => {
    const match =
      /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?)\s*=\s*([A-Za-z0-9.:-]+|\[[0-9A-Fa-f:]+\])$/.exec(line);
    if (!match) {
      throw new InputError(
        `Input ${Inputs.ControlPlaneNodes}, line ${index + 1}: expected name=address (a Node name such as uc3-cp-0, then the address SSH reaches it at, such as 10.0.0.11), one node per line.`,
      );
    }
    return { name: match[1]!, address: match[3]!.replace(/^\[|\]$/g, "") };
  });
  const names = nodes.map((node) => node.name);
  const repeated = names.find((name, index) => names.indexOf(name) !== index);
  if (repeated) {
    throw new InputError(
      `Input ${Inputs.ControlPlaneNodes} names ${repeated} twice: give each control-plane node once.`,
    );
  }
  return nodes.sort((a, b) => a.name.localeCompare(b.name));
}
