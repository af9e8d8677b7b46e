/**
 * Runbook section 5, restoring the admin cluster, over SSH alone: when the admin cluster is
 * broken its API does not answer, so everything happens on the control-plane node through
 * one SSH session (host keys pinned, jump host, `sudo -n`), with the backups `etcd-backup`
 * (kind admin-etcd) and `admin-pki-backup` made.
 *
 * Made safe: both backups are fetched, decrypted and verified, the node is read (the etcd
 * manifest's image, flags and data dir, room) and the confirmation checked before anything
 * changes; the snapshot is streamed to the node and its sha256 checked there; etcd and the
 * API server are stopped by moving their manifests into a dated folder beside the manifests
 * folder and proven gone; the snapshot is restored by a one-shot static pod with the
 * member's own image and flags; the live data is moved aside (never deleted) and the
 * restored data swapped in; the manifests go back, and the result is proven through the
 * etcd container (revision, key count) with the node's own admin.conf. Each change is
 * journaled on the node, so a rerun continues.
 *
 * Written for one or more control-plane nodes: the node-level work is per node
 * (`AdminNode`), and the steps run over the list of nodes the caller connects to.
 */
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import { join, posix } from "node:path";
import { Readable, Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import type { X25519Identity } from "../core/crypto/age-keys.ts";
import { ConfigurationError, errorMessage } from "../core/errors.ts";
import {
  DEFAULT_REVISION_BUMP,
  countKeysArgs,
  etcdctl,
  parseKeyCount,
} from "../core/etcd/etcdctl.ts";
import { etcdVersionOfImage } from "../core/etcd/backup-version.ts";
import { adminClusterProfile } from "../core/etcd/profiles.ts";
import { RESTORE_EXIT, UNDO_SCRIPT, restoreStamp } from "../core/etcd/restore-scripts.ts";
import {
  PKI_RESTORE_SCRIPT,
  PKI_STATE_SCRIPT,
  PKI_UNDO_SCRIPT,
  START_SCRIPT,
} from "../core/etcd/static-pod-scripts.ts";
import {
  API_SERVER_MANIFEST,
  ETCD_MANIFEST,
  MANIFESTS_DIR,
  RESTORE_MANIFEST,
  versionOffersBump,
  type StaticEtcdMember,
} from "../core/etcd/static-pod.ts";
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
  swapNodeData,
  waitUntilEtcdStopped,
  type NodeScriptOutcome,
  type WaitOptions,
} from "../core/etcd/static-pod-node.ts";
import { formatBytes } from "../core/format.ts";
import { execInPod } from "../core/kube/exec.ts";
import { loadKubeconfig, kubeconfigSecrets } from "../core/kube/kubeconfig.ts";
import type { Logger } from "../core/log/logger.ts";
import { listSnapshotKeys, readSnapshotStatus, verifySnapshot } from "../core/snapshot/index.ts";
import { NodeJournal } from "../core/ssh/node-journal.ts";
import {
  connectSsh,
  readArchiveEntries,
  UnpinnedHostKeyError,
  type HostKeyPins,
  type NodeFileEntry,
  type SshSession,
} from "../core/ssh/index.ts";
import { sudoCommand, sudoRefusal } from "../core/ssh/sudo.ts";
import type { PkiFileRecord } from "../core/storage/manifest.ts";
import {
  BackupIntegrityError,
  checkIdentities,
  readBackup,
  restoreBackupToFile,
  type StoredBackup,
} from "../core/storage/pipeline.ts";
import type { SnapshotStore } from "../core/storage/types.ts";
import { restoreRecord, writeRestoreRecord, type RestoreAudit } from "./restore-record.ts";
import { Plan, PlanRun, type StepDeclaration, type StepRecord } from "./plan.ts";
import type { RevisionBump } from "./etcd-restore.ts";
import { ENCRYPTION_KEYS_PATH, nodeSshOptions, type JumpHostInput } from "./admin-pki-backup.ts";

/** How many pre-restore folders the data dir keeps; older ones go once the restore is proven. */
export const ADMIN_PRE_RESTORE_KEEP = 2;
export const ADMIN_CONF = "/etc/kubernetes/admin.conf";
const JOURNAL_FILE = "admin-restore.journal";
const UNDO_JOURNAL_FILE = "admin-undo.journal";
/** Moves a finished journal ($1, if there) to $2 beside the data its run displaced. */
const KEEP_JOURNAL_SCRIPT = `if [ -f "$1" ]; then mkdir -p "$(dirname "$2")" && mv "$1" "$2" && sync; fi`;

export type RestorePki = "auto" | "always" | "never";

