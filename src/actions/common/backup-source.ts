/**
 * Where the actions that read backups find them (etcd-restore-ha, etcd-restore-drill, and the
 * backup actions' history): a backup URI names its own destination; `latest` reads the
 * destination input. For `artifact`, the backups were stored by other workflow runs (a
 * scheduled backup), so they are read through the REST API with `github-token` (actions:
 * read) across every run of the repository, or of one run with `run-id`. One function for
 * all of them, so they find the same backups the same way.
 */
import * as core from "@actions/core";
import type { Logger } from "../../core/log/logger.ts";
import type { RunContext } from "../../core/run-context.ts";
import type { OtherWorkflowRun } from "../../core/storage/artifact.ts";
import {
  openStore,
  parseBackupUri,
  parseDestination,
  parseS3Endpoint,
  type Destination,
  type StoreOptions,
} from "../../core/storage/destination.ts";
import type {
  BackupKind,
  BackupLocation,
  ListFilter,
  SnapshotStore,
} from "../../core/storage/types.ts";
import { errorMessage } from "../../core/errors.ts";
import { checkedInput, getInput, getInputAsBool, getInputAsInt, InputError } from "./inputs.ts";
import { readDestination, SharedInputs } from "./shared-inputs.ts";

/** The inputs that reach the artifacts of the repository's other runs. */
export const ArtifactRunInputs = {
  GithubToken: "github-token",
  RunId: "run-id",
} as const;

/** A backup named by its URI: the destination it names, and which backup there. */
export interface NamedBackup {
  destination: Destination;
  cluster: string;
  kind: BackupKind;
  timestamp: string;
}

/** The backup input: `latest` (or empty), else a URI as etcd-backup printed it. */
export function readBackupInput(name: string): "latest" | NamedBackup {
  const text = getInput(name) || "latest";
  if (text === "latest") return "latest";
  try {
    return parseBackupUri(text);
  } catch (error) {
    throw new InputError(`Input ${name}: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * The store that holds the backups to read: the URI's destination, else the destination
 * input. `artifact` means the artifacts of the repository's runs (of one run with run-id),
 * since a restore or a drill runs in another workflow run than the backups it reads.
 */
export async function openBackupSource(
  named: NamedBackup | undefined,
  logger: Logger,
  context: RunContext,
): Promise<SnapshotStore> {
  const destination = named?.destination ?? readLatestDestination();
  if (destination?.type === "artifact") {
    const otherRun = readRepositoryAccess(context, { required: true })!;
    logger.info(
      `Reading backups from the artifacts of ${otherRun.workflowRunId === undefined ? "every run" : `run ${otherRun.workflowRunId}`} of ${otherRun.repositoryOwner}/${otherRun.repositoryName}.`,
    );
    return openStore(destination, { logger, context, artifact: { otherRun } });
  }
  if (!named) return readDestination().open(logger, context);
  return openStore(named.destination, { logger, context, s3: readS3Options() });
}

/**
 * The history of a backup action reads the backups of earlier runs too, when they are
 * artifacts and a token is given: the current run's artifacts alone make a chart of one
 * point. Without a token, or outside GitHub Actions, the current store as before.
 */
export async function openHistorySource(
  store: SnapshotStore,
  logger: Logger,
  context: RunContext,
): Promise<Pick<SnapshotStore, "description" | "list">> {
  const destination = readLatestDestination();
  if (destination?.type !== "artifact") return store;
  // Checked when the backup began; read again here only to reach the other runs.
  const otherRun = readRepositoryAccess(context, { required: false });
  if (!otherRun) {
    logger.info(
      `History: ${ArtifactRunInputs.GithubToken} is empty, so the history shows only this run's backups; give it (actions: read) to chart the earlier runs' too.`,
    );
    return store;
  }
  try {
    const repository = await openStore(destination, { logger, context, artifact: { otherRun } });
    return withThisRun(store, repository);
  } catch (error) {
    // Only the summary depends on it: the backups are stored already.
    logger.warning(
      `History: the artifacts of earlier runs cannot be read (${errorMessage(error)}), so the history shows only this run's backups.`,
    );
    return store;
  }
}

/**
 * The listing of the repository's runs, with this run's backups added: a backup just made is
 * in the history even if the repository's listing does not show it yet.
 */
function withThisRun(
  thisRun: SnapshotStore,
  repository: SnapshotStore,
): Pick<SnapshotStore, "description" | "list"> {
  return {
    description: repository.description,
    async list(filter?: ListFilter) {
      const [fromRepository, fromThisRun] = await Promise.all([
        repository.list(filter),
        thisRun.list(filter),
      ]);
      const byUri = new Map<string, { location: BackupLocation; manifest: Buffer }>();
      for (const backup of [...fromThisRun, ...fromRepository]) {
        if (!byUri.has(backup.location.uri)) byUri.set(backup.location.uri, backup);
      }
      // Newest first, as every store lists them: timestamps are fixed-width UTC text.
      return [...byUri.values()].sort((a, b) =>
        b.location.timestamp.localeCompare(a.location.timestamp),
      );
    },
  };
}

/** The destination input for `latest`; `artifact` by default inside GitHub Actions. */
function readLatestDestination(): Destination | undefined {
  const text =
    getInput(SharedInputs.Destination) || (process.env.GITHUB_ACTIONS === "true" ? "artifact" : "");
  if (!text) return undefined; // readDestination says what is missing
  return checkedInput(SharedInputs.Destination, () => parseDestination(text));
}

/**
 * The token, repository and optional run id to read artifacts through the REST API. The
 * token is masked. Missing: an error naming the input when `required`, else undefined.
 */
function readRepositoryAccess(
  context: RunContext,
  options: { required: boolean },
): OtherWorkflowRun | undefined {
  const token = getInput(ArtifactRunInputs.GithubToken);
  const [repositoryOwner, repositoryName] = (context.run?.repository ?? "").split("/");
  if (!token || !repositoryOwner || !repositoryName) {
    if (!options.required) return undefined;
    throw new InputError(
      `Input ${SharedInputs.Destination} is artifact: the backups of earlier runs are listed with ${ArtifactRunInputs.GithubToken} (actions: read) in the workflow's repository, and ${token ? "this is not a GitHub Actions run" : `${ArtifactRunInputs.GithubToken} is empty`}; give ${ArtifactRunInputs.GithubToken}: \${{ github.token }}, or an s3:// or file:// destination.`,
    );
  }
  core.setSecret(token);
  const runId = getInputAsInt(ArtifactRunInputs.RunId, { min: 1, max: Number.MAX_SAFE_INTEGER });
  return {
    token,
    repositoryOwner,
    repositoryName,
    ...(runId !== undefined ? { workflowRunId: runId } : {}),
  };
}

/** The S3 inputs for a store a backup URI names (the endpoint checked, as readDestination does). */
export function readS3Options(): NonNullable<StoreOptions["s3"]> {
  const endpointText = getInput(SharedInputs.S3Endpoint);
  const endpoint = endpointText
    ? checkedInput(SharedInputs.S3Endpoint, () => parseS3Endpoint(endpointText))
    : "";
  const region = getInput(SharedInputs.S3Region);
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(region ? { region } : {}),
    forcePathStyle: getInputAsBool(SharedInputs.S3ForcePathStyle, Boolean(endpoint)),
  };
}
