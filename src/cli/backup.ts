/**
 * `etcd-backup-actions backup`: the etcd-backup action from a terminal, for when GitHub
 * Actions is down or an operator wants a backup now. Same procedure, same checks; logs and
 * the progress bar go to stderr, the summary table (or JSON) to stdout. Exit codes: 0 all
 * stored (or planned), 1 a cluster failed or the run could not start, 2 a bad flag.
 */
import { Option, type Command, type CommanderError } from "commander";
import type { KubeConfig } from "@kubernetes/client-node";
import { parseRecipients } from "../core/crypto/age.ts";
import { ConfigurationError, errorMessage } from "../core/errors.ts";
import { quoteValue, redactSecrets, secretLookalike } from "../core/redact.ts";
import { isValidClusterName } from "../core/etcd/profiles.ts";
import type { UserClusterAccess } from "../core/kube/user-kubeconfigs.ts";
import { formatBytes } from "../core/format.ts";
import { consoleLogger, type Logger } from "../core/log/logger.ts";
import { COMPRESSIONS, type Compression } from "../core/storage/compression.ts";
import { runContextFromEnvironment, type RunContext } from "../core/run-context.ts";
import {
  openStore,
  parseDestination,
  parseS3Endpoint,
  type Destination,
} from "../core/storage/destination.ts";
import { parseRetentionPolicy, type RetentionPolicy } from "../core/storage/retention.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
// The procedures and the Kubernetes client load only when a command runs, so `--help` and a
// bad flag answer at once.
import type { ClusterBackupResult, TransferProgress } from "../procedures/etcd-backup.ts";
import { runUntilSignalled } from "./cancel.ts";

type OutputFormat = "table" | "json";

/** The flags addStorageOptions declares, and --dry-run, as commander hands them over. */
export interface StorageFlags {
  destination?: string;
  recipient?: string[];
  compression: Compression;
  keepLast?: string;
  maxAge?: string;
  s3Endpoint?: string;
  dryRun?: boolean;
  output: OutputFormat;
}

/** Those flags, checked (whether recipients may be empty is each command's to say). */
export interface StorageRequest {
  destination: Destination;
  recipients: string[];
  compression: Compression;
  retention: RetentionPolicy;
  s3Endpoint?: string;
  dryRun: boolean;
  output: OutputFormat;
}

interface BackupFlags extends StorageFlags {
  kubeconfig?: string;
  clusters?: string;
  /** Controlplane V2 user clusters' kubeconfigs (files or folders), repeatable. */
  userKubeconfig?: string[];
  allowUnencrypted?: boolean;
}

/** Everything the flags say, checked: nothing here has touched a cluster yet. */
export interface BackupRequest extends StorageRequest {
  kubeconfigPath: string;
  clusters: string[];
  allowUnencrypted: boolean;
}

/**
 * Refuses any flag that holds what looks like a secret (an age identity, a private key, a
 * kubeconfig with credentials): none of these flags takes one, and the value is never
 * repeated, only described. --recipient is left to its own parser, which says what to give.
 */
