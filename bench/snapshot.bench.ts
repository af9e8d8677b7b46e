/**
 * `npm run bench snapshot`: the snapshot reader as users run it (the CLI bundle through
 * bin/etcd-backup-actions.mjs, Node 24 alone) against `etcdctl snapshot status` on the same
 * file, on two shapes of a real etcd's snapshot:
 *   - objects: a real cluster's shape, 150,000 Kubernetes-like objects of 1-20 KB
 *     (SNAPSHOT_BENCH_OBJECTS to change the count), written as the sandbox's
 *     `--etcd-objects` writes them;
 *   - large: ~420 MB of 512 KiB values and 20,000 small keys.
 * For each: CPU seconds and wall time of `status` as ratios to etcdctl (goal: 1.5x or less),
 * and the peak memory (VmHWM) of `status`, `verify` and `ls` (goal for ls: 64 MiB plus 200
 * bytes per live key); then the CLI's time for `status` of a small snapshot (goal 0.15 s)
 * and the top functions of a CPU profile of `status` and `ls`, which is where the time goes.
 *
 * SNAPSHOT_BENCH_SHAPE=objects|large runs one shape; SNAPSHOT_BENCH_FILE measures an
 * existing snapshot instead. Needs the bundle: `npm run build` (or `--cli` for it alone).
 * The machine is shared: CPU seconds are the numbers to compare, wall times are noisy.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { seedRealisticObjects } from "../test/sandbox/cluster/seed.ts";
import { cleanup, Etcd, makeTempDir } from "../test/snapshot/etcd-fixture.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "bin", "etcd-backup-actions.mjs");
const BUNDLE = join(ROOT, "dist", "cli", "index.js");
const TIME = "/usr/bin/time";
const RUNS = 3;
const OBJECTS = Number(process.env.SNAPSHOT_BENCH_OBJECTS ?? 150_000);
const LARGE_TARGET_BYTES = 420 * 1000 * 1000;
const LARGE_VALUE_BYTES = 512 * 1024;
const LARGE_SMALL_KEYS = 20_000;

interface Measurement {
  wallSeconds: number;
  cpuSeconds: number;
  peakMiB: number;
}

type Operation = "status" | "verify" | "ls";

await main();

async function main(): Promise<void> {
  if (!existsSync(BUNDLE)) {
    throw new Error(`the CLI bundle ${BUNDLE} is missing: run \`npm run build\` first.`);
  }
  if (!existsSync(TIME)) throw new Error(`${TIME} is missing: apt-get install time.`);
  console.log(`machine: ${describeLoad()}; every number is the best of ${RUNS} runs`);
  try {
    const shape = process.env.SNAPSHOT_BENCH_SHAPE;
    if (process.env.SNAPSHOT_BENCH_FILE) {
      await measureShape(
        `file ${process.env.SNAPSHOT_BENCH_FILE}`,
        process.env.SNAPSHOT_BENCH_FILE,
      );
    } else {
      if (shape === undefined || shape === "objects") {
        const file = await makeObjectsSnapshot();
        await measureShape(`${OBJECTS} Kubernetes-like objects of 1-20 KB`, file);
        await printProfile(file);
      }
      if (shape === undefined || shape === "large") {
        await measureShape(
          `${LARGE_SMALL_KEYS} small keys + values of 512 KiB`,
          await makeLargeSnapshot(),
        );
      }
    }
    await measureSmallStatus();
  } finally {
    await cleanup();
  }
}

function describeLoad(): string {
  const [one, five] = loadavg();
  return `load average ${one!.toFixed(1)} (1 min), ${five!.toFixed(1)} (5 min) on ${navigator.hardwareConcurrency} cores`;
}

async function measureShape(label: string, file: string): Promise<void> {
  const { totalKey, totalSize } = JSON.parse(
    await output("/usr/bin/etcdctl", ["snapshot", "status", file, "-w", "json"]),
  ) as { totalKey: number; totalSize: number };
  const liveKeys = Number(
    /(\d+) keys at revision/.exec(
      await output(process.execPath, [BIN, "snapshot", "ls", file]),
    )?.[1],
  );
  console.log(
    `\n#### ${label}: ${(totalSize / 1e6).toFixed(0)} MB, ${totalKey} entries, ${liveKeys} live keys`,
  );
  const etcdctl = await best(["/usr/bin/etcdctl", "snapshot", "status", file, "-w", "json"]);
  const bareNode = await best([process.execPath, "-e", "0"]);
  console.log(
    `etcdctl snapshot status: ${etcdctl.cpuSeconds.toFixed(2)} CPU s, ${etcdctl.wallSeconds.toFixed(2)} s wall, ` +
      `peak ${etcdctl.peakMiB.toFixed(0)} MiB; bare Node: peak ${bareNode.peakMiB.toFixed(0)} MiB`,
  );
  console.log("\n| command | CPU s | vs etcdctl | wall s | vs etcdctl | peak MiB | goal MiB |");
  console.log("|---|---|---|---|---|---|---|");
  for (const operation of ["status", "verify", "ls"] as Operation[]) {
    const ours = await best([process.execPath, BIN, "snapshot", operation, file]);
    const goal = operation === "ls" ? (64 + (200 * liveKeys) / 1024 / 1024).toFixed(0) : "";
    console.log(
      `| ${operation} | ${ours.cpuSeconds.toFixed(2)} | ${(ours.cpuSeconds / etcdctl.cpuSeconds).toFixed(2)}x | ` +
        `${ours.wallSeconds.toFixed(2)} | ${(ours.wallSeconds / etcdctl.wallSeconds).toFixed(2)}x | ` +
        `${ours.peakMiB.toFixed(0)} | ${goal} |`,
    );
  }
  console.log(
    "\nvs etcdctl = ours / `etcdctl snapshot status` (whole processes, Node start-up included); " +
      "the goal for status is 1.5x or less. verify also hashes the file (sha256) and ls lists every key: " +
      "etcdctl has no command doing either, so their ratios only give a scale.",
  );
}

/** The CLI on a snapshot of a few KB: start-up is all there is to it. */
async function measureSmallStatus(): Promise<void> {
  const etcd = await Etcd.start();
  let file: string;
  try {
    await etcd.putMany(
      Array.from({ length: 20 }, (_, index) => ({
        key: `/registry/configmaps/default/config-${index}`,
        value: "x".repeat(100),
      })),
    );
    file = await etcd.saveSnapshot(join(makeTempDir("bench-small"), "small.db"));
  } finally {
    await etcd.stop();
  }
  // The first run fills Node's compile cache, as a user's first command does.
  await measure([process.execPath, BIN, "snapshot", "status", file]);
  const ours = await best([process.execPath, BIN, "snapshot", "status", file]);
  const etcdctl = await best(["/usr/bin/etcdctl", "snapshot", "status", file]);
  console.log(
    `\nCLI snapshot status of a ${(readFileSync(file).length / 1024).toFixed(0)} KB snapshot: ` +
      `${ours.wallSeconds.toFixed(3)} s wall (goal 0.15 s), ${ours.cpuSeconds.toFixed(2)} CPU s, ` +
      `peak ${ours.peakMiB.toFixed(0)} MiB; etcdctl ${etcdctl.wallSeconds.toFixed(3)} s`,
  );
}

