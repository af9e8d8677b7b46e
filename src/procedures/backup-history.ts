/**
 * The history part of a backup's job summary: per cluster, the last backups at the
 * destination as charts and tables, from their manifests (no payload is downloaded), with
 * the quota and growth warnings. It runs after the backups and only reads: a problem here
 * is a line in the summary and a warning in the log, never a failed backup.
 */
import type { KubeConfig } from "@kubernetes/client-node";
import { readHistory, trendMarkdown, type History } from "../core/audit/history.ts";
import { readMemberQuota, type MemberQuota } from "../core/etcd/quota.ts";
import { adminClusterProfile, userClusterProfile } from "../core/etcd/profiles.ts";
import { errorMessage } from "../core/errors.ts";
import type { Logger } from "../core/log/logger.ts";
import { isPkiKind } from "../core/storage/layout.ts";
import type { BackupKind, SnapshotStore } from "../core/storage/types.ts";

export interface HistoryTarget {
  cluster: string;
  kind: BackupKind;
  /** The member the backup came from: the admin static pod to read the quota of. */
  member?: string;
}

export interface BackupHistoryOptions {
  /** Only listed: the manifests are all the history needs. */
  store: Pick<SnapshotStore, "description" | "list">;
  targets: HistoryTarget[];
  logger: Logger;
  /** To read each etcd member's quota; without it only the growth warning is given. */
  config?: KubeConfig;
  chartPoints?: number;
}

/** The summary's history section: one subsection per cluster, in the order given. */
export async function backupHistoryMarkdown(options: BackupHistoryOptions): Promise<string> {
  const sections = [`### Backup history at ${options.store.description}`, ""];
  for (const target of options.targets) {
    sections.push(await clusterSection(options, target));
  }
  return sections.join("\n");
}

async function clusterSection(
  options: BackupHistoryOptions,
  target: HistoryTarget,
): Promise<string> {
  let history: History;
  try {
    history = readHistory(await options.store.list({ cluster: target.cluster, kind: target.kind }));
  } catch (error) {
    const problem = `the backups of ${target.cluster} could not be listed for the history: ${errorMessage(error)}`;
    options.logger.warning(`History: ${problem}`);
    return `#### ${target.cluster}\n\n${problem}\n`;
  }
  const quota = await quotaOf(options, target);
  return trendMarkdown(target.cluster, history, {
    ...(quota ? { quota } : {}),
    ...(options.chartPoints ? { chartPoints: options.chartPoints } : {}),
  });
}

/** The quota of an etcd cluster; unknown (a logged warning) when it cannot be read. */
async function quotaOf(
  options: BackupHistoryOptions,
  target: HistoryTarget,
): Promise<MemberQuota | undefined> {
  if (!options.config || isPkiKind(target.kind)) return undefined;
  const profile =
    target.kind === "admin-etcd" ? adminClusterProfile() : userClusterProfile(target.cluster);
  try {
    return await readMemberQuota(options.config, profile, target.member);
  } catch (error) {
    options.logger.warning(
      `History: the etcd quota of ${target.cluster} could not be read, so the summary cannot warn when it is near: ${errorMessage(error)}`,
    );
    return undefined;
  }
}