export function refuseSecretsInFlags(flags: object): void {
  for (const [key, value] of Object.entries(flags)) {
    if (key === "recipient") continue;
    const values: unknown[] = Array.isArray(value) ? value : [value];
    const looksLike = values
      .map((entry) => (typeof entry === "string" ? secretLookalike(entry) : undefined))
      .find(Boolean);
    if (looksLike) {
      const flag = `--${key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
      throw new FlagError(
        `${flag} holds a value that looks like ${looksLike}, not shown: this flag takes no secret; check which value went where, and rotate that secret if your shell history is shared.`,
      );
    }
  }
}

/** Checks the storage flags; each problem is one sentence naming the flag. */
export function parseStorageFlags(flags: StorageFlags, env: NodeJS.ProcessEnv): StorageRequest {
  refuseSecretsInFlags(flags);
  return {
    destination: destinationFlag(flags.destination, env),
    recipients: recipientFlags(flags.recipient),
    compression: flags.compression,
    retention: {
      ...checkedFlag("--keep-last", () => parseRetentionPolicy({ keepLast: flags.keepLast })),
      ...checkedFlag("--max-age", () => parseRetentionPolicy({ maxAge: flags.maxAge })),
    },
    ...s3EndpointFlag(flags.s3Endpoint),
    dryRun: Boolean(flags.dryRun),
    output: flags.output,
  };
}

/** --s3-endpoint, checked; none given, nothing to spread. */
export function s3EndpointFlag(text: string | undefined): { s3Endpoint?: string } {
  return text ? { s3Endpoint: checkedFlag("--s3-endpoint", () => parseS3Endpoint(text)) } : {};
}

/** The store the checked flags name (an --s3-endpoint means path-style URLs). */
export function openStoreFor(
  request: Pick<StorageRequest, "destination" | "s3Endpoint">,
  logger: Logger,
  context: RunContext,
): Promise<SnapshotStore> {
  return openStore(request.destination, {
    logger,
    context,
    s3: request.s3Endpoint ? { endpoint: request.s3Endpoint, forcePathStyle: true } : {},
  });
}

/** A flag the operator must fix; exit code 2, as commander uses for its own usage errors. */
export class FlagError extends Error {}

/**
 * Core's names for the settings (ConfigurationError.field) -> the flags the CLI takes them
 * from: the one table a failure is translated with.
 */
export const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  kubeconfig: "--kubeconfig",
  kubeconfigContent: "--kubeconfig",
  destination: "--destination",
  s3Endpoint: "--s3-endpoint",
  recipients: "--recipient",
  compression: "--compression",
  keepLast: "--keep-last",
  maxAge: "--max-age",
  clusters: "--clusters",
  userKubeconfigs: "--user-kubeconfig",
  allowUnencrypted: "--allow-unencrypted",
  paths: "--path",
  jumpHost: "--jump-host",
  sshPrivateKey: "--ssh-key-file",
  sshUser: "--ssh-user",
  controlPlaneAddress: "--address",
  knownHosts: "--known-hosts",
  hostKeyFingerprints: "--host-key-fingerprint",
};

/** A core ConfigurationError as a FlagError naming the flag; anything else as it is. */
export function asFlagError(error: unknown): unknown {
  if (!(error instanceof ConfigurationError)) return error;
  return new FlagError(`${FLAG_OF_FIELD[error.field] ?? error.field}: ${error.problem}`, {
    cause: error,
  });
}

/** Runs `read` (a check of one flag); whatever it throws becomes one FlagError naming `flag`. */
export function checkedFlag<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    const problem = error instanceof ConfigurationError ? error.problem : errorMessage(error);
    throw new FlagError(`${flag}: ${problem}`, { cause: error });
  }
}

/** The one line a failure is reported with; secret-looking text never reaches the terminal. */
export function cliMessage(error: unknown): string {
  return redactSecrets(errorMessage(asFlagError(error)));
}

export const EXIT_FAILED = 1;
export const EXIT_BAD_FLAG = 2;

export const repeatable = (value: string, previous: string[] = []) => [...previous, value];

/**
 * The flags every backup command shares: where backups go, how they are encrypted,
 * compressed and kept, and the output format. `kept` names what retention counts.
 */
export function addStorageOptions(command: Command, kept: string): Command {
  return (
    command
      .option("--destination <uri>", "file:///absolute/folder or s3://bucket/prefix")
      .option(
        "--recipient <age1...>",
        "age recipient (public key) to encrypt to; repeat for several",
        repeatable,
      )
      .addOption(
        new Option("--compression <name>", "payload compression")
          .choices(COMPRESSIONS)
          .default("zstd"),
      )
      .option("--keep-last <n>", `keep at most N ${kept} (after the new one is verified)`)
      .option("--max-age <age>", "delete backups older than this: 30d, 12h, 2w, 90m")
      .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
      .addOption(
        new Option("-o, --output <format>", "table for people, json for scripts")
          .choices(["table", "json"])
          .default("table"),
      )
      // A usage error exits 2, as a bad flag of ours does.
      .exitOverride(exitOnUsageError)
  );
}

/**
 * Commander's own usage errors (unknown flag, bad choice) exit 2 like ours, not 1: 1 means a
 * backup or a restore failed, which a scheduler must tell apart. Every command's exitOverride.
 */
export function exitOnUsageError(error: CommanderError): never {
  process.exit(error.exitCode === 0 ? 0 : EXIT_BAD_FLAG);
}

export function registerBackupCommands(program: Command): void {
  const command = program
    .command("backup")
    .description(
      "Back up the etcd of the admin cluster and user clusters: healthy member, streamed, verified, encrypted, with a manifest.",
    )
    .option("--kubeconfig <path>", "the admin cluster's kubeconfig (default: $KUBECONFIG)")
    .option("--clusters <list>", "all, admin, or user cluster names, comma-separated (uc1,uc2)")
    .option(
      "--user-kubeconfig <path>",
      "a Controlplane V2 user cluster's kubeconfig, or a folder of them (repeatable); named by its cluster",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--allow-unencrypted", "store in clear text (a snapshot holds every Secret)")
    .option("--dry-run", "show which member of which cluster would be backed up; change nothing");
  addStorageOptions(command, "backups per cluster").action(async (flags: BackupFlags) => {
    process.exitCode = await backupCommand(flags, process.env);
  });
}

/** Runs the command and returns its exit code. */
async function backupCommand(flags: BackupFlags, env: NodeJS.ProcessEnv): Promise<number> {
  let request: BackupRequest;
  let config: KubeConfig;
  let userClusters: UserClusterAccess[];
  try {
    request = parseBackupFlags(flags, env);
    config = await loadKubeconfigFlag(request.kubeconfigPath);
    const { loadUserKubeconfigs } = await import("../core/kube/user-kubeconfigs.ts");
    userClusters = await loadUserKubeconfigs(flags.userKubeconfig ?? []).catch((error: unknown) => {
      throw asFlagError(error);
    });
  } catch (error) {
    process.stderr.write(`error: ${cliMessage(error)}\n`);
    return EXIT_BAD_FLAG;
  }
  const progressBar = process.stderr.isTTY ? new ProgressBar(process.stderr) : undefined;
  const logger = progressBar ? progressBar.wrap(consoleLogger()) : consoleLogger();
  try {
    await checkClustersExist(config, request.clusters, userClusters);
  } catch (error) {
    logger.error(cliMessage(error));
    return asFlagError(error) instanceof FlagError ? EXIT_BAD_FLAG : EXIT_FAILED;
  }
  let results: ClusterBackupResult[];
  try {
    const context = runContextFromEnvironment(process.env);
    const store = await openStoreFor(request, logger, context);
    const { runEtcdBackup } = await import("../procedures/etcd-backup.ts");
    results = await runUntilSignalled(
      logger,
      ({ signal, cleanups }) =>
        runEtcdBackup({
          signal,
          cleanups,
          config,
          clusters: request.clusters,
          userClusters,
          store,
          recipients: request.recipients,
          allowUnencrypted: request.allowUnencrypted,
          compression: request.compression,
          retention: request.retention,
          dryRun: request.dryRun,
          logger,
          workDir: context.tempDir,
          ...(context.run ? { run: context.run } : {}),
          ...(progressBar
            ? { onProgress: (progress) => progressBar.show(progress), progressIntervalMs: 250 }
            : {}),
        }),
      () => progressBar?.clear(),
    );
  } catch (error) {
    logger.error(`The backup could not run: ${cliMessage(error)}`);
    return EXIT_FAILED;
  } finally {
    progressBar?.clear();
  }
  process.stdout.write(
    request.output === "json"
      ? `${JSON.stringify(results, null, 2)}\n`
      : backupResultsTable(results, request.destination.uri),
  );
  const failed = results.filter((result) => result.outcome === "failed");
  if (failed.length) {
    logger.error(`The backup failed for ${failed.length} of ${results.length} cluster(s).`);
    return EXIT_FAILED;
  }
  return 0;
}

/** Checks every flag without touching the network; each problem is one sentence naming the flag. */
export function parseBackupFlags(flags: BackupFlags, env: NodeJS.ProcessEnv): BackupRequest {
  refuseSecretsInFlags(flags);
  const kubeconfigPath = kubeconfigPathFrom(flags.kubeconfig, env.KUBECONFIG);
  const clusters = parseClustersFlag(flags.clusters);
  const storage = parseStorageFlags(flags, env);
  const { recipients } = storage;
  const allowUnencrypted = Boolean(flags.allowUnencrypted);
  if (recipients.length && allowUnencrypted) {
    throw new FlagError(
      "Give --recipient or --allow-unencrypted, not both: with a recipient the backup is encrypted.",
    );
  }
  if (!recipients.length && !allowUnencrypted) {
    throw new FlagError(
      "--recipient is required: a snapshot holds every Secret of the cluster, so backups are encrypted; give an age public key (age1..., from age-keygen -y), or --allow-unencrypted to store them in clear text.",
    );
  }
  return { ...storage, kubeconfigPath, clusters, allowUnencrypted };
}

/** --destination, checked: file:// or s3:// from a terminal, artifact only inside Actions. */
function destinationFlag(text: string | undefined, env: NodeJS.ProcessEnv): Destination {
  if (!text?.trim()) {
    throw new FlagError(
      "--destination is required: expected file:///absolute/folder or s3://bucket/prefix.",
    );
  }
  return terminalDestinationFlag(text, env);
}

/** A given --destination, checked: artifact only inside a GitHub Actions job. */
export function terminalDestinationFlag(text: string, env: NodeJS.ProcessEnv): Destination {
  const destination = checkedFlag("--destination", () => parseDestination(text));
  if (destination.type === "artifact" && env.GITHUB_ACTIONS !== "true") {
    throw new FlagError(
      "--destination artifact works only inside a GitHub Actions job; from a terminal, use file:///absolute/folder or s3://bucket/prefix.",
    );
  }
  return destination;
}

/** --recipient, repeated: each must be an age public key. */
function recipientFlags(values: string[] | undefined): string[] {
  const recipients = (values ?? []).map((recipient) => recipient.trim()).filter(Boolean);
  checkedFlag("--recipient", () => parseRecipients(recipients));
  return recipients;
}

export function kubeconfigPathFrom(flag: string | undefined, envValue: string | undefined): string {
  if (flag?.trim()) return flag.trim();
  const fromEnv = envValue?.trim();
  if (!fromEnv) {
    throw new FlagError(
      "--kubeconfig is required (or set KUBECONFIG): expected the path of the admin cluster's kubeconfig.",
    );
  }
  // kubectl merges a list of files; the backup needs the one admin cluster, so say which.
  if (fromEnv.includes(":")) {
    throw new FlagError(
      `KUBECONFIG lists several files (${quoteValue(fromEnv)}); give the admin cluster's kubeconfig with --kubeconfig.`,
    );
  }
  return fromEnv;
}

