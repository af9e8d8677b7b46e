/**
 * etcd-restore-drill: typed inputs -> the restore drill of each cluster -> the `drills`
 * output, the job summary (failures first), and one error when any drill failed, so a
 * scheduled drill that fails shows red in the run history. Every input is checked before
 * anything is made in a cluster.
 */
import * as core from "@actions/core";
import { drillSummaryMarkdown, parseAge } from "../../core/audit/drill-summary.ts";
import { isNamespaceName } from "../../core/kube/names.ts";
import type { Logger } from "../../core/log/logger.ts";
import { runContextFromEnvironment, type RunContext } from "../../core/run-context.ts";
import { findBackup, type StoredBackup } from "../../core/storage/pipeline.ts";
import type { SnapshotStore } from "../../core/storage/types.ts";
import { runRestoreDrill } from "../../procedures/etcd-restore-drill.ts";
import { openBackupSource, readBackupInput } from "../common/backup-source.ts";
import {
  failureMessage,
  getInput,
  getInputAsInt,
  getInputAsList,
  InputError,
} from "../common/inputs.ts";
import { readIdentities, readImage } from "../common/restore-inputs.ts";
import { runAction, writeSummary, type ActionContext } from "../common/run.ts";
import {
  INPUT_OF_FIELD,
  readAdminKubeconfig,
  refuseSecretsInPlainInputs,
} from "../common/shared-inputs.ts";
import { Inputs, Outputs } from "./constants.ts";

/** Core's names for the settings this action adds, mapped to its inputs. */
const DRILL_INPUT_OF_FIELD: Readonly<Record<string, string>> = {
  ...INPUT_OF_FIELD,
  backup: Inputs.Backup,
  identity: Inputs.DecryptionIdentity,
};

export function run(): Promise<void> {
  return runAction(drill, {
    describeFailure: (error) => failureMessage(error, DRILL_INPUT_OF_FIELD),
  });
}

async function drill({ logger, signal, cleanups }: ActionContext): Promise<void> {
  refuseSecretsInPlainInputs(Inputs, [
    Inputs.AdminKubeconfig,
    Inputs.DecryptionIdentity,
    Inputs.GithubToken,
  ]);
  const config = (await readAdminKubeconfig({ required: true }))!;
  const clusters = readClusters();
  const namespace = readNamespace();
  const utilityImage = readImage(Inputs.UtilityImage);
  const failIfOlderThanMs = readMaxAge();
  const waitTimeoutMs =
    (getInputAsInt(Inputs.WaitTimeoutMinutes, { min: 1, max: 240 }) ?? 5) * 60_000;
  const identities = await readIdentities(
    { content: Inputs.DecryptionIdentity, path: Inputs.DecryptionIdentityPath },
    { optional: true, purpose: "drill encrypted backups" },
  );
  const context = runContextFromEnvironment(process.env);
  const source = await openSource(clusters, logger, context);
  const results = await runRestoreDrill({
    config,
    clusters: source.clusters,
    store: source.store,
    ...(source.backup ? { backup: source.backup } : {}),
    identities,
    ...(namespace ? { namespace } : {}),
    ...(utilityImage ? { utilityImage } : {}),
    ...(failIfOlderThanMs !== undefined ? { failIfOlderThanMs } : {}),
    logger,
    signal,
    cleanups,
    workDir: context.tempDir,
    waitTimeoutMs,
  });
  core.setOutput(
    Outputs.Drills,
    JSON.stringify(results.map(({ steps: _steps, node: _node, image: _image, ...facts }) => facts)),
  );
  await writeSummary(drillSummaryMarkdown(results, context.run?.url), logger);
  const failed = results.filter((result) => result.result === "failed");
  if (failed.length) {
    throw new Error(
      `The restore drill failed for ${failed.length} of ${results.length} cluster(s): ${failed
        .map((result) => `${result.cluster}: ${result.error}`)
        .join("; ")}`,
    );
  }
}

/**
 * The clusters input; with a backup URI, its default `all` (the runner fills it in from
 * action.yml) means "the backup's cluster", as an empty input does.
 */
function readClusters(): string[] {
  const clusters = getInputAsList(Inputs.Clusters);
  const backup = getInput(Inputs.Backup);
  const givenUri = backup !== "" && backup !== "latest";
  return givenUri && clusters.length === 1 && clusters[0] === "all" ? [] : clusters;
}

function readNamespace(): string | undefined {
  const namespace = getInput(Inputs.Namespace);
  if (namespace && !isNamespaceName(namespace)) {
    throw new InputError(
      `Input ${Inputs.Namespace} is not a namespace name: expected lower-case letters, digits and '-', e.g. etcd-drills (or leave it empty for each cluster's own namespace).`,
    );
  }
  return namespace || undefined;
}

function readMaxAge(): number | undefined {
  const text = getInput(Inputs.FailIfOlderThan);
  if (!text) return undefined;
  const ms = parseAge(text);
  if (ms === undefined) {
    throw new InputError(
      `Input ${Inputs.FailIfOlderThan} is "${text}": expected a whole number and a unit, s, m, h or d, such as 26h (a little more than the backup schedule's interval).`,
    );
  }
  return ms;
}

/**
 * Where the backups come from: a URI names its own destination and one cluster's backup;
 * `latest` reads destination, where `artifact` means the artifacts of the repository's runs
 * (of one run with run-id), since a drill runs in another workflow run than the backups.
 */
async function openSource(
  clusters: string[],
  logger: Logger,
  context: RunContext,
): Promise<{ clusters: string[]; store: SnapshotStore; backup?: StoredBackup }> {
  const named = readBackupInput(Inputs.Backup);
  if (named !== "latest") {
    if (clusters.length && (clusters.length > 1 || clusters[0] !== named.cluster)) {
      throw new InputError(
        `Input ${Inputs.Backup} is a backup of ${named.cluster}, but ${Inputs.Clusters} is ${clusters.join(", ")}: give that one cluster (or leave ${Inputs.Clusters} empty), or backup: latest.`,
      );
    }
    const store = await openBackupSource(named, logger, context);
    return { clusters: [named.cluster], store, backup: await findBackup(store, named) };
  }
  const store = await openBackupSource(undefined, logger, context);
  return { clusters: clusters.length ? clusters : ["all"], store };
}
