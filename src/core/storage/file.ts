/**
 * The local folder backend (`file:///path`), the default outside GitHub Actions. The payload
 * is written under a temporary name and renamed only when complete and flushed to disk; the
 * manifest is written the same way, last. A crash therefore leaves at most an unlisted
 * folder, never a backup that looks whole. Each backup's folder is created exclusively, so
 * two runs in the same second never share one (the second takes the next free second), and
 * every file is 0600: a payload may be an unencrypted snapshot holding every Secret.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { link, mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { newestFirst } from "./backend-kit.ts";
import { ConfigurationError, errorMessage } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { quoteValue } from "../redact.ts";
import {
  backupFolder,
  checkClusterName,
  BACKUP_KINDS,
  checkPayloadName,
  formatTimestamp,
  isTimestamp,
  MANIFEST_NAME,
  parseTimestamp,
  restoreRecordPath,
  RESTORES_FOLDER,
} from "./layout.ts";
import type {
  BackupKind,
  BackupLocation,
  PutOptions,
  RestoreRecordObject,
  SnapshotStore,
} from "./types.ts";

const PARTIAL_PREFIX = ".partial-";
const READ_CHUNK_BYTES = 256 * 1024;
/** Backups may hold every Secret of a cluster: only the runner's user reads them. */
const FILE_MODE = 0o600;
const FOLDER_MODE = 0o700;
/** How many later seconds a backup may move to when its own is taken by another run. */
const MAX_TIMESTAMP_TRIES = 30;
/**
 * A `.partial-*` file untouched this long belongs to a run that was killed (a live upload
 * writes to it continually), so it is removed when the next backup of that cluster starts.
 */
export const STALE_PARTIAL_MS = 6 * 60 * 60 * 1000;

export class FileStore implements SnapshotStore {
  readonly description: string;
  private readonly root: string;

  private readonly logger: Logger | undefined;

  constructor(root: string, options: { logger?: Logger } = {}) {
    if (!isAbsolute(root)) {
      throw new ConfigurationError(
        "destination",
        `the backup folder ${quoteValue(root)} is not an absolute path; expected e.g. file:///var/backups/etcd.`,
      );
    }
    this.root = resolve(root);
    if (this.root === "/") {
      throw new ConfigurationError(
        "destination",
        "the backup folder is the file system's root; expected a folder for the backups, such as file:///var/backups/etcd.",
      );
    }
    this.description = pathToFileURL(this.root).href;
    this.logger = options.logger;
  }

  private folderOf(location: Pick<BackupLocation, "cluster" | "kind" | "timestamp">): string {
    return join(this.root, backupFolder(location.cluster, location.kind, location.timestamp));
  }

  private locationOf(cluster: string, kind: BackupKind, timestamp: string): BackupLocation {
    const folder = join(this.root, backupFolder(cluster, kind, timestamp));
    return { cluster, kind, timestamp, uri: `${pathToFileURL(folder).href}/` };
  }

