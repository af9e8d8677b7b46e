/**
 * The folder backend against the mistakes and races found in issue 13: two runs in the same
 * second never share a backup, every file is readable by its owner only, the file system's
 * root is refused, and the partial files of killed runs are cleaned up (and said so).
 */
import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { ConfigurationError } from "../../src/core/errors.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { localRunContext } from "../../src/core/run-context.ts";
import { openStore, parseDestination } from "../../src/core/storage/destination.ts";
import { FileStore, STALE_PARTIAL_MS } from "../../src/core/storage/file.ts";
import { findBackup, readBackup, storeBackup } from "../../src/core/storage/pipeline.ts";

let work: string;
const owner = X25519Identity.generate();

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "file-store-"));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function newFolder(): Promise<string> {
  return mkdtemp(join(work, "store-"));
}

async function readAll(store: FileStore, location: Parameters<typeof findBackup>[1]) {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  await readBackup(store, await findBackup(store, location), sink, {
    identities: [owner.identity],
    logger: recordingLogger(),
  });
  return Buffer.concat(chunks).toString("utf8");
}

describe("the folder backend", () => {
  it("gives two concurrent backups of the same second two URIs, both complete and readable", async () => {
    const store = new FileStore(await newFolder());
    const createdAt = new Date("2026-06-01T01:02:03Z");
    const backup = (content: string) =>
      storeBackup(store, {
        cluster: "uc1",
        kind: "user-etcd",
        recipients: [owner.identity.recipient],
        createdAt,
        source: Readable.from([Buffer.from(content)]),
        logger: recordingLogger(),
      });
    const [first, second] = await Promise.all([backup("first run"), backup("second run")]);
    expect(first.location.uri).not.toBe(second.location.uri);
    const timestamps = [first.location.timestamp, second.location.timestamp].sort();
    expect(timestamps).toEqual(["20260601T010203Z", "20260601T010204Z"]);
    const listed = await store.list({ cluster: "uc1", kind: "user-etcd" });
    expect(listed).toHaveLength(2);
    const contents = await Promise.all(listed.map((entry) => readAll(store, entry.location)));
    expect(contents.sort()).toEqual(["first run", "second run"]);
  });

  it("writes payloads and manifests 0600 and backup folders 0700, even for an unencrypted backup", async () => {
    const root = await newFolder();
    const store = new FileStore(root);
    const stored = await storeBackup(store, {
      cluster: "uc2",
      kind: "user-etcd",
      allowUnencrypted: true,
      compression: "none",
      source: Readable.from([Buffer.from("every Secret of the cluster")]),
      logger: recordingLogger(),
    });
    const folder = join(root, "uc2", "user-etcd", stored.location.timestamp);
    const names = await readdir(folder);
    expect(names.sort()).toEqual(["manifest.json", "snapshot.db"]);
    for (const name of names) {
      expect(((await stat(join(folder, name))).mode & 0o777).toString(8), name).toBe("600");
    }
    expect(((await stat(folder)).mode & 0o777).toString(8)).toBe("700");
  });

  it("refuses the file system's root as a destination, as a URL and as a folder", async () => {
    for (const text of ["file:///", "file:////", "file:///./"]) {
      expect(() => parseDestination(text), text).toThrow(ConfigurationError);
      expect(() => parseDestination(text), text).toThrow(/is the file system's root/);
    }
    expect(() => new FileStore("/")).toThrow(/the backup folder is the file system's root/);
    expect(parseDestination("file:///var/backups/etcd")).toMatchObject({
      type: "file",
      path: "/var/backups/etcd",
    });
  });

  it("removes partial files killed runs left (and their empty folders), says so, and keeps a live one", async () => {
    const root = await newFolder();
    const logger = recordingLogger();
    const store = await openStore(parseDestination(`file://${root}`), {
      logger,
      context: localRunContext(),
    });
    const kindFolder = join(root, "uc1", "user-etcd");
    const staleFolder = join(kindFolder, "20260101T000000Z");
    const liveFolder = join(kindFolder, "20260101T000100Z");
    await mkdir(staleFolder, { recursive: true });
    await mkdir(liveFolder, { recursive: true });
    const stale = join(staleFolder, ".partial-0123456789ab-snapshot.db.zst.age");
    const live = join(liveFolder, ".partial-ba9876543210-snapshot.db.zst.age");
    await writeFile(stale, "half a snapshot");
    await writeFile(live, "a snapshot still arriving");
    const longAgo = new Date(Date.now() - STALE_PARTIAL_MS - 60_000);
    await utimes(stale, longAgo, longAgo);

    await storeBackup(store, {
      cluster: "uc1",
      kind: "user-etcd",
      recipients: [owner.identity.recipient],
      source: Readable.from([Buffer.from("new")]),
      logger,
    });

    await expect(stat(staleFolder)).rejects.toThrow(/ENOENT/);
    expect(await readdir(liveFolder)).toEqual([".partial-ba9876543210-snapshot.db.zst.age"]);
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        /^warning: Removed 1 partial file\(s\) that interrupted backups left in file:\/\/.*\/uc1\/user-etcd .*20260101T000000Z\/\.partial-0123456789ab-snapshot\.db\.zst\.age/,
      ),
    );
  });
});
