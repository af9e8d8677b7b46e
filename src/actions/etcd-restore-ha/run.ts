/**
 * etcd-restore-ha: typed inputs -> the user-cluster restore (or its undo) -> the output, the
 * job summary, and one error when it failed. Every input is checked, the backup found and
 * the identity proven able to open it, before anything in a cluster changes.
 */
import { tmpdir } from "node:os";
import * as core from "@actions/core";
import { errorMessage } from "../../core/errors.ts";
import { isValidClusterName } from "../../core/etcd/profiles.ts";
import type { Logger } from "../../core/log/logger.ts";
import { runContextFromEnvironment, type RunContext } from "../../core/run-context.ts";
import {
  findBackup,
  findNewestVerifiedBackup,
  type StoredBackup,
} from "../../core/storage/pipeline.ts";
import type { SnapshotStore } from "../../core/storage/types.ts";
import { checkGkeOnPremVersion } from "../../procedures/utility-image.ts";
import {
  finishInterruptedRestore,
  runEtcdRestore,
  runEtcdUndo,
  type EtcdRestoreResult,
} from "../../procedures/etcd-restore.ts";
import {
  failureMessage,
  getInput,
  getInputAsBool,
  getInputAsInt,
  getRequiredInput,
  InputError,
} from "../common/inputs.ts";
import { openBackupSource, readBackupInput } from "../common/backup-source.ts";
import { actionsLogger } from "../common/logger.ts";
import { runPost } from "../common/post.ts";
import { readIdentities, readImage, readRevisionBump } from "../common/restore-inputs.ts";
import { actionsAudit, actionsOwner, stepsTableMarkdown } from "../common/restore-run.ts";
import { runAction, writeSummary, type ActionContext } from "../common/run.ts";
import {
  INPUT_OF_FIELD,
  readAdminKubeconfig,
  refuseSecretsInPlainInputs,
} from "../common/shared-inputs.ts";
import type { ControlPlaneV2RestoreResult } from "../../procedures/controlplane-v2-restore.ts";
import { Inputs, Outputs } from "./constants.ts";
import {
  CPV2_INPUT_OF_FIELD,
  putBackControlPlaneV2,
  readUserCluster,
  requireUserCluster,
  restoreControlPlaneV2,
  undoControlPlaneV2,
} from "./controlplane-v2.ts";

/** Core's names for the settings this action adds, mapped to its inputs. */
const RESTORE_INPUT_OF_FIELD: Readonly<Record<string, string>> = {
  ...INPUT_OF_FIELD,
  backup: Inputs.Backup,
  identity: Inputs.DecryptionIdentity,
  confirm: Inputs.Confirm,
  "revision-bump": Inputs.RevisionBump,
  "utility-image": Inputs.UtilityImage,
  "gke-on-prem-version": Inputs.GkeOnPremVersion,
  ...CPV2_INPUT_OF_FIELD,
};

export function run(): Promise<void> {
  return runAction(restore, {
    describeFailure: (error) => failureMessage(error, RESTORE_INPUT_OF_FIELD),
  });
}

/** What the main step hands its post step: who it was, so post touches only its own work. */
const OWNER_STATE = "restore-owner";
/** Set when the main step restored a Controlplane V2 cluster: post leaves that to a rerun or undo. */
const TOPOLOGY_STATE = "restore-topology";

async function restore({ logger, signal }: ActionContext): Promise<void> {
  refuseSecretsInPlainInputs(Inputs, [
    Inputs.AdminKubeconfig,
    Inputs.DecryptionIdentity,
    Inputs.GithubToken,
    Inputs.SshPrivateKey,
    Inputs.JumpPrivateKey,
  ]);
  const config = (await readAdminKubeconfig({ required: true }))!;
  const cluster = readCluster();
  const userCluster = await readUserCluster(cluster);
  const undo = getInputAsBool(Inputs.Undo, false);
  const dryRun = getInputAsBool(Inputs.DryRun, false);
  const confirm = getInput(Inputs.Confirm);
  const utilityImage = readImage(Inputs.UtilityImage);
  const gkeOnPremVersion = getInput(Inputs.GkeOnPremVersion);
  if (gkeOnPremVersion) checkGkeOnPremVersion(gkeOnPremVersion, utilityImage);
  const waitTimeoutMs = getInputAsInt(Inputs.WaitTimeoutMinutes, { min: 1, max: 240 })! * 60_000;
  // Recorded in the journal by the procedure, and here for the post step, before any change.
  const owner = actionsOwner();
  if (!dryRun) core.saveState(OWNER_STATE, owner);
  const common = {
    config,
    cluster,
    dryRun,
    logger,
    signal,
    waitTimeoutMs,
    owner,
    ...(confirm ? { confirm } : {}),
    ...(utilityImage ? { utilityImage } : {}),
    ...(gkeOnPremVersion ? { gkeOnPremVersion } : {}),
  };
  // A Controlplane V2 cluster is restored over SSH on its own nodes (controlplane-v2.ts).
  const controlPlaneV2 = (found: NonNullable<typeof userCluster>) => {
    if (!dryRun) core.saveState(TOPOLOGY_STATE, "controlplane-v2");
    return {
      adminConfig: config,
      userCluster: found,
      cluster,
      dryRun,
      logger,
      signal,
      owner,
      waitTimeoutMs,
      ...(confirm ? { confirm } : {}),
    };
  };
  let result: EtcdRestoreResult | ControlPlaneV2RestoreResult;
  if (undo) {
    result = userCluster
      ? await undoControlPlaneV2(controlPlaneV2(userCluster))
      : await runEtcdUndo(common);
  } else {
    const revisionBump = readRevisionBump(Inputs.RevisionBump);
    const identities = await readIdentities(
      { content: Inputs.DecryptionIdentity, path: Inputs.DecryptionIdentityPath },
      { optional: dryRun, purpose: "restore an encrypted backup" },
    );
    const context = runContextFromEnvironment(process.env);
    const { store, backup } = await findRestoreBackup(cluster, logger, context);
    const audit = actionsAudit(context, "etcd-restore-ha");
    // The topology is detected: the backup records it, and the cluster's kubeconfig names it.
    if (backup.manifest.source.topology === "controlplane-v2" || userCluster) {
      const found = requireUserCluster(cluster, backup, userCluster);
      const workDir = process.env.RUNNER_TEMP || tmpdir();
      result = await restoreControlPlaneV2(controlPlaneV2(found), {
        store,
        backup,
        identities,
        revisionBump,
        workDir,
        audit,
      });
    } else {
      result = await runEtcdRestore({ ...common, store, backup, identities, revisionBump, audit });
    }
  }
  const { steps: _steps, error: _error, ...facts } = result;
  core.setOutput(Outputs.Restore, JSON.stringify(facts));
  await writeSummary(restoreSummaryMarkdown(result, undo), logger);
  if (result.outcome === "failed") {
    throw new Error(`The ${undo ? "undo" : "restore"} of ${cluster} failed: ${result.error}`);
  }
}

