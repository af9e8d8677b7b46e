/**
 * The `post:` step of both actions (post-if: always()): removes what the main step recorded
 * as created and did not remove itself, typically because it was killed (SIGKILL after a
 * cancel, the runner lost), and any work folder of this tool in RUNNER_TEMP (the artifact
 * backend's staging folder is not recorded). After a normal run there is nothing, and this
 * says so.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as core from "@actions/core";
import { parseCleanupTargets, removeTargets, type CleanupTarget } from "../../core/cleanup.ts";
import { errorMessage } from "../../core/errors.ts";
import { actionsLogger } from "./logger.ts";
import { State } from "./run.ts";
import { readAdminKubeconfig } from "./shared-inputs.ts";

/** A runner gives the post step as long as it likes; a cluster that does not answer does not. */
const CLEANUP_TIMEOUT_MS = 30_000;

export async function runPost(): Promise<void> {
  const logger = actionsLogger();
  try {
    const recorded = parseCleanupTargets(core.getState(State.Cleanups), logger);
    const targets = [...recorded, ...unrecordedWorkFolders(recorded)];
    if (targets.length === 0) {
      logger.info("The main step left nothing to clean up.");
      return;
    }
    logger.info(`The main step did not finish; removing the ${targets.length} thing(s) it left.`);
    const needsCluster = targets.some((target) => target.kind !== "runner-path");
    const config = needsCluster ? await readAdminKubeconfig({ required: false }) : undefined;
    const report = await removeTargets(
      targets,
      config ? { config } : {},
      logger,
      CLEANUP_TIMEOUT_MS,
    );
    if (report.failed.length) {
      core.setFailed(
        `The post step could not remove ${report.failed.length} thing(s) the cancelled run left; the warnings above say what and how to remove each by hand.`,
      );
    }
  } catch (error) {
    core.setFailed(`The post step's clean-up failed: ${errorMessage(error)}`);
  }
}

/**
 * Folders this tool makes in RUNNER_TEMP (`etcd-backup-*`: the work folder with the
 * verification copy, the artifact staging folder) that no one recorded. The post step runs
 * after every main step of the job has ended, so none of them is in use any more.
 */
function unrecordedWorkFolders(recorded: CleanupTarget[]): CleanupTarget[] {
  const runnerTemp = process.env.RUNNER_TEMP;
  if (!runnerTemp) return [];
  const known = new Set(recorded.map((target) => target.kind === "runner-path" && target.path));
  let names: string[];
  try {
    names = readdirSync(runnerTemp);
  } catch {
    return [];
  }
  return names
    .filter((name) => name.startsWith("etcd-backup-"))
    .map((name) => join(runnerTemp, name))
    .filter((path) => !known.has(path))
    .map((path) => ({ kind: "runner-path", path }));
}
