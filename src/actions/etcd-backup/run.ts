/**
 * etcd-backup: typed inputs -> the backup procedure -> outputs and the job summary.
 * Every input is checked before anything in a cluster is touched.
 */
import * as core from "@actions/core";
import { runContextFromEnvironment } from "../../core/run-context.ts";
import { backupSummaryMarkdown } from "../../core/audit/summary.ts";
import { backupHistoryMarkdown } from "../../procedures/backup-history.ts";
import { runEtcdBackup } from "../../procedures/etcd-backup.ts";
import { failureMessage, getInputAsBool, getInputAsList, InputError } from "../common/inputs.ts";
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
import { Inputs, Outputs } from "./constants.ts";

export function run(): Promise<void> {
  return runAction(backup, { describeFailure: (error) => failureMessage(error, INPUT_OF_FIELD) });
}

async function backup({ logger, signal, cleanups }: ActionContext): Promise<void> {
  refuseSecretsInPlainInputs(Inputs, [Inputs.AdminKubeconfig, Inputs.GithubToken]);
  const config = (await readAdminKubeconfig({ required: true }))!;
  const clusters = getInputAsList(Inputs.Clusters);
  const userClusters = await readUserKubeconfigs();
  const destination = readDestination();
  const recipients = readRecipients();
  const allowUnencrypted = getInputAsBool(Inputs.AllowUnencrypted, false);
  if (recipients.length === 0 && !allowUnencrypted) {
    throw new InputError(
      `Input ${Inputs.EncryptionRecipients} is empty: a snapshot holds every Secret of the cluster, so backups are encrypted; give one or more age recipients (age1..., from age-keygen), or set ${Inputs.AllowUnencrypted}: true to store them in clear text.`,
    );
  }
  const compression = readCompression();
  const retention = readRetention();
  const dryRun = readDryRun();
  // The runner's facts, read once here and handed to everything that needs them.
  const context = runContextFromEnvironment(process.env);
  const store = await destination.open(logger, context);

  const results = await runEtcdBackup({
    config,
    clusters: clusters.length ? clusters : ["all"],
    userClusters,
    store,
    recipients,
    allowUnencrypted,
    compression,
    retention,
    dryRun,
    logger,
    ...(context.run ? { run: context.run } : {}),
    workDir: context.tempDir,
    signal,
    cleanups,
  });

  core.setOutput(
    Outputs.Backups,
    JSON.stringify(
      results
        .filter((result) => result.outcome === "stored")
        .map(({ cluster, kind, uri, revision, keys, size, sha256 }) => ({
          cluster,
          kind,
          uri,
          revision,
          keys,
          size,
          sha256,
        })),
    ),
  );
  const markdown = backupSummaryMarkdown(
    dryRun ? "etcd backup plan (dry run)" : "etcd backup",
    results.map((result) => ({
      ...result,
      result: result.outcome,
      destination: store.description,
    })),
    context.run?.url,
  );
  // Each cluster's trend at the destination, from the manifests (this run's backup included).
  const history = await backupHistoryMarkdown({
    store: await openHistorySource(store, logger, context),
    config,
    logger,
    targets: results.map(({ cluster, kind, member }) => ({
      cluster,
      kind,
      ...(member ? { member } : {}),
    })),
  });
  await writeSummary(`${markdown}\n${history}`, logger);

  const failed = results.filter((result) => result.outcome === "failed");
  if (failed.length) {
    throw new Error(
      `The backup failed for ${failed.length} of ${results.length} cluster(s): ${failed
        .map((result) => `${result.cluster}: ${result.error}`)
        .join("; ")}`,
    );
  }
}
