/**
 * The pod side of a backup (runbook 1.2-1.3, done safely): check there is room, save the
 * snapshot to a unique temporary path outside the data volume, read its size and sha256 in
 * the pod, stream it out through exec stdout (no tar, no TTY, no `kubectl cp`), and remove
 * it, whatever happened.
 */
import { randomBytes } from "node:crypto";
import type { Writable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";
import { formatBytes } from "../format.ts";
import { execChecked, execInPod } from "../kube/exec.ts";
import { snapshotSave } from "./etcdctl.ts";
import type { EtcdClusterProfile } from "./profiles.ts";

/** Where snapshots are written inside the pod: the container's own filesystem, never /var/lib/etcd. */
export const POD_SNAPSHOT_DIR = "/tmp";

export interface PodTarget {
  config: KubeConfig;
  profile: EtcdClusterProfile;
  pod: string;
}

const exec = (target: PodTarget, command: string[]) =>
  execChecked(target.config, {
    namespace: target.profile.namespace,
    pod: target.pod,
    container: target.profile.container,
    command,
  });

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

/**
 * `etcdctl snapshot save`, bounded in time: etcdctl itself waits forever on a member that
 * accepted the connection and then stopped answering. The pod's own `timeout` (when the
 * image has one) kills it there, so no late snapshot appears after the clean-up; closing the
 * exec stream a little later is the fallback.
 */
export async function saveSnapshotInPod(
  target: PodTarget,
  path: string,
  timeoutMs: number,
): Promise<void> {
  const seconds = Math.ceil(timeoutMs / 1000);
  const tooSlow = () =>
    new Error(
      `etcdctl snapshot save in ${target.profile.namespace}/${target.pod} did not finish within ${seconds} s: the member stopped answering; check its health and logs.`,
    );
  const result = await execInPod(target.config, {
    namespace: target.profile.namespace,
    pod: target.pod,
    container: target.profile.container,
    command: [
      "sh",
      "-c",
      't=$1; shift; if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL "$t" "$@"; fi; exec "$@"',
      "sh",
      String(seconds),
      ...snapshotSave(target.profile, path),
    ],
    signal: AbortSignal.timeout(timeoutMs + 10_000),
  }).catch((error: Error) => {
    throw error.name === "ExecStreamError" && /aborted/.test(error.message)
      ? Object.assign(tooSlow(), { cause: error })
      : error;
  });
  if (result.exitCode === 137) throw tooSlow();
  if (result.exitCode !== 0) {
    const detail = result.stderr.trim().split("\n").slice(-3).join(" | ");
    throw new Error(
      `etcdctl snapshot save in ${target.profile.namespace}/${target.pod} exited with code ${result.exitCode}${detail ? `: ${detail}` : ""}`,
    );
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
    namespace: target.profile.namespace,
    pod: target.pod,
    container: target.profile.container,
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

/** Streams the file out through exec stdout into `out` (with backpressure); `out` is not ended. */
export async function streamFileFromPod(
  target: PodTarget,
  path: string,
  out: Writable,
  signal?: AbortSignal,
): Promise<void> {
  await execChecked(target.config, {
    namespace: target.profile.namespace,
    pod: target.pod,
    container: target.profile.container,
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
