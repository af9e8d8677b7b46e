/**
 * The process's memory settings for streaming, made by the front doors (the action entries,
 * the CLI) once at start-up: a V8 flag is a setting of the whole process, so a core module
 * never sets one.
 *
 * - The young generation is capped at 4 MiB. Streams allocate a Buffer for every socket
 *   read, exec frame, batch, zstd and age output, each dying young; their memory lies
 *   outside V8's heap, so it is freed only when a young-generation collection comes, and
 *   with V8's default (grown up to 32 MiB) those came rarely enough for ~60 MiB of dead
 *   buffers to pile up during an exec transfer. Measured on a 232 MB backup from the
 *   sandbox (bench/PROFILE.md): a peak of 143-158 MiB with 4 MiB and the transfer unpaced,
 *   against 182-183 MiB before, and less CPU; 1 MiB kept more (192-199 MiB: buffers still
 *   in flight get promoted and then wait for a full collection), 8 and 16 MiB too.
 *   Set at run time, this flag was measured to take effect (`--max-semi-space-size`,
 *   which would do the same, is fixed at start-up).
 * - V8's collector is made callable (what `node --expose-gc` does), for the memory pacer
 *   of src/core/storage/memory-pacer.ts. Without it the pacer lets the stream through
 *   unpaced: still correct, only less frugal with memory.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Collector = (options?: { type: "minor" | "major" }) => void;

/** The young generation's cap, in MiB (see above). */
export const YOUNG_GENERATION_MIB = 4;

export function exposeGarbageCollector(): void {
  capYoungGeneration();
  const global = globalThis as { gc?: Collector };
  if (global.gc) return;
  try {
    setFlagsFromString("--expose-gc");
    // The flag applies to contexts made after it: a new one carries `gc`.
    global.gc = runInNewContext("gc") as Collector;
  } catch {
    // Refused (a hardened runtime): the pipeline stays correct without pacing.
  }
}

function capYoungGeneration(): void {
  try {
    setFlagsFromString(`--scavenger-max-new-space-capacity-mb=${YOUNG_GENERATION_MIB}`);
  } catch {
    // Refused: streams stay correct, with V8's default young generation.
  }
}
