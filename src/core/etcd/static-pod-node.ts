/**
 * The node-level work of a static-pod etcd restore over SSH, one control-plane node at a
 * time: run a restore script under `sudo -n`, read the node's etcd manifest (also where an
 * interrupted run set it aside), check room, stage the snapshot, stop and start the static
 * pods by moving their manifests, restore with a one-shot static pod, swap, prune. The admin
 * master's restore and the Controlplane V2 restore (three nodes) both drive these; every
 * script checks the state before it acts, so a rerun after a dropped link changes nothing
 * already done.
 */
import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { PassThrough, type Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { errorMessage } from "../errors.ts";
import { formatBytes } from "../format.ts";
import type { Logger } from "../log/logger.ts";
import { RemoteCommandError, type SshSession } from "../ssh/index.ts";
import { sudoCommand, sudoRefusal } from "../ssh/sudo.ts";
import { etcdVersionOfImage } from "./backup-version.ts";
import { PRUNE_SCRIPT, RESTORE_EXIT, ROOM_SCRIPT, SWAP_SCRIPT } from "./restore-scripts.ts";
import {
  FINISH_RESTORE_SCRIPT,
  NODE_EXIT,
  PREPARE_RESTORE_SCRIPT,
  RESTORED_STATE_SCRIPT,
  STAGE_SCRIPT,
  START_SCRIPT,
  STOPPED_SCRIPT,
  STOP_SCRIPT,
  WRITE_MANIFEST_SCRIPT,
} from "./static-pod-scripts.ts";
import {
  API_SERVER_MANIFEST,
  ETCD_MANIFEST,
  MANIFESTS_DIR,
  RESTORE_MANIFEST,
  RESTORE_POD,
  readEtcdStaticPod,
  restorePodManifest,
  restoreToolFor,
  type StaticEtcdMember,
} from "./static-pod.ts";

export interface NodeScriptOutcome {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * `sudo -n sh -c SCRIPT sh ARGS` on the node. Exit codes listed in `expected` are returned
 * (the caller explains them); the scripts' known codes become sentences; anything else is
 * the command's own failure.
 */
export async function runNodeScript(
  session: SshSession,
  script: string,
  args: string[],
  describe: string,
  expected: Record<number, string> = {},
  input: { stdin?: Readable; describeStdin?: string } = {},
): Promise<NodeScriptOutcome> {
  try {
    const { stdout, outcome } = await session.run(
      sudoCommand(["sh", "-c", script, "sh", ...args]),
      {
        describe,
        interpretFailure: (outcome) =>
          sudoRefusal(outcome, { host: session.host, user: session.user, programs: ["sh"] }),
        ...(input.stdin
          ? {
              stdin: input.stdin as PassThrough,
              describeStdin: input.describeStdin ?? "the input",
            }
          : {}),
      },
    );
    return { stdout: stdout.toString("utf8"), stderr: outcome.stderr, code: 0 };
  } catch (error) {
    if (error instanceof RemoteCommandError && error.exitCode !== null) {
      if (expected[error.exitCode] !== undefined) {
        return { stdout: "", stderr: error.stderr, code: error.exitCode };
      }
      const known = explainNodeExit(error.exitCode, describe, session.host, error.stderr);
      if (known) throw new Error(known, { cause: error });
    }
    throw error;
  }
}

/** The restore scripts' own exit codes, each as a sentence to act on. */
export function explainNodeExit(
  code: number,
  describe: string,
  host: string,
  stderr: string,
): string | undefined {
  const detail = stderr.trim() ? ` (${stderr.trim().split("\n").slice(-2).join("; ")})` : "";
  switch (code) {
    case RESTORE_EXIT.dataInUse:
      return `${describe} on ${host}: a process still holds etcd's member/snap/db, so etcd still runs on the data; nothing was moved. Check that the etcd manifest is out of /etc/kubernetes/manifests and its container is gone.`;
    case RESTORE_EXIT.restoredMissing:
      return `${describe} on ${host}: the restored data or the staged snapshot is missing${detail}; run the restore again.`;
    case RESTORE_EXIT.noFlock:
      return `${describe} on ${host}: flock is missing on the node, so nothing can prove that etcd no longer holds its data; install util-linux.`;
    case RESTORE_EXIT.inconsistent:
      return `${describe} on ${host}: the folders are in a state no step of this restore leaves them in${detail}; look at the node before going on.`;
    case NODE_EXIT.checksum:
      return `${describe} on ${host}: the snapshot received on the node does not have the backup's sha256${detail}; the link or the node's disk damaged it. Run again.`;
    case NODE_EXIT.manifestMissing:
      return `${describe} on ${host}: a static pod manifest is missing${detail}; expected ${ETCD_MANIFEST} and ${API_SERVER_MANIFEST} in ${MANIFESTS_DIR}.`;
    default:
      return undefined;
  }
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Between checks; default 2 s. */
  intervalMs?: number;
}

/** Polls `check` until it holds, or fails after the timeout saying what it last saw. */
export async function pollUntil(
  what: string,
  check: () => Promise<boolean>,
  lastSeen: () => string,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    if (await check()) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for ${what}; last seen: ${lastSeen()}.`,
      );
    }
    await sleep(
      options.intervalMs ?? 2_000,
      undefined,
      options.signal ? { signal: options.signal } : {},
    );
  }
}

/** A control-plane node as a restore reads it. */
export interface StaticPodNode {
  /** The node's hostname. */
  name: string;
  member: StaticEtcdMember;
  /** Where etcd.yaml was found: the manifests folder, or set aside by an interrupted run. */
  manifestIn: string;
}

/**
 * The node's name and its etcd static pod, read from the manifests folder or, after an
 * interrupted run, from the newest folder that run set the manifests aside into.
 */
export async function readStaticPodNode(session: SshSession): Promise<StaticPodNode> {
  const name = (await session.run("hostname", { describe: "hostname" })).stdout
    .toString("utf8")
    .trim();
  const located = await runNodeScript(
    session,
    `for dir in "$1" $(ls -1d /etc/kubernetes/manifests-stopped-* 2>/dev/null | sort -r); do
  if [ -f "$dir/$2" ]; then echo "$dir"; [ -f "$dir/$3" ] || echo "no $3" >&2; cat "$dir/$2"; exit 0; fi
done
echo "$1/$2 is missing" >&2; exit ${NODE_EXIT.manifestMissing}`,
    [MANIFESTS_DIR, ETCD_MANIFEST, API_SERVER_MANIFEST],
    `reading ${MANIFESTS_DIR}/${ETCD_MANIFEST}`,
  );
  const newline = located.stdout.indexOf("\n");
  const manifestIn = located.stdout.slice(0, newline);
  const member = readEtcdStaticPod(
    located.stdout.slice(newline + 1),
    name,
    `${manifestIn}/${ETCD_MANIFEST} on ${name}`,
  );
  if (/^no /m.test(located.stderr)) {
    throw new Error(
      `${manifestIn}/${API_SERVER_MANIFEST} is missing on ${name}; expected the kube-apiserver static pod next to etcd's. Look at the node before restoring.`,
    );
  }
  return { name, member, manifestIn };
}

