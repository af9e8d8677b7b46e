import { randomBytes } from "node:crypto";
import { readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import type { Compression } from "../../src/core/storage/compression.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import {
  BackupIntegrityError,
  findBackup,
  readBackup,
  restoreBackupToFile,
  storeBackup,
  verifyStoredBackup,
} from "../../src/core/storage/pipeline.ts";
import { generatedStream, hashingSink } from "./support/data.ts";
import { FailingAfterBytesStore } from "./support/failing-store.ts";
import { filesUnder, temporaryFolders } from "./support/folders.ts";

const newFolder = temporaryFolders("faults-test");
const owner = X25519Identity.generate().identity;
const PLAINTEXT = randomBytes(400_000);

async function storedBackup(options: { compression?: Compression; encrypted?: boolean } = {}) {
  const folder = await newFolder();
  const store = new FileStore(folder);
  const encrypted = options.encrypted ?? true;
  const backup = await storeBackup(store, {
    cluster: "uc1",
    kind: "user-etcd",
    source: Readable.from([PLAINTEXT]),
    compression: options.compression ?? "zstd",
    ...(encrypted ? { recipients: [owner.recipient] } : { allowUnencrypted: true }),
    logger: recordingLogger(),
  });
  const folderOfBackup = join(folder, "uc1/user-etcd", backup.location.timestamp);
  return {
    folder,
    store,
    backup,
    payloadPath: join(folderOfBackup, backup.manifest.payload.name),
    manifestPath: join(folderOfBackup, "manifest.json"),
  };
}

async function restore(
  store: FileStore,
  location: Parameters<typeof findBackup>[1],
  identities = [owner],
) {
  const backup = await findBackup(store, location);
  return readBackup(store, backup, hashingSink().sink, { identities, logger: recordingLogger() });
}

async function flipByte(path: string, offset: number): Promise<void> {
  const data = await readFile(path);
  data[offset] = data[offset]! ^ 0x20;
  await writeFile(path, data);
}

