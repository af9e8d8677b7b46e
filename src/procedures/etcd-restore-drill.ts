/**
 * The restore drill: proves a cluster's newest backup restores, without touching the live
 * cluster. Per cluster: the backup found, verified and decrypted; a drill pod on the node of
 * one of the cluster's own etcd members (the same trust domain as the data), with the
 * cluster's own etcd image and a memory-backed emptyDir (the plaintext never lands on a
 * node's disk); the snapshot streamed in (sha256 checked in the pod), `snapshot restore`d
 * under a throwaway name, etcd started on it on the pod's loopback only; then the revision,
 * the key count, the keys of every resource and a sample of values checked against the
 * manifest and the snapshot reader's listing of the same bytes. The pod is deleted whatever
 * happened (on cancel too: it is registered as a clean-up).
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import { CoreV1Api } from "../core/kube-client.ts";
import { formatAge, type DrillSummaryRow } from "../core/audit/drill-summary.ts";
import type { CleanupRegistry } from "../core/cleanup.ts";
import type { X25519Identity } from "../core/crypto/age-keys.ts";
import { sha256Hex } from "../core/crypto/hash.ts";
import { ConfigurationError, errorMessage } from "../core/errors.ts";
import { checkBackupEtcdVersion, etcdVersionOfImage } from "../core/etcd/backup-version.ts";
import { parseEndpointStatus, snapshotRestore, type RestoreTool } from "../core/etcd/etcdctl.ts";
import { findMembers, type EtcdMember } from "../core/etcd/members.ts";
import type { EtcdClusterProfile } from "../core/etcd/profiles.ts";
import {
  parseProbe,
  PROBE_SCRIPT,
  shellCommand,
  type UtilityImageFacts,
  RESTORE_HEADROOM_BYTES,
} from "../core/etcd/restore-scripts.ts";
import { formatBytes } from "../core/format.ts";
import { describeApiError } from "../core/kube/errors.ts";
import { execInPod } from "../core/kube/exec.ts";
import { podProblemReasons } from "../core/kube/pod-status.ts";
import type { PodTarget } from "../core/kube/pod-target.ts";
import { createPodAndWait, deletePodAndWait } from "../core/kube/pods.ts";
import { streamFileIntoPod } from "../core/kube/stream-into-pod.ts";
import { waitUntil, type Progress } from "../core/kube/wait.ts";
import type { Logger } from "../core/log/logger.ts";
import { decodeValue, parseRegistryKey } from "../core/snapshot/kubernetes.ts";
import {
  listSnapshotKeys,
  NOT_KUBERNETES,
  readSnapshotStatus,
  type SnapshotListing,
  type SnapshotStatus,
} from "../core/snapshot/index.ts";
import {
  BackupIntegrityError,
  checkIdentities,
  findNewestBackup,
  restoreBackupToFile,
  type StoredBackup,
} from "../core/storage/pipeline.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import { resolveClusters } from "./etcd-backup.ts";
import { Plan, PlanRun, type StepRecord } from "./plan.ts";

export interface RestoreDrillOptions {
  config: KubeConfig;
  /** As etcd-backup takes them: `all`, `admin`, user cluster names. */
  clusters: string[];
  store: SnapshotStore;
  /** A backup to drill instead of each cluster's newest (only with one cluster: its own). */
  backup?: StoredBackup;
  identities: readonly X25519Identity[];
  /** Where the drill pods go; default each cluster's own namespace (admin: kube-system). */
  namespace?: string;
  /** Default: the image of the cluster's own etcd container. */
  utilityImage?: string;
  /** A newest backup older than this fails the drill (a schedule that stopped). */
  failIfOlderThanMs?: number;
  logger: Logger;
  signal?: AbortSignal;
  /** The drill pod and the runner's copy are registered here until removed. */
  cleanups?: CleanupRegistry;
  /** Where the runner's copy for the snapshot reader goes; default os.tmpdir(). */
  workDir?: string;
  /** How long each wait for the pod or etcd may take; default 5 minutes. */
  waitTimeoutMs?: number;
  now?: () => Date;
}

/** A cluster's drill: its summary row, and the image, duration and steps. */
export interface DrillResult extends DrillSummaryRow {
  image?: string;
  durationMs: number;
  steps: StepRecord[];
}

