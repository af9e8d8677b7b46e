/**
 * Uploads one file as an artifact of the current workflow run without a zip layer, as
 * @actions/artifact's `uploadArtifact(name, [file], dir, { skipArchive: true })` does: the
 * same results-service calls (CreateArtifact with the file's name and MIME type,
 * FinalizeArtifact with its size and sha256) and the same blob, so @actions/artifact lists,
 * downloads and deletes it as one of its own.
 *
 * The difference is the blob upload. @actions/artifact streams the file through
 * @azure/storage-blob's uploadStream with 8 MiB buffers, five at once, plus 8 MiB stream
 * buffers, all fresh for each block: a 1 GB backup peaked at 215-250 MiB. Here each block
 * is read from the file straight into one of a few reused buffers and staged as it is
 * (Put Block), then the block list is committed (Put Block List).
 */
import { createHash } from "node:crypto";
import { open } from "node:fs/promises";
import path from "node:path";
import { httpRequest } from "./http-request.ts";
import { PartBufferPool } from "./part-uploader.ts";

export interface ArtifactFileUpload {
  /** The artifact's name, which is also the file's name inside it. */
  name: string;
  file: string;
  /** Days until the artifact expires; the repository's default when unset. */
  retentionDays?: number;
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

const SERVICE = "github.actions.results.api.v1.ArtifactService";
// The artifact version @actions/artifact 6.x creates; it tells the service how to serve it.
const ARTIFACT_VERSION = 7;
const DEFAULT_BLOCK_SIZE = 4 * 1024 * 1024;
const DEFAULT_BLOCKS_IN_FLIGHT = 3;
const TWIRP_ATTEMPTS = 5;
const TWIRP_FIRST_RETRY_MS = 3000;
const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);
// A Blob service version every Azure storage account and Azurite serve.
const BLOB_API_VERSION = "2023-11-03";
const BLOB_ATTEMPTS = 3;
const BLOB_RETRY_MS = 2000;

export async function uploadArtifactFile(upload: ArtifactFileUpload): Promise<UploadedArtifact> {
  const results = new ResultsService();
  const { runBackendId, jobBackendId } = backendIdsFromToken(results.token);
  const ids = { workflow_run_backend_id: runBackendId, workflow_job_run_backend_id: jobBackendId };
  const contentType = mimeTypeOf(upload.name);
  const expiresAt = expiryOf(upload.retentionDays);
  const created = await results.call("CreateArtifact", {
    ...ids,
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
    ...ids,
    name: upload.name,
    size: String(sent.bytes),
    hash: `sha256:${sent.sha256}`,
  });
  if (finalized.ok !== true) {
    throw new Error(`FinalizeArtifact did not confirm the artifact: ${JSON.stringify(finalized)}`);
  }
  return { id: Number(finalized.artifact_id), ...sent };
}

/** Sends the file in blocks through reused buffers; a file of one block goes up in one request. */
async function uploadBlob(
  blob: SignedBlockBlob,
  upload: ArtifactFileUpload,
): Promise<{ bytes: number; sha256: string }> {
  const blockSize = upload.blockSizeBytes ?? DEFAULT_BLOCK_SIZE;
  const pool = new PartBufferPool(blockSize, upload.blocksInFlight ?? DEFAULT_BLOCKS_IN_FLIGHT);
  const hash = createHash("sha256");
  const file = await open(upload.file, "r");
  const sending = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const blockIds: string[] = [];
  let bytes = 0;
  try {
    const { size } = await file.stat();
    if (size <= blockSize) {
      const data = await readBlock(file, Buffer.allocUnsafe(size), size, 0);
      hash.update(data);
      await blob.putBlob(data);
      return { bytes: size, sha256: hash.digest("hex") };
    }
    while (bytes < size) {
      let buffer = pool.take();
      while (!buffer && !failure) {
        await Promise.race(sending);
        buffer = pool.take();
      }
      if (failure) throw failure.error;
      const data = await readBlock(file, buffer!, Math.min(blockSize, size - bytes), bytes);
      hash.update(data);
      bytes += data.length;
      const blockId = blockIdOf(blockIds.length);
      blockIds.push(blockId);
      const staged: Promise<void> = blob
        .putBlock(blockId, data)
        .then(
          () => pool.release(buffer!),
          (error: unknown) => {
            failure ??= { error };
          },
        )
        .finally(() => sending.delete(staged));
      sending.add(staged);
    }
    await Promise.all(sending);
    if (failure) throw failure.error;
    await blob.putBlockList(blockIds);
    return { bytes, sha256: hash.digest("hex") };
  } finally {
    await Promise.allSettled(sending);
    await file.close();
  }
}

/** Reads exactly `length` bytes at `position` into the start of `buffer`. */
async function readBlock(
  file: Awaited<ReturnType<typeof open>>,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<Buffer> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new Error(
        `The staged file ended at ${position + filled} bytes, before the ${position + length} it had when the upload started.`,
      );
    }
    filled += bytesRead;
  }
  return buffer.subarray(0, length);
}

/**
 * The three Blob service requests an upload needs, on a signed (SAS) address: Put Blob for
 * a small file, Put Block and Put Block List for a big one. Plain HTTP rather than
 * @azure/storage-blob, whose code alone weighs ~15 MiB in memory; each body is sent as the
 * Buffer it is.
 */
class SignedBlockBlob {
  private readonly url: string;
  private readonly contentType: string;

