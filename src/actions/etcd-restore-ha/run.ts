/**
 * etcd-restore-ha: typed inputs -> the user-cluster restore (or its undo) -> the output, the
 * job summary, and one error when it failed. Every input is checked, the backup found and
 * the identity proven able to open it, before anything in a cluster changes.
 */
import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as core from "@actions/core";
import { parseIdentities, type X25519Identity } from "../../core/crypto/age.ts";
import { errorMessage } from "../../core/errors.ts";
import { isValidClusterName } from "../../core/etcd/profiles.ts";
import type { Logger } from "../../core/log/logger.ts";
import { runContextFromEnvironment, type RunContext } from "../../core/run-context.ts";
import { openStore, parseBackupUri } from "../../core/storage/destination.ts";
import {
  findBackup,
  findNewestVerifiedBackup,
  type StoredBackup,
} from "../../core/storage/pipeline.ts";
import type { SnapshotStore } from "../../core/storage/types.ts";
import {
  finishInterruptedRestore,
  runEtcdRestore,
  runEtcdUndo,
  type EtcdRestoreResult,
  type RevisionBump,
} from "../../procedures/etcd-restore.ts";
import {
  failureMessage,
  getInput,
  getInputAsBool,
  getInputAsInt,
  getRequiredInput,
  InputError,
} from "../common/inputs.ts";
import { actionsLogger } from "../common/logger.ts";
import { runPost } from "../common/post.ts";
import { runAction, writeSummary, type ActionContext } from "../common/run.ts";
import {
  INPUT_OF_FIELD,
  readAdminKubeconfig,
  readDestination,
  refuseSecretsInPlainInputs,
  SharedInputs,
} from "../common/shared-inputs.ts";
import { Inputs, Outputs } from "./constants.ts";

/** Core's names for the settings this action adds, mapped to its inputs. */
const RESTORE_INPUT_OF_FIELD: Readonly<Record<string, string>> = {
  ...INPUT_OF_FIELD,
  backup: Inputs.Backup,
  identity: Inputs.DecryptionIdentity,
  confirm: Inputs.Confirm,
  "revision-bump": Inputs.RevisionBump,
};

export function run(): Promise<void> {
  return runAction(restore, {
    describeFailure: (error) => failureMessage(error, RESTORE_INPUT_OF_FIELD),
  });
}

/** What the main step hands its post step: who it was, so post touches only its own work. */
const OWNER_STATE = "restore-owner";

async function restore({ logger, signal }: ActionContext): Promise<void> {
  refuseSecretsInPlainInputs(Inputs, [Inputs.AdminKubeconfig, Inputs.DecryptionIdentity]);
  const config = (await readAdminKubeconfig({ required: true }))!;
  const cluster = readCluster();
  const undo = getInputAsBool(Inputs.Undo, false);
  const dryRun = getInputAsBool(Inputs.DryRun, false);
  const confirm = getInput(Inputs.Confirm);
  const utilityImage = readUtilityImage();
  const waitTimeoutMs = getInputAsInt(Inputs.WaitTimeoutMinutes, { min: 1, max: 240 })! * 60_000;
  // Recorded in the journal by the procedure, and here for the post step, before any change.
  const owner = `actions run ${process.env.GITHUB_RUN_ID ?? "?"} attempt ${process.env.GITHUB_RUN_ATTEMPT ?? "?"} job ${process.env.GITHUB_JOB ?? "?"} (${randomUUID()})`;
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
  };
  let result: EtcdRestoreResult;
  if (undo) {
    result = await runEtcdUndo(common);
  } else {
    const revisionBump = readRevisionBump();
    const identities = await readIdentities(dryRun);
    const context = runContextFromEnvironment(process.env);
    const { store, backup } = await findRestoreBackup(cluster, logger, context);
    result = await runEtcdRestore({ ...common, store, backup, identities, revisionBump });
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

function readUtilityImage(): string | undefined {
  const image = getInput(Inputs.UtilityImage);
  if (image && !/^[a-z0-9][a-z0-9._\-/]*(:[\w][\w.-]*)?(@sha256:[0-9a-f]{64})?$/i.test(image)) {
    throw new InputError(
      `Input ${Inputs.UtilityImage} is not an image reference: expected e.g. gcr.io/gke-on-prem-release/etcd-util:1.32.0-gke.1.`,
    );
  }
  return image || undefined;
}

export function readRevisionBump(): RevisionBump {
  const text = getInput(Inputs.RevisionBump) || "auto";
  if (text === "auto" || text === "none") return text;
  if (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 1e15) return Number(text);
  throw new InputError(
    `Input ${Inputs.RevisionBump} is "${text}": expected auto, none, or a whole number of revisions such as 1000000000.`,
  );
}

/** The age identities, from the secret (masked, never on disk) or a file; never echoed. */
export async function readIdentities(dryRun: boolean): Promise<X25519Identity[]> {
  const content = getInput(Inputs.DecryptionIdentity);
  const path = getInput(Inputs.DecryptionIdentityPath);
  if (content && path) {
    throw new InputError(
      `Give either ${Inputs.DecryptionIdentity} or ${Inputs.DecryptionIdentityPath}, not both.`,
    );
  }
  let text = content;
  if (content) {
    for (const line of content.split(/\r?\n/)) if (line.trim()) core.setSecret(line.trim());
  } else if (path) {
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      throw new InputError(
        `Input ${Inputs.DecryptionIdentityPath}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}); expected an age identity file.`,
      );
    }
    for (const line of text.split(/\r?\n/)) if (line.trim()) core.setSecret(line.trim());
  } else if (dryRun) {
    return [];
  } else {
    throw new InputError(
      `Input ${Inputs.DecryptionIdentity} (the age identity, from a secret) or ${Inputs.DecryptionIdentityPath} is required to restore an encrypted backup.`,
    );
  }
  try {
    const identities = parseIdentities(text);
    if (identities.length === 0) throw new Error("no identity found");
    return identities;
  } catch {
    throw new InputError(
      `Input ${path ? Inputs.DecryptionIdentityPath : Inputs.DecryptionIdentity} holds no age identity: expected AGE-SECRET-KEY-1... (from age-keygen), one per line.`,
    );
  }
}

