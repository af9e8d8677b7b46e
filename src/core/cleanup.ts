/**
 * What a run has created and must remove if it does not finish: the snapshot file in an
 * etcd pod, the runner's verification copy and work folder. A procedure registers each
 * clean-up as it creates the thing and unregisters it once it removed it itself; on cancel
 * the front door runs whatever is still registered. The targets are plain data (kind and
 * where, never a secret), so the Actions front door can save them for its `post:` step,
 * which finishes what a killed main step (SIGKILL) could not.
 */
import { rm } from "node:fs/promises";
import type { KubeConfig } from "@kubernetes/client-node";
import { errorMessage } from "./errors.ts";
import { execChecked } from "./kube/exec.ts";
import { deletePodAndWait } from "./kube/pods.ts";
import type { Logger } from "./log/logger.ts";

/** Something a run created that must not outlive it. */
export type CleanupTarget =
  /** A snapshot file (and its `.part`) in an etcd member's container. */
  | { kind: "pod-file"; namespace: string; pod: string; container: string; path: string }
  /** A file or folder on the machine that runs the backup (plaintext verification copy). */
  | { kind: "runner-path"; path: string }
  /** A pod this tool made for one run (a restore drill's pod, its plaintext in memory). */
  | { kind: "pod"; namespace: string; name: string };

/** What running the clean-ups did, for the one cancel message. */
export interface CleanupReport {
  done: CleanupTarget[];
  failed: Array<{ target: CleanupTarget; error: string }>;
}

/** How a target is removed without the procedure that created it (the post step). */
export interface CleanupContext {
  /** The admin cluster, for pod files. */
  config?: KubeConfig;
}

interface Entry {
  target: CleanupTarget;
  remove: () => Promise<void>;
}

export class CleanupRegistry {
  private readonly entries = new Map<number, Entry>();
  private nextId = 1;

  constructor(
    private readonly options: {
      /** Told the pending targets after every change (the action saves them as state). */
      onChange?: (targets: CleanupTarget[]) => void;
    } = {},
  ) {}

  /**
   * Records a clean-up; returns the function that forgets it once the caller removed the
   * thing itself. `remove` defaults to `removeTarget` without a cluster (runner paths).
   */
  register(target: CleanupTarget, remove?: () => Promise<void>): () => void {
    const id = this.nextId++;
    this.entries.set(id, { target, remove: remove ?? (() => removeTarget(target, {})) });
    this.changed();
    return () => {
      if (this.entries.delete(id)) this.changed();
    };
  }

  /** The clean-ups still to do, oldest first. */
  get targets(): CleanupTarget[] {
    return [...this.entries.values()].map((entry) => entry.target);
  }

  /**
   * Runs every pending clean-up, newest first (a file before the folder it is in), each
   * bounded by `timeoutMs` so a cluster that no longer answers cannot hold up a cancel.
   * A clean-up that succeeds is forgotten; one that fails stays pending (for `post:`).
   */
  async runAll(logger: Logger, timeoutMs = 5000): Promise<CleanupReport> {
    const report: CleanupReport = { done: [], failed: [] };
    for (const [id, entry] of [...this.entries].reverse()) {
      try {
        await withTimeout(entry.remove(), timeoutMs, describeTarget(entry.target));
        this.entries.delete(id);
        this.changed();
        report.done.push(entry.target);
        logger.info(`Cleaned up ${describeTarget(entry.target)}.`);
      } catch (error) {
        report.failed.push({ target: entry.target, error: errorMessage(error) });
        logger.warning(
          `Could not clean up ${describeTarget(entry.target)}: ${errorMessage(error)}. ${howToRemoveByHand(entry.target)}`,
        );
      }
    }
    return report;
  }

  private changed(): void {
    this.options.onChange?.(this.targets);
  }
}

