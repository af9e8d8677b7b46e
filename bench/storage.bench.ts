/**
 * Storage pipeline throughput on a 1 GB snapshot-like file (about 2:1 under zstd):
 * our zstd+age pipeline into the folder backend, against a plain `cp` and against the
 * `zstd -1 | age -r` command-line tools piped together; each writer's output is fsynced,
 * as the folder backend does. Wall time swings with the machine's load, so CPU time (user
 * plus system, all threads and processes) is printed beside it. Also the zstd levels Node
 * offers, to justify the default, and the pipeline's peak memory (a child process, alone).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { constants, createZstdCompress } from "node:zlib";
import { X25519Identity } from "../src/core/crypto/age.ts";
import { ZSTD_LEVEL } from "../src/core/storage/compression.ts";
import { measurePeakMemory } from "../test/support/memory.ts";
import { generatedStream } from "../test/storage/support/data.ts";
import type { benchPipelineOnFile, PhaseCost } from "../test/storage/support/large-roundtrip.ts";

const SIZE = 1_000_000_000;
const MB = 1_000_000;

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

async function zstdLevelRate(level: number): Promise<{ rate: number; ratio: number }> {
  const bytes = 256 * 1024 * 1024;
  let compressed = 0;
  const start = performance.now();
  await pipeline(
    generatedStream(bytes).stream,
    createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: level } }),
    new Writable({
      write(data: Buffer, _encoding, done) {
        compressed += data.length;
        done();
      },
    }),
  );
  return { rate: bytes / MB / ((performance.now() - start) / 1000), ratio: bytes / compressed };
}

const line = (label: string, cost: PhaseCost) =>
  `  ${label.padEnd(32)} ${cost.seconds.toFixed(2).padStart(6)} s  ${(SIZE / MB / cost.seconds).toFixed(0).padStart(5)} MB/s   CPU ${cost.cpuSeconds.toFixed(2).padStart(6)} s`;
const ratio = (label: string, theirs: PhaseCost, ours: PhaseCost) =>
  `  ${label.padEnd(40)} ${(theirs.seconds / ours.seconds).toFixed(2)} by wall time, ${(theirs.cpuSeconds / ours.cpuSeconds).toFixed(2)} by CPU time`;

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
  };

  console.log(
    `load average at start: ${loadavg()
      .map((load) => load.toFixed(1))
      .join(" ")} (2 cores; ratios matter, not absolutes)`,
  );
  console.log("zstd levels (Node zlib, one stream, 256 MiB):");
  for (const level of [1, 2, 3]) {
    const { rate, ratio: compression } = await zstdLevelRate(level);
    console.log(
      `  level ${level}${level === ZSTD_LEVEL ? " (default)" : ""}: ${rate.toFixed(0)} MB/s, ratio ${compression.toFixed(2)}`,
    );
  }

  const copy = shell('cp "$INPUT" "$OUT"\nsync "$OUT"\nrm "$OUT"', env);
  const cliWrite = shell('zstd -q -1 -c "$INPUT" | age -r "$RECIPIENT" > "$OUT"\nsync "$OUT"', env);
  // The bench's throwaway key, only in its temporary folder for the age CLI, removed below.
  const cliRead = shell(
    '(umask 077; printf "%s\\n" "$SECRET" > "$KEY")\nage -d -i "$KEY" "$OUT" | zstd -q -d > /dev/null',
    env,
  );
  await rm(env.OUT, { force: true });
  await rm(keyFile, { force: true });

  const { result, peakRssBytes, baselineRssBytes } = await measurePeakMemory<
    Awaited<ReturnType<typeof benchPipelineOnFile>>
  >(new URL("../test/storage/support/large-roundtrip.ts", import.meta.url), "benchPipelineOnFile", [
    { input, folder: join(folder, "store"), recipient: env.RECIPIENT, secret },
  ]);

  console.log(
    `1 GB, snapshot-like data; pipeline = sha256, zstd level ${ZSTD_LEVEL}, age, sha256, file:// (fsync):`,
  );
  console.log(line("cp + fsync", copy));
  console.log(line("zstd -1 | age -r (CLIs) + fsync", cliWrite));
  console.log(line("pipeline backup", result.write));
  console.log(line("age -d | zstd -d (CLIs)", cliRead));
  console.log(line("pipeline restore (both hashes)", result.read));
  console.log(`  stored ${(result.storedBytes / MB).toFixed(0)} MB`);
  console.log("ratios (above 1.00: the pipeline is faster):");
  console.log(ratio("pipeline backup vs cp", copy, result.write));
  console.log(ratio("pipeline backup vs zstd|age CLIs", cliWrite, result.write));
  console.log(ratio("pipeline restore vs age|zstd CLIs", cliRead, result.read));
  console.log(
    `peak RSS of the pipeline process: ${(peakRssBytes / 1048576).toFixed(0)} MiB (Node and code alone ${(baselineRssBytes / 1048576).toFixed(0)} MiB; bound 128 MiB)`,
  );
} finally {
  await rm(folder, { recursive: true, force: true });
}
