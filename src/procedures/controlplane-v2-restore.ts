/**
 * Restoring a Controlplane V2 user cluster (issue 16): its etcd runs as static pods
 * (`etcd-<node>` in kube-system of the USER cluster) on its own control-plane nodes, one or
 * three, and the vendor's runbook restores it by hand on every node over SSH. Here, as the
 * admin master's restore does it for one node (core/etcd/static-pod-node.ts), on all of them:
 *
 * the backup is fetched, decrypted and verified; every node is read (sudo, etcd.yaml's image,
 * data dir, name, initial cluster, token and peer URLs, which must describe one cluster of
 * exactly these nodes; room) before anything changes; the same checksummed bytes are streamed
 * to every node; ALL members are stopped (manifests moved into a dated folder beside the
 * manifests folder) before any data is swapped; each member is restored by a one-shot static
 * pod with its own name and peer URL and the cluster's token; the data is swapped by rename
 * (the old data kept in pre-restore-<stamp>); the manifests go back on every node together;
 * the result is gated on every member healthy, one cluster ID, the snapshot's revision and
 * keys, and the user cluster's API answering.
 *
 * The journal and lock are the ConfigMap of the ADMIN cluster that the kubeception restore
 * uses (namespace = the user cluster): the restore rolls the user cluster's etcd back, so its
 * own record could not live there. A rerun (after the runner or the SSH link died) continues
 * from it; `undo` puts each node's newest pre-restore data back by the same gated steps.
 */
