/** Every compression with and without encryption: the cases each backend round-trips. */
import { COMPRESSIONS, type Compression } from "../../../src/core/storage/compression.ts";

export const COMPRESSION_AND_ENCRYPTION: ReadonlyArray<readonly [Compression, boolean]> =
  COMPRESSIONS.flatMap((compression) => [
    [compression, true] as const,
    [compression, false] as const,
  ]);

/** How a case reads in a test name. */
export function describeCase(compression: Compression, encrypted: boolean): string {
  return `${compression}, ${encrypted ? "age-encrypted" : "unencrypted"}`;
}
