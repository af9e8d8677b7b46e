/**
 * The part uploader under the S3 (a stream) and artifact (a staged file) uploads: parts in
 * order with the last one marked, a fixed set of buffers reused for any length, and a
 * failure that stops the source and waits for the parts already on their way.
 */
import { createHash } from "node:crypto";
import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type Part,
  uploadFileInParts,
  uploadInParts,
} from "../../src/core/storage/part-uploader.ts";

const KiB = 1024;

/** `total` bytes in chunks of `chunkBytes`, each byte its offset modulo 251. */
function countingSource(total: number, chunkBytes: number): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= total) {
        this.push(null);
        return;
      }
      const length = Math.min(chunkBytes, total - offset);
      const chunk = Buffer.alloc(length);
      for (let i = 0; i < length; i++) chunk[i] = (offset + i) % 251;
      offset += length;
      this.push(chunk);
    },
  });
}

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

describe("uploadInParts", () => {
  it.each([
    ["0 bytes", 0, 7 * KiB],
    ["1 byte", 1, 7 * KiB],
    ["exactly one part", 64 * KiB, 7 * KiB],
    ["exactly three parts", 192 * KiB, 64 * KiB],
    ["many parts and a short last one, chunks larger than a part", 1000 * KiB + 5, 150 * KiB],
  ])(
    "sends %s in order, the last part marked, through at most 3 buffers",
    async (_label, total, chunk) => {
      const sent: Array<{ number: number; bytes: Buffer; last: boolean }> = [];
      const buffersSeen = new Set<ArrayBufferLike>();
      let inFlight = 0;
      let mostInFlight = 0;
      const result = await uploadInParts(countingSource(total, chunk), {
        partSizeBytes: 64 * KiB,
        partsInFlight: 2,
        sendPart: async (part: Part) => {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          if (part.data.length > 0) buffersSeen.add(part.data.buffer);
          // Copied now: the buffer is refilled once this promise settles.
          sent.push({ number: part.number, bytes: Buffer.from(part.data), last: part.last });
          await new Promise((resolve) => setTimeout(resolve, 2));
          inFlight -= 1;
        },
      });

      const parts = Math.max(1, Math.ceil(total / (64 * KiB)));
      expect(result).toEqual({ bytes: total, parts });
      expect(sent.map((part) => part.number).sort((a, b) => a - b)).toEqual(
        Array.from({ length: parts }, (_, index) => index + 1),
      );
      expect(sent.filter((part) => part.last).map((part) => part.number)).toEqual([parts]);
      const ordered = sent.sort((a, b) => a.number - b.number);
      for (const part of ordered.slice(0, -1)) expect(part.bytes.length).toBe(64 * KiB);
      const whole = Buffer.concat(ordered.map((part) => part.bytes));
      expect(sha256(whole)).toBe(
        sha256(Buffer.concat(await countingSource(total, chunk).toArray())),
      );
      expect(mostInFlight).toBeLessThanOrEqual(2);
      expect(buffersSeen.size).toBeLessThanOrEqual(3);
    },
  );

  it("a part that fails stops the source and waits for the parts on their way", async () => {
    const source = countingSource(10 * 64 * KiB, 16 * KiB);
    const settled: number[] = [];
    const failure = uploadInParts(source, {
      partSizeBytes: 64 * KiB,
      partsInFlight: 2,
      sendPart: async (part) => {
        if (part.number === 2) throw new Error("part 2 refused");
        await new Promise((resolve) => setTimeout(resolve, 30));
        settled.push(part.number);
      },
    });

    await expect(failure).rejects.toThrow("part 2 refused");
    expect(source.destroyed).toBe(true);
    // Part 1 was still on its way when part 2 failed: it had settled before the rejection,
    // and nothing was sent after the failure.
    expect(settled).toEqual([1]);
  });

  it("a source that breaks is the failure reported, after the parts on their way settle", async () => {
    let produced = 0;
    const source = new Readable({
      read() {
        produced += 1;
        if (produced > 6) this.destroy(new Error("source broke off"));
        else this.push(Buffer.alloc(32 * KiB, produced));
      },
    });
    const settled: number[] = [];
    await expect(
      uploadInParts(source, {
        partSizeBytes: 64 * KiB,
        partsInFlight: 2,
        sendPart: async (part) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          settled.push(part.number);
        },
      }),
    ).rejects.toThrow("source broke off");
    // 192 KiB arrived: parts 1 and 2 went out, part 3 was still filling when the source broke.
    expect(settled.sort()).toEqual([1, 2]);
  });
});

describe("uploadFileInParts", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(path.join(tmpdir(), "part-uploader-"));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it.each([
    ["0 bytes", 0],
    ["1 byte", 1],
    ["exactly one part", 64 * KiB],
    ["many parts and a short last one", 1000 * KiB + 5],
  ])(
    "sends a file of %s in order, the last part marked, through at most 2 buffers",
    async (_label, total) => {
      const file = path.join(folder, `file-${total}`);
      const content = Buffer.concat(await countingSource(total, 7 * KiB).toArray());
      await writeFile(file, content);
      const sent: Array<{ number: number; bytes: Buffer; last: boolean }> = [];
      const buffersSeen = new Set<ArrayBufferLike>();
      let inFlight = 0;
      let mostInFlight = 0;
      const result = await uploadFileInParts(file, {
        partSizeBytes: 64 * KiB,
        partsInFlight: 2,
        sendPart: async (part: Part) => {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          if (part.data.length > 0) buffersSeen.add(part.data.buffer);
          sent.push({ number: part.number, bytes: Buffer.from(part.data), last: part.last });
          await new Promise((resolve) => setTimeout(resolve, 2));
          inFlight -= 1;
        },
      });

      const parts = Math.max(1, Math.ceil(total / (64 * KiB)));
      expect(result).toEqual({ bytes: total, parts });
      const ordered = sent.sort((a, b) => a.number - b.number);
      expect(ordered.map((part) => part.number)).toEqual(
        Array.from({ length: parts }, (_, index) => index + 1),
      );
      expect(ordered.filter((part) => part.last).map((part) => part.number)).toEqual([parts]);
      expect(sha256(Buffer.concat(ordered.map((part) => part.bytes)))).toBe(sha256(content));
      expect(mostInFlight).toBeLessThanOrEqual(2);
      // The file is read into the buffers being sent: no third one fills meanwhile.
      expect(buffersSeen.size).toBeLessThanOrEqual(2);
    },
  );

  it("a file cut short during the upload fails with the sizes, after the parts on their way settle", async () => {
    const file = path.join(folder, "shrinking");
    await writeFile(file, Buffer.alloc(4 * 64 * KiB, 1));
    const settled: number[] = [];
    await expect(
      uploadFileInParts(file, {
        partSizeBytes: 64 * KiB,
        partsInFlight: 1,
        sendPart: async (part) => {
          if (part.number === 1) await truncate(file, 100 * KiB);
          settled.push(part.number);
        },
      }),
    ).rejects.toThrow(
      `The file ended at ${100 * KiB} bytes, before the ${2 * 64 * KiB} it had when the upload started.`,
    );
    expect(settled).toEqual([1]);
  });
});
