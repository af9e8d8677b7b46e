/**
 * The GitHub artifact backend (`artifact`), the default inside GitHub Actions.
 *
 * Each backup is two artifacts of the current workflow run, named after the same facts as
 * the folder layout of the other backends:
 *   `etcd-backup.<cluster>.<kind>.<timestamp>.<payloadName>`   the payload, one raw file
 *   `etcd-backup.<cluster>.<kind>.<timestamp>.manifest.json`   uploaded last
 * Both go up without a zip layer (as `skipArchive` does): the payload is already compressed and
 * encrypted, and a restore can fetch it as it is. Listing looks at manifest artifacts only,
 * so a backup whose manifest never arrived is not a backup.
 *
 * The payload is staged in a private temporary folder (RUNNER_TEMP inside Actions) on its
 * way, in constant memory, and removed as soon as it has been sent or read: a source that
 * breaks leaves no artifact behind. Uploads go through artifact-upload.ts (the same protocol
 * as @actions/artifact, with a blob upload in constant memory), downloads through
 * artifact-download.ts, listing and deletes through artifact-api.ts: the protocol
 * @actions/artifact speaks, without its ~30 MiB of code in memory.
 *
 * Reading another run's backups (a restore workflow reading what a scheduled backup stored)
 * goes through the REST API with a token that has `actions:read` (`otherRun`); without a
 * run id, through every run of the repository, so `latest` finds the newest backup
 * whichever run stored it (a payload is then looked up by its artifact name).
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errorMessage } from "../errors.ts";
import { HashingStream, sha256Hex, type Digest } from "../crypto/hash.ts";
import type { Logger } from "../log/logger.ts";
import type { RunContext } from "../run-context.ts";
import {
  type ArtifactSource,
  artifactsNamed,
  deleteArtifact,
  describeAccess,
  type ListedArtifact as Artifact,
  listArtifacts,
  RepositoryApi,
  type RepositoryAccess,
  ResultsService,
} from "./artifact-api.ts";
import { downloadArtifactFile } from "./artifact-download.ts";
import { type UploadedArtifact, uploadArtifactFile } from "./artifact-upload.ts";
import { backupPlaceOf, deleteManifestFirst, readListedBackups } from "./backend-kit.ts";
import {
  checkClusterName,
  checkPutOptions,
  isTimestamp,
  MANIFEST_NAME,
  parseTimestamp,
  RESTORES_FOLDER,
} from "./layout.ts";
import type {
  BackupKind,
  BackupLocation,
  ListFilter,
  PutOptions,
  RestoreRecordObject,
  SnapshotStore,
} from "./types.ts";

/**
 * The artifacts to read when they are not the current run's: one workflow run's, or (without
 * `workflowRunId`) every run's of the repository, for a restore that looks for the latest.
 */
export type OtherWorkflowRun = RepositoryAccess;

export interface ArtifactStoreOptions {
  logger: Logger;
  /** The run's facts: the job's artifact runtime, the REST API's address, the staging folder. */
  context: RunContext;
  /** Days GitHub keeps the backup (1-90, capped by the repository's setting); repository default when unset. */
  retentionDays?: number;
  /** Read (and delete) the backups of another run or repository; such a store takes no new backups. */
  otherRun?: OtherWorkflowRun;
  /** Where payloads are staged; default the context's temporary folder (RUNNER_TEMP). */
  stagingDir?: string;
}

const NAME_PREFIX = "etcd-backup.";
const MANIFESTS_DOWNLOADED_IN_PARALLEL = 4;

export function createArtifactStore(options: ArtifactStoreOptions): ArtifactSnapshotStore {
  return new ArtifactSnapshotStore(options);
}

/** The artifact name of one file of a backup. */
export function backupArtifactName(
  location: Pick<BackupLocation, "cluster" | "kind" | "timestamp">,
  fileName: string,
): string {
  return `${NAME_PREFIX}${location.cluster}.${location.kind}.${location.timestamp}.${fileName}`;
}

export class ArtifactSnapshotStore implements SnapshotStore {
  readonly description: string;
  private readonly logger: Logger;
  private readonly retentionDays: number | undefined;
  private readonly context: RunContext;
  private readonly rest: RepositoryApi | undefined;
  private readonly stagingRoot: string;

