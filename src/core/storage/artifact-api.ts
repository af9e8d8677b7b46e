/**
 * The two GitHub APIs artifacts are reached through, spoken as @actions/artifact speaks
 * them (test/storage/artifact-protocol.test.ts compares the requests):
 * - the results service (Twirp, with the job's ACTIONS_RUNTIME_TOKEN) for this run's
 *   artifacts: create, finalize, list, sign a download, delete;
 * - the REST API (a token with `actions:read`, and `actions:write` to delete) for another
 *   run's artifacts, or every run's of a repository.
 * Plain HTTP through http-request.ts rather than @actions/artifact: its code (with Octokit
 * and the Azure SDK) weighs ~30 MiB in memory, a quarter of the bound a backup keeps to.
 */
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";
import type { ArtifactRuntime } from "../run-context.ts";
import {
  HttpStatusError,
  isBusyAnswer,
  networkErrorMessage,
  statusOf,
  withRetries,
} from "./backend-kit.ts";
import { httpRequest } from "./http-request.ts";

export interface ListedArtifact {
  id: number;
  name: string;
  size: number;
  /** `sha256:<hex>` as recorded at upload, when it was. */
  digest?: string;
}

/** A repository reached through the REST API, and optionally one workflow run of it. */
export interface RepositoryAccess {
  /** A token with `actions:read` on the repository (GITHUB_TOKEN or a fine-grained PAT). */
  token: string;
  repositoryOwner: string;
  repositoryName: string;
  /** The run whose artifacts to read; every run of the repository when unset. */
  workflowRunId?: number;
}

const SERVICE = "github.actions.results.api.v1.ArtifactService";
/** Who is calling, in every request to GitHub and the blob store (as @actions/artifact names itself). */
export const ARTIFACT_USER_AGENT = `${TOOL_NAME}/${TOOL_VERSION}`;
// As @actions/artifact's Twirp client: these statuses, 5 attempts, 3 s growing 1.5 times.
const TWIRP_RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);
const TWIRP_RETRIES = { attempts: 5, delayMs: (attempt: number) => 3000 * 1.5 ** (attempt - 1) };
const REST_RETRIES = { attempts: 3, delayMs: (attempt: number) => 2000 * attempt };
const PAGE_SIZE = 100;
// @actions/artifact's default cap (ACTIONS_ARTIFACT_MAX_ARTIFACT_COUNT), a guard against rate limits.
const MAX_LISTED = 1000;

/** The results service's Twirp API, as @actions/artifact calls it (JSON, proto field names). */
export class ResultsService {
  /** The run and job this token belongs to, as every call names them. */
  readonly ids: { workflow_run_backend_id: string; workflow_job_run_backend_id: string };
  private readonly token: string;
  private readonly origin: string;

  constructor(runtime: ArtifactRuntime | undefined) {
    if (!runtime) throw new Error("ACTIONS_RUNTIME_TOKEN or ACTIONS_RESULTS_URL is not set.");
    this.token = runtime.runtimeToken;
    this.origin = new URL(runtime.resultsUrl).origin;
    const { runBackendId, jobBackendId } = backendIdsFromToken(runtime.runtimeToken);
    this.ids = { workflow_run_backend_id: runBackendId, workflow_job_run_backend_id: jobBackendId };
  }

  /** One call, tried again on the answers @actions/artifact tries again. */
  call(method: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const url = `${this.origin}/twirp/${SERVICE}/${method}`;
    const retryable = (error: unknown) => TWIRP_RETRIED_STATUSES.has(statusOf(error) ?? 0);
    return withRetries({ ...TWIRP_RETRIES, retryable }, async () => {
      const answer = await httpRequest(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "User-Agent": ARTIFACT_USER_AGENT,
          Authorization: `Bearer ${this.token}`,
        },
        body: JSON.stringify(body),
      }).catch((error: unknown) => {
        throw new Error(`${method} at ${this.origin} failed: ${networkErrorMessage(error)}`, {
          cause: error,
        });
      });
      if (answer.status >= 200 && answer.status < 300) {
        return JSON.parse(answer.text) as Record<string, unknown>;
      }
      throw new HttpStatusError(
        `${method} at ${this.origin} failed with HTTP ${answer.status}: ${answer.text.slice(0, 300)}`,
        answer.status,
      );
    });
  }
}

/** The REST API under /repos/<owner>/<name>, with a token. */
export class RepositoryApi {
  readonly access: RepositoryAccess;
  private readonly apiUrl: string;

  constructor(apiUrl: string, access: RepositoryAccess) {
    this.apiUrl = apiUrl.replace(/\/+$/, "");
    this.access = access;
  }

  /** One call, tried again on 429 and 5xx answers; resolves with the parsed JSON answer. */
  async call(method: string, route: string): Promise<unknown> {
    const answer = await this.send(method, route);
    if (answer.status >= 200 && answer.status < 300) {
      return answer.text ? (JSON.parse(answer.text) as unknown) : undefined;
    }
    throw this.refusal(method, route, answer);
  }

  /** The address a 302 answer sends to (a download's signed blob URL). */
  async redirect(route: string): Promise<string> {
    const answer = await this.send("GET", route);
    const location = answer.headers.location;
    if (answer.status !== 302 || !location) {
      throw new Error(
        `The GitHub API answered GET ${route} with HTTP ${answer.status}, not a redirect to the artifact.`,
      );
    }
    return location;
  }