/** The loopback ports of the drill's etcd, away from a member's 2379/2380 on purpose. */
const CLIENT_URL = "http://127.0.0.1:32379";
const PEER_URL = "http://127.0.0.1:32380";
/** The memory volume's mount path in the drill pod. */
const DRILL_DIR = "/drill";
const CONTAINER = "drill";
/** Values checked per resource. */
const SAMPLES_PER_RESOURCE = 3;

/** The control-plane taints (today's and the one before 1.24) a drill pod tolerates. */
const CONTROL_PLANE_TAINTS = [
  "node-role.kubernetes.io/control-plane",
  "node-role.kubernetes.io/master",
];

/** What etcd itself needs beside its data in memory: its process, index and buffers. */
const DRILL_ETCD_PROCESS_BYTES = 256 * 1024 * 1024;

/**
 * The drill pod's memory request and limit: the memory volume (twice the snapshot and the
 * WAL) and etcd's process, whose key index grows with the data (counted as the snapshot's
 * size again, half the volume less the WAL).
 */
export function drillMemoryBytes(volumeBytes: number): number {
  const snapshotBytes = Math.max(0, (volumeBytes - RESTORE_HEADROOM_BYTES) / 2);
  return volumeBytes + snapshotBytes + DRILL_ETCD_PROCESS_BYTES;
}

const memoryQuantity = (bytes: number) => `${Math.ceil(bytes / 1024 / 1024)}Mi`;

/** The container waits for the restored data, then becomes the drill's etcd. */
const WAIT_THEN_ETCD = `marker=$1; shift
while [ ! -e "$marker" ]; do sleep 1; done
exec "$@"`;

/** Whether the image has etcd, and what the drill volume is mounted as. Argument: the folder. */
const DRILL_PROBE = `if command -v etcd >/dev/null 2>&1; then echo "etcd=yes"; else echo "etcd=no"; fi
fs=none
while read -r device mount type rest; do [ "$mount" = "$1" ] && fs=$type; done < /proc/mounts
echo "drill.fs=$fs"`;

/** Restores the streamed snapshot, then removes it (half the memory). Arguments: snapshot, argv. */
const RESTORE_THEN_REMOVE = `snapshot=$1; shift
ETCDCTL_API=3 "$@" >&2 || exit $?
rm -f "$snapshot"`;

/** One `etcdctl get -w json` per key given, one line each. Arguments: revision, keys. */
const GET_VALUES = `rev=$1; shift
for key in "$@"; do
  ETCDCTL_API=3 etcdctl --endpoints=${CLIENT_URL} get "$key" --rev="$rev" -w json || exit $?
  echo
done`;

/** The drill of one cluster, declared once. */
export function restoreDrillPlan(cluster: string): Plan {
  const pod = `etcd-drill-${cluster}-XXXXXX`;
  const exec = `kubectl exec ${pod} --`;
  return new Plan(`restore drill of ${cluster}`, [
    {
      name: "findBackup",
      purpose:
        "the newest backup of the cluster (or the one given): its manifest, its age within the limit, the identity able to open it",
      effect: "reads",
    },
    {
      name: "fetchSnapshot",
      purpose:
        "download once, decrypt and decompress on the runner into a private work folder, the stored and the plain sha256 checked against the manifest: a damaged backup fails here, before any pod",
      effect: "reads",
    },
    {
      name: "readSnapshot",
      purpose:
        "the snapshot reader on the runner's copy: revision, keys per resource, a sha256 of every value",
      runbook: "etcd-backup-actions snapshot ls snapshot.db",
      effect: "reads",
    },
    {
      name: "findMember",
      purpose:
        "one of the cluster's own etcd members: its node (the drill runs in the same trust domain as the data) and its etcd image, of the backup's etcd major.minor as a restore requires",
      runbook: "kubectl get pods -o wide (the etcd members)",
      effect: "reads",
    },
    {
      name: "createDrillPod",
      purpose:
        "a pod on that node with the cluster's etcd image and a memory-backed emptyDir sized from the snapshot: no PVC, nothing on the node's disk",
      runbook: `kubectl apply -f ${pod}.yaml`,
      effect: "changes",
    },
    {
      name: "probeImage",
      purpose:
        "the image has etcd, etcdctl (or etcdutl) and a sha256 tool, and the drill volume is a tmpfs",
      runbook: `${exec} sh -c 'command -v etcd etcdctl; grep ${DRILL_DIR} /proc/mounts'`,
      effect: "reads",
    },
    {
      name: "streamSnapshot",
      purpose:
        "the runner's checked copy streamed into the pod through exec stdin (size and sha256 checked in the pod), then removed from the runner",
      runbook: `kubectl cp snapshot.db ${pod}:${DRILL_DIR}/snapshot.db`,
      effect: "changes",
    },
    {
      name: "restoreSnapshot",
      purpose: "snapshot restore with a throwaway member name and token into the memory volume",
      runbook: `${exec} etcdctl snapshot restore ${DRILL_DIR}/snapshot.db --name=drill --data-dir=${DRILL_DIR}/data ...`,
      effect: "changes",
    },
    {
      name: "startEtcd",
      purpose: `start etcd on the restored data, listening on the pod's loopback only (${CLIENT_URL})`,
      runbook: `${exec} etcd --data-dir=${DRILL_DIR}/data --listen-client-urls=${CLIENT_URL} ...`,
      effect: "changes",
    },
    {
      name: "checkContents",
      purpose:
        "revision and key count as the manifest says; every resource's key count as the snapshot reader lists; a sample of each resource's values equal to the reader's and decodable; endpoint status db size as the snapshot's",
      runbook: `${exec} etcdctl endpoint status; etcdctl get "" --prefix --keys-only; etcdctl get KEY`,
      effect: "reads",
    },
    {
      name: "deleteDrillPod",
      purpose: "delete the drill pod (its memory volume with it) and the runner's copy",
      runbook: `kubectl delete pod ${pod}`,
      effect: "changes",
      onlyWhen: "whenever the pod was made, whatever happened",
    },
  ]);
}

