/**
 * Uploads one file as an artifact of the current workflow run without a zip layer, as
 * @actions/artifact's `uploadArtifact(name, [file], dir, { skipArchive: true })` does: the
 * same results-service calls (CreateArtifact with the file's name and MIME type,
 * FinalizeArtifact with its size and sha256) and the same blob, so @actions/artifact lists,
 * downloads and deletes it as one of its own.
 *
 * The blob goes up in blocks read from the file into a few reused buffers (part-uploader.ts),
 * each staged as it is (Put Block), then the block list is committed (Put Block List): memory
 * stays flat whatever the file's size, which @azure/storage-blob's uploadStream, with fresh
 * buffers for every block, does not.
 */
import { createHash, randomUUID } from "node:crypto";
import path from "node:path";
import { ARTIFACT_USER_AGENT, type ResultsService } from "./artifact-api.ts";
import { HttpStatusError, statusOf, withRetries } from "./backend-kit.ts";
import { httpRequest } from "./http-request.ts";
import { type Part, uploadFileInParts } from "./part-uploader.ts";

export interface ArtifactFileUpload {
  /** The artifact's name, which is also the file's name inside it. */
  name: string;
  file: string;
  /** Days until the artifact expires; the repository's default when unset. */
  retentionDays?: number;
  /** The repository's longest retention (GITHUB_RETENTION_DAYS), which caps retentionDays. */
  maxRetentionDays?: number;
  /** Default 4 MiB. */
  blockSizeBytes?: number;
  /** Blocks being sent at once (one buffer each); default 3. */
  blocksInFlight?: number;
}

export interface UploadedArtifact {
  id: number;
  bytes: number;
  /** sha256 (hex) of the bytes that were read from the file and sent. */
  sha256: string;
}

// The artifact version @actions/artifact 6.x creates; it tells the service how to serve it.
const ARTIFACT_VERSION = 7;
const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;
const DEFAULT_BLOCKS_IN_FLIGHT = 3;
// The Blob service version @azure/storage-blob 12.32 (inside @actions/artifact 6.2) speaks.
const BLOB_API_VERSION = "2026-04-06";
// A network failure or a 5xx is worth another try: the block is still in its buffer.
const BLOB_RETRIES = {
  attempts: 3,
  delayMs: (attempt: number) => 2000 * attempt,
  retryable: (error: unknown) => (statusOf(error) ?? 500) >= 500,
};

export async function uploadArtifactFile(
  results: ResultsService,
  upload: ArtifactFileUpload,
): Promise<UploadedArtifact> {
  const contentType = mimeTypeOf(upload.name);
  const expiresAt = expiryOf(upload.retentionDays, upload.maxRetentionDays);
  const created = await results.call("CreateArtifact", {
    ...results.ids,
    name: upload.name,
    mime_type: contentType,
    version: ARTIFACT_VERSION,
    ...(expiresAt ? { expires_at: expiresAt } : {}),
  });
  const signedUrl = created.signed_upload_url;
  if (created.ok !== true || typeof signedUrl !== "string") {
    throw new Error(
      `CreateArtifact answered without an upload address: ${JSON.stringify(created)}`,
    );
  }
  const sent = await uploadBlob(new SignedBlockBlob(signedUrl, contentType), upload);
  const finalized = await results.call("FinalizeArtifact", {
    ...results.ids,
    name: upload.name,
    size: String(sent.bytes),
    hash: `sha256:${sent.sha256}`,
  });
  if (finalized.ok !== true) {
    throw new Error(`FinalizeArtifact did not confirm the artifact: ${JSON.stringify(finalized)}`);
  }
  return { id: Number(finalized.artifact_id), ...sent };
}

