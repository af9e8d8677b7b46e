/**
 * etcd-backup: typed inputs -> the backup procedure -> outputs and the job summary.
 * Every input is checked before anything in a cluster is touched.
 */
import * as core from "@actions/core";
import { runInfoFromEnvironment } from "../../core/audit/run.ts";
import { backupSummaryMarkdown } from "../../core/audit/summary.ts";
import { runEtcdBackup } from "../../procedures/etcd-backup.ts";
import { failureMessage, getInputAsBool, getInputAsList, InputError } from "../common/inputs.ts";
import { actionsLogger } from "../common/logger.ts";
import {
  INPUT_OF_FIELD,
  readAdminKubeconfig,
  readCompression,
  readDestination,
  readDryRun,
  readRecipients,
  readRetention,
  refuseSecretsInPlainInputs,
} from "../common/shared-inputs.ts";
import { Inputs, Outputs } from "./constants.ts";

export async function run(): Promise<void> {
  try {
    await backup();
  } catch (error) {
    core.setFailed(failureMessage(error, INPUT_OF_FIELD));
  }
}

async function backup(): Promise<void> {
  const logger = actionsLogger();
  refuseSecretsInPlainInputs(Inputs, [Inputs.AdminKubeconfig]);
  const config = (await readAdminKubeconfig({ required: true }))!;
  const clusters = getInputAsList(Inputs.Clusters);
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
  const store = await destination.open(logger);

  const results = await runEtcdBackup({
    config,
    clusters: clusters.length ? clusters : ["all"],
    store,
    recipients,
    allowUnencrypted,
    compression,
    retention,
    dryRun,
    logger,
    workDir: process.env.RUNNER_TEMP || undefined,
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
    runInfoFromEnvironment()?.url,
  );
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdown).write();
  else logger.info(markdown);

  const failed = results.filter((result) => result.outcome === "failed");
  if (failed.length) {
    throw new Error(
      `The backup failed for ${failed.length} of ${results.length} cluster(s): ${failed
        .map((result) => `${result.cluster}: ${result.error}`)
        .join("; ")}`,
    );
  }
}
