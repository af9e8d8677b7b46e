/**
 * admin-restore: typed inputs -> the admin restore over SSH -> outputs, the job summary, and
 * one error when it failed. Every input is checked, both backups found and the identity
 * proven able to open them, before anything connects; every key is masked at once and kept
 * in memory only.
 */
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as core from "@actions/core";
import { errorMessage } from "../../core/errors.ts";
import { findControlPlaneNode } from "../../core/kube/admin-node.ts";
import type { Logger } from "../../core/log/logger.ts";
import { runContextFromEnvironment, type RunContext } from "../../core/run-context.ts";
import {
  findBackup,
  findNewestVerifiedBackup,
  type StoredBackup,
} from "../../core/storage/pipeline.ts";
import type { SnapshotStore } from "../../core/storage/types.ts";
import { DEFAULT_SSH_USER } from "../../procedures/admin-pki-backup.ts";
import {
  finishInterruptedAdminRestore,
  runAdminRestore,
  runAdminUndo,
  type AdminRestoreResult,
  type RestorePki,
} from "../../procedures/admin-restore.ts";
import {
  failureMessage,
  getInput,
  getInputAsBool,
  getInputAsChoice,
  getInputAsInt,
  getInputAsList,
  InputError,
} from "../common/inputs.ts";
import { openBackupSource, readBackupInput } from "../common/backup-source.ts";
import { actionsLogger } from "../common/logger.ts";
import { runPost } from "../common/post.ts";
import { runAction, writeSummary, type ActionContext } from "../common/run.ts";
import {
  INPUT_OF_FIELD,
  readAdminKubeconfig,
  refuseSecretsInPlainInputs,
} from "../common/shared-inputs.ts";
import { readIdentities, readRevisionBump } from "../common/restore-inputs.ts";
import { actionsAudit, actionsOwner, stepsTableMarkdown } from "../common/restore-run.ts";
import {
  checkAddressInput,
  readHostKeyPins,
  readJumpHost,
  readKeyInput,
  readKnownHostsLines,
  readSshUser,
} from "../common/ssh-inputs.ts";
import { Inputs, Outputs, PostState } from "./constants.ts";

/** Core's names for the settings this action adds, mapped to its inputs. */
const ADMIN_RESTORE_INPUT_OF_FIELD: Readonly<Record<string, string>> = {
  ...INPUT_OF_FIELD,
  "etcd-backup": Inputs.EtcdBackup,
  "pki-backup": Inputs.PkiBackup,
  identity: Inputs.DecryptionIdentity,
  confirm: Inputs.Confirm,
  "revision-bump": Inputs.RevisionBump,
};

const RESTORE_PKI_CHOICES: readonly RestorePki[] = ["auto", "always", "never"];

const JUMP_INPUTS = { jumpHost: Inputs.JumpHost, jumpPrivateKey: Inputs.JumpPrivateKey };

export function run(): Promise<void> {
  return runAction(restore, {
    describeFailure: (error) => failureMessage(error, ADMIN_RESTORE_INPUT_OF_FIELD),
  });
}

