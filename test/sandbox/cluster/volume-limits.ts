/**
 * A size limit on a PVC: a tmpfs of N MB mounted (as root) at the PVC's host folder before
 * any pod uses it, so `df` in a pod that mounts the PVC shows that size and a write beyond
 * it fails with ENOSPC, as on a small volume. Unmounted by the returned clean-up.
 */
import { mkdirSync } from "node:fs";
import { runCommand } from "../runtime/commands.ts";
import { pvcFolder } from "../runtime/volumes.ts";

export interface LimitedVolume {
  namespace: string;
  claim: string;
  megabytes: number;
}

/** Mounts each limit; on a failure, what was mounted is unmounted again. */
export async function mountVolumeLimits(
  sandboxDir: string,
  sandboxId: string,
  volumes: LimitedVolume[],
): Promise<() => Promise<void>> {
  const mounted: string[] = [];
  const unmountAll = async () => {
    for (const folder of mounted.splice(0).reverse()) {
      await runCommand("umount", [folder]);
    }
  };
  try {
    for (const volume of volumes) {
      const folder = pvcFolder(sandboxDir, volume.namespace, volume.claim);
      mkdirSync(folder, { recursive: true });
      // The source name carries the sandbox id, so `findmnt` tells whose mount it is.
      await runCommand("mount", [
        "-t",
        "tmpfs",
        "-o",
        `size=${volume.megabytes}m,mode=0755`,
        `esb-${sandboxId}-volume`,
        folder,
      ]);
      mounted.push(folder);
    }
  } catch (error) {
    await unmountAll().catch(() => undefined);
    throw error;
  }
  return unmountAll;
}