/** The functions `status` and `ls` spend their CPU in (self time), from V8's profiler. */
async function printProfile(file: string): Promise<void> {
  for (const operation of ["status", "ls"] as Operation[]) {
    const dir = makeTempDir(`bench-profile-${operation}`);
    await output(process.execPath, [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      BIN,
      "snapshot",
      operation,
      file,
    ]);
    const [profile] = readdirSync(dir).filter((name) => name.endsWith(".cpuprofile"));
    console.log(`\nCPU profile of \`snapshot ${operation}\`, top functions by self time:`);
    for (const line of topFunctions(join(dir, profile!), 8)) console.log(`  ${line}`);
  }
}

interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

function topFunctions(profileFile: string, count: number): string[] {
  const profile = JSON.parse(readFileSync(profileFile, "utf8")) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, index) => {
    const frame = nodes.get(id)!.callFrame;
    const name =
      `${frame.functionName || "(anonymous)"} ${frame.url.split("/").pop() ?? ""}`.trim();
    const micros = profile.timeDeltas[index] ?? 0;
    selfMicros.set(name, (selfMicros.get(name) ?? 0) + micros);
    total += micros;
  });
  return [...selfMicros]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(
      ([name, micros]) =>
        `${((100 * micros) / total).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(5)} ms  ${name}`,
    );
}