  private send(method: string, route: string) {
    const url = `${this.apiUrl}/repos/${encodeURIComponent(this.access.repositoryOwner)}/${encodeURIComponent(this.access.repositoryName)}${route}`;
    return withRetries({ ...REST_RETRIES, retryable: isBusyAnswer }, async () => {
      const answer = await httpRequest(url, {
        method,
        // As Octokit sends them for @actions/artifact.
        headers: {
          Authorization: `token ${this.access.token}`,
          Accept: "application/vnd.github.v3+json",
          "User-Agent": ARTIFACT_USER_AGENT,
        },
      }).catch((error: unknown) => {
        throw new Error(`${method} ${this.apiUrl}${route} failed: ${networkErrorMessage(error)}`, {
          cause: error,
        });
      });
      if (answer.status === 429 || answer.status >= 500) {
        throw this.refusal(method, route, answer);
      }
      return answer;
    });
  }

  private refusal(method: string, route: string, answer: { status: number; text: string }) {
    let message = answer.text.slice(0, 300);
    try {
      message = String((JSON.parse(answer.text) as { message?: unknown }).message ?? message);
    } catch {
      // Not JSON: the text as it came.
    }
    return new HttpStatusError(
      `The GitHub API answered ${method} ${route} with HTTP ${answer.status}: ${message}`,
      answer.status,
    );
  }
}

/** Where artifacts are listed and deleted: this run (results service) or through the REST API. */
export type ArtifactSource = ResultsService | RepositoryApi;

/** The artifacts of the source; of several with one name, only the newest. */
export async function listArtifacts(source: ArtifactSource): Promise<ListedArtifact[]> {
  if (source instanceof ResultsService) return newestOfEachName(await listOfThisRun(source));
  return newestOfEachName(await listThroughRest(source));
}

/** Deletes the newest artifact called `name`, found by name first as @actions/artifact does. */
export async function deleteArtifact(name: string, source: ArtifactSource): Promise<void> {
  if (source instanceof ResultsService) {
    const listed = await source.call("ListArtifacts", { ...source.ids, name_filter: name });
    const [newest] = ((listed.artifacts ?? []) as Array<Record<string, unknown>>).sort(
      (a, b) => Number(b.database_id) - Number(a.database_id),
    );
    if (!newest) throw new Error(`No artifact named ${name} in this workflow run.`);
    await source.call("DeleteArtifact", {
      workflow_run_backend_id: newest.workflow_run_backend_id,
      workflow_job_run_backend_id: newest.workflow_job_run_backend_id,
      name: newest.name,
    });
    return;
  }
  const [artifact] = await artifactsNamed(source, name);
  if (!artifact) {
    throw new Error(`No artifact named ${name} in ${describeAccess(source.access)}.`);
  }
  await source.call("DELETE", `/actions/artifacts/${artifact.id}`);
}

/**
 * The artifacts called `name`, newest first: in one run as @actions/artifact's
 * `getArtifact(name, { findBy })` asks (one page, which a name fills with one or two), or
 * in every run of the repository, page by page.
 */
export async function artifactsNamed(api: RepositoryApi, name: string): Promise<ListedArtifact[]> {
  const runId = api.access.workflowRunId;
  const query = `name=${encodeURIComponent(name)}`;
  const listed =
    runId === undefined
      ? await listPages(api, `/actions/artifacts?${query}`)
      : artifactsOfPage(await api.call("GET", `/actions/runs/${runId}/artifacts?${query}`));
  return listed.sort((a, b) => b.id - a.id);
}

export function describeAccess(access: RepositoryAccess): string {
  const repository = `${access.repositoryOwner}/${access.repositoryName}`;
  return access.workflowRunId === undefined
    ? `every run of ${repository}`
    : `run ${access.workflowRunId} in ${repository}`;
}

async function listOfThisRun(results: ResultsService): Promise<ListedArtifact[]> {
  const listed = await results.call("ListArtifacts", { ...results.ids });
  return ((listed.artifacts ?? []) as Array<Record<string, unknown>>).map((artifact) => ({
    id: Number(artifact.database_id),
    name: String(artifact.name),
    size: Number(artifact.size ?? 0),
    ...(typeof artifact.digest === "string" ? { digest: artifact.digest } : {}),
  }));
}

function listThroughRest(api: RepositoryApi): Promise<ListedArtifact[]> {
  const runId = api.access.workflowRunId;
  return listPages(
    api,
    runId === undefined ? "/actions/artifacts" : `/actions/runs/${runId}/artifacts`,
  );
}

/** Every page of a REST artifact listing, up to MAX_LISTED artifacts. */
async function listPages(api: RepositoryApi, route: string): Promise<ListedArtifact[]> {
  const artifacts: ListedArtifact[] = [];
  const separator = route.includes("?") ? "&" : "?";
  for (let page = 1; artifacts.length < MAX_LISTED; page++) {
    const answer = await api.call("GET", `${route}${separator}per_page=${PAGE_SIZE}&page=${page}`);
    const batch = ((answer as { artifacts?: unknown[] } | undefined)?.artifacts ?? []).length;
    artifacts.push(...artifactsOfPage(answer));
    if (batch < PAGE_SIZE) break;
  }
  return artifacts;
}

/** The artifacts of one REST answer; an expired one is still listed, but its bytes are gone. */
function artifactsOfPage(answer: unknown): ListedArtifact[] {
  const listed = (answer as { artifacts?: Array<Record<string, unknown>> } | undefined)?.artifacts;
  return (listed ?? [])
    .filter((artifact) => artifact.expired !== true)
    .map((artifact) => ({
      id: Number(artifact.id),
      name: String(artifact.name),
      size: Number(artifact.size_in_bytes ?? 0),
      ...(typeof artifact.digest === "string" ? { digest: artifact.digest } : {}),
    }));
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