/** Drills every cluster asked for; a failure in one does not stop the others. */
export async function runRestoreDrill(options: RestoreDrillOptions): Promise<DrillResult[]> {
  const profiles = await resolveClusters(options.config, options.clusters);
  if (options.backup && profiles.length !== 1) {
    throw new ConfigurationError(
      "backup",
      `names one backup, but ${profiles.length} clusters are to be drilled (${profiles.map((profile) => profile.cluster).join(", ")}); give one cluster with a backup URI, or latest.`,
    );
  }
  const results: DrillResult[] = [];
  for (const profile of profiles) {
    options.signal?.throwIfAborted();
    results.push(
      await options.logger.group(`Restore drill of ${profile.cluster}`, () =>
        new ClusterDrill(options, profile).run(),
      ),
    );
  }
  options.signal?.throwIfAborted();
  return results;
}

/** What the drill learnt of the backup before it made anything. */
interface DrillSource {
  backup: StoredBackup;
  revision: number;
  keyCount: number;
}

class ClusterDrill {
  private readonly logger: Logger;
  private readonly started = Date.now();
  private readonly result: DrillResult;
  private readonly podName: string;
  private readonly namespace: string;
  private readonly token = `drill-${randomBytes(6).toString("hex")}`;

  constructor(
    private readonly options: RestoreDrillOptions,
    private readonly profile: EtcdClusterProfile,
  ) {
    this.logger = options.logger;
    this.namespace = options.namespace ?? profile.namespace;
    this.podName = `etcd-drill-${profile.cluster.slice(0, 24).replace(/-+$/, "")}-${randomBytes(3).toString("hex")}`;
    this.result = {
      cluster: profile.cluster,
      backup: "",
      result: "failed",
      durationMs: 0,
      steps: [],
    };
  }