  constructor(signedUrl: string, contentType: string) {
    this.url = signedUrl;
    this.contentType = contentType;
  }

  putBlob(data: Buffer): Promise<void> {
    return this.put("", data, {
      "x-ms-blob-type": "BlockBlob",
      "x-ms-blob-content-type": this.contentType,
    });
  }

  putBlock(blockId: string, data: Buffer): Promise<void> {
    return this.put(`comp=block&blockid=${encodeURIComponent(blockId)}`, data, {});
  }

  putBlockList(blockIds: string[]): Promise<void> {
    const latest = blockIds.map((id) => `<Latest>${id}</Latest>`).join("");
    const body = `<?xml version="1.0" encoding="utf-8"?><BlockList>${latest}</BlockList>`;
    return this.put("comp=blocklist", Buffer.from(body), {
      "Content-Type": "application/xml",
      "x-ms-blob-content-type": this.contentType,
    });
  }

  /** One PUT, tried again after a network error or a 5xx answer (the body is still here). */
  private async put(query: string, body: Buffer, headers: Record<string, string>): Promise<void> {
    const url = new URL(this.url);
    if (query) url.search = `${url.search}&${query}`;
    for (let attempt = 1; ; attempt++) {
      try {
        await putOnce(url, body, { ...headers, "x-ms-version": BLOB_API_VERSION });
        return;
      } catch (error) {
        const status = (error as { status?: number }).status;
        if (attempt === BLOB_ATTEMPTS || (status !== undefined && status < 500)) throw error;
        await new Promise((resolve) => setTimeout(resolve, BLOB_RETRY_MS * attempt));
      }
    }
  }
}

async function putOnce(url: URL, body: Buffer, headers: Record<string, string>): Promise<void> {
  const {
    status,
    headers: answerHeaders,
    text,
  } = await httpRequest(url, {
    method: "PUT",
    headers,
    body,
  });
  if (status >= 200 && status < 300) return;
  const code = answerHeaders["x-ms-error-code"] ?? "";
  throw Object.assign(
    new Error(`blob storage answered HTTP ${status} ${code}: ${text.slice(0, 300)}`.trim()),
    { status },
  );
}

/** Block ids must all have the same length: the block's index, zero-padded, in base64. */
function blockIdOf(index: number): string {
  return Buffer.from(`block-${String(index).padStart(6, "0")}`).toString("base64");
}

/** The results service's Twirp API, as @actions/artifact calls it (JSON, proto field names). */
export class ResultsService {
  readonly token: string;
  private readonly origin: string;

  constructor() {
    const token = process.env.ACTIONS_RUNTIME_TOKEN;
    const resultsUrl = process.env.ACTIONS_RESULTS_URL;
    if (!token || !resultsUrl) {
      throw new Error("ACTIONS_RUNTIME_TOKEN or ACTIONS_RESULTS_URL is not set.");
    }
    this.token = token;
    this.origin = new URL(resultsUrl).origin;
  }

  /** One call, retried on 429 and 5xx answers as @actions/artifact retries them. */
  async call(method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const url = `${this.origin}/twirp/${SERVICE}/${method}`;
    for (let attempt = 1; ; attempt++) {
      const answer = await httpRequest(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
        body: JSON.stringify(body),
      }).catch((error: unknown) => {
        throw new Error(`${method} at ${this.origin} failed: ${messageOf(error)}`, {
          cause: error,
        });
      });
      if (answer.status >= 200 && answer.status < 300) {
        return JSON.parse(answer.text) as Record<string, unknown>;
      }
      const failure = `${method} at ${this.origin} failed with HTTP ${answer.status}: ${answer.text.slice(0, 300)}`;
      if (!RETRIED_STATUSES.has(answer.status) || attempt === TWIRP_ATTEMPTS) {
        throw new Error(failure);
      }
      await new Promise((resolve) =>
        setTimeout(resolve, TWIRP_FIRST_RETRY_MS * 1.5 ** (attempt - 1)),
      );
    }
  }
}

/** The run and job ids in the runtime token's `Actions.Results:<run>:<job>` scope. */
export function backendIdsFromToken(token: string): { runBackendId: string; jobBackendId: string } {
  let scopes = "";
  try {
    const payload = token.split(".")[1] ?? "";
    scopes = String(
      (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { scp?: unknown }).scp ??
        "",
    );
  } catch {
    // Reported below with what was expected.
  }
  for (const scope of scopes.split(" ")) {
    const [name, runBackendId, jobBackendId, ...rest] = scope.split(":");
    if (name === "Actions.Results" && runBackendId && jobBackendId && rest.length === 0) {
      return { runBackendId, jobBackendId };
    }
  }
  throw new Error(
    "ACTIONS_RUNTIME_TOKEN is not a runtime token of a job: expected a JWT whose scp claim has Actions.Results:<run id>:<job id>.",
  );
}

/** RFC 3339 expiry, capped by the repository's maximum (GITHUB_RETENTION_DAYS) as @actions/artifact caps it. */
function expiryOf(retentionDays: number | undefined): string | undefined {
  if (!retentionDays) return undefined;
  const maximum = Number.parseInt(process.env.GITHUB_RETENTION_DAYS ?? "", 10);
  const days = Number.isNaN(maximum) ? retentionDays : Math.min(retentionDays, maximum);
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

function messageOf(error: unknown): string {
  const code = (error as { code?: string })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
