/**
 * Finding and ending host processes precisely: by process group (each container and each
 * exec is started as its own group) or by the network namespace they live in (stale
 * sandboxes), never by name, since other people run the same programs on this machine.
 */
import { readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";

/** The fields of /proc/<pid>/stat we need: the process group and the start time. */
export function processStat(pid: number): { pgrp: number; startTicks: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { pgrp: Number(fields[2]), startTicks: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number, startTicks?: string): boolean {
  const stat = processStat(pid);
  if (!stat) return false;
  return startTicks === undefined || stat.startTicks === startTicks;
}

function allPids(): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

export function pidsInGroup(pgid: number): number[] {
  return allPids().filter((pid) => processStat(pid)?.pgrp === pgid);
}

/** Every process whose network namespace is the one bound at netnsPath (/run/netns/X). */
export function pidsInNetns(netnsPath: string): number[] {
  let inode: number;
  try {
    inode = statSync(netnsPath).ino;
  } catch {
    return [];
  }
  return allPids().filter((pid) => {
    try {
      return readlinkSync(`/proc/${pid}/ns/net`) === `net:[${inode}]`;
    } catch {
      return false;
    }
  });
}

export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone: nothing to end.
  }
}

/**
 * Asks a container's processes to stop: SIGTERM to every member of its process group except
 * the group leader. The leader is bwrap's monitor; it goes when the container's main process
 * has exited, and if it died first `--die-with-parent` would SIGKILL the container before it
 * could shut down cleanly.
 */
export function terminateGroupMembers(pgid: number): void {
  for (const pid of pidsInGroup(pgid)) if (pid !== pgid) signal(pid, "SIGTERM");
}

export function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // The group is empty already.
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .split(" ")
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/**
 * The container's main process as the host sees it: bwrap's monitor (pid) starts the pid-1
 * reaper of the new pid namespace, which starts the command once the view is set up. Waits
 * a moment for it, since a container counts as running from the moment bwrap is spawned.
 */
export async function containerMainProcess(
  bwrapPid: number,
  waitMs = 2_000,
): Promise<number | undefined> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const reaper = childPids(bwrapPid)[0];
    const main = reaper === undefined ? undefined : childPids(reaper)[0];
    if (main !== undefined) return main;
    if (Date.now() > deadline || !isAlive(bwrapPid)) return undefined;
    await sleep(20);
  }
}

/**
 * Runs a watch callback or timer tick so that its failure is logged, never thrown: a store
 * watch runs inside whoever changed the store (an API request, a controller), and a timer
 * that throws would end the whole process.
 */
export function guarded(
  what: string,
  logger: { error(message: string): void },
  step: () => void,
): void {
  try {
    step();
  } catch (error) {
    logger.error(
      `${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
}