/** The KiB a restore needs beside the live data: the snapshot, the restored data, a WAL file. */
export function roomNeededKiB(snapshotBytes: number): number {
  // The live data is moved aside on the same volume (a rename: no room of its own).
  return 2 * Math.ceil(snapshotBytes / 1024) + 65 * 1024;
}

/**
 * Room on the data dir's volume; one sentence naming the node when there is too little.
 * `stagedKiB`: what a resumed restore already wrote there (its staged snapshot and restored
 * data), which counts against the need instead of being asked for twice.
 */
export async function checkNodeRoom(
  session: SshSession,
  node: StaticPodNode,
  snapshotBytes: number,
  stagedKiB = 0,
): Promise<string> {
  const neededKiB = Math.max(0, roomNeededKiB(snapshotBytes) - stagedKiB);
  const outcome = await runNodeScript(
    session,
    ROOM_SCRIPT,
    [node.member.hostDataDir, String(neededKiB)],
    "the room check",
    { [RESTORE_EXIT.noRoom]: "noRoom" },
  );
  const free = Number(/free=(\d+)/.exec(outcome.stdout)?.[1] ?? 0);
  if (outcome.code === RESTORE_EXIT.noRoom) {
    throw new Error(
      `the volume of ${node.member.hostDataDir} on ${node.name} has ${formatBytes(free * 1024)} free, but the restore needs ${formatBytes(neededKiB * 1024)} (the snapshot and the restored data); free room there and run again. Nothing was changed.`,
    );
  }
  return `${formatBytes(free * 1024)} free, ${formatBytes(neededKiB * 1024)} needed`;
}

