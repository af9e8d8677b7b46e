/**
 * The runbook's backup (PROCEDURES.md sections 1 and 4.3), as a procedure: for each cluster,
 * find the members, ask each for its health, snapshot a healthy one (not blindly
 * kube-etcd-0), stream the snapshot straight into the storage pipeline, verify it, and only
 * then list it and apply retention. A failure in one cluster does not stop the others.
 */
import { ConfigurationError } from "../core/errors.ts";
import { quoteValue } from "../core/redact.ts";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { AppsV1Api } from "../core/kube-client.ts";
import type { CleanupRegistry } from "../core/cleanup.ts";
import type { Digest } from "../core/crypto/hash.ts";
import { endpointStatusJson, snapshotSave } from "../core/etcd/etcdctl.ts";
import {
  checkMemberHealth,
  chooseSnapshotMember,
  findMembers,
  type MemberHealth,
} from "../core/etcd/members.ts";
import {
  checkRoomForSnapshot,
  removeFromPod,
  snapshotSaveTimeoutMs,
  sweepStaleSnapshots,
  uniqueSnapshotPath,
  type PodFileFacts,
  type PodTarget,
} from "../core/etcd/pod-snapshot.ts";
import {
  adminClusterProfile,
  controlPlaneV2Profile,
  isValidClusterName,
  userClusterProfile,
  type EtcdClusterProfile,
} from "../core/etcd/profiles.ts";
import { USER_KUBECONFIGS_FIELD, type UserClusterAccess } from "../core/kube/user-kubeconfigs.ts";
import { errorMessage } from "../core/errors.ts";
import { ConfigMapJournal } from "../core/kube/configmap-journal.ts";
import { startSnapshotTransfer } from "../core/etcd/snapshot-transfer.ts";
import { formatBytes } from "../core/format.ts";
import { describeApiError } from "../core/kube/errors.ts";
import type { Logger } from "../core/log/logger.ts";
import type { RunInfo } from "../core/run-context.ts";
import { assertSnapshotVerified, listSnapshotKeys } from "../core/snapshot/index.ts";
import type { Compression } from "../core/storage/compression.ts";
import { storeBackup, type StoredBackup } from "../core/storage/pipeline.ts";
import type { RetentionPolicy } from "../core/storage/retention.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import { Plan, PlanRun } from "./plan.ts";
import { applyRetentionDeclaration, verifyAndRetain, type BackupResult } from "./steps.ts";

export interface EtcdBackupOptions {
  config: KubeConfig;
  /** `["all"]`, `["admin"]`, user cluster names, or a mix of admin and names. */
  clusters: string[];
  /**
   * Controlplane V2 user clusters, each reached through its own kubeconfig (named by its
   * cluster); `all` includes them, and `clusters` may name them.
   */
  userClusters?: UserClusterAccess[];
  store: SnapshotStore;
  recipients: string[];
  allowUnencrypted: boolean;
  compression: Compression;
  retention: RetentionPolicy;
  dryRun: boolean;
  logger: Logger;
  /** The GitHub run doing this (the run context's), recorded in each manifest. */
  run?: RunInfo;
  /** Where the runner keeps the verification copy while it checks it; default os.tmpdir(). */
  workDir?: string;
  /** How often a long transfer reports its progress; default 5 s. */
  progressIntervalMs?: number;
  /** How long `etcdctl snapshot save` may take; default 2 min + 1 s per 20 MB of database. */
  snapshotTimeoutMs?: number;
  /** Told about transfer progress, e.g. for a terminal progress bar. */
  onProgress?: (progress: TransferProgress) => void;
  /** Cancels the run: the transfer stops, and what it created is removed. */
  signal?: AbortSignal;
  /** Where each thing this run creates (pod file, work folder) is registered until removed. */
  cleanups?: CleanupRegistry;
}

export interface TransferProgress {
  cluster: string;
  bytes: number;
  /** The database size the member reported: the expected size, for a percentage. */
  expectedBytes: number;
  bytesPerSecond: number;
}

export interface ClusterBackupResult extends BackupResult {
  cluster: string;
  kind: "user-etcd" | "admin-etcd";
  member?: string;
  node?: string;
  revision?: number;
  keys?: number;
}

