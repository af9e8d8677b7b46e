/**
 * The pod side of a backup (runbook 1.2-1.3, done safely): check there is room, save the
 * snapshot to a unique temporary path outside the data volume, stream it out through exec
 * stdout while etcdctl writes it (no tar, no TTY, no `kubectl cp`), read its size and
 * sha256 in the pod, and remove it, whatever happened.
 */
import { randomBytes } from "node:crypto";
import type { Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import { CoreV1Api } from "../kube-client.ts";
import { errorMessage } from "../errors.ts";
import { formatBytes } from "../format.ts";
import type { Logger } from "../log/logger.ts";
import { execChecked, execInPod } from "../kube/exec.ts";
import type { PodTarget as ContainerTarget } from "../kube/pod-target.ts";
import { snapshotSave } from "./etcdctl.ts";
import type { EtcdClusterProfile } from "./profiles.ts";

/** Where snapshots are written inside the pod: the container's own filesystem, never /var/lib/etcd. */
export const POD_SNAPSHOT_DIR = "/tmp";

/** An etcd member pod and how to reach it: what every exec of a backup runs in. */
export interface EtcdMemberTarget {
  config: KubeConfig;
  profile: EtcdClusterProfile;
  pod: string;
}

/** The name the backup procedure still imports. */
export type PodTarget = EtcdMemberTarget;

/** The member's etcd container, as core/kube addresses it. */
export function memberContainer(target: EtcdMemberTarget): ContainerTarget {
  return {
    namespace: target.profile.namespace,
    pod: target.pod,
    container: target.profile.container,
  };
}

const exec = (target: PodTarget, command: string[]) =>
  execChecked(target.config, { ...memberContainer(target), command });

/** A path no other backup run can collide with. */
export function uniqueSnapshotPath(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  return `${POD_SNAPSHOT_DIR}/etcd-backup-${stamp}-${randomBytes(4).toString("hex")}.db`;
}

/** Free bytes in the snapshot folder of the pod (`df -Pk`). */
export async function freeSpaceInPod(target: PodTarget, dir = POD_SNAPSHOT_DIR): Promise<number> {
  const { stdout } = await exec(target, ["df", "-Pk", dir]);
  const fields = stdout.trim().split("\n").pop()?.trim().split(/\s+/) ?? [];
  const availableKb = Number(fields[3]);
  if (!Number.isFinite(availableKb)) {
    throw new Error(
      `cannot read the free space of ${dir} in ${target.pod} from df: ${stdout.trim()}`,
    );
  }
  return availableKb * 1024;
}

/**
 * Fails unless the snapshot (about the database size) fits, with a margin, where it will be
 * written. Better to refuse than to fill the etcd container's disk.
 */
export async function checkRoomForSnapshot(
  target: PodTarget,
  databaseBytes: number,
): Promise<number> {
  const available = await freeSpaceInPod(target);
  const needed = Math.ceil(databaseBytes * 1.1) + 16 * 1024 * 1024;
  if (available < needed) {
    throw new Error(
      `no room for the snapshot in ${target.profile.namespace}/${target.pod}: ${POD_SNAPSHOT_DIR} has ${formatBytes(available)} free, the database is ${formatBytes(databaseBytes)} (needs ${formatBytes(needed)}); free space in the container or snapshot another member.`,
    );
  }
  return available;
}

/** The streaming script prints this on stderr, with etcdctl's exit code, once etcdctl has ended. */
const SAVE_ENDED = "etcd-backup-actions: snapshot save ended with code";

/**
 * The guard of the streaming script, in a session of its own: once the shell ($1) is gone
 * without having stopped the guard, it kills the save ($2, and timeout's group) and removes
 * the snapshot ($3) and its `.part`. No single quotes: it is quoted into the script.
 */
const GUARD_SCRIPT = `while kill -0 "$1" 2>/dev/null; do sleep 1; done
kill -s KILL -- "-$2" 2>/dev/null; kill -s KILL "$2" 2>/dev/null
rm -f "$3" "$3.part"; sleep 1; rm -f "$3" "$3.part"`;

/**
 * `sh -c` script: `etcdctl snapshot save` in the background, its file streamed to stdout
 * while it grows. Arguments: seconds allowed, the snapshot path, then etcdctl's argv.
 *
 * Why the streamed bytes are the snapshot: etcdctl 3.4 (clientv3/snapshot Save) opens
 * `<path>.part` with O_CREATE|O_TRUNC (no O_EXCL), writes it front to back with io.Copy,
 * fsyncs and renames it; it never seeks back. The script creates `.part` and opens it on fd
 * 3 before etcdctl starts, so it reads the very file etcdctl fills whatever happens to its
 * name. Each `cat <&3` copies from where the previous one stopped to the current end (fd 3's
 * offset is shared); once etcdctl has ended, one last `cat` copies the rest. The caller
 * still checks the size and the sha256 of the finished file in the pod, and the snapshot's
 * own sha256 trailer, before it calls the copy good.
 *
 * It needs only sh, cat, sleep and /proc (to see that etcdctl has ended, even as a zombie).
 * Without /proc or sleep it waits for etcdctl and then streams the whole file: the old
 * save-then-copy way, in one exec. `timeout`, when the image has it, kills an etcdctl that
 * waits forever on a frozen member (exit 137).
 *
 * When the client goes away (the runner was cancelled, or killed), the file must not stay:
 * - the shell still runs and its stdout breaks: `gone` stops etcdctl and `timeout`'s process
 *   group (timeout puts itself in a group of its own) and removes both files;
 * - the shell itself is killed (a runtime that kills the exec's process group when the
 *   stream closes): a guard in a session of its own (setsid, when the image has it) sees
 *   the shell gone, kills timeout's group and removes both files. On success the guard is
 *   stopped first, so the finished file stays for its size and sha256.
 * A file left anyway (no setsid, or the node died) is swept by the next backup once it is
 * older than the save's timeout (sweepStaleSnapshots).
 */
const SAVE_AND_STREAM_SCRIPT = `t=$1 p=$2; shift 2
part="$p.part"
true > "$part" || exit 125
exec 3< "$part"
if command -v timeout >/dev/null 2>&1; then timeout -s KILL "$t" "$@" >&2 & else "$@" >&2 & fi
save=$!
guard=
if command -v setsid >/dev/null 2>&1; then
  setsid sh -c '${GUARD_SCRIPT}' guard "$$" "$save" "$p" </dev/null >/dev/null 2>&1 3<&- &
  guard=$!
fi
stop() { kill -s KILL -- "-$save" 2>/dev/null; kill -s KILL "$save" 2>/dev/null; }
leave() { if [ -n "$guard" ]; then kill "$guard" 2>/dev/null; fi; exit "$1"; }
saving() {
  read -r stat 2>/dev/null < "/proc/$save/stat" || return 1
  case $stat in *") Z "*) return 1 ;; esac
}
gone() { stop; wait "$save"; rm -f "$part" "$p"; leave 141; }
trap gone HUP PIPE TERM
if command -v sleep >/dev/null 2>&1; then
  while saving; do cat <&3 || gone; sleep 0.1 2>/dev/null || sleep 1; done
fi
wait "$save"; rc=$?
echo "${SAVE_ENDED} $rc" >&2
if [ "$rc" -ne 0 ]; then rm -f "$part" "$p"; leave "$rc"; fi
cat <&3 || gone
leave 0`;

/** The streaming script's argv: `save` (etcdctl's argv) writes `path` within `seconds`. */
export function saveAndStreamCommand(seconds: number, path: string, save: string[]): string[] {
  return ["sh", "-c", SAVE_AND_STREAM_SCRIPT, "sh", String(seconds), path, ...save];
}

/**
 * `etcdctl snapshot save` to `path` in the pod, streamed into `out` (with backpressure) while
 * etcdctl writes it, in one exec; `out` is not ended. Rejects with etcdctl's own message when
 * it fails (the bytes already in `out` are then worthless), and when it takes longer than
 * `timeoutMs`: etcdctl waits forever on a member that accepted the connection and then
 * stopped answering. The pod's `timeout` kills it there, so no late snapshot appears after
 * the clean-up; closing the exec stream a little later is the fallback for images without
 * one. The file stays in the pod for its size and sha256 (fileFactsThenRemove).
 */
export async function saveAndStreamSnapshot(
  target: PodTarget,
  path: string,
  out: Writable,
  options: {
    timeoutMs: number;
    signal?: AbortSignal;
    /** Told when etcdctl has finished the file (the end of it may still be on its way). */
    onSaved?: () => void;
  },
): Promise<void> {
  const where = `${target.profile.namespace}/${target.pod}`;
  const seconds = Math.ceil(options.timeoutMs / 1000);
  const tooSlow = () =>
    new Error(
      `etcdctl snapshot save in ${where} did not finish within ${seconds} s: the member stopped answering; check its health and logs.`,
    );
  // A kill long before the time limit is not the pod's timeout: the member went away.
  const startedAt = Date.now();
  const killedEarly = (started: number, limitMs: number) => {
    const elapsedMs = Date.now() - started;
    if (elapsedMs >= limitMs - 1000) return undefined;
    return new Error(
      `etcdctl snapshot save in ${where} was killed after ${(elapsedMs / 1000).toFixed(1)} s, well within its ${seconds} s limit: the member went away (its pod was deleted, evicted or restarted) during the backup; check kubectl -n ${target.profile.namespace} get pod ${target.pod}, then run the backup again.`,
    );
  };
  // The fallback: the exec is closed if etcdctl has not ended 10 s after the pod's timeout.
  const watchdog = new AbortController();
  const timer = setTimeout(() => watchdog.abort(), options.timeoutMs + 10_000);
  let stderrSeen = "";
  let ended = false;
  const onStderr = (text: string) => {
    if (ended) return;
    stderrSeen = (stderrSeen + text).slice(-4096);
    const exit = new RegExp(`${SAVE_ENDED} (\\d+)\n`).exec(stderrSeen);
    if (!exit) return;
    ended = true;
    clearTimeout(timer);
    if (exit[1] === "0") options.onSaved?.();
  };
  const signal = options.signal
    ? AbortSignal.any([options.signal, watchdog.signal])
    : watchdog.signal;
  let result;
  try {
    result = await execInPod(target.config, {
      ...memberContainer(target),
      command: saveAndStreamCommand(seconds, path, snapshotSave(target.profile, path)),
      stdout: out,
      signal,
      onStderr,
    });
  } catch (error) {
    throw watchdog.signal.aborted && !options.signal?.aborted
      ? Object.assign(tooSlow(), { cause: error })
      : error;
  } finally {
    clearTimeout(timer);
  }
  if (result.exitCode === 0) return;
  if (result.exitCode === 137) throw killedEarly(startedAt, options.timeoutMs) ?? tooSlow();
  const detail = result.stderr
    .split("\n")
    .filter((line) => line.trim() && !line.startsWith(SAVE_ENDED))
    .slice(-3)
    .join(" | ");
  if (result.exitCode !== 125 && (await podIsGoing(target))) {
    // etcd, stopped with its pod, ends the snapshot stream before the exec is killed.
    throw new Error(
      `etcdctl snapshot save in ${where} failed because the member went away (its pod was deleted, evicted or restarted) during the backup${detail ? ` (etcdctl: ${detail})` : ""}; check kubectl -n ${target.profile.namespace} get pod ${target.pod}, then run the backup again.`,
    );
  }
  const what =
    result.exitCode === 125
      ? `cannot create ${path}.part in ${where}`
      : `etcdctl snapshot save in ${where} exited with code ${result.exitCode}`;
  throw new Error(`${what}${detail ? `: ${detail}` : ""}`);
}

/** Whether the member's pod is being deleted, or already gone. */
async function podIsGoing(target: PodTarget): Promise<boolean> {
  const core = target.config.makeApiClient(CoreV1Api);
  try {
    const pod = await core.readNamespacedPod({
      name: target.pod,
      namespace: target.profile.namespace,
    });
    return Boolean(pod.metadata?.deletionTimestamp);
  } catch (error) {
    return (error as { code?: number }).code === 404;
  }
}

/** Time allowed for a snapshot save: 2 minutes, plus a second per 20 MB of database. */
export function snapshotSaveTimeoutMs(databaseBytes: number): number {
  return 120_000 + Math.ceil(databaseBytes / 20_000_000) * 1000;
}

export async function fileSizeInPod(target: PodTarget, path: string): Promise<number> {
  const { stdout } = await exec(target, ["stat", "-c", "%s", path]);
  const size = Number(stdout.trim());
  if (!Number.isInteger(size))
    throw new Error(`stat of ${path} in ${target.pod} printed "${stdout.trim()}"`);
  return size;
}

/** sha256 computed in the pod, or undefined when the image has no sha256sum. */
export async function sha256InPod(target: PodTarget, path: string): Promise<string | undefined> {
  const result = await execInPod(target.config, {
    ...memberContainer(target),
    command: [
      "sh",
      "-c",
      'command -v sha256sum >/dev/null || exit 127; sha256sum "$1"',
      "sh",
      path,
    ],
  });
  if (result.exitCode === 127) return undefined;
  if (result.exitCode !== 0) {
    throw new Error(`sha256sum of ${path} in ${target.pod} failed: ${result.stderr.trim()}`);
  }
  const hex = result.stdout.trim().split(/\s+/)[0] ?? "";
  if (!/^[0-9a-f]{64}$/.test(hex))
    throw new Error(`sha256sum in ${target.pod} printed "${result.stdout.trim()}"`);
  return hex;
}

/** What the pod says of its finished snapshot file. */
export interface PodFileFacts {
  size: number;
  /** Undefined when the image has no sha256sum. */
  sha256?: string;
}

/**
 * Size, then sha256 (`<hex> ...`) when the image can hash: openssl (SHA-NI, ~4x faster than
 * coreutils here) when it has it, else sha256sum; then the file is removed.
 */
const FILE_FACTS_SCRIPT = `stat -c %s "$1" || exit 1
if command -v openssl >/dev/null 2>&1 && openssl dgst -sha256 -r "$1"; then :
elif command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" || exit 1
fi
rm -f "$1" "$1.part"`;

/**
 * The finished file's size and sha256 (when the image has sha256sum), read in the pod in one
 * exec that then removes the file: it is not needed once these are known. `started` settles
 * once the command runs (or the exec failed), so the caller can do its own checks while the
 * pod hashes; `facts` rejects when anything failed.
 */
export function fileFactsThenRemove(
  target: PodTarget,
  path: string,
): { started: Promise<void>; facts: Promise<PodFileFacts> } {
  let markStarted = () => {};
  const opened = new Promise<void>((resolve) => (markStarted = resolve));
  const facts = execChecked(target.config, {
    ...memberContainer(target),
    command: ["sh", "-c", FILE_FACTS_SCRIPT, "sh", path],
    onOpen: markStarted,
  }).then(({ stdout }) => parseFileFacts(stdout, path, target.pod));
  const started = Promise.race([
    opened,
    facts.then(
      () => undefined,
      () => undefined,
    ),
  ]);
  return { started, facts };
}

function parseFileFacts(stdout: string, path: string, pod: string): PodFileFacts {
  const [sizeLine = "", hashLine] = stdout.trim().split("\n");
  const size = Number(sizeLine.trim());
  const sha256 = hashLine?.trim().split(/\s+/)[0];
  if (!Number.isInteger(size) || (hashLine !== undefined && !/^[0-9a-f]{64}$/.test(sha256 ?? ""))) {
    throw new Error(
      `stat and sha256sum of ${path} in ${pod} printed "${stdout.trim()}"; expected a size and a sha256.`,
    );
  }
  return sha256 === undefined ? { size } : { size, sha256 };
}

/** Streams the file out through exec stdout into `out` (with backpressure); `out` is not ended. */
export async function streamFileFromPod(
  target: PodTarget,
  path: string,
  out: Writable,
  signal?: AbortSignal,
): Promise<void> {
  await execChecked(target.config, {
    ...memberContainer(target),
    command: ["cat", path],
    stdout: out,
    signal,
  });
}

/**
 * Removes the temporary snapshot, and the `.part` file etcdctl writes before renaming it
 * (left behind when a save fails half-way).
 */
export async function removeFromPod(target: PodTarget, path: string): Promise<void> {
  await exec(target, ["rm", "-f", path, `${path}.part`]);
}

/**
 * Removes the snapshot files (`etcd-backup-*`) in the pod's snapshot folder not written to
 * for longer than `olderThanMs`, and prints each path removed. A live save writes its file
 * all along and is killed at its timeout, so a file idle for longer than that is a leftover
 * of a run that was killed (or lost its node) before it could clean up.
 */
const SWEEP_SCRIPT = `now=$(date +%s) || exit 0
for f in "$1"/etcd-backup-*; do
  [ -f "$f" ] || continue
  written=$(stat -c %Y "$f") || continue
  if [ $((now - written)) -gt "$2" ] && rm -f "$f"; then echo "$f"; fi
done`;

/**
 * The runbook's "nothing left behind", for earlier runs: removes stale snapshot files (see
 * SWEEP_SCRIPT) from the member before this run writes its own, and says so in the log.
 */
export async function sweepStaleSnapshots(
  target: PodTarget,
  olderThanMs: number,
  logger: Pick<Logger, "info" | "warning">,
): Promise<string[]> {
  const where = `${target.profile.namespace}/${target.pod}`;
  const seconds = String(Math.ceil(olderThanMs / 1000));
  let stdout: string;
  try {
    ({ stdout } = await exec(target, ["sh", "-c", SWEEP_SCRIPT, "sh", POD_SNAPSHOT_DIR, seconds]));
  } catch (error) {
    // Not a reason to skip this backup: the room check that follows still guards the disk.
    logger.warning(
      `Could not look for snapshots left by earlier runs in ${POD_SNAPSHOT_DIR} of ${where}: ${errorMessage(error)}`,
    );
    return [];
  }
  const removed = stdout.split("\n").filter(Boolean);
  for (const path of removed) {
    logger.info(
      `Removed ${path} from ${where}: a snapshot left by an earlier run that was stopped, unused for more than ${seconds} s.`,
    );
  }
  return removed;
}
