/**
 * Compression of the payload before encryption (ciphertext does not compress). zstd is the
 * default: at a low level Node's zlib zstd runs at several hundred MB/s in the thread pool,
 * faster than etcd can send a snapshot (~150 MB/s), so it never slows a backup down; gzip
 * (~20 MB/s at level 1) is there only for stores that need it.
 */
import { ConfigurationError } from "../errors.ts";
import { quoteValue } from "../redact.ts";
import {
  constants,
  createGunzip,
  createGzip,
  createZstdCompress,
  createZstdDecompress,
} from "node:zlib";
import { PassThrough, type Transform } from "node:stream";

export const COMPRESSIONS = ["zstd", "gzip", "none"] as const;
export type Compression = (typeof COMPRESSIONS)[number];

/**
 * Level 3 (zstd's own default): on a 530 MB snapshot of the sandbox's etcd, level 1 gave
 * 1.335:1 in 0.97-1.19 CPU s and level 3 1.487:1 in 1.05-1.20 CPU s, so level 3 stores 10%
 * fewer bytes for no measurable CPU (README); `npm run bench storage` prints the figures.
 */
export const ZSTD_LEVEL = 3;
const GZIP_LEVEL = 1;
/**
 * Output in 128 KiB pieces, the pipeline's batch size (batching.ts): fewer thread-pool
 * round trips and stream hops than 64 KiB; 1 MiB kept more dead buffers alive for no
 * measurable saving.
 */
const CHUNK_SIZE = 128 * 1024;

export function parseCompression(text: string): Compression {
  const value = text.trim().toLowerCase();
  if ((COMPRESSIONS as readonly string[]).includes(value)) return value as Compression;
  throw new ConfigurationError(
    "compression",
    `the compression ${quoteValue(text)} is not supported; expected one of ${COMPRESSIONS.join(", ")}.`,
  );
}

/** The file name suffix of a compressed payload, e.g. ".zst". */
export function compressionSuffix(compression: Compression): string {
  return { zstd: ".zst", gzip: ".gz", none: "" }[compression];
}

export function createCompressStream(compression: Compression): Transform {
  switch (compression) {
    case "zstd":
      return createZstdCompress({
        chunkSize: CHUNK_SIZE,
        params: {
          [constants.ZSTD_c_compressionLevel]: ZSTD_LEVEL,
          // zstd's own frame checksum, so `zstd -t` can check a downloaded payload by itself.
          [constants.ZSTD_c_checksumFlag]: 1,
        },
      });
    case "gzip":
      return createGzip({ level: GZIP_LEVEL, chunkSize: CHUNK_SIZE });
    case "none":
      return new PassThrough();
  }
}

export function createDecompressStream(compression: Compression): Transform {
  switch (compression) {
    case "zstd":
      return createZstdDecompress({ chunkSize: CHUNK_SIZE });
    case "gzip":
      return createGunzip({ chunkSize: CHUNK_SIZE });
    case "none":
      return new PassThrough();
  }
}
