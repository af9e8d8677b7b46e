/**
 * Faults of the admin etcd for the tests of an admin restore, done the way they happen to a
 * real node and seen only through the node's files and processes (no sandbox internals):
 * `breakAdminEtcd` leaves the admin etcd crash-looping on a corrupt database, as a failed
 * disk would; `adminEtcdPids` finds the processes that hold its database open.
 */
import { mkdir, open, readdir, rename, rmdir, stat } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { SandboxLayout } from "./index.ts";

const POLL_MS = 200;
/** The bolt database's meta pages and a little more: what a failed disk write leaves behind. */
const CORRUPT_BYTES = 4 * 4096;

/** The admin etcd's database on this machine: `<data dir>/member/snap/db`. */
export function adminEtcdDatabase(layout: SandboxLayout): string {
  return join(layout.admin.etcdDataDir, "member/snap/db");
}

/**
 * Host pids of the processes that hold the admin etcd's database open (compared by device
 * and inode, so another sandbox's etcd, whose path in its pod is the same, never counts).
 */
export async function adminEtcdPids(layout: SandboxLayout): Promise<number[]> {
  const database = await stat(adminEtcdDatabase(layout), { bigint: true });
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const descriptors = await readdir(`/proc/${entry}/fd`).catch(() => [] as string[]);
    for (const descriptor of descriptors) {
      const target = await stat(`/proc/${entry}/fd/${descriptor}`, { bigint: true }).catch(
        () => undefined,
      );
      if (target && target.ino === database.ino && target.dev === database.dev) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

/**
 * Breaks the admin etcd so it crash-loops: stops its static pod (manifest moved out, as the
 * runbook does), waits until no process holds its database, overwrites the database's first
 * pages with noise, and puts the manifest back; the kubelet then starts an etcd that exits
 * at once, again and again (CrashLoopBackOff). With the API server depending on the admin
 * control plane (the default), the API then refuses connections.
 */
export async function breakAdminEtcd(
  layout: SandboxLayout,
  options: { timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const manifest = join(layout.admin.manifestsDir, "etcd.yaml");
  const aside = join(layout.admin.nodeRoot, "etc/kubernetes", `manifests-break-${Date.now()}`);
  await stat(adminEtcdDatabase(layout)).catch(() => {
    throw new Error(
      `cannot break the admin etcd: it has no database at ${adminEtcdDatabase(layout)} (is the sandbox started?)`,
    );
  });
  await mkdir(aside);
  await rename(manifest, join(aside, "etcd.yaml"));
  try {
    await waitUntilReleased(layout, timeoutMs);
    await corruptDatabase(adminEtcdDatabase(layout));
  } finally {
    await rename(join(aside, "etcd.yaml"), manifest);
    await rmdir(aside);
  }
}

async function waitUntilReleased(layout: SandboxLayout, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const holders = await adminEtcdPids(layout);
    if (holders.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the admin etcd did not stop within ${timeoutMs} ms after its manifest was moved out: pids ${holders.join(", ")} still hold ${adminEtcdDatabase(layout)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function corruptDatabase(path: string): Promise<void> {
  const file = await open(path, "r+");
  try {
    await file.write(randomBytes(CORRUPT_BYTES), 0, CORRUPT_BYTES, 0);
    await file.sync();
  } finally {
    await file.close();
  }
}