describe("a damaged or tampered backup is refused with a clear error", () => {
  it("refuses an encrypted payload with one changed byte, and leaves no restored file", async () => {
    const { store, backup, payloadPath, folder } = await storedBackup();
    await flipByte(payloadPath, (await stat(payloadPath)).size - 70_000);
    const target = join(folder, "restored.db");
    const failure = restoreBackupToFile(store, backup, target, {
      identities: [owner],
      logger: recordingLogger(),
    });
    // Whichever check trips first (age's chunk authentication, or the stored sha256), the
    // operator learns the payload was changed after it was written.
    await expect(failure).rejects.toThrow(
      /(Decrypting backup file:.* failed: chunk number \d+ does not authenticate|The stored payload of file:.* has sha256 [0-9a-f]{64}, but the manifest records [0-9a-f]{64}): .*changed/,
    );
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
    expect((await filesUnder(folder)).filter((file) => !file.startsWith("uc1/"))).toEqual([]);
  });

  it("refuses an unencrypted payload with one changed byte by its sha256", async () => {
    const { store, backup, payloadPath } = await storedBackup({
      compression: "none",
      encrypted: false,
    });
    await flipByte(payloadPath, 1234);
    await expect(restore(store, backup.location)).rejects.toThrow(
      /The stored payload of file:.* has sha256 [0-9a-f]{64}, but the manifest records [0-9a-f]{64}: it was changed or damaged after it was written/,
    );
  });

  it("refuses a verified-looking stored copy that does not match its manifest", async () => {
    const { store, backup, payloadPath } = await storedBackup();
    await flipByte(payloadPath, 500);
    await expect(verifyStoredBackup(store, backup)).rejects.toThrow(BackupIntegrityError);
  });

  it("refuses a manifest whose recorded hash was edited", async () => {
    const { store, backup, manifestPath } = await storedBackup();
    const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
    manifest.payload.plaintext.sha256 = "0".repeat(64);
    await writeFile(manifestPath, JSON.stringify(manifest));
    await expect(restore(store, backup.location)).rejects.toThrow(
      /The restored data of file:.* has sha256 [0-9a-f]{64}, but the manifest records 0{64}/,
    );
  });

  it("refuses a manifest that claims another cluster than the folder it sits in", async () => {
    const { store, backup, manifestPath } = await storedBackup();
    const manifest = JSON.parse(await readFile(manifestPath, "utf8"));
    manifest.cluster = "uc2";
    await writeFile(manifestPath, JSON.stringify(manifest));
    await expect(restore(store, backup.location)).rejects.toThrow(
      /The manifest at file:.* describes backup uc2\/user-etcd\/\d{8}T\d{6}Z, but it is stored as uc1\/user-etcd\/.*: it was moved or edited/,
    );
  });

  it("refuses a manifest that is no longer JSON", async () => {
    const { store, backup, manifestPath } = await storedBackup();
    await writeFile(manifestPath, (await readFile(manifestPath, "utf8")).slice(0, 100));
    await expect(restore(store, backup.location)).rejects.toThrow(
      /The manifest of file:.* is not valid JSON/,
    );
  });

  it("names the recipients when restored with the wrong identity, before downloading", async () => {
    const { store, backup } = await storedBackup();
    const stranger = X25519Identity.generate().identity;
    await expect(restore(store, backup.location, [stranger])).rejects.toThrow(
      `None of the given age identities (for ${stranger.recipient}) can decrypt ${backup.location.uri}: it is encrypted to ${owner.recipient}.`,
    );
  });

  it.each([
    ["zstd", true],
    ["none", false],
    ["zstd", false],
  ] as const)("refuses a truncated payload (%s, encrypted %s)", async (compression, encrypted) => {
    const { store, backup, payloadPath } = await storedBackup({ compression, encrypted });
    await truncate(payloadPath, (await stat(payloadPath)).size - 3000);
    await expect(restore(store, backup.location)).rejects.toThrow(
      /The stored payload of file:.* is \d+ bytes, but the manifest records \d+: it was truncated/,
    );
  });

  it("refuses an emptied payload, and says when the payload file is gone", async () => {
    const { store, backup, payloadPath } = await storedBackup();
    await writeFile(payloadPath, "");
    await expect(restore(store, backup.location)).rejects.toThrow(
      /is 0 bytes, but the manifest records \d+: it was truncated/,
    );
    await rm(payloadPath);
    await expect(restore(store, backup.location)).rejects.toThrow(
      `The payload snapshot.db.zst.age of ${backup.location.uri} is missing; the backup folder is damaged.`,
    );
  });
});

describe("a failed upload leaves nothing listed as a backup", () => {
  it("reports the backend failing mid-upload, lists nothing and leaves no partial file", async () => {
    const folder = await newFolder();
    const failing = new FailingAfterBytesStore(new FileStore(folder), 1_000_000);
    const data = generatedStream(5_000_000);
    const failure = storeBackup(failing, {
      cluster: "uc1",
      kind: "user-etcd",
      source: data.stream,
      compression: "none",
      recipients: [owner.recipient],
      logger: recordingLogger(),
    });
    await expect(failure).rejects.toThrow(
      /^Storing the user-etcd backup of uc1 at \d{8}T\d{6}Z failed: file:.* \(failing after 1000000 bytes\) failed: .*connection reset by peer after 1000000 bytes\. No backup was listed for it\.$/,
    );
    expect(await failing.list()).toEqual([]);
    expect(await filesUnder(folder)).toEqual([]);
  });

  it("reports a source that breaks off (etcdctl dying) as the source's failure, listing nothing", async () => {
    const folder = await newFolder();
    const store = new FileStore(folder);
    const source = new Readable({ read() {} });
    source.push(randomBytes(200_000));
    setTimeout(() => source.destroy(new Error("etcdctl exited with status 1")), 50);
    await expect(
      storeBackup(store, {
        cluster: "uc1",
        kind: "user-etcd",
        source,
        recipients: [owner.recipient],
        logger: recordingLogger(),
      }),
    ).rejects.toThrow(
      /failed: reading, hashing, compressing or encrypting the data failed: etcdctl exited with status 1\. No backup was listed/,
    );
    expect(await store.list()).toEqual([]);
    expect(await filesUnder(folder)).toEqual([]);
  });
});
