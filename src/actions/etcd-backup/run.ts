/**
 * etcd-backup: typed inputs -> the backup procedure -> outputs and the job summary.
 * Every input is checked before anything in a cluster is touched.
 */
import * as core from "@actions/core";
import { runInfoFromEnvironment } from "../../core/audit/run.ts";
import { backupSummaryMarkdown } from "../../core/audit/summary.ts";
import { parseRecipients } from "../../core/crypto/age.ts";
import { kubeconfigSecrets, loadKubeconfig } from "../../core/kube/kubeconfig.ts";
import { COMPRESSIONS } from "../../core/storage/compression.ts";
import { openStore, parseDestination } from "../../core/storage/destination.ts";
import { runEtcdBackup } from "../../procedures/etcd-backup.ts";
import {
  getInput,
  getInputAsBool,
  getInputAsChoice,
  getInputAsInt,
  getInputAsList,
  InputError,
} from "../common/inputs.ts";
import { actionsLogger } from "../common/logger.ts";
import { Inputs, Outputs } from "./constants.ts";

export async function run(): Promise<void> {
  try {
    await backup();
  } catch (error) {
    core.setFailed((error as Error).message);
  }
}

async function backup(): Promise<void> {
  const logger = actionsLogger();
  const kubeconfigContent = getInput(Inputs.AdminKubeconfig);
  const kubeconfigPath = getInput(Inputs.AdminKubeconfigPath);
  if (kubeconfigContent && kubeconfigPath) {
    throw new InputError(
      `Give either ${Inputs.AdminKubeconfig} or ${Inputs.AdminKubeconfigPath}, not both.`,
    );
  }
  if (!kubeconfigContent && !kubeconfigPath) {
    throw new InputError(
      `Input ${Inputs.AdminKubeconfig} (the admin cluster's kubeconfig, from a secret) or ${Inputs.AdminKubeconfigPath} is required.`,
    );
  }
  const config = await loadKubeconfig(
    kubeconfigContent ? { content: kubeconfigContent } : { path: kubeconfigPath },
  );
  // Mask the credentials (token, password, client key in each encoding), not the whole file:
  // the runner masks every line of a multi-line secret, and lines such as "kind: Config"
  // would then vanish from the whole log. Errors never quote the kubeconfig's text.
  for (const secret of kubeconfigSecrets(config)) core.setSecret(secret);

  const clusters = getInputAsList(Inputs.Clusters);
  const destinationText =
    getInput(Inputs.Destination) || (process.env.GITHUB_ACTIONS === "true" ? "artifact" : "");
  if (!destinationText) {
    throw new InputError(
      `Input ${Inputs.Destination} is required outside GitHub Actions: expected file:///folder, s3://bucket/prefix or artifact.`,
    );
  }
  let destination;
  try {
    destination = parseDestination(destinationText);
  } catch (error) {
    throw new InputError(`Input ${Inputs.Destination}: ${(error as Error).message}`);
  }
  const recipients = getInputAsList(Inputs.EncryptionRecipients);
  try {
    parseRecipients(recipients);
  } catch (error) {
    throw new InputError(`Input ${Inputs.EncryptionRecipients}: ${(error as Error).message}`);
  }
  const allowUnencrypted = getInputAsBool(Inputs.AllowUnencrypted, false);
  if (recipients.length === 0 && !allowUnencrypted) {
    throw new InputError(
      `Input ${Inputs.EncryptionRecipients} is empty: a snapshot holds every Secret of the cluster, so backups are encrypted; give one or more age recipients (age1..., from age-keygen), or set ${Inputs.AllowUnencrypted}: true to store them in clear text.`,
    );
  }
  const compression = getInputAsChoice(Inputs.Compression, COMPRESSIONS, "zstd");
  const keepLast = getInputAsInt(Inputs.RetentionCount, { min: 1, max: 10_000 });
  const maxAgeDays = getInputAsInt(Inputs.RetentionDays, { min: 1, max: 36_500 });
  const dryRun = getInputAsBool(Inputs.DryRun, false);
  const s3Endpoint = getInput(Inputs.S3Endpoint);
  const artifactRetentionDays = getInputAsInt(Inputs.ArtifactRetentionDays, { min: 1, max: 90 });
  const store = await openStore(destination, {
    logger,
    artifact: artifactRetentionDays !== undefined ? { retentionDays: artifactRetentionDays } : {},
    s3: {
      ...(s3Endpoint ? { endpoint: s3Endpoint } : {}),
      ...(getInput(Inputs.S3Region) ? { region: getInput(Inputs.S3Region) } : {}),
      forcePathStyle: getInputAsBool(Inputs.S3ForcePathStyle, Boolean(s3Endpoint)),
    },
  });

  const results = await runEtcdBackup({
    config,
    clusters: clusters.length ? clusters : ["all"],
    store,
    recipients,
    allowUnencrypted,
    compression,
    retention: {
      ...(keepLast !== undefined ? { keepLast } : {}),
      ...(maxAgeDays !== undefined ? { maxAgeMs: maxAgeDays * 86_400_000 } : {}),
    },
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