/** The post step: a run that did not finish is put back (before its swap) or explained. */
export async function runRestorePost(): Promise<void> {
  await runPost();
  const logger = actionsLogger();
  try {
    const owner = core.getState(OWNER_STATE);
    if (!owner) return; // the main step changed nothing: it stopped before starting a restore
    const config = await readAdminKubeconfig({ required: false });
    const cluster = getInput(Inputs.Cluster);
    if (!config || !isValidClusterName(cluster) || cluster === "admin") return;
    if (core.getState(TOPOLOGY_STATE) === "controlplane-v2") {
      // Its journal in the admin cluster is not a kubeception restore's: put back over SSH.
      const userCluster = await readUserCluster(cluster);
      if (!userCluster) return;
      const outcome = await putBackControlPlaneV2({
        adminConfig: config,
        userCluster,
        cluster,
        logger,
        owner,
        waitTimeoutMs: 5 * 60_000,
      });
      if (outcome === "nothing to do") logger.info(`No unfinished restore of ${cluster}.`);
      return;
    }
    const outcome = await finishInterruptedRestore({ config, cluster, logger, owner });
    if (outcome === "nothing to do") logger.info(`No unfinished restore of ${cluster}.`);
  } catch (error) {
    core.setFailed(
      `The post step could not finish the interrupted restore: ${errorMessage(error)}`,
    );
  }
}

function readCluster(): string {
  const cluster = getRequiredInput(Inputs.Cluster, "the user cluster's name, e.g. uc1");
  if (cluster === "admin" || !isValidClusterName(cluster)) {
    throw new InputError(
      `Input ${Inputs.Cluster} is "${cluster}": expected a user cluster's name (its namespace in the admin cluster), such as uc1; the admin cluster is restored by admin-restore.`,
    );
  }
  return cluster;
}

/**
 * The backup input: a URI names its own destination; `latest` reads destination. For
 * artifacts, either way, the backups of the repository's earlier runs (backup-source.ts).
 */
export async function findRestoreBackup(
  cluster: string,
  logger: Logger,
  context: RunContext,
): Promise<{ store: SnapshotStore; backup: StoredBackup }> {
  const named = readBackupInput(Inputs.Backup);
  if (named === "latest") {
    const store = await openBackupSource(undefined, logger, context);
    const backup = await findNewestVerifiedBackup(store, { cluster, kind: "user-etcd" });
    logger.info(`The newest backup of ${cluster} that verifies: ${backup.location.uri}.`);
    return { store, backup };
  }
  if (named.cluster !== cluster || named.kind !== "user-etcd") {
    throw new InputError(
      `Input ${Inputs.Backup} is a ${named.kind} backup of ${named.cluster}, not a user-etcd backup of ${cluster}.`,
    );
  }
  const store = await openBackupSource(named, logger, context);
  return { store, backup: await findBackup(store, named) };
}

function restoreSummaryMarkdown(
  result: EtcdRestoreResult | ControlPlaneV2RestoreResult,
  undo: boolean,
): string {
  const title = `${undo ? "Undo of the restore" : "etcd restore"} of ${result.cluster}: ${result.outcome}`;
  const lines = [
    `### ${title}`,
    "",
    ...(result.backup ? [`Backup: \`${result.backup}\``, ""] : []),
    ...stepsTableMarkdown(result.steps),
  ];
  if (result.outcome === "restored") {
    lines.push(
      "",
      `Proof: ${result.members.length} member(s) healthy as one cluster, revision ${result.revision}, ${result.keys} keys${result.outageMs !== undefined ? `; outage ${(result.outageMs / 1000).toFixed(1)} s (first scale-down to the API server Ready)` : ""}.`,
    );
  }
  if (result.record) lines.push("", `Restore record: \`${result.record}\``);
  if (result.error) lines.push("", `**Failure:** ${result.error.replace(/\n/g, " ")}`);
  return lines.join("\n");
}
