/**
 * The `post:` step of both actions (post-if: always()): removes what the main step recorded
 * as created and did not remove itself, typically because it was killed (SIGKILL after a
 * cancel, the runner lost). After a normal run the list is empty and this says so.
 */
import * as core from "@actions/core";
import { parseCleanupTargets, removeTargets } from "../../core/cleanup.ts";
import { errorMessage } from "../../core/errors.ts";
import { actionsLogger } from "./logger.ts";
import { State } from "./run.ts";
import { readAdminKubeconfig } from "./shared-inputs.ts";

/** A runner gives the post step as long as it likes; a cluster that does not answer does not. */
const CLEANUP_TIMEOUT_MS = 30_000;

export async function runPost(): Promise<void> {
  const logger = actionsLogger();
  try {
    const targets = parseCleanupTargets(core.getState(State.Cleanups), logger);
    if (targets.length === 0) {
      logger.info("The main step left nothing to clean up.");
      return;
    }
    logger.info(`The main step did not finish; removing the ${targets.length} thing(s) it left.`);
    const needsCluster = targets.some((target) => target.kind === "pod-file");
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