/** Turns the `clusters` input into profiles: `all` is the admin cluster and every kube-etcd namespace. */
export async function resolveClusters(
  config: KubeConfig,
  requested: string[],
  userClusters: UserClusterAccess[] = [],
): Promise<EtcdClusterProfile[]> {
  if (requested.length === 0) {
    throw new ConfigurationError(
      "clusters",
      "no cluster given; expected admin, all, or user cluster names.",
    );
  }
  const invalid = requested.filter((name) => name !== "all" && !isValidClusterName(name));
  if (invalid.length) {
    throw new ConfigurationError(
      "clusters",
      `${invalid.map((name) => quoteValue(name)).join(", ")} ${invalid.length === 1 ? "is not a cluster name" : "are not cluster names"}; expected admin, all, or user cluster names (Kubernetes namespace names: lower-case letters, digits and '-').`,
    );
  }
  const apps = config.makeApiClient(AppsV1Api);
  let etcdNamespaces: string[];
  try {
    const statefulSets = await apps.listStatefulSetForAllNamespaces({
      fieldSelector: "metadata.name=kube-etcd",
    });
    etcdNamespaces = statefulSets.items
      .map((statefulSet) => statefulSet.metadata?.namespace ?? "")
      .filter(Boolean)
      .sort();
  } catch (error) {
    throw new Error(describeApiError(error, "the kube-etcd StatefulSets of the user clusters"), {
      cause: error,
    });
  }
  const controlPlaneV2 = userClusters.map((cluster) => cluster.name);
  const clash = controlPlaneV2.filter((name) => etcdNamespaces.includes(name));
  if (clash.length) {
    throw new ConfigurationError(
      USER_KUBECONFIGS_FIELD,
      `${clash.join(", ")} ${clash.length === 1 ? "is" : "are"} also a kubeception user cluster (a kube-etcd StatefulSet in the admin cluster); expected each name once: give only the kubeconfigs of Controlplane V2 clusters.`,
    );
  }
  const names = requested.includes("all")
    ? ["admin", ...etcdNamespaces, ...[...controlPlaneV2].sort()]
    : [...new Set(requested)];
  const known = (name: string) =>
    name === "admin" || etcdNamespaces.includes(name) || controlPlaneV2.includes(name);
  const unknown = names.filter((name) => !known(name));
  if (unknown.length) {
    throw new ConfigurationError(
      "clusters",
      `no user cluster named ${unknown.join(", ")} (no StatefulSet kube-etcd in such a namespace${controlPlaneV2.length ? ", and no such cluster among the user kubeconfigs" : ""}); the user clusters here are: ${[...etcdNamespaces, ...controlPlaneV2].join(", ") || "none"}.`,
    );
  }
  return names.map((name) => {
    if (name === "admin") return adminClusterProfile();
    return controlPlaneV2.includes(name) ? controlPlaneV2Profile(name) : userClusterProfile(name);
  });
}

/** What `all` found, by topology: one line for the job log. */
export function describeFoundClusters(profiles: EtcdClusterProfile[]): string {
  const of = (topology: EtcdClusterProfile["topology"]) =>
    profiles.filter((profile) => profile.topology === topology).map((profile) => profile.cluster);
  const list = (names: string[]) => names.join(", ") || "none";
  return `Found the admin cluster's etcd${of("admin").length ? "" : " (not requested)"}; kubeception user clusters: ${list(of("kubeception"))}; Controlplane V2 user clusters: ${list(of("controlplane-v2"))}.`;
}

/** The API the cluster's etcd pods are reached through: its own for Controlplane V2, else the admin one. */
function configFor(options: EtcdBackupOptions, profile: EtcdClusterProfile): KubeConfig {
  if (profile.topology !== "controlplane-v2") return options.config;
  const access = options.userClusters?.find((cluster) => cluster.name === profile.cluster);
  if (!access) throw new Error(`no kubeconfig for Controlplane V2 cluster ${profile.cluster}`);
  return access.config;
}

