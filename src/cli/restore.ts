/**
 * `etcd-backup-actions restore-ha`: the etcd-restore-ha action from a terminal, for when
 * GitHub Actions is down. Same procedure, same journal and lock (a run from here and one
 * from Actions exclude each other). Logs to stderr, the result (table or JSON) to stdout.
 * Exit codes: 0 restored (or planned), 1 the restore failed, 2 a bad flag.
 */
import type { Command } from "commander";
import type { X25519Identity } from "../core/crypto/age.ts";
import { isValidClusterName } from "../core/etcd/profiles.ts";
import { consoleLogger } from "../core/log/logger.ts";
import { runContextFromEnvironment } from "../core/run-context.ts";
import type { Destination } from "../core/storage/destination.ts";
import { checkGkeOnPremVersion } from "../procedures/utility-image.ts";
import {
  checkedFlag,
  cliMessage,
  EXIT_BAD_FLAG,
  EXIT_FAILED,
  exitOnUsageError,
  FlagError,
  kubeconfigPathFrom,
  loadKubeconfigFlag,
  openStoreFor,
  refuseSecretsInFlags,
  s3EndpointFlag,
  terminalDestinationFlag,
} from "./backup.ts";
import { runUntilSignalled } from "./cancel.ts";
import { readIdentityFile } from "./identity-file.ts";
import {
  backupUriFlag,
  cliAudit,
  revisionBumpFlag,
  stepLines,
  terminalOwner,
  type BackupUri,
} from "./restore-flags.ts";

interface RestoreFlags {
  kubeconfig?: string;
  cluster?: string;
  backup: string;
  destination?: string;
  identityFile?: string;
  confirm?: string;
  utilityImage?: string;
  gkeOnPremVersion?: string;
  revisionBump: string;
  s3Endpoint?: string;
  undo?: boolean;
  dryRun?: boolean;
  output: "table" | "json";
}

export function registerRestoreCommands(program: Command): void {
  program
    .command("restore-ha")
    .description(
      "Restore a user cluster's etcd (kube-etcd, HA or single member) from a backup, or undo the last restore: verified and restored while the cluster runs, members stopped before the swap, old data kept.",
    )
    .option("--kubeconfig <path>", "the admin cluster's kubeconfig (default: $KUBECONFIG)")
    .option("--cluster <name>", "the user cluster (its namespace in the admin cluster)")
    .option("--backup <uri|latest>", "a backup URI as the backup printed it, or latest", "latest")
    .option("--destination <uri>", "where latest looks: file:///folder or s3://bucket/prefix")
    .option("--identity-file <path>", "the age identity file (AGE-SECRET-KEY-1...)")
    .option("--confirm <name>", "the cluster's name again: nothing changes without it")
    .option(
      "--utility-image <image>",
      "the utility pods' image (default: the cluster's etcd image)",
    )
    .option(
      "--gke-on-prem-version <version>",
      "the cluster's Anthos version: the runbook's etcd-util image when its etcd image has no shell",
    )
    .option("--revision-bump <auto|none|N>", "bump the restored revision when the tool can", "auto")
    .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
    .option("--undo", "put the newest pre-restore data back instead of restoring")
    .option("--dry-run", "print the plan and run only its reading steps; change nothing")
    .option("-o, --output <format>", "table for people, json for scripts", "table")
    .exitOverride(exitOnUsageError)
    .action(async (flags: RestoreFlags) => {
      process.exitCode = await restoreCommand(flags, process.env);
    });
}

