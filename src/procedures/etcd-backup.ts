/**
 * The runbook's backup (PROCEDURES.md sections 1 and 4.3), as a procedure: for each cluster,
 * find the members, ask each for its health, snapshot a healthy one (not blindly
 * kube-etcd-0), stream the snapshot straight into the storage pipeline, verify it, and only
 * then list it and apply retention. A failure in one cluster does not stop the others.
 */
import { ConfigurationError } from "../core/errors.ts";
import { quoteValue } from "../core/redact.ts";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppsV1Api, type KubeConfig } from "@kubernetes/client-node";
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
  fileFactsThenRemove,
  removeFromPod,
  saveAndStreamSnapshot,
  snapshotSaveTimeoutMs,
  uniqueSnapshotPath,
  type PodFileFacts,
  type PodTarget,
} from "../core/etcd/pod-snapshot.ts";
import {
  adminClusterProfile,
  isValidClusterName,
  userClusterProfile,
  type EtcdClusterProfile,
} from "../core/etcd/profiles.ts";
import { formatBytes } from "../core/format.ts";
import { teeInto } from "../core/stream/tee.ts";
import { describeApiError } from "../core/kube/errors.ts";
import type { Logger } from "../core/log/logger.ts";
import { assertSnapshotVerified, listSnapshotKeys } from "../core/snapshot/index.ts";
import type { Compression } from "../core/storage/compression.ts";
import { createMemoryPacer } from "../core/storage/memory-pacer.ts";
import { storeBackup, verifyStoredBackup, type StoredBackup } from "../core/storage/pipeline.ts";
import type { RetentionPolicy } from "../core/storage/retention.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import { applyRetentionStep, Journal, printPlan, type PlannedStep } from "./steps.ts";

export interface EtcdBackupOptions {
  config: KubeConfig;
  /** `["all"]`, `["admin"]`, user cluster names, or a mix of admin and names. */
  clusters: string[];
  store: SnapshotStore;
  recipients: string[];
  allowUnencrypted: boolean;
  compression: Compression;
  retention: RetentionPolicy;
  dryRun: boolean;
  logger: Logger;
  /** Where the runner keeps the verification copy while it checks it; default os.tmpdir(). */
  workDir?: string;
  /** How often a long transfer reports its progress; default 5 s. */
  progressIntervalMs?: number;
  /** How long `etcdctl snapshot save` may take; default 2 min + 1 s per 20 MB of database. */
  snapshotTimeoutMs?: number;
  /** Told about transfer progress, e.g. for a terminal progress bar. */
  onProgress?: (progress: TransferProgress) => void;
}

export interface TransferProgress {
  cluster: string;
  bytes: number;
  /** The database size the member reported: the expected size, for a percentage. */
  expectedBytes: number;
  bytesPerSecond: number;
}

export interface ClusterBackupResult {
  cluster: string;
  kind: "user-etcd" | "admin-etcd";
  outcome: "stored" | "failed" | "planned";
  member?: string;
  node?: string;
  revision?: number;
  keys?: number;
  size?: number;
  storedSize?: number;
  sha256?: string;
  uri?: string;
  durationMs: number;
  deleted?: string[];
  error?: string;
  journal: Journal["entries"];
}

/** Turns the `clusters` input into profiles: `all` is the admin cluster and every kube-etcd namespace. */
export async function resolveClusters(
  config: KubeConfig,
  requested: string[],
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
  const names = requested.includes("all") ? ["admin", ...etcdNamespaces] : [...new Set(requested)];
  const unknown = names.filter((name) => name !== "admin" && !etcdNamespaces.includes(name));
  if (unknown.length) {
    throw new ConfigurationError(
      "clusters",
      `no user cluster named ${unknown.join(", ")} (no StatefulSet kube-etcd in such a namespace); the user clusters here are: ${etcdNamespaces.join(", ") || "none"}.`,
    );
  }
  return names.map((name) => (name === "admin" ? adminClusterProfile() : userClusterProfile(name)));
}

