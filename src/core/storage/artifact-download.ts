/**
 * Downloads one raw (unzipped) artifact into a file, as @actions/artifact's
 * `downloadArtifact(id, { skipDecompress: true, findBy? })` does: the signed blob address
 * comes from the results service (this run: ListArtifacts, then GetSignedArtifactURL) or
 * from the REST API's redirect (another run, with a token that has `actions:read`).
 *
 * The difference is memory: the blob's bytes pass through the memory pacer on their way to
 * the file. @actions/artifact pipes the response straight into the file, and the spent
 * socket buffers piled up until V8 happened to collect them: a 1 GB restore peaked 40 MiB
 * above its upload.
 */
import { createWriteStream } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HashingStream } from "../crypto/hash.ts";
import { backendIdsFromToken, ResultsService } from "./artifact-upload.ts";
import { httpRequest } from "./http-request.ts";
import { createMemoryPacer } from "./memory-pacer.ts";

export interface ArtifactFileDownload {
  id: number;
  name: string;
  /** Where the artifact's bytes are written (a new file). */
  file: string;
  /** Another run's artifact, read through the REST API. */
  findBy?: { token: string; repositoryOwner: string; repositoryName: string };
}

const ATTEMPTS = 5;
const RETRY_DELAY_MS = 5000;

/** Writes the artifact into `download.file`; resolves with its size and sha256 (hex). */
export async function downloadArtifactFile(
  download: ArtifactFileDownload,
): Promise<{ bytes: number; sha256: string }> {
  const signedUrl = download.findBy
    ? await redirectOf(download.id, download.findBy)
    : await signedUrlInThisRun(download.id);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetchInto(signedUrl, download.file);
    } catch (error) {
      if (attempt === ATTEMPTS) {
        throw new Error(
          `The blob of artifact ${download.name} could not be read after ${ATTEMPTS} attempts: ${messageOf(error)}`,
          { cause: error },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
}

async function signedUrlInThisRun(id: number): Promise<string> {
  const results = new ResultsService();
  const { runBackendId, jobBackendId } = backendIdsFromToken(results.token);
  const listed = await results.call("ListArtifacts", {
    workflow_run_backend_id: runBackendId,
    workflow_job_run_backend_id: jobBackendId,
    id_filter: String(id),
  });
  const [artifact] = (listed.artifacts ?? []) as Array<Record<string, string>>;
  if (!artifact) throw new Error(`No artifact with id ${id} in this workflow run.`);
  const signed = await results.call("GetSignedArtifactURL", {
    workflow_run_backend_id: artifact.workflow_run_backend_id,
    workflow_job_run_backend_id: artifact.workflow_job_run_backend_id,
    name: artifact.name,
  });
  if (typeof signed.signed_url !== "string") {
    throw new Error(`GetSignedArtifactURL gave no address for artifact ${artifact.name}.`);
  }
  return signed.signed_url;
}

/** The REST API answers a download with a redirect to the signed blob address. */
async function redirectOf(
  id: number,
  run: NonNullable<ArtifactFileDownload["findBy"]>,
): Promise<string> {
  const api = (process.env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, "");
  const url = `${api}/repos/${encodeURIComponent(run.repositoryOwner)}/${encodeURIComponent(run.repositoryName)}/actions/artifacts/${id}/zip`;
  const answer = await httpRequest(url, {
    method: "GET",
    headers: {
      Authorization: `Bearer ${run.token}`,
      Accept: "application/vnd.github+json",
      "User-Agent": "etcd-backup-actions",
    },
  });
  const location = answer.headers.location;
  if (answer.status !== 302 || !location) {
    throw new Error(
      `The GitHub API answered the download of artifact ${id} with HTTP ${answer.status}, not a redirect to the artifact.`,
    );
  }
  return location;
}

/** GETs the blob into a new file through the memory pacer, counting and hashing it. */
async function fetchInto(url: string, file: string): Promise<{ bytes: number; sha256: string }> {
  const response = await get(url);
  if (response.statusCode !== 200) {
    response.resume();
    throw new Error(`blob storage answered HTTP ${response.statusCode}`);
  }
  const meter = new HashingStream();
  await pipeline(response, createMemoryPacer(), meter, createWriteStream(file, { mode: 0o600 }));
  return meter.digest();
}

function get(url: string): Promise<http.IncomingMessage & Readable> {
  const client = new URL(url).protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(url, resolve);
    request.once("error", reject);
    // A blob store that stops sending for a minute is broken, not slow.
    request.setTimeout(60_000, () => request.destroy(new Error("no data for 60 s")));
  });
}

function messageOf(error: unknown): string {
  const code = (error as { code?: string })?.code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${message} (${code})` : message;
}
