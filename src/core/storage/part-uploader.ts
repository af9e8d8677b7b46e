/**
 * Cuts a stream or a file into parts of one fixed size and hands each to `sendPart`, through
 * a small set of part buffers reused for the whole upload: at most `partsInFlight` parts
 * are being sent at once. The S3 multipart upload sends a stream (one more buffer fills
 * while parts are sent); the artifact block upload sends a staged file (each buffer is read
 * straight from the file when it is free).
 *
 * The buffers are reused because they live outside V8's heap: freshly allocated ones for
 * every part are freed only when a collection happens to run, and memory grows with the
 * payload's size (test/storage/large.test.ts bounds the peak).
 */
import { open } from "node:fs/promises";
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
 * The parts on their way: a pool of buffers, the promises of the parts being sent, and the
 * first failure. A part's buffer goes back to the pool once its send settles successfully.
 */
class PartQueue {
  readonly pool: PartBufferPool;
  private readonly sending = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private readonly options: PartUploadOptions;
  private readonly onFailure: (error: unknown) => void;
  parts = 0;
  bytes = 0;

  constructor(options: PartUploadOptions, buffers: number, onFailure: (error: unknown) => void) {
    this.options = options;
    this.pool = new PartBufferPool(options.partSizeBytes, buffers);
    this.onFailure = onFailure;
  }

  /** A free buffer, once one is; throws the first failure instead. */
  async takeBuffer(): Promise<Buffer> {
    for (;;) {
      this.throwIfFailed();
      const buffer = this.pool.take();
      if (buffer) return buffer;
      await Promise.race(this.sending);
    }
  }

  /** Sends `length` bytes of `buffer` as the next part, once fewer than partsInFlight are on their way. */
  async send(buffer: Buffer, length: number, last: boolean): Promise<void> {
    while (!this.failure && this.sending.size >= this.options.partsInFlight) {
      await Promise.race(this.sending);
    }
    this.throwIfFailed();
    this.parts += 1;
    this.bytes += length;
    const part = { number: this.parts, data: buffer.subarray(0, length), last };
    const sent: Promise<void> = this.options
      .sendPart(part)
      .then(
        () => this.pool.release(buffer),
        (error: unknown) => {
          if (this.failure) return;
          this.failure = { error };
          this.onFailure(error);
        },
      )
      .finally(() => this.sending.delete(sent));
    this.sending.add(sent);
  }

  /** Waits for every part; throws the first failure. */
  async finish(): Promise<{ bytes: number; parts: number }> {
    await Promise.all(this.sending);
    this.throwIfFailed();
    return { bytes: this.bytes, parts: this.parts };
  }

  /** After a failure: waits until no part is still arriving, so the caller can clean up. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.sending);
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }
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
  const { partSizeBytes } = options;
  // One buffer fills while partsInFlight are sent. A failed part stops a source that is
  // waiting for its next chunk, rather than wait on it.
  const queue = new PartQueue(options, options.partsInFlight + 1, (error) =>
    source.destroy(error as Error),
  );
  let filling: Buffer | undefined;
  let filled = 0;
  try {
    for await (const received of source as AsyncIterable<Buffer | string>) {
      const chunk = typeof received === "string" ? Buffer.from(received) : received;
      for (let offset = 0; offset < chunk.length;) {
        queue.throwIfFailed();
        // A full part goes only once more data arrives, so the last part is known as such.
        if (filling && filled === partSizeBytes) {
          await queue.send(filling, filled, false);
          filling = undefined;
        }
        if (!filling) {
          filling = await queue.takeBuffer();
          filled = 0;
        }
        const copied = chunk.copy(filling, filled, offset, offset + partSizeBytes - filled);
        filled += copied;
        offset += copied;
      }
    }
    await queue.send(filling ?? Buffer.alloc(0), filled, true);
    return await queue.finish();
  } catch (error) {
    await queue.settle();
    throw error;
  }
}

/**
 * Sends a file in parts, each read from the file straight into a free buffer; the file's
 * size when the upload starts fixes the parts. Same settling as uploadInParts.
 */
export async function uploadFileInParts(
  path: string,
  options: PartUploadOptions,
): Promise<{ bytes: number; parts: number }> {
  const file = await open(path, "r");
  let queue: PartQueue | undefined;
  try {
    const { size } = await file.stat();
    // A small file (a manifest) needs no buffer of a whole part.
    const partSizeBytes = Math.min(options.partSizeBytes, Math.max(size, 1));
    queue = new PartQueue({ ...options, partSizeBytes }, options.partsInFlight, () => undefined);
    let position = 0;
    do {
      const buffer = await queue.takeBuffer();
      const length = Math.min(partSizeBytes, size - position);
      await readExactly(file, buffer, length, position);
      position += length;
      await queue.send(buffer, length, position >= size);
    } while (position < size);
    return await queue.finish();
  } catch (error) {
    await queue?.settle();
    throw error;
  } finally {
    await file.close();
  }
}

/** Reads exactly `length` bytes at `position` into the start of `buffer`. */
async function readExactly(
  file: Awaited<ReturnType<typeof open>>,
  buffer: Buffer,
  length: number,
  position: number,
): Promise<void> {
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw new Error(
        `The file ended at ${position + filled} bytes, before the ${position + length} it had when the upload started.`,
      );
    }
    filled += bytesRead;
  }
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