export interface AdminRestoreOptions {
  /** The control-plane node's address (the SSH target). */
  host: string;
  port?: number;
  /** Default `ubuntu`. */
  user?: string;
  /** Kept in memory only. */
  privateKey: string | Buffer;
  jumpHost?: JumpHostInput;
  hostKeys: HostKeyPins;
  acceptUnknownHostKey?: boolean;
  store: SnapshotStore;
  /** The admin-etcd backup to restore, found in `store` (by URI, or the newest verified one). */
  etcdBackup: StoredBackup;
  /** The admin-pki backup; needed unless restorePki is `never`. */
  pkiBackup?: StoredBackup;
  /** Where the PKI backup is, when not in `store`. */
  pkiStore?: SnapshotStore;
  restorePki: RestorePki;
  /**
   * Restore a PKI backup that does not look like this node's (no CA certificate in common,
   * another node name): for a node whose PKI is lost. Off unless asked.
   */
  acceptForeignPki?: boolean;
  identities: readonly X25519Identity[];
  /** Must be the node's address or name for anything to change (not needed for a dry run). */
  confirm?: string;
  revisionBump: RevisionBump;
  dryRun: boolean;
  /**
   * A private folder of the runner (RUNNER_TEMP): the decrypted snapshot while it is verified
   * and sent (removed at the end), and the fetched admin kubeconfig (0600; the caller removes it).
   */
  workDir: string;
  logger: Logger;
  /** Told every secret the procedure reads (admin.conf's credentials) before it is used. */
  onSecret?: (secret: string) => void;
  signal?: AbortSignal;
  /** Who runs it (the Actions run and attempt): recorded in the journal. */
  owner?: string;
  /** Who asked for it, for the restore record written beside the backups. */
  audit?: RestoreAudit;
  /** The restore's stamp (folder names); default now. A rerun takes it from the journal. */
  now?: Date;
  /** How long each wait on the node may take; default 5 minutes. */
  waitTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface AdminRestoreResult {
  outcome: "restored" | "undone" | "planned" | "failed";
  etcdBackup: string;
  pkiBackup?: string;
  node?: string;
  target?: string;
  hostKeyFingerprint?: string;
  /** The snapshot's revision and key count, as the backup's own reader found them. */
  snapshotRevision?: number;
  snapshotKeys?: number;
  revision?: number;
  keys?: number;
  bump?: number;
  /** The data dir on the node, and where the displaced data went. */
  dataDir?: string;
  preRestoreFolder?: string;
  removedPreRestoreFolders: string[];
  /** What the operator must know about the result (each also logged as a warning). */
  warnings?: string[];
  /** The PKI files that differed from the backup's, and those put back. */
  pkiDiffering?: string[];
  pkiRestored?: string[];
  /** The node's admin.conf, fetched into a 0600 file once the API answered. */
  kubeconfigPath?: string;
  /** From the stop of etcd and the API server to the API answering again. */
  outageMs?: number;
  durationMs: number;
  error?: string;
  /** The restore record's URI at the destination, once written. */
  record?: string;
  unpinnedHostKey?: { fingerprint: string; knownHostsLine: string };
  steps: StepRecord[];
}

/** Every step of the admin restore, declared once: `dry-run` prints it, a run executes it. */
function adminRestoreSteps(): StepDeclaration[] {
  const sudo = "sudo -n";
  return [
    {
      name: "readEtcdBackup",
      purpose:
        "fetch and decrypt the admin-etcd backup into a private runner folder; its sha256, then the snapshot reader's verify, revision and key count",
      runbook: "etcdctl snapshot status snapshot.db",
      effect: "reads",
    },
    {
      name: "readPkiBackup",
      purpose:
        "fetch and decrypt the admin-pki backup into memory; every file's type, mode, owner and sha256 must match its manifest's listing",
      effect: "reads",
      onlyWhen: "when restore-pki is auto or always",
    },
    {
      name: "connect",
      purpose: "SSH to the node (through the jump host when given); every host key must be pinned",
      runbook: "ssh -o StrictHostKeyChecking=yes ubuntu@NODE",
      effect: "reads",
    },
    {
      name: "checkSudo",
      purpose: "sudo works without a password (there is no terminal to type one)",
      runbook: `${sudo} true`,
      effect: "reads",
    },
    {
      name: "readNode",
      purpose:
        "the node's name (checked against confirm), etcd.yaml's image, --name, --initial-cluster, token, peer URLs and data dir (mapped to the node through its volumes), kube-apiserver.yaml present",
      runbook: `hostname; ${sudo} cat ${MANIFESTS_DIR}/${ETCD_MANIFEST}`,
      effect: "reads",
    },
    {
      name: "checkRoom",
      purpose:
        "room in the data dir's volume for the snapshot, the restored data and the data kept aside",
      runbook: `${sudo} df -Pk DATA_DIR; ${sudo} du -sk DATA_DIR/member`,
      effect: "reads",
    },
    {
      name: "checkPki",
      purpose:
        "the PKI backup belongs to this node (a CA certificate's sha256 matches the node's, or the node's name), and which of its files differ from the node's (sha256, mode, owner)",
      runbook: `${sudo} find /etc/kubernetes/pki -type f -exec sha256sum {} +`,
      effect: "reads",
      onlyWhen: "when restore-pki is auto or always",
    },
    {
      name: "stageSnapshot",
      purpose:
        "stream the snapshot through the SSH channel into DATA_DIR/restore-<stamp>.db (root-only) and check its sha256 there",
      runbook: `scp snapshot.db NODE: && ${sudo} mv snapshot.db DATA_DIR/`,
      effect: "changes",
    },
    {
      name: "stopControlPlane",
      purpose: `stop etcd and kube-apiserver by moving their manifests into /etc/kubernetes/manifests-stopped-<stamp>, then wait until no process holds member/snap/db and their ports are closed`,
      runbook: `${sudo} mv ${MANIFESTS_DIR}/{${ETCD_MANIFEST},${API_SERVER_MANIFEST}} /etc/kubernetes/manifests-stopped-<stamp>/`,
      effect: "changes",
    },
    {
      name: "restorePki",
      purpose:
        "unpack the PKI backup with its owners and modes; always: each PKI folder moves aside to <folder>.pre-restore-<stamp> and the backup's takes its place; auto: only the differing files, each displaced one kept there; then every restored file's sha256, mode and owner checked against the backup's listing",
      runbook: `${sudo} mv /etc/kubernetes/pki /etc/kubernetes/pki.pre-restore-<stamp>; ${sudo} tar -x -p --same-owner -f pki.tar -C /`,
      effect: "point of no return",
      onlyWhen: "when restore-pki is always, or auto and some file differs",
    },
    {
      name: "restoreSnapshot",
      purpose: `a one-shot static pod (${RESTORE_MANIFEST}, restartPolicy Never) with etcd.yaml's image runs snapshot restore with the member's own flags into DATA_DIR/restore-<stamp>; its manifest goes once the restored data is complete`,
      runbook: "docker run etcd-util etcdctl snapshot restore snapshot.db --data-dir=...",
      effect: "changes",
    },
    {
      name: "swapData",
      purpose:
        "prove no process holds member/snap/db, then move the live member folder to DATA_DIR/pre-restore-<stamp>/member and the restored one into its place (owner and mode kept; nothing deleted)",
      runbook:
        "mv DATA_DIR/member DATA_DIR/pre-restore-<stamp>/; mv DATA_DIR/restore-<stamp>/member DATA_DIR/",
      effect: "point of no return",
    },
    {
      name: "startControlPlane",
      purpose: "move the etcd and kube-apiserver manifests back; the kubelet starts both",
      runbook: `${sudo} mv /etc/kubernetes/manifests-stopped-<stamp>/* ${MANIFESTS_DIR}/`,
      effect: "changes",
    },
    {
      name: "fetchKubeconfig",
      purpose: `${ADMIN_CONF} from the node into a 0600 file on the runner (its credentials masked)`,
      runbook: `${sudo} cat ${ADMIN_CONF}`,
      effect: "reads",
    },
    {
      name: "checkRestored",
      purpose:
        "the API server answers with the fetched kubeconfig; etcd answers endpoint health through its own container; the snapshot's revision and key count",
      runbook:
        "kubectl exec -n kube-system etcd-NODE -- etcdctl endpoint health; etcdctl get '' --prefix --keys-only --count-only",
      effect: "reads",
    },
    {
      name: "prunePreRestore",
      purpose: `remove pre-restore folders beyond the newest ${ADMIN_PRE_RESTORE_KEEP} in the data dir, now that the restored cluster is proven`,
      effect: "changes",
    },
  ];
}

export function adminRestorePlan(node: string, backupUri: string): Plan {
  return new Plan(`restore the admin cluster on ${node} from ${backupUri}`, adminRestoreSteps());
}

/** Every step of the undo, declared once: the restore's own steps where they are the same. */
function adminUndoSteps(): StepDeclaration[] {
  const sudo = "sudo -n";
  const restoreStep = (name: string) => adminRestoreSteps().find((step) => step.name === name)!;
  return [
    restoreStep("connect"),
    restoreStep("checkSudo"),
    restoreStep("readNode"),
    {
      name: "findPreRestore",
      purpose:
        "the newest DATA_DIR/pre-restore-<stamp> holding a member folder, and from that restore's journal whether it moved the PKI aside; no restore may be under way",
      runbook: `${sudo} ls -d DATA_DIR/pre-restore-*/member`,
      effect: "reads",
    },
    restoreStep("stopControlPlane"),
    {
      name: "undoPki",
      purpose:
        "the PKI that restore moved aside (<path>.pre-restore-<stamp>) goes back; what is there now moves to <path>.pre-undo-<now>",
      runbook: `${sudo} mv /etc/kubernetes/pki /etc/kubernetes/pki.pre-undo-<now>; ${sudo} mv /etc/kubernetes/pki.pre-restore-<stamp> /etc/kubernetes/pki`,
      effect: "point of no return",
      onlyWhen: "when that restore put PKI files back",
    },
    {
      name: "swapBack",
      purpose:
        "no process holds member/snap/db; the live (restored) member moves to DATA_DIR/pre-undo-<now>/member and pre-restore-<stamp>/member takes its place",
      runbook: `${sudo} mv DATA_DIR/member DATA_DIR/pre-undo-<now>/ && ${sudo} mv DATA_DIR/pre-restore-<stamp>/member DATA_DIR/`,
      effect: "point of no return",
    },
    restoreStep("startControlPlane"),
    restoreStep("fetchKubeconfig"),
    {
      name: "checkUndone",
      purpose:
        "the API server answers with the fetched kubeconfig; etcd answers endpoint health through its own container; its revision and key count",
      runbook: "kubectl exec -n kube-system etcd-NODE -- etcdctl endpoint health",
      effect: "reads",
    },
  ];
}

export function adminUndoPlan(node: string): Plan {
  return new Plan(`undo the last admin restore on ${node}`, adminUndoSteps());
}

/** What an undo needs: the node, how to reach it, and the confirmation. */
export type AdminUndoOptions = Pick<
  AdminRestoreOptions,
  | "host"
  | "port"
  | "user"
  | "privateKey"
  | "jumpHost"
  | "hostKeys"
  | "acceptUnknownHostKey"
  | "confirm"
  | "dryRun"
  | "workDir"
  | "logger"
  | "onSecret"
  | "signal"
  | "owner"
  | "now"
  | "waitTimeoutMs"
  | "connectTimeoutMs"
>;

/** The restore an undo puts back, as found on the node. */
interface UndoTarget {
  /** The restore's stamp: its data is in DATA_DIR/pre-restore-<restored>. */
  restored: string;
  /** This undo's stamp (pre-undo and manifests-stopped folders). */
  stamp: string;
  /** Set when that restore put PKI back: how, and under which paths. */
  pki?: { mode: "always" | "files"; paths: string[] };
}

/**
 * Undoes the newest admin restore on the node: its pre-restore data (and PKI, when it put
 * PKI back) goes back in by the restore's own gated steps, and what is live now is kept in
 * pre-undo folders, so nothing is deleted. Journaled on the node: a rerun continues.
 */
export async function runAdminUndo(options: AdminUndoOptions): Promise<AdminRestoreResult> {
  const restore = new AdminRestore({
    ...options,
    store: undefined as unknown as SnapshotStore,
    etcdBackup: undefined as unknown as StoredBackup,
    restorePki: "never",
    identities: [],
    revisionBump: "none",
  });
  return restore.undo();
}

/** What the restore reads of the etcd backup before anything else. */
interface SnapshotFacts {
  path: string;
  bytes: number;
  sha256: string;
  revision: number;
  /** Live keys at the snapshot's revision, as the backup recorded them (when it did). */
  keys?: number;
  /** Secrets whose values are encrypted (`k8s:enc:`): they need the node's encryption keys. */
  encryptedSecrets: number;
}

/** The PKI backup, read and checked against its manifest. */
interface PkiArchive {
  archive: Buffer;
  paths: string[];
  files: PkiFileRecord[];
  sourceNode?: string;
}

/** What the node's PKI is, against the backup's. */
interface PkiComparison {
  differing: string[];
  /** The node's files the backup does not have (left alone by auto). */
  extra: string[];
}

/** What the restore reads of the node. */
interface NodeFacts {
  name: string;
  member: StaticEtcdMember;
  /** Where etcd.yaml was found: the manifests folder, or set aside by an interrupted run. */
  manifestIn: string;
  bump?: number;
}

export async function runAdminRestore(options: AdminRestoreOptions): Promise<AdminRestoreResult> {
  const restore = new AdminRestore(options);
  return restore.run();
}

/** What the post step needs: how to reach the node, and who it is. */
export type AfterInterruptionOptions = Pick<
  AdminRestoreOptions,
  | "host"
  | "port"
  | "user"
  | "privateKey"
  | "jumpHost"
  | "hostKeys"
  | "acceptUnknownHostKey"
  | "logger"
  | "connectTimeoutMs"
> & {
  /** The owner the main step recorded: only its own restore is put back. */
  owner: string;
};

export type AfterInterruptionOutcome =
  "nothing to do" | "not ours" | "put back" | "past the point of no return";

/**
 * The `post:` step of a restore that did not finish: before its point of no return (the
 * PKI restore or the swap) it moves the etcd and kube-apiserver manifests back, removes the
 * one-shot restore pod's manifest and the staged snapshot, and closes the journal, so the
 * admin cluster runs on its old data again and the next restore starts afresh. After that
 * point it changes nothing and says to rerun the restore, which continues from the journal.
 */
export async function finishInterruptedAdminRestore(
  options: AfterInterruptionOptions,
): Promise<AfterInterruptionOutcome> {
  const restore = new AdminRestore({
    ...options,
    store: undefined as unknown as SnapshotStore,
    etcdBackup: undefined as unknown as StoredBackup,
    restorePki: "never",
    identities: [],
    revisionBump: "none",
    dryRun: false,
    workDir: "",
  });
  return restore.putBack(options.owner);
}

class AdminRestore {
  private readonly logger: Logger;
  private readonly result: AdminRestoreResult;
  private session: SshSession | undefined;
  private scratch: string | undefined;
  private readonly started = Date.now();

