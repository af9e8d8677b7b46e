/**
 * Who and what made a backup, when it ran inside GitHub Actions: read from the GITHUB_*
 * variables the runner sets for every step (plain environment, so src/core stays free of
 * @actions/*).
 */
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

/** The run facts, or undefined outside GitHub Actions. */
export function runInfoFromEnvironment(env: NodeJS.ProcessEnv = process.env): RunInfo | undefined {
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
