/**
 * Storage pipeline cost on a snapshot-like file (1 GB by default, about 2:1 under zstd;
 * STORAGE_BENCH_MB sets another size): our sha256 + zstd + age + sha256 pipeline into the
 * folder backend and back, against the C tools doing the same work on the same file in the
 * same run (`openssl dgst -sha256` and coreutils `sha256sum`, `zstd` at the same level,
 * `age`, the file written and fsynced). Wall time swings with the machine's load (other
 * work shares its 2 cores), so the CPU seconds (user plus system, all threads and
 * processes) are what to compare. Also the zstd levels Node offers, to justify the
 * default, the pipeline's peak memory (a child process, alone), and where its main thread
 * spends its CPU (a `--cpu-prof` profile of the store and one of the restore, each in a
 * child of its own, summed up by function).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createZstdCompress } from "node:zlib";
import { X25519Identity } from "../src/core/crypto/age.ts";
import { ZSTD_LEVEL } from "../src/core/storage/compression.ts";
import { measurePeakMemory } from "../test/support/memory.ts";
import { generatedStream } from "../test/storage/support/data.ts";
import { formatProfile, summarizeProfiles } from "./support/cpu-profile.ts";
import type { benchPipelineOnFile, PhaseCost } from "../test/storage/support/large-roundtrip.ts";
import type { restoreOnly, storeOnly } from "./support/storage-work.ts";

const SIZE = Number(process.env.STORAGE_BENCH_MB ?? 1000) * 1_000_000;
const MB = 1_000_000;
const GB = 1_000_000_000;
const STORAGE_WORK = new URL("./support/storage-work.ts", import.meta.url);

/** Runs a shell script and reports wall time and the CPU time of everything it ran (bash `times`). */
function shell(script: string, env: Record<string, string>): PhaseCost {
  const start = performance.now();
  const result = spawnSync("bash", ["-ec", `${script}\ntimes`], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const seconds = (performance.now() - start) / 1000;
  if (result.status !== 0) throw new Error(`bench step failed: ${script}`);
  const children = result.stdout.trim().split("\n").at(-1) ?? "";
  const cpuSeconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
    (total, match) => total + Number(match[1]) * 60 + Number(match[2]),
    0,
  );
  return { seconds, cpuSeconds };
}

/** zstd level `level` in Node on `file`: ratio, and CPU seconds per GB (all threads). */
async function zstdLevelCost(
  file: string,
  level: number,
): Promise<{ cpuPerGb: number; ratio: number }> {
  let compressed = 0;
  let plain = 0;
  const before = process.cpuUsage();
  await pipeline(
    createReadStream(file, { highWaterMark: 1024 * 1024 }),
    new Transform({
      transform(data: Buffer, _encoding, done) {
        plain += data.length;
        done(null, data);
      },
    }),
    createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: level } }),
    new Writable({
      write(data: Buffer, _encoding, done) {
        compressed += data.length;
        done();
      },
    }),
  );
  const cpu = process.cpuUsage(before);
  return { cpuPerGb: (cpu.user + cpu.system) / 1e6 / (plain / GB), ratio: plain / compressed };
}

const perGb = (cost: PhaseCost) => cost.cpuSeconds / (SIZE / GB);
const line = (label: string, cost: PhaseCost) =>
  `  ${label.padEnd(44)} ${cost.seconds.toFixed(2).padStart(6)} s wall  CPU ${cost.cpuSeconds.toFixed(2).padStart(6)} s = ${perGb(cost).toFixed(2).padStart(5)} CPU s/GB`;
const ratio = (label: string, ours: PhaseCost, theirs: PhaseCost) =>
  `  ${label.padEnd(52)} ${(ours.cpuSeconds / theirs.cpuSeconds).toFixed(2)}x the CPU (goal 1.5x or less), ${(ours.seconds / theirs.seconds).toFixed(2)}x the wall time`;