  constructor(private readonly options: AdminRestoreOptions) {
    this.logger = options.logger;
    this.result = {
      outcome: "failed",
      // Absent only for the post step, which restores nothing.
      etcdBackup: options.etcdBackup?.location.uri ?? "",
      ...(options.pkiBackup ? { pkiBackup: options.pkiBackup.location.uri } : {}),
      removedPreRestoreFolders: [],
      durationMs: 0,
      steps: [],
    };
  }

  async run(): Promise<AdminRestoreResult> {
    const { options } = this;
    this.checkInputs();
    await this.runPlan(adminRestorePlan(options.host, options.etcdBackup.location.uri), (run) =>
      this.execute(run),
    );
    if (!options.dryRun) await this.recordRestore();
    options.signal?.throwIfAborted();
    return this.result;
  }

  /**
   * Runs a plan's steps (the restore's or the undo's) and settles its result: a failure lands in the
   * result, and the SSH session and scratch folder are closed and removed whatever happened. A
   * cancellation closes the session at once so that a command in flight ends.
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
    const closeOnCancel = () => void this.session?.close().catch(() => undefined);
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
      await this.session?.close().catch(() => undefined);
      if (this.scratch) await rm(this.scratch, { recursive: true, force: true });
      run.finish();
      this.result.durationMs = Date.now() - this.started;
    }
  }

  /** The audit trail: a record of this restore (succeeded or failed) beside the backups. */
  private async recordRestore(): Promise<void> {
    const { options, result } = this;
    const uri = await writeRestoreRecord(
      options.store,
      restoreRecord(
        {
          cluster: "admin",
          outcome: result.outcome,
          backup: result.etcdBackup,
          ...(result.revision !== undefined ? { revision: result.revision } : {}),
          ...(result.keys !== undefined ? { keys: result.keys } : {}),
          members: result.node ? [result.node] : [],
          ...(result.bump !== undefined ? { bump: result.bump } : {}),
          preRestoreFolders: result.preRestoreFolder ? [result.preRestoreFolder] : [],
          removedPreRestoreFolders: result.removedPreRestoreFolders,
          ...(result.outageMs !== undefined ? { outageMs: result.outageMs } : {}),
          durationMs: result.durationMs,
          ...(result.error ? { error: result.error } : {}),
        },
        options.audit ?? { actor: "unknown", via: "library" },
        new Date(this.started),
        new Date(),
      ),
      this.logger,
    );
    if (uri) result.record = uri;
  }