/** The backup of one cluster, declared once: `dry-run` prints it, a run executes it. */
export function etcdBackupPlan(profile: EtcdClusterProfile, destination: string): Plan {
  const where = `-n ${profile.namespace}`;
  const selector = profile.statefulSet
    ? `(pods of statefulset ${profile.statefulSet})`
    : `-l ${profile.memberLabelSelector}`;
  const exec = `kubectl exec ${where} MEMBER -c ${profile.container} --`;
  const podFile = "/tmp/etcd-backup-TIMESTAMP.db";
  return new Plan(`back up etcd of ${profile.cluster} to ${destination}`, [
    {
      name: "findMembers",
      purpose: `list the etcd member pods of ${profile.cluster}`,
      runbook: `kubectl get pods ${where} ${selector} -o wide`,
      effect: "reads",
    },
    {
      name: "checkHealth",
      purpose: "ask every member for its status; choose a healthy member, a follower if possible",
      runbook: `${exec} ${endpointStatusJson(profile).join(" ")}`,
      effect: "reads",
    },
    {
      name: "sweepStaleSnapshots",
      purpose:
        "remove etcd-backup-* files that runs stopped by SIGKILL left in the member's /tmp, older than the save's own timeout (which bounds a live one)",
      runbook: `${exec} find /tmp -maxdepth 1 -name 'etcd-backup-*' -mmin +TIMEOUT -delete`,
      effect: "changes",
    },
    {
      name: "checkRoom",
      purpose: "the database must fit in the member's /tmp (never the data volume)",
      runbook: `${exec} df -Pk /tmp`,
      effect: "reads",
    },
    {
      name: "saveAndStream",
      purpose: `etcdctl snapshot save to a unique temporary file in the member pod, streamed out through exec stdout (no TTY, no tar) while etcdctl writes it, into ${destination}, hashed, compressed, encrypted; before the manifest is written, sizes and sha256 must be equal at both ends (the pod hashes its finished file, then removes it) and the snapshot's own sha256 trailer and structure must check out`,
      runbook: `${exec} ${snapshotSave(profile, podFile).join(" ")}; ${exec} cat ${podFile} > snapshot.db; ${exec} sha256sum ${podFile}; sha256sum snapshot.db`,
      effect: "changes",
    },
    {
      name: "removeTemporaryFile",
      purpose: "remove the snapshot from the member pod",
      runbook: `${exec} rm -f ${podFile} ${podFile}.part`,
      effect: "changes",
      onlyWhen:
        "when a failure left the snapshot in the pod (on success the pod removes it itself)",
    },
    {
      name: "verifyStored",
      purpose: "read the stored bytes back and check them against the manifest",
      effect: "reads",
    },
    applyRetentionDeclaration,
  ]);
}

export async function runEtcdBackup(options: EtcdBackupOptions): Promise<ClusterBackupResult[]> {
  const { logger } = options;
  const profiles = await resolveClusters(options.config, options.clusters, options.userClusters);
  if (options.clusters.includes("all")) logger.info(describeFoundClusters(profiles));
  const results: ClusterBackupResult[] = [];
  for (const profile of profiles) {
    options.signal?.throwIfAborted();
    const restoring = await restoreHoldsLock(options, profile);
    if (restoring) {
      results.push(restoring);
      continue;
    }
    const plan = etcdBackupPlan(profile, options.store.description);
    if (options.dryRun) {
      plan.print(logger);
      results.push(await planOnly(options, profile, plan));
    } else {
      results.push(
        await logger.group(`Back up etcd of ${profile.cluster}`, () =>
          backUpCluster(options, profile, plan),
        ),
      );
    }
  }
  options.signal?.throwIfAborted();
  return results;
}

/**
 * A user cluster whose restore holds its lock (the restore's journal) is skipped with a
 * warning: a snapshot taken while its members are stopped or being swapped is no backup.
 */
