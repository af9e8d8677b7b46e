import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { sha256Hex } from "../../src/core/crypto/hash.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import type { Compression } from "../../src/core/storage/compression.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import {
  findBackup,
  readBackup,
  restoreBackupToFile,
  storeBackup,
  verifyStoredBackup,
} from "../../src/core/storage/pipeline.ts";
import { ageDecrypt, ageKeygen, zstdDecompress } from "./support/age-cli.ts";
import { hashingSink } from "./support/data.ts";
import { filesUnder, temporaryFolders } from "./support/folders.ts";

const newFolder = temporaryFolders("pipeline-test");
const owner = X25519Identity.generate();

async function roundTrip(plaintext: Buffer, compression: Compression, encrypted: boolean) {
  const folder = await newFolder();
  const store = new FileStore(folder);
  const logger = recordingLogger();
  const backup = await storeBackup(store, {
    cluster: "uc1",
    kind: "user-etcd",
    source: Readable.from([plaintext]),
    compression,
    ...(encrypted
      ? { recipients: [owner.identity.recipient.toString()] }
      : { allowUnencrypted: true }),
    logger,
  });
  const sink = hashingSink();
  await readBackup(store, await findBackup(store, backup.location), sink.sink, {
    identities: [owner.identity],
    logger,
  });
  return { folder, store, backup, restored: sink.digest(), logger };
}