  /** Input mistakes, each one sentence, before anything is read or changed. */
  private checkInputs(): void {
    const { options } = this;
    const manifest = options.etcdBackup.manifest;
    if (manifest.kind !== "admin-etcd" || manifest.cluster !== "admin") {
      throw new ConfigurationError(
        "etcd-backup",
        `${options.etcdBackup.location.uri} is a ${manifest.kind} backup of ${manifest.cluster}; expected an admin-etcd backup of the admin cluster.`,
      );
    }
    if (options.restorePki !== "never" && !options.pkiBackup) {
      throw new ConfigurationError(
        "pki-backup",
        `restore-pki is ${options.restorePki}, which needs the admin-pki backup; give pki-backup (a URI, or latest with destination), or set restore-pki to never.`,
      );
    }
    checkIdentities(options.etcdBackup, options.identities);
    const pki = options.restorePki === "never" ? undefined : options.pkiBackup;
    if (pki) {
      if (
        pki.manifest.kind !== "admin-pki" ||
        pki.manifest.cluster !== "admin" ||
        !pki.manifest.pki
      ) {
        throw new ConfigurationError(
          "pki-backup",
          `${pki.location.uri} is a ${pki.manifest.kind} backup of ${pki.manifest.cluster}; expected an admin-pki backup of the admin cluster, made by admin-pki-backup.`,
        );
      }
      checkIdentities(pki, options.identities);
    }
  }

  // ------------------------------------------------------------------ PKI

  private async readPkiStep(run: PlanRun): Promise<PkiArchive | undefined> {
    const backup = this.options.restorePki === "never" ? undefined : this.options.pkiBackup;
    if (!backup) {
      run.skip("readPkiBackup", "restore-pki is never");
      return undefined;
    }
    return run.run(
      "readPkiBackup",
      () => this.readPkiBackup(backup),
      (pki) =>
        `${pki.files.filter((file) => file.type === "file").length} files under ${pki.paths.join(", ")}${pki.sourceNode ? ` from ${pki.sourceNode}` : ""}, each as its manifest lists it`,
    );
  }

  /**
   * Encrypted Secrets are readable only with the keys the API server encrypted them with
   * (the secrets-encryption keys, /opt/data/gke-k8s-kms-plugin/generatedkeys): say so when the
   * restore does not put those back.
   */
  private warnOfEncryptionKeys(snapshot: SnapshotFacts, pki: PkiArchive | undefined): void {
    if (snapshot.encryptedSecrets === 0) return;
    const holdsKeys = pki?.paths.some(
      (path) => path === ENCRYPTION_KEYS_PATH || ENCRYPTION_KEYS_PATH.startsWith(`${path}/`),
    );
    if (holdsKeys) return;
    const warning = `${snapshot.encryptedSecrets} Secret(s) in the snapshot are encrypted (k8s:enc:), and ${pki ? "the PKI backup does not hold" : "this restore does not put back"} the secrets-encryption keys (${ENCRYPTION_KEYS_PATH}): the API server can read them only if the node still has the keys they were encrypted with.`;
    this.logger.warning(warning);
    // The job summary shows it too: it decides whether the restored Secrets can be read.
    this.result.warnings = [...(this.result.warnings ?? []), warning];
  }