async function restore({ logger, signal }: ActionContext): Promise<void> {
  refuseSecretsInPlainInputs(Inputs, [
    Inputs.AdminKubeconfig,
    Inputs.SshPrivateKey,
    Inputs.JumpPrivateKey,
    Inputs.DecryptionIdentity,
  ]);
  // Required: when the admin cluster is broken, the secret in it that holds the key is too.
  const privateKey = readKeyInput(Inputs.SshPrivateKey);
  if (!privateKey) {
    throw new InputError(
      `Input ${Inputs.SshPrivateKey} is required: the node's SSH private key (OpenSSH or PEM), from a secret; the copy in the admin cluster may be unreadable while it is broken.`,
    );
  }
  const jumpPrivateKey = readKeyInput(Inputs.JumpPrivateKey);
  const dryRun = getInputAsBool(Inputs.DryRun, false);
  const host = await readAddress(logger);
  const user = readSshUser(Inputs.SshUser);
  const jumpHost = readJumpHost(JUMP_INPUTS, jumpPrivateKey);
  const hostKeys = readHostKeyPins({
    knownHosts: Inputs.SshKnownHosts,
    fingerprints: Inputs.SshHostKeyFingerprints,
  });
  const acceptUnknownHostKey = getInputAsBool(Inputs.InsecureAcceptUnknownHostKey, false);
  // How both the restore and the undo reach the node.
  const node = {
    host,
    user,
    privateKey,
    ...(jumpHost ? { jumpHost } : {}),
    hostKeys,
    acceptUnknownHostKey,
  };
  const restorePki = getInputAsChoice(Inputs.RestorePki, RESTORE_PKI_CHOICES, "auto");
  const acceptForeignPki = getInputAsBool(Inputs.AcceptForeignPki, false);
  const confirm = getInput(Inputs.Confirm);
  const revisionBump = readRevisionBump(Inputs.RevisionBump);
  const waitTimeoutMs =
    (getInputAsInt(Inputs.WaitTimeoutMinutes, { min: 1, max: 240 }) ?? 5) * 60_000;
  const workDir = process.env.RUNNER_TEMP || tmpdir();
  const undo = getInputAsBool(Inputs.Undo, false);
  // An undo reads no backup: it puts back what the last restore kept aside on the node.
  const result = undo
    ? await runAdminUndo({
        ...node,
        ...(confirm ? { confirm } : {}),
        dryRun,
        workDir,
        logger,
        onSecret: (secret) => core.setSecret(secret),
        signal,
        waitTimeoutMs,
      })
    : await restoreFromBackups();
  async function restoreFromBackups(): Promise<AdminRestoreResult> {
    const identities = await readIdentities(
      { content: Inputs.DecryptionIdentity, path: Inputs.DecryptionIdentityPath },
      { optional: false, purpose: "restore an encrypted backup" },
    );
    const context = runContextFromEnvironment(process.env);
    const etcd = await findAdminBackup(Inputs.EtcdBackup, "admin-etcd", logger, context);
    const pki =
      restorePki === "never"
        ? undefined
        : await findAdminBackup(Inputs.PkiBackup, "admin-pki", logger, context);
    // Recorded in the node's journal by the procedure, and here for the post step.
    const owner = actionsOwner();
    if (!dryRun) core.saveState(PostState.Owner, owner);

    return runAdminRestore({
      ...node,
      store: etcd.store,
      etcdBackup: etcd.backup,
      ...(pki ? { pkiBackup: pki.backup, pkiStore: pki.store } : {}),
      restorePki,
      acceptForeignPki,
      identities,
      ...(confirm ? { confirm } : {}),
      revisionBump,
      dryRun,
      workDir,
      logger,
      onSecret: (secret) => core.setSecret(secret),
      signal,
      owner,
      waitTimeoutMs,
      audit: actionsAudit(context, "admin-restore"),
    });
  }
  if (result.kubeconfigPath) {
    core.saveState(PostState.KubeconfigPath, result.kubeconfigPath);
    core.setOutput(Outputs.AdminKubeconfigPath, result.kubeconfigPath);
  }
  if (result.hostKeyFingerprint) {
    core.setOutput(Outputs.HostKeyFingerprint, result.hostKeyFingerprint);
  }
  if (result.outcome !== "failed") core.saveState(PostState.Finished, "true");
  const { steps: _steps, error: _error, ...facts } = result;
  core.setOutput(Outputs.Restore, JSON.stringify(facts));
  await writeSummary(summaryMarkdown(result), logger);
  if (result.outcome === "failed") {
    throw new Error(
      `The ${undo ? "undo of the last restore" : "restore"} of the admin cluster failed: ${result.error}${pinHint(result.unpinnedHostKey)}`,
    );
  }
}

/** The post step: the fetched kubeconfig goes; then what a killed main step left on the runner. */
export async function runAdminRestorePost(): Promise<void> {
  const logger = actionsLogger();
  const kubeconfigPath = core.getState(PostState.KubeconfigPath);
  if (kubeconfigPath) {
    await rm(kubeconfigPath, { force: true }).then(
      () => logger.info(`Removed the fetched admin kubeconfig ${kubeconfigPath}.`),
      (error: unknown) =>
        core.setFailed(
          `The post step could not remove the fetched admin kubeconfig ${kubeconfigPath}: ${errorMessage(error)}; remove it by hand.`,
        ),
    );
  }
  await putBackUnfinished(logger);
  await runPost();
}

/**
 * A main step that changed the node and did not finish: its restore is put back when it
 * stopped before its point of no return (finishInterruptedAdminRestore), else explained.
 */
async function putBackUnfinished(logger: Logger): Promise<void> {
  const owner = core.getState(PostState.Owner);
  if (!owner || core.getState(PostState.Finished) === "true") return;
  try {
    const privateKey = readKeyInput(Inputs.SshPrivateKey);
    const host = getInput(Inputs.ControlPlaneAddress);
    if (!privateKey || !host) {
      logger.warning(
        `The restore did not finish, and without ${Inputs.ControlPlaneAddress} and ${Inputs.SshPrivateKey} the post step cannot reach the node: rerun the restore (it continues from the node's journal).`,
      );
      return;
    }
    const jumpHost = readJumpHost(JUMP_INPUTS, readKeyInput(Inputs.JumpPrivateKey));
    const knownHosts = readKnownHostsLines(Inputs.SshKnownHosts);
    const outcome = await finishInterruptedAdminRestore({
      host,
      user: getInput(Inputs.SshUser) || DEFAULT_SSH_USER,
      privateKey,
      ...(jumpHost ? { jumpHost } : {}),
      hostKeys: { knownHosts, fingerprints: getInputAsList(Inputs.SshHostKeyFingerprints) },
      acceptUnknownHostKey: getInputAsBool(Inputs.InsecureAcceptUnknownHostKey, false),
      logger,
      owner,
    });
    if (outcome === "nothing to do") logger.info("No unfinished admin restore on the node.");
    if (outcome === "past the point of no return") {
      core.setFailed(
        "The admin restore stopped after its point of no return: rerun it to finish (it continues from the node's journal).",
      );
    }
  } catch (error) {
    core.setFailed(
      `The post step could not put back the unfinished admin restore: ${errorMessage(error)}; rerun the restore, or move the manifests back from /etc/kubernetes/manifests-stopped-<stamp>/ by hand.`,
    );
  }
}