describe("storage pipeline through the folder backend", () => {
  const cases: Array<[Compression, boolean]> = [
    ["zstd", true],
    ["gzip", true],
    ["none", true],
    ["zstd", false],
    ["gzip", false],
    ["none", false],
  ];
  for (const [compression, encrypted] of cases) {
    for (const size of [0, 1, 200_000]) {
      it(`restores ${size} bytes byte-identical with ${compression}, ${encrypted ? "encrypted" : "unencrypted"}`, async () => {
        const plaintext = randomBytes(size);
        const { restored, backup } = await roundTrip(plaintext, compression, encrypted);
        expect(restored).toEqual({ bytes: size, sha256: sha256Hex(plaintext) });
        expect(backup.manifest.payload.plaintext).toEqual(restored);
        expect(backup.manifest.payload.compression).toBe(compression);
      });
    }
  }

  it("lays a backup out as <cluster>/<kind>/<timestamp>/ with the payload and manifest.json, nothing else", async () => {
    const { folder, backup } = await roundTrip(Buffer.from("snapshot bytes"), "zstd", true);
    const timestamp = backup.location.timestamp;
    expect(timestamp).toMatch(/^\d{8}T\d{6}Z$/);
    expect(await filesUnder(folder)).toEqual([
      `uc1/user-etcd/${timestamp}/manifest.json`,
      `uc1/user-etcd/${timestamp}/snapshot.db.zst.age`,
    ]);
    expect(backup.location.uri).toBe(`file://${folder}/uc1/user-etcd/${timestamp}/`);
    const manifest = JSON.parse(
      await readFile(join(folder, `uc1/user-etcd/${timestamp}/manifest.json`), "utf8"),
    );
    expect(manifest.payload.encryption).toEqual({
      method: "age",
      recipients: [owner.identity.recipient.toString()],
    });
    const stored = await readFile(join(folder, `uc1/user-etcd/${timestamp}/snapshot.db.zst.age`));
    expect(manifest.payload.stored).toEqual({ bytes: stored.length, sha256: sha256Hex(stored) });
  });

  it("stores a payload the age and zstd CLIs open: age -d -i key | zstd -d", async () => {
    const folder = await newFolder();
    const keyPath = join(folder, "key.txt");
    const recipient = await ageKeygen(keyPath);
    const plaintext = randomBytes(300_000);
    const store = new FileStore(join(folder, "store"));
    const backup = await storeBackup(store, {
      cluster: "admin",
      kind: "admin-pki",
      source: Readable.from([plaintext]),
      recipients: [recipient],
      logger: recordingLogger(),
    });
    const payload = join(
      folder,
      "store",
      "admin/admin-pki",
      backup.location.timestamp,
      "pki.tar.zst.age",
    );
    await ageDecrypt(payload, join(folder, "pki.tar.zst"), keyPath);
    await zstdDecompress(join(folder, "pki.tar.zst"), join(folder, "pki.tar"));
    expect(sha256Hex(await readFile(join(folder, "pki.tar")))).toBe(sha256Hex(plaintext));
  });

  it("refuses to store unencrypted without the explicit opt-in, before anything is written", async () => {
    const folder = await newFolder();
    const store = new FileStore(folder);
    await expect(
      storeBackup(store, {
        cluster: "uc1",
        kind: "user-etcd",
        source: Readable.from([Buffer.from("x")]),
        logger: recordingLogger(),
      }),
    ).rejects.toThrow(
      /recipients: no age recipient was given for the user-etcd backup of uc1 .*allow unencrypted backups explicitly to store it in clear text\./,
    );
    expect(await filesUnder(folder)).toEqual([]);
  });

  it("warns loudly and records the opt-in when storing unencrypted", async () => {
    const { logger, backup } = await roundTrip(Buffer.from("clear"), "zstd", false);
    expect(logger.lines.filter((line) => line.startsWith("warning: "))).toEqual([
      expect.stringMatching(
        /stored UNENCRYPTED because unencrypted backups were explicitly allowed/,
      ),
    ]);
    expect(backup.manifest.payload.encryption).toEqual({ method: "none", allowUnencrypted: true });
    expect(backup.manifest.payload.name).toBe("snapshot.db.zst");
  });

  it("lists complete backups newest first, from manifests alone", async () => {
    const folder = await newFolder();
    const store = new FileStore(folder);
    const times = ["2026-01-01T00:00:00Z", "2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z"];
    for (const time of times) {
      await storeBackup(store, {
        cluster: "uc1",
        kind: "user-etcd",
        source: Readable.from([Buffer.from(time)]),
        recipients: [owner.identity.recipient],
        createdAt: new Date(time),
        logger: recordingLogger(),
      });
    }
    await storeBackup(store, {
      cluster: "uc2",
      kind: "user-etcd",
      source: Readable.from([Buffer.from("other cluster")]),
      recipients: [owner.identity.recipient],
      logger: recordingLogger(),
    });
    const listed = await store.list({ cluster: "uc1", kind: "user-etcd" });
    expect(listed.map((entry) => entry.location.timestamp)).toEqual([
      "20260301T000000Z",
      "20260201T000000Z",
      "20260101T000000Z",
    ]);
    expect((await store.list()).length).toBe(4);
    expect(await store.list({ kind: "admin-etcd" })).toEqual([]);
  });

  it("never logs the identity used to restore", async () => {
    const { logger, store, backup } = await roundTrip(
      Buffer.from("secret-bearing snapshot"),
      "zstd",
      true,
    );
    const restoreLogger = recordingLogger();
    await readBackup(store, backup, hashingSink().sink, {
      identities: [owner.identity],
      logger: restoreLogger,
    });
    const everything = [...logger.lines, ...restoreLogger.lines].join("\n");
    expect(everything).not.toContain(owner.secret);
    expect(everything).not.toContain(owner.secret.slice(20, 50));
    expect(everything).toContain(owner.identity.recipient.toString());
  });

  it("restores to a file, and verifies the stored bytes without any identity", async () => {
    const plaintext = randomBytes(100_000);
    const { folder, store, backup } = await roundTrip(plaintext, "zstd", true);
    const target = join(folder, "restored.db");
    await restoreBackupToFile(store, backup, target, {
      identities: [owner.identity],
      logger: recordingLogger(),
    });
    expect(sha256Hex(await readFile(target))).toBe(sha256Hex(plaintext));
    const verified = await verifyStoredBackup(store, backup);
    expect(verified.location).toEqual(backup.location);
  });

  it("asks for the identity when restoring an encrypted backup without one", async () => {
    const { store, backup } = await roundTrip(Buffer.from("x"), "none", true);
    await expect(
      readBackup(store, backup, hashingSink().sink, { logger: recordingLogger() }),
    ).rejects.toThrow(
      `The backup ${backup.location.uri} is encrypted to ${owner.identity.recipient}; give the age identity (AGE-SECRET-KEY-1...) of one of them to restore it.`,
    );
  });

  it("never overwrites a backup of the same second: the second one takes the next second", async () => {
    const folder = await newFolder();
    const store = new FileStore(folder);
    const options = {
      cluster: "uc1",
      kind: "user-etcd" as const,
      recipients: [owner.identity.recipient],
      createdAt: new Date("2026-05-05T05:05:05Z"),
      logger: recordingLogger(),
    };
    await storeBackup(store, { ...options, source: Readable.from([Buffer.from("first")]) });
    const second = await storeBackup(store, {
      ...options,
      source: Readable.from([Buffer.from("second")]),
    });
    expect(second.location.uri).toMatch(/20260505T050506Z\/$/);
    expect(second.manifest.timestamp).toBe("20260505T050506Z");
    const listed = await store.list();
    expect(listed.map((entry) => entry.location.timestamp)).toEqual([
      "20260505T050506Z",
      "20260505T050505Z",
    ]);
    for (const [entry, content] of [
      [listed[1]!, "first"],
      [listed[0]!, "second"],
    ] as const) {
      const sink = hashingSink();
      await readBackup(store, await findBackup(store, entry.location), sink.sink, {
        identities: [owner.identity],
        logger: recordingLogger(),
      });
      expect(sink.digest().sha256).toBe(sha256Hex(content));
    }
    await writeFile(join(folder, "unrelated.txt"), "operators put notes here");
    expect((await store.list()).length).toBe(2);
  });
});