async function restoreHoldsLock(
  options: EtcdBackupOptions,
  profile: EtcdClusterProfile,
): Promise<ClusterBackupResult | undefined> {
  // Only kubeception restores exist yet; their lock is in the cluster's admin namespace.
  if (profile.topology !== "kubeception") return undefined;
  const journal = new ConfigMapJournal(options.config, profile.namespace);
  if ((await journal.read()).length === 0) return undefined;
  const error = `a restore of ${profile.cluster} is in progress or unfinished (its lock: ${journal.description}); not backed up now. Finish the restore (rerun it) or undo it, and the next backup takes ${profile.cluster} again.`;
  options.logger.warning(error);
  return {
    cluster: profile.cluster,
    kind: kindOf(profile),
    outcome: "skipped",
    durationMs: 0,
    error,
    steps: [],
  };
}

/** Dry run: the reading steps only. Shows which member would be used and why. */
async function planOnly(
  options: EtcdBackupOptions,
  profile: EtcdClusterProfile,
  plan: Plan,
): Promise<ClusterBackupResult> {
  const started = Date.now();
  const run = await PlanRun.start(plan, { logger: options.logger, dryRun: true });
  const result: ClusterBackupResult = {
    cluster: profile.cluster,
    kind: kindOf(profile),
    outcome: "planned",
    durationMs: 0,
    steps: run.log,
  };
  try {
    const chosen = await chooseMember(options, profile, run);
    result.member = chosen.pod;
    result.node = chosen.node;
    result.size = chosen.status?.dbSize;
    await checkRoom(run, { config: configFor(options, profile), profile, pod: chosen.pod }, chosen);
    options.logger.info(
      `Dry run: would snapshot ${profile.cluster} from ${chosen.pod} on ${chosen.node} (database ${formatBytes(chosen.status?.dbSize ?? 0)}); nothing was changed.`,
    );
  } catch (error) {
    result.outcome = "failed";
    result.error = errorMessage(error);
  }
  run.finish();
  result.durationMs = Date.now() - started;
  return result;
}

async function chooseMember(
  options: EtcdBackupOptions,
  profile: EtcdClusterProfile,
  run: PlanRun,
): Promise<MemberHealth> {
  const members = await run.run(
    "findMembers",
    () => findMembers(configFor(options, profile), profile),
    (found) => found.map((member) => `${member.pod}@${member.node || "unscheduled"}`).join(", "),
  );
  const health = await run.run(
    "checkHealth",
    () => checkMemberHealth(configFor(options, profile), profile, members),
    (checked) =>
      checked
        .map(
          (member) =>
            `${member.pod} ${member.healthy ? "healthy" : `unhealthy (${member.problem})`}`,
        )
        .join("; "),
  );
  const chosen = chooseSnapshotMember(health);
  if (!chosen) {
    throw new Error(
      `no healthy etcd member in ${profile.cluster}: ${health.map((member) => `${member.pod}: ${member.problem}`).join("; ")}`,
    );
  }
  return chosen;
}

async function checkRoom(run: PlanRun, target: PodTarget, member: MemberHealth): Promise<void> {
  const databaseBytes = member.status?.dbSize ?? 0;
  await run.run(
    "checkRoom",
    () => checkRoomForSnapshot(target, databaseBytes),
    (available) =>
      `${formatBytes(available)} free for ${formatBytes(databaseBytes)} in ${member.pod}`,
  );
}