/** The steps of one cluster's backup, for the printed plan. */
export function planClusterBackup(profile: EtcdClusterProfile, destination: string): PlannedStep[] {
  const where = `-n ${profile.namespace}`;
  const selector = profile.statefulSet
    ? `(pods of statefulset ${profile.statefulSet})`
    : `-l ${profile.memberLabelSelector}`;
  const exec = `kubectl exec ${where} MEMBER -c ${profile.container} --`;
  return [
    {
      name: `findMembers(${profile.cluster})`,
      description: `list the etcd member pods of ${profile.cluster}`,
      equivalent: `kubectl get pods ${where} ${selector} -o wide`,
    },
    {
      name: `checkHealth(${profile.cluster})`,
      description:
        "ask every member for its status; choose a healthy member, a follower if possible",
      equivalent: `${exec} ${endpointStatusJson(profile).join(" ")}`,
    },
    {
      name: "checkRoom",
      description: "the database must fit in the member's /tmp (never the data volume)",
      equivalent: `${exec} df -Pk /tmp`,
    },
    {
      name: "saveAndStream",
      description: `etcdctl snapshot save to a unique temporary file in the member pod, streamed out through exec stdout (no TTY, no tar) while etcdctl writes it, into ${destination}, hashed, compressed, encrypted`,
      equivalent: `${exec} ${snapshotSave(profile, "/tmp/etcd-backup-TIMESTAMP.db").join(" ")}; ${exec} cat /tmp/etcd-backup-TIMESTAMP.db > snapshot.db`,
    },
    {
      name: "verify",
      description:
        "sizes and sha256 equal at both ends (the pod hashes its finished file, then removes it), the snapshot's own sha256 trailer and structure check out; then the manifest is written",
      equivalent: `${exec} sha256sum /tmp/etcd-backup-TIMESTAMP.db; sha256sum snapshot.db`,
    },
    {
      name: "removeTemporaryFile",
      description: "if the snapshot is still in the member pod (a failure), remove it",
      equivalent: `${exec} rm -f /tmp/etcd-backup-TIMESTAMP.db /tmp/etcd-backup-TIMESTAMP.db.part`,
    },
    {
      name: "applyRetention",
      description: "only after the new backup is verified: delete backups beyond the retention",
    },
  ];
}

export async function runEtcdBackup(options: EtcdBackupOptions): Promise<ClusterBackupResult[]> {
  const { logger } = options;
  const profiles = await resolveClusters(options.config, options.clusters);
  if (options.dryRun) {
    const results: ClusterBackupResult[] = [];
    for (const profile of profiles) {
      printPlan(
        logger,
        `back up etcd of ${profile.cluster} to ${options.store.description}`,
        planClusterBackup(profile, options.store.description),
      );
      results.push(await planOnly(options, profile));
    }
    return results;
  }
  const results: ClusterBackupResult[] = [];
  for (const profile of profiles) {
    results.push(
      await logger.group(`Back up etcd of ${profile.cluster}`, () =>
        backUpCluster(options, profile),
      ),
    );
  }
  return results;
}

/** Dry run: look, never touch. Shows which member would be used and why. */
async function planOnly(
  options: EtcdBackupOptions,
  profile: EtcdClusterProfile,
): Promise<ClusterBackupResult> {
  const started = Date.now();
  const journal = new Journal(options.logger);
  const result: ClusterBackupResult = {
    cluster: profile.cluster,
    kind: kindOf(profile),
    outcome: "planned",
    durationMs: 0,
    journal: journal.entries,
  };
  try {
    const chosen = await chooseMember(options, profile, journal);
    result.member = chosen.pod;
    result.node = chosen.node;
    result.size = chosen.status?.dbSize;
    options.logger.info(
      `Dry run: would snapshot ${profile.cluster} from ${chosen.pod} on ${chosen.node} (database ${formatBytes(chosen.status?.dbSize ?? 0)}); nothing was changed.`,
    );
  } catch (error) {
    result.outcome = "failed";
    result.error = (error as Error).message;
  }
  result.durationMs = Date.now() - started;
  return result;
}