  async putPayload(
    options: PutOptions,
    payload: Readable,
  ): Promise<{ location: BackupLocation; storedBytes: number }> {
    const payloadName = checkPayloadName(options.payloadName);
    let location: BackupLocation;
    try {
      await this.removeStalePartials(options.cluster, options.kind);
      location = await this.claimFolder(options);
    } catch (error) {
      payload.destroy();
      throw error;
    }
    const folder = this.folderOf(location);
    const partialPath = join(
      folder,
      `${PARTIAL_PREFIX}${randomBytes(6).toString("hex")}-${payloadName}`,
    );
    let storedBytes = 0;
    const counter = new Transform({
      transform(data: Buffer, _encoding, done) {
        storedBytes += data.length;
        done(null, data);
      },
    });
    try {
      // flush: fsync before close, so the rename below publishes bytes that are on disk.
      await pipeline(
        payload,
        counter,
        createWriteStream(partialPath, { flags: "wx", mode: FILE_MODE, flush: true }),
      );
      await rename(partialPath, join(folder, payloadName));
    } catch (error) {
      await rm(partialPath, { force: true });
      await removeIfEmpty(folder);
      throw new Error(`Writing the payload to ${location.uri} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    return { location, storedBytes };
  }

  /**
   * Creates the backup's folder exclusively (mkdir fails if it exists), so no two runs ever
   * write into one folder nor report one URI. When another run took this second, the backup
   * moves to the next free second; its manifest is dated by the location it gets.
   */
  private async claimFolder(options: PutOptions): Promise<BackupLocation> {
    const first = parseTimestamp(options.timestamp).getTime();
    const kindFolder = join(this.root, options.cluster, options.kind);
    await mkdir(kindFolder, { recursive: true, mode: FOLDER_MODE });
    for (let attempt = 0; attempt < MAX_TIMESTAMP_TRIES; attempt++) {
      const timestamp = formatTimestamp(new Date(first + attempt * 1000));
      const location = this.locationOf(options.cluster, options.kind, timestamp);
      try {
        await mkdir(this.folderOf(location), { mode: FOLDER_MODE });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw error;
      }
      if (attempt > 0) {
        this.logger?.info(
          `${this.locationOf(options.cluster, options.kind, options.timestamp).uri} is taken by another backup; this one is stored at ${location.uri}.`,
        );
      }
      return location;
    }
    throw new Error(
      `Cannot create a backup folder for ${options.cluster} ${options.kind} under ${pathToFileURL(kindFolder).href}: the ${MAX_TIMESTAMP_TRIES} seconds from ${options.timestamp} are all taken by other backups; check what else writes there.`,
    );
  }

  /**
   * Removes the `.partial-*` files killed runs left in this cluster's backups (and their
   * folders when nothing else is in them), and says so in the log.
   */
  private async removeStalePartials(cluster: string, kind: BackupKind): Promise<void> {
    const kindFolder = join(this.root, cluster, kind);
    const now = Date.now();
    const removed: string[] = [];
    for (const timestamp of await folderNames(kindFolder)) {
      if (!isTimestamp(timestamp)) continue;
      const folder = join(kindFolder, timestamp);
      const names = await readdir(folder).catch(() => [] as string[]);
      for (const name of names.filter((entry) => entry.startsWith(PARTIAL_PREFIX))) {
        const path = join(folder, name);
        const modified = await stat(path).then(
          (facts) => facts.mtimeMs,
          () => now,
        );
        if (now - modified < STALE_PARTIAL_MS) continue;
        await rm(path, { force: true });
        removed.push(`${timestamp}/${name}`);
      }
      if (names.length > 0 && removed.some((entry) => entry.startsWith(`${timestamp}/`))) {
        await removeIfEmpty(folder);
      }
    }
    if (removed.length > 0) {
      this.logger?.warning(
        `Removed ${removed.length} partial file(s) that interrupted backups left in ${pathToFileURL(kindFolder).href} (untouched for over ${STALE_PARTIAL_MS / 3_600_000} h): ${removed.join(", ")}.`,
      );
    }
  }

  async putManifest(location: BackupLocation, manifest: Buffer): Promise<void> {
    const folder = this.folderOf(location);
    const partialPath = join(
      folder,
      `${PARTIAL_PREFIX}${randomBytes(6).toString("hex")}-${MANIFEST_NAME}`,
    );
    const file = await open(partialPath, "wx", FILE_MODE);
    try {
      await file.writeFile(manifest);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(partialPath, join(folder, MANIFEST_NAME));
    await syncFolder(folder);
  }

  async list(
    filter: { cluster?: string; kind?: BackupKind } = {},
  ): Promise<Array<{ location: BackupLocation; manifest: Buffer }>> {
    const found: Array<{ location: BackupLocation; manifest: Buffer }> = [];
    const clusters = filter.cluster ? [filter.cluster] : await folderNames(this.root);
    for (const cluster of clusters) {
      for (const kind of filter.kind ? [filter.kind] : BACKUP_KINDS) {
        for (const timestamp of await folderNames(join(this.root, cluster, kind))) {
          if (!isTimestamp(timestamp)) continue;
          const location = this.locationOf(cluster, kind, timestamp);
          const manifest = await readFile(join(this.folderOf(location), MANIFEST_NAME)).catch(
            () => undefined,
          );
          if (manifest) found.push({ location, manifest });
        }
      }
    }
    return newestFirst(found);
  }

  async getPayload(location: BackupLocation, payloadName: string): Promise<Readable> {
    const path = join(this.folderOf(location), checkPayloadName(payloadName));
    if (!(await exists(path))) {
      throw new Error(
        `The payload ${payloadName} of ${location.uri} is missing; the backup folder is damaged.`,
      );
    }
    // 256 KiB reads: fewer thread-pool round trips on a busy runner; 1 MiB reads measured
    // ~60 MiB more peak memory on a 1 GB restore.
    return createReadStream(path, { highWaterMark: READ_CHUNK_BYTES });
  }

  putRestoreRecord(cluster: string, timestamp: string, record: Buffer): Promise<string> {
    return putRecordFile(this.root, cluster, timestamp, record);
  }

  listRestoreRecords(cluster: string): Promise<RestoreRecordObject[]> {
    return listRecordFiles(this.root, checkClusterName(cluster));
  }

  async delete(location: BackupLocation): Promise<void> {
    const folder = this.folderOf(location);
    // The manifest goes first: an interrupted delete leaves an unlisted folder, not a listed half-backup.
    await rm(join(folder, MANIFEST_NAME), { force: true });
    await rm(folder, { recursive: true, force: true });
  }
}

/**
 * Restore records of the folder backend: each written whole under a temporary name, then
 * linked to `<cluster>/restores/<timestamp>.json` (a link fails if the name is taken, so two
 * restores in one second never overwrite each other: the second takes the next second).
 */
async function putRecordFile(root: string, cluster: string, timestamp: string, record: Buffer) {
  const folder = join(root, cluster, RESTORES_FOLDER);
  await mkdir(folder, { recursive: true, mode: FOLDER_MODE });
  const partialPath = join(folder, `${PARTIAL_PREFIX}${randomBytes(6).toString("hex")}.json`);
  const file = await open(partialPath, "wx", FILE_MODE);
  try {
    await file.writeFile(record);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    const first = parseTimestamp(timestamp).getTime();
    for (let attempt = 0; attempt < MAX_TIMESTAMP_TRIES; attempt++) {
      const path = join(
        root,
        restoreRecordPath(cluster, formatTimestamp(new Date(first + attempt * 1000))),
      );
      try {
        await link(partialPath, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
        throw error;
      }
      await syncFolder(folder);
      return pathToFileURL(path).href;
    }
    throw new Error(
      `Cannot write a restore record under ${pathToFileURL(folder).href}: the ${MAX_TIMESTAMP_TRIES} seconds from ${timestamp} are all taken by other records.`,
    );
  } finally {
    await rm(partialPath, { force: true });
  }
}

async function listRecordFiles(root: string, cluster: string): Promise<RestoreRecordObject[]> {
  const folder = join(root, cluster, RESTORES_FOLDER);
  const names = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return [] as string[];
    throw error;
  });
  const records: RestoreRecordObject[] = [];
  for (const name of names) {
    const timestamp = name.replace(/\.json$/, "");
    if (name === timestamp || !isTimestamp(timestamp)) continue;
    const path = join(folder, name);
    records.push({
      cluster,
      timestamp,
      uri: pathToFileURL(path).href,
      record: await readFile(path),
    });
  }
  return records.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
}

async function folderNames(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function removeIfEmpty(folder: string): Promise<void> {
  await rmdir(folder).catch(() => undefined);
}

/** fsync of the folder makes the rename itself durable. */
async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
