/**
 * Gathers a stream's small pieces (32 KiB exec frames, 64 KiB file reads) into 128 KiB
 * batches before the pipeline's stages. Each piece costs every stage a call and a stream
 * hop whatever its size (hashing, zstd's round trip to the thread pool, age, the write), so
 * on small pieces the per-piece overhead cost more CPU than the work; one copy into a batch
 * is far cheaper (memcpy runs at GB/s). The copy also lets the source's buffers die young:
 * an exec frame is a slice of the socket's read buffer, which stayed alive (and was
 * promoted to V8's old generation, which only a full collection frees) for as long as the
 * frame waited in a stream buffer.
 */
import { Transform, type TransformCallback } from "node:stream";

/**
 * The batch size: large enough to amortise each stage's per-call cost (4x fewer calls than
 * 32 KiB exec frames). Larger batches kept more resident for no measured saving: 1 MiB
 * batches 138-145 MiB at the peak of a 300 MB store and restore, 256 KiB 138 MiB for 1 GB
 * uncompressed (test/storage/large.test.ts), 128 KiB 73-85 MiB.
 */
export const BATCH_BYTES = 128 * 1024;

/** Copies pieces into batches of a fixed size. */
export class BatchBuilder {
  private batch: Buffer | undefined;
  private filled = 0;
  private readonly batchBytes: number;

  constructor(batchBytes = BATCH_BYTES) {
    this.batchBytes = batchBytes;
  }

  /** Copies `data` in and returns the batches it completed, in order (often none). */
  add(data: Buffer): Buffer[] {
    // A piece as large as a batch goes on as it is: copying it would buy nothing.
    if (this.filled === 0 && data.length >= this.batchBytes) return [data];
    const full: Buffer[] = [];
    let offset = 0;
    while (offset < data.length) {
      // Not from Node's shared pool: each batch is its own memory, freed as a whole.
      this.batch ??= Buffer.allocUnsafeSlow(this.batchBytes);
      const copied = data.copy(this.batch, this.filled, offset);
      this.filled += copied;
      offset += copied;
      if (this.filled === this.batchBytes) {
        full.push(this.batch);
        this.batch = undefined;
        this.filled = 0;
      }
    }
    return full;
  }

  /** The partly filled batch (the stream's end), or undefined when there is none. */
  takeRest(): Buffer | undefined {
    const rest = this.batch && this.filled > 0 ? this.batch.subarray(0, this.filled) : undefined;
    this.batch = undefined;
    this.filled = 0;
    return rest;
  }
}

/** A Transform that passes the same bytes on in batches of `batchBytes` (the last may be shorter). */
export function createBatcher(batchBytes = BATCH_BYTES): Transform {
  const builder = new BatchBuilder(batchBytes);
  return new Transform({
    // No batch waits here beyond the one in hand: the fewer batches in flight, the
    // younger they die (memory-pacer.ts).
    readableHighWaterMark: 0,
    writableHighWaterMark: 0,
    transform(data: Buffer, _encoding, done: TransformCallback) {
      for (const batch of builder.add(data)) this.push(batch);
      done();
    },
    flush(done: TransformCallback) {
      const rest = builder.takeRest();
      if (rest) this.push(rest);
      done();
    },
  });
}
