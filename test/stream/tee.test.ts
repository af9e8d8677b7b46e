/**
 * The tee settles on every path: with real files as outputs (a folder that is a file, a
 * read-only mount, a full tmpfs), an output whose reader gives up, and the happy path.
 * Each failure rejects the pipeline that feeds the tee, once, and destroys the other side.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { teeInto } from "../../src/core/stream/tee.ts";

let dir: string;
const DATA = randomBytes(8 * 1024 * 1024);

/** DATA in 64 KiB pieces, as a snapshot arrives from exec. */
function source(): Readable {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < DATA.length; offset += 64 * 1024)
    pieces.push(DATA.subarray(offset, offset + 64 * 1024));
  return Readable.from(pieces, { objectMode: false });
}

/** A reader of the primary side that hashes what it gets, slowly enough to push back. */
function hashingReader(primary: PassThrough) {
  const hash = createHash("sha256");
  let bytes = 0;
  const done = pipeline(
    primary,
    new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _encoding, next) {
        hash.update(chunk);
        bytes += chunk.length;
        setImmediate(next);
      },
    }),
  );
  return { done, result: () => ({ bytes, sha256: hash.digest("hex") }) };
}

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("hex");

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tee-test-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("teeInto", () => {
  it("delivers every byte to both outputs, the copy complete before the primary ends", async () => {
    const primary = new PassThrough();
    const reader = hashingReader(primary);
    const copyPath = join(dir, "copy.db");
    const copy = createWriteStream(copyPath, { flags: "wx" });
    let counted = 0;
    await pipeline(
      source(),
      teeInto(primary, copy, (bytes) => (counted += bytes)),
    );
    await reader.done;
    expect(reader.result()).toEqual({ bytes: DATA.length, sha256: sha256(DATA) });
    expect(sha256(readFileSync(copyPath))).toBe(sha256(DATA));
    expect(counted).toBe(DATA.length);
  });

  it("fails once, and stops the primary's reader, when the copy cannot be created (its folder is a file)", async () => {
    const notAFolder = join(dir, "not-a-folder");
    await writeFile(notAFolder, "a file where a folder should be\n");
    const primary = new PassThrough();
    const reader = hashingReader(primary);
    const copy = createWriteStream(join(notAFolder, "copy.db"), { flags: "wx" });
    await expect(pipeline(source(), teeInto(primary, copy))).rejects.toThrow(/ENOTDIR/);
    await expect(reader.done).rejects.toThrow(/ENOTDIR/);
    expect(primary.destroyed).toBe(true);
  });

  it("fails once, and ends the copy, when the primary's reader gives up mid-stream", async () => {
    const primary = new PassThrough();
    let taken = 0;
    // A backend that takes 1 MiB and then walks away without an error of its own.
    primary.on("data", (chunk: Buffer) => {
      taken += chunk.length;
      if (taken > 1024 * 1024) primary.destroy();
    });
    const copy = createWriteStream(join(dir, "copy-abandoned.db"), { flags: "wx" });
    await expect(pipeline(source(), teeInto(primary, copy))).rejects.toThrow(
      /closed before all data was written|Premature close/,
    );
    expect(copy.destroyed).toBe(true);
  });

  it("fails once when the primary's pipeline fails with its own error while a write waits", async () => {
    const primary = new PassThrough({ highWaterMark: 1024 });
    const tee = teeInto(primary, createWriteStream(join(dir, "copy-failing.db"), { flags: "wx" }));
    const feeding = pipeline(source(), tee);
    // Nobody reads the primary: the tee waits for 'drain'; then the reader fails.
    await new Promise((resolve) => setImmediate(resolve));
    primary.destroy(new Error("the destination is full"));
    await expect(feeding).rejects.toThrow("the destination is full");
  });

  describe("on mounts of its own", () => {
    const mounted: string[] = [];
    afterAll(() => {
      for (const path of mounted) execFileSync("umount", [path]);
    });

    async function tmpfs(name: string, options: string): Promise<string> {
      const path = join(dir, name);
      await mkdir(path);
      execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]);
      mounted.push(path);
      return path;
    }

    it("fails once with EROFS when the copy's folder is read-only", async () => {
      const readOnly = await tmpfs("read-only", "ro,size=1m");
      const primary = new PassThrough();
      const reader = hashingReader(primary);
      const copy = createWriteStream(join(readOnly, "copy.db"), { flags: "wx" });
      await expect(pipeline(source(), teeInto(primary, copy))).rejects.toThrow(/EROFS/);
      await expect(reader.done).rejects.toThrow();
    });

    it("fails once with ENOSPC when the copy's disk fills up mid-stream", async () => {
      const small = await tmpfs("small", "size=1m");
      const primary = new PassThrough();
      const reader = hashingReader(primary);
      const copy = createWriteStream(join(small, "copy.db"), { flags: "wx" });
      await expect(pipeline(source(), teeInto(primary, copy))).rejects.toThrow(/ENOSPC/);
      await expect(reader.done).rejects.toThrow();
    });
  });
});
