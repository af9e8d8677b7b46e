/**
 * Reads the V8 CPU profiles a benchmark's child wrote (`node --cpu-prof`) and sums them up:
 * the functions where the main thread spent its own time (self time), so the next person
 * tuning the pipeline sees where the CPU goes without opening a profiler. zstd runs in
 * libuv's thread pool and does not appear here; the process's CPU seconds (all threads)
 * are printed beside it by the benchmarks.
 */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  /** `name (file:line)`, or V8's own label such as `(garbage collector)`. */
  where: string;
  selfMs: number;
  share: number;
}

/** The `top` functions by self time over every profile in `folder`. */
export async function summarizeProfiles(folder: string, top = 15): Promise<ProfileEntry[]> {
  const files = (await readdir(folder)).filter((file) => file.endsWith(".cpuprofile"));
  const selfMs = new Map<string, number>();
  let totalMs = 0;
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(folder, file), "utf8")) as CpuProfile;
    const labels = new Map(profile.nodes.map((node) => [node.id, label(node)]));
    profile.samples.forEach((nodeId, index) => {
      const ms = (profile.timeDeltas[index] ?? 0) / 1000;
      const where = labels.get(nodeId) ?? "(unknown)";
      selfMs.set(where, (selfMs.get(where) ?? 0) + ms);
      // Shares are of the time the main thread was busy, not of the waiting.
      if (where !== "(idle)") totalMs += ms;
    });
  }
  return [...selfMs.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([where, ms]) => ({ where, selfMs: ms, share: totalMs > 0 ? ms / totalMs : 0 }));
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  if (!url) return functionName || "(anonymous)";
  const file = url.replace(/^file:\/\//, "").replace(/^.*\/(node_modules\/)/, "$1");
  const short = file.startsWith("node:") ? file : file.split("/").slice(-2).join("/");
  return `${functionName || "(anonymous)"} (${short}:${lineNumber + 1})`;
}

/** The summary as printed lines, idle time left out (a pipeline waiting on its slowest stage). */
export function formatProfile(entries: ProfileEntry[]): string[] {
  return entries
    .filter((entry) => entry.where !== "(idle)")
    .map(
      (entry) =>
        `  ${(entry.share * 100).toFixed(1).padStart(5)}%  ${entry.selfMs.toFixed(0).padStart(6)} ms  ${entry.where}`,
    );
}