async function restoreCommand(flags: RestoreFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const logger = consoleLogger();
  let request: Awaited<ReturnType<typeof parseRestoreFlags>>;
  try {
    request = await parseRestoreFlags(flags, env);
  } catch (error) {
    process.stderr.write(`error: ${cliMessage(error)}\n`);
    return EXIT_BAD_FLAG;
  }
  const { runEtcdRestore, runEtcdUndo } = await import("../procedures/etcd-restore.ts");
  const { findBackup, findNewestVerifiedBackup } = await import("../core/storage/pipeline.ts");
  try {
    const config = await loadKubeconfigFlag(request.kubeconfigPath);
    const common = {
      config,
      owner: terminalOwner(),
      cluster: request.cluster,
      dryRun: request.dryRun,
      logger,
      ...(request.confirm ? { confirm: request.confirm } : {}),
      ...(request.utilityImage ? { utilityImage: request.utilityImage } : {}),
      ...(request.gkeOnPremVersion ? { gkeOnPremVersion: request.gkeOnPremVersion } : {}),
    };
    const result = await runUntilSignalled(logger, async ({ signal }) => {
      if (request.undo) return runEtcdUndo({ ...common, signal });
      const context = runContextFromEnvironment(env);
      const destination = request.backupUri?.destination ?? request.destination!;
      const store = await openStoreFor(
        { destination, s3Endpoint: request.s3Endpoint },
        logger,
        context,
      );
      const backup = request.backupUri
        ? await findBackup(store, request.backupUri)
        : await findNewestVerifiedBackup(store, { cluster: request.cluster, kind: "user-etcd" });
      return runEtcdRestore({
        ...common,
        signal,
        store,
        backup,
        identities: request.identities,
        revisionBump: request.revisionBump,
        audit: cliAudit(context),
      });
    });
    const { steps, ...facts } = result;
    process.stdout.write(
      request.output === "json"
        ? `${JSON.stringify(result, null, 2)}\n`
        : stepLines(
            steps,
            `${facts.outcome}: ${facts.cluster}${facts.error ? ` (${facts.error})` : ""}`,
          ),
    );
    if (result.outcome === "failed") {
      logger.error(
        `The ${request.undo ? "undo" : "restore"} of ${request.cluster} failed: ${cliMessage(result.error)}`,
      );
      return EXIT_FAILED;
    }
    return 0;
  } catch (error) {
    const message = cliMessage(error);
    logger.error(message);
    return error instanceof FlagError || /^--/.test(message) ? EXIT_BAD_FLAG : EXIT_FAILED;
  }
}

/** Every flag checked before anything is read from a cluster or a destination. */
async function parseRestoreFlags(flags: RestoreFlags, env: NodeJS.ProcessEnv) {
  refuseSecretsInFlags(flags);
  const kubeconfigPath = kubeconfigPathFrom(flags.kubeconfig, env.KUBECONFIG);
  const cluster = flags.cluster?.trim() ?? "";
  if (!cluster || cluster === "admin" || !isValidClusterName(cluster)) {
    throw new FlagError(
      "--cluster is required: expected a user cluster's name (its namespace in the admin cluster), such as uc1.",
    );
  }
  if (!["table", "json"].includes(flags.output)) {
    throw new FlagError("--output: expected table or json.");
  }
  const undo = Boolean(flags.undo);
  const dryRun = Boolean(flags.dryRun);
  let backupUri: BackupUri | undefined;
  let destination: Destination | undefined;
  if (!undo && flags.backup !== "latest") {
    backupUri = backupUriFlag("--backup", flags.backup, {
      cluster,
      kind: "user-etcd",
      wanted: `a user-etcd backup of ${cluster}`,
    });
  } else if (!undo) {
    if (!flags.destination) {
      throw new FlagError(
        "--destination is required with --backup latest: expected file:///folder or s3://bucket/prefix.",
      );
    }
    destination = terminalDestinationFlag(flags.destination, env);
  }
  const revisionBump = revisionBumpFlag(flags.revisionBump);
  let identities: X25519Identity[] = [];
  if (!undo && flags.identityFile) {
    identities = await readIdentityFile(flags.identityFile);
  } else if (!undo && !dryRun) {
    throw new FlagError(
      "--identity-file is required to restore an encrypted backup: the age identity (AGE-SECRET-KEY-1...) of one of its recipients.",
    );
  }
  return {
    kubeconfigPath,
    cluster,
    undo,
    dryRun,
    backupUri,
    destination,
    identities,
    revisionBump,
    output: flags.output,
    ...(flags.confirm ? { confirm: flags.confirm } : {}),
    ...(flags.utilityImage ? { utilityImage: flags.utilityImage } : {}),
    ...(flags.gkeOnPremVersion
      ? {
          gkeOnPremVersion: checkedFlag("--gke-on-prem-version", () =>
            checkGkeOnPremVersion(flags.gkeOnPremVersion!, flags.utilityImage),
          ),
        }
      : {}),
    ...s3EndpointFlag(flags.s3Endpoint),
  };
}
