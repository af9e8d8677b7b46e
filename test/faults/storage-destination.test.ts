/**
 * The storage pipeline when a real folder destination fails, fed as the backups feed it
 * (through a tee that also writes a verification copy): a full disk (a tmpfs this test
 * mounts), a read-only folder, a file where the folder should be, a second backup in the
 * same second, and a backend that returns before it read its input. Each time: one
 * rejection that names the destination, the source and the copy stopped (nothing waits on
 * them), no `.partial` file, nothing listed.
 */
import { execFileSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { storeBackup } from "../../src/core/storage/pipeline.ts";
import type { PutOptions, SnapshotStore } from "../../src/core/storage/types.ts";
import { teeInto } from "../../src/core/stream/tee.ts";
import { generatedStream } from "../storage/support/data.ts";
import { filesUnder } from "../storage/support/folders.ts";

let dir: string;
const mounts: string[] = [];
const owner = X25519Identity.generate().identity;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "storage-destination-"));
});

afterAll(async () => {
  for (const path of mounts) execFileSync("umount", [path]);
  await rm(dir, { recursive: true, force: true });
});

async function tmpfs(name: string, options: string): Promise<string> {
  const path = join(dir, name);
  await mkdir(path);
  execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", path]);
  mounts.push(path);
  return path;
}

/**
 * Stores `bytes` of generated data as the etcd backup does: the source goes through a tee
 * into the pipeline and into a verification copy. Resolves with how each part ended.
 */
async function storeThroughTee(store: SnapshotStore, bytes: number, createdAt = new Date()) {
  const copyDir = await mkdtemp(join(dir, "copy-"));
  const source = new PassThrough({ highWaterMark: 1024 * 1024 });
  const copy = createWriteStream(join(copyDir, "copy.db"), { flags: "wx", mode: 0o600 });
  const data = generatedStream(bytes, { compressible: false });
  const feeding = pipeline(data.stream, teeInto(source, copy));
  const storing = storeBackup(store, {
    cluster: "uc1",
    kind: "user-etcd",
    source,
    compression: "none",
    recipients: [owner.recipient],
    createdAt,
    logger: recordingLogger(),
  });
  const [stored, fed] = await Promise.allSettled([storing, feeding]);
  return { stored, fed, source: data.stream, copy };
}

function rejection(outcome: PromiseSettledResult<unknown>): string {
  expect(outcome.status).toBe("rejected");
  return String((outcome as PromiseRejectedResult).reason?.message);
}

describe("the storage pipeline when the folder destination fails", () => {
  it("rejects once with ENOSPC when the disk fills up mid-stream, and stops the source and the copy", async () => {
    const full = await tmpfs("full", "size=1m");
    const store = new FileStore(full);
    const result = await storeThroughTee(store, 24 * 1024 * 1024);
    expect(rejection(result.stored)).toMatch(
      /^Storing the user-etcd backup of uc1 at \d{8}T\d{6}Z failed: file:\S+ failed: Writing the payload to \S+ failed: ENOSPC: no space left on device, write\. No backup was listed for it\.$/,
    );
    rejection(result.fed);
    expect(result.source.destroyed).toBe(true);
    expect(result.copy.destroyed).toBe(true);
    expect(await filesUnder(full)).toEqual([]);
    expect(await store.list()).toEqual([]);
  });

  it("rejects once when the folder is read-only", async () => {
    const readOnly = await tmpfs("read-only", "ro,size=1m");
    const result = await storeThroughTee(new FileStore(readOnly), 4 * 1024 * 1024);
    // Node's recursive mkdir reports a read-only parent as ENOENT of the folder it wanted.
    expect(rejection(result.stored)).toMatch(/failed: (EROFS|ENOENT)\b.*No backup was listed/);
    rejection(result.fed);
    expect(result.copy.destroyed).toBe(true);
  });

  it("rejects once when a file stands where the folder should be, and leaves the file alone", async () => {
    const notAFolder = join(dir, "not-a-folder");
    await writeFile(notAFolder, "notes\n");
    const result = await storeThroughTee(new FileStore(notAFolder), 4 * 1024 * 1024);
    expect(rejection(result.stored)).toMatch(/failed: (ENOTDIR|EEXIST)\b.*No backup was listed/);
    rejection(result.fed);
    expect(result.copy.destroyed).toBe(true);
  });

  it("gives a second backup in the same second a folder of its own, never a shared one", async () => {
    const folder = await mkdtemp(join(dir, "same-second-"));
    const store = new FileStore(folder);
    const second = new Date(Math.floor(Date.now() / 1000) * 1000);
    const first = await storeThroughTee(store, 1024 * 1024, second);
    expect(first.stored.status).toBe("fulfilled");
    const again = await storeThroughTee(store, 4 * 1024 * 1024, second);
    expect(again.stored.status).toBe("fulfilled");
    const listed = await store.list();
    expect(listed).toHaveLength(2);
    expect(new Set(listed.map((backup) => backup.location.uri)).size).toBe(2);
    expect((await filesUnder(folder)).filter((file) => file.includes(".partial-"))).toEqual([]);
  });

  it("rejects when a backend returns before it read all of its input, instead of waiting for it", async () => {
    const folder = await mkdtemp(join(dir, "early-"));
    const inner = new FileStore(folder);
    // A backend that takes one chunk, then claims it stored everything.
    const early: SnapshotStore = {
      description: "a backend that stops reading",
      putPayload: async (options: PutOptions, payload: Readable) => {
        await new Promise((resolve) => payload.once("data", resolve));
        payload.pause();
        return inner.putPayload(options, Readable.from([Buffer.from("x")]));
      },
      putManifest: (location, manifest) => inner.putManifest(location, manifest),
      list: (filter) => inner.list(filter),
      getPayload: (location, name) => inner.getPayload(location, name),
      delete: (location) => inner.delete(location),
    };
    const result = await storeThroughTee(early, 8 * 1024 * 1024);
    expect(rejection(result.stored)).toMatch(
      /a backend that stops reading failed: it returned before it read all of the payload/,
    );
    rejection(result.fed);
    expect(await inner.list()).toEqual([]);
  });
});
