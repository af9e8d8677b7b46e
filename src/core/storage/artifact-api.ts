/**
 * Listing and deleting artifacts, as @actions/artifact's `listArtifacts({ latest: true })`
 * and `deleteArtifact(name)` do: through the results service (ACTIONS_RUNTIME_TOKEN) for
 * the current run, through the REST API with a token (`actions:read`, and `actions:write`
 * to delete) for another run. Spoken directly rather than through @actions/artifact, whose
 * code (with Octokit and the Azure SDK) weighs ~30 MiB in memory, a quarter of the bound a
 * backup or restore keeps to (test/storage/large.test.ts).
 */
import { backendIdsFromToken, ResultsService } from "./artifact-upload.ts";
import { httpRequest } from "./http-request.ts";

export interface ListedArtifact {
  id: number;
  name: string;
  size: number;
  /** `sha256:<hex>` as recorded at upload, when it was. */
  digest?: string;
}

/** Another workflow run, reached through the REST API. */
export interface ArtifactsOfRun {
  token: string;
  workflowRunId: number;
  repositoryOwner: string;
  repositoryName: string;
}

const PAGE_SIZE = 100;
// @actions/artifact's default cap (ACTIONS_ARTIFACT_MAX_ARTIFACT_COUNT), a guard against rate limits.
const MAX_LISTED = 1000;
const API_ATTEMPTS = 3;
const API_RETRY_MS = 2000;

/** The artifacts of this run or of `run`; of several with one name, only the newest. */
export async function listArtifacts(run?: ArtifactsOfRun): Promise<ListedArtifact[]> {
  return newestOfEachName(run ? await listOfRun(run) : await listOfThisRun());
}

/** Deletes the (newest) artifact called `name` from this run or from `run`. */
export async function deleteArtifact(name: string, run?: ArtifactsOfRun): Promise<void> {
  if (!run) {
    const results = new ResultsService();
    const { runBackendId, jobBackendId } = backendIdsFromToken(results.token);
    await results.call("DeleteArtifact", {
      workflow_run_backend_id: runBackendId,
      workflow_job_run_backend_id: jobBackendId,
      name,
    });
    return;
  }
  const artifact = (await listArtifacts(run)).find((candidate) => candidate.name === name);
  if (!artifact) {
    throw new Error(`No artifact named ${name} in run ${run.workflowRunId}.`);
  }
  await restCall(run, "DELETE", `/actions/artifacts/${artifact.id}`);
}

async function listOfThisRun(): Promise<ListedArtifact[]> {
  const results = new ResultsService();
  const { runBackendId, jobBackendId } = backendIdsFromToken(results.token);
  const listed = await results.call("ListArtifacts", {
    workflow_run_backend_id: runBackendId,
    workflow_job_run_backend_id: jobBackendId,
  });
  return ((listed.artifacts ?? []) as Array<Record<string, unknown>>).map((artifact) => ({
    id: Number(artifact.database_id),
    name: String(artifact.name),
    size: Number(artifact.size ?? 0),
    ...(typeof artifact.digest === "string" ? { digest: artifact.digest } : {}),
  }));
}

async function listOfRun(run: ArtifactsOfRun): Promise<ListedArtifact[]> {
  const artifacts: ListedArtifact[] = [];
  for (let page = 1; artifacts.length < MAX_LISTED; page++) {
    const answer = (await restCall(
      run,
      "GET",
      `/actions/runs/${run.workflowRunId}/artifacts?per_page=${PAGE_SIZE}&page=${page}`,
    )) as { artifacts?: Array<Record<string, unknown>> };
    const batch = answer.artifacts ?? [];
    for (const artifact of batch) {
      artifacts.push({
        id: Number(artifact.id),
        name: String(artifact.name),
        size: Number(artifact.size_in_bytes ?? 0),
        ...(typeof artifact.digest === "string" ? { digest: artifact.digest } : {}),
      });
    }
    if (batch.length < PAGE_SIZE) break;
  }
  return artifacts;
}

/** One REST call under /repos/<owner>/<name>, tried again on 429 and 5xx answers. */
async function restCall(run: ArtifactsOfRun, method: string, route: string): Promise<unknown> {
  const api = (process.env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, "");
  const url = `${api}/repos/${encodeURIComponent(run.repositoryOwner)}/${encodeURIComponent(run.repositoryName)}${route}`;
  for (let attempt = 1; ; attempt++) {
    const answer = await httpRequest(url, {
      method,
      headers: {
        Authorization: `Bearer ${run.token}`,
        Accept: "application/vnd.github+json",
        "User-Agent": "etcd-backup-actions",
      },
    }).catch((error: unknown) => {
      throw new Error(`${method} ${api}${route} failed: ${(error as Error).message}`, {
        cause: error,
      });
    });
    const { status, text } = answer;
    if (status >= 200 && status < 300) return text ? (JSON.parse(text) as unknown) : undefined;
    if (!(status === 429 || status >= 500) || attempt === API_ATTEMPTS) {
      let message = text.slice(0, 300);
      try {
        message = String((JSON.parse(text) as { message?: unknown }).message ?? message);
      } catch {
        // Not JSON: the text as it came.
      }
      throw new Error(`The GitHub API answered ${method} ${route} with HTTP ${status}: ${message}`);
    }
    await new Promise((resolve) => setTimeout(resolve, API_RETRY_MS * attempt));
  }
}

/** Of the artifacts that share a name (uploaded again), the newest, as `latest: true` keeps. */
function newestOfEachName(artifacts: ListedArtifact[]): ListedArtifact[] {
  const newest = new Map<string, ListedArtifact>();
  for (const artifact of artifacts) {
    const kept = newest.get(artifact.name);
    if (!kept || artifact.id > kept.id) newest.set(artifact.name, artifact);
  }
  return [...newest.values()];
}
