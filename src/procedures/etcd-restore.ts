/**
 * The runbook's user-cluster restore (PROCEDURES.md sections 2 and 3), HA or single member,
 * made safe: everything that can be proven is proven while the cluster still serves
 * (the backup verified, every member's data restored into a new folder on its own volume
 * from the same checksummed bytes), and only then does the outage begin: the PDB saved and
 * removed, the API server and the maintenance job scaled to 0, every member stopped and
 * proven stopped, each member's live data moved aside (never deleted) and the restored data
 * swapped in, then everything started again and each phase gated on health.
 *
 * Every step is journalled, write-ahead, in a ConfigMap of the admin cluster (which the
 * restore does not roll back); the journal is also the lock. A rerun with the same backup
 * continues where an interrupted run stopped.
 */
import type { KubeConfig, V1Pod, V1StatefulSet } from "@kubernetes/client-node";
import { AppsV1Api, CoreV1Api } from "../core/kube-client.ts";
import type { X25519Identity } from "../core/crypto/age-keys.ts";
import { ConfigurationError, errorMessage } from "../core/errors.ts";
import {
  countKeysArgs,
  etcdctl,
  parseKeyCount,
  snapshotRestore,
  DEFAULT_REVISION_BUMP,
  type RestoreTool,
} from "../core/etcd/etcdctl.ts";
import { memberConfigFromContainer, type EtcdMemberConfig } from "../core/etcd/member-config.ts";
import { userClusterProfile, type EtcdClusterProfile } from "../core/etcd/profiles.ts";
import {
  parseProbe,
  PROBE_SCRIPT,
  PRUNE_SCRIPT,
  RESTORE_EXIT,
  RESTORE_SCRIPT,
  restoreStamp,
  RESTORE_HEADROOM_BYTES,
  WAL_SEGMENT_BYTES,
  ROOM_SCRIPT,
  shellCommand,
  SWAP_SCRIPT,
  UNDO_SCRIPT,
  type UtilityImageFacts,
} from "../core/etcd/restore-scripts.ts";
import { formatBytes } from "../core/format.ts";
import { ConfigMapJournal } from "../core/kube/configmap-journal.ts";
import { describeApiError } from "../core/kube/errors.ts";
import { execInPod } from "../core/kube/exec.ts";
import type { PodTarget } from "../core/kube/pod-target.ts";
import {
  deletePodDisruptionBudget,
  recreatePodDisruptionBudget,
  savePodDisruptionBudget,
  type SavedPodDisruptionBudget,
} from "../core/kube/pdb.ts";
import { createPodAndWait, deletePodAndWait } from "../core/kube/pods.ts";
import { checkBackupEtcdVersion } from "../core/etcd/backup-version.ts";
import {
  describeWorkload,
  isWorkloadReady,
  scaleWorkload,
  type WorkloadRef,
} from "../core/kube/scale.ts";
import {
  readStatefulSet,
  recreateStatefulSetKeepingPods,
  savedStatefulSet,
  type RecreateResult,
  type SavedStatefulSet,
} from "../core/kube/statefulset-recreate.ts";
import { streamBackupIntoPods } from "../core/kube/stream-backup-into-pods.ts";
import type { Logger } from "../core/log/logger.ts";
import { checkIdentities, type StoredBackup } from "../core/storage/pipeline.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import { Plan, PlanRun, type StepContext, type StepDeclaration, type StepRecord } from "./plan.ts";
import {
  restoreRecord,
  writeRestoreRecord,
  type RestoreAudit,
  type RestoreFacts,
} from "./restore-record.ts";
import { etcdUtilImage } from "./utility-image.ts";

export const API_SERVER = "kube-apiserver";
export const MAINTENANCE = "gke-master-etcd-maintenance";
export const API_SERVER_PDB = "kube-apiserver-pdb";
/** On each utility pod: the member's data dir, so a clean-up knows where its files are. */
const DATA_DIR_ANNOTATION = "etcd-backup-actions/data-dir";
/** How many pre-restore folders a member keeps; older ones go once the restore is proven. */
export const PRE_RESTORE_KEEP = 2;

export type RevisionBump = "auto" | "none" | number;

/** What an undo needs; a restore needs more (EtcdRestoreOptions). */
export interface EtcdUndoOptions {
  config: KubeConfig;
  /** The user cluster: its namespace in the admin cluster. */
  cluster: string;
  /** Must equal `cluster` for anything to change (not needed for a dry run). */
  confirm?: string;
  /** Default: the image of the cluster's own kube-etcd container. */
  utilityImage?: string;
  /**
   * The cluster's Anthos version (e.g. `1.32.400-gke.68`): when the default image lacks what
   * the utility pods need (etcd images from 3.5.7 on are distroless), they use the runbook's
   * `gcr.io/gke-on-prem-release/etcd-util:<version>` instead.
   */
  gkeOnPremVersion?: string;
  dryRun: boolean;
  logger: Logger;
  signal?: AbortSignal;
  /** How long each wait for pods may take; default 5 minutes. */
  waitTimeoutMs?: number;
  /** The restore's stamp (folder names); default now. A rerun takes it from the journal. */
  now?: Date;
  /** Who runs it (e.g. the Actions run and attempt): recorded, so that only its own post step acts. */
  owner?: string;
}

export interface EtcdRestoreOptions extends EtcdUndoOptions {
  store: SnapshotStore;
  /** A backup found in `store` (by URI, or the newest verified one), of this cluster. */
  backup: StoredBackup;
  identities: readonly X25519Identity[];
  revisionBump: RevisionBump;
  /** Who restores (actor, run link): written in the restore record beside the backups. */
  audit?: RestoreAudit;
}

/** What the outage phase recorded, to put back afterwards. */
interface OutOfService {
  pdb: SavedPodDisruptionBudget | null;
  apiServer: number;
  maintenance: number;
  members: number;
}

/** One etcd member as the restore sees it. */
export interface RestoreMember {
  memberNumber: number;
  pod: string;
  pvc: string;
  node: string;
  config: EtcdMemberConfig;
  utilityPod: string;
}

export interface RestoreTopology {
  cluster: string;
  namespace: string;
  replicas: number;
  image: string;
  podManagementPolicy: string;
  /** The data volume's mount path in the member container (the utility pod mounts it there too). */
  dataMount: string;
  certificatesSecret: string;
  certificatesMount: string;
  nodeSelector: Record<string, string>;
  members: RestoreMember[];
  pvcRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
}

/** What stopMembers records: the members to start again, and whether they were all Ready. */
interface StoppedMembers {
  replicas: number;
  /** Absent in journals written before it was recorded: treated as Ready. */
  ready?: boolean;
}

/** What scaleDownApiServer records: the replicas to put back, and whether they were Ready. */
interface ScaledDown {
  apiServer: number;
  maintenance: number;
  apiServerReady?: boolean;
  maintenanceReady?: boolean;
}

/** The facts its restore record holds (restore-record.ts), and the steps and the record's URI. */
export interface EtcdRestoreResult extends RestoreFacts {
  outcome: "restored" | "planned" | "failed";
  /** The restore record written beside the backups, when it could be written. */
  record?: string;
  steps: StepRecord[];
}

