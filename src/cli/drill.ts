/**
 * `etcd-backup-actions drill`: the etcd-restore-drill action from a terminal. Same procedure;
 * logs to stderr, the drills (table or JSON) to stdout. Exit codes: 0 every drill passed,
 * 1 one failed, 2 a bad flag; Ctrl-C deletes the drill pod (runUntilSignalled).
 */
import type { Command } from "commander";
import { formatAge, parseAge } from "../core/audit/drill-summary.ts";
import { isImageReference, isNamespaceName } from "../core/kube/names.ts";
import { consoleLogger } from "../core/log/logger.ts";
import { runContextFromEnvironment } from "../core/run-context.ts";
import { parseBackupUri, parseDestination, type Destination } from "../core/storage/destination.ts";
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
  repeatable,
  s3EndpointFlag,
} from "./backup.ts";
import { runUntilSignalled } from "./cancel.ts";
import { readIdentityFile } from "./identity-file.ts";
import type { BackupUri } from "./restore-flags.ts";

interface DrillFlags {
  kubeconfig?: string;
  cluster?: string[];
  backup: string;
  destination?: string;
  identityFile?: string;
  namespace?: string;
  utilityImage?: string;
  failIfOlderThan?: string;
  s3Endpoint?: string;
  output: "table" | "json";
}

export function registerDrillCommands(program: Command): void {
  program
    .command("drill")
    .description(
      "Restore drill: restore each cluster's newest backup into a throwaway etcd in memory on one of its etcd nodes and prove it against the manifest; the live cluster is not touched.",
    )
    .option("--kubeconfig <path>", "the admin cluster's kubeconfig (default: $KUBECONFIG)")
    .option("--cluster <name>", "all (default), admin, or a user cluster; repeatable", repeatable)
    .option("--backup <uri|latest>", "a backup URI as the backup printed it, or latest", "latest")
    .option("--destination <uri>", "where latest looks: file:///folder or s3://bucket/prefix")
    .option("--identity-file <path>", "the age identity file (AGE-SECRET-KEY-1...)")
    .option("--namespace <name>", "of the drill pods (default: each cluster's own)")
    .option("--utility-image <image>", "the drill pod's image (default: the cluster's etcd image)")
    .option("--fail-if-older-than <age>", "fail a newest backup older than this, e.g. 26h")
    .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
    .option("-o, --output <format>", "table for people, json for scripts", "table")
    .exitOverride(exitOnUsageError)
    .action(async (flags: DrillFlags) => {
      process.exitCode = await drillCommand(flags, process.env);
    });
}

async function drillCommand(flags: DrillFlags, env: NodeJS.ProcessEnv): Promise<number> {
  const logger = consoleLogger();
  let request: Awaited<ReturnType<typeof parseDrillFlags>>;
  try {
    request = await parseDrillFlags(flags, env);
  } catch (error) {
    process.stderr.write(`error: ${cliMessage(error)}\n`);
    return EXIT_BAD_FLAG;
  }
  const { runRestoreDrill } = await import("../procedures/etcd-restore-drill.ts");
  const { findBackup } = await import("../core/storage/pipeline.ts");
  try {
    const config = await loadKubeconfigFlag(request.kubeconfigPath);
    const results = await runUntilSignalled(logger, async ({ signal, cleanups }) => {
      const context = runContextFromEnvironment(env);
      const store = await openStoreFor(
        {
          destination: request.backupUri?.destination ?? request.destination,
          s3Endpoint: request.s3Endpoint,
        },
        logger,
        context,
      );
      return runRestoreDrill({
        config,
        clusters: request.backupUri ? [request.backupUri.cluster] : request.clusters,
        store,
        ...(request.backupUri ? { backup: await findBackup(store, request.backupUri) } : {}),
        identities: request.identities,
        ...(request.namespace ? { namespace: request.namespace } : {}),
        ...(request.utilityImage ? { utilityImage: request.utilityImage } : {}),
        ...(request.maxAgeMs !== undefined ? { failIfOlderThanMs: request.maxAgeMs } : {}),
        logger,
        signal,
        cleanups,
        workDir: context.tempDir,
      });
    });
    process.stdout.write(
      request.output === "json"
        ? `${JSON.stringify(
            results.map(({ steps: _steps, ...facts }) => facts),
            null,
            2,
          )}\n`
        : `${results
            .map(
              (result) =>
                `${result.result.padEnd(7)} ${result.cluster.padEnd(12)} ${result.backup || "-"}${result.ageSeconds !== undefined ? ` (${formatAge(result.ageSeconds)} old)` : ""}${result.result === "passed" ? `: revision ${result.revision}, ${result.keys} keys` : `: ${result.error}`}`,
            )
            .join("\n")}\n`,
    );
    const failed = results.filter((result) => result.result === "failed");
    if (failed.length) {
      logger.error(
        `The restore drill failed for ${failed.map((result) => result.cluster).join(", ")}.`,
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
async function parseDrillFlags(flags: DrillFlags, env: NodeJS.ProcessEnv) {
  refuseSecretsInFlags(flags);
  const kubeconfigPath = kubeconfigPathFrom(flags.kubeconfig, env.KUBECONFIG);
  if (!["table", "json"].includes(flags.output)) {
    throw new FlagError("--output: expected table or json.");
  }
  const clusters = flags.cluster?.length ? flags.cluster : ["all"];
  let backupUri: BackupUri | undefined;
  let destination: Destination | undefined;
  if (flags.backup !== "latest") {
    backupUri = checkedFlag("--backup", () => parseBackupUri(flags.backup));
    if (flags.cluster?.length && (clusters.length > 1 || clusters[0] !== backupUri.cluster)) {
      throw new FlagError(
        `--backup is a backup of ${backupUri.cluster}, but --cluster is ${clusters.join(", ")}: give that one cluster, or none.`,
      );
    }
  } else {
    if (!flags.destination) {
      throw new FlagError(
        "--destination is required with --backup latest: expected file:///folder or s3://bucket/prefix.",
      );
    }
    destination = checkedFlag("--destination", () => parseDestination(flags.destination!));
    if (destination.type === "artifact") {
      throw new FlagError(
        "--destination artifact works only in the etcd-restore-drill action; from a terminal, use file:///absolute/folder or s3://bucket/prefix.",
      );
    }
  }
  const maxAgeMs = flags.failIfOlderThan ? parseAge(flags.failIfOlderThan) : undefined;
  if (flags.failIfOlderThan && maxAgeMs === undefined) {
    throw new FlagError(
      `--fail-if-older-than is "${flags.failIfOlderThan}": expected a whole number and a unit, s, m, h or d, such as 26h.`,
    );
  }
  if (flags.namespace !== undefined && !isNamespaceName(flags.namespace)) {
    throw new FlagError(
      "--namespace is not a namespace name: expected lower-case letters, digits and '-', e.g. etcd-drills (or leave it out for each cluster's own namespace).",
    );
  }
  if (flags.utilityImage !== undefined && !isImageReference(flags.utilityImage)) {
    throw new FlagError(
      "--utility-image is not an image reference: expected e.g. gcr.io/gke-on-prem-release/etcd:v3.4.13-0-gke.0 (or leave it out for the cluster's own etcd image).",
    );
  }
  const identities = flags.identityFile ? await readIdentityFile(flags.identityFile) : [];
  return {
    kubeconfigPath,
    clusters,
    backupUri,
    destination: destination!,
    identities,
    namespace: flags.namespace,
    utilityImage: flags.utilityImage,
    maxAgeMs,
    ...s3EndpointFlag(flags.s3Endpoint),
    output: flags.output,
  };
}