/** Sends the file in blocks and commits them, as @azure/storage-blob's uploadStream does (even for one block). */
async function uploadBlob(
  blob: SignedBlockBlob,
  upload: ArtifactFileUpload,
): Promise<{ bytes: number; sha256: string }> {
  // Parts are handed over in the file's order, so hashing them as they go hashes the file.
  const hash = createHash("sha256");
  const blockIds: string[] = [];
  const sendPart = (part: Part): Promise<void> => {
    hash.update(part.data);
    const blockId = blockIdOf(blockIds.length);
    blockIds.push(blockId);
    return blob.putBlock(blockId, part.data);
  };
  const { bytes } = await uploadFileInParts(upload.file, {
    partSizeBytes: upload.blockSizeBytes ?? DEFAULT_BLOCK_SIZE,
    partsInFlight: upload.blocksInFlight ?? DEFAULT_BLOCKS_IN_FLIGHT,
    sendPart,
  });
  await blob.putBlockList(blockIds);
  return { bytes, sha256: hash.digest("hex") };
}

/**
 * The two Blob service requests an upload needs, on a signed (SAS) address: Put Block for
 * each block, then Put Block List, with the headers @azure/storage-blob sends. Plain HTTP
 * rather than that SDK, whose code alone weighs ~15 MiB in memory; each body is sent as
 * the Buffer it is.
 */
class SignedBlockBlob {
  private readonly url: string;
  private readonly contentType: string;

  constructor(signedUrl: string, contentType: string) {
    this.url = signedUrl;
    this.contentType = contentType;
  }

  putBlock(blockId: string, data: Buffer): Promise<void> {
    return this.put(`comp=block&blockid=${encodeURIComponent(blockId)}`, data, {
      "Content-Type": "application/octet-stream",
    });
  }

  putBlockList(blockIds: string[]): Promise<void> {
    const latest = blockIds.map((id) => `<Latest>${id}</Latest>`).join("");
    const body = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><BlockList>${latest}</BlockList>`;
    return this.put("comp=blocklist", Buffer.from(body), {
      "Content-Type": "application/xml",
      "x-ms-blob-content-type": this.contentType,
    });
  }

  /** One PUT, tried again after a network error or a 5xx answer (the body is still here). */
  private put(query: string, body: Buffer, headers: Record<string, string>): Promise<void> {
    const url = new URL(this.url);
    if (query) url.search = `${url.search}&${query}`;
    return withRetries(BLOB_RETRIES, () =>
      putOnce(url, body, {
        ...headers,
        Accept: "application/xml",
        "x-ms-version": BLOB_API_VERSION,
        "User-Agent": ARTIFACT_USER_AGENT,
        // Names the attempt in Azure's logs, should support ever need to trace one.
        "x-ms-client-request-id": randomUUID(),
      }),
    );
  }
}

async function putOnce(url: URL, body: Buffer, headers: Record<string, string>): Promise<void> {
  const answer = await httpRequest(url, { method: "PUT", headers, body });
  if (answer.status >= 200 && answer.status < 300) return;
  const code = answer.headers["x-ms-error-code"] ?? "";
  throw new HttpStatusError(
    `blob storage answered HTTP ${answer.status} ${code}: ${answer.text.slice(0, 300)}`.trim(),
    answer.status,
  );
}

/** Block ids must all have the same length: the block's index, zero-padded, in base64. */
function blockIdOf(index: number): string {
  return Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");
}

/** RFC 3339 expiry, capped by the repository's maximum as @actions/artifact caps it. */
function expiryOf(
  retentionDays: number | undefined,
  maximum: number | undefined,
): string | undefined {
  if (!retentionDays) return undefined;
  const days = maximum === undefined ? retentionDays : Math.min(retentionDays, maximum);
  const expiry = new Date();
  expiry.setDate(expiry.getDate() + days);
  return expiry.toISOString();
}

/** The MIME type @actions/artifact gives a file of this name (its table, for our extensions). */
function mimeTypeOf(name: string): string {
  const types: Record<string, string> = {
    ".json": "application/json",
    ".gz": "application/gzip",
    ".zip": "application/zip",
    ".txt": "text/plain",
  };
  return types[path.extname(name).toLowerCase()] ?? "application/octet-stream";
}