  async run(): Promise<DrillResult> {
    const plan = restoreDrillPlan(this.profile.cluster);
    plan.print(this.logger);
    const run = await PlanRun.start(plan, { logger: this.logger });
    this.result.steps = run.log;
    let podMade = false;
    let workDir: string | undefined;
    const forget: Array<() => void> = [];
    try {
      const source = await run.run(
        "findBackup",
        () => this.findBackup(),
        (found) =>
          `${found.backup.location.uri}, ${formatAge(this.result.ageSeconds ?? 0)} old, revision ${found.revision}, ${found.keyCount} keys, ${formatBytes(found.backup.manifest.payload.plaintext.bytes)}`,
      );
      workDir = await mkdtemp(join(this.options.workDir ?? tmpdir(), "etcd-backup-drill-"));
      const folder = workDir;
      forget.push(
        this.options.cleanups?.register({ kind: "runner-path", path: folder }) ?? (() => undefined),
      );
      const copy = join(folder, "snapshot.db");
      const fetchStarted = Date.now();
      await run.run(
        "fetchSnapshot",
        () => this.fetchSnapshot(source.backup, copy),
        () =>
          `${formatBytes(source.backup.manifest.payload.plaintext.bytes)}, stored and plain sha256 as the manifest records`,
      );
      const read = await run.run(
        "readSnapshot",
        async () => ({
          status: readSnapshotStatus(copy),
          listing: listSnapshotKeys(copy, { digest: true }),
        }),
        ({ listing }) =>
          `revision ${listing.revision}, ${listing.keys.length} keys in ${listing.resources.length} resource(s)`,
      );
      const member = await run.run(
        "findMember",
        async () => {
          const found = await this.findMember();
          // Refused as the restore refuses it: a drill passes only what a restore accepts.
          checkBackupEtcdVersion(
            {
              uri: source.backup.location.uri,
              etcdVersion: source.backup.manifest.etcd?.version,
            },
            this.options.utilityImage ?? found.image,
            "the drill runs",
          );
          return found;
        },
        (found) => `${found.member.pod} on ${found.member.node}, image ${found.image}`,
      );
      const image = this.options.utilityImage ?? member.image;
      this.result.node = member.member.node;
      this.result.image = image;
      const volumeBytes =
        2 * source.backup.manifest.payload.plaintext.bytes + RESTORE_HEADROOM_BYTES;
      await run.run(
        "createDrillPod",
        async () => {
          podMade = true;
          forget.push(
            this.options.cleanups?.register(
              {
                kind: "pod",
                namespace: this.namespace,
                name: this.podName,
              },
              () => this.deletePod(),
            ) ?? (() => undefined),
          );
          await this.createPod(member.member.node, image, volumeBytes);
        },
        () =>
          `${this.namespace}/${this.podName} on ${member.member.node}, memory volume of ${formatBytes(volumeBytes)}`,
      );
      const facts = await run.run("probeImage", () => this.probeImage(image), describeFacts);
      await run.run(
        "streamSnapshot",
        () => this.streamSnapshot(source.backup, copy),
        () =>
          `${formatBytes(source.backup.manifest.payload.plaintext.bytes)}, sha256 checked in the pod, the runner's copy removed`,
      );
      // The copy has served: plaintext on the runner's disk no longer than needed.
      await rm(folder, { recursive: true, force: true });
      await run.run(
        "restoreSnapshot",
        () => this.restoreSnapshot(facts),
        () => `restored as member ${this.token} into ${DRILL_DIR}/data, the snapshot file removed`,
      );
      this.result.restoreMs = Date.now() - fetchStarted;
      const startAt = Date.now();
      await run.run(
        "startEtcd",
        () => this.startEtcd(),
        () => `etcd answers on ${CLIENT_URL} in the pod`,
      );
      this.result.startMs = Date.now() - startAt;
      const summary = await run.run(
        "checkContents",
        () => this.checkContents(source, read.status, read.listing),
        (text) => text,
      );
      this.logger.info(`The drill of ${this.profile.cluster} passed: ${summary}.`);
      this.result.result = "passed";
    } catch (error) {
      this.result.error = errorMessage(error);
      run.fail(error);
    } finally {
      if (workDir) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
      if (podMade) {
        await run
          .run(
            "deleteDrillPod",
            () => this.deletePod(),
            () => `${this.namespace}/${this.podName} deleted`,
          )
          .catch((error: unknown) => {
            const problem = `the drill pod ${this.namespace}/${this.podName} could not be deleted (${errorMessage(error)}); its memory holds a plaintext snapshot: delete it with kubectl delete pod -n ${this.namespace} ${this.podName}.`;
            this.logger.warning(problem);
            this.result.result = "failed";
            this.result.error = this.result.error ? `${this.result.error}; ${problem}` : problem;
          });
      } else if (!run.failed) {
        run.skip("deleteDrillPod", "no pod was made");
      }
      for (const done of forget) done();
      run.finish();
      this.result.durationMs = Date.now() - this.started;
    }
    return this.result;
  }

  // ------------------------------------------------------------------ reading