/** Every step a restore or an undo can take, declared once. */
function restoreSteps(cluster: string): Map<string, StepDeclaration> {
  const ns = `-n ${cluster}`;
  const utility = "kubectl exec -n " + cluster + " etcd-utility-N --";
  const steps: StepDeclaration[] = [
    {
      name: "readTopology",
      purpose:
        "the kube-etcd StatefulSet (replicas, image, each member's name, initial cluster, token, peer URLs, data dir), each member's PVC and node, the API server, the maintenance job and the PDB",
      runbook: `kubectl get statefulset kube-etcd ${ns} -o yaml; kubectl get pods,pvc ${ns} -o wide; kubectl get pdb ${API_SERVER_PDB} ${ns} -o yaml`,
      effect: "reads",
    },
    {
      name: "checkBackup",
      purpose:
        "the backup is of this cluster, from the same etcd major.minor version as the members' image",
      effect: "reads",
    },
    {
      name: "checkNodes",
      purpose:
        "every member's PVC is bound to a node that exists and is Ready; PVCs are not deleted on scale-down",
      runbook: `kubectl get pvc ${ns} -o wide; kubectl get nodes`,
      effect: "reads",
    },
    {
      name: "createUtilityPods",
      purpose:
        "one utility pod per member on its PVC's node, with its PVC and the certificates (the runbook's etcd-utility-N), the cluster's own etcd image",
      runbook: `kubectl apply -f etcd-utility-N.yaml`,
      effect: "changes",
    },
    {
      name: "probeUtilityImage",
      purpose:
        "the image has a shell, etcdctl or etcdutl, flock and a sha256 tool; whether it can bump the revision",
      runbook: `${utility} etcdctl snapshot restore --help`,
      effect: "reads",
      onlyWhen: "until the members are restored (a rerun past that has the facts in the journal)",
    },
    {
      name: "checkRoom",
      purpose:
        "room on every member's volume for the snapshot and the restored data beside the live data",
      runbook: `${utility} df -Pk /var/lib/etcd`,
      effect: "reads",
      onlyWhen: "until the members are restored (a rerun past that has the facts in the journal)",
    },
    {
      name: "streamSnapshot",
      purpose:
        "decrypt once on the runner (plaintext never on its disk) and stream the same bytes to every member in parallel through exec stdin; sha256 checked in each pod",
      runbook: `kubectl cp snapshot.db ${cluster}/etcd-utility-N:/var/lib/etcd/`,
      effect: "changes",
    },
    {
      name: "restoreMembers",
      purpose:
        "snapshot restore on every member with its own name and peer URL and the cluster's token, into a new folder on its volume, while the cluster still runs",
      runbook: `${utility} etcdctl snapshot restore snapshot.db --name=kube-etcd-N --initial-cluster=... --initial-cluster-token=... --initial-advertise-peer-urls=...`,
      effect: "changes",
    },
    {
      name: "savePdb",
      purpose: `save then delete the PDB ${API_SERVER_PDB} (the outage begins here)`,
      runbook: `kubectl get pdb ${API_SERVER_PDB} ${ns} -o yaml > pdb.yaml; kubectl delete pdb ${API_SERVER_PDB} ${ns}`,
      effect: "changes",
    },
    {
      name: "scaleDownApiServer",
      purpose: `scale ${API_SERVER} and ${MAINTENANCE} to 0 and wait until their pods are gone, so nothing uses etcd`,
      runbook: `kubectl scale statefulset ${API_SERVER} ${ns} --replicas=0; kubectl scale deployment ${MAINTENANCE} ${ns} --replicas=0`,
      effect: "changes",
    },
    {
      name: "relaxPodManagement",
      purpose:
        "kube-etcd is OrderedReady: save it in the journal, delete it with orphan propagation (its members keep running) and re-create it Parallel, because OrderedReady cannot stop members that lost quorum nor start members whose readiness needs quorum",
      runbook: `kubectl get statefulset kube-etcd ${ns} -o yaml > kube-etcd.yaml; kubectl delete statefulset kube-etcd ${ns} --cascade=orphan; kubectl create -f kube-etcd-parallel.yaml`,
      effect: "changes",
      onlyWhen: "when kube-etcd is OrderedReady with more than one member",
    },
    {
      name: "stopMembers",
      purpose:
        "scale kube-etcd to 0 and wait until every member pod is gone: no etcd may write into a folder being swapped",
      runbook: `kubectl scale statefulset kube-etcd ${ns} --replicas=0`,
      effect: "changes",
    },
    {
      name: "swapMembers",
      purpose:
        "on every member, prove no process holds member/snap/db, then move the live member folder to pre-restore-<stamp>/member and the restored one into its place (owner and mode kept; nothing deleted)",
      runbook: `${utility} sh -c 'mv /var/lib/etcd/member /var/lib/etcd/pre-restore-STAMP/member && mv /var/lib/etcd/restore-STAMP/member /var/lib/etcd/member'`,
      effect: "point of no return",
    },
    {
      name: "undoSwap",
      purpose:
        "on every member, prove no process holds member/snap/db, then move the live member folder to pre-undo-<stamp>/member and the newest pre-restore data back into its place (nothing deleted)",
      runbook: `${utility} sh -c 'mv /var/lib/etcd/member /var/lib/etcd/pre-undo-STAMP/member && mv /var/lib/etcd/pre-restore-STAMP/member /var/lib/etcd/member'`,
      effect: "point of no return",
    },
    {
      name: "deleteUtilityPods",
      purpose: "delete the utility pods",
      runbook: `kubectl delete pod ${ns} etcd-utility-N`,
      effect: "changes",
    },
    {
      name: "startMembers",
      purpose: "scale kube-etcd back to its replicas and wait until every member is Ready",
      runbook: `kubectl scale statefulset kube-etcd ${ns} --replicas=REPLICAS`,
      effect: "changes",
    },
    {
      name: "checkMembers",
      purpose:
        "every member healthy, one cluster ID, the expected names and peer URLs, and (for a restore) the snapshot's revision and key count",
      runbook: `kubectl exec ${ns} kube-etcd-0 -- etcdctl endpoint health --cluster; ... member list; ... endpoint status`,
      effect: "reads",
    },
    {
      name: "restorePodManagement",
      purpose:
        "delete the Parallel kube-etcd with orphan propagation and re-create it exactly as saved (OrderedReady); it adopts the running members without restarting them",
      runbook: `kubectl delete statefulset kube-etcd ${ns} --cascade=orphan; kubectl create -f kube-etcd.yaml`,
      effect: "changes",
      onlyWhen: "when kube-etcd was OrderedReady with more than one member",
    },
    {
      name: "scaleUpApiServer",
      purpose: `${API_SERVER} and ${MAINTENANCE} back to their replicas, their pods Ready (the outage ends here)`,
      runbook: `kubectl scale statefulset ${API_SERVER} ${ns} --replicas=3; kubectl scale deployment ${MAINTENANCE} ${ns} --replicas=1`,
      effect: "changes",
    },
    {
      name: "recreatePdb",
      purpose: `re-create ${API_SERVER_PDB} exactly as saved (no server-set fields)`,
      runbook: `kubectl create -f pdb.yaml`,
      effect: "changes",
      onlyWhen: "when the cluster had the PDB",
    },
    {
      name: "restartWatchers",
      purpose:
        "rollout restart of every other workload in the namespace that watches the user cluster's API, so nothing serves state from after the backup",
      runbook: `kubectl rollout restart deployment,statefulset ${ns} (all but kube-etcd, ${API_SERVER}, ${MAINTENANCE})`,
      effect: "changes",
      onlyWhen: "when the namespace has such workloads",
    },
    {
      name: "prunePreRestore",
      purpose: `remove pre-restore folders beyond the newest ${PRE_RESTORE_KEEP} on every member, now that the restored cluster is proven`,
      effect: "changes",
    },
    {
      name: "releaseLock",
      purpose: "remove the restore's journal, which is also its lock",
      runbook: `kubectl delete configmap -n ${cluster} etcd-backup-actions-restore`,
      effect: "changes",
    },
    {
      name: "putBackAfterFailure",
      purpose:
        "members, API server, maintenance job and PDB back as the journal recorded them, the restore's files and utility pods removed, the lock released",
      effect: "changes",
      onlyWhen:
        "when a step before the swap failed (after the swap nothing is put back: rerun to finish, or undo)",
    },
  ];
  return new Map(steps.map((step) => [step.name, step]));
}

/** The outage begins: what is stopped, each recording what it changes before it acts. */
const OUT_OF_SERVICE = ["savePdb", "scaleDownApiServer", "relaxPodManagement", "stopMembers"];

/** Back in service, each phase gated on health. */
const BACK_IN_SERVICE = [
  "deleteUtilityPods",
  "startMembers",
  "checkMembers",
  "restorePodManagement",
  "scaleUpApiServer",
  "recreatePdb",
  "restartWatchers",
];

const RESTORE_ORDER = [
  "readTopology",
  "checkBackup",
  "checkNodes",
  "createUtilityPods",
  "probeUtilityImage",
  "checkRoom",
  "streamSnapshot",
  "restoreMembers",
  ...OUT_OF_SERVICE,
  "swapMembers",
  ...BACK_IN_SERVICE,
  "prunePreRestore",
  "releaseLock",
  "putBackAfterFailure",
];

/** Undo: the same gated phases, the newest pre-restore data swapped back instead. */
const UNDO_ORDER = [
  "readTopology",
  "checkNodes",
  ...OUT_OF_SERVICE,
  "createUtilityPods",
  "undoSwap",
  ...BACK_IN_SERVICE,
  "releaseLock",
  "putBackAfterFailure",
];

/** The restore, declared once: `dry-run` prints it, a run executes it. */
export function etcdRestorePlan(cluster: string, backupUri: string): Plan {
  const steps = restoreSteps(cluster);
  return new Plan(
    `restore etcd of ${cluster} from ${backupUri}`,
    RESTORE_ORDER.map((name) => steps.get(name)!),
  );
}

/** The undo of a restore, declared once. */
export function etcdUndoPlan(cluster: string): Plan {
  const steps = restoreSteps(cluster);
  return new Plan(
    `undo the last restore of ${cluster}: put the newest pre-restore data back`,
    UNDO_ORDER.map((name) => steps.get(name)!),
  );
}

export async function runEtcdRestore(options: EtcdRestoreOptions): Promise<EtcdRestoreResult> {
  return new UserClusterRestore(options, options).run();
}

export interface AfterInterruptionOptions {
  config: KubeConfig;
  cluster: string;
  logger: Logger;
  waitTimeoutMs?: number;
  /** The owner this job's main step recorded; the journal's last run must be this one. */
  owner: string;
}

/**
 * The `post:` step of a restore or undo whose run did not finish (cancelled, runner lost):
 * before its swap began, everything is put back as its journal recorded it and the lock is
 * released; after, nothing is changed and the log says how to finish or undo.
 */
export async function finishInterruptedRestore(
  options: AfterInterruptionOptions,
): Promise<"nothing to do" | "put back" | "left for a rerun or undo"> {
  const journal = new ConfigMapJournal(options.config, options.cluster);
  const entries = await journal.read();
  if (entries.length === 0) return "nothing to do";
  const lastOwner = (
    entries.filter((entry) => entry.event === "run").at(-1)?.data as { owner?: string } | undefined
  )?.owner;
  if (lastOwner !== options.owner) {
    // Another run (a later one, or another job) carries this work on: not ours to touch.
    options.logger.info(
      `The journal ${journal.description} belongs to another run (${lastOwner ?? "unknown"}); this step leaves it alone.`,
    );
    return "nothing to do";
  }
  const begun = entries.find((entry) => entry.event === "begin")?.data as
    { backup?: string; undo?: string } | undefined;
  const what = begun?.backup
    ? `the restore of ${options.cluster} from ${begun.backup}`
    : `the undo of ${options.cluster}`;
  const swapped = entries.some(swapBeganIn);
  if (swapped) {
    options.logger.warning(
      `${what} stopped after its swap began: nothing is put back (the displaced data is kept in pre-restore folders). Run it again with the same inputs to finish it${begun?.backup ? ", or run etcd-restore-ha with undo: true to put the old data back" : ""}. Its journal and lock: ${journal.description}.`,
    );
    return "left for a rerun or undo";
  }
  const intentOf = (step: string) =>
    entries.find((entry) => entry.step === step && entry.event === "intent")?.data;
  const restore = new UserClusterRestore(
    {
      ...options,
      dryRun: false,
      ...(options.waitTimeoutMs ? { waitTimeoutMs: options.waitTimeoutMs } : {}),
    },
    undefined,
  );
  const done = await restore.putBack(intentOf, journal);
  options.logger.info(`${what} did not finish before its swap; put back: ${done.join("; ")}.`);
  return "put back";
}

/**
 * Whether a journal entry shows a swap that may have moved data: an undo's swap once it
 * started; a restore's once it recorded its first move (a swap refused on its first member
 * moved nothing, and what came before it is put back).
 */
function swapBeganIn(entry: { step: string; event: string }): boolean {
  return (
    (entry.step === "swapMembers" && entry.event === "intent") ||
    (entry.step === "undoSwap" && entry.event === "started")
  );
}

/** Puts the newest pre-restore data back on every member, through the same gated phases. */
export async function runEtcdUndo(options: EtcdUndoOptions): Promise<EtcdRestoreResult> {
  return new UserClusterRestore(options, undefined).undo();
}

