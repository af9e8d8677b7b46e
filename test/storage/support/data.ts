/**
 * Test data generated on the fly, never stored: a deterministic stream of any size that
 * looks like an etcd snapshot to a compressor (half random values, half repeated key
 * paths, about 2:1 under zstd), and its sha256 computed independently as it is produced.
 */
import { createCipheriv, createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";
import type { Digest } from "../../../src/core/crypto/hash.ts";

const BLOCK = 64 * 1024;
const ZEROS = Buffer.alloc(BLOCK);

export function generatedStream(
  totalBytes: number,
  options: { seed?: string; compressible?: boolean } = {},
): { stream: Readable; digest: () => Digest } {
  const key = createHash("sha256")
    .update(options.seed ?? "etcd-backup-actions test data")
    .digest();
  const keystream = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  const hash = createHash("sha256");
  let produced = 0;
  let result: Digest | undefined;
  let blockNumber = 0;
  const stream = new Readable({
    read() {
      if (produced >= totalBytes) {
        result = { bytes: produced, sha256: hash.digest("hex") };
        this.push(null);
        return;
      }
      const size = Math.min(BLOCK, totalBytes - produced);
      const block = keystream.update(ZEROS.subarray(0, size));
      if (options.compressible !== false && size > 64) {
        const text = `/registry/secrets/namespace-${blockNumber % 97}/secret-${blockNumber}\n`;
        block.write(
          text.repeat(Math.ceil(size / 2 / text.length)),
          size >> 1,
          size - (size >> 1),
          "latin1",
        );
      }
      blockNumber++;
      produced += size;
      hash.update(block);
      this.push(block);
    },
  });
  return {
    stream,
    digest: () => {
      if (!result) throw new Error("the generated stream was not read to its end");
      return result;
    },
  };
}

/** A sink that keeps only the size and sha256 of what it is given. */
export function hashingSink(): { sink: Writable; digest: () => Digest } {
  const hash = createHash("sha256");
  let bytes = 0;
  let result: Digest | undefined;
  const sink = new Writable({
    write(data: Buffer, _encoding, done) {
      hash.update(data);
      bytes += data.length;
      done();
    },
    final(done) {
      result = { bytes, sha256: hash.digest("hex") };
      done();
    },
  });
  return {
    sink,
    digest: () => {
      if (!result) throw new Error("the sink was not ended");
      return result;
    },
  };
}
