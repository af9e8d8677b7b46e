/**
 * admin-pki-backup: typed inputs -> the PKI backup procedure -> outputs and the job
 * summary. Every input is checked before anything connects; every key is masked at once
 * and kept in memory only.
 */
import * as core from "@actions/core";
import { pkiSummaryMarkdown } from "../../core/audit/summary.ts";
import { backupHistoryMarkdown } from "../../procedures/backup-history.ts";
import { runContextFromEnvironment } from "../../core/run-context.ts";
import { validateNodePaths } from "../../core/ssh/index.ts";
import {
  DEFAULT_PKI_PATHS,
  runAdminPkiBackup,
  type PkiBackupResult,
} from "../../procedures/admin-pki-backup.ts";
import {
  checkedInput,
  failureMessage,
  getInput,
  getInputAsBool,
  getInputAsList,
  InputError,
} from "../common/inputs.ts";
import { openHistorySource } from "../common/backup-source.ts";
import { runAction, writeSummary, type ActionContext } from "../common/run.ts";
import {
  INPUT_OF_FIELD,
  readAdminKubeconfig,
  readCompression,
  readDestination,
  readDryRun,
  readRecipients,
  readRetention,
  refuseSecretsInPlainInputs,
  readUserKubeconfigs,
} from "../common/shared-inputs.ts";
import {
  checkAddressInput,
  readHostKeyPins,
  readJumpHost,
  readKeyInput,
  readSshUser,
} from "../common/ssh-inputs.ts";
import {
  prepareNodePkiBackup,
  runNodePkiBackups,
  type NodePkiBackupResult,
} from "../../procedures/node-pki-backup.ts";
import { USER_SSH_PRIVATE_KEY_FIELD } from "../../core/ssh/control-plane-nodes.ts";
import { Inputs, Outputs } from "./constants.ts";

/** Core's setting names as this action's inputs (the user clusters' key is this action's own). */
const INPUT_OF_SETTING: Readonly<Record<string, string>> = {
  ...INPUT_OF_FIELD,
  [USER_SSH_PRIVATE_KEY_FIELD]: Inputs.UserSshPrivateKey,
};

export function run(): Promise<void> {
  return runAction(backup, { describeFailure: (error) => failureMessage(error, INPUT_OF_SETTING) });
}

const checked = checkedInput;