async function chooseMember(
  options: EtcdBackupOptions,
  profile: EtcdClusterProfile,
  journal: Journal,
): Promise<MemberHealth> {
  const members = await journal.run(
    { name: `findMembers(${profile.cluster})`, description: `etcd members of ${profile.cluster}` },
    () => findMembers(options.config, profile),
    (found) => found.map((member) => `${member.pod}@${member.node || "unscheduled"}`).join(", "),
  );
  const health = await journal.run(
    { name: `checkHealth(${profile.cluster})`, description: "endpoint status of every member" },
    () => checkMemberHealth(options.config, profile, members),
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

async function backUpCluster(
  options: EtcdBackupOptions,
  profile: EtcdClusterProfile,
): Promise<ClusterBackupResult> {
  const { logger } = options;
  const started = Date.now();
  const journal = new Journal(logger);
  const result: ClusterBackupResult = {
    cluster: profile.cluster,
    kind: kindOf(profile),
    outcome: "failed",
    durationMs: 0,
    journal: journal.entries,
  };
  const workDir = await mkdtemp(join(options.workDir ?? tmpdir(), "etcd-backup-"));
  const verifyCopy = join(workDir, `snapshot-${randomBytes(4).toString("hex")}.db`);
  let target: PodTarget | undefined;
  let podPath: string | undefined;
  try {
    const member = await chooseMember(options, profile, journal);
    result.member = member.pod;
    result.node = member.node;
    target = { config: options.config, profile, pod: member.pod };
    const databaseBytes = member.status?.dbSize ?? 0;
    const podTarget = target;
    await journal.run(
      { name: "checkRoom", description: `room for ${formatBytes(databaseBytes)} in ${member.pod}` },
      () => checkRoomForSnapshot(podTarget, databaseBytes),
      (available) => `${formatBytes(available)} free`,
    );
    podPath = uniqueSnapshotPath();
    const snapshotPath = podPath;
    const stream = await journal.run(
      {
        name: "saveAndStream",
        description: `etcdctl snapshot save ${snapshotPath} in ${member.pod}, streamed while it is written to ${options.store.description}`,
      },
      () =>
        saveStreamAndStore(options, profile, podTarget, snapshotPath, verifyCopy, {
          member,
          databaseBytes,
          timeoutMs: options.snapshotTimeoutMs ?? snapshotSaveTimeoutMs(databaseBytes),
        }),
      ({ stored, podFile }) =>
        `${formatBytes(stored.manifest.payload.plaintext.bytes)} to ${stored.location.uri}; ${podFile.sha256 ? "sha256 equal in the pod" : "no sha256sum in the pod, checked by the snapshot's trailer"}; ${snapshotPath} removed from ${member.pod}`,
    );
    const stored = stream.stored;
    podPath = undefined;
    const verified = await journal.run(
      {
        name: "verifyStored",
        description: "read the stored bytes back and check them against the manifest",
      },
      () => verifyStoredBackup(options.store, stored),
    );
    Object.assign(result, {
      outcome: "stored",
      revision: stored.manifest.etcd?.revision,
      keys: stored.manifest.etcd?.keyCount,
      size: stored.manifest.payload.plaintext.bytes,
      storedSize: stored.manifest.payload.stored.bytes,
      sha256: stored.manifest.payload.plaintext.sha256,
      uri: stored.location.uri,
    });
    const deleted = await applyRetentionStep(
      journal,
      options.store,
      verified,
      options.retention,
      logger,
    );
    if (deleted) result.deleted = deleted;
  } catch (error) {
    // Reported once, by the caller (the action's one error, the CLI's summary).
    result.error = (error as Error).message;
  } finally {
    if (target && podPath) {
      const podTarget = target;
      const snapshotPath = podPath;
      await journal
        .run(
          {
            name: "removeTemporaryFile",
            description: `rm -f ${snapshotPath} ${snapshotPath}.part in ${podTarget.pod}`,
          },
          () => removeFromPod(podTarget, snapshotPath),
        )
        .catch((error: Error) => {
          logger.warning(
            `The temporary snapshot ${snapshotPath} could not be removed from ${podTarget.profile.namespace}/${podTarget.pod}: ${error.message}. Remove it by hand: kubectl exec -n ${podTarget.profile.namespace} ${podTarget.pod} -c ${podTarget.profile.container} -- rm -f ${snapshotPath} ${snapshotPath}.part`,
          );
        });
    }
    await rm(workDir, { recursive: true, force: true });
  }
  result.durationMs = Date.now() - started;
  return result;
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
  const source = new PassThrough({ highWaterMark: 1024 * 1024 });
  const copy = createWriteStream(verifyCopy, { mode: 0o600, flags: "wx" });
  const progress = progressReporter(options, profile.cluster, facts.databaseBytes);
  const received = createMemoryPacer({ fullCollectionEveryBytes: FULL_COLLECTION_INTERVAL_BYTES });
  const delivered = pipeline(received, teeInto(source, copy, progress.count));
  delivered.catch(() => undefined);
  // The pod hashes its finished file (then removes it) while the rest is still on its way.
  let podFacts: ReturnType<typeof fileFactsThenRemove> | undefined;
  const readPodFacts = () => {
    podFacts ??= fileFactsThenRemove(target, podPath);
    podFacts.facts.catch(() => undefined);
    return podFacts;
  };
  const transfer = saveAndStreamSnapshot(target, podPath, received, {
    timeoutMs: facts.timeoutMs,
    onSaved: readPodFacts,
  }).then(
    async () => {
      received.end();
      await delivered;
    },
    (error: Error) => {
      received.destroy(error);
      source.destroy(error);
      copy.destroy();
      throw error;
    },
  );
  transfer.catch(() => undefined);
  let podFile: PodFileFacts | undefined;
  try {
    const stored = await storeBackup(options.store, {
      cluster: profile.cluster,
      kind: kindOf(profile),
      source,
      compression: options.compression,
      recipients: options.recipients,
      allowUnencrypted: options.allowUnencrypted,
      sourceInfo: {
        namespace: profile.namespace,
        pod: target.pod,
        member: facts.member.pod,
        node: facts.member.node,
      },
      logger: options.logger,
      beforeManifest: async (plaintext: Digest) => {
        await transfer;
        const pod = readPodFacts();
        // The pod goes on hashing while the snapshot reader checks the local copy.
        await pod.started;
        const verified = verifySnapshotCopy(verifyCopy, target.pod);
        podFile = await pod.facts;
        checkSameBytes(plaintext, podFile, target.pod);
        return verified;
      },
    });
    if (!podFile) throw new Error("the pod's facts of the snapshot were never read");
    return { stored, podFile };
  } finally {
    progress.stop();
    await transfer.catch(() => undefined);
    await podFacts?.facts.catch(() => undefined);
  }
}

/**
 * Many 32 KiB exec frames wait in the stream buffers long enough to be promoted to V8's old
 * generation, which only a full collection frees (V8 starts one on its own only once ~64 MiB
 * of them are held). Measured on a 240 MB snapshot streamed into zstd, age and a folder:
 * +68 MiB above the loaded process without it, +31 MiB with a full collection every 16 MiB.
 */
const FULL_COLLECTION_INTERVAL_BYTES = 16 * 1024 * 1024;

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
): { etcd: { revision: number; keyCount: number } } {
  const report = assertSnapshotVerified(file);
  if (report.trailer !== "verified") {
    throw new Error(
      `the snapshot from ${pod} has no sha256 trailer; etcdctl snapshot save always writes one.`,
    );
  }
  const listing = listSnapshotKeys(file);
  return { etcd: { revision: listing.revision, keyCount: listing.keys.length } };
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