/** Streams the snapshot file into DATA_DIR/restore-<stamp>.db; its sha256 checked there. */
export async function stageSnapshotOnNode(
  session: SshSession,
  node: StaticPodNode,
  snapshot: { path: string; sha256: string },
  stamp: string,
): Promise<void> {
  const data = node.member.hostDataDir;
  const outcome = await runNodeScript(
    session,
    STAGE_SCRIPT,
    [data, stamp, snapshot.sha256],
    `receiving the snapshot into ${data}/restore-${stamp}.db`,
    {},
    { stdin: createReadStream(snapshot.path), describeStdin: "the snapshot" },
  );
  if (outcome.stdout.trim() !== snapshot.sha256) {
    throw new Error(
      `${node.name} reported sha256 ${outcome.stdout.trim()} for the snapshot, not ${snapshot.sha256}.`,
    );
  }
}

/** Runbook 5: etcd.yaml and kube-apiserver.yaml out of the manifests folder into `aside`. */
export async function moveManifestsOut(session: SshSession, aside: string): Promise<string> {
  const moved = await runNodeScript(
    session,
    STOP_SCRIPT,
    [MANIFESTS_DIR, aside, ETCD_MANIFEST, API_SERVER_MANIFEST],
    "moving the manifests out",
  );
  return moved.stdout.trim().split("\n").join("; ");
}

/** The manifests back from `aside`: the kubelet starts etcd and kube-apiserver again. */
export async function moveManifestsBack(session: SshSession, aside: string): Promise<string> {
  const moved = await runNodeScript(
    session,
    START_SCRIPT,
    [MANIFESTS_DIR, aside, ETCD_MANIFEST, API_SERVER_MANIFEST],
    "moving the manifests back",
  );
  return moved.stdout.trim().split("\n").join("; ");
}

/** Waits until no process holds the live data and etcd's ports are closed. */
export async function waitUntilEtcdStopped(
  session: SshSession,
  node: StaticPodNode,
  wait: WaitOptions,
): Promise<void> {
  let state = "";
  await pollUntil(
    `etcd on ${node.name} to stop`,
    async () => {
      const outcome = await runNodeScript(
        session,
        STOPPED_SCRIPT,
        [node.member.hostDataDir, ...node.member.ports.map(String)],
        "the check that etcd stopped",
      );
      state = outcome.stdout.trim();
      return state === "stopped";
    },
    () => state,
    wait,
  );
}

/**
 * The snapshot restored into DATA_DIR/restore-<stamp> by a one-shot static pod with the
 * member's own image and flags (its name, peer URLs, the cluster and token); the pod's
 * manifest and the staged snapshot go once the data is complete. Returns its size in KiB.
 */
export async function restoreWithStaticPod(
  session: SshSession,
  node: StaticPodNode,
  restore: { stamp: string; bump?: number },
  wait: WaitOptions,
  logger: Logger,
): Promise<number> {
  const data = node.member.hostDataDir;
  const { stamp } = restore;
  let prepared = await prepareRestore(session, node, stamp);
  if (prepared === "running") {
    // An interrupted run's one-shot pod: it may have finished, failed (restartPolicy Never:
    // it never runs again) or be mid-way, and nothing here can tell which without the API.
    // Its manifest goes (the kubelet stops it), and once nothing holds its folder the
    // restore starts afresh under a new pod name; the snapshot is still staged.
    logger.info(
      `${MANIFESTS_DIR}/${RESTORE_MANIFEST} on ${node.name} is left from an interrupted run: it is removed and the restore starts again.`,
    );
    await removeRestorePod(session);
    await waitForRestoredData(session, node, stamp, wait, "settled");
    prepared = await prepareRestore(session, node, stamp);
  }
  if (prepared !== "already restored") {
    // A name of its own: never the mirror pod of an earlier restore still being removed.
    const podName = `${RESTORE_POD}-${randomBytes(3).toString("hex")}`;
    const manifest = restorePodManifest({
      member: node.member,
      tool: restoreToolFor(etcdVersionOfImage(node.member.image)),
      snapshotName: `restore-${stamp}.db`,
      restoredName: `restore-${stamp}`,
      podName,
      ...(restore.bump ? { bumpRevision: restore.bump } : {}),
    });
    const text = new PassThrough();
    text.end(stringify(manifest));
    await runNodeScript(
      session,
      WRITE_MANIFEST_SCRIPT,
      [MANIFESTS_DIR, RESTORE_MANIFEST],
      `writing ${MANIFESTS_DIR}/${RESTORE_MANIFEST}`,
      {},
      { stdin: text, describeStdin: "the restore pod's manifest" },
    );
    try {
      await waitForRestoredData(session, node, stamp, wait, "complete", `${podName}-${node.name}`);
    } catch (error) {
      // The one-shot pod must not linger (nor run again at the next kubelet start).
      await removeRestorePod(session).catch(() => undefined);
      throw error;
    }
  }
  const finished = await runNodeScript(
    session,
    FINISH_RESTORE_SCRIPT,
    [MANIFESTS_DIR, RESTORE_MANIFEST, data, stamp],
    "finishing the restore",
  );
  return Number(finished.stdout.trim());
}