/** The node's address: given, or found through the admin cluster while its API still answers. */
async function readAddress(logger: Logger): Promise<string> {
  const host = getInput(Inputs.ControlPlaneAddress);
  if (host) {
    checkAddressInput(Inputs.ControlPlaneAddress, host);
    return host;
  }
  const config = await readAdminKubeconfig({ required: false });
  if (!config) {
    throw new InputError(
      `Input ${Inputs.ControlPlaneAddress} is required (the admin control-plane node's address): the admin cluster's API may not answer, so it cannot be asked; give admin-kubeconfig only if it still does.`,
    );
  }
  const node = await findControlPlaneNode(config).catch((error: unknown) => {
    throw new InputError(
      `Input ${Inputs.ControlPlaneAddress} is empty and the admin cluster could not be asked for its control-plane node (${errorMessage(error)}); give the node's address.`,
    );
  });
  logger.info(`The control-plane node is ${node.name} at ${node.address} (${node.addressType}).`);
  return node.address;
}

/**
 * A backup input: a URI names its own destination; `latest` (the default) reads destination.
 * For artifacts, either way, the backups of the repository's earlier runs (with github-token,
 * of one run with run-id), since the restore runs in another workflow run than the backups.
 */
export async function findAdminBackup(
  input: string,
  kind: "admin-etcd" | "admin-pki",
  logger: Logger,
  context: RunContext,
): Promise<{ store: SnapshotStore; backup: StoredBackup }> {
  const named = readBackupInput(input);
  if (named === "latest") {
    const store = await openBackupSource(undefined, logger, context);
    const backup = await findNewestVerifiedBackup(store, { cluster: "admin", kind });
    logger.info(`The newest ${kind} backup that verifies: ${backup.location.uri}.`);
    return { store, backup };
  }
  if (named.cluster !== "admin" || named.kind !== kind) {
    throw new InputError(
      `Input ${input} is the ${named.kind} backup ${named.timestamp} of ${named.cluster}; expected an ${kind} backup of the admin cluster (made by ${kind === "admin-etcd" ? "etcd-backup with clusters: admin" : "admin-pki-backup"}).`,
    );
  }
  const store = await openBackupSource(named, logger, context);
  return { store, backup: await findBackup(store, named) };
}

/** How to pin a host key nothing pinned, in this action's inputs. */
function pinHint(pin: AdminRestoreResult["unpinnedHostKey"]): string {
  if (!pin) return "";
  return ` To pin it, set ${Inputs.SshHostKeyFingerprints}: ${pin.fingerprint} (or put "${pin.knownHostsLine}" in ${Inputs.SshKnownHosts}); only if you accept the risk, set ${Inputs.InsecureAcceptUnknownHostKey}: true.`;
}

function summaryMarkdown(result: AdminRestoreResult): string {
  const lines = [
    `### Admin cluster restore${result.node ? ` on ${result.node}` : ""}: ${result.outcome}`,
    "",
    `etcd backup: \`${result.etcdBackup}\`${result.pkiBackup ? `; PKI backup: \`${result.pkiBackup}\`` : ""}`,
    "",
    ...stepsTableMarkdown(result.steps),
  ];
  if (result.outcome === "undone") {
    lines.push(
      "",
      `Proof: etcd healthy, revision ${result.revision}, ${result.keys} keys, on the data of \`${result.preRestoreFolder}\`; the restored data is kept in a pre-undo folder beside it${result.outageMs !== undefined ? `; control plane down ${(result.outageMs / 1000).toFixed(1)} s` : ""}.`,
    );
  }
  if (result.outcome === "restored") {
    lines.push(
      "",
      `Proof: etcd healthy, revision ${result.revision}, ${result.keys} keys; the data it replaced is kept in \`${result.preRestoreFolder}\` on the node${result.outageMs !== undefined ? `; control plane down ${(result.outageMs / 1000).toFixed(1)} s` : ""}.`,
    );
  }
  for (const warning of result.warnings ?? []) lines.push("", `**Warning:** ${warning}`);
  if (result.error) lines.push("", `**Failure:** ${result.error.replace(/\n/g, " ")}`);
  return lines.join("\n");
}