class UserClusterRestore {
  private readonly logger: Logger;
  private readonly profile: EtcdClusterProfile;
  private readonly started = Date.now();
  private outageStarted: number | undefined;
  /** What the utility image was found to have when the utility pods were created. */
  private probedImage: UtilityImageFacts | undefined;
  private readonly result: EtcdRestoreResult;

  constructor(
    private readonly options: EtcdUndoOptions,
    /** Set for a restore, absent for an undo. */
    private readonly restoring: EtcdRestoreOptions | undefined,
  ) {
    this.logger = options.logger;
    this.profile = userClusterProfile(options.cluster);
    this.result = {
      cluster: options.cluster,
      outcome: "failed",
      backup: restoring?.backup.location.uri ?? "",
      members: [],
      preRestoreFolders: [],
      removedPreRestoreFolders: [],
      durationMs: 0,
      steps: [],
    };
  }

  /** The restore's own options; an undo never reaches the code that asks. */
  private get source(): EtcdRestoreOptions {
    if (!this.restoring) throw new Error("an undo has no backup to read");
    return this.restoring;
  }

  private checkConfirm(): void {
    const { options } = this;
    if (!options.dryRun && options.confirm !== options.cluster) {
      throw new ConfigurationError(
        "confirm",
        `must be the cluster's name, ${options.cluster}, for the ${this.restoring ? "restore" : "undo"} to change anything (it is ${options.confirm ? `"${options.confirm}"` : "empty"}); a dry run needs no confirmation.`,
      );
    }
  }

  async run(): Promise<EtcdRestoreResult> {
    const options = this.source;
    if (options.backup.manifest.cluster !== options.cluster) {
      throw new ConfigurationError(
        "backup",
        `${options.backup.location.uri} is a backup of ${options.backup.manifest.cluster}, not of ${options.cluster}; expected a backup of the cluster being restored.`,
      );
    }
    this.checkConfirm();
    // A dry run reads no payload: the plan job of an approval workflow has no identity.
    if (!options.dryRun || options.identities.length > 0) {
      try {
        checkIdentities(options.backup, options.identities);
      } catch (error) {
        throw new ConfigurationError("identity", errorMessage(error), { cause: error });
      }
    }
    const plan = etcdRestorePlan(options.cluster, options.backup.location.uri);
    const result = await this.execute(
      plan,
      { cluster: options.cluster, backup: options.backup.location.uri },
      "swapMembers",
      (run, journal) => this.restore(run, journal),
    );
    if (!options.dryRun) await this.recordRestore(result);
    return result;
  }

  /** The audit trail: a record of this restore (succeeded or failed) beside the backups. */
  private async recordRestore(result: EtcdRestoreResult): Promise<void> {
    const { store, audit } = this.source;
    const { steps: _steps, record: _record, ...facts } = result;
    const uri = await writeRestoreRecord(
      store,
      restoreRecord(
        facts,
        audit ?? { actor: "unknown", via: "library" },
        new Date(this.started),
        new Date(),
      ),
      this.logger,
    );
    if (uri) result.record = uri;
  }

  /**
   * Runs a plan under the journal (none in a dry run), which is also the lock; a failure
   * before `swapStep` began puts everything back, one after it leaves the rest to a rerun.
   */
  private async execute(
    plan: Plan,
    identity: Record<string, string>,
    swapStep: string,
    steps: (run: PlanRun, journal: ConfigMapJournal | undefined) => Promise<void>,
    beforeStart?: (journal: ConfigMapJournal) => Promise<void>,
  ): Promise<EtcdRestoreResult> {
    const { options, logger } = this;
    plan.print(logger);
    const journal = options.dryRun
      ? undefined
      : new ConfigMapJournal(options.config, this.profile.namespace);
    if (journal && beforeStart) await beforeStart(journal);
    const run = await PlanRun.start(plan, {
      logger,
      ...(journal ? { journal } : {}),
      identity,
      dryRun: options.dryRun,
      ...(options.owner ? { owner: options.owner } : {}),
    });
    this.result.steps = run.log;
    try {
      await steps(run, journal);
      this.result.outcome = options.dryRun ? "planned" : "restored";
    } catch (error) {
      this.result.error = errorMessage(error);
      run.fail(error);
      if (journal) await this.afterFailure(run, journal, swapStep);
    } finally {
      run.finish();
      this.result.durationMs = Date.now() - this.started;
    }
    return this.result;
  }

  /** The undo: the newest pre-restore data back on every member, by the same gated phases. */
  async undo(): Promise<EtcdRestoreResult> {
    const { options } = this;
    this.checkConfirm();
    return this.execute(
      etcdUndoPlan(options.cluster),
      { cluster: options.cluster, undo: "newest pre-restore data" },
      "undoSwap",
      (run, journal) => this.undoSteps(run, journal),
      (journal) => this.takeOverUnfinishedRestore(journal),
    );
  }

  /**
   * An undo may follow a restore that stopped after its swap: its journal holds the lock.
   * The undo takes the lock over, keeping what the restore recorded about the state before
   * it (replicas, PDB), which is what the undo must put back.
   */
  private async takeOverUnfinishedRestore(journal: ConfigMapJournal): Promise<void> {
    const entries = await journal.read();
    const begun = entries.find((entry) => entry.event === "begin");
    const restoreOf = (begun?.data as { backup?: string } | undefined)?.backup;
    if (!restoreOf) return;
    if (!entries.some((entry) => swapBeganIn(entry) && entry.step === "swapMembers")) {
      throw new Error(
        `the unfinished restore of ${this.options.cluster} from ${restoreOf} stopped before its swap, so its data was never replaced: there is nothing to undo. Its post step, or a rerun of it, puts everything back; the journal is ${journal.description}.`,
      );
    }
    const stamp = (
      entries.find((entry) => entry.event === "intent" && entry.step === "createUtilityPods")
        ?.data as { stamp?: string } | undefined
    )?.stamp;
    this.logger.warning(
      `Taking over the lock of the unfinished restore of ${this.options.cluster} from ${restoreOf}; the state it recorded before its changes is kept, and only the members it swapped are put back.`,
    );
    const at = new Date().toISOString();
    // One write: a kill in the middle can never lose what the restore recorded.
    await journal.rewrite([
      {
        step: "",
        event: "begin",
        at,
        data: { cluster: this.options.cluster, undo: "newest pre-restore data" },
      },
      ...entries.filter(
        (entry) =>
          (entry.event === "intent" &&
            ["savePdb", "scaleDownApiServer", "relaxPodManagement", "stopMembers"].includes(
              entry.step,
            )) ||
          (["started", "intent"].includes(entry.event) && entry.step === "swapMembers"),
      ),
      ...(stamp
        ? [{ step: "undoSwap", event: "intent" as const, at, data: { restoreStamp: stamp } }]
        : []),
    ]);
  }

  private async undoSteps(run: PlanRun, journal: ConfigMapJournal | undefined): Promise<void> {
    const { options } = this;
    const topology = await this.readTopologyStep(run);
    const would = `would put the newest pre-restore data back on ${topology.members.map((member) => member.pod).join(", ")} of ${options.cluster}`;
    if (await this.checkNodesThenStopIfDry(run, topology, would)) return;
    const service = await this.takeOutOfService(run, topology);
    const { stamp } = await this.createUtilityPodsStep(run, topology);
    const undone = await run.run(
      "undoSwap",
      async (step) => {
        // Which restore is undone is decided once, before anything moves: the one the
        // journal names (taken over), else the newest pre-restore folder on the members.
        const { restoreStamp: undone } = await step.intend({
          restoreStamp: await this.newestPreRestoreStamp(topology),
        });
        return this.undoMembers(topology, stamp, undone);
      },
      (lines) => lines.join("; "),
    );
    this.result.preRestoreFolders = undone;
    await run.run("deleteUtilityPods", () => this.deleteUtilityPods(topology));
    await this.bringBackIntoService(run, topology, service, { undo: true });
    await run.run("releaseLock", async () => journal?.remove());
    run.skip("putBackAfterFailure", "the undo succeeded");
  }

  /** The newest `pre-restore-<stamp>` on any member: the last restore. */
  private async newestPreRestoreStamp(topology: RestoreTopology): Promise<string> {
    const stamps = new Set<string>();
    for (const member of topology.members) {
      const { stdout } = await this.inUtilityPod(
        topology,
        member,
        shellCommand(
          'for d in "$1"/pre-restore-*/member; do [ -d "$d" ] && echo "$d"; done; true',
          member.config.dataDir,
        ),
      );
      for (const line of stdout.split("\n")) {
        const found = /\/pre-restore-([^/]+)\/member$/.exec(line.trim());
        if (found) stamps.add(found[1]!);
      }
    }
    const newest = [...stamps].sort().at(-1);
    if (!newest) {
      throw new Error(
        `no member of ${this.options.cluster} has a pre-restore folder: there is no restore to undo.`,
      );
    }
    return newest;
  }

  private async undoMembers(
    topology: RestoreTopology,
    stamp: string,
    restoreStamp: string,
  ): Promise<string[]> {
    const done: string[] = [];
    for (const member of topology.members) {
      const { code, stdout } = await this.inUtilityPod(
        topology,
        member,
        shellCommand(UNDO_SCRIPT, member.config.dataDir, stamp, restoreStamp),
        [0, RESTORE_EXIT.dataInUse, RESTORE_EXIT.nothingToUndo],
      );
      if (code === RESTORE_EXIT.dataInUse) {
        throw new Error(
          `a process still holds ${member.config.dataDir}/member/snap/db of ${member.pod} (its etcd is not stopped): nothing was put back on it; check the node ${member.node}, then rerun.`,
        );
      }
      if (code === RESTORE_EXIT.nothingToUndo) {
        // The restore never swapped this member: its live data is still its own.
        done.push(`${member.pod}: not swapped by the restore of ${restoreStamp}, left as it is`);
        continue;
      }
      done.push(
        stdout.trim() === "already undone"
          ? `${member.pod}: already put back`
          : `${member.pod}: ${stdout.trim()} put back, the data it replaced kept in pre-undo-${stamp}`,
      );
    }
    return done;
  }