  constructor(options: ArtifactStoreOptions) {
    this.logger = options.logger;
    this.context = options.context;
    this.retentionDays = checkRetentionDays(options.retentionDays);
    this.rest = options.otherRun
      ? new RepositoryApi(options.context.githubApiUrl, checkOtherRun(options.otherRun))
      : undefined;
    this.stagingRoot = options.stagingDir ?? options.context.tempDir;
    this.description = this.rest
      ? `GitHub artifacts of ${describeAccess(this.rest.access)}`
      : "GitHub artifacts of this workflow run";
  }

  async putPayload(
    options: PutOptions,
    payload: Readable,
  ): Promise<{ location: BackupLocation; storedBytes: number }> {
    this.checkWritable();
    const { cluster, kind, timestamp, payloadName } = checkPutOptions(options);
    const location = locationOf(cluster, kind, timestamp);
    const name = backupArtifactName(location, payloadName);
    return this.withStagingFolder(async (folder) => {
      const file = path.join(folder, name);
      const staged = await stageStream(payload, file).catch((error: unknown) => {
        throw new Error(
          `Reading the backup payload for artifact ${name} failed before anything was uploaded: ${errorMessage(error)}`,
          { cause: error },
        );
      });
      await this.upload(name, file, staged);
      return { location, storedBytes: staged.bytes };
    });
  }

  async putManifest(location: BackupLocation, manifest: Buffer): Promise<void> {
    this.checkWritable();
    const name = backupArtifactName(location, MANIFEST_NAME);
    await this.withStagingFolder(async (folder) => {
      const file = path.join(folder, name);
      await writeFile(file, manifest, { mode: 0o600 });
      await this.upload(name, file, { bytes: manifest.length, sha256: sha256Hex(manifest) });
    });
  }

  async list(
    filter: ListFilter = {},
  ): Promise<Array<{ location: BackupLocation; manifest: Buffer }>> {
    const found = (await this.allArtifacts()).flatMap((artifact) => {
      const parsed = parseArtifactName(artifact.name);
      return parsed?.fileName === MANIFEST_NAME ? [{ artifact, location: parsed.location }] : [];
    });
    return readListedBackups(found, filter, MANIFESTS_DOWNLOADED_IN_PARALLEL, ({ artifact }) =>
      this.withStagingFolder(async (folder) => readFile(await this.download(artifact, folder))),
    );
  }

  async getPayload(location: BackupLocation, payloadName: string): Promise<Readable> {
    const name = backupArtifactName(location, payloadName);
    const artifact = await this.artifactNamed(name);
    if (!artifact) {
      throw new Error(
        `Backup payload artifact ${name} is not among the ${this.description}: it may have expired or been deleted; list the backups to find one that exists.`,
      );
    }
    const folder = await this.newStagingFolder();
    try {
      return readThenRemove(await this.download(artifact, folder), folder);
    } catch (error) {
      await rm(folder, { recursive: true, force: true });
      throw error;
    }
  }

  async delete(location: BackupLocation): Promise<void> {
    const prefix = backupArtifactName(location, "");
    const names = (await this.allArtifacts())
      .map((artifact) => artifact.name)
      .filter((name) => name.startsWith(prefix));
    await deleteManifestFirst(
      names,
      (name) => name.endsWith(MANIFEST_NAME),
      async (name) => deleteArtifact(name, this.source()),
      (name, error) =>
        new Error(
          `Deleting artifact ${name} from the ${this.description} failed: ${errorMessage(error)}`,
          { cause: error },
        ),
    );
    this.logger.info(`Deleted ${names.length} artifact(s) of backup ${location.uri}`);
  }

  /**
   * A restore record is an artifact of the run that restored,
   * `etcd-backup.<cluster>.restores.<timestamp>.json`: written to this run's artifacts even
   * when the backups were read from other runs', and never listed as a backup.
   */
  async putRestoreRecord(cluster: string, timestamp: string, record: Buffer): Promise<string> {
    const name = restoreRecordArtifactName(cluster, timestamp);
    await this.withStagingFolder(async (folder) => {
      const file = path.join(folder, name);
      await writeFile(file, record, { mode: 0o600 });
      await this.upload(name, file, { bytes: record.length, sha256: sha256Hex(record) });
    });
    return `artifact/${cluster}/${RESTORES_FOLDER}/${timestamp}.json`;
  }