/** The backup input: a URI names its own destination; `latest` needs destination. */
async function findRestoreBackup(
  cluster: string,
  logger: Logger,
  context: RunContext,
): Promise<{ store: SnapshotStore; backup: StoredBackup }> {
  const text = getInput(Inputs.Backup) || "latest";
  if (text === "latest") {
    const store = await readDestination().open(logger, context);
    const backup = await findNewestVerifiedBackup(store, { cluster, kind: "user-etcd" });
    logger.info(`The newest backup of ${cluster} that verifies: ${backup.location.uri}.`);
    return { store, backup };
  }
  let place: ReturnType<typeof parseBackupUri>;
  try {
    place = parseBackupUri(text);
  } catch (error) {
    throw new InputError(`Input ${Inputs.Backup}: ${errorMessage(error)}`);
  }
  if (place.cluster !== cluster || place.kind !== "user-etcd") {
    throw new InputError(
      `Input ${Inputs.Backup} is a ${place.kind} backup of ${place.cluster}, not a user-etcd backup of ${cluster}.`,
    );
  }
  const s3Endpoint = getInput(SharedInputs.S3Endpoint);
  const s3Region = getInput(SharedInputs.S3Region);
  const store = await openStore(place.destination, {
    logger,
    context,
    s3: {
      ...(s3Endpoint ? { endpoint: s3Endpoint } : {}),
      ...(s3Region ? { region: s3Region } : {}),
      forcePathStyle: getInputAsBool(SharedInputs.S3ForcePathStyle, Boolean(s3Endpoint)),
    },
  });
  return { store, backup: await findBackup(store, place) };
}

function restoreSummaryMarkdown(result: EtcdRestoreResult, undo: boolean): string {
  const title = `${undo ? "Undo of the restore" : "etcd restore"} of ${result.cluster}: ${result.outcome}`;
  const lines = [
    `### ${title}`,
    "",
    ...(result.backup ? [`Backup: \`${result.backup}\``, ""] : []),
    "| step | outcome | time | detail |",
    "| --- | --- | ---: | --- |",
    ...result.steps.map(
      (step) =>
        `| ${step.step} | ${step.outcome === "done" ? "✅ done" : step.outcome === "failed" ? "❌ failed" : "○ skipped"} | ${(step.durationMs / 1000).toFixed(1)} s | ${(step.detail ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ")} |`,
    ),
  ];
  if (result.outcome === "restored") {
    lines.push(
      "",
      `Proof: ${result.members.length} member(s) healthy as one cluster, revision ${result.revision}, ${result.keys} keys${result.outageMs !== undefined ? `; outage ${(result.outageMs / 1000).toFixed(1)} s (first scale-down to the API server Ready)` : ""}.`,
    );
  }
  if (result.error) lines.push("", `**Failure:** ${result.error.replace(/\n/g, " ")}`);
  return lines.join("\n");
}