  private async readPkiBackup(backup: StoredBackup): Promise<PkiArchive> {
    const { options } = this;
    const chunks: Buffer[] = [];
    let size = 0;
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        size += chunk.length;
        if (size > PKI_ARCHIVE_LIMIT) {
          done(
            new Error(
              `the PKI archive is larger than ${formatBytes(PKI_ARCHIVE_LIMIT)}; expected a few certificates and keys.`,
            ),
          );
          return;
        }
        chunks.push(chunk);
        done();
      },
    });
    await readBackup(options.pkiStore ?? options.store, backup, sink, {
      identities: options.identities,
      logger: this.logger,
    });
    const archive = Buffer.concat(chunks);
    const entries = await readArchiveEntries(Readable.from([archive]));
    const record = backup.manifest.pki!;
    const differences = compareWithRecord(entries, record.files);
    if (differences.length) {
      throw new BackupIntegrityError(
        `the PKI archive in ${backup.location.uri} does not match its manifest's listing: ${differences.slice(0, 5).join("; ")}${differences.length > 5 ? ` and ${differences.length - 5} more` : ""}. It was changed after the backup; nothing was changed. Choose another backup.`,
      );
    }
    return {
      archive,
      paths: record.paths,
      files: record.files,
      ...(backup.manifest.source.node ? { sourceNode: backup.manifest.source.node } : {}),
    };
  }

  private async checkPkiStep(
    run: PlanRun,
    session: SshSession,
    node: NodeFacts,
    pki: PkiArchive | undefined,
  ): Promise<PkiComparison | undefined> {
    if (!pki) {
      run.skip("checkPki", "restore-pki is never");
      return undefined;
    }
    const comparison = await run.run(
      "checkPki",
      () => this.checkPki(session, node, pki),
      (found) =>
        found.differing.length
          ? `${found.differing.length} file(s) differ from the backup: ${found.differing.join(", ")}`
          : "every file of the backup is on the node as the backup has it",
    );
    this.result.pkiDiffering = comparison.differing;
    if (comparison.extra.length) {
      this.logger.info(
        `The node has ${comparison.extra.length} PKI file(s) the backup does not: ${comparison.extra.join(", ")}${this.options.restorePki === "always" ? " (they move aside with their folder)" : " (left alone)"}.`,
      );
    }
    return comparison;
  }

  private async checkPki(
    session: SshSession,
    node: NodeFacts,
    pki: PkiArchive,
  ): Promise<PkiComparison> {
    const onNode = await this.nodePki(session, pki.paths);
    const caCertificates = pki.files.filter(
      (file) => file.type === "file" && /(^|\/)ca\.crt$/.test(file.path),
    );
    const sharesCa = caCertificates.some((file) => onNode.get(file.path)?.sha256 === file.sha256);
    const sameName = pki.sourceNode === node.name;
    if (!sharesCa && !sameName && !this.options.acceptForeignPki) {
      throw new ConfigurationError(
        "pki-backup",
        `${this.options.pkiBackup!.location.uri} does not look like ${node.name}'s: it was taken on ${pki.sourceNode ?? "an unnamed node"} and none of its CA certificates (${caCertificates.map((file) => file.path).join(", ") || "none"}) is on ${node.name}; give this node's PKI backup, or, if this node's PKI is lost and the backup is its own, set accept-foreign-pki to true.`,
      );
    }
    const differing = pki.files
      .filter((file) => file.type === "file")
      .filter((file) => {
        const current = onNode.get(file.path);
        return (
          !current ||
          current.sha256 !== file.sha256 ||
          current.mode !== parseInt(file.mode, 8) ||
          current.uid !== file.uid ||
          current.gid !== file.gid
        );
      })
      .map((file) => file.path);
    const inBackup = new Set(pki.files.map((file) => file.path));
    const extra = [...onNode.values()]
      .filter((entry) => entry.type === "file" && !inBackup.has(entry.path))
      .map((entry) => entry.path);
    return { differing, extra };
  }

  /** The node's files under the paths, with their sha256; a missing path has none. */
  private async nodePki(session: SshSession, paths: string[]): Promise<Map<string, NodePkiEntry>> {
    const outcome = await this.script(
      session,
      PKI_STATE_SCRIPT,
      paths,
      "the listing of the node's PKI",
    );
    return parsePkiState(outcome.stdout);
  }

  private async restorePkiStep(
    run: PlanRun,
    session: SshSession,
    pki: PkiArchive | undefined,
    plan: PkiComparison | undefined,
    stamp: string,
  ): Promise<void> {
    if (!pki || !plan) {
      run.skip("restorePki", "restore-pki is never");
      return;
    }
    const always = this.options.restorePki === "always";
    if (!always && plan.differing.length === 0) {
      run.skip("restorePki", "restore-pki is auto and the node's PKI equals the backup's");
      this.result.pkiRestored = [];
      return;
    }
    const restored = await run.run(
      "restorePki",
      async (step) => {
        // What an undo needs to know: whole folders moved aside, or single files.
        await step.intend({ mode: always ? "always" : "files", paths: pki.paths });
        return this.restorePki(session, pki, always ? undefined : plan.differing, stamp);
      },
      (files) =>
        always
          ? `restore-pki always: ${pki.paths.join(", ")} moved aside to <path>.pre-restore-${stamp}, and all ${files.length} file(s) of the backup unpacked and checked`
          : `restore-pki auto: the ${files.length} differing file(s) put back and checked: ${files.join(", ")}`,
    );
    this.result.pkiRestored = restored;
  }

  /** Puts back every file (`only` undefined) or only those listed; checks each afterwards. */
  private async restorePki(
    session: SshSession,
    pki: PkiArchive,
    only: string[] | undefined,
    stamp: string,
  ): Promise<string[]> {
    await this.script(
      session,
      PKI_RESTORE_SCRIPT,
      [
        stamp,
        only ? "files" : "always",
        `/etc/kubernetes/.pki-restore-${stamp}`,
        ...pki.paths,
        "--",
        ...(only ?? []),
      ],
      "the PKI restore",
      {},
      { stdin: Readable.from([pki.archive]), describeStdin: "the PKI archive" },
    );
    const onNode = await this.nodePki(session, pki.paths);
    const wanted = pki.files.filter(
      (file) => file.type === "file" && (!only || only.includes(file.path)),
    );
    const wrong = wanted.filter((file) => {
      const current = onNode.get(file.path);
      return (
        !current ||
        current.sha256 !== file.sha256 ||
        current.mode !== parseInt(file.mode, 8) ||
        current.uid !== file.uid ||
        current.gid !== file.gid
      );
    });
    if (wrong.length) {
      throw new Error(
        `after the PKI restore, ${wrong.map((file) => file.path).join(", ")} on the node do not match the backup (sha256, mode or owner); the displaced files are in ${pki.paths.map((path) => `${path}.pre-restore-${stamp}`).join(", ")}. Look at the node before going on.`,
      );
    }
    return wanted.map((file) => file.path);
  }

  private async execute(run: PlanRun): Promise<void> {
    const { options, logger } = this;
    const snapshot = await run.run(
      "readEtcdBackup",
      () => this.readEtcdBackup(),
      (facts) =>
        `${formatBytes(facts.bytes)}, sha256 ${facts.sha256.slice(0, 12)}…, revision ${facts.revision}${facts.keys !== undefined ? `, ${facts.keys} keys` : ""}`,
    );
    this.result.snapshotRevision = snapshot.revision;
    if (snapshot.keys !== undefined) this.result.snapshotKeys = snapshot.keys;
    const pki = await this.readPkiStep(run);
    this.warnOfEncryptionKeys(snapshot, pki);
    options.signal?.throwIfAborted();
    const session = await this.connectSteps(run);
    const node = await run.run(
      "readNode",
      () => this.readNode(session),
      (facts) =>
        `${facts.name}: etcd ${facts.member.config.name}, image ${facts.member.image}, data dir ${facts.member.hostDataDir} on the node (${facts.member.containerDataDir} in the pod)${facts.bump ? `, bump ${facts.bump}` : ""}`,
    );
    this.result.node = node.name;
    this.result.dataDir = node.member.hostDataDir;
    if (node.bump) this.result.bump = node.bump;
    await run.run(
      "checkRoom",
      () => this.checkRoom(session, node, snapshot),
      (room) => room,
    );
    const pkiPlan = await this.checkPkiStep(run, session, node, pki);
    if (options.dryRun) {
      this.result.outcome = "planned";
      logger.info(
        `Dry run: would restore ${options.etcdBackup.location.uri} (revision ${snapshot.revision}) into ${node.member.hostDataDir} on ${node.name}; nothing was changed.`,
      );
      return;
    }
    this.checkConfirm(node);
    const journal = new NodeJournal(session, posix.join(node.member.hostDataDir, JOURNAL_FILE));
    await run.attachJournal(journal, {
      cluster: "admin",
      node: node.name,
      etcdBackup: options.etcdBackup.location.uri,
      dataDir: node.member.hostDataDir,
    });
    const stamp = await this.stampOf(run);
    await run.run(
      "stageSnapshot",
      async (step) => {
        await step.intend({ stamp });
        return this.stageSnapshot(session, node, snapshot, stamp);
      },
      (line) => line,
    );
    const aside = `/etc/kubernetes/manifests-stopped-${stamp}`;
    const outageStart = Date.now();
    await run.run(
      "stopControlPlane",
      () => this.stopControlPlane(session, node, aside),
      (line) => line,
    );
    await this.restorePkiStep(run, session, pki, pkiPlan, stamp);
    await run.run(
      "restoreSnapshot",
      () => this.restoreSnapshot(session, node, stamp),
      (kib) => `restored data ${formatBytes(kib * 1024)}`,
    );
    await run.run(
      "swapData",
      () => this.swapData(session, node, stamp),
      (line) => line,
    );
    this.result.preRestoreFolder = posix.join(node.member.hostDataDir, `pre-restore-${stamp}`);
    await run.run(
      "startControlPlane",
      () => this.startControlPlane(session, aside),
      (line) => line,
    );
    const kubeconfigPath = await run.run("fetchKubeconfig", () => this.fetchKubeconfig(session));
    this.result.kubeconfigPath = kubeconfigPath;
    await run.run(
      "checkRestored",
      () => this.checkRestored(kubeconfigPath, node, snapshot),
      (proof) => proof.summary,
    );
    this.result.outageMs = Date.now() - outageStart;
    const removed = await run.run(
      "prunePreRestore",
      () => this.prune(session, node),
      (folders) =>
        folders.length ? `removed ${folders.join(", ")}` : "none beyond the newest two",
    );
    this.result.removedPreRestoreFolders = removed;
    await this.archiveJournal(session, journal, stamp);
    this.result.outcome = "restored";
  }

  /**
   * The finished restore's journal goes beside the data it displaced, so that the next
   * restore starts a journal of its own (and an undo finds what this one did).
   */
  private async archiveJournal(session: SshSession, journal: NodeJournal, stamp: string) {
    const kept = posix.join(posix.dirname(journal.path), `pre-restore-${stamp}`, JOURNAL_FILE);
    await this.script(
      session,
      KEEP_JOURNAL_SCRIPT,
      [journal.path, kept],
      "keeping the journal with the pre-restore data",
    );
    this.logger.info(`The journal of this restore is kept in ${kept}.`);
  }

  /** See finishInterruptedAdminRestore. */
  async putBack(owner: string): Promise<AfterInterruptionOutcome> {
    const session = await this.connect();
    try {
      const node = await this.readNode(session);
      const journal = new NodeJournal(session, posix.join(node.member.hostDataDir, JOURNAL_FILE));
      const entries = await journal.read();
      if (!entries.some((entry) => entry.event === "begin")) return "nothing to do";
      const owners = entries.filter((entry) => entry.event === "run");
      const lastOwner = (owners.at(-1)?.data as { owner?: string } | undefined)?.owner;
      if (lastOwner !== owner) {
        this.logger.info(
          `The restore journaled in ${journal.description} is carried on by ${lastOwner ?? "another run"}, not this one: left alone.`,
        );
        return "not ours";
      }
      const began = (step: string) =>
        entries.some((entry) => entry.step === step && entry.event === "started");
      if (began("restorePki") || began("swapData")) {
        this.logger.warning(
          `The restore on ${node.name} passed its point of no return (${began("swapData") ? "the swap" : "the PKI restore"} began): nothing is put back. Rerun the restore: it continues from ${journal.description}.`,
        );
        return "past the point of no return";
      }
      const stamp = (
        entries.find((entry) => entry.step === "stageSnapshot" && entry.event === "intent")
          ?.data as { stamp?: string } | undefined
      )?.stamp;
      if (stamp) await this.undoStaging(session, node, stamp);
      const closed = `${journal.path}.abandoned-${restoreStamp(new Date())}`;
      await this.script(
        session,
        `mv "$1" "$2" && sync`,
        [journal.path, closed],
        "closing the journal",
      );
      this.logger.info(
        `Put back the restore that did not finish on ${node.name}: etcd and kube-apiserver run on their old data; its journal is ${closed}.`,
      );
      return "put back";
    } finally {
      await session.close().catch(() => undefined);
    }
  }

  /** See runAdminUndo. */
  async undo(): Promise<AdminRestoreResult> {
    await this.runPlan(adminUndoPlan(this.options.host), (run) => this.executeUndo(run));
    this.options.signal?.throwIfAborted();
    return this.result;
  }

  private async executeUndo(run: PlanRun): Promise<void> {
    const { options, logger } = this;
    const session = await this.connectSteps(run);
    const node = await run.run(
      "readNode",
      () => this.readNode(session),
      (facts) => `${facts.name}: data dir ${facts.member.hostDataDir} on the node`,
    );
    this.result.node = node.name;
    this.result.dataDir = node.member.hostDataDir;
    const journal = new NodeJournal(
      session,
      posix.join(node.member.hostDataDir, UNDO_JOURNAL_FILE),
    );
    const target = await run.run(
      "findPreRestore",
      () => this.findPreRestore(session, node, journal),
      (found) =>
        `${posix.join(node.member.hostDataDir, `pre-restore-${found.restored}`)}${found.pki ? `, and the PKI that restore moved aside (${found.pki.mode === "always" ? "whole folders" : "single files"} under ${found.pki.paths.join(", ")})` : ", no PKI to put back"}`,
    );
    this.result.preRestoreFolder = posix.join(
      node.member.hostDataDir,
      `pre-restore-${target.restored}`,
    );
    if (options.dryRun) {
      this.result.outcome = "planned";
      logger.info(
        `Dry run: would put ${this.result.preRestoreFolder} back on ${node.name}; nothing was changed.`,
      );
      return;
    }
    this.checkConfirm(node);
    await run.attachJournal(journal, {
      cluster: "admin",
      node: node.name,
      undo: target.restored,
      stamp: target.stamp,
    });
    const aside = `/etc/kubernetes/manifests-stopped-${target.stamp}`;
    const outageStart = Date.now();
    await run.run(
      "stopControlPlane",
      () => this.stopControlPlane(session, node, aside),
      (line) => line,
    );
    const pki = target.pki;
    if (pki) {
      await run.run(
        "undoPki",
        () => this.undoPki(session, target, pki),
        (lines) => lines.join("; "),
      );
    } else {
      run.skip("undoPki", "that restore put no PKI back");
    }
    await run.run(
      "swapBack",
      () => this.swapBack(session, node, target),
      (line) => line,
    );
    await run.run(
      "startControlPlane",
      () => this.startControlPlane(session, aside),
      (line) => line,
    );
    const kubeconfigPath = await run.run("fetchKubeconfig", () => this.fetchKubeconfig(session));
    this.result.kubeconfigPath = kubeconfigPath;
    await run.run(
      "checkUndone",
      () => this.checkUndone(kubeconfigPath, node),
      (summary) => summary,
    );
    this.result.outageMs = Date.now() - outageStart;
    await this.script(
      session,
      KEEP_JOURNAL_SCRIPT,
      [
        journal.path,
        posix.join(node.member.hostDataDir, `pre-undo-${target.stamp}`, UNDO_JOURNAL_FILE),
      ],
      "keeping the undo's journal with the data it displaced",
    );
    this.result.outcome = "undone";
  }

  /**
   * The restore to undo: the one an interrupted undo journaled, else the newest pre-restore
   * folder that still holds its member data. Refused while a restore is under way.
   */
  private async findPreRestore(
    session: SshSession,
    node: NodeFacts,
    journal: NodeJournal,
  ): Promise<UndoTarget> {
    const data = node.member.hostDataDir;
    const restoring = new NodeJournal(session, posix.join(data, JOURNAL_FILE));
    if ((await restoring.read()).some((entry) => entry.event === "begin")) {
      throw new Error(
        `a restore on ${node.name} has not finished (its journal is ${restoring.description}): rerun that restore to finish it, or let its post step put it back, before undoing anything.`,
      );
    }
    const begun = (await journal.read()).find((entry) => entry.event === "begin")?.data as
      { undo?: string; stamp?: string } | undefined;
    let restored = begun?.undo;
    if (!restored) {
      const listed = await this.script(
        session,
        `ls -1d "$1"/pre-restore-*/member 2>/dev/null | sort -r | head -n 1`,
        [data],
        "looking for pre-restore folders",
      );
      restored = /pre-restore-([0-9TZ]+)\/member$/.exec(listed.stdout.trim())?.[1];
    }
    if (!restored) {
      throw new ConfigurationError(
        "undo",
        `there is nothing to undo on ${node.name}: no ${data}/pre-restore-<stamp> folder holds the data a restore displaced (an earlier undo already put it back, or no restore ran on this node).`,
      );
    }
    const stamp = begun?.stamp ?? restoreStamp(this.options.now ?? new Date());
    // The finished restore's journal, kept beside its data, says whether it moved PKI aside.
    const restoreJournal = new NodeJournal(
      session,
      posix.join(data, `pre-restore-${restored}`, JOURNAL_FILE),
    );
    const pki = (await restoreJournal.read()).find(
      (entry) => entry.step === "restorePki" && entry.event === "intent",
    )?.data as UndoTarget["pki"] | undefined;
    return { restored, stamp, ...(pki ? { pki } : {}) };
  }

  private async undoPki(
    session: SshSession,
    target: UndoTarget,
    pki: NonNullable<UndoTarget["pki"]>,
  ): Promise<string[]> {
    const outcome = await this.script(
      session,
      PKI_UNDO_SCRIPT,
      [target.restored, target.stamp, pki.mode, ...pki.paths],
      "putting the PKI back",
    );
    const lines = outcome.stdout.split("\n").filter(Boolean);
    return lines.length ? lines : ["already put back"];
  }

  /** The restore's journal leaves the pre-restore folder with it; then UNDO_SCRIPT swaps. */
  private async swapBack(session: SshSession, node: NodeFacts, target: UndoTarget) {
    const data = node.member.hostDataDir;
    const undoFolder = posix.join(data, `pre-undo-${target.stamp}`);
    await this.script(
      session,
      `if [ -f "$1" ]; then mkdir -p "$2" && mv "$1" "$2/admin-restore-$3.journal" && sync; fi`,
      [
        posix.join(data, `pre-restore-${target.restored}`, JOURNAL_FILE),
        undoFolder,
        target.restored,
      ],
      "moving the restore's journal beside the data it restored",
    );
    const outcome = await this.script(
      session,
      UNDO_SCRIPT,
      [data, target.stamp, target.restored],
      "the swap back",
      { [RESTORE_EXIT.nothingToUndo]: "nothingToUndo" },
    );
    if (outcome.code === RESTORE_EXIT.nothingToUndo) {
      throw new Error(
        `${data}/pre-restore-${target.restored}/member is gone from ${node.name}, and ${undoFolder} was not finished: look at the node before going on.`,
      );
    }
    return `${outcome.stdout.trim()} put back; the restored data is kept in ${undoFolder}/member`;
  }

  private async checkUndone(kubeconfigPath: string, node: NodeFacts): Promise<string> {
    const exec = await this.answeringEtcd(kubeconfigPath, node);
    const { revision, keys } = parseKeyCount(await exec(countKeysArgs()));
    this.result.revision = revision;
    this.result.keys = keys;
    return `etcd healthy through its container at revision ${this.result.revision} with ${this.result.keys} keys; the API answers with the fetched kubeconfig`;
  }

  /** The manifests back, the one-shot pod's manifest, staged snapshot and restored folder gone. */
  private async undoStaging(session: SshSession, node: NodeFacts, stamp: string): Promise<void> {
    const aside = `/etc/kubernetes/manifests-stopped-${stamp}`;
    const data = node.member.hostDataDir;
    await this.script(
      session,
      `rm -f "$1/$2"; rm -f "$3/restore-$4.db" "$3/restore-$4.db.part"; rm -rf "$3/restore-$4"; sync`,
      [MANIFESTS_DIR, RESTORE_MANIFEST, data, stamp],
      "removing the restore pod and the staged snapshot",
    );
    await this.script(
      session,
      `[ -d "$2" ] || exit 0; shift 0; ${START_SCRIPT}`,
      [MANIFESTS_DIR, aside, ETCD_MANIFEST, API_SERVER_MANIFEST],
      "moving the manifests back",
    );
  }

  // ------------------------------------------------------------------ reading

  private async readEtcdBackup(): Promise<SnapshotFacts> {
    const { options } = this;
    // Named as every work folder of this tool, so the post step sweeps it after a kill.
    this.scratch = await mkdtemp(join(options.workDir, "etcd-backup-admin-restore-"));
    await chmod(this.scratch, 0o700);
    const path = join(this.scratch, "snapshot.db");
    const digest = await restoreBackupToFile(options.store, options.etcdBackup, path, {
      identities: options.identities,
      logger: this.logger,
    });
    const verification = verifySnapshot(path);
    if (!verification.ok) {
      const problems = verification.problems.map((problem) => problem.message).join("; ");
      throw new Error(
        `the snapshot in ${options.etcdBackup.location.uri} does not verify: ${problems}; nothing was changed. Choose another backup.`,
      );
    }
    const status = readSnapshotStatus(path);
    const secrets = listSnapshotKeys(path, { resource: "secrets" });
    return {
      encryptedSecrets: secrets.keys.filter((key) => key.encryption).length,
      path,
      bytes: digest.bytes,
      sha256: digest.sha256,
      revision: status.revision,
      ...(options.etcdBackup.manifest.etcd?.keyCount !== undefined
        ? { keys: options.etcdBackup.manifest.etcd.keyCount }
        : {}),
    };
  }

  /** The restore's and the undo's first node steps: connect, then prove sudo. */
  private async connectSteps(run: PlanRun): Promise<SshSession> {
    const session = await run.run(
      "connect",
      () => this.connect(),
      (connected) => `${connected.target}, host key ${connected.hostKeyFingerprint}`,
    );
    this.result.target = session.target;
    this.result.hostKeyFingerprint = session.hostKeyFingerprint;
    await run.run("checkSudo", () => this.checkSudo(session));
    return session;
  }

  private async connect(): Promise<SshSession> {
    const { options } = this;
    this.session = await connectSsh(
      nodeSshOptions(options.host, options.privateKey, options),
      this.logger,
    );
    return this.session;
  }

  private async checkSudo(session: SshSession): Promise<void> {
    await this.sudo(session, ["true"], "sudo -n true");
  }

  private async readNode(session: SshSession): Promise<NodeFacts> {
    const { name, member, manifestIn } = await readStaticPodNode(session);
    if (manifestIn !== MANIFESTS_DIR) {
      this.logger.warning(
        `The etcd manifest is not in ${MANIFESTS_DIR} but in ${manifestIn}: an earlier restore stopped the control plane. This run continues from its journal.`,
      );
    }
    return { name, member, manifestIn, ...this.chooseBump(member) };
  }

  private chooseBump(member: StaticEtcdMember): { bump?: number } {
    const wanted = this.options.revisionBump;
    if (wanted === "none") return {};
    const version = etcdVersionOfImage(member.image);
    if (!versionOffersBump(version)) {
      if (typeof wanted === "number") {
        throw new ConfigurationError(
          "revision-bump",
          `is ${wanted}, but the node's etcd image ${member.image} (etcd ${version ?? "of unknown version"}) has no --bump-revision; use auto or none (etcd 3.4.26+ / 3.5.10+ can bump).`,
        );
      }
      this.logger.warning(
        `etcd ${version ?? "of unknown version"} in ${member.image} cannot bump the revision: the restored revision goes back to the snapshot's, so every watch on the admin cluster's API restarts afterwards.`,
      );
      return {};
    }
    return { bump: typeof wanted === "number" ? wanted : DEFAULT_REVISION_BUMP };
  }

  private checkConfirm(node: NodeFacts): void {
    const { confirm, host } = this.options;
    if (confirm !== node.name && confirm !== host) {
      throw new ConfigurationError(
        "confirm",
        `${confirm ? `"${confirm}" is neither` : "is empty; it must be"} the node's name (${node.name}) or address (${host}); restoring replaces the admin cluster's etcd data, so type one of them to confirm.`,
      );
    }
  }

  private async checkRoom(
    session: SshSession,
    node: NodeFacts,
    snapshot: SnapshotFacts,
  ): Promise<string> {
    return checkNodeRoom(session, node, snapshot.bytes);
  }

  private async stampOf(run: PlanRun): Promise<string> {
    const recorded = run.intentOf("stageSnapshot") as { stamp?: string } | undefined;
    return recorded?.stamp ?? restoreStamp(this.options.now ?? new Date());
  }

  // ------------------------------------------------------------------ changing

  private async stageSnapshot(
    session: SshSession,
    node: NodeFacts,
    snapshot: SnapshotFacts,
    stamp: string,
  ): Promise<string> {
    await stageSnapshotOnNode(session, node, snapshot, stamp);
    return `${formatBytes(snapshot.bytes)} received, sha256 checked on the node`;
  }

  private async stopControlPlane(
    session: SshSession,
    node: NodeFacts,
    aside: string,
  ): Promise<string> {
    this.logger.info(await moveManifestsOut(session, aside));
    await waitUntilEtcdStopped(session, node, this.waitOptions());
    return `manifests in ${aside}; etcd and kube-apiserver stopped`;
  }

  private async restoreSnapshot(
    session: SshSession,
    node: NodeFacts,
    stamp: string,
  ): Promise<number> {
    return restoreWithStaticPod(
      session,
      node,
      { stamp, ...(node.bump ? { bump: node.bump } : {}) },
      this.waitOptions(),
      this.logger,
    );
  }

  private async swapData(session: SshSession, node: NodeFacts, stamp: string): Promise<string> {
    const swapped = await swapNodeData(session, node, stamp);
    return `${swapped}: the live data is in ${node.member.hostDataDir}/pre-restore-${stamp}/member`;
  }

  private async startControlPlane(session: SshSession, aside: string): Promise<string> {
    return moveManifestsBack(session, aside);
  }

  private async fetchKubeconfig(session: SshSession): Promise<string> {
    const { stdout } = await this.sudo(session, ["cat", ADMIN_CONF], `sudo -n cat ${ADMIN_CONF}`);
    const text = stdout.toString("utf8");
    const config = await loadKubeconfig({ content: text });
    for (const secret of kubeconfigSecrets(config)) this.options.onSecret?.(secret);
    const path = join(
      this.options.workDir,
      `etcd-backup-admin-kubeconfig-${restoreStamp(new Date())}`,
    );
    await writeFile(path, text, { mode: 0o600, flag: "w" });
    await chmod(path, 0o600);
    return path;
  }

  /**
   * Waits until etcd answers `endpoint health` through its own container, and proves the
   * fetched kubeconfig with a read; returns etcdctl in that container.
   */
  private async answeringEtcd(
    kubeconfigPath: string,
    node: NodeFacts,
  ): Promise<(args: string[]) => Promise<string>> {
    const config = await loadKubeconfig({ path: kubeconfigPath });
    const profile = adminClusterProfile();
    const target = {
      namespace: profile.namespace,
      pod: `etcd-${node.name}`,
      container: profile.container,
    };
    const exec = async (args: string[]) => {
      const result = await execInPod(config, { ...target, command: etcdctl(profile, ...args) });
      if (result.exitCode !== 0) {
        throw new Error(
          `etcdctl ${args.slice(0, 2).join(" ")} in ${target.namespace}/${target.pod} exited with ${result.exitCode}: ${result.stderr.trim().split("\n").slice(-3).join(" | ")}`,
        );
      }
      return result.stdout;
    };
    let lastProblem = "";
    await this.waitFor(
      `the API server and etcd on ${node.name} to answer`,
      async () => {
        try {
          await exec(["endpoint", "health", "--command-timeout=5s"]);
          return true;
        } catch (error) {
          lastProblem = errorMessage(error);
          return false;
        }
      },
      () => lastProblem,
    );
    await this.proveKubeconfig(config);
    return exec;
  }

  private async checkRestored(
    kubeconfigPath: string,
    node: NodeFacts,
    snapshot: SnapshotFacts,
  ): Promise<{ revision: number; keys: number; summary: string }> {
    const exec = await this.answeringEtcd(kubeconfigPath, node);
    const { revision, keys } = parseKeyCount(await exec(countKeysArgs()));
    const expectedRevision = snapshot.revision + (node.bump ?? 0);
    if (revision < expectedRevision) {
      throw new Error(
        `after the restore, etcd on ${node.name} is at revision ${revision}, below the snapshot's ${expectedRevision}${node.bump ? ` (with the bump of ${node.bump})` : ""}: it does not hold the restored data.`,
      );
    }
    // Leases from the snapshot expire after the restart and delete their keys: count the
    // keys at the restored revision itself.
    const restoredKeys = parseKeyCount(await exec(countKeysArgs(expectedRevision))).keys;
    if (snapshot.keys !== undefined && restoredKeys !== snapshot.keys) {
      throw new Error(
        `after the restore, etcd on ${node.name} holds ${restoredKeys} keys at revision ${expectedRevision}, but the snapshot held ${snapshot.keys}.`,
      );
    }
    this.result.revision = revision;
    this.result.keys = keys;
    return {
      revision,
      keys,
      summary: `etcd healthy through its container, ${restoredKeys} keys at revision ${expectedRevision}${snapshot.keys !== undefined ? " as in the snapshot" : ""} (now revision ${revision}, ${keys} keys); the API answers with the fetched kubeconfig`,
    };
  }

  /** A read with the fetched kubeconfig: the node list. */
  private async proveKubeconfig(config: KubeConfig): Promise<void> {
    const { CoreV1Api } = await import("../core/kube-client.ts");
    await config.makeApiClient(CoreV1Api).listNode();
  }

  private async prune(session: SshSession, node: NodeFacts): Promise<string[]> {
    return prunePreRestoreOnNode(session, node, ADMIN_PRE_RESTORE_KEEP, this.logger);
  }

  // ------------------------------------------------------------------ node commands

  private async sudo(session: SshSession, argv: string[], describe: string) {
    return session.run(sudoCommand(argv), {
      describe,
      interpretFailure: (outcome) =>
        sudoRefusal(outcome, { host: session.host, user: session.user, programs: [argv[0]!] }),
    });
  }

  /**
   * `sudo -n sh -c SCRIPT sh ARGS` on the node. Exit codes listed in `expected` are returned
   * (the caller explains them); the scripts' known codes become sentences; anything else is
   * the command's own failure.
   */
  private async script(
    session: SshSession,
    script: string,
    args: string[],
    describe: string,
    expected: Record<number, string> = {},
    input: { stdin?: Readable; describeStdin?: string } = {},
  ): Promise<NodeScriptOutcome> {
    return runNodeScript(session, script, args, describe, expected, input);
  }

  /** Polls `check` every 2 s until it holds, or fails after the wait timeout saying what it saw. */
  private async waitFor(
    what: string,
    check: () => Promise<boolean>,
    lastSeen: () => string,
  ): Promise<void> {
    await pollUntil(what, check, lastSeen, this.waitOptions());
  }

  private waitOptions(): WaitOptions {
    return {
      timeoutMs: this.options.waitTimeoutMs ?? 5 * 60_000,
      ...(this.options.signal ? { signal: this.options.signal } : {}),
    };
  }
}