async function makeObjectsSnapshot(): Promise<string> {
  const etcd = await Etcd.start({ quotaBackendBytes: 8 * 1024 ** 3 });
  try {
    const started = performance.now();
    const written = await seedRealisticObjects(
      { url: etcd.clientUrl, servername: "localhost" },
      OBJECTS,
      "bench",
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `seeded ${written.keys} objects (${(written.bytes / 1e6).toFixed(0)} MB of values) in ${seconds.toFixed(1)} s`,
    );
    return await etcd.saveSnapshot(join(makeTempDir("bench-objects"), "objects.db"));
  } finally {
    await etcd.stop();
  }
}

/** A snapshot of LARGE_TARGET_BYTES or more: big values to get there fast, small keys to list. */
async function makeLargeSnapshot(): Promise<string> {
  const etcd = await Etcd.start({ quotaBackendBytes: 8 * 1024 ** 3 });
  try {
    await etcd.putMany(
      Array.from({ length: LARGE_SMALL_KEYS }, (_, index) => ({
        key: `/registry/configmaps/ns-${index % 100}/config-${index}`,
        value: `{"kind":"ConfigMap","data":"${"x".repeat(200)}"}`,
      })),
    );
    const largeValues = Math.ceil(LARGE_TARGET_BYTES / LARGE_VALUE_BYTES);
    const value = randomBytes(LARGE_VALUE_BYTES);
    let next = 0;
    const writer = async () => {
      while (next < largeValues) {
        const index = next++;
        value.writeUInt32LE(index, 0);
        await etcd.put(`/registry/secrets/bulk/blob-${index}`, value);
      }
    };
    await Promise.all(Array.from({ length: 4 }, writer));
    return await etcd.saveSnapshot(join(makeTempDir("bench-large"), "large.db"));
  } finally {
    await etcd.stop();
  }
}

async function best(command: string[]): Promise<Measurement> {
  const results: Measurement[] = [];
  for (let run = 0; run < RUNS; run++) results.push(await measure(command));
  return {
    wallSeconds: Math.min(...results.map((result) => result.wallSeconds)),
    cpuSeconds: Math.min(...results.map((result) => result.cpuSeconds)),
    peakMiB: Math.max(...results.map((result) => result.peakMiB)),
  };
}

/** One run under GNU time: wall, user + system CPU, and the peak RSS the kernel recorded. */
async function measure(command: string[]): Promise<Measurement> {
  const report = join(makeTempDir("bench-time"), "time.txt");
  await output(TIME, ["-o", report, "-f", "%e %U %S %M", ...command], { discard: true });
  const [wall, user, system, peakKiB] = readFileSync(report, "utf8")
    .trim()
    .split(/\s+/)
    .map(Number);
  return { wallSeconds: wall!, cpuSeconds: user! + system!, peakMiB: peakKiB! / 1024 };
}

/** Runs a command to its end; its stdout, or nothing when discarded (a listing is big). */
function output(
  command: string,
  args: string[],
  options: { discard?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.ETCD_BACKUP_ACTIONS_FROM_SOURCES; // the bundle, as users run it
    const child = spawn(command, args, {
      env,
      stdio: ["ignore", options.discard ? "ignore" : "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`${command} ${args.join(" ")} exited with ${code}: ${stderr.trim()}`));
        return;
      }
      resolve(Buffer.concat(chunks).toString());
    });
  });
}