  async listRestoreRecords(cluster: string): Promise<RestoreRecordObject[]> {
    const prefix = `${NAME_PREFIX}${checkClusterName(cluster)}.${RESTORES_FOLDER}.`;
    const found = (await this.allArtifacts()).filter(
      (artifact) =>
        artifact.name.startsWith(prefix) &&
        artifact.name.endsWith(".json") &&
        isTimestamp(artifact.name.slice(prefix.length, -".json".length)),
    );
    const records: RestoreRecordObject[] = [];
    for (const artifact of found) {
      const timestamp = artifact.name.slice(prefix.length, -".json".length);
      const record = await this.withStagingFolder(async (folder) =>
        readFile(await this.download(artifact, folder)),
      );
      records.push({
        cluster,
        timestamp,
        uri: `artifact/${cluster}/${RESTORES_FOLDER}/${timestamp}.json`,
        record,
      });
    }
    return records.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  }

  private async upload(name: string, file: string, staged: Digest): Promise<void> {
    this.logger.info(`Uploading artifact ${name} (${staged.bytes} bytes)`);
    let uploaded: UploadedArtifact;
    try {
      uploaded = await uploadArtifactFile(new ResultsService(this.context.artifactRuntime), {
        name,
        file,
        ...(this.retentionDays ? { retentionDays: this.retentionDays } : {}),
        ...(this.context.maxArtifactRetentionDays !== undefined
          ? { maxRetentionDays: this.context.maxArtifactRetentionDays }
          : {}),
      });
    } catch (error) {
      throw new Error(
        `Uploading artifact ${name} to the ${this.description} failed: ${errorMessage(error)}${this.runtimeHint()}`,
        { cause: error },
      );
    }
    // The upload hashes what it read back from the staged file: a different digest means the
    // bytes changed on disk between staging and sending.
    if (uploaded.bytes !== staged.bytes || uploaded.sha256 !== staged.sha256) {
      throw new Error(
        `Artifact ${name} was uploaded as ${uploaded.bytes} bytes with sha256 ${uploaded.sha256}, but the staged file had ${staged.bytes} bytes with ${staged.sha256}: the upload is not trustworthy; run the backup again.`,
      );
    }
    this.logger.info(`Artifact ${name} stored (id ${uploaded.id})`);
  }

  /** Downloads one artifact into `folder` and checks it; returns the file's path. */
  private async download(artifact: Artifact, folder: string): Promise<string> {
    let received: { sha256: string };
    try {
      received = await downloadArtifactFile(this.source(), {
        id: artifact.id,
        name: artifact.name,
        file: path.join(folder, path.basename(artifact.name)),
      });
    } catch (error) {
      throw new Error(
        `Downloading artifact ${artifact.name} from the ${this.description} failed: ${errorMessage(error)}`,
        { cause: error },
      );
    }
    const digestMismatch =
      artifact.digest !== undefined &&
      normaliseDigest(artifact.digest) !== normaliseDigest(received.sha256);
    const [fileName, ...others] = await readdir(folder);
    const file = path.join(folder, fileName ?? "");
    const bytes = fileName ? (await stat(file)).size : -1;
    if (!fileName || others.length > 0 || bytes !== artifact.size) {
      throw new Error(
        `Artifact ${artifact.name} arrived incomplete: ${Math.max(bytes, 0)} of ${artifact.size} bytes; run the restore again, and if it repeats, pick another backup.`,
      );
    }
    if (digestMismatch) {
      throw new Error(
        `Artifact ${artifact.name} does not match the sha256 GitHub recorded when it was uploaded (${artifact.digest}): it was corrupted on the way; run the restore again.`,
      );
    }
    return file;
  }

  private async allArtifacts(): Promise<Artifact[]> {
    return this.listing(() => listArtifacts(this.source()));
  }

  /**
   * The newest artifact called `name`. Across a repository's runs it is looked up by name
   * (one short listing) rather than by listing every artifact of the repository.
   */
  private async artifactNamed(name: string): Promise<Artifact | undefined> {
    if (this.rest && this.rest.access.workflowRunId === undefined) {
      const rest = this.rest;
      return (await this.listing(() => artifactsNamed(rest, name)))[0];
    }
    return (await this.allArtifacts()).find((candidate) => candidate.name === name);
  }

  private async listing(list: () => Promise<Artifact[]>): Promise<Artifact[]> {
    try {
      return await list();
    } catch (error) {
      throw new Error(
        `Listing the ${this.description} failed: ${errorMessage(error)}${this.rest ? "; check that the token has actions:read on the repository and that the run id is right" : this.runtimeHint()}`,
        { cause: error },
      );
    }
  }