import { chmod, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { KubeConfig } from "@kubernetes/client-node";
import { CoreV1Api } from "../core/kube-client.ts";
import type { X25519Identity } from "../core/crypto/age-keys.ts";
import { CancelledError, ConfigurationError, errorMessage } from "../core/errors.ts";
import { checkBackupEtcdVersion, etcdVersionOfImage } from "../core/etcd/backup-version.ts";
import {
  DEFAULT_REVISION_BUMP,
  countKeysArgs,
  etcdctl,
  parseKeyCount,
} from "../core/etcd/etcdctl.ts";
import { controlPlaneV2Profile } from "../core/etcd/profiles.ts";
import { RESTORE_EXIT, UNDO_SCRIPT, restoreStamp } from "../core/etcd/restore-scripts.ts";
import {
  checkNodeRoom,
  moveManifestsBack,
  moveManifestsOut,
  pollUntil,
  prunePreRestoreOnNode,
  readStaticPodNode,
  restoreWithStaticPod,
  runNodeScript,
  stageSnapshotOnNode,
  stopRestorePod,
  swapNodeData,
  waitUntilEtcdStopped,
  type StaticPodNode,
  type WaitOptions,
} from "../core/etcd/static-pod-node.ts";
import { START_SCRIPT } from "../core/etcd/static-pod-scripts.ts";
import {
  MANIFESTS_DIR,
  ETCD_MANIFEST,
  API_SERVER_MANIFEST,
  versionOffersBump,
} from "../core/etcd/static-pod.ts";
import { formatBytes } from "../core/format.ts";
import type { JournalEntry } from "../core/journal/journal.ts";
import { ConfigMapJournal } from "../core/kube/configmap-journal.ts";
import { execInPod } from "../core/kube/exec.ts";
import type { Logger } from "../core/log/logger.ts";
import { readSnapshotStatus, verifySnapshot } from "../core/snapshot/index.ts";
import {
  connectSsh,
  UnpinnedHostKeyError,
  type HostKeyPins,
  type SshSession,
} from "../core/ssh/index.ts";
import type { ControlPlaneNodeTarget } from "../core/ssh/control-plane-nodes.ts";
import { sudoCommand, sudoRefusal } from "../core/ssh/sudo.ts";
import {
  checkIdentities,
  restoreBackupToFile,
  type StoredBackup,
} from "../core/storage/pipeline.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import { nodeSshOptions, type JumpHostInput } from "./admin-pki-backup.ts";
import type { RevisionBump } from "./etcd-restore.ts";
import { Plan, PlanRun, type StepDeclaration, type StepRecord } from "./plan.ts";
import {
  restoreRecord,
  writeRestoreRecord,
  type RestoreAudit,
  type RestoreFacts,
} from "./restore-record.ts";

/** How many pre-restore folders each node's data dir keeps once a restore is proven. */
export const CPV2_PRE_RESTORE_KEEP = 2;

/** A control-plane node (its Node's name and InternalIP), and the SSH port when not 22. */
export type ControlPlaneNode = ControlPlaneNodeTarget & { port?: number };

/** What an undo needs; a restore needs more. */
export interface ControlPlaneV2UndoOptions {
  /** The ADMIN cluster: where the journal and lock live. */
  adminConfig: KubeConfig;
  /** The user cluster's own API (its kubeconfig): the proof reads etcd through it. */
  userConfig: KubeConfig;
  /** The user cluster's name (its namespace in the admin cluster). */
  cluster: string;
  /** Every control-plane node of the cluster (1 or 3). */
  nodes: ControlPlaneNode[];
  /** Default `ubuntu`. */
  user?: string;
  /** Kept in memory only. */
  privateKey: string | Buffer;
  jumpHost?: JumpHostInput;
  hostKeys: HostKeyPins;
  acceptUnknownHostKey?: boolean;
  /** Must equal `cluster` for anything to change (not needed for a dry run). */
  confirm?: string;
  dryRun: boolean;
  logger: Logger;
  signal?: AbortSignal;
  /** Who runs it (the Actions run and attempt): recorded in the journal. */
  owner?: string;
  /** The stamp of folder names; default now. A rerun takes it from the journal. */
  now?: Date;
  /** How long each wait (etcd stopped, restore pod, members healthy) may take; default 5 min. */
  waitTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface ControlPlaneV2RestoreOptions extends ControlPlaneV2UndoOptions {
  store: SnapshotStore;
  /** A user-etcd backup of this cluster, found in `store`. */
  backup: StoredBackup;
  identities: readonly X25519Identity[];
  revisionBump: RevisionBump;
  /** A private folder of the runner: the decrypted snapshot while it is checked and sent. */
  workDir: string;
  audit?: RestoreAudit;
}

export interface ControlPlaneV2RestoreResult extends RestoreFacts {
  outcome: "restored" | "undone" | "planned" | "failed";
  topology: "controlplane-v2";
  snapshotRevision?: number;
  /** The revision of the cluster ID all members reported once healthy. */
  clusterId?: string;
  record?: string;
  unpinnedHostKey?: { fingerprint: string; knownHostsLine: string };
  steps: StepRecord[];
}

const sudo = "sudo -n";

/** Every step of the restore and the undo, declared once: `dry-run` prints them, a run runs them. */
function stepDeclarations(): Map<string, StepDeclaration> {
  const steps: StepDeclaration[] = [
    {
      name: "readEtcdBackup",
      purpose:
        "fetch and decrypt the user-etcd backup into a private runner folder; its sha256, then the snapshot reader's verify and revision",
      runbook: "etcdctl snapshot status snapshot.db",
      effect: "reads",
    },
    {
      name: "connect",
      purpose:
        "SSH to every control-plane node (through the jump host when given); every host key must be pinned",
      runbook: "ssh -o StrictHostKeyChecking=yes ubuntu@NODE",
      effect: "reads",
    },
    {
      name: "checkSudo",
      purpose: "sudo works without a password on every node",
      runbook: `${sudo} true`,
      effect: "reads",
    },
    {
      name: "readNodes",
      purpose:
        "on every node: its hostname, etcd.yaml's image, data dir, --name, --initial-cluster, token and peer URLs; together they must describe one cluster of exactly these nodes",
      runbook: `hostname; ${sudo} cat ${MANIFESTS_DIR}/${ETCD_MANIFEST}`,
      effect: "reads",
    },
    {
      name: "checkRoom",
      purpose: "room in every node's data volume for the snapshot and the restored data",
      runbook: `${sudo} df -Pk DATA_DIR`,
      effect: "reads",
    },
    {
      name: "findPreRestore",
      purpose:
        "the newest DATA_DIR/pre-restore-<stamp> holding a member folder on every node (the same stamp on all)",
      runbook: `${sudo} ls -d DATA_DIR/pre-restore-*/member`,
      effect: "reads",
    },
    {
      name: "stageSnapshot",
      purpose:
        "stream the same snapshot to every node into DATA_DIR/restore-<stamp>.db (root-only) and check its sha256 there",
      runbook: `scp snapshot.db NODE: && ${sudo} mv snapshot.db DATA_DIR/`,
      effect: "changes",
    },
    {
      name: "stopControlPlane",
      purpose:
        "on EVERY node, move etcd.yaml and kube-apiserver.yaml into /etc/kubernetes/manifests-stopped-<stamp>; then wait until no etcd holds its data anywhere",
      runbook: `${sudo} mv ${MANIFESTS_DIR}/{${ETCD_MANIFEST},${API_SERVER_MANIFEST}} /etc/kubernetes/manifests-stopped-<stamp>/`,
      effect: "changes",
    },
    {
      name: "restoreSnapshot",
      purpose:
        "on every node a one-shot static pod with etcd.yaml's image restores the snapshot with that member's --name and peer URL, the cluster's --initial-cluster and token, into DATA_DIR/restore-<stamp>",
      runbook:
        "etcdctl snapshot restore snapshot.db --name NODE --initial-cluster ... --initial-cluster-token ... --initial-advertise-peer-urls ... --data-dir DATA_DIR/restore-<stamp>",
      effect: "changes",
    },
    {
      name: "swapData",
      purpose:
        "on every node, prove no process holds member/snap/db, then move the live member folder to DATA_DIR/pre-restore-<stamp>/member and the restored one into its place (nothing deleted)",
      runbook:
        "mv DATA_DIR/member DATA_DIR/pre-restore-<stamp>/; mv DATA_DIR/restore-<stamp>/member DATA_DIR/",
      effect: "point of no return",
    },
    {
      name: "swapBack",
      purpose:
        "on every node, no process holds member/snap/db; the live member moves to DATA_DIR/pre-undo-<now>/member and pre-restore-<stamp>/member takes its place",
      runbook: `${sudo} mv DATA_DIR/member DATA_DIR/pre-undo-<now>/ && ${sudo} mv DATA_DIR/pre-restore-<stamp>/member DATA_DIR/`,
      effect: "point of no return",
    },
    {
      name: "startControlPlane",
      purpose:
        "move the manifests back on every node at once; the kubelets start the members together",
      runbook: `${sudo} mv /etc/kubernetes/manifests-stopped-<stamp>/* ${MANIFESTS_DIR}/`,
      effect: "changes",
    },
    {
      name: "checkHealthy",
      purpose:
        "through the user cluster's API: every etcd-<node> answers endpoint health in its own container, all report one cluster ID, the members are exactly the initial cluster; the revision and key count; the API answers",
      runbook:
        "kubectl exec -n kube-system etcd-NODE -c etcd -- etcdctl endpoint status -w json; etcdctl member list",
      effect: "reads",
    },
    {
      name: "prunePreRestore",
      purpose: `remove pre-restore folders beyond the newest ${CPV2_PRE_RESTORE_KEEP} on every node, now that the restored cluster is proven`,
      effect: "changes",
    },
    {
      name: "releaseLock",
      purpose: "remove the journal from the admin cluster: the work is finished",
      runbook: "kubectl delete configmap etcd-backup-actions-restore -n CLUSTER",
      effect: "changes",
    },
  ];
  return new Map(steps.map((step) => [step.name, step]));
}

const RESTORE_STEPS = [
  "readEtcdBackup",
  "connect",
  "checkSudo",
  "readNodes",
  "checkRoom",
  "stageSnapshot",
  "stopControlPlane",
  "restoreSnapshot",
  "swapData",
  "startControlPlane",
  "checkHealthy",
  "prunePreRestore",
  "releaseLock",
];

const UNDO_STEPS = [
  "connect",
  "checkSudo",
  "readNodes",
  "findPreRestore",
  "stopControlPlane",
  "swapBack",
  "startControlPlane",
  "checkHealthy",
  "releaseLock",
];

function planOf(title: string, names: string[]): Plan {
  const declared = stepDeclarations();
  return new Plan(
    title,
    names.map((name) => declared.get(name)!),
  );
}

export function controlPlaneV2RestorePlan(cluster: string, backupUri: string): Plan {
  return planOf(
    `restore the Controlplane V2 user cluster ${cluster} from ${backupUri}`,
    RESTORE_STEPS,
  );
}

export function controlPlaneV2UndoPlan(cluster: string): Plan {
  return planOf(`undo the last restore of the Controlplane V2 user cluster ${cluster}`, UNDO_STEPS);
}

export async function runControlPlaneV2Restore(
  options: ControlPlaneV2RestoreOptions,
): Promise<ControlPlaneV2RestoreResult> {
  return new ControlPlaneV2Restore(options, options).run();
}

export async function runControlPlaneV2Undo(
  options: ControlPlaneV2UndoOptions,
): Promise<ControlPlaneV2RestoreResult> {
  return new ControlPlaneV2Restore(options, undefined).undo();
}

/**
 * The control-plane nodes an unfinished restore or undo of `cluster` recorded in its journal
 * (in the ADMIN cluster) before it stopped them; undefined when no such work is under way.
 * A rerun, the post step and an undo take the nodes from here: the user cluster's API, where
 * the Nodes are listed, is down while its control plane is stopped.
 */
export async function journalledControlPlaneNodes(
  adminConfig: KubeConfig,
  cluster: string,
): Promise<ControlPlaneNode[] | undefined> {
  return nodesInJournal(await new ConfigMapJournal(adminConfig, cluster).read());
}

/** The nodes a Controlplane V2 run's intents recorded (stageSnapshot, stopControlPlane). */
function nodesInJournal(entries: JournalEntry[]): ControlPlaneNode[] | undefined {
  const begun = entries.find((entry) => entry.event === "begin")?.data as
    { topology?: string } | undefined;
  if (begun?.topology !== "controlplane-v2") return undefined;
  for (const entry of entries) {
    const nodes = (entry.data as { nodes?: unknown } | undefined)?.nodes;
    if (entry.event === "intent" && Array.isArray(nodes) && nodes.length)
      return nodes as ControlPlaneNode[];
  }
  return undefined;
}

export type AfterInterruptionOutcome =
  "nothing to do" | "not ours" | "put back" | "left for a rerun or undo";

/**
 * The `post:` step of a Controlplane V2 restore (or undo) that did not finish: before its
 * swap it removes the one-shot restore pods, the staged snapshots and restored folders,
 * moves the manifests back on every node (the members start on their old data) and releases
 * the lock; after the swap began it changes nothing and says to rerun or undo. Only the
 * run that last carried the work on (`owner`) acts on it.
 */
export async function finishInterruptedControlPlaneV2Restore(
  options: Omit<ControlPlaneV2UndoOptions, "dryRun"> & { owner: string },
): Promise<AfterInterruptionOutcome> {
  return new ControlPlaneV2Restore({ ...options, dryRun: false }, undefined).putBack(options.owner);
}

/** What the restore reads of the backup before anything else. */
interface SnapshotFacts {
  path: string;
  bytes: number;
  sha256: string;
  revision: number;
  keys?: number;
}

/** A node, connected and read. */
interface ConnectedNode {
  target: ControlPlaneNode;
  session: SshSession;
  facts?: StaticPodNode;
}

class ControlPlaneV2Restore {
  private readonly logger: Logger;
  private readonly result: ControlPlaneV2RestoreResult;
  private readonly nodes: ConnectedNode[] = [];
  private scratch: string | undefined;
  private readonly started = Date.now();
  private bump: number | undefined;

  constructor(
    private readonly options: ControlPlaneV2UndoOptions,
    private readonly restore: ControlPlaneV2RestoreOptions | undefined,
  ) {
    this.logger = options.logger;
    this.result = {
      cluster: options.cluster,
      topology: "controlplane-v2",
      outcome: "failed",
      backup: restore?.backup.location.uri ?? "",
      members: [],
      preRestoreFolders: [],
      removedPreRestoreFolders: [],
      durationMs: 0,
      steps: [],
    };
  }

  private get wait(): WaitOptions {
    return {
      timeoutMs: this.options.waitTimeoutMs ?? 5 * 60_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
  }

  async run(): Promise<ControlPlaneV2RestoreResult> {
    const restore = this.restore!;
    this.checkInputs();
    checkIdentities(restore.backup, restore.identities);
    await this.runPlan(
      controlPlaneV2RestorePlan(this.options.cluster, restore.backup.location.uri),
      (run) => this.executeRestore(run, restore),
    );
    if (!this.options.dryRun) await this.recordRestore(restore);
    this.options.signal?.throwIfAborted();
    return this.result;
  }

  async undo(): Promise<ControlPlaneV2RestoreResult> {
    this.checkInputs();
    await this.runPlan(controlPlaneV2UndoPlan(this.options.cluster), (run) =>
      this.executeUndo(run),
    );
    this.options.signal?.throwIfAborted();
    return this.result;
  }

  /** Input mistakes, each one sentence, before anything is read or changed. */
  private checkInputs(): void {
    const { options, restore } = this;
    const count = options.nodes.length;
    if (count !== 1 && count !== 3) {
      throw new ConfigurationError(
        "nodes",
        `${options.cluster} has ${count} control-plane node(s) (${options.nodes.map((node) => node.name).join(", ") || "none"}); expected 1 or 3, as the vendor makes Controlplane V2 clusters.`,
      );
    }
    if (new Set(options.nodes.map((node) => node.name)).size !== count) {
      throw new ConfigurationError(
        "nodes",
        `names a node twice; expected each control-plane node once.`,
      );
    }
    if (!restore) return;
    const manifest = restore.backup.manifest;
    if (manifest.kind !== "user-etcd" || manifest.cluster !== options.cluster) {
      throw new ConfigurationError(
        "backup",
        `${restore.backup.location.uri} is a ${manifest.kind} backup of ${manifest.cluster}; expected a user-etcd backup of ${options.cluster}.`,
      );
    }
    const topology = manifest.source.topology;
    if (topology && topology !== "controlplane-v2") {
      throw new ConfigurationError(
        "backup",
        `${restore.backup.location.uri} was taken from a ${topology} cluster; ${options.cluster} is restored here as Controlplane V2 (static pods on its nodes). Choose a backup of this cluster as it runs now.`,
      );
    }
  }

  private checkConfirm(): void {
    const { confirm, cluster } = this.options;
    if (confirm !== cluster) {
      throw new ConfigurationError(
        "confirm",
        `${confirm ? `is "${confirm}", not` : "is empty; it must be"} the cluster's name (${cluster}); restoring replaces the etcd data of every control-plane node of ${cluster}, so type its name to confirm.`,
      );
    }
  }

  /**
   * Runs the plan and settles its result: a failure lands in the result; every SSH session
   * and the scratch folder go whatever happened; a cancellation closes the sessions at once
   * so that a command in flight ends.
   */
  private async runPlan(plan: Plan, execute: (run: PlanRun) => Promise<void>): Promise<void> {
    const { options, logger } = this;
    if (options.dryRun) plan.print(logger);
    const run = await PlanRun.start(plan, {
      logger,
      dryRun: options.dryRun,
      ...(options.owner ? { owner: options.owner } : {}),
    });
    this.result.steps = run.log;
    const closeOnCancel = () => void this.closeSessions();
    options.signal?.addEventListener("abort", closeOnCancel, { once: true });
    try {
      await execute(run);
    } catch (error) {
      run.fail(error);
      this.result.outcome = "failed";
      this.result.error = errorMessage(error);
      if (error instanceof UnpinnedHostKeyError) this.result.unpinnedHostKey = error.pin;
    } finally {
      options.signal?.removeEventListener("abort", closeOnCancel);
      await this.closeSessions();
      if (this.scratch) await rm(this.scratch, { recursive: true, force: true });
      run.finish();
      this.result.durationMs = Date.now() - this.started;
    }
  }

  private async closeSessions(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.session.close().catch(() => undefined)));
  }

  // ------------------------------------------------------------------ the runs

  private async executeRestore(run: PlanRun, restore: ControlPlaneV2RestoreOptions) {
    const { options, logger } = this;
    const snapshot = await run.run(
      "readEtcdBackup",
      () => this.readEtcdBackup(restore),
      (facts) =>
        `${formatBytes(facts.bytes)}, sha256 ${facts.sha256.slice(0, 12)}…, revision ${facts.revision}${facts.keys !== undefined ? `, ${facts.keys} keys` : ""}`,
    );
    this.result.snapshotRevision = snapshot.revision;
    options.signal?.throwIfAborted();
    const journal = new ConfigMapJournal(options.adminConfig, options.cluster);
    const earlier = await journal.read();
    this.checkJournalledNodes(earlier);
    const resumed = resumedRestore(earlier, restore.backup.location.uri);
    const nodes = await this.readSteps(run);
    this.bump = this.chooseBump(nodes, restore.revisionBump);
    if (this.bump !== undefined) this.result.bump = this.bump;
    await run.run(
      "checkRoom",
      () => this.checkRoom(snapshot, resumed),
      (lines) => this.perNode(lines).join("; "),
    );
    if (options.dryRun) {
      this.result.outcome = "planned";
      logger.info(
        `Dry run: would restore ${restore.backup.location.uri} (revision ${snapshot.revision}) on ${nodes.map((node) => node.name).join(", ")}; nothing was changed.`,
      );
      return;
    }
    this.checkConfirm();
    await run.attachJournal(journal, {
      cluster: options.cluster,
      topology: "controlplane-v2",
      backup: restore.backup.location.uri,
    });
    const staged = await run.run(
      "stageSnapshot",
      async (step) => {
        // The nodes too: once they are stopped, their Nodes cannot be listed any more. The
        // bump: a rerun restores and gates with the one the first run chose.
        const intent = await step.intend<StageIntent>({
          stamp: restoreStamp(options.now ?? new Date()),
          nodes: this.nodeRecords(),
          bump: this.bump ?? 0,
        });
        await this.onEveryNode((node, facts) =>
          stageSnapshotOnNode(node.session, facts, snapshot, intent.stamp),
        );
        return intent;
      },
      (intent) => `the snapshot (sha256 checked) on every node as restore-${intent.stamp}.db`,
    );
    this.takeJournalledBump(staged);
    const { stamp } = staged;
    const outageStart = Date.now();
    await this.stopStep(run, stamp);
    await run.run(
      "restoreSnapshot",
      () =>
        this.onEveryNode((node, facts) =>
          restoreWithStaticPod(
            node.session,
            facts,
            { stamp, ...(this.bump ? { bump: this.bump } : {}) },
            this.wait,
            logger,
          ),
        ),
      (sizes) => `restored data ${sizes.map((kib) => formatBytes(kib * 1024)).join(", ")}`,
    );
    await run.run(
      "swapData",
      () => this.onEveryNode((node, facts) => swapNodeData(node.session, facts, stamp)),
      (lines) => this.perNode(lines).join("; "),
    );
    this.result.preRestoreFolders = nodes.map(
      (facts) => `${facts.name}:${facts.member.hostDataDir}/pre-restore-${stamp}`,
    );
    await this.startStep(run, stamp);
    await run.run(
      "checkHealthy",
      () => this.checkHealthy(nodes, snapshot),
      (summary) => summary,
    );
    this.result.outageMs = Date.now() - outageStart;
    const removed = await run.run(
      "prunePreRestore",
      () =>
        this.onEveryNode((node, facts) =>
          prunePreRestoreOnNode(node.session, facts, CPV2_PRE_RESTORE_KEEP, logger),
        ),
      (lists) =>
        lists.flat().length ? `removed ${lists.flat().join(", ")}` : "none beyond the newest two",
    );
    this.result.removedPreRestoreFolders = removed.flatMap((folders, index) =>
      folders.map((folder) => `${nodes[index]!.name}:${folder}`),
    );
    await run.run("releaseLock", () => journal.remove());
    this.result.outcome = "restored";
  }

  private async executeUndo(run: PlanRun) {
    const { options, logger } = this;
    const journal = new ConfigMapJournal(options.adminConfig, options.cluster);
    // The journal first: an undo continues its own, or takes over a restore stopped after
    // its swap; either way the stamp to put back is the recorded one, never recomputed.
    const earlier = await journal.read();
    this.checkJournalledNodes(earlier);
    const target = undoTargetOf(options.cluster, earlier, journal.description);
    const nodes = await this.readSteps(run);
    const restored = await run.run(
      "findPreRestore",
      () => this.findPreRestore(nodes, target),
      (stamp) => `pre-restore-${stamp} on every node`,
    );
    if (options.dryRun) {
      this.result.outcome = "planned";
      logger.info(
        `Dry run: would put pre-restore-${restored} back on ${nodes.map((node) => node.name).join(", ")}; nothing was changed.`,
      );
      return;
    }
    this.checkConfirm();
    const stamp = restoreStamp(options.now ?? new Date());
    if (target.restoreOf) await this.takeOverRestore(journal, earlier, target.restoreOf, restored);
    await run.attachJournal(journal, {
      cluster: options.cluster,
      topology: "controlplane-v2",
      undo: restored,
    });
    // A rerun keeps the first run's stamp: its manifests-stopped and pre-undo folders.
    const undoStamp =
      (run.intentOf("stopControlPlane") as { stamp?: string } | undefined)?.stamp ?? stamp;
    const outageStart = Date.now();
    await this.stopStep(run, undoStamp);
    await run.run(
      "swapBack",
      () =>
        this.onEveryNode(async (node, facts) => {
          const outcome = await runNodeScript(
            node.session,
            UNDO_SCRIPT,
            [facts.member.hostDataDir, undoStamp, restored],
            "the swap back",
            { [RESTORE_EXIT.nothingToUndo]: "nothingToUndo" },
          );
          if (outcome.code === RESTORE_EXIT.nothingToUndo) {
            throw new Error(
              `${facts.member.hostDataDir}/pre-restore-${restored}/member is gone from ${facts.name}: look at the node before going on.`,
            );
          }
          return outcome.stdout.trim();
        }),
      (lines) => this.perNode(lines).join("; "),
    );
    this.result.preRestoreFolders = nodes.map(
      (facts) => `${facts.name}:${facts.member.hostDataDir}/pre-undo-${undoStamp}`,
    );
    await this.startStep(run, undoStamp);
    await run.run(
      "checkHealthy",
      () => this.checkHealthy(nodes, undefined),
      (summary) => summary,
    );
    this.result.outageMs = Date.now() - outageStart;
    await run.run("releaseLock", () => journal.remove());
    this.result.outcome = "undone";
  }

  /** See finishInterruptedControlPlaneV2Restore. */
  async putBack(owner: string): Promise<AfterInterruptionOutcome> {
    const { options, logger } = this;
    const journal = new ConfigMapJournal(options.adminConfig, options.cluster);
    const entries = await journal.read();
    const begun = entries.find((entry) => entry.event === "begin")?.data as
      { topology?: string; backup?: string; undo?: string } | undefined;
    if (!begun) return "nothing to do";
    const lastOwner = (
      entries.filter((entry) => entry.event === "run").at(-1)?.data as
        { owner?: string } | undefined
    )?.owner;
    if (begun.topology !== "controlplane-v2" || lastOwner !== owner) {
      logger.info(
        `The journal ${journal.description} belongs to other work (${lastOwner ?? "another run"}); this step leaves it alone.`,
      );
      return "not ours";
    }
    const what = begun.backup
      ? `the restore of ${options.cluster} from ${begun.backup}`
      : `the undo of ${options.cluster}`;
    const began = (step: string) =>
      entries.some((entry) => entry.step === step && entry.event === "started");
    if (began("swapData") || began("swapBack")) {
      logger.warning(
        `${what} stopped after its swap began: nothing is put back (the displaced data is kept in pre-restore folders). Run it again with the same inputs to finish it, or run undo. Its journal and lock: ${journal.description}.`,
      );
      return "left for a rerun or undo";
    }
    const intent = (step: string) =>
      (
        entries.find((entry) => entry.step === step && entry.event === "intent")?.data as
          { stamp?: string } | undefined
      )?.stamp;
    const stamp = intent("stageSnapshot") ?? intent("stopControlPlane");
    try {
      if (stamp) {
        await this.connectAll();
        await this.readNodes();
        await this.onEveryNode(async (node, facts) => {
          // The one-shot pod first, and its folder let go of: it may still be writing there.
          await stopRestorePod(node.session, facts, stamp, this.wait);
          await runNodeScript(
            node.session,
            `rm -f "$1/restore-$2.db" "$1/restore-$2.db.part"; rm -rf "$1/restore-$2"; sync`,
            [facts.member.hostDataDir, stamp],
            "removing the staged snapshot and the restored data",
          );
          await runNodeScript(
            node.session,
            `[ -d "$2" ] || exit 0; ${START_SCRIPT}`,
            [
              MANIFESTS_DIR,
              `/etc/kubernetes/manifests-stopped-${stamp}`,
              ETCD_MANIFEST,
              API_SERVER_MANIFEST,
            ],
            "moving the manifests back",
          );
        });
      }
      await journal.remove();
    } finally {
      await this.closeSessions();
    }
    logger.info(
      `${what} did not finish before its swap; put back: the manifests on every node, the staged snapshots removed, the lock released. The members run on their old data.`,
    );
    return "put back";
  }

  // ------------------------------------------------------------------ reading

  private async readEtcdBackup(restore: ControlPlaneV2RestoreOptions): Promise<SnapshotFacts> {
    // Named as every work folder of this tool, so the post step sweeps it after a kill.
    this.scratch = await mkdtemp(join(restore.workDir, "etcd-backup-cpv2-restore-"));
    await chmod(this.scratch, 0o700);
    const path = join(this.scratch, "snapshot.db");
    const digest = await restoreBackupToFile(restore.store, restore.backup, path, {
      identities: restore.identities,
      logger: this.logger,
    });
    const verification = verifySnapshot(path);
    if (!verification.ok) {
      const problems = verification.problems.map((problem) => problem.message).join("; ");
      throw new Error(
        `the snapshot in ${restore.backup.location.uri} does not verify: ${problems}; nothing was changed. Choose another backup.`,
      );
    }
    const keys = restore.backup.manifest.etcd?.keyCount;
    return {
      path,
      bytes: digest.bytes,
      sha256: digest.sha256,
      revision: readSnapshotStatus(path).revision,
      ...(keys !== undefined ? { keys } : {}),
    };
  }

  /** connect, checkSudo, readNodes: the steps the restore and the undo share. */
  private async readSteps(run: PlanRun): Promise<StaticPodNode[]> {
    await run.run(
      "connect",
      () => this.connectAll(),
      (lines) => lines.join("; "),
    );
    await run.run("checkSudo", () =>
      this.onEveryNode((node) =>
        node.session.run(sudoCommand(["true"]), {
          describe: `${sudo} true`,
          interpretFailure: (outcome) =>
            sudoRefusal(outcome, {
              host: node.session.host,
              user: node.session.user,
              programs: ["true"],
            }),
        }),
      ),
    );
    const nodes = await run.run(
      "readNodes",
      () => this.readNodes(),
      (facts) =>
        facts
          .map(
            (node) =>
              `${node.name}: etcd ${node.member.config.name}, ${node.member.config.peerUrls.join(",")}, image ${node.member.image}, data ${node.member.hostDataDir}`,
          )
          .join("; "),
    );
    this.result.members = nodes.map((node) => node.name);
    return nodes;
  }

  private async connectAll(): Promise<string[]> {
    const { options } = this;
    // One by one: a failure names its node, and no session is left unowned.
    for (const target of options.nodes) {
      const session = await connectSsh(
        nodeSshOptions(target.address, options.privateKey, {
          ...options,
          ...(target.port ? { port: target.port } : {}),
        }),
        this.logger,
      );
      this.nodes.push({ target, session });
    }
    return this.nodes.map(
      (node) =>
        `${node.target.name} at ${node.session.target}, host key ${node.session.hostKeyFingerprint}`,
    );
  }

  /**
   * Every node's etcd manifest; together they must be one cluster of exactly these nodes:
   * the same --initial-cluster and token on all, each member's --name and peer URLs in it.
   */
  private async readNodes(): Promise<StaticPodNode[]> {
    const read = await this.onEveryNode(async (node) => {
      const facts = await readStaticPodNode(node.session);
      if (facts.name !== node.target.name) {
        throw new Error(
          `the node at ${node.target.address} calls itself ${facts.name}, not ${node.target.name}: check the node addresses (the Nodes' InternalIP) before restoring.`,
        );
      }
      if (facts.manifestIn !== MANIFESTS_DIR) {
        this.logger.warning(
          `On ${facts.name} etcd.yaml is not in ${MANIFESTS_DIR} but in ${facts.manifestIn}: an earlier run stopped the control plane; this run continues from its journal.`,
        );
      }
      node.facts = facts;
      return facts;
    });
    checkOneCluster(this.options.cluster, read);
    const backup = this.restore?.backup;
    checkNodeImages(
      this.options.cluster,
      read,
      backup ? { uri: backup.location.uri, etcdVersion: backup.manifest.etcd?.version } : undefined,
    );
    return read;
  }

  /**
   * Room for the snapshot and the restored data on every node. A resumed restore counts what
   * it already staged there, and needs none once its swap began (the data moved by rename).
   */
  private async checkRoom(snapshot: SnapshotFacts, resumed: ResumedRestore): Promise<string[]> {
    if (resumed.swapBegan) {
      return this.nodes.map(() => "not needed: the swap of the run being continued began");
    }
    return this.onEveryNode(async (node, facts) => {
      let stagedKiB = 0;
      if (resumed.stamp) {
        const measured = await runNodeScript(
          node.session,
          `du -sk "$1/restore-$2.db" "$1/restore-$2.db.part" "$1/restore-$2" 2>/dev/null | awk '{ sum += $1 } END { print sum + 0 }'`,
          [facts.member.hostDataDir, resumed.stamp],
          "measuring what the earlier run staged",
        );
        stagedKiB = Number(measured.stdout.trim()) || 0;
      }
      const line = await checkNodeRoom(node.session, facts, snapshot.bytes, stagedKiB);
      return stagedKiB
        ? `${line} (beside ${formatBytes(stagedKiB * 1024)} the earlier run staged)`
        : line;
    });
  }

  /**
   * The bump an earlier run journalled wins over this run's input: its restore pods may have
   * bumped already, and the gate must expect what was restored.
   */
  private takeJournalledBump(staged: StageIntent): void {
    if (staged.bump === undefined) return;
    const journalled = staged.bump || undefined;
    if (journalled !== this.bump) {
      this.logger.warning(
        `The run being continued chose a revision bump of ${journalled ?? "none"}, this run's input ${this.bump ?? "none"}: the restore goes on with ${journalled ?? "none"}.`,
      );
    }
    this.bump = journalled;
    if (journalled !== undefined) this.result.bump = journalled;
    else delete this.result.bump;
  }

  /** The revision bump every member's image can do, or none (with a warning). */
  private chooseBump(nodes: StaticPodNode[], wanted: RevisionBump): number | undefined {
    if (wanted === "none") return undefined;
    const unable = nodes.filter(
      (node) => !versionOffersBump(etcdVersionOfImage(node.member.image)),
    );
    if (unable.length) {
      const image = unable[0]!.member.image;
      if (typeof wanted === "number") {
        throw new ConfigurationError(
          "revision-bump",
          `is ${wanted}, but the etcd image ${image} on ${unable.map((node) => node.name).join(", ")} has no --bump-revision; use auto or none (etcd 3.4.26+ / 3.5.10+ can bump).`,
        );
      }
      this.logger.warning(
        `The etcd image ${image} cannot bump the revision: the restored revision goes back to the snapshot's, so every watch on ${this.options.cluster}'s API restarts afterwards.`,
      );
      return undefined;
    }
    return typeof wanted === "number" ? wanted : DEFAULT_REVISION_BUMP;
  }

  /**
   * The pre-restore stamp to put back: the one the journal names (an undo resumed, or a
   * restore taken over), else the newest holding member data on every node. Refused when a
   * node's newest pre-restore folder is another one (and that node's undo is not already
   * done): putting back different restores on different nodes would not form one cluster.
   */
  private async findPreRestore(nodes: StaticPodNode[], target: UndoTarget): Promise<string> {
    const found = await this.onEveryNode(async (node, facts) => {
      const listed = await runNodeScript(
        node.session,
        UNDO_STATE_SCRIPT,
        [facts.member.hostDataDir, target.undoStamp ?? "", target.restored ?? ""],
        "looking for pre-restore folders",
      );
      const lines = listed.stdout.split("\n").map((line) => line.trim());
      const stamps = lines
        .map((line) => /pre-restore-([0-9TZ]+)\/member$/.exec(line)?.[1])
        .filter((stamp): stamp is string => Boolean(stamp))
        .sort();
      return { node: facts.name, stamps, undone: lines.includes("undone") };
    });
    const names = nodes.map((node) => node.name).join(", ");
    const common = found[0]!.stamps.filter((stamp) =>
      found.every((node) => node.stamps.includes(stamp)),
    );
    const wanted = target.restored ?? common.at(-1);
    if (!wanted) {
      throw new ConfigurationError(
        "undo",
        `there is nothing to undo on ${names}: no pre-restore-<stamp> folder holding member data is on every node (an earlier undo put it back, or no restore ran on all of them).`,
      );
    }
    const astray = found.filter((node) => !node.undone && node.stamps.at(-1) !== wanted);
    if (astray.length) {
      throw new Error(
        `the undo of ${this.options.cluster} would put back pre-restore-${wanted}${target.restored ? " (as its journal records)" : ""}, but ${astray.map((node) => `on ${node.node} the newest pre-restore folder holding member data is ${node.stamps.at(-1) ?? "none"}`).join(", ")}: the nodes do not hold the same restore. Nothing was changed; look at the data dirs of ${names} (a restore that did not swap every node is finished by a rerun of it).`,
      );
    }
    return wanted;
  }

  /**
   * An undo may follow a restore that stopped after its swap: its journal holds the lock. The
   * undo takes it over in one write, keeping the restore's stop (its stamp, where the
   * manifests are, and the nodes), so that a kill in the middle loses nothing.
   */
  private async takeOverRestore(
    journal: ConfigMapJournal,
    entries: JournalEntry[],
    restoreOf: string,
    restored: string,
  ): Promise<void> {
    this.logger.warning(
      `Taking over the lock of the unfinished restore of ${this.options.cluster} from ${restoreOf}: its swap began, so the data it displaced (pre-restore-${restored}) is put back.`,
    );
    await journal.rewrite([
      {
        step: "",
        event: "begin",
        at: new Date().toISOString(),
        data: { cluster: this.options.cluster, topology: "controlplane-v2", undo: restored },
      },
      ...entries.filter((entry) => entry.event === "intent" && entry.step === "stopControlPlane"),
    ]);
  }

  // ------------------------------------------------------------------ changing

  /** Stops every member before any data moves: all manifests out first, then the wait. */
  private async stopStep(run: PlanRun, stamp: string): Promise<void> {
    const aside = `/etc/kubernetes/manifests-stopped-${stamp}`;
    await run.run(
      "stopControlPlane",
      async (step) => {
        await step.intend({ stamp, nodes: this.nodeRecords() });
        const moved = await this.onEveryNode((node) => moveManifestsOut(node.session, aside));
        this.logger.info(this.perNode(moved).join("; "));
        await this.onEveryNode((node, facts) =>
          waitUntilEtcdStopped(node.session, facts, this.wait),
        );
        return `manifests in ${aside} on every node; no etcd runs on its data`;
      },
      (line) => line,
    );
  }

  /** The manifests back on every node at once: the members start together. */
  private async startStep(run: PlanRun, stamp: string): Promise<void> {
    const aside = `/etc/kubernetes/manifests-stopped-${stamp}`;
    await run.run(
      "startControlPlane",
      () => this.onEveryNode((node) => moveManifestsBack(node.session, aside)),
      (lines) => this.perNode(lines).join("; "),
    );
  }

  /**
   * The gate: through the user cluster's own API, every member answers in its container,
   * all report one cluster ID, the members are exactly the initial cluster, the revision and
   * keys are the snapshot's (for a restore), and the API answers a read.
   */
  private async checkHealthy(
    nodes: StaticPodNode[],
    snapshot: SnapshotFacts | undefined,
  ): Promise<string> {
    const { options } = this;
    const profile = controlPlaneV2Profile(options.cluster);
    const exec = async (node: StaticPodNode, args: string[]) => {
      const pod = `etcd-${node.name}`;
      const result = await withDeadline(
        `etcdctl in ${profile.namespace}/${pod}`,
        options.signal,
        (signal) =>
          execInPod(options.userConfig, {
            namespace: profile.namespace,
            pod,
            container: profile.container,
            command: etcdctl(profile, ...args),
            signal,
          }),
      );
      if (result.exitCode !== 0) {
        throw new Error(
          `etcdctl ${args.slice(0, 2).join(" ")} in ${profile.namespace}/${pod} exited with ${result.exitCode}: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`,
        );
      }
      return result.stdout;
    };
    let lastProblem = "";
    const clusterIds = new Map<string, string>();
    await pollUntil(
      `every etcd member of ${options.cluster} to answer through its container`,
      async () => {
        try {
          for (const node of nodes) {
            const status = await exec(node, [
              "endpoint",
              "status",
              "-w",
              "json",
              "--command-timeout=5s",
            ]);
            const id = /"cluster_id":\s*(\d+)/.exec(status)?.[1];
            if (!id)
              throw new Error(`etcd-${node.name} reported no cluster ID: ${status.slice(0, 200)}`);
            clusterIds.set(node.name, id);
          }
          await exec(nodes[0]!, ["endpoint", "health", "--cluster", "--command-timeout=5s"]);
          return true;
        } catch (error) {
          lastProblem = errorMessage(error);
          return false;
        }
      },
      () => lastProblem,
      this.wait,
    );
    const ids = new Set(clusterIds.values());
    if (ids.size !== 1) {
      throw new Error(
        `after the restore, the members of ${options.cluster} report ${ids.size} cluster IDs (${[...clusterIds].map(([node, id]) => `${node}: ${id}`).join(", ")}): they did not form one cluster. Look at the members' logs; undo puts the old data back.`,
      );
    }
    const clusterId = [...ids][0]!;
    this.result.clusterId = clusterId;
    const first = nodes[0]!;
    const list = JSON.parse(await exec(first, ["member", "list", "-w", "json"])) as {
      members?: { name: string; peerURLs: string[] }[];
    };
    const expected = first.member.config.initialClusterMembers
      .map((member) => `${member.name}=${member.peerUrls.join(",")}`)
      .sort();
    const actual = (list.members ?? [])
      .map((member) => `${member.name}=${member.peerURLs.join(",")}`)
      .sort();
    if (JSON.stringify(expected) !== JSON.stringify(actual)) {
      throw new Error(
        `after the restore, the members of ${options.cluster} are ${actual.join(" ")}, but ${expected.join(" ")} were expected.`,
      );
    }
    const { revision, keys } = parseKeyCount(await exec(first, countKeysArgs()));
    this.result.revision = revision;
    this.result.keys = keys;
    let restoredLine = "";
    if (snapshot) {
      const expectedRevision = snapshot.revision + (this.bump ?? 0);
      if (revision < expectedRevision) {
        throw new Error(
          `after the restore, etcd of ${options.cluster} is at revision ${revision}, below the snapshot's ${expectedRevision}${this.bump ? ` (with the bump of ${this.bump})` : ""}: it does not hold the restored data.`,
        );
      }
      // Leases from the snapshot expire after the restart and delete their keys: count the
      // keys at the restored revision itself.
      const restoredKeys = parseKeyCount(await exec(first, countKeysArgs(expectedRevision))).keys;
      if (snapshot.keys !== undefined && restoredKeys !== snapshot.keys) {
        throw new Error(
          `after the restore, etcd of ${options.cluster} holds ${restoredKeys} keys at revision ${expectedRevision}, but the snapshot held ${snapshot.keys}.`,
        );
      }
      restoredLine = `, ${restoredKeys} keys at revision ${expectedRevision}${snapshot.keys !== undefined ? " as in the snapshot" : ""}`;
    }
    await withDeadline(`${options.cluster}'s API (list the Nodes)`, options.signal, () =>
      options.userConfig.makeApiClient(CoreV1Api).listNode(),
    );
    return `${nodes.length} member(s) healthy with one cluster ID ${clusterId}${restoredLine} (now revision ${revision}, ${keys} keys); ${options.cluster}'s API answers`;
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Runs `work` on every node at once and waits for all of them (none is left running
   * unawaited); the first failure, naming its node, is the step's error.
   */
  private async onEveryNode<Result>(
    work: (node: ConnectedNode, facts: StaticPodNode) => Promise<Result>,
  ): Promise<Result[]> {
    const settled = await Promise.allSettled(
      this.nodes.map((node) => work(node, node.facts as StaticPodNode)),
    );
    const failures = settled.flatMap((outcome, index) =>
      outcome.status === "rejected"
        ? [`${this.nodes[index]!.target.name}: ${errorMessage(outcome.reason)}`]
        : [],
    );
    if (failures.length) {
      const first = settled.find(
        (outcome) => outcome.status === "rejected",
      ) as PromiseRejectedResult;
      throw new Error(failures.join("; "), { cause: first.reason });
    }
    return settled.map((outcome) => (outcome as PromiseFulfilledResult<Result>).value);
  }

  /** The nodes as the journal keeps them, for a rerun, the post step or an undo. */
  private nodeRecords(): ControlPlaneNode[] {
    return this.options.nodes.map((node) => ({
      name: node.name,
      address: node.address,
      ...(node.port !== undefined ? { port: node.port } : {}),
    }));
  }

  /**
   * A rerun works on the nodes its journal names: other nodes given now (a node replaced, a
   * kubeconfig of another cluster) would leave a recorded node stopped. One error, before
   * anything changes in this run.
   */
  private checkJournalledNodes(entries: JournalEntry[]): void {
    const recorded = nodesInJournal(entries);
    if (!recorded) return;
    const names = (nodes: ControlPlaneNode[]) =>
      nodes
        .map((node) => node.name)
        .sort()
        .join(", ");
    if (names(recorded) !== names(this.options.nodes)) {
      throw new ConfigurationError(
        "nodes",
        `are ${names(this.options.nodes)}, but the unfinished work on ${this.options.cluster} recorded ${names(recorded)} (stopped by it); give those nodes, or finish that work first.`,
      );
    }
  }

  private perNode(lines: string[]): string[] {
    return lines.map((line, index) => `${this.nodes[index]!.target.name}: ${line}`);
  }

  /** The audit trail: a record of this restore (succeeded or failed) beside the backups. */
  private async recordRestore(restore: ControlPlaneV2RestoreOptions): Promise<void> {
    const { result } = this;
    const { steps: _steps, topology: _topology, record: _record, ...facts } = result;
    const uri = await writeRestoreRecord(
      restore.store,
      restoreRecord(
        {
          cluster: facts.cluster,
          outcome: facts.outcome,
          backup: facts.backup,
          members: facts.members,
          preRestoreFolders: facts.preRestoreFolders,
          removedPreRestoreFolders: facts.removedPreRestoreFolders,
          durationMs: facts.durationMs,
          ...(facts.revision !== undefined ? { revision: facts.revision } : {}),
          ...(facts.keys !== undefined ? { keys: facts.keys } : {}),
          ...(facts.bump !== undefined ? { bump: facts.bump } : {}),
          ...(facts.outageMs !== undefined ? { outageMs: facts.outageMs } : {}),
          ...(facts.error ? { error: facts.error } : {}),
        },
        restore.audit ?? { actor: "unknown", via: "library" },
        new Date(this.started),
        new Date(),
      ),
      this.logger,
    );
    if (uri) result.record = uri;
  }
}

/**
 * One etcd image on every node (a cluster mid-upgrade is not restored: its members would
 * come back on different versions), and for a restore, the backup's etcd major.minor.
 */
export function checkNodeImages(
  cluster: string,
  nodes: StaticPodNode[],
  backup?: { uri: string; etcdVersion: string | undefined },
): void {
  const images = new Set(nodes.map((node) => node.member.image));
  if (images.size > 1) {
    throw new Error(
      `the control-plane nodes of ${cluster} run different etcd images (${nodes.map((node) => `${node.name}: ${node.member.image}`).join(", ")}): an upgrade is under way or stopped halfway. Finish it so that every node runs one image, then restore. Nothing was changed.`,
    );
  }
  if (backup) checkBackupEtcdVersion(backup, nodes[0]!.member.image, "its members run");
}

/** How long one call through the user cluster's API may take in the health gate. */
const API_CALL_TIMEOUT_MS = 30_000;

/**
 * One call through the user cluster's API, ended after API_CALL_TIMEOUT_MS or on cancel: a
 * connection that never answers cannot stall the gate, whose poll only looks at the clock
 * between calls. The call gets the signal where it takes one; a call that does not (listNode)
 * is left to settle on its own, its outcome ignored.
 */
export async function withDeadline<Result>(
  what: string,
  cancel: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<Result>,
): Promise<Result> {
  cancel?.throwIfAborted();
  const deadline = AbortSignal.timeout(API_CALL_TIMEOUT_MS);
  const signal = cancel ? AbortSignal.any([cancel, deadline]) : deadline;
  let onAbort = () => {};
  const ended = new Promise<never>((_resolve, reject) => {
    onAbort = () =>
      reject(
        cancel?.aborted
          ? new CancelledError(`cancelled while waiting for ${what}`)
          : new Error(`${what} did not answer within ${API_CALL_TIMEOUT_MS / 1000} s`),
      );
    signal.addEventListener("abort", onAbort, { once: true });
  });
  const work = call(signal);
  work.catch(() => undefined);
  try {
    return await Promise.race([work, ended]);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** What stageSnapshot journals before it changes anything. */
interface StageIntent {
  stamp: string;
  nodes: ControlPlaneNode[];
  /** The revision bump the restore pods apply; 0 for none. Absent in older journals. */
  bump?: number;
}

/** What an earlier run of the same restore recorded: its stamp, and whether its swap began. */
interface ResumedRestore {
  stamp?: string;
  swapBegan: boolean;
}

function resumedRestore(entries: JournalEntry[], backupUri: string): ResumedRestore {
  const begun = entries.find((entry) => entry.event === "begin")?.data as
    { topology?: string; backup?: string } | undefined;
  // Another restore's or an undo's journal: attachJournal refuses it later.
  if (begun?.topology !== "controlplane-v2" || begun.backup !== backupUri)
    return { swapBegan: false };
  const stamp = (
    entries.find((entry) => entry.step === "stageSnapshot" && entry.event === "intent")?.data as
      { stamp?: string } | undefined
  )?.stamp;
  return {
    ...(stamp ? { stamp } : {}),
    swapBegan: entries.some((entry) => entry.step === "swapData" && entry.event === "started"),
  };
}

/** What the journal says an undo must put back; empty when no work is recorded. */
interface UndoTarget {
  /** The pre-restore stamp: the undo's own, or the swapped restore's. */
  restored?: string;
  /** The stamp of the first run's manifests-stopped and pre-undo folders. */
  undoStamp?: string;
  /** The backup of a restore stopped after its swap, which the undo takes over. */
  restoreOf?: string;
}

/**
 * Per node: each pre-restore-<stamp>/member, and `undone` when the recorded undo already put
 * that stamp back there (UNDO_SCRIPT's own test). Arguments: dataDir, undoStamp, restored.
 */
const UNDO_STATE_SCRIPT = `data=$1 undo="$1/pre-undo-$2" kept="$1/pre-restore-$3"
ls -1d "$data"/pre-restore-*/member 2>/dev/null
if [ -n "$2" ] && { [ -f "$undo/.done" ] || { [ -d "$undo" ] && [ -d "$data/member" ] && [ ! -d "$kept/member" ]; }; }; then echo undone; fi
exit 0`;

/**
 * From the journal in the admin cluster: an undo resumed takes its own stamps; a restore
 * stopped after its swap is taken over (its stageSnapshot stamp is the data to put back); a
 * restore stopped before its swap replaced nothing, so there is nothing to undo.
 */
function undoTargetOf(cluster: string, entries: JournalEntry[], description: string): UndoTarget {
  const begun = entries.find((entry) => entry.event === "begin")?.data as
    { topology?: string; backup?: string; undo?: string } | undefined;
  // Other work (or none): attachJournal refuses it with its own sentence.
  if (!begun || begun.topology !== "controlplane-v2") return {};
  const stampOf = (step: string) =>
    (
      entries.find((entry) => entry.step === step && entry.event === "intent")?.data as
        { stamp?: string } | undefined
    )?.stamp;
  const undoStamp = stampOf("stopControlPlane");
  const stamps = undoStamp ? { undoStamp } : {};
  if (begun.undo) return { restored: begun.undo, ...stamps };
  if (!begun.backup) return {};
  const swapBegan = entries.some((entry) => entry.step === "swapData" && entry.event === "started");
  const restored = stampOf("stageSnapshot");
  if (!swapBegan || !restored) {
    throw new Error(
      `the unfinished restore of ${cluster} from ${begun.backup} stopped before its swap, so its data was never replaced: there is nothing to undo. Its post step, or a rerun of it, puts everything back; the journal is ${description}.`,
    );
  }
  return { restored, restoreOf: begun.backup, ...stamps };
}

/**
 * The nodes' manifests describe one cluster of exactly these nodes: one --initial-cluster and
 * one token on all, each member's --name once, with its own peer URLs as the cluster lists them.
 */
export function checkOneCluster(cluster: string, nodes: StaticPodNode[]): void {
  const describe = (node: StaticPodNode) =>
    node.member.config.initialClusterMembers
      .map((member) => `${member.name}=${member.peerUrls.join(",")}`)
      .sort()
      .join(",");
  const first = nodes[0]!;
  const problems: string[] = [];
  for (const node of nodes) {
    const config = node.member.config;
    if (describe(node) !== describe(first)) {
      problems.push(
        `${node.name}'s --initial-cluster (${config.initialCluster}) differs from ${first.name}'s (${first.member.config.initialCluster})`,
      );
    }
    if (config.initialClusterToken !== first.member.config.initialClusterToken) {
      problems.push(`${node.name}'s --initial-cluster-token differs from ${first.name}'s`);
    }
    const listed = config.initialClusterMembers.find((member) => member.name === config.name);
    if (!listed) {
      problems.push(`${node.name}'s member ${config.name} is not in its --initial-cluster`);
    } else if (listed.peerUrls.join(",") !== config.peerUrls.join(",")) {
      problems.push(
        `${node.name}'s peer URLs ${config.peerUrls.join(",")} differ from its --initial-cluster's ${listed.peerUrls.join(",")}`,
      );
    }
  }
  const names = nodes.map((node) => node.member.config.name);
  if (new Set(names).size !== names.length)
    problems.push(`two nodes run a member of the same name (${names.join(", ")})`);
  const members = first.member.config.initialClusterMembers.map((member) => member.name);
  const missing = members.filter((name) => !names.includes(name));
  if (missing.length) {
    problems.push(
      `the initial cluster names ${missing.join(", ")}, which run on none of the nodes given (${nodes.map((node) => node.name).join(", ")})`,
    );
  }
  if (problems.length) {
    throw new Error(
      `the etcd manifests of ${cluster}'s control-plane nodes do not describe one cluster of these nodes: ${problems.join("; ")}. Nothing was changed; a restore with them would not form one cluster.`,
    );
  }
}
