/**
 * The S3-compatible backend (`s3://bucket/prefix`): AWS S3, MinIO, GCS interop and the like.
 *
 * Layout: `<prefix>/<cluster>/<kind>/<timestamp>/<payloadName>` and, written last,
 * `.../manifest.json`. Listing reads object names and manifests only, never payloads.
 * The payload goes up as a multipart upload through a few reused part buffers
 * (part-uploader.ts), so memory stays constant whatever the snapshot size.
 */
import type { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { errorMessage } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import { backupPlaceOf, deleteManifestFirst, readListedBackups } from "./backend-kit.ts";
import {
  checkClusterName,
  checkPutOptions,
  isTimestamp,
  MANIFEST_NAME,
  parseS3Location,
  restoreRecordPath,
  RESTORES_FOLDER,
} from "./layout.ts";
import { type Part, uploadInParts } from "./part-uploader.ts";
import type {
  BackupKind,
  BackupLocation,
  ListFilter,
  PutOptions,
  RestoreRecordObject,
  SnapshotStore,
} from "./types.ts";

export interface S3StoreOptions {
  /** The destination, `s3://bucket` or `s3://bucket/prefix`. */
  url: string;
  /** A non-AWS service, e.g. `http://127.0.0.1:9000` for MinIO; AWS S3 when unset. */
  endpoint?: string;
  /** Defaults to `defaultRegion`, then `us-east-1`. */
  region?: string;
  /** The region the environment names (AWS_REGION, AWS_DEFAULT_REGION: the run context's). */
  defaultRegion?: string;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO needs it). */
  forcePathStyle?: boolean;
  /** When unset, the usual AWS chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, profile, role. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  logger: Logger;
  /** Size of one multipart part. Memory held is (queueSize + 1) x partSize. */
  partSizeBytes?: number;
  /** Parts in flight at once. */
  queueSize?: number;
}

// 5 MiB parts (the S3 minimum), 2 in flight and 1 filling: 15 MiB held, and 10,000 parts
// still cover a 50 GB payload (etcd's own limit is 8 GB). Larger parts only hold more memory.
const DEFAULT_PART_SIZE = 5 * 1024 * 1024;
const DEFAULT_QUEUE_SIZE = 2;
const MIN_PART_SIZE = 5 * 1024 * 1024;
const MANIFEST_READS_IN_PARALLEL = 8;

export function createS3Store(options: S3StoreOptions): S3SnapshotStore {
  return new S3SnapshotStore(options);
}

