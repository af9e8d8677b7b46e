/**
 * Cuts a stream of buffers into fixed-size chunks while always holding back the last one,
 * because age's STREAM marks the final chunk and we only know which it is at the end.
 */
export class ChunkQueue {
  private parts: Buffer[] = [];
  private queued = 0;
  private readonly chunkSize: number;

  constructor(chunkSize: number) {
    this.chunkSize = chunkSize;
  }

  get length(): number {
    return this.queued;
  }

  push(data: Buffer): void {
    if (data.length === 0) return;
    this.parts.push(data);
    this.queued += data.length;
  }

  /** True while a full chunk is queued AND more bytes follow it, so it is not the last. */
  hasChunkBeforeLast(): boolean {
    return this.queued > this.chunkSize;
  }

  /** Takes the next `size` bytes (default: a chunk), copying only when they span parts. */
  take(size = this.chunkSize): Buffer {
    const first = this.parts[0]!;
    if (first.length >= size) {
      const chunk = first.subarray(0, size);
      if (first.length === size) this.parts.shift();
      else this.parts[0] = first.subarray(size);
      this.queued -= size;
      return chunk;
    }
    const chunk = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const part = this.parts[0]!;
      const used = Math.min(part.length, size - filled);
      part.copy(chunk, filled, 0, used);
      filled += used;
      if (used === part.length) this.parts.shift();
      else this.parts[0] = part.subarray(used);
    }
    this.queued -= size;
    return chunk;
  }

  /** Everything still queued (the final chunk). */
  takeRest(): Buffer {
    return this.queued === 0 ? Buffer.alloc(0) : this.take(this.queued);
  }
}
