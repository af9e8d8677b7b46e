/**
 * What the restore actions (etcd-restore-ha, admin-restore) tell their procedures about the
 * job, and how they show its steps: one wording for both.
 */
import { randomUUID } from "node:crypto";
import type { RunContext } from "../../core/run-context.ts";
import type { RestoreAudit } from "../../procedures/restore-record.ts";

/** Who this job is, in the lock or the node's journal and for the post step: unique per run. */
export function actionsOwner(): string {
  return `actions run ${process.env.GITHUB_RUN_ID ?? "?"} attempt ${process.env.GITHUB_RUN_ATTEMPT ?? "?"} job ${process.env.GITHUB_JOB ?? "?"} (${randomUUID()})`;
}

/** The restore record's who and where; `via` names the action. */
export function actionsAudit(context: RunContext, via: string): RestoreAudit {
  return {
    actor: context.run?.actor || "unknown",
    via,
    ...(context.run?.url ? { runUrl: context.run.url } : {}),
  };
}

/** A restore's steps as the job summary's table: its header, then one row per step. */
export function stepsTableMarkdown(
  steps: ReadonlyArray<{ step: string; outcome: string; durationMs: number; detail?: string }>,
): string[] {
  return [
    "| step | outcome | time | detail |",
    "| --- | --- | ---: | --- |",
    ...steps.map(
      (step) =>
        `| ${step.step} | ${step.outcome === "done" ? "✅ done" : step.outcome === "failed" ? "❌ failed" : "○ skipped"} | ${(step.durationMs / 1000).toFixed(1)} s | ${(step.detail ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ")} |`,
    ),
  ];
}
