import { createHash, randomBytes } from "node:crypto";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { describe, expect, it } from "vitest";
import { BatchBuilder, createBatcher } from "../../src/core/storage/batching.ts";

async function throughBatcher(pieces: Buffer[], batchBytes: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(pieces),
    createBatcher(batchBytes),
    new Writable({
      write(data: Buffer, _encoding, done) {
        out.push(data);
        done();
      },
    }),
  );
  return out;
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("batching a stream into MiB pieces", () => {
  it("passes the same bytes on, in full batches and one shorter last batch", async () => {
    const data = randomBytes(10 * 1000 + 123);
    const pieces: Buffer[] = [];
    // Odd piece sizes, so batches straddle pieces; a piece larger than a batch too.
    for (let offset = 0, size = 1; offset < data.length; offset += size, size = (size * 7) % 2500)
      pieces.push(data.subarray(offset, offset + Math.max(size, 1)));
    const out = await throughBatcher(pieces, 1000);
    expect(sha256(Buffer.concat(out))).toBe(sha256(data));
    expect(out.slice(0, -1).every((batch) => batch.length >= 1000)).toBe(true);
    expect(out.at(-1)!.length).toBeGreaterThan(0);
  });

  it("copies small pieces, so the source may reuse its buffer once it was called back", () => {
    const builder = new BatchBuilder(8);
    const source = Buffer.from("abcdef");
    expect(builder.add(source)).toEqual([]);
    source.fill("x");
    const [batch] = builder.add(Buffer.from("gh"));
    expect(batch?.toString()).toBe("abcdefgh");
    expect(builder.takeRest()).toBeUndefined();
  });

  it("ends an empty stream with no batch at all", async () => {
    expect(await throughBatcher([], 1000)).toEqual([]);
  });
});
