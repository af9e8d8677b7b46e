/**
 * Makes V8's garbage collector callable (what `node --expose-gc` does), for the memory
 * pacer of src/core/storage/memory-pacer.ts. A V8 flag is a setting of the whole process,
 * so the front doors (the action entries, the CLI) set it once at start-up; a core module
 * never does. Without it the pacer lets the stream through unpaced: still correct, only
 * less frugal with memory.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Collector = (options?: { type: "minor" | "major" }) => void;

export function exposeGarbageCollector(): void {
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