  /**
   * Before the swap, a failure changes nothing for good: everything is put back as the
   * journal recorded it. After the swap began, nothing is put back (the old data is safe in
   * pre-restore folders); the log says how to finish or undo.
   */
  private async afterFailure(
    run: PlanRun,
    journal: ConfigMapJournal,
    swapStep = "swapMembers",
  ): Promise<void> {
    // A swap refused on its first member moved nothing: that is not "began" (see swapMembers).
    const began =
      run.intentOf("swapMembers") !== undefined ||
      (swapStep !== "swapMembers" && run.hasStarted(swapStep));
    if (began) {
      this.logger.warning(
        `The restore of ${this.options.cluster} stopped after the swap began; the displaced data is kept in pre-restore folders on every member's volume, and the journal ${journal.description} holds the lock. Rerun the restore with the same backup to finish it, or run it with undo to put the old data back.`,
      );
      return;
    }
    await run
      .run(
        "putBackAfterFailure",
        () => this.putBack((step) => run.intentOf(step), journal),
        (done) => done.join("; "),
      )
      .catch((error: unknown) => {
        this.logger.warning(
          `Putting ${this.options.cluster} back after the failure did not finish: ${errorMessage(error)}. The journal ${journal.description} records what was changed; rerun the restore to continue, or put it back by hand.`,
        );
      });
  }

  /**
   * Undoes, from the journal's records, every change made before the swap. Each recorded
   * change is put back on its own (one that fails does not keep the others from coming
   * back); the lock is released only when all of them are, else one error lists what is left.
   */
  async putBack(intentOf: (step: string) => unknown, journal: ConfigMapJournal): Promise<string[]> {
    const { config } = this.options;
    const done: string[] = [];
    const failed: string[] = [];
    // Settled first, recorded after: two in parallel are still listed in a fixed order.
    const settle = (what: string, action: () => Promise<string>) =>
      action().then(
        (text) => () => done.push(text),
        (error: unknown) => () => failed.push(`${what}: ${errorMessage(error)}`),
      );
    const attempt = async (what: string, action: () => Promise<string>): Promise<void> => {
      (await settle(what, action))();
    };
    const relaxed = intentOf("relaxPodManagement") as { manifest: SavedStatefulSet } | undefined;
    const stopped = intentOf("stopMembers") as StoppedMembers | undefined;
    if (relaxed || stopped) {
      await attempt("kube-etcd", () => this.putBackMembers(relaxed?.manifest, stopped));
    }
    const scaled = intentOf("scaleDownApiServer") as ScaledDown | undefined;
    if (scaled) {
      const settled = await Promise.all([
        settle(API_SERVER, () =>
          this.putBackReplicas("StatefulSet", API_SERVER, scaled.apiServer, scaled.apiServerReady),
        ),
        settle(MAINTENANCE, () =>
          this.putBackReplicas(
            "Deployment",
            MAINTENANCE,
            scaled.maintenance,
            scaled.maintenanceReady,
          ),
        ),
      ]);
      for (const record of settled) record();
    }
    const pdb = intentOf("savePdb") as { manifest: SavedPodDisruptionBudget | null } | undefined;
    if (pdb?.manifest) {
      const manifest = pdb.manifest;
      await attempt(API_SERVER_PDB, async () => {
        await recreatePodDisruptionBudget(config, manifest, this.options.signal);
        return `${API_SERVER_PDB} re-created`;
      });
    }
    const created = intentOf("createUtilityPods") as { stamp: string } | undefined;
    if (created) {
      await attempt("the utility pods", () => this.removeRestoreFiles(created.stamp));
    }
    if (failed.length) {
      // The journal stays: it is the lock, and the record of what is still to put back.
      throw new Error(
        `${failed.join("; ")}${done.length ? ` (put back: ${done.join("; ")})` : ""}; the lock is kept`,
      );
    }
    await journal.remove();
    done.push("lock released");
    return done;
  }

  /**
   * kube-etcd back to its recorded replicas, and re-created as saved when it was relaxed.
   * The saved set is re-created as soon as its pods exist (adoption needs no Ready, and an
   * OrderedReady set must find them all created); Ready is awaited only if the members were
   * Ready when they were stopped: a cluster that had lost quorum does not get it back here.
   */
  private async putBackMembers(
    saved: SavedStatefulSet | undefined,
    stopped: StoppedMembers | undefined,
  ): Promise<string> {
    const { config } = this.options;
    const etcd = this.workload("StatefulSet", "kube-etcd");
    // Journals written before readiness was recorded waited for Ready: keep that.
    const wasReady = stopped?.ready !== false;
    const parts: string[] = [];
    if (saved) {
      // The members start again under the Parallel copy: OrderedReady could deadlock.
      await recreateStatefulSetKeepingPods(config, saved, "Parallel", this.settlingWaits());
    }
    if (stopped) {
      const until = saved || !wasReady ? "created" : "ready";
      await scaleWorkload(config, etcd, stopped.replicas, { ...this.settlingWaits(), until });
      parts.push(`kube-etcd back to ${stopped.replicas}`);
    }
    if (saved) {
      await recreateStatefulSetKeepingPods(config, saved, undefined, this.settlingWaits());
      parts.push(
        `kube-etcd re-created as saved (${saved.spec.podManagementPolicy ?? "OrderedReady"})`,
      );
      if (stopped && wasReady)
        await scaleWorkload(config, etcd, stopped.replicas, this.settlingWaits());
    }
    if (stopped && !wasReady)
      parts.push("its members were not Ready before the restore, so Ready was not awaited");
    return parts.join(", ");
  }

  /** A workload back to its recorded replicas; Ready awaited only if it was Ready before. */
  private async putBackReplicas(
    kind: WorkloadRef["kind"],
    name: string,
    replicas: number,
    wasReady: boolean | undefined,
  ): Promise<string> {
    const until = wasReady === false ? "created" : "ready";
    await scaleWorkload(this.options.config, this.workload(kind, name), replicas, {
      ...this.settlingWaits(),
      until,
    });
    return `${name} back to ${replicas}${until === "created" ? " (not Ready before the restore either)" : ""}`;
  }

  /** Removes restore-<stamp> and its snapshot from every volume, then the utility pods. */
  private async removeRestoreFiles(stamp: string): Promise<string> {
    const { config } = this.options;
    const namespace = this.profile.namespace;
    const core = config.makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({
      namespace,
      labelSelector: "etcd-backup-actions/role=restore-utility",
    });
    for (const pod of pods.items) {
      const name = pod.metadata!.name!;
      const dataDir = pod.metadata?.annotations?.[DATA_DIR_ANNOTATION];
      if (dataDir && pod.status?.phase !== "Running") {
        this.logger.warning(
          `The utility pod ${namespace}/${name} is ${pod.status?.phase ?? "not running"}: its volume may still hold ${dataDir}/restore-${stamp}.db, a plaintext snapshot with every Secret of the cluster. Remove it (and ${dataDir}/restore-${stamp}) from a pod that mounts that volume.`,
        );
      }
      if (dataDir && pod.status?.phase === "Running") {
        await this.exec({ namespace, pod: name, container: "etcd-utility" }, [
          "sh",
          "-c",
          'rm -rf "$1/restore-$2" "$1/restore-$2.db" "$1/restore-$2.db.part"',
          "sh",
          dataDir,
          stamp,
        ]);
      }
      await deletePodAndWait(config, { namespace, name }, this.settlingWaits());
    }
    return `restore-${stamp} removed and ${pods.items.length} utility pod(s) deleted`;
  }

  private async restore(run: PlanRun, journal: ConfigMapJournal | undefined): Promise<void> {
    const options = this.source;
    const topology = await this.readTopologyStep(run);
    await run.run(
      "checkBackup",
      async () => this.checkBackup(topology),
      (text) => text,
    );
    const would = `would restore ${topology.members.length} member(s) of ${options.cluster} (${topology.members.map((member) => `${member.pod} on ${member.node}`).join(", ")}) from ${options.backup.location.uri}`;
    if (await this.checkNodesThenStopIfDry(run, topology, would)) return;
    // The stamp of this restore's folders: recorded once, so a rerun uses the same folders.
    const { stamp } = await this.createUtilityPodsStep(run, topology);
    // A rerun past restoreMembers has its facts in the journal, and the utility pods may be
    // gone already (deleted after the swap): probing or measuring them again is not possible.
    const restoredEarlier = run.isDone("restoreMembers");
    let probed: { facts: UtilityImageFacts; bump: number | undefined } | undefined;
    if (restoredEarlier) {
      run.skip("probeUtilityImage", "the members were restored in an earlier run");
      run.skip("checkRoom", "the members were restored in an earlier run");
    } else {
      probed = await run.run(
        "probeUtilityImage",
        async () => {
          const facts = await this.probeUtilityImage(topology);
          return { facts, bump: this.chooseBump(facts) };
        },
        ({ facts }) => describeImage(facts),
      );
      await run.run(
        "checkRoom",
        () => this.checkRoom(topology),
        (text) => text,
      );
    }
    await run.run(
      "streamSnapshot",
      () => this.streamSnapshot(topology, stamp),
      () =>
        `${formatBytes(options.backup.manifest.payload.plaintext.bytes)} to ${topology.members.length} member(s), sha256 equal in each`,
    );
    const restored = await run.run(
      "restoreMembers",
      async () => ({
        summary: await this.restoreMembers(topology, stamp, probed!.facts, probed!.bump),
        bump: probed!.bump ?? 0,
      }),
      ({ summary }) => summary,
    );
    const bump = restored.bump || undefined;
    this.result.bump = restored.bump;

    const service = await this.takeOutOfService(run, topology);
    const swaps = await run.run(
      "swapMembers",
      (step) => this.swapMembers(topology, stamp, step),
      (done) => done.join("; "),
    );
    this.result.preRestoreFolders = topology.members.map(
      (member) => `${member.pod}:${member.config.dataDir}/pre-restore-${stamp}`,
    );
    this.logger.debug(swaps.join("; "));
    await run.run("deleteUtilityPods", () => this.deleteUtilityPods(topology));
    await this.bringBackIntoService(run, topology, service, { bump });
    const removed = await run.run(
      "prunePreRestore",
      () => this.prunePreRestore(topology),
      (names) => (names.length ? `removed ${names.join(", ")}` : "nothing to remove"),
    );
    this.result.removedPreRestoreFolders = removed;
    await run.run("releaseLock", async () => journal?.remove());
    run.skip("putBackAfterFailure", "the restore succeeded");
  }