const folder = await mkdtemp(join(tmpdir(), "storage-bench-"));
try {
  const input = join(folder, "snapshot.db");
  await pipeline(generatedStream(SIZE).stream, createWriteStream(input));
  execFileSync("sync", [input]);
  const { identity, secret } = X25519Identity.generate();
  const keyFile = join(folder, "key.txt");
  const env = {
    INPUT: input,
    OUT: join(folder, "out"),
    RECIPIENT: identity.recipient.toString(),
    SECRET: secret,
    KEY: keyFile,
    LEVEL: String(ZSTD_LEVEL),
  };

  console.log(
    `load average at start: ${loadavg()
      .map((load) => load.toFixed(1))
      .join(" ")} (2 cores; CPU seconds are the figures to trust, wall time is noisy)`,
  );
  console.log(`zstd levels (Node zlib, ${(SIZE / MB).toFixed(0)} MB snapshot-like data):`);
  for (const level of [1, 2, 3]) {
    const { cpuPerGb, ratio: compression } = await zstdLevelCost(input, level);
    console.log(
      `  level ${level}${level === ZSTD_LEVEL ? " (default)" : ""}: ${cpuPerGb.toFixed(2)} CPU s/GB, ratio ${compression.toFixed(2)}`,
    );
  }

  const copy = shell('cp "$INPUT" "$OUT"\nsync "$OUT"\nrm "$OUT"', env);
  // The same work as the pipeline: hash the plaintext, compress, encrypt, write the file
  // (fsynced), hash the stored bytes; with OpenSSL's sha256 (as Node's) and with coreutils'.
  const cTools = (hash: string) =>
    shell(
      `${hash} < "$INPUT" > /dev/null\nzstd -q -"$LEVEL" -c "$INPUT" | age -r "$RECIPIENT" | tee "$OUT" | ${hash} > /dev/null\nsync "$OUT"`,
      env,
    );
  const cliWrite = cTools("openssl dgst -sha256");
  const cliWriteSha256sum = cTools("sha256sum");
  // The bench's throwaway key, only in its temporary folder for the age CLI, removed below.
  const cliRead = shell(
    '(umask 077; printf "%s\\n" "$SECRET" > "$KEY")\nopenssl dgst -sha256 < "$OUT" > /dev/null\nage -d -i "$KEY" "$OUT" | zstd -q -d | openssl dgst -sha256 > /dev/null',
    env,
  );
  await rm(env.OUT, { force: true });
  await rm(keyFile, { force: true });

  const runPipeline = () =>
    measurePeakMemory<Awaited<ReturnType<typeof benchPipelineOnFile>>>(
      new URL("../test/storage/support/large-roundtrip.ts", import.meta.url),
      "benchPipelineOnFile",
      [{ input, folder: join(folder, "store"), recipient: env.RECIPIENT, secret }],
    );
  // The figures from a run without the profiler (it costs CPU); then each direction alone,
  // profiled, in a child of its own, so that each profile and peak is that direction's.
  const { result, peakRssBytes, baselineRssBytes } = await runPipeline();
  const directions = await profileEachDirection(
    input,
    join(folder, "profiled"),
    env.RECIPIENT,
    secret,
  );

  console.log(
    `${(SIZE / MB).toFixed(0)} MB, snapshot-like data; pipeline = sha256, zstd level ${ZSTD_LEVEL}, age, sha256, file:// (fsync):`,
  );
  console.log(line("cp + fsync", copy));
  console.log(line("C tools: openssl sha256, zstd | age, sha256", cliWrite));
  console.log(line("C tools: sha256sum, zstd | age, sha256sum", cliWriteSha256sum));
  console.log(line("pipeline store (this process)", result.write));
  console.log(line("C tools: openssl sha256, age -d | zstd -d | sha", cliRead));
  console.log(line("pipeline restore (both hashes)", result.read));
  console.log(`  stored ${(result.storedBytes / MB).toFixed(0)} MB`);
  console.log("ratios, pipeline / C tools (below 1.00: the pipeline is cheaper):");
  console.log(ratio("store vs C tools with openssl sha256", result.write, cliWrite));
  console.log(ratio("store vs C tools with sha256sum", result.write, cliWriteSha256sum));
  console.log(ratio("restore vs C tools with openssl sha256", result.read, cliRead));
  console.log(
    `peak RSS of the pipeline process: ${(peakRssBytes / 1048576).toFixed(0)} MiB (Node and code alone ${(baselineRssBytes / 1048576).toFixed(0)} MiB; bound 128 MiB)`,
  );
  for (const direction of directions) {
    console.log(
      `${direction.name}, alone and profiled: ${direction.cpuSeconds.toFixed(2)} CPU s (with the profiler's cost), peak RSS ${direction.peakMiB.toFixed(0)} MiB; where its main thread spent its CPU (self time; zstd's threads not shown):`,
    );
    for (const entry of formatProfile(await summarizeProfiles(direction.profiles))) {
      console.log(entry);
    }
  }
} finally {
  await rm(folder, { recursive: true, force: true });
}

interface ProfiledDirection {
  name: string;
  profiles: string;
  cpuSeconds: number;
  peakMiB: number;
}

/** The store, then the restore of what it stored, each in its own profiled child. */
async function profileEachDirection(
  input: string,
  work: string,
  recipient: string,
  secret: string,
): Promise<ProfiledDirection[]> {
  const profiled = (name: string) => ["--cpu-prof", `--cpu-prof-dir=${join(work, name)}`];
  const store = await measurePeakMemory<Awaited<ReturnType<typeof storeOnly>>>(
    STORAGE_WORK,
    "storeOnly",
    [{ input, folder: join(work, "store"), recipient }],
    { execArgv: profiled("store") },
  );
  const restore = await measurePeakMemory<Awaited<ReturnType<typeof restoreOnly>>>(
    STORAGE_WORK,
    "restoreOnly",
    [{ folder: join(work, "store"), backup: store.result.backup, secret }],
    { execArgv: profiled("restore") },
  );
  return [
    {
      name: "store (sha256, zstd, age, sha256, file)",
      profiles: join(work, "store"),
      cpuSeconds: store.result.cost.cpuSeconds,
      peakMiB: store.peakRssBytes / 1048576,
    },
    {
      name: "restore read path (file, sha256, age, zstd, sha256)",
      profiles: join(work, "restore"),
      cpuSeconds: restore.result.cpuSeconds,
      peakMiB: restore.peakRssBytes / 1048576,
    },
  ];
}
