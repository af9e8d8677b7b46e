/**
 * This process's peak resident memory: VmHWM, the high-water mark of its own memory map,
 * from /proc/<pid>/status. Not getrusage's maxRSS: on Linux a forked child's maxRSS starts
 * at its parent's RSS at fork time, so a big parent would be counted as the child's.
 */
import { readFileSync } from "node:fs";

export function peakRssBytes(): number {
  const status = readFileSync(`/proc/${process.pid}/status`, "utf8");
  const kib = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  if (kib === undefined) throw new Error(`/proc/${process.pid}/status has no VmHWM line`);
  return Number(kib) * 1024;
}