  /**
   * The outage begins: the PDB saved and removed, the API server and the maintenance job
   * scaled to 0, every member stopped. Each step records what it changes before it acts.
   */
  private async takeOutOfService(run: PlanRun, topology: RestoreTopology): Promise<OutOfService> {
    const { options } = this;
    this.outageStarted = Date.now();
    const pdb = await run.run(
      "savePdb",
      async (step) => {
        const saved = await step.intend<{ manifest: SavedPodDisruptionBudget | null }>({
          manifest:
            (await savePodDisruptionBudget(options.config, this.pdbRef(), options.signal)) ?? null,
        });
        if (saved.manifest)
          await deletePodDisruptionBudget(options.config, this.pdbRef(), this.waits());
        return saved;
      },
      (saved) =>
        saved.manifest
          ? `${API_SERVER_PDB} saved in the journal and deleted`
          : "the cluster has no such PDB",
    );
    const scaledDown = await run.run(
      "scaleDownApiServer",
      async (step) => {
        const replicas = await step.intend<ScaledDown>({
          apiServer: await this.replicasOf(this.workload("StatefulSet", API_SERVER)),
          maintenance: await this.replicasOf(this.workload("Deployment", MAINTENANCE)),
          apiServerReady: await isWorkloadReady(
            options.config,
            this.workload("StatefulSet", API_SERVER),
          ),
          maintenanceReady: await isWorkloadReady(
            options.config,
            this.workload("Deployment", MAINTENANCE),
          ),
        });
        await Promise.all([
          scaleWorkload(options.config, this.workload("StatefulSet", API_SERVER), 0, this.waits()),
          scaleWorkload(options.config, this.workload("Deployment", MAINTENANCE), 0, this.waits()),
        ]);
        return replicas;
      },
      (replicas) =>
        `${API_SERVER} ${replicas.apiServer} -> 0, ${MAINTENANCE} ${replicas.maintenance} -> 0`,
    );
    await this.relaxPodManagementStep(run, topology);
    const stopped = await run.run(
      "stopMembers",
      async (step) => {
        const recorded = await step.intend<StoppedMembers>({
          replicas: topology.replicas,
          ready: await isWorkloadReady(options.config, this.workload("StatefulSet", "kube-etcd")),
        });
        await scaleWorkload(
          options.config,
          this.workload("StatefulSet", "kube-etcd"),
          0,
          this.waits(),
        );
        return recorded;
      },
      (recorded) => `kube-etcd ${recorded.replicas} -> 0, every member pod gone`,
    );
    return { pdb: pdb.manifest, ...scaledDown, members: stopped.replicas };
  }

  /**
   * Back in service, each phase gated on health: the members, proven one healthy cluster
   * (with the snapshot's revision and key count after a restore); then the API server and
   * the maintenance job; the PDB as saved; every other watcher of the API restarted.
   */
  private async bringBackIntoService(
    run: PlanRun,
    topology: RestoreTopology,
    service: OutOfService,
    proof: { bump?: number | undefined; undo?: boolean },
  ): Promise<void> {
    const { options } = this;
    await run.run(
      "startMembers",
      async () =>
        scaleWorkload(
          options.config,
          this.workload("StatefulSet", "kube-etcd"),
          service.members,
          this.waits(),
        ),
      () => `kube-etcd 0 -> ${service.members}, every member Ready`,
    );
    const facts = await run.run(
      "checkMembers",
      () => this.checkMembers(topology, proof),
      (checked) => checked.summary,
    );
    this.result.revision = facts.revision;
    this.result.keys = facts.keys;
    await this.restorePodManagementStep(run, topology);
    await run.run(
      "scaleUpApiServer",
      async () => {
        await Promise.all([
          scaleWorkload(
            options.config,
            this.workload("StatefulSet", API_SERVER),
            service.apiServer,
            this.waits(),
          ),
          scaleWorkload(
            options.config,
            this.workload("Deployment", MAINTENANCE),
            service.maintenance,
            this.waits(),
          ),
        ]);
      },
      () =>
        `${API_SERVER} 0 -> ${service.apiServer}, ${MAINTENANCE} 0 -> ${service.maintenance}, their pods Ready`,
    );
    if (this.outageStarted !== undefined) this.result.outageMs = Date.now() - this.outageStarted;
    if (service.pdb) {
      const manifest = service.pdb;
      await run.run(
        "recreatePdb",
        () => recreatePodDisruptionBudget(options.config, manifest, options.signal),
        () => `${API_SERVER_PDB} re-created as saved`,
      );
    } else run.skip("recreatePdb", "the cluster had no PDB to put back");
    const watchers = await this.otherWorkloads(topology);
    if (watchers.length) {
      await run.run(
        "restartWatchers",
        () => this.restartWorkloads(watchers),
        () => watchers.map(describeWorkload).join(", "),
      );
    } else {
      run.skip(
        "restartWatchers",
        `nothing else in ${topology.namespace} watches the user cluster's API`,
      );
    }
  }

  // ------------------------------------------------------------------ pod management

  /**
   * OrderedReady with more than one member: scaling up from 0 deadlocks when the members'
   * readiness needs quorum, and scaling down stalls on members that are not Ready. A rerun
   * after the set was relaxed finds it Parallel: the journal says it was not.
   */
  private needsParallelWindow(run: PlanRun, topology: RestoreTopology): boolean {
    if (run.intentOf("relaxPodManagement") !== undefined) return true;
    return topology.podManagementPolicy === "OrderedReady" && topology.replicas > 1;
  }

  /** kube-etcd saved in the journal and replaced by a Parallel copy; its members run on. */
  private async relaxPodManagementStep(run: PlanRun, topology: RestoreTopology): Promise<void> {
    if (!this.needsParallelWindow(run, topology)) {
      run.skip(
        "relaxPodManagement",
        `kube-etcd is ${topology.podManagementPolicy} with ${topology.replicas} member(s): it stops and starts without deadlock`,
      );
      return;
    }
    await run.run(
      "relaxPodManagement",
      async (step) => {
        // A rerun after the delete (the set may be gone) works from the journal's copy.
        const earlier = step.earlierIntent as { manifest: SavedStatefulSet } | undefined;
        const { manifest } = await step.intend({
          manifest: earlier?.manifest ?? (await this.saveEtcdStatefulSet()),
        });
        return recreateStatefulSetKeepingPods(
          this.options.config,
          manifest,
          "Parallel",
          this.waits(),
        );
      },
      (result) => describeRecreate(result, "Parallel"),
    );
  }

  /** kube-etcd re-created exactly as saved; it adopts the running members. */
  private async restorePodManagementStep(run: PlanRun, topology: RestoreTopology): Promise<void> {
    const relaxed = run.intentOf("relaxPodManagement") as
      { manifest: SavedStatefulSet } | undefined;
    if (!relaxed) {
      run.skip(
        "restorePodManagement",
        `kube-etcd was ${topology.podManagementPolicy}: nothing to put back`,
      );
      return;
    }
    await run.run(
      "restorePodManagement",
      () =>
        recreateStatefulSetKeepingPods(
          this.options.config,
          relaxed.manifest,
          undefined,
          this.waits(),
        ),
      (result) =>
        describeRecreate(result, relaxed.manifest.spec.podManagementPolicy ?? "OrderedReady"),
    );
  }

  private async saveEtcdStatefulSet(): Promise<SavedStatefulSet> {
    const ref = { namespace: this.profile.namespace, name: "kube-etcd" };
    const live = await readStatefulSet(this.options.config, ref, this.options.signal);
    if (!live) {
      throw new Error(
        `statefulset ${ref.namespace}/kube-etcd is gone and the journal holds no saved copy of it: re-create it from the cluster's configuration first.`,
      );
    }
    return savedStatefulSet(live);
  }

  // ------------------------------------------------------------------ reading

  /**
   * The utility pods, and the stamp of this restore's (or undo's) folders with each member's
   * node: recorded once, so a rerun uses the same folders and finds the nodes without pods.
   */
  private async createUtilityPodsStep(
    run: PlanRun,
    topology: RestoreTopology,
  ): Promise<{ stamp: string }> {
    const { options } = this;
    return run.run("createUtilityPods", async (step) => {
      const recorded = await step.intend({
        stamp: restoreStamp(options.now ?? new Date()),
        nodes: Object.fromEntries(topology.members.map((member) => [member.pod, member.node])),
      });
      const image = await this.createUtilityPodsWithUsableImage(topology);
      return { ...recorded, image };
    });
  }

  /**
   * The utility pods, with an image proven to have what they need: the given utility-image,
   * else the cluster's own etcd image, else (when that lacks a shell or the tools, as the
   * distroless etcd images from 3.5.7 on do) the runbook's etcd-util image of the cluster's
   * version. Returns the image the pods run.
   */
  private async createUtilityPodsWithUsableImage(topology: RestoreTopology): Promise<string> {
    const { utilityImage: given, gkeOnPremVersion: version } = this.options;
    const first = given ?? topology.image;
    const problem = await this.tryUtilityImage(topology, first);
    if (!problem) return first;
    if (given) {
      throw new ConfigurationError(
        "utility-image",
        `${given} ${problem}; expected an image with sh, etcdctl or etcdutl, flock, mv, stat, df and sha256sum or openssl, such as the runbook's ${etcdUtilImage("<version>")} (or leave utility-image empty and give gke-on-prem-version).`,
      );
    }
    if (!version) {
      throw new ConfigurationError(
        "gke-on-prem-version",
        `is not given, and the cluster's own etcd image ${first} ${problem} (etcd images from 3.5.7 on are distroless): give gke-on-prem-version, the cluster's Anthos version such as 1.32.400-gke.68, to use the runbook's ${etcdUtilImage("<version>")}, or utility-image with an image that has them.`,
      );
    }
    const fallback = etcdUtilImage(version);
    this.logger.warning(
      `The cluster's own etcd image ${first} ${problem}; the utility pods use ${fallback} (from gke-on-prem-version) instead.`,
    );
    const fallbackProblem = await this.tryUtilityImage(topology, fallback);
    if (fallbackProblem) {
      throw new ConfigurationError(
        "gke-on-prem-version",
        `${version} names ${fallback}, which ${fallbackProblem} either; check the cluster's version (gkectl version), or give utility-image.`,
      );
    }
    return fallback;
  }

