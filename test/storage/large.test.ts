/**
 * 1 GB backups and restores through the folder backend, generated on the fly, each in its
 * own child process so that its peak memory is measured alone.
 */
import { describe, expect, it } from "vitest";
import { measurePeakMemory } from "../support/memory.ts";
import type { RoundTripReport } from "./support/large-roundtrip.ts";
import { temporaryFolders } from "./support/folders.ts";

const GB = 1_000_000_000;
const MEMORY_BOUND_BYTES = 128 * 1024 * 1024;
const newFolder = temporaryFolders("large-test");

describe("1 GB round trips in constant memory", () => {
  it.each([
    ["zstd", true],
    ["none", false],
  ] as const)(
    "stores and restores 1 GB byte-identical (compression %s, encrypted %s) under 128 MiB peak",
    async (compression, encrypted) => {
      const folder = await newFolder();
      const { result, peakRssBytes, baselineRssBytes } = await measurePeakMemory<RoundTripReport>(
        new URL("./support/large-roundtrip.ts", import.meta.url),
        "roundTripThroughFolder",
        [{ folder: `${folder}/store`, bytes: GB, compression, encrypted }],
      );
      console.info(
        `1 GB ${compression}/${encrypted ? "age" : "clear"}: peak RSS ${(peakRssBytes / 1048576).toFixed(0)} MiB ` +
          `(Node and code alone ${(baselineRssBytes / 1048576).toFixed(0)} MiB); stored ${result.stored.bytes} bytes; ` +
          `write ${result.writeSeconds.toFixed(1)} s, read ${result.readSeconds.toFixed(1)} s`,
      );
      expect(result.source.bytes).toBe(GB);
      expect(result.restored).toEqual(result.source);
      expect(result.manifestPlaintext).toEqual(result.source);
      if (compression === "none" && !encrypted) expect(result.stored).toEqual(result.source);
      else expect(result.stored.bytes).toBeLessThan(0.6 * GB);
      expect(peakRssBytes).toBeLessThan(MEMORY_BOUND_BYTES);
    },
    300_000,
  );
});