function parseClustersFlag(text: string | undefined): string[] {
  const names = (text ?? "")
    .split(/[\s,]+/)
    .map((name) => name.trim())
    .filter(Boolean);
  if (!names.length) {
    throw new FlagError(
      "--clusters is required: expected all, admin, or user cluster names separated by commas (uc1,uc2).",
    );
  }
  const invalid = names.filter((name) => name !== "all" && !isValidClusterName(name));
  if (invalid.length) {
    throw new FlagError(
      `--clusters: ${invalid.map((name) => quoteValue(name)).join(", ")} is not a cluster name; expected all, admin, or user cluster names (their namespaces, lower-case letters, digits and '-').`,
    );
  }
  return names;
}

/** Loads the kubeconfig; a problem with it is a FlagError naming --kubeconfig. */
export async function loadKubeconfigFlag(path: string): Promise<KubeConfig> {
  const { loadKubeconfig } = await import("../core/kube/kubeconfig.ts");
  try {
    return await loadKubeconfig({ path });
  } catch (error) {
    throw asFlagError(error);
  }
}

/** Unknown user cluster names are a flag to fix (exit 2), found before anything is touched. */
async function checkClustersExist(
  config: KubeConfig,
  clusters: string[],
  userClusters: UserClusterAccess[],
): Promise<void> {
  const { resolveClusters } = await import("../procedures/etcd-backup.ts");
  try {
    await resolveClusters(config, clusters, userClusters);
  } catch (error) {
    if (error instanceof ConfigurationError) throw asFlagError(error);
    throw new Error(`Cannot list the clusters: ${errorMessage(error)}`, { cause: error });
  }
}