  /**
   * Starts the utility pods with `image` and probes it; undefined when it has all the
   * utility pods need, else what it lacks (its pods then deleted again).
   */
  private async tryUtilityImage(
    topology: RestoreTopology,
    image: string,
  ): Promise<string | undefined> {
    let facts: UtilityImageFacts;
    try {
      await this.createUtilityPods(topology, image, { keepOnFailure: true });
      facts = await this.probeImageFacts(topology);
    } catch (error) {
      // The utility container is a shell loop that never ends: ending at once means no shell.
      // It may end before the pods are seen running, or just after (then the probe's exec
      // finds a completed pod): either way, the container's end says why.
      const ended = await this.utilityContainerEnded(topology);
      await this.deleteUtilityPods(topology);
      if (ended) return `cannot run /bin/sh (the utility pod's shell ended at once: ${ended})`;
      throw error;
    }
    const missing = missingUtilityTools(facts);
    if (missing.length === 0) {
      this.probedImage = facts;
      return undefined;
    }
    await this.deleteUtilityPods(topology);
    return `lacks ${missing.join(", ")}`;
  }

  /** How a utility container ended, if one did (e.g. `StartError 128: exec: "/bin/sh": ...`). */
  private async utilityContainerEnded(topology: RestoreTopology): Promise<string | undefined> {
    const core = this.options.config.makeApiClient(CoreV1Api);
    for (const member of topology.members) {
      const pod = await core
        .readNamespacedPod({ name: member.utilityPod, namespace: topology.namespace })
        .catch(() => undefined);
      const ended = pod?.status?.containerStatuses?.find(
        (container) => container.name === "etcd-utility",
      )?.state?.terminated;
      if (ended) {
        return `${ended.reason ?? "exit"} ${ended.exitCode}${ended.message ? `: ${ended.message.trim().split("\n").slice(-1)[0]}` : ""}`;
      }
    }
    return undefined;
  }

  /** The last reading step before any change; a dry run ends here, saying what it would do. */
  private async checkNodesThenStopIfDry(
    run: PlanRun,
    topology: RestoreTopology,
    wouldDo: string,
  ): Promise<boolean> {
    await run.run(
      "checkNodes",
      () => this.checkNodes(topology),
      (text) => text,
    );
    if (!this.options.dryRun) return false;
    this.logger.info(`Dry run: ${wouldDo}; nothing was changed.`);
    return true;
  }

  /** The first step of a restore and of an undo; a rerun after the stop knows the replicas. */
  private async readTopologyStep(run: PlanRun): Promise<RestoreTopology> {
    const recorded = run.intentOf("stopMembers") as { replicas: number } | undefined;
    const topology = await run.run(
      "readTopology",
      () =>
        this.readTopology(
          recorded?.replicas,
          (run.intentOf("createUtilityPods") as { nodes?: Record<string, string> } | undefined)
            ?.nodes,
          (run.intentOf("relaxPodManagement") as { manifest?: SavedStatefulSet } | undefined)
            ?.manifest,
        ),
      describeTopology,
    );
    this.result.members = topology.members.map((member) => member.pod);
    return topology;
  }

  /** `recordedReplicas`: the member count a stopped restore recorded before scaling to 0. */
  private async readTopology(
    recordedReplicas?: number,
    recordedNodes?: Record<string, string>,
    /** kube-etcd as a relaxing run saved it: the set may be gone (deleted, not yet re-created). */
    savedSet?: SavedStatefulSet,
  ): Promise<RestoreTopology> {
    const { config, cluster } = this.options;
    const namespace = this.profile.namespace;
    const apps = config.makeApiClient(AppsV1Api);
    const core = config.makeApiClient(CoreV1Api);
    const statefulSet: V1StatefulSet = await apps
      .readNamespacedStatefulSet({ name: "kube-etcd", namespace })
      .catch((error: unknown) => {
        // The JSON names are the model's: the saved copy reads as the set it was.
        if ((error as { code?: number }).code === 404 && savedSet)
          return savedSet as unknown as V1StatefulSet;
        throw new Error(
          `cluster ${cluster}: ${describeApiError(error, `statefulset ${namespace}/kube-etcd`)}`,
          {
            cause: error,
          },
        );
      });
    const spec = statefulSet.spec!;
    const podSpec = spec.template.spec!;
    const container =
      podSpec.containers.find((candidate) => candidate.name === this.profile.container) ??
      podSpec.containers[0]!;
    const claimName = spec.volumeClaimTemplates?.[0]?.metadata?.name ?? "data";
    const dataMount = container.volumeMounts?.find((mount) => mount.name === claimName)?.mountPath;
    const certificatesVolume = podSpec.volumes?.find((volume) => volume.secret);
    const certificatesMount = container.volumeMounts?.find(
      (mount) => mount.name === certificatesVolume?.name,
    )?.mountPath;
    if (!dataMount || !certificatesVolume?.secret?.secretName || !certificatesMount) {
      throw new Error(
        `statefulset ${namespace}/kube-etcd has no data volume claim mounted in its container, or no certificates secret: this is not the layout the runbook restores.`,
      );
    }
    const replicas = spec.replicas || recordedReplicas || 0;
    if (replicas < 1) {
      throw new Error(
        `statefulset ${namespace}/kube-etcd has 0 replicas: a restore that was interrupted after stopping the members is continued by a rerun with the same backup (its journal records the replicas); otherwise scale it back first.`,
      );
    }
    const claims = await core
      .listNamespacedPersistentVolumeClaim({ namespace })
      .catch((error: unknown) => {
        throw new Error(describeApiError(error, `persistentvolumeclaims in ${namespace}`), {
          cause: error,
        });
      });
    const pods = await core.listNamespacedPod({ namespace }).catch((error: unknown) => {
      throw new Error(describeApiError(error, `pods in ${namespace}`), { cause: error });
    });
    const members: RestoreMember[] = [];
    for (let memberNumber = 0; memberNumber < replicas; memberNumber++) {
      const pod = `kube-etcd-${memberNumber}`;
      const pvc = `${claimName}-${pod}`;
      const claim = claims.items.find((item) => item.metadata?.name === pvc);
      if (!claim)
        throw new Error(
          `member ${pod} of ${cluster} has no PVC ${pvc}: its data cannot be restored in place.`,
        );
      const node =
        claim.metadata?.annotations?.["volume.kubernetes.io/selected-node"] ??
        pods.items.find((item) => item.metadata?.name === pod)?.spec?.nodeName ??
        recordedNodes?.[pod];
      if (!node)
        throw new Error(
          `the PVC ${namespace}/${pvc} of ${pod} is bound to no node, and ${pod} runs nowhere: the utility pod has no node to go to.`,
        );
      members.push({
        memberNumber,
        pod,
        pvc,
        node,
        config: memberConfigFromContainer(
          container,
          { name: pod, namespace },
          `statefulset ${namespace}/kube-etcd (member ${pod})`,
        ),
        utilityPod: `etcd-utility-${memberNumber}`,
      });
    }
    return {
      cluster,
      namespace,
      replicas,
      image: container.image!,
      podManagementPolicy: spec.podManagementPolicy ?? "OrderedReady",
      dataMount,
      certificatesSecret: certificatesVolume.secret.secretName,
      certificatesMount,
      nodeSelector: podSpec.nodeSelector ?? {},
      members,
      ...(spec.persistentVolumeClaimRetentionPolicy?.whenScaled === "Delete"
        ? { pvcDeletedOnScaleDown: true }
        : {}),
      ...(spec.persistentVolumeClaimRetentionPolicy
        ? { pvcRetentionPolicy: spec.persistentVolumeClaimRetentionPolicy }
        : {}),
    };
  }

  private checkBackup(topology: RestoreTopology): string {
    const { manifest, location } = this.source.backup;
    if (manifest.kind !== "user-etcd") {
      throw new Error(
        `${location.uri} is a ${manifest.kind} backup; a user cluster is restored from a user-etcd backup.`,
      );
    }
    const backupVersion = manifest.etcd?.version;
    checkBackupEtcdVersion(
      { uri: location.uri, etcdVersion: backupVersion },
      topology.image,
      "the members run",
    );
    return `${manifest.cluster}, revision ${manifest.etcd?.revision ?? "?"}, ${manifest.etcd?.keyCount ?? "?"} keys, ${formatBytes(manifest.payload.plaintext.bytes)}${backupVersion ? `, etcd ${backupVersion}` : ""}`;
  }

  private async checkNodes(topology: RestoreTopology): Promise<string> {
    const core = this.options.config.makeApiClient(CoreV1Api);
    if ((topology as { pvcDeletedOnScaleDown?: boolean }).pvcDeletedOnScaleDown) {
      throw new Error(
        `statefulset ${topology.namespace}/kube-etcd deletes its PVCs when scaled down (persistentVolumeClaimRetentionPolicy.whenScaled: Delete): stopping the members would delete their data; set it to Retain first.`,
      );
    }
    if (
      topology.podManagementPolicy === "OrderedReady" &&
      topology.replicas > 1 &&
      topology.pvcRetentionPolicy?.whenDeleted === "Delete"
    ) {
      throw new Error(
        `statefulset ${topology.namespace}/kube-etcd is OrderedReady, so the restore must delete and re-create it (with orphan propagation) to stop and start its members, but it deletes its PVCs when deleted (persistentVolumeClaimRetentionPolicy.whenDeleted: Delete): that would put the members' data at risk; set whenDeleted to Retain first.`,
      );
    }
    for (const member of topology.members) {
      const node = await core.readNode({ name: member.node }).catch((error: unknown) => {
        throw new Error(
          `the node ${member.node} of ${member.pod}'s PVC ${member.pvc}: ${describeApiError(error, `node ${member.node}`)} The member's data lives there; bring the node back first.`,
          { cause: error },
        );
      });
      const ready = node.status?.conditions?.find((condition) => condition.type === "Ready");
      if (ready?.status !== "True") {
        throw new Error(
          `the node ${member.node} of ${member.pod}'s PVC ${member.pvc} is not Ready (${ready?.reason ?? "no Ready condition"}): a utility pod cannot run there; bring the node back first.`,
        );
      }
    }
    return topology.members.map((member) => `${member.pvc} on ${member.node} (Ready)`).join(", ");
  }

  // ------------------------------------------------------------------ utility pods

