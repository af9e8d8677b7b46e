/**
 * The facts of the place a run happens in, read from the environment once by the front
 * door (an action's entry, the CLI) and handed to what needs them, as actions/cache hands
 * its state provider around. This is the only module of src/core that reads the process
 * environment; everything else takes a RunContext, so a test can hand in another.
 */
import { tmpdir } from "node:os";

/** Who and what made a backup, when it ran inside GitHub Actions (the GITHUB_* variables). */
export interface RunInfo {
  /** Link to the workflow run, e.g. https://github.com/org/repo/actions/runs/123/attempts/1. */
  url: string;
  repository: string;
  workflow: string;
  runId: string;
  runAttempt?: string;
  actor: string;
  /** The commit the workflow ran at (GITHUB_SHA). */
  commit: string;
  ref?: string;
}

/** A job step's access to its own run's artifacts (ACTIONS_RUNTIME_TOKEN, ACTIONS_RESULTS_URL). */
export interface ArtifactRuntime {
  runtimeToken: string;
  resultsUrl: string;
}

export interface RunContext {
  /** Where private temporary files go: RUNNER_TEMP inside Actions, else the system's folder. */
  tempDir: string;
  /** The GitHub run, when this is one (GITHUB_ACTIONS=true). */
  run?: RunInfo;
  /** Present only inside a job step of GitHub Actions. */
  artifactRuntime?: ArtifactRuntime;
  /** The REST API's base URL (GITHUB_API_URL), without a trailing slash. */
  githubApiUrl: string;
  /** The repository's longest artifact retention (GITHUB_RETENTION_DAYS), when known. */
  maxArtifactRetentionDays?: number;
  /** AWS_REGION, else AWS_DEFAULT_REGION, when set. */
  awsRegion?: string;
}

const DEFAULT_API_URL = "https://api.github.com";

/** The context of this process, from its environment (`process.env` unless given). */
export function runContextFromEnvironment(env: NodeJS.ProcessEnv = process.env): RunContext {
  const maxRetention = Number.parseInt(env.GITHUB_RETENTION_DAYS ?? "", 10);
  const run = runInfoFromEnvironment(env);
  const awsRegion = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  return {
    tempDir: env.RUNNER_TEMP || tmpdir(),
    ...(run ? { run } : {}),
    ...(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL
      ? {
          artifactRuntime: {
            runtimeToken: env.ACTIONS_RUNTIME_TOKEN,
            resultsUrl: env.ACTIONS_RESULTS_URL,
          },
        }
      : {}),
    githubApiUrl: (env.GITHUB_API_URL || DEFAULT_API_URL).replace(/\/+$/, ""),
    ...(Number.isNaN(maxRetention) ? {} : { maxArtifactRetentionDays: maxRetention }),
    ...(awsRegion ? { awsRegion } : {}),
  };
}

/** A context with no GitHub and no AWS facts: a run on a workstation, or a test. */
export function localRunContext(tempDir: string = tmpdir()): RunContext {
  return { tempDir, githubApiUrl: DEFAULT_API_URL };
}

/** The run facts, or undefined outside GitHub Actions. */
export function runInfoFromEnvironment(env: NodeJS.ProcessEnv): RunInfo | undefined {
  if (env.GITHUB_ACTIONS !== "true") return undefined;
  const server = (env.GITHUB_SERVER_URL ?? "https://github.com").replace(/\/+$/, "");
  const repository = env.GITHUB_REPOSITORY ?? "";
  const runId = env.GITHUB_RUN_ID ?? "";
  const attempt = env.GITHUB_RUN_ATTEMPT;
  const url = `${server}/${repository}/actions/runs/${runId}${attempt ? `/attempts/${attempt}` : ""}`;
  return {
    url,
    repository,
    workflow: env.GITHUB_WORKFLOW ?? "",
    runId,
    ...(attempt ? { runAttempt: attempt } : {}),
    actor: env.GITHUB_ACTOR ?? "",
    commit: env.GITHUB_SHA ?? "",
    ...(env.GITHUB_REF ? { ref: env.GITHUB_REF } : {}),
  };
}