async function backup({ logger, signal }: ActionContext): Promise<void> {
  refuseSecretsInPlainInputs(Inputs, [
    Inputs.AdminKubeconfig,
    Inputs.GithubToken,
    Inputs.SshPrivateKey,
    Inputs.JumpPrivateKey,
    Inputs.UserSshPrivateKey,
  ]);
  const privateKey = readKeyInput(Inputs.SshPrivateKey);
  const userPrivateKey = readKeyInput(Inputs.UserSshPrivateKey);
  const userClusters = await readUserKubeconfigs();
  if (userPrivateKey && userClusters.length === 0) {
    throw new InputError(
      `Input ${Inputs.UserSshPrivateKey} is given but ${Inputs.UserKubeconfigs} is empty: the key is for the control-plane nodes of the Controlplane V2 clusters named there; give their kubeconfigs, or leave ${Inputs.UserSshPrivateKey} empty (the admin master's key is ${Inputs.SshPrivateKey}).`,
    );
  }
  const jumpPrivateKey = readKeyInput(Inputs.JumpPrivateKey);
  const host = getInput(Inputs.ControlPlaneAddress);
  if (host) checkAddressInput(Inputs.ControlPlaneAddress, host);
  // The admin cluster finds the admin master and its key, and holds each user cluster's key.
  const config = await readAdminKubeconfig({
    required: !(privateKey && host) || (userClusters.length > 0 && !userPrivateKey),
  });
  const user = readSshUser(Inputs.SshUser);
  const jumpHost = readJumpHost(
    { jumpHost: Inputs.JumpHost, jumpPrivateKey: Inputs.JumpPrivateKey },
    jumpPrivateKey,
  );
  const { knownHosts, fingerprints } = readHostKeyPins({
    knownHosts: Inputs.SshKnownHosts,
    fingerprints: Inputs.SshHostKeyFingerprints,
  });
  const acceptUnknownHostKey = getInputAsBool(Inputs.InsecureAcceptUnknownHostKey, false);
  const pathsInput = getInputAsList(Inputs.Paths);
  const paths = checked(Inputs.Paths, () =>
    validateNodePaths(pathsInput.length ? pathsInput : DEFAULT_PKI_PATHS),
  );
  const destination = readDestination();
  const recipients = readRecipients();
  if (recipients.length === 0) {
    throw new InputError(
      `Input ${Inputs.EncryptionRecipients} is empty: the PKI archive holds the admin cluster's private keys, so it is always encrypted (there is no unencrypted option); give one or more age recipients (age1..., from age-keygen).`,
    );
  }
  const compression = readCompression();
  const retention = readRetention();
  const dryRun = readDryRun();
  // The runner's facts, read once here and handed to everything that needs them.
  const context = runContextFromEnvironment(process.env);
  // Each user cluster's nodes and key first: a missing secret fails before anything is stored.
  const preparation = await prepareNodePkiBackup({
    userClusters,
    ...(config ? { adminConfig: config } : {}),
    ...(userPrivateKey ? { privateKey: userPrivateKey } : {}),
    logger,
    onSecret: (secret) => core.setSecret(secret),
  });
  const store = await destination.open(logger, context);

  // What the admin master and the Controlplane V2 nodes are backed up with alike.
  const shared = {
    user,
    ...(jumpHost ? { jumpHost } : {}),
    hostKeys: { knownHosts, fingerprints },
    acceptUnknownHostKey,
    paths,
    store,
    recipients,
    compression,
    retention,
    dryRun,
    logger,
    ...(context.run ? { run: context.run } : {}),
    signal,
  };
  const result = await runAdminPkiBackup({
    ...shared,
    ...(config ? { config } : {}),
    ...(privateKey ? { privateKey } : {}),
    ...(host ? { host } : {}),
    onSecret: (secret) => core.setSecret(secret),
  });

  if (result.hostKeyFingerprint) {
    core.setOutput(Outputs.HostKeyFingerprint, result.hostKeyFingerprint);
  }
  if (result.outcome === "stored") {
    core.setOutput(
      Outputs.Backup,
      JSON.stringify({
        cluster: result.cluster,
        kind: result.kind,
        uri: result.uri,
        files: result.fileCount,
        size: result.size,
        sha256: result.sha256,
        hostKeyFingerprint: result.hostKeyFingerprint,
      }),
    );
  }
  const markdown = pkiSummaryMarkdown(
    dryRun ? "Admin PKI backup plan (dry run)" : "Admin PKI backup",
    { ...result, result: result.outcome, destination: store.description },
    context.run?.url,
  );
  // The archive's size over the last backups: a PKI that suddenly shrank or grew is worth a look.
  const history = await backupHistoryMarkdown({
    store: await openHistorySource(store, logger, context),
    logger,
    targets: [{ cluster: result.cluster, kind: result.kind }],
  });
  const nodeResults = await runNodePkiBackups({ ...shared, userClusters }, preparation);
  if (nodeResults.length > 0)
    core.setOutput(Outputs.NodeBackups, JSON.stringify(nodeOutputs(nodeResults)));
  const nodeMarkdown = nodeResults.map((nodeResult) =>
    pkiSummaryMarkdown(
      `Control-plane node PKI backup: ${nodeResult.cluster}${dryRun ? " (dry run)" : ""}`,
      { ...nodeResult, result: nodeResult.outcome, destination: store.description },
    ),
  );
  await writeSummary([markdown, history, ...nodeMarkdown].join("\n"), logger);

  const failures = [
    ...(result.outcome === "failed"
      ? [`the admin control plane: ${result.error}${pinHint(result.unpinnedHostKey)}`]
      : []),
    ...nodeResults
      .filter((nodeResult) => nodeResult.outcome === "failed")
      .map((nodeResult) => `${nodeResult.error}${pinHint(nodeResult.unpinnedHostKey)}`),
  ];
  if (failures.length > 0) {
    throw new Error(`The PKI backup failed for ${failures.join("; and for ")}`);
  }
}

/** One entry per node for the node-backups output: where each archive went and what it holds. */
function nodeOutputs(results: NodePkiBackupResult[]): object[] {
  return results.map((nodeResult) => ({
    cluster: nodeResult.cluster,
    kind: nodeResult.kind,
    node: nodeResult.node,
    outcome: nodeResult.outcome,
    uri: nodeResult.uri,
    files: nodeResult.fileCount,
    paths: nodeResult.paths,
    size: nodeResult.size,
    sha256: nodeResult.sha256,
    hostKeyFingerprint: nodeResult.hostKeyFingerprint,
  }));
}

/** How to pin a host key nothing pinned, in this action's inputs. */
function pinHint(pin: PkiBackupResult["unpinnedHostKey"]): string {
  if (!pin) return "";
  return ` To pin it, set ${Inputs.SshHostKeyFingerprints}: ${pin.fingerprint} (or put "${pin.knownHostsLine}" in ${Inputs.SshKnownHosts}); only if you accept the risk, set ${Inputs.InsecureAcceptUnknownHostKey}: true.`;
}