  private async findBackup(): Promise<DrillSource> {
    const { options, profile } = this;
    const kind = profile.kind === "admin" ? "admin-etcd" : "user-etcd";
    const backup =
      options.backup ?? (await findNewestBackup(options.store, { cluster: profile.cluster, kind }));
    this.result.backup = backup.location.uri;
    if (backup.manifest.cluster !== profile.cluster || backup.manifest.kind !== kind) {
      throw new ConfigurationError(
        "backup",
        `${backup.location.uri} is a ${backup.manifest.kind} backup of ${backup.manifest.cluster}, not a ${kind} backup of ${profile.cluster}.`,
      );
    }
    const now = (options.now?.() ?? new Date()).getTime();
    const ageMs = Math.max(0, now - Date.parse(backup.manifest.createdAt));
    this.result.ageSeconds = Math.round(ageMs / 1000);
    if (options.failIfOlderThanMs !== undefined && ageMs > options.failIfOlderThanMs) {
      throw new Error(
        `the ${options.backup ? "" : "newest "}backup of ${profile.cluster}, ${backup.location.uri}, is ${formatAge(ageMs / 1000)} old, older than the ${formatAge(options.failIfOlderThanMs / 1000)} allowed: check that the backup schedule still runs and succeeds.`,
      );
    }
    const revision = backup.manifest.etcd?.revision;
    const keyCount = backup.manifest.etcd?.keyCount;
    if (revision === undefined || keyCount === undefined) {
      throw new Error(
        `the manifest of ${backup.location.uri} records no etcd revision or key count, so a drill has nothing to prove the restored data against; take a new backup with this tool.`,
      );
    }
    this.result.revision = revision;
    this.result.keys = keyCount;
    checkIdentities(backup, options.identities);
    return { backup, revision, keyCount };
  }

  /** A Ready member (any, when none is Ready): its node and its etcd image. */
  private async findMember(): Promise<{ member: EtcdMember; image: string }> {
    const members = await findMembers(this.options.config, this.profile);
    const member =
      members.find((candidate) => candidate.ready && candidate.node) ??
      members.find((candidate) => candidate.node);
    if (!member) {
      throw new Error(
        `no etcd member of ${this.profile.cluster} runs on a node (${members.map((candidate) => `${candidate.pod}: ${candidate.phase}`).join(", ")}): the drill goes on a member's node.`,
      );
    }
    const core = this.options.config.makeApiClient(CoreV1Api);
    const pod = await core
      .readNamespacedPod({ name: member.pod, namespace: this.profile.namespace })
      .catch((error: unknown) => {
        throw new Error(describeApiError(error, `pod ${this.profile.namespace}/${member.pod}`), {
          cause: error,
        });
      });
    const container =
      pod.spec?.containers.find((candidate) => candidate.name === this.profile.container) ??
      pod.spec?.containers[0];
    if (!container?.image) {
      throw new Error(
        `the member ${this.profile.namespace}/${member.pod} has no ${this.profile.container} container with an image.`,
      );
    }
    return { member, image: container.image };
  }

  // ------------------------------------------------------------------ the drill pod

  private async createPod(node: string, image: string, volumeBytes: number): Promise<void> {
    await createPodAndWait(
      this.options.config,
      this.podManifest(node, image, volumeBytes),
      this.waits(),
    ).catch((error: unknown) => {
      throw new Error(
        `the drill pod ${this.namespace}/${this.podName} with image ${image} did not start on ${node}: ${errorMessage(error)}`,
        { cause: error },
      );
    });
  }

