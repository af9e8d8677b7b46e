/**
 * Downloads one raw (unzipped) artifact into a file, as @actions/artifact's
 * `downloadArtifact(id, { skipDecompress: true, findBy? })` does: the signed blob address
 * comes from the results service (this run: ListArtifacts, then GetSignedArtifactURL) or
 * from the REST API's redirect (another run, with a token that has `actions:read`).
 *
 * The blob's bytes pass through the memory pacer on their way to the file, so spent socket
 * buffers are freed as they go rather than whenever V8 happens to collect.
 */
import { createWriteStream } from "node:fs";
import http from "node:http";
import https from "node:https";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HashingStream } from "../crypto/hash.ts";
import {
  ARTIFACT_USER_AGENT,
  RepositoryApi,
  type ArtifactSource,
  type ResultsService,
} from "./artifact-api.ts";
import { networkErrorMessage, withRetries } from "./backend-kit.ts";
import { createMemoryPacer } from "./memory-pacer.ts";

export interface ArtifactFileDownload {
  id: number;
  name: string;
  /** Where the artifact's bytes are written (a new file). */
  file: string;
}

// As @actions/artifact: five attempts, five seconds apart.
const BLOB_READ_RETRIES = { attempts: 5, delayMs: () => 5000 };

/** Writes the artifact into `download.file`; resolves with its size and sha256 (hex). */
export async function downloadArtifactFile(
  source: ArtifactSource,
  download: ArtifactFileDownload,
): Promise<{ bytes: number; sha256: string }> {
  const signedUrl =
    source instanceof RepositoryApi
      ? await source.redirect(`/actions/artifacts/${download.id}/zip`)
      : await signedUrlInThisRun(source, download.id);
  return withRetries(BLOB_READ_RETRIES, () => fetchInto(signedUrl, download.file)).catch(
    (error: unknown) => {
      throw new Error(
        `The blob of artifact ${download.name} could not be read after ${BLOB_READ_RETRIES.attempts} attempts: ${networkErrorMessage(error)}`,
        { cause: error },
      );
    },
  );
}

async function signedUrlInThisRun(results: ResultsService, id: number): Promise<string> {
  const listed = await results.call("ListArtifacts", { ...results.ids, id_filter: String(id) });
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
    const request = client.get(url, { headers: { "User-Agent": ARTIFACT_USER_AGENT } }, resolve);
    request.once("error", reject);
    // A blob store that stops sending for a minute is broken, not slow.
    request.setTimeout(60_000, () => request.destroy(new Error("no data for 60 s")));
  });
}