export class S3SnapshotStore implements SnapshotStore {
  readonly description: string;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly endpointName: string;
  private readonly client: S3Client;
  private readonly logger: Logger;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3StoreOptions) {
    const { bucket, prefix } = parseS3Location(options.url);
    this.bucket = bucket;
    this.prefix = prefix;
    this.logger = options.logger;
    this.partSize = checkPartSize(options.partSizeBytes ?? DEFAULT_PART_SIZE);
    this.queueSize = checkQueueSize(options.queueSize ?? DEFAULT_QUEUE_SIZE);
    const region = options.region || options.defaultRegion || "us-east-1";
    this.endpointName = options.endpoint ?? `AWS S3 (${region})`;
    this.description = `s3://${bucket}${prefix ? `/${prefix}` : ""} at ${this.endpointName}`;
    this.client = new S3Client(clientConfig(options, region));
  }

  async putPayload(
    options: PutOptions,
    payload: Readable,
  ): Promise<{ location: BackupLocation; storedBytes: number }> {
    checkPutOptions(options);
    const location = this.locationOf(options.cluster, options.kind, options.timestamp);
    const key = this.keyOf(location, options.payloadName);
    this.logger.info(`Uploading ${options.payloadName} to ${this.uriOf(key)}`);
    const upload = new MultipartUpload(this.client, this.bucket, key);
    let storedBytes: number;
    try {
      ({ bytes: storedBytes } = await uploadInParts(payload, {
        partSizeBytes: this.partSize,
        partsInFlight: this.queueSize,
        sendPart: (part) => upload.send(part),
      }));
      await upload.complete();
    } catch (error) {
      payload.destroy();
      // No partial object or orphaned parts may stay in the bucket (uploadInParts has
      // waited for the parts in flight, so none arrives after the abort).
      await upload.abort();
      throw this.failure(`upload of the payload to ${this.uriOf(key)}`, error);
    }
    this.logger.info(`Stored ${storedBytes} bytes at ${this.uriOf(key)}`);
    return { location, storedBytes };
  }

  async putManifest(location: BackupLocation, manifest: Buffer): Promise<void> {
    const key = this.keyOf(location, MANIFEST_NAME);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: manifest,
          ContentType: "application/json",
        }),
      );
    } catch (error) {
      throw this.failure(`writing the manifest ${this.uriOf(key)}`, error);
    }
  }

  async list(
    filter: ListFilter = {},
  ): Promise<Array<{ location: BackupLocation; manifest: Buffer }>> {
    const manifestKeys = (await this.keysUnder(this.listPrefix(filter))).filter((key) =>
      key.endsWith(`/${MANIFEST_NAME}`),
    );
    const found = manifestKeys.flatMap((key) => {
      const location = this.locationFromManifestKey(key);
      return location ? [{ location }] : [];
    });
    return readListedBackups(found, filter, MANIFEST_READS_IN_PARALLEL, ({ location }) =>
      this.readManifest(location),
    );
  }

  async getPayload(location: BackupLocation, payloadName: string): Promise<Readable> {
    const key = this.keyOf(location, payloadName);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
      );
      return response.Body as Readable;
    } catch (error) {
      if (errorName(error) === "NoSuchKey") {
        throw new Error(
          `Backup payload ${this.uriOf(key)} does not exist at ${this.endpointName}: list the backups to find one that does.`,
          { cause: error },
        );
      }
      throw this.failure(`download of ${this.uriOf(key)}`, error);
    }
  }

  async delete(location: BackupLocation): Promise<void> {
    const folder = `${this.folderOf(location)}/`;
    const keys = await this.keysUnder(folder);
    // A payload left behind by an interrupted delete is removed by the next one.
    await deleteManifestFirst(
      keys,
      (key) => key.endsWith(`/${MANIFEST_NAME}`),
      async (key) => {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
      },
      (key, error) => this.failure(`deleting ${this.uriOf(key)}`, error),
    );
    this.logger.info(`Deleted ${keys.length} object(s) of backup ${location.uri}`);
  }

  /** One small object, `<prefix>/<cluster>/restores/<timestamp>.json`, beside the backups. */
  async putRestoreRecord(cluster: string, timestamp: string, record: Buffer): Promise<string> {
    const key = [this.prefix, restoreRecordPath(cluster, timestamp)].filter(Boolean).join("/");
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: record,
          ContentType: "application/json",
        }),
      );
    } catch (error) {
      throw this.failure(`writing the restore record ${this.uriOf(key)}`, error);
    }
    return this.uriOf(key);
  }

  async listRestoreRecords(cluster: string): Promise<RestoreRecordObject[]> {
    const folder = [this.prefix, checkClusterName(cluster), RESTORES_FOLDER]
      .filter(Boolean)
      .join("/");
    const records: RestoreRecordObject[] = [];
    for (const key of await this.keysUnder(`${folder}/`)) {
      const timestamp = key.slice(folder.length + 1).replace(/\.json$/, "");
      if (!isTimestamp(timestamp) || !key.endsWith(".json")) continue;
      try {
        const response = await this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: key }),
        );
        const record = Buffer.from(await response.Body!.transformToByteArray());
        records.push({ cluster, timestamp, uri: this.uriOf(key), record });
      } catch (error) {
        throw this.failure(`reading the restore record ${this.uriOf(key)}`, error);
      }
    }
    return records.sort((a, b) => b.timestamp.localeCompare(a.timestamp));
  }

  private async readManifest(location: BackupLocation): Promise<Buffer | undefined> {
    const key = this.keyOf(location, MANIFEST_NAME);
    try {
      const response = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: key }),
      );
      return Buffer.from(await response.Body!.transformToByteArray());
    } catch (error) {
      // Deleted between listing and reading (retention running elsewhere): not a backup.
      if (errorName(error) === "NoSuchKey") return undefined;
      throw this.failure(`reading the manifest ${this.uriOf(key)}`, error);
    }
  }

  private async keysUnder(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let continuationToken: string | undefined;
    do {
      try {
        const page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: continuationToken,
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } catch (error) {
        throw this.failure(`listing ${this.uriOf(prefix)}`, error);
      }
    } while (continuationToken);
    return keys;
  }

  private listPrefix(filter: ListFilter): string {
    const segments = [this.prefix];
    if (filter.cluster) {
      segments.push(filter.cluster);
      if (filter.kind) segments.push(filter.kind);
    }
    const joined = segments.filter(Boolean).join("/");
    return joined ? `${joined}/` : "";
  }

  private locationFromManifestKey(key: string): BackupLocation | undefined {
    const relative = this.prefix ? key.slice(this.prefix.length + 1) : key;
    const [cluster, kind, timestamp, name, ...rest] = relative.split("/");
    const place = backupPlaceOf(cluster, kind, timestamp);
    if (rest.length > 0 || name !== MANIFEST_NAME || !place) return undefined;
    return this.locationOf(place.cluster, place.kind, place.timestamp);
  }

  private locationOf(cluster: string, kind: BackupKind, timestamp: string): BackupLocation {
    const location = { cluster, kind, timestamp, uri: "" };
    location.uri = this.uriOf(this.folderOf(location));
    return location;
  }

  private folderOf(location: Pick<BackupLocation, "cluster" | "kind" | "timestamp">): string {
    return [this.prefix, location.cluster, location.kind, location.timestamp]
      .filter(Boolean)
      .join("/");
  }

  private keyOf(location: BackupLocation, name: string): string {
    return `${this.folderOf(location)}/${name}`;
  }

  private uriOf(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  /** One sentence an operator can act on, for each way S3 says no. */
  private failure(action: string, error: unknown): Error {
    const name = errorName(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata
      ?.httpStatusCode;
    const networkCode = networkErrorCode(error);
    let message: string;
    if (name === "CredentialsProviderError") {
      message = `No S3 credentials were found for bucket "${this.bucket}" at ${this.endpointName} during the ${action}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or give the access key inputs), or run where an AWS profile or role provides them.`;
    } else if (name === "NoSuchBucket") {
      message = `S3 bucket "${this.bucket}" does not exist at ${this.endpointName}: create it, or correct the destination s3://${this.bucket}/${this.prefix}.`;
    } else if (
      name === "InvalidAccessKeyId" ||
      name === "SignatureDoesNotMatch" ||
      name === "AccessDenied" ||
      name === "InvalidToken" ||
      name === "ExpiredToken" ||
      status === 403
    ) {
      message = `${this.endpointName} refused the credentials for bucket "${this.bucket}" during the ${action} (${name}): check the access key and secret (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the inputs) and the bucket policy.`;
    } else if (networkCode) {
      message = `Cannot reach the S3 endpoint ${this.endpointName} for bucket "${this.bucket}" during the ${action} (${networkCode}): check the endpoint address and that the service is up and reachable from this runner.`;
    } else {
      message = `S3 ${action} at ${this.endpointName} failed: ${errorMessage(error)}`;
    }
    return new Error(message, { cause: error });
  }
}

function clientConfig(options: S3StoreOptions, region: string): S3ClientConfig {
  return {
    region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? Boolean(options.endpoint),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Checksums only where S3 demands them: the streaming checksum trailers the SDK sends
    // by default are not understood by many S3-compatible services, and the pipeline
    // hashes every byte itself anyway.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    // Fail fast on an endpoint that does not answer rather than hang the job,
    // and a connection that goes silent (120 s without a byte) counts as broken.
    requestHandler: { connectionTimeout: 10_000, requestTimeout: 120_000 },
    maxAttempts: 3,
  };
}

function checkPartSize(bytes: number): number {
  if (!Number.isInteger(bytes) || bytes < MIN_PART_SIZE) {
    throw new Error(
      `S3 part size ${bytes} is not valid: expected a whole number of bytes of at least ${MIN_PART_SIZE} (5 MiB, the S3 minimum).`,
    );
  }
  return bytes;
}

function checkQueueSize(parts: number): number {
  if (!Number.isInteger(parts) || parts < 1 || parts > 64) {
    throw new Error(
      `S3 upload queue size ${parts} is not valid: expected a whole number of parts from 1 to 64.`,
    );
  }
  return parts;
}

/**
 * One object's upload, part by part: a payload that fits in one part goes up as a plain
 * PutObject; a bigger one as a multipart upload, started with its first part. Each part
 * is sent as the Buffer it is, with its exact length, so the SDK neither copies nor
 * re-buffers it.
 */
class MultipartUpload {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly key: string;
  private uploadId: Promise<string> | undefined;
  private readonly etags: string[] = [];

  constructor(client: S3Client, bucket: string, key: string) {
    this.client = client;
    this.bucket = bucket;
    this.key = key;
  }

  async send(part: Part): Promise<void> {
    const { Bucket, Key } = { Bucket: this.bucket, Key: this.key };
    const body = { Body: part.data, ContentLength: part.data.length };
    if (part.number === 1 && part.last) {
      await this.client.send(new PutObjectCommand({ Bucket, Key, ...body }));
      return;
    }
    this.uploadId ??= this.client
      .send(new CreateMultipartUploadCommand({ Bucket, Key }))
      .then(({ UploadId }) => {
        if (!UploadId) throw new Error(`S3 started no multipart upload for ${Key}: no UploadId.`);
        return UploadId;
      });
    const UploadId = await this.uploadId;
    const { ETag } = await this.client.send(
      new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: part.number, ...body }),
    );
    if (!ETag) throw new Error(`S3 returned no ETag for part ${part.number} of ${Key}.`);
    this.etags[part.number - 1] = ETag;
  }

  async complete(): Promise<void> {
    if (!this.uploadId) return;
    await this.client.send(
      new CompleteMultipartUploadCommand({
        Bucket: this.bucket,
        Key: this.key,
        UploadId: await this.uploadId,
        MultipartUpload: {
          Parts: this.etags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })),
        },
      }),
    );
  }

  /** Best effort: the failure that led here is the one to report. */
  async abort(): Promise<void> {
    const UploadId = await this.uploadId?.catch(() => undefined);
    if (!UploadId) return;
    await this.client
      .send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId }))
      .catch(() => undefined);
  }
}

function errorName(error: unknown): string {
  return (error as { name?: string })?.name ?? "";
}

/** ECONNREFUSED and friends, wherever the SDK or Node tucked the code. */
function networkErrorCode(error: unknown): string | undefined {
  const candidates = [error, (error as { cause?: unknown })?.cause];
  for (const aggregate of candidates) {
    const nested = (aggregate as { errors?: unknown[] })?.errors;
    if (Array.isArray(nested)) candidates.push(...nested);
  }
  for (const candidate of candidates) {
    const code = (candidate as { code?: unknown })?.code;
    if (
      typeof code === "string" &&
      /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE)$/.test(
        code,
      )
    ) {
      return code;
    }
    const name = errorName(candidate);
    if (name === "TimeoutError") return "timed out";
  }
  return undefined;
}