async function backUpCluster(
  options: EtcdBackupOptions,
  profile: EtcdClusterProfile,
  plan: Plan,
): Promise<ClusterBackupResult> {
  const { logger } = options;
  const started = Date.now();
  const run = await PlanRun.start(plan, { logger });
  const result: ClusterBackupResult = {
    cluster: profile.cluster,
    kind: kindOf(profile),
    outcome: "failed",
    durationMs: 0,
    steps: run.log,
  };
  const workDir = await mkdtemp(join(options.workDir ?? tmpdir(), "etcd-backup-"));
  const forgetWorkDir = options.cleanups?.register({ kind: "runner-path", path: workDir });
  let forgetPodFile: (() => void) | undefined;
  const verifyCopy = join(workDir, `snapshot-${randomBytes(4).toString("hex")}.db`);
  let target: PodTarget | undefined;
  let podPath: string | undefined;
  try {
    const member = await chooseMember(options, profile, run);
    result.member = member.pod;
    result.node = member.node;
    target = { config: configFor(options, profile), profile, pod: member.pod };
    const podTarget = target;
    const databaseBytes = member.status?.dbSize ?? 0;
    const timeoutMs = options.snapshotTimeoutMs ?? snapshotSaveTimeoutMs(databaseBytes);
    options.signal?.throwIfAborted();
    await run.run(
      "sweepStaleSnapshots",
      () => sweepStaleSnapshots(podTarget, timeoutMs, logger),
      (removed) => (removed.length ? `removed ${removed.join(", ")}` : "none found"),
    );
    await checkRoom(run, podTarget, member);
    options.signal?.throwIfAborted();
    podPath = uniqueSnapshotPath();
    const snapshotPath = podPath;
    forgetPodFile = options.cleanups?.register(
      {
        kind: "pod-file",
        namespace: profile.namespace,
        pod: member.pod,
        container: profile.container,
        path: snapshotPath,
      },
      () => removeFromPod(podTarget, snapshotPath),
    );
    const stream = await run.run(
      "saveAndStream",
      () =>
        saveStreamAndStore(options, profile, podTarget, snapshotPath, verifyCopy, {
          member,
          databaseBytes,
          timeoutMs,
        }),
      ({ stored, podFile }) =>
        `etcdctl snapshot save ${snapshotPath} in ${member.pod}: ${formatBytes(stored.manifest.payload.plaintext.bytes)} to ${stored.location.uri}; ${podFile.sha256 ? "sha256 equal in the pod" : "no sha256sum in the pod, checked by the snapshot's trailer"}; ${snapshotPath} removed from ${member.pod}`,
    );
    const stored = stream.stored;
    podPath = undefined;
    forgetPodFile?.();
    run.skip("removeTemporaryFile", `the pod removed ${snapshotPath} itself`);
    Object.assign(result, {
      revision: stored.manifest.etcd?.revision,
      keys: stored.manifest.etcd?.keyCount,
    });
    await verifyAndRetain(run, options.store, stored, options.retention, logger, result);
  } catch (error) {
    // Reported once, by the caller (the action's one error, the CLI's summary).
    result.error = errorMessage(error);
  } finally {
    if (target && podPath) {
      if (await removeTemporaryFile(run, target, podPath, logger)) forgetPodFile?.();
    }
    await rm(workDir, { recursive: true, force: true });
    forgetWorkDir?.();
  }
  run.finish();
  result.durationMs = Date.now() - started;
  return result;
}

/** After a failure: the snapshot must not stay in the pod; if it cannot go, say how to remove it. */
async function removeTemporaryFile(
  run: PlanRun,
  target: PodTarget,
  podPath: string,
  logger: Logger,
): Promise<boolean> {
  return run
    .run(
      "removeTemporaryFile",
      () => removeFromPod(target, podPath),
      () => `${podPath} removed from ${target.pod}`,
    )
    .then(
      () => true,
      (error: unknown) => {
        const { namespace, container } = target.profile;
        logger.warning(
          `The temporary snapshot ${podPath} could not be removed from ${namespace}/${target.pod}: ${errorMessage(error)}. Remove it by hand: kubectl exec -n ${namespace} ${target.pod} -c ${container} -- rm -f ${podPath} ${podPath}.part`,
        );
        return false;
      },
    );
}

/**
 * Saves the snapshot in the pod and streams it, as etcdctl writes it, into the storage
 * pipeline and, at the same time, into a private local copy. Before the manifest is written
 * the copy is verified with the snapshot reader while the pod hashes its finished file (and
 * then removes it); any mismatch removes the stored payload, so nothing unverified is listed.
 */
