/**
 * `etcd-backup-actions history`: the backups at a destination, per cluster, newest first,
 * from their manifests alone (no payload is downloaded), so an operator can pick one to
 * restore from a terminal. The table (or JSON) goes to stdout, problems to stderr. Exit
 * codes: 0 backups listed, 1 none found or the destination could not be read, 2 a bad flag.
 */
import type { Command } from "commander";
import { readHistory, type History, type HistoryPoint } from "../core/audit/history.ts";
import { isValidClusterName } from "../core/etcd/profiles.ts";
import { formatBytes } from "../core/format.ts";
import { consoleLogger } from "../core/log/logger.ts";
import { quoteValue } from "../core/redact.ts";
import { runContextFromEnvironment } from "../core/run-context.ts";
import type { Destination } from "../core/storage/destination.ts";
import {
  cliMessage,
  EXIT_BAD_FLAG,
  EXIT_FAILED,
  exitOnUsageError,
  FlagError,
  openStoreFor,
  refuseSecretsInFlags,
  renderTable,
  s3EndpointFlag,
  terminalDestinationFlag,
} from "./backup.ts";

type OutputFormat = "table" | "json";

interface HistoryFlags {
  destination?: string;
  cluster?: string;
  s3Endpoint?: string;
  output: string;
}

export interface HistoryRequest {
  destination: Destination;
  cluster?: string;
  s3Endpoint?: string;
  output: OutputFormat;
}

export function registerHistoryCommands(program: Command): void {
  program
    .command("history")
    .description(
      "List the backups at a destination per cluster, newest first, from their manifests: the URI to give a restore.",
    )
    .option("--destination <uri>", "file:///absolute/folder or s3://bucket/prefix")
    .option("--cluster <name>", "only this cluster (admin, or a user cluster's name)")
    .option("--s3-endpoint <url>", "an S3-compatible endpoint (MinIO...); path-style URLs")
    .option("-o, --output <format>", "table for people, json for scripts", "table")
    .exitOverride(exitOnUsageError)
    .action(async (flags: HistoryFlags) => {
      process.exitCode = await historyCommand(flags, process.env);
    });
}

/** Checks every flag without touching the destination; each problem names its flag. */
export function parseHistoryFlags(flags: HistoryFlags, env: NodeJS.ProcessEnv): HistoryRequest {
  refuseSecretsInFlags(flags);
  if (!flags.destination?.trim()) {
    throw new FlagError(
      "--destination is required: expected file:///absolute/folder or s3://bucket/prefix, where the backups were stored.",
    );
  }
  const destination = terminalDestinationFlag(flags.destination, env);
  const cluster = flags.cluster?.trim();
  if (cluster !== undefined && !isValidClusterName(cluster)) {
    throw new FlagError(
      `--cluster: ${quoteValue(flags.cluster ?? "")} is not a cluster name; expected admin or a user cluster's name (its namespace: lower-case letters, digits and '-').`,
    );
  }
  if (flags.output !== "table" && flags.output !== "json") {
    throw new FlagError(
      `--output: ${quoteValue(flags.output)} is not known; expected table or json.`,
    );
  }
  return {
    destination,
    ...(cluster ? { cluster } : {}),
    ...s3EndpointFlag(flags.s3Endpoint),
    output: flags.output,
  };
}

async function historyCommand(flags: HistoryFlags, env: NodeJS.ProcessEnv): Promise<number> {
  let request: HistoryRequest;
  try {
    request = parseHistoryFlags(flags, env);
  } catch (error) {
    process.stderr.write(`error: ${cliMessage(error)}\n`);
    return EXIT_BAD_FLAG;
  }
  const logger = consoleLogger();
  let history: History;
  try {
    const store = await openStoreFor(request, logger, runContextFromEnvironment(env));
    history = readHistory(await store.list(request.cluster ? { cluster: request.cluster } : {}));
  } catch (error) {
    logger.error(
      `The backups at ${request.destination.uri} could not be listed: ${cliMessage(error)}`,
    );
    return EXIT_FAILED;
  }
  for (const entry of history.unreadable) {
    logger.warning(`Left out ${entry.uri}: ${entry.reason}`);
  }
  process.stdout.write(request.output === "json" ? historyJson(history) : historyTables(history));
  if (history.points.length === 0) {
    logger.error(
      `No backup${request.cluster ? ` of ${request.cluster}` : ""} is listed at ${request.destination.uri}${history.unreadable.length ? ` (${history.unreadable.length} with an unreadable manifest)` : ""}; check the destination (and --cluster).`,
    );
    return EXIT_FAILED;
  }
  return 0;
}

/** Newest first: the backup an operator most likely wants is on top. */
function newestFirst(points: HistoryPoint[]): HistoryPoint[] {
  return [...points].sort((a, b) => b.timestamp.localeCompare(a.timestamp));
}

/** One table per cluster and kind, in name order. */
export function historyTables(history: History): string {
  const groups = new Map<string, HistoryPoint[]>();
  for (const point of history.points) {
    const key = `${point.cluster} (${point.kind})`;
    groups.set(key, [...(groups.get(key) ?? []), point]);
  }
  return [...groups.keys()]
    .sort()
    .map((key) => {
      const rows = newestFirst(groups.get(key)!).map((point) => [
        point.createdAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
        point.revision ?? "-",
        point.keys ?? "-",
        formatBytes(point.sizeBytes),
        formatBytes(point.storedBytes),
        point.encryption,
        point.member ? `${point.member}${point.node ? ` (${point.node})` : ""}` : "-",
        point.uri,
      ]);
      return `${key}\n${renderTable(
        ["TIMESTAMP", "REVISION", "KEYS", "SIZE", "STORED", "ENCRYPTION", "MEMBER (NODE)", "URI"],
        rows,
      )}`;
    })
    .join("\n");
}

/** For scripts: every backup, newest first, sizes in bytes. */
export function historyJson(history: History): string {
  const backups = newestFirst(history.points).map((point) => ({
    cluster: point.cluster,
    kind: point.kind,
    timestamp: point.timestamp,
    createdAt: point.createdAt.toISOString(),
    revision: point.revision ?? null,
    keys: point.keys ?? null,
    size: point.sizeBytes,
    storedSize: point.storedBytes,
    encryption: point.encryption,
    member: point.member ?? null,
    node: point.node ?? null,
    uri: point.uri,
  }));
  return `${JSON.stringify(backups, null, 2)}\n`;
}