/** PREPARE_RESTORE_SCRIPT: `running`, `already restored`, or `ready` (a leftover removed). */
async function prepareRestore(
  session: SshSession,
  node: StaticPodNode,
  stamp: string,
): Promise<string> {
  const outcome = await runNodeScript(
    session,
    PREPARE_RESTORE_SCRIPT,
    [node.member.hostDataDir, stamp, MANIFESTS_DIR, RESTORE_MANIFEST],
    "preparing the restore",
  );
  return outcome.stdout.trim();
}

async function removeRestorePod(session: SshSession): Promise<void> {
  await runNodeScript(
    session,
    `rm -f "$1/$2"; sync`,
    [MANIFESTS_DIR, RESTORE_MANIFEST],
    "removing the restore pod",
  );
}

/**
 * The one-shot restore pod's manifest removed, then a wait until nothing holds or changes
 * DATA_DIR/restore-<stamp> (the kubelet takes a moment to stop the pod): a clean-up that
 * removes the folder after this cannot race a restore still writing into it.
 */
export async function stopRestorePod(
  session: SshSession,
  node: StaticPodNode,
  stamp: string,
  wait: WaitOptions,
): Promise<void> {
  await removeRestorePod(session);
  await waitForRestoredData(session, node, stamp, wait, "settled");
}

/** The restored folder complete, nothing holding its files, and the same twice in a row. */
async function waitForRestoredData(
  session: SshSession,
  node: StaticPodNode,
  stamp: string,
  wait: WaitOptions,
  until: "complete" | "settled",
  pod = `${RESTORE_POD}-${node.name}`,
): Promise<void> {
  let last = "";
  let previous = "";
  await pollUntil(
    until === "complete"
      ? `the one-shot restore pod on ${node.name} to finish ${node.member.hostDataDir}/restore-${stamp}`
      : `the interrupted run's restore pod on ${node.name} to let go of ${node.member.hostDataDir}/restore-${stamp}`,
    async () => {
      const outcome = await runNodeScript(
        session,
        RESTORED_STATE_SCRIPT,
        [node.member.hostDataDir, stamp],
        "the check of the restored data",
      );
      previous = last;
      last = outcome.stdout.trim();
      if (until === "settled") return last !== "busy" && last === previous;
      return last.startsWith("complete ") && last === previous;
    },
    () =>
      `${last || "nothing yet"}; see the pod's log (crictl logs, or kubectl logs -n kube-system ${pod})`,
    wait,
  );
}

/** The live member folder to DATA_DIR/pre-restore-<stamp>/member, the restored one in its place. */
export async function swapNodeData(
  session: SshSession,
  node: StaticPodNode,
  stamp: string,
): Promise<string> {
  const outcome = await runNodeScript(
    session,
    SWAP_SCRIPT,
    [node.member.hostDataDir, stamp],
    "the swap",
  );
  return outcome.stdout.trim();
}

/** Pre-restore folders beyond the newest `keep`; best effort (they only cost room). */
export async function prunePreRestoreOnNode(
  session: SshSession,
  node: StaticPodNode,
  keep: number,
  logger: Logger,
): Promise<string[]> {
  try {
    const outcome = await runNodeScript(
      session,
      PRUNE_SCRIPT,
      [node.member.hostDataDir, String(keep)],
      "removing old pre-restore folders",
    );
    return outcome.stdout.split("\n").filter(Boolean);
  } catch (error) {
    logger.warning(
      `Old pre-restore folders on ${node.name} were not removed: ${errorMessage(error)}`,
    );
    return [];
  }
}