/** The most a PKI archive may hold in memory: certificates and keys are a few KiB each. */
const PKI_ARCHIVE_LIMIT = 256 * 1024 * 1024;

interface NodePkiEntry {
  path: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  sha256?: string;
}

const FIND_TYPE: Record<string, string> = { f: "file", d: "directory", l: "symlink" };

function parsePkiState(output: string): Map<string, NodePkiEntry> {
  const entries = new Map<string, NodePkiEntry>();
  const sums = new Map<string, string>();
  for (const line of output.split("\n")) {
    if (!line || line.startsWith("missing\t")) continue;
    const sum = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (sum) {
      sums.set(sum[2]!, sum[1]!);
      continue;
    }
    const [type, mode, uid, gid, , ...path] = line.split("\t");
    if (path.length === 0) continue;
    const name = path.join("\t");
    entries.set(name, {
      path: name,
      type: FIND_TYPE[type ?? ""] ?? "other",
      mode: parseInt(mode ?? "0", 8),
      uid: Number(uid),
      gid: Number(gid),
    });
  }
  for (const [path, sha256] of sums) {
    const entry = entries.get(path);
    if (entry) entry.sha256 = sha256;
  }
  return entries;
}

/** Where the archive's entries differ from the manifest's listing, one sentence each. */
function compareWithRecord(entries: NodeFileEntry[], files: PkiFileRecord[]): string[] {
  const differences: string[] = [];
  const inArchive = new Map(entries.map((entry) => [entry.path, entry]));
  for (const file of files) {
    const entry = inArchive.get(file.path);
    if (!entry) {
      differences.push(`${file.path} is listed but not in the archive`);
      continue;
    }
    if (
      entry.type !== file.type ||
      entry.mode !== parseInt(file.mode, 8) ||
      entry.uid !== file.uid ||
      entry.gid !== file.gid ||
      (file.type === "file" && entry.sha256 !== file.sha256)
    ) {
      differences.push(`${file.path} differs from its listing`);
    }
  }
  if (entries.length !== files.length) {
    differences.push(`the archive holds ${entries.length} entries, the listing ${files.length}`);
  }
  return differences;
}
