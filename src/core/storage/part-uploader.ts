/**
 * Cuts a stream into parts of one fixed size and hands each to `sendPart`, filling a small
 * set of part buffers that are reused for the whole stream: at most `partsInFlight` parts
 * are being sent while one more fills. Used by the S3 multipart upload and the artifact
 * block upload.
 *
 * Reusing the buffers is what keeps memory flat. The SDK uploaders (lib-storage's Upload,
 * @azure/storage-blob's uploadStream) allocate a fresh part buffer for every part; the dead
 * ones are outside V8's heap, freed only when a collection happens to run, and a 1 GB
 * upload peaked at 150-250 MiB with them (test/storage/large.test.ts measures it).
 */
import type { Readable } from "node:stream";

export interface Part {
  /** 1, 2, 3... in the order of the stream. */
  number: number;
  /** The part's bytes: valid only until the promise `sendPart` returned settles. */
  data: Buffer;
  /** True for the final part, which may be shorter than the others (or empty). */
  last: boolean;
}

export interface PartUploadOptions {
  partSizeBytes: number;
  /** Parts being sent at once. */
  partsInFlight: number;
  /** Sends one part; the part's buffer is reused once the returned promise settles. */
  sendPart(part: Part): Promise<void>;
}

/**
 * Reads `source` to its end and sends it in parts; resolves with the bytes and parts sent.
 * On the first failure (the source's or a part's) it stops reading, waits for the parts
 * already on their way to settle, and rejects with that failure, so the caller can then
 * clean up knowing no part is still arriving.
 */
export async function uploadInParts(
  source: Readable,
  options: PartUploadOptions,
): Promise<{ bytes: number; parts: number }> {
  const { partSizeBytes, partsInFlight, sendPart } = options;
  const pool = new PartBufferPool(partSizeBytes, partsInFlight + 1);
  const sending = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let parts = 0;
  let bytes = 0;

  const dispatch = (buffer: Buffer, length: number, last: boolean): void => {
    parts += 1;
    const part = { number: parts, data: buffer.subarray(0, length), last };
    const sent: Promise<void> = sendPart(part)
      .then(
        () => pool.release(buffer),
        (error: unknown) => {
          failure ??= { error };
          // Stop a source that is waiting for its next chunk, rather than wait on it.
          source.destroy(failure.error as Error);
        },
      )
      .finally(() => sending.delete(sent));
    sending.add(sent);
  };
  /** Waits until fewer than `partsInFlight` parts are on their way; throws the first failure. */
  const roomToSend = async (): Promise<void> => {
    while (!failure && sending.size >= partsInFlight) await Promise.race(sending);
    if (failure) throw failure.error;
  };

  let filling: Buffer | undefined;
  let filled = 0;
  try {
    for await (const received of source as AsyncIterable<Buffer | string>) {
      const chunk = typeof received === "string" ? Buffer.from(received) : received;
      for (let offset = 0; offset < chunk.length;) {
        if (failure) throw failure.error;
        // A full part goes only once more data arrives, so the last part is known as such.
        if (filling && filled === partSizeBytes) {
          await roomToSend();
          dispatch(filling, filled, false);
          filling = undefined;
        }
        if (!filling) {
          // At most partsInFlight buffers are being sent, so one of the pool's is free.
          filling = pool.take()!;
          filled = 0;
        }
        const copied = chunk.copy(filling, filled, offset, offset + partSizeBytes - filled);
        filled += copied;
        offset += copied;
        bytes += copied;
      }
    }
    await roomToSend();
    dispatch(filling ?? Buffer.alloc(0), filled, true);
    await Promise.all(sending);
    if (failure) throw failure.error;
  } catch (error) {
    await Promise.allSettled(sending);
    throw error;
  }
  return { bytes, parts };
}

/** Up to `limit` buffers of one size, allocated when first needed and then reused. */
export class PartBufferPool {
  private readonly free: Buffer[] = [];
  private readonly size: number;
  private readonly limit: number;
  private allocated = 0;

  constructor(size: number, limit: number) {
    this.size = size;
    this.limit = limit;
  }

  take(): Buffer | undefined {
    const reused = this.free.pop();
    if (reused) return reused;
    if (this.allocated >= this.limit) return undefined;
    this.allocated += 1;
    // Outside Node's shared pool: each part buffer is its own allocation, freed with the pool.
    return Buffer.allocUnsafeSlow(this.size);
  }

  release(buffer: Buffer): void {
    this.free.push(buffer);
  }
}