/** The results as an operator reads them in a terminal: one row per cluster, then failures. */
export function backupResultsTable(results: ClusterBackupResult[], destination: string): string {
  const rows = results.map((result) => [
    result.cluster,
    result.outcome,
    result.member ? `${result.member}${result.node ? ` (${result.node})` : ""}` : "-",
    result.revision ?? "-",
    result.keys ?? "-",
    result.size !== undefined ? formatBytes(result.size) : "-",
    result.storedSize !== undefined ? formatBytes(result.storedSize) : "-",
    `${(result.durationMs / 1000).toFixed(1)} s`,
    result.uri ?? destination,
  ]);
  let text = renderTable(
    ["CLUSTER", "RESULT", "MEMBER (NODE)", "REVISION", "KEYS", "SIZE", "STORED", "DURATION", "URI"],
    rows,
  );
  const failures = results.filter((result) => result.error);
  if (failures.length) {
    text += `\n${failures.map((result) => `${result.cluster}: ${result.error}`).join("\n")}\n`;
  }
  return text;
}

/** Left-aligned columns, two spaces apart, like kubectl. */
export function renderTable(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? "").length)),
  );
  return cells
    .map(
      (row) =>
        row
          .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
          .join("  ") + "\n",
    )
    .join("");
}

/** One line on a terminal, redrawn in place: cluster, bar, bytes, percent, rate. */
class ProgressBar {
  private shown = false;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  show(progress: TransferProgress): void {
    const fraction = progress.expectedBytes
      ? Math.min(1, progress.bytes / progress.expectedBytes)
      : 0;
    const width = 24;
    const filled = Math.round(fraction * width);
    const line =
      `${progress.cluster} [${"#".repeat(filled)}${".".repeat(width - filled)}] ` +
      `${formatBytes(progress.bytes)} / ${formatBytes(progress.expectedBytes)} ` +
      `${(fraction * 100).toFixed(0)}% ${formatBytes(progress.bytesPerSecond)}/s`;
    this.stream.write(`\r\x1b[K${line}`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.stream.write("\r\x1b[K");
    this.shown = false;
  }

  /** A logger that clears the bar before each line, so the two never mix. */
  wrap(logger: Logger): Logger {
    const before =
      <T extends unknown[]>(write: (...args: T) => void) =>
      (...args: T) => {
        this.clear();
        write(...args);
      };
    return {
      debug: before(logger.debug),
      // Progress comes as onProgress events, not as log lines, so every line is shown.
      info: before(logger.info),
      warning: before(logger.warning),
      error: before(logger.error),
      group: (title, body) => {
        this.clear();
        return logger.group(title, body);
      },
    };
  }
}