async function saveStreamAndStore(
  options: EtcdBackupOptions,
  profile: EtcdClusterProfile,
  target: PodTarget,
  podPath: string,
  verifyCopy: string,
  facts: { member: MemberHealth; databaseBytes: number; timeoutMs: number },
): Promise<{ stored: StoredBackup; podFile: PodFileFacts }> {
  const progress = progressReporter(options, profile.cluster, facts.databaseBytes);
  const transfer = startSnapshotTransfer({
    target,
    podPath,
    copyPath: verifyCopy,
    timeoutMs: facts.timeoutMs,
    onBytes: progress.count,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let podFile: PodFileFacts | undefined;
  try {
    const stored = await storeBackup(options.store, {
      cluster: profile.cluster,
      kind: kindOf(profile),
      source: transfer.stream,
      memoryPacingBytes: transfer.memoryPacingBytes,
      compression: options.compression,
      recipients: options.recipients,
      ...(options.run ? { run: options.run } : {}),
      allowUnencrypted: options.allowUnencrypted,
      sourceInfo: {
        namespace: profile.namespace,
        pod: target.pod,
        member: facts.member.pod,
        node: facts.member.node,
        topology: profile.topology,
      },
      logger: options.logger,
      beforeManifest: async (plaintext: Digest) => {
        await transfer.delivered;
        const pod = transfer.podFile;
        // The pod goes on hashing while the snapshot reader checks the local copy.
        await pod.started;
        const verified = verifySnapshotCopy(
          transfer.copyPath,
          target.pod,
          facts.member.status?.version,
        );
        podFile = await pod.facts;
        checkSameBytes(plaintext, podFile, target.pod);
        return verified;
      },
    });
    if (!podFile) throw new Error("the pod's facts of the snapshot were never read");
    return { stored, podFile };
  } finally {
    progress.stop();
    await transfer.settled();
  }
}

/** The bytes received are the pod's finished file: same size, and same sha256 when it has one. */
function checkSameBytes(plaintext: Digest, podFile: PodFileFacts, pod: string): void {
  if (plaintext.bytes !== podFile.size) {
    throw new Error(
      `received ${plaintext.bytes} bytes, but the snapshot in ${pod} is ${podFile.size} bytes: the transfer was cut short.`,
    );
  }
  if (podFile.sha256 && podFile.sha256 !== plaintext.sha256) {
    throw new Error(
      `the snapshot's sha256 in ${pod} is ${podFile.sha256}, but the bytes received hash to ${plaintext.sha256}: the transfer corrupted it.`,
    );
  }
}

/** The local copy is a whole etcd snapshot: its sha256 trailer and structure check out. */
function verifySnapshotCopy(
  file: string,
  pod: string,
  /** The member's etcd version, as its endpoint status said: a restore must match its minor. */
  version: string | undefined,
): { etcd: { revision: number; keyCount: number; version?: string } } {
  const report = assertSnapshotVerified(file);
  if (report.trailer !== "verified") {
    throw new Error(
      `the snapshot from ${pod} has no sha256 trailer; etcdctl snapshot save always writes one.`,
    );
  }
  const listing = listSnapshotKeys(file);
  return {
    etcd: {
      revision: listing.revision,
      keyCount: listing.keys.length,
      ...(version && /^\d+\.\d+\.\d+/.test(version) ? { version } : {}),
    },
  };
}

function progressReporter(options: EtcdBackupOptions, cluster: string, expectedBytes: number) {
  const started = Date.now();
  let bytes = 0;
  const report = () => {
    const seconds = (Date.now() - started) / 1000;
    const bytesPerSecond = seconds > 0 ? bytes / seconds : 0;
    const percent = expectedBytes
      ? ` (${Math.min(100, (100 * bytes) / expectedBytes).toFixed(0)}%)`
      : "";
    // A caller that shows progress itself (the CLI's bar) gets it as an event; a job log gets a line.
    if (options.onProgress) {
      options.onProgress({ cluster, bytes, expectedBytes, bytesPerSecond });
      return;
    }
    options.logger.info(
      `${cluster}: ${formatBytes(bytes)} of ${formatBytes(expectedBytes)}${percent} at ${formatBytes(bytesPerSecond)}/s`,
    );
  };
  const timer = setInterval(report, options.progressIntervalMs ?? 5000);
  timer.unref();
  return {
    count: (chunk: number) => {
      bytes += chunk;
    },
    stop: () => clearInterval(timer),
  };
}

function kindOf(profile: EtcdClusterProfile): "user-etcd" | "admin-etcd" {
  return profile.kind === "admin" ? "admin-etcd" : "user-etcd";
}
