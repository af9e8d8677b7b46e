/**
 * Keeps a long stream's memory flat. The pipeline moves batches (batching.ts) and allocates
 * few JavaScript objects, so V8's young-generation collections, which are what free dead
 * buffers, come rarely: without one, spent batches, zstd and age outputs and socket reads
 * pile up until V8's external-memory limit starts a full collection. Asking for a
 * young-generation collection (a scavenge) after every MiB that flows frees them while they
 * are young; test/storage/large.test.ts bounds the peak of a 1 GB backup and restore (every
 * 8 MiB kept 124 MiB where every MiB kept 82-87 MiB on a 300 MB store and restore).
 *
 * A snapshot streamed out of a pod through exec is paced every 8 MiB instead: there every
 * scavenge also copies the exec's many live objects (WebSocket frames, socket reads), and
 * measured on a 530 MB backup from the sandbox, the earlier pacing (a scavenge every MiB
 * and a full collection every 16 MiB) kept ~30 MiB less at the peak but cost about half
 * of the runner's CPU (bench/PROFILE.md).
 *
 * The collector is callable only when the front door exposed it (src/expose-gc.ts): a V8
 * flag is the whole process's setting, not a library's. Without it the pacer passes data
 * through unpaced.
 */
import { Transform, type TransformCallback } from "node:stream";

/** The default: every MiB. */
export const PACING_BYTES = 1024 * 1024;
/** For a source whose own objects make each scavenge dear (an exec stream). */
export const SPARSE_PACING_BYTES = 8 * 1024 * 1024;

type Collector = (options: { type: "minor" | "major" }) => void;

/** V8's collector, when the front door exposed it. */
function v8Collector(): Collector | null {
  return (globalThis as { gc?: Collector }).gc ?? null;
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