  private async createUtilityPods(
    topology: RestoreTopology,
    image: string,
    creation: { keepOnFailure?: boolean } = {},
  ): Promise<void> {
    await Promise.all(
      topology.members.map(async (member) => {
        // A rerun after an interruption may find the pod already there.
        await deletePodAndWait(
          this.options.config,
          { namespace: topology.namespace, name: member.utilityPod },
          this.waits(),
        );
        await createPodAndWait(this.options.config, utilityPodManifest(topology, member, image), {
          ...this.waits(),
          ...creation,
        }).catch((error: unknown) => {
          throw new Error(
            `the utility pod ${topology.namespace}/${member.utilityPod} on ${member.node} did not start: ${errorMessage(error)}`,
            { cause: error },
          );
        });
      }),
    );
  }

  private async probeUtilityImage(topology: RestoreTopology): Promise<UtilityImageFacts> {
    // Probed when the utility pods were created (the image was chosen by it).
    const facts = this.probedImage ?? (await this.probeImageFacts(topology));
    const missing = missingUtilityTools(facts);
    if (missing.length) {
      throw new Error(
        `the utility image lacks ${missing.join(", ")}: give utility-image the runbook's ${etcdUtilImage("<version>")} for this cluster's release, or gke-on-prem-version.`,
      );
    }
    return facts;
  }

  private async probeImageFacts(topology: RestoreTopology): Promise<UtilityImageFacts> {
    const output = await this.inUtilityPod(
      topology,
      topology.members[0]!,
      shellCommand(PROBE_SCRIPT),
    );
    return parseProbe(output.stdout);
  }

  private chooseBump(image: UtilityImageFacts): number | undefined {
    const wanted = this.source.revisionBump;
    if (wanted === "none") return undefined;
    if (!image.bump) {
      if (typeof wanted === "number") {
        throw new ConfigurationError(
          "revision-bump",
          `is ${wanted}, but ${image.restoreTool} ${image.version ?? ""} in the utility image has no --bump-revision; use auto or none, or a utility image of etcd 3.4.26+ / 3.5.10+.`,
        );
      }
      this.logger.warning(
        `${image.restoreTool} ${image.version ?? ""} cannot bump the revision: the restored cluster's revision goes back to the snapshot's, so every client watching the user cluster's API is restarted afterwards.`,
      );
      return undefined;
    }
    return typeof wanted === "number" ? wanted : DEFAULT_REVISION_BUMP;
  }

  private async checkRoom(topology: RestoreTopology): Promise<string> {
    const snapshotKiB = Math.ceil(this.source.backup.manifest.payload.plaintext.bytes / 1024);
    const segmentKiB = Math.ceil(WAL_SEGMENT_BYTES / 1024);
    // While the live etcd runs: the snapshot, and the restored db with its one WAL segment.
    const neededKiB = 2 * snapshotKiB + segmentKiB + 1024;
    // Once etcd runs on the restored data (the snapshot removed, the live etcd stopped and its
    // spare segment freed): the db and two WAL segments, the second preallocated at start.
    const neededRunningKiB = snapshotKiB + Math.ceil(RESTORE_HEADROOM_BYTES / 1024);
    const lines = await Promise.all(
      topology.members.map(async (member) => {
        const { code, stdout } = await this.inUtilityPod(
          topology,
          member,
          shellCommand(
            ROOM_SCRIPT,
            member.config.dataDir,
            String(neededKiB),
            String(neededRunningKiB),
          ),
          [0, RESTORE_EXIT.noRoom],
        );
        const free = Number(/free=(\d+)/.exec(stdout)?.[1] ?? 0) * 1024;
        const spare = Number(/spare=(\d+)/.exec(stdout)?.[1] ?? 0) * 1024;
        if (code === RESTORE_EXIT.noRoom) {
          throw new Error(
            free < neededKiB * 1024
              ? `the volume ${member.pvc} of ${member.pod} has ${formatBytes(free)} free, but the restore needs ${formatBytes(neededKiB * 1024)} for the snapshot and the restored data beside the live data; grow the volume or free room first.`
              : `the volume ${member.pvc} of ${member.pod} has ${formatBytes(free + spare)} free once its etcd stops, but the restore needs ${formatBytes(neededRunningKiB * 1024)} for the restored data and the second WAL segment etcd preallocates when it starts on it; grow the volume or free room first.`,
          );
        }
        return `${member.pvc} ${formatBytes(free)} free`;
      }),
    );
    return lines.join(", ");
  }