  private podManifest(node: string, image: string, volumeBytes: number): V1Pod {
    return {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: this.podName,
        namespace: this.namespace,
        labels: {
          "app.kubernetes.io/managed-by": "etcd-backup-actions",
          "etcd-backup-actions/role": "restore-drill",
          "etcd-backup-actions/cluster": this.profile.cluster,
        },
      },
      spec: {
        restartPolicy: "Never",
        terminationGracePeriodSeconds: 0,
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        nodeSelector: { "kubernetes.io/hostname": node },
        // The node is chosen by name: a control-plane node's taint must not keep the pod off
        // it, but any other NoSchedule taint (a node cordoned for maintenance) still does.
        tolerations: CONTROL_PLANE_TAINTS.map((key) => ({
          key,
          operator: "Exists",
          effect: "NoSchedule",
        })),
        containers: [
          {
            name: CONTAINER,
            image,
            command: [
              "/bin/sh",
              "-c",
              WAIT_THEN_ETCD,
              "sh",
              `${DRILL_DIR}/start`,
              ...this.etcdArgv(volumeBytes),
            ],
            volumeMounts: [{ name: "drill", mountPath: DRILL_DIR }],
            // The memory volume counts against the pod's memory: requested whole, so the
            // scheduler and the kubelet know of it, with room for etcd beside it.
            resources: {
              requests: { memory: memoryQuantity(drillMemoryBytes(volumeBytes)) },
              limits: { memory: memoryQuantity(drillMemoryBytes(volumeBytes)) },
            },
          },
        ],
        volumes: [
          {
            name: "drill",
            emptyDir: { medium: "Memory", sizeLimit: memoryQuantity(volumeBytes) },
          },
        ],
      },
    };
  }

  /** A throwaway single-member etcd on the pod's loopback; no other member could ever reach it. */
  private etcdArgv(volumeBytes: number): string[] {
    return [
      "etcd",
      `--name=${this.token}`,
      `--data-dir=${DRILL_DIR}/data`,
      `--listen-client-urls=${CLIENT_URL}`,
      `--advertise-client-urls=${CLIENT_URL}`,
      `--listen-peer-urls=${PEER_URL}`,
      `--initial-advertise-peer-urls=${PEER_URL}`,
      `--initial-cluster=${this.token}=${PEER_URL}`,
      `--initial-cluster-token=${this.token}`,
      // Never below the snapshot: a restored store over its quota would only raise an alarm.
      `--quota-backend-bytes=${Math.max(2 * 1024 ** 3, volumeBytes)}`,
    ];
  }

  private async probeImage(image: string): Promise<UtilityImageFacts> {
    const { stdout } = await this.exec(shellCommand(`${PROBE_SCRIPT}\n${DRILL_PROBE}`, DRILL_DIR));
    const facts = parseProbe(stdout);
    const missing = [
      ...(facts.tools.etcd === false || !/^etcd=yes$/m.test(stdout) ? ["etcd"] : []),
      ...(facts.tools.etcdctl ? [] : ["etcdctl"]),
      ...(facts.tools.sha256sum || facts.tools.openssl ? [] : ["sha256sum or openssl"]),
    ];
    if (missing.length) {
      throw new Error(
        `the image ${image} lacks ${missing.join(", ")}: the drill needs the cluster's etcd image (or give utility-image an etcd image of the same version).`,
      );
    }
    const fs = /^drill\.fs=(.*)$/m.exec(stdout)?.[1]?.trim();
    if (fs !== "tmpfs") {
      throw new Error(
        `the drill volume ${DRILL_DIR} in ${this.namespace}/${this.podName} is ${fs ?? "unknown"}, not a memory-backed tmpfs: the plaintext snapshot would land on the node's disk, so nothing was streamed.`,
      );
    }
    const imageVersion = etcdVersionOfImage(image);
    if (facts.version && imageVersion && facts.version !== imageVersion) {
      this.logger.info(
        `The image is tagged etcd ${imageVersion}; its ${facts.restoreTool} reports ${facts.version}.`,
      );
    }
    return facts;
  }

  /**
   * The one download: decrypted and decompressed into the runner's private copy, both sha256
   * checked, so a damaged backup fails before any pod is made, and the pod gets the copy.
   */
  private async fetchSnapshot(backup: StoredBackup, copy: string): Promise<void> {
    await restoreBackupToFile(this.options.store, backup, copy, {
      identities: this.options.identities,
      logger: this.logger,
    }).catch((error: unknown) => {
      throw error instanceof BackupIntegrityError
        ? new BackupIntegrityError(
            `the backup ${backup.location.uri} does not verify: ${errorMessage(error)}`,
            { cause: error },
          )
        : error;
    });
  }

  /** The runner's checked copy into the pod; the pod checks size and sha256 before naming it. */
  private async streamSnapshot(backup: StoredBackup, copy: string): Promise<void> {
    const plaintext = backup.manifest.payload.plaintext;
    await streamFileIntoPod(
      this.options.config,
      this.target(),
      `${DRILL_DIR}/snapshot.db`,
      createReadStream(copy),
      { bytes: plaintext.bytes, sha256: plaintext.sha256 },
      this.options.signal ? { signal: this.options.signal } : {},
    );
  }

  private async restoreSnapshot(facts: UtilityImageFacts): Promise<void> {
    const snapshot = `${DRILL_DIR}/snapshot.db`;
    const argv = snapshotRestore(facts.restoreTool as RestoreTool, snapshot, {
      member: {
        name: this.token,
        initialCluster: `${this.token}=${PEER_URL}`,
        initialClusterToken: this.token,
        peerUrls: [PEER_URL],
      },
      dataDir: `${DRILL_DIR}/data`,
    });
    await this.exec(shellCommand(RESTORE_THEN_REMOVE, snapshot, ...argv));
  }

  /** Lets the container become etcd, then waits until it answers (or ends, saying why). */
  private async startEtcd(): Promise<void> {
    await this.exec(["touch", `${DRILL_DIR}/start`]);
    const core = this.options.config.makeApiClient(CoreV1Api);
    await waitUntil(
      `etcd in ${this.namespace}/${this.podName} to answer`,
      async (): Promise<Progress<void>> => {
        const pod = await core.readNamespacedPod({ name: this.podName, namespace: this.namespace });
        const state = pod.status?.containerStatuses?.[0]?.state;
        if (state?.terminated || ["Failed", "Succeeded"].includes(pod.status?.phase ?? "")) {
          throw new Error(
            `etcd ended in the drill pod ${this.namespace}/${this.podName} before it answered (${state?.terminated ? `exit ${state.terminated.exitCode}${state.terminated.reason ? `, ${state.terminated.reason}` : ""}` : podProblemReasons(pod)}): the restored data does not start; see kubectl logs -n ${this.namespace} ${this.podName} while it exists.`,
          );
        }
        const health = await execInPod(this.options.config, {
          ...this.target(),
          command: this.etcdctl("endpoint", "health"),
        });
        return health.exitCode === 0
          ? { done: true, value: undefined }
          : { done: false, waitingFor: health.stderr.trim().split("\n").pop() ?? "no answer yet" };
      },
      this.waits(),
    );
  }

  // ------------------------------------------------------------------ proof

  private async checkContents(
    source: DrillSource,
    status: SnapshotStatus,
    listing: SnapshotListing,
  ): Promise<string> {
    const { revision, keyCount, backup } = source;
    const uri = backup.location.uri;
    if (listing.revision !== revision || listing.keys.length !== keyCount) {
      throw new Error(
        `the snapshot of ${uri} holds revision ${listing.revision} and ${listing.keys.length} keys, but its manifest says revision ${revision} and ${keyCount} keys: the manifest does not describe this payload.`,
      );
    }
    const endpoint = parseEndpointStatus(
      (await this.exec(this.etcdctl("endpoint", "status", "-w", "json"))).stdout,
    );
    this.result.dbSize = endpoint.dbSize;
    if (endpoint.revision < revision) {
      throw new Error(
        `the restored etcd is at revision ${endpoint.revision}, below the manifest's ${revision}: it does not hold the backup's data.`,
      );
    }
    // Counted at the backup's revision: a lease that expires after the start may delete keys.
    const listed = JSON.parse(
      (
        await this.exec(
          this.etcdctl("get", "", "--prefix", "--keys-only", `--rev=${revision}`, "-w", "json"),
        )
      ).stdout,
    ) as { count?: number; kvs?: Array<{ key: string }> };
    const etcdKeys = (listed.kvs ?? []).map((kv) => Buffer.from(kv.key, "base64").toString("utf8"));
    const etcdCount = Number(listed.count ?? 0);
    if (etcdCount !== keyCount) {
      throw new Error(
        `the restored etcd holds ${etcdCount} keys at revision ${revision}, but the manifest of ${uri} says ${keyCount}.`,
      );
    }
    const byResource = countResources(etcdKeys);
    const differences = listing.resources
      .map((resource) => ({
        resource: resource.resource,
        reader: resource.count,
        etcd: byResource.get(resource.resource) ?? 0,
      }))
      .concat(
        [...byResource]
          .filter(([resource]) => !listing.resources.some((listed) => listed.resource === resource))
          .map(([resource, etcd]) => ({ resource, reader: 0, etcd })),
      )
      .filter((entry) => entry.reader !== entry.etcd);
    if (differences.length) {
      throw new Error(
        `the restored etcd and the snapshot reader disagree on ${differences.map((entry) => `${entry.resource}: etcd ${entry.etcd}, reader ${entry.reader}`).join("; ")}.`,
      );
    }
    const sampled = await this.checkSamples(listing, revision);
    if (endpoint.dbSize < status.totalSize) {
      throw new Error(
        `the restored etcd reports a database of ${formatBytes(endpoint.dbSize)}, smaller than the snapshot's ${formatBytes(status.totalSize)}: the restore lost data.`,
      );
    }
    const kubernetes = listing.resources.filter(
      (resource) => resource.resource !== NOT_KUBERNETES,
    ).length;
    this.result.resources = kubernetes;
    return `revision ${revision} and ${keyCount} keys as in the manifest, the same keys per resource as the snapshot reader (${kubernetes} resources), ${sampled} sampled values equal and decoded, database ${formatBytes(endpoint.dbSize)} (snapshot ${formatBytes(status.totalSize)})`;
  }

  /** Up to SAMPLES_PER_RESOURCE values of every resource: equal to the reader's, and decodable. */
  private async checkSamples(listing: SnapshotListing, revision: number): Promise<number> {
    const sample = new Map<string, { resource: string; sha256: string }>();
    const taken = new Map<string, number>();
    for (const key of listing.keys) {
      const resource = key.resource ?? NOT_KUBERNETES;
      if ((taken.get(resource) ?? 0) >= SAMPLES_PER_RESOURCE) continue;
      taken.set(resource, (taken.get(resource) ?? 0) + 1);
      sample.set(key.key, { resource, sha256: key.valueSha256 ?? "" });
    }
    const { stdout } = await this.exec(
      shellCommand(GET_VALUES, String(revision), ...sample.keys()),
    );
    const values = new Map<string, Buffer>();
    for (const line of stdout.split("\n")) {
      if (!line.trim()) continue;
      const answer = JSON.parse(line) as { kvs?: Array<{ key: string; value?: string }> };
      for (const kv of answer.kvs ?? []) {
        values.set(
          Buffer.from(kv.key, "base64").toString("utf8"),
          Buffer.from(kv.value ?? "", "base64"),
        );
      }
    }
    const problems: string[] = [];
    for (const [key, expected] of sample) {
      const value = values.get(key);
      if (!value) {
        problems.push(`${key} is missing`);
        continue;
      }
      if (sha256Hex(value) !== expected.sha256) {
        problems.push(`${key} differs from the snapshot reader's value`);
        continue;
      }
      if (expected.resource === NOT_KUBERNETES) continue;
      const decoded = decodeValue(value);
      if (decoded.encoding === "other" || (decoded.encoding === "protobuf" && !decoded.kind)) {
        problems.push(
          `${key} does not decode as a Kubernetes object${decoded.encoding === "other" && decoded.problem ? ` (${decoded.problem})` : ""}`,
        );
      }
    }
    if (problems.length) {
      throw new Error(`in the restored etcd, ${problems.join("; ")}.`);
    }
    return sample.size;
  }

  // ------------------------------------------------------------------ helpers

  private async deletePod(): Promise<void> {
    // Bounded by time, not by the cancel: the memory volume holds every Secret of the cluster.
    await deletePodAndWait(
      this.options.config,
      { namespace: this.namespace, name: this.podName },
      { timeoutMs: this.options.waitTimeoutMs ?? 300_000, gracePeriodSeconds: 0 },
    );
  }

  private etcdctl(...args: string[]): string[] {
    return [
      "env",
      "ETCDCTL_API=3",
      "etcdctl",
      `--endpoints=${CLIENT_URL}`,
      "--command-timeout=30s",
      ...args,
    ];
  }

  private target(): PodTarget {
    return { namespace: this.namespace, pod: this.podName, container: CONTAINER };
  }

  private waits(): { timeoutMs: number; signal?: AbortSignal } {
    return {
      timeoutMs: this.options.waitTimeoutMs ?? 300_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
  }

  private async exec(command: string[]): Promise<{ stdout: string; stderr: string }> {
    const result = await execInPod(this.options.config, {
      ...this.target(),
      command,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    });
    if (result.exitCode !== 0) {
      const what = command[0] === "sh" ? "the drill's script" : command.slice(0, 4).join(" ");
      throw new Error(
        `${what} in ${this.namespace}/${this.podName} failed (exit ${result.exitCode}): ${result.stderr.trim().split("\n").slice(-3).join(" ") || result.stdout.trim().slice(0, 300)}`,
      );
    }
    return { stdout: result.stdout, stderr: result.stderr };
  }
}

/** Keys per resource, grouped exactly as the snapshot reader groups them. */
function countResources(keys: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) {
    const resource = parseRegistryKey(key)?.resource ?? NOT_KUBERNETES;
    counts.set(resource, (counts.get(resource) ?? 0) + 1);
  }
  return counts;
}

function describeFacts(facts: UtilityImageFacts): string {
  return `${facts.restoreTool} ${facts.version ?? ""}, etcd, memory-backed ${DRILL_DIR}`;
}
