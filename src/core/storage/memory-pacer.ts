/**
 * Keeps a long stream's memory flat. The pipeline moves batches (batching.ts) and allocates
 * few JavaScript objects, so V8's young-generation collections, which are what free dead
 * buffers, come rarely: without one, spent batches, zstd and age outputs and socket reads
 * pile up until V8's external-memory limit starts a full collection. Asking for a
 * young-generation collection (a scavenge) after every MiB that flows frees them while they
 * are young; test/storage/large.test.ts bounds the peak of a 1 GB backup and restore (every
 * 8 MiB kept 124 MiB where every MiB kept 82-87 MiB on a 300 MB store and restore).
 *
 * A snapshot streamed out of a pod through exec is not paced (NO_PACING): there every
 * scavenge also copies the exec's many live objects (WebSocket frames, socket reads), and
 * with the young generation capped (src/expose-gc.ts) V8's own scavenges come often enough.
 * Measured on a 232 MB backup from the sandbox with the cap: a peak of 143-158 MiB and
 * 1.96-2.05 CPU s unpaced, 159-160 MiB and 2.04-2.18 CPU s with a scavenge every 8 MiB
 * (bench/PROFILE.md). On the storage paths (a file, S3, artifacts) pacing still keeps the
 * peak lower (82 MiB against 89-90 MiB for a 300 MB store and restore), so it stays there.
 *
 * The collector is callable only when the front door exposed it (src/expose-gc.ts): a V8
 * flag is the whole process's setting, not a library's. Without it the pacer passes data
 * through unpaced.
 */
import { Transform, type TransformCallback } from "node:stream";

/** The default: every MiB. */
export const PACING_BYTES = 1024 * 1024;
/** For a source whose own objects make each scavenge dear (an exec stream): no pacer at all. */
export const NO_PACING = 0;

type Collector = (options: { type: "minor" | "major" }) => void;

/** V8's collector, when the front door exposed it. */
function v8Collector(): Collector | null {
  return (globalThis as { gc?: Collector }).gc ?? null;
}

/** The pacer stage for a pipeline, or none for NO_PACING. */
export function memoryPacerStages(intervalBytes = PACING_BYTES): Transform[] {
  return intervalBytes === NO_PACING ? [] : [createMemoryPacer(intervalBytes)];
}

/** A pass-through that asks for a young-generation collection after every `intervalBytes`. */
export function createMemoryPacer(intervalBytes = PACING_BYTES): Transform {
  const collect = v8Collector();
  let sinceLast = 0;
  return new Transform({
    transform(data: Buffer, _encoding, done: TransformCallback) {
      sinceLast += data.length;
      if (collect && sinceLast >= intervalBytes) {
        sinceLast = 0;
        collect({ type: "minor" });
      }
      done(null, data);
    },
  });
}
