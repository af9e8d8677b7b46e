/**
 * Streams for the remote backend tests: payloads of any size generated on the fly (never
 * held in memory), their sha256 known as they are produced, and a reader that hashes what
 * comes back.
 */
import { createHash } from "node:crypto";
import { Readable, Writable } from "node:stream";

const CHUNK_BYTES = 1024 * 1024;

/**
 * `totalBytes` of pseudo-random data in 1 MiB chunks, each chunk stamped with its index so
 * that parts swapped or repeated by a backend change the hash. `sha256()` is the digest of
 * everything produced, valid once the stream has ended.
 */
export function generatedPayload(totalBytes: number): Readable & { sha256(): string } {
  const block = Buffer.alloc(CHUNK_BYTES);
  for (let offset = 0; offset < CHUNK_BYTES; offset += 4) {
    block.writeUInt32LE((offset * 2654435761) >>> 0, offset);
  }
  const hash = createHash("sha256");
  let produced = 0;
  let chunkIndex = 0;
  const stream = new Readable({
    highWaterMark: CHUNK_BYTES,
    read() {
      if (produced >= totalBytes) {
        this.push(null);
        return;
      }
      const length = Math.min(CHUNK_BYTES, totalBytes - produced);
      const chunk = Buffer.from(block.subarray(0, length));
      if (length >= 8) chunk.writeBigUInt64LE(BigInt(chunkIndex), 0);
      chunkIndex++;
      produced += length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  let digest: string | undefined;
  return Object.assign(stream, {
    sha256: () => {
      if (produced < totalBytes) throw new Error("generatedPayload: the stream has not ended");
      digest ??= hash.digest("hex");
      return digest;
    },
  });
}

/** A stream that yields `bytesBeforeFailure` bytes, then fails as a broken source would. */
export function payloadFailingAfter(bytesBeforeFailure: number): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= bytesBeforeFailure) {
        this.destroy(new Error("source broke off mid-stream"));
        return;
      }
      const length = Math.min(CHUNK_BYTES, bytesBeforeFailure - produced);
      produced += length;
      this.push(Buffer.alloc(length, 0x5a));
    },
  });
}

export async function sha256AndSizeOf(
  stream: Readable,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest("hex"), bytes };
}

/** A destination that keeps nothing but the size and sha256 of what it was given. */
export function hashingDestination(): {
  destination: Writable;
  received(): { sha256: string; bytes: number };
} {
  const hash = createHash("sha256");
  let bytes = 0;
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done();
    },
  });
  let digest: string | undefined;
  return {
    destination,
    received: () => ({ sha256: (digest ??= hash.digest("hex")), bytes }),
  };
}

export function sha256Of(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
