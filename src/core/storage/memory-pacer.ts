/**
 * Keeps a long stream's memory flat. Every stage of the pipeline hands on fresh 64 KiB
 * buffers but allocates almost no JavaScript objects, so V8's young-generation collections,
 * which are what free those buffers, come rarely and dead buffers pile up. Asking for a
 * young-generation collection (a scavenge, well under a millisecond on this small heap)
 * after every MiB that flows keeps the peak flat at no noticeable CPU cost;
 * test/storage/large.test.ts bounds the peak of a 1 GB backup and restore.
 *
 * The collector is callable only when the front door exposed it (src/expose-gc.ts): a V8
 * flag is the whole process's setting, not a library's. Without it the pacer passes data
 * through unpaced.
 */
import { Transform, type TransformCallback } from "node:stream";

const INTERVAL_BYTES = 1024 * 1024;

type Collector = (options: { type: "minor" | "major" }) => void;

/** V8's collector, when the front door exposed it. */
function v8Collector(): Collector | null {
  return (globalThis as { gc?: Collector }).gc ?? null;
}

export interface MemoryPacerOptions {
  /**
   * Also ask for a full collection after this many bytes: for sources whose buffers wait
   * long enough to reach V8's old generation (exec frames held in stream buffers), which
   * only a full collection frees; each takes tens of milliseconds, so rarely.
   */
  fullCollectionEveryBytes?: number;
}

/** A pass-through that asks for a young-generation collection after every MiB. */
export function createMemoryPacer(options: MemoryPacerOptions = {}): Transform {
  const collect = v8Collector();
  const fullEvery = options.fullCollectionEveryBytes;
  let sinceLast = 0;
  let sinceFull = 0;
  return new Transform({
    transform(data: Buffer, _encoding, done: TransformCallback) {
      sinceLast += data.length;
      sinceFull += data.length;
      if (collect && fullEvery !== undefined && sinceFull >= fullEvery) {
        sinceFull = 0;
        sinceLast = 0;
        collect({ type: "major" });
      } else if (collect && sinceLast >= INTERVAL_BYTES) {
        sinceLast = 0;
        collect({ type: "minor" });
      }
      done(null, data);
    },
  });
}