  /** This run's results service, or the REST API for another run or the repository. */
  private source(): ArtifactSource {
    return this.rest ?? new ResultsService(this.context.artifactRuntime);
  }

  /** Outside a job step the runtime variables are missing; say so instead of a JWT error. */
  private runtimeHint(): string {
    if (this.context.artifactRuntime) return "";
    return " (ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set: GitHub artifacts work only inside a GitHub Actions job; use a file:// or s3:// destination elsewhere)";
  }

  private checkWritable(): void {
    if (this.rest) {
      throw new Error(
        `Backups are uploaded to the artifacts of the run that makes them, not to ${this.description}: drop the run id and token to store a new backup.`,
      );
    }
  }

  private newStagingFolder(): Promise<string> {
    return mkdtemp(path.join(this.stagingRoot, "etcd-backup-artifact-"));
  }

  private async withStagingFolder<T>(work: (folder: string) => Promise<T>): Promise<T> {
    const folder = await this.newStagingFolder();
    try {
      return await work(folder);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  }
}

/** The artifact name of a restore record (not a backup: its "kind" is no backup kind). */
export function restoreRecordArtifactName(cluster: string, timestamp: string): string {
  checkClusterName(cluster);
  parseTimestamp(timestamp);
  return `${NAME_PREFIX}${cluster}.${RESTORES_FOLDER}.${timestamp}.json`;
}

/** Writes the stream to a new private file, counting and hashing what passes. */
async function stageStream(payload: Readable, file: string): Promise<Digest> {
  const meter = new HashingStream();
  await pipeline(payload, meter, createWriteStream(file, { flags: "wx", mode: 0o600 }));
  return meter.digest();
}

/**
 * A stream of the staged file that removes its folder when the caller has read it or given
 * up on it; the removal is done before the stream reports `close`.
 */
function readThenRemove(file: string, folder: string): Readable {
  const stream = createReadStream(file);
  const destroyFile = stream._destroy.bind(stream);
  stream._destroy = (error, callback) => {
    destroyFile(error, (destroyError) => {
      void rm(folder, { recursive: true, force: true }).finally(() => callback(destroyError));
    });
  };
  return stream;
}

/** `etcd-backup.<cluster>.<kind>.<timestamp>.<file>`: cluster names have no dots, so the fields split cleanly. */
function parseArtifactName(
  name: string,
): { location: BackupLocation; fileName: string } | undefined {
  if (!name.startsWith(NAME_PREFIX)) return undefined;
  const [cluster, kind, timestamp, ...file] = name.slice(NAME_PREFIX.length).split(".");
  const place = backupPlaceOf(cluster, kind, timestamp);
  if (!place || file.length === 0) return undefined;
  return {
    location: locationOf(place.cluster, place.kind, place.timestamp),
    fileName: file.join("."),
  };
}

function locationOf(cluster: string, kind: BackupKind, timestamp: string): BackupLocation {
  return { cluster, kind, timestamp, uri: `artifact/${cluster}/${kind}/${timestamp}` };
}

function checkRetentionDays(days: number | undefined): number | undefined {
  if (days === undefined) return undefined;
  if (!Number.isInteger(days) || days < 1 || days > 90) {
    throw new Error(
      `Artifact retention of ${days} days is not valid: expected a whole number of days from 1 to 90.`,
    );
  }
  return days;
}

function checkOtherRun(run: OtherWorkflowRun): OtherWorkflowRun {
  if (
    run.workflowRunId !== undefined &&
    (!Number.isInteger(run.workflowRunId) || run.workflowRunId <= 0)
  ) {
    throw new Error(
      `Workflow run id "${run.workflowRunId}" is not valid: expected the number in the run's URL, .../actions/runs/<id>.`,
    );
  }
  if (!run.repositoryOwner || !run.repositoryName) {
    throw new Error(
      `Repository "${run.repositoryOwner}/${run.repositoryName}" is not valid: expected owner/name of the repository whose run made the backup.`,
    );
  }
  if (!run.token) {
    throw new Error(
      `Reading the artifacts of ${describeAccess(run)} needs a token with actions:read on it; none was given.`,
    );
  }
  return run;
}

/** The REST API gives digests with the `sha256:` prefix, the results service without. */
function normaliseDigest(digest: string): string {
  return digest.startsWith("sha256:") ? digest : `sha256:${digest}`;
}