  /** Decrypts once; the same bytes go to every member, each checking the manifest's sha256. */
  private async streamSnapshot(topology: RestoreTopology, stamp: string): Promise<void> {
    const options = this.source;
    await streamBackupIntoPods({
      config: options.config,
      store: options.store,
      backup: options.backup,
      identities: options.identities,
      destinations: topology.members.map((member) => ({
        target: this.utilityTarget(topology, member),
        path: snapshotPath(member, stamp),
      })),
      logger: this.logger,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  }

  private async restoreMembers(
    topology: RestoreTopology,
    stamp: string,
    image: UtilityImageFacts,
    bump: number | undefined,
  ): Promise<string> {
    const lines = await Promise.all(
      topology.members.map(async (member) => {
        const argv = snapshotRestore(
          image.restoreTool as RestoreTool,
          snapshotPath(member, stamp),
          {
            member: member.config,
            dataDir: `${member.config.dataDir}/restore-${stamp}`,
            ...(bump ? { bumpRevision: bump } : {}),
          },
        );
        const { stdout } = await this.inUtilityPod(
          topology,
          member,
          shellCommand(RESTORE_SCRIPT, member.config.dataDir, stamp, ...argv),
        );
        const size = Number(stdout.trim().split("\n").pop());
        return `${member.pod}: ${Number.isFinite(size) ? formatBytes(size * 1024) : stdout}`;
      }),
    );
    return `restored into restore-${stamp}: ${lines.join(", ")}`;
  }

  private async swapMembers(
    topology: RestoreTopology,
    stamp: string,
    step: StepContext,
  ): Promise<string[]> {
    const done: string[] = [];
    let began = false;
    // One member at a time, each proven stopped immediately before its own swap.
    for (const member of topology.members) {
      await this.checkSwapPossible(topology, member, stamp);
      // "The swap began" is recorded once, just before the first move: a swap refused on its
      // first member moved nothing, and a failure then puts everything back.
      if (!began) await step.intend({ firstMoveOn: member.pod });
      began = true;
      const { code, stdout, stderr } = await this.swapScript(topology, member, stamp);
      if (code !== 0) {
        throw new Error(
          `the swap on ${member.pod} (${member.pvc}) failed with exit ${code}: ${stderr.trim() || stdout.trim()}`,
        );
      }
      done.push(`pre-restore-${stamp}: ${member.pod} ${stdout.trim()}`);
      this.logger.info(`  ${member.pod}: ${stdout.trim()} (old data in pre-restore-${stamp})`);
    }
    return done;
  }

  /** The swap script's checks alone (restored data there, no process on the live data); moves nothing. */
  private async checkSwapPossible(
    topology: RestoreTopology,
    member: RestoreMember,
    stamp: string,
  ): Promise<void> {
    const { code, stderr, stdout } = await this.swapScript(topology, member, stamp, "check");
    if (code !== 0) {
      throw new Error(
        `the swap on ${member.pod} (${member.pvc}) cannot begin (exit ${code}): ${stderr.trim() || stdout.trim() || (code === RESTORE_EXIT.noFlock ? "the utility image has no flock" : "the restored folder is missing")}; nothing was moved on it.`,
      );
    }
  }

  /**
   * The swap script on a member (with `check`: its checks alone). A process on the live data
   * is an error here; the script's other refusals come back for the caller to describe.
   */
  private async swapScript(
    topology: RestoreTopology,
    member: RestoreMember,
    stamp: string,
    ...mode: ["check"] | []
  ) {
    const outcome = await this.inUtilityPod(
      topology,
      member,
      shellCommand(SWAP_SCRIPT, member.config.dataDir, stamp, ...mode),
      [0, RESTORE_EXIT.dataInUse, RESTORE_EXIT.noFlock, RESTORE_EXIT.restoredMissing],
    );
    if (outcome.code === RESTORE_EXIT.dataInUse) {
      throw new Error(
        `a process still holds ${member.config.dataDir}/member/snap/db of ${member.pod} (its etcd is not stopped): nothing was swapped on it; check the node ${member.node} for a leftover etcd, then rerun.`,
      );
    }
    return outcome;
  }

  private async deleteUtilityPods(topology: RestoreTopology): Promise<void> {
    await Promise.all(
      topology.members.map((member) =>
        deletePodAndWait(
          this.options.config,
          { namespace: topology.namespace, name: member.utilityPod },
          this.waits(),
        ),
      ),
    );
  }

  // ------------------------------------------------------------------ proof

  private async checkMembers(
    topology: RestoreTopology,
    proof: { bump?: number | undefined; undo?: boolean },
  ): Promise<{ revision: number; keys: number; summary: string }> {
    const { bump } = proof;
    const first = topology.members[0]!;
    const target: PodTarget = {
      namespace: topology.namespace,
      pod: first.pod,
      container: this.profile.container,
    };
    const health = await this.exec(
      target,
      etcdctl(this.profile, "endpoint", "health", "--cluster", "-w", "json"),
    );
    const unhealthy = (
      JSON.parse(health.stdout) as { endpoint: string; health: boolean; error?: string }[]
    ).filter((entry) => !entry.health);
    if (unhealthy.length) {
      throw new Error(
        `after the restore, ${unhealthy.map((entry) => `${entry.endpoint}: ${entry.error ?? "unhealthy"}`).join("; ")}`,
      );
    }
    const list = JSON.parse(
      (await this.exec(target, etcdctl(this.profile, "member", "list", "-w", "json"))).stdout,
    ) as {
      header: { cluster_id: number };
      members: { name: string; peerURLs: string[] }[];
    };
    const expected = first.config.initialClusterMembers
      .map((member) => `${member.name}=${member.peerUrls.join(",")}`)
      .sort();
    const actual = list.members
      .map((member) => `${member.name}=${member.peerURLs.join(",")}`)
      .sort();
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      throw new Error(
        `after the restore, the members are ${actual.join(" ")}, but ${expected.join(" ")} were expected.`,
      );
    }
    const clusterIds = new Set<string>();
    for (const member of topology.members) {
      const status = await this.exec(
        { ...target, pod: member.pod },
        etcdctl(this.profile, "endpoint", "status", "-w", "json"),
      );
      clusterIds.add(/"cluster_id":(\d+)/.exec(status.stdout)?.[1] ?? "?");
    }
    if (clusterIds.size !== 1) {
      throw new Error(
        `after the restore, the members report ${clusterIds.size} cluster IDs (${[...clusterIds].join(", ")}): they did not form one cluster.`,
      );
    }
    const { revision, keys } = parseKeyCount(
      (await this.exec(target, etcdctl(this.profile, ...countKeysArgs()))).stdout,
    );
    if (proof.undo) {
      return {
        revision,
        keys,
        summary: `${topology.members.length} member(s) healthy, one cluster ID, names and peer URLs as expected, revision ${revision}, ${keys} keys`,
      };
    }
    const { manifest } = this.source.backup;
    const expectedRevision = (manifest.etcd?.revision ?? 0) + (bump ?? 0);
    // Leases restored from the snapshot expire after the restart and delete their keys, so
    // the revision may have moved on: the keys are counted at the restored revision itself.
    if (manifest.etcd?.revision !== undefined && revision < expectedRevision) {
      throw new Error(
        `after the restore, the revision is ${revision}, below the snapshot's ${expectedRevision}${bump ? ` (with the bump of ${bump})` : ""}: the members do not hold the restored data.`,
      );
    }
    const restoredKeys =
      manifest.etcd?.revision !== undefined
        ? parseKeyCount(
            (await this.exec(target, etcdctl(this.profile, ...countKeysArgs(expectedRevision))))
              .stdout,
          ).keys
        : keys;
    if (manifest.etcd?.keyCount !== undefined && restoredKeys !== manifest.etcd.keyCount) {
      throw new Error(
        `after the restore, etcd holds ${restoredKeys} keys at revision ${expectedRevision}, but the snapshot held ${manifest.etcd.keyCount}.`,
      );
    }
    return {
      revision,
      keys,
      summary: `${topology.members.length} member(s) healthy, one cluster ID, names and peer URLs as expected, ${restoredKeys} keys at revision ${expectedRevision} as in the snapshot (now revision ${revision}, ${keys} keys)`,
    };
  }

  private async otherWorkloads(topology: RestoreTopology): Promise<WorkloadRef[]> {
    const apps = this.options.config.makeApiClient(AppsV1Api);
    const namespace = topology.namespace;
    const known = new Set(["kube-etcd", API_SERVER, MAINTENANCE]);
    const [statefulSets, deployments] = await Promise.all([
      apps.listNamespacedStatefulSet({ namespace }),
      apps.listNamespacedDeployment({ namespace }),
    ]);
    return [
      ...statefulSets.items.map((item) => ({
        kind: "StatefulSet" as const,
        namespace,
        name: item.metadata!.name!,
      })),
      ...deployments.items.map((item) => ({
        kind: "Deployment" as const,
        namespace,
        name: item.metadata!.name!,
      })),
    ].filter((ref) => !known.has(ref.name));
  }

  private async restartWorkloads(refs: WorkloadRef[]): Promise<void> {
    const apps = this.options.config.makeApiClient(AppsV1Api);
    const restartedAt = new Date().toISOString();
    for (const ref of refs) {
      const body =
        ref.kind === "StatefulSet"
          ? await apps.readNamespacedStatefulSet({ name: ref.name, namespace: ref.namespace })
          : await apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
      const template = body.spec!.template;
      template.metadata = {
        ...template.metadata,
        annotations: {
          ...template.metadata?.annotations,
          "kubectl.kubernetes.io/restartedAt": restartedAt,
        },
      };
      if (ref.kind === "StatefulSet") {
        await apps.replaceNamespacedStatefulSet({
          name: ref.name,
          namespace: ref.namespace,
          body: body as V1StatefulSet,
        });
      } else {
        await apps.replaceNamespacedDeployment({
          name: ref.name,
          namespace: ref.namespace,
          body: body as never,
        });
      }
    }
  }

  private async prunePreRestore(topology: RestoreTopology): Promise<string[]> {
    // The utility pods are gone; the members' own containers run the same image.
    const removed = await Promise.all(
      topology.members.map(async (member) => {
        const target: PodTarget = {
          namespace: topology.namespace,
          pod: member.pod,
          container: this.profile.container,
        };
        // Best effort: the restore is proven by now; old folders only cost room.
        try {
          const { stdout } = await this.exec(
            target,
            shellCommand(PRUNE_SCRIPT, member.config.dataDir, String(PRE_RESTORE_KEEP)),
          );
          return stdout
            .split("\n")
            .filter(Boolean)
            .map((name) => `${member.pod}:${name}`);
        } catch (error) {
          this.logger.warning(
            `Could not remove old pre-restore folders on ${member.pod} (${errorMessage(error)}); they only take room: remove all but the newest ${PRE_RESTORE_KEEP} pre-restore-* folders in ${member.config.dataDir} by hand.`,
          );
          return [];
        }
      }),
    );
    return removed.flat();
  }

  // ------------------------------------------------------------------ helpers

  private workload(kind: WorkloadRef["kind"], name: string): WorkloadRef {
    return { kind, namespace: this.profile.namespace, name };
  }

  private pdbRef() {
    return { namespace: this.profile.namespace, name: API_SERVER_PDB };
  }

  /** The workload's replicas now: what a scale-down records before it acts. */
  private async replicasOf(ref: WorkloadRef): Promise<number> {
    const apps = this.options.config.makeApiClient(AppsV1Api);
    const read =
      ref.kind === "StatefulSet"
        ? apps.readNamespacedStatefulSet({ name: ref.name, namespace: ref.namespace })
        : apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace });
    const object = await read.catch((error: unknown) => {
      throw new Error(describeApiError(error, describeWorkload(ref)), { cause: error });
    });
    return object.spec?.replicas ?? 1;
  }

  /** Putting things back goes on after a cancel: it is bounded by time, not by the signal. */
  private settlingWaits(): { timeoutMs: number } {
    return { timeoutMs: this.options.waitTimeoutMs ?? 300_000 };
  }

  private waits(): { timeoutMs: number; signal?: AbortSignal } {
    return {
      timeoutMs: this.options.waitTimeoutMs ?? 300_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
  }

  private utilityTarget(topology: RestoreTopology, member: RestoreMember): PodTarget {
    return { namespace: topology.namespace, pod: member.utilityPod, container: "etcd-utility" };
  }

  private async inUtilityPod(
    topology: RestoreTopology,
    member: RestoreMember,
    command: string[],
    allowedCodes: number[] = [0],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.exec(this.utilityTarget(topology, member), command, allowedCodes);
  }

  private async exec(
    target: PodTarget,
    command: string[],
    allowedCodes: number[] = [0],
  ): Promise<{ code: number; stdout: string; stderr: string }> {
    const result = await execInPod(this.options.config, { ...target, command });
    const code = result.exitCode ?? -1;
    if (!allowedCodes.includes(code)) {
      throw new Error(
        `${command[0] === "sh" ? "the step's script" : command.slice(0, 3).join(" ")} in ${target.namespace}/${target.pod} failed (exit ${code}): ${result.stderr.trim().split("\n").slice(-3).join(" ") || result.stdout.trim()}`,
      );
    }
    return { code, stdout: result.stdout, stderr: result.stderr };
  }
}

/** The runbook's utility pod (section 2.1), on the member's PVC's node, with its PVC and certificates. */
export function utilityPodManifest(
  topology: RestoreTopology,
  member: RestoreMember,
  image: string,
): V1Pod {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: member.utilityPod,
      namespace: topology.namespace,
      labels: {
        "app.kubernetes.io/managed-by": "etcd-backup-actions",
        "etcd-backup-actions/role": "restore-utility",
      },
      annotations: { [DATA_DIR_ANNOTATION]: member.config.dataDir },
    },
    spec: {
      restartPolicy: "Never",
      terminationGracePeriodSeconds: 5,
      nodeSelector: { ...topology.nodeSelector, "kubernetes.io/hostname": member.node },
      tolerations: [
        {
          key: "node.kubernetes.io/not-ready",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
        {
          key: "node.kubernetes.io/unreachable",
          operator: "Exists",
          effect: "NoExecute",
          tolerationSeconds: 300,
        },
        { key: "node.kubernetes.io/unschedulable", operator: "Exists", effect: "NoSchedule" },
      ],
      containers: [
        {
          name: "etcd-utility",
          image,
          command: ["/bin/sh", "-ec", "while :; do echo '.'; sleep 5 ; done"],
          volumeMounts: [
            { name: "data", mountPath: topology.dataMount },
            { name: "etcd-certs", mountPath: topology.certificatesMount },
          ],
        },
      ],
      volumes: [
        { name: "data", persistentVolumeClaim: { claimName: member.pvc } },
        {
          name: "etcd-certs",
          secret: { secretName: topology.certificatesSecret, defaultMode: 420 },
        },
      ],
    },
  };
}

function snapshotPath(member: RestoreMember, stamp: string): string {
  return `${member.config.dataDir}/restore-${stamp}.db`;
}

/** What the utility pods need that the probed image lacks, in words. */
function missingUtilityTools(facts: UtilityImageFacts): string[] {
  const missing = ["flock", "mv", "stat", "df"].filter((tool) => !facts.tools[tool]);
  if (!facts.restoreTool) missing.unshift("etcdctl or etcdutl");
  if (!facts.tools.sha256sum && !facts.tools.openssl) missing.push("sha256sum or openssl");
  return missing;
}

export { etcdVersionOfImage } from "../core/etcd/backup-version.ts";

function describeTopology(topology: RestoreTopology): string {
  return `${topology.replicas} member(s) (${topology.members.map((member) => `${member.pod}: ${member.pvc} on ${member.node}`).join(", ")}), image ${topology.image}, podManagementPolicy ${topology.podManagementPolicy}, token ${topology.members[0]?.config.initialClusterToken}`;
}

function describeRecreate(result: RecreateResult, policy: string): string {
  return `kube-etcd ${result.action} as ${policy}${result.adoptedPods.length ? `, its running pods adopted (${result.adoptedPods.join(", ")})` : ""}`;
}

function describeImage(facts: UtilityImageFacts): string {
  return `${facts.restoreTool} ${facts.version ?? ""}, ${facts.bump ? "can" : "cannot"} bump the revision`;
}