/** Removes one target without the procedure that created it. */
export async function removeTarget(target: CleanupTarget, context: CleanupContext): Promise<void> {
  if (target.kind === "runner-path") {
    await rm(target.path, { recursive: true, force: true });
    return;
  }
  if (!context.config) {
    const pod = target.kind === "pod" ? target.name : target.pod;
    throw new Error(`no kubeconfig to reach ${target.namespace}/${pod}`);
  }
  if (target.kind === "pod") {
    // Its memory-backed volume goes with it; no grace: nothing in it is worth keeping.
    await deletePodAndWait(
      context.config,
      { namespace: target.namespace, name: target.name },
      { timeoutMs: POD_DELETION_TIMEOUT_MS, gracePeriodSeconds: 0 },
    );
    return;
  }
  await execChecked(context.config, {
    namespace: target.namespace,
    pod: target.pod,
    container: target.container,
    command: ["rm", "-f", target.path, `${target.path}.part`],
  });
}

/** Runs saved targets (from a killed run) with `context`; the post step's whole job. */
export async function removeTargets(
  targets: CleanupTarget[],
  context: CleanupContext,
  logger: Logger,
  timeoutMs?: number,
): Promise<CleanupReport> {
  const registry = new CleanupRegistry();
  for (const target of targets) registry.register(target, () => removeTarget(target, context));
  return registry.runAll(logger, timeoutMs);
}

/** One line per target, as the cancel message and the post step name them. */
export function describeTarget(target: CleanupTarget): string {
  if (target.kind === "pod") return `pod ${target.namespace}/${target.name}`;
  return target.kind === "pod-file"
    ? `${target.path} in ${target.namespace}/${target.pod}`
    : `${target.path} on this machine`;
}

function howToRemoveByHand(target: CleanupTarget): string {
  if (target.kind === "pod") {
    return `Remove it by hand: kubectl delete pod -n ${target.namespace} ${target.name}`;
  }
  return target.kind === "pod-file"
    ? `Remove it by hand: kubectl exec -n ${target.namespace} ${target.pod} -c ${target.container} -- rm -f ${target.path} ${target.path}.part`
    : `Remove it by hand: rm -rf ${target.path}`;
}

/**
 * Reads targets saved as JSON (by an earlier step); anything that is not a target is left
 * out with a warning rather than acted on: the post step must never remove a path it did
 * not create.
 */
export function parseCleanupTargets(json: string, logger: Logger): CleanupTarget[] {
  if (!json.trim()) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    logger.warning(`The saved clean-up list is not JSON (${errorMessage(error)}); ignored.`);
    return [];
  }
  if (!Array.isArray(parsed)) return [];
  const targets: CleanupTarget[] = [];
  for (const item of parsed) {
    if (isCleanupTarget(item)) targets.push(item);
    else logger.warning(`A saved clean-up entry is not one this tool writes; ignored.`);
  }
  return targets;
}

const SNAPSHOT_FILE = /^\/tmp\/etcd-backup-[A-Za-z0-9-]+\.db$/;
/** Only the drill's own pods may be deleted from saved state. */
export const DRILL_POD_NAME = /^etcd-drill-[a-z0-9-]{1,40}$/;
const POD_DELETION_TIMEOUT_MS = 60_000;
const RUNNER_PATH = /(^|\/)etcd-backup-[^/]+(\/[^/]+)?$/;

function isCleanupTarget(item: unknown): item is CleanupTarget {
  if (!item || typeof item !== "object") return false;
  const record = item as Record<string, unknown>;
  const text = (key: string) => typeof record[key] === "string" && record[key] !== "";
  if (record.kind === "pod-file") {
    return (
      text("namespace") &&
      text("pod") &&
      text("container") &&
      text("path") &&
      SNAPSHOT_FILE.test(record.path as string)
    );
  }
  if (record.kind === "pod") {
    return text("namespace") && text("name") && DRILL_POD_NAME.test(record.name as string);
  }
  if (record.kind === "runner-path") {
    return (
      text("path") &&
      (record.path as string).startsWith("/") &&
      RUNNER_PATH.test(record.path as string)
    );
  }
  return false;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => reject(new Error(`removing ${what} took longer than ${Math.round(ms / 1000)} s`)),
      ms,
    );
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
