import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import {
  storeBackup,
  verifyStoredBackup,
  type VerifiedBackup,
} from "../../src/core/storage/pipeline.ts";
import { applyRetention, parseRetentionPolicy } from "../../src/core/storage/retention.ts";
import { temporaryFolders } from "./support/folders.ts";

const newFolder = temporaryFolders("retention-test");
const owner = X25519Identity.generate().identity;
const DAY = 86_400_000;
const NOW = new Date("2026-11-27T12:00:00Z");

/** A folder with one user-etcd backup of uc1 per given age in days (newest last), plus one of uc2. */
async function storeWithBackups(ageInDays: number[]) {
  const folder = await newFolder();
  const store = new FileStore(folder);
  let newest: VerifiedBackup | undefined;
  for (const days of ageInDays) {
    const backup = await storeBackup(store, {
      cluster: "uc1",
      kind: "user-etcd",
      source: Readable.from([Buffer.from(`${days} days old`)]),
      recipients: [owner.recipient],
      createdAt: new Date(NOW.getTime() - days * DAY),
      logger: recordingLogger(),
    });
    newest = await verifyStoredBackup(store, backup);
  }
  await storeBackup(store, {
    cluster: "uc2",
    kind: "user-etcd",
    source: Readable.from([Buffer.from("other cluster, very old")]),
    recipients: [owner.recipient],
    createdAt: new Date(NOW.getTime() - 400 * DAY),
    logger: recordingLogger(),
  });
  return { folder, store, newest: newest! };
}

const timestampsOf = (entries: Array<{ timestamp: string }>) =>
  entries.map((entry) => entry.timestamp);

describe("retention", () => {
  it("keeps the last N of a cluster and kind and reports what it deleted", async () => {
    const { store, newest } = await storeWithBackups([5, 4, 3, 2, 1, 0]);
    const logger = recordingLogger();
    const result = await applyRetention(store, newest, { keepLast: 3 }, { logger, now: NOW });
    expect(timestampsOf(result.deleted)).toEqual([
      "20261124T120000Z",
      "20261123T120000Z",
      "20261122T120000Z",
    ]);
    const left = await store.list({ cluster: "uc1", kind: "user-etcd" });
    expect(timestampsOf(left.map((entry) => entry.location))).toEqual([
      "20261127T120000Z",
      "20261126T120000Z",
      "20261125T120000Z",
    ]);
    expect(await store.list({ cluster: "uc2" })).toHaveLength(1);
    expect(logger.lines.filter((line) => line.startsWith("Deleted old backup"))).toHaveLength(3);
  });

  it("deletes backups older than the max age", async () => {
    const { store, newest } = await storeWithBackups([40, 31, 29, 1, 0]);
    const result = await applyRetention(store, newest, parseRetentionPolicy({ maxAge: "30d" }), {
      logger: recordingLogger(),
      now: NOW,
    });
    expect(timestampsOf(result.deleted)).toEqual(["20261027T120000Z", "20261018T120000Z"]);
    expect(timestampsOf(result.kept)).toEqual([
      "20261127T120000Z",
      "20261126T120000Z",
      "20261029T120000Z",
    ]);
  });

  it("never deletes the newest good backup, even when every backup is past the max age", async () => {
    const { store, newest } = await storeWithBackups([90, 60]);
    const result = await applyRetention(
      store,
      newest,
      { maxAgeMs: 7 * DAY, keepLast: 1 },
      { logger: recordingLogger(), now: NOW },
    );
    expect(timestampsOf(result.deleted)).toEqual(["20260829T120000Z"]);
    expect(
      timestampsOf((await store.list({ cluster: "uc1" })).map((entry) => entry.location)),
    ).toEqual(["20260928T120000Z"]);
  });

  it("leaves alone a backup whose manifest it cannot read, and says so", async () => {
    const { store, newest, folder } = await storeWithBackups([3, 2, 1, 0]);
    await writeFile(join(folder, "uc1/user-etcd/20261124T120000Z/manifest.json"), "{ damaged");
    const logger = recordingLogger();
    const result = await applyRetention(store, newest, { keepLast: 1 }, { logger, now: NOW });
    expect(timestampsOf(result.deleted)).toEqual(["20261126T120000Z", "20261125T120000Z"]);
    expect(timestampsOf(result.skipped.map((entry) => entry.location))).toEqual([
      "20261124T120000Z",
    ]);
    expect(logger.lines).toContainEqual(
      expect.stringMatching(
        /^warning: Retention leaves file:.*20261124T120000Z\/ alone: The manifest .* is not valid JSON/,
      ),
    );
  });

  it("deletes nothing when the new backup is not listed", async () => {
    const { store, newest } = await storeWithBackups([2, 1, 0]);
    await store.delete(newest.location);
    await expect(
      applyRetention(store, newest, { keepLast: 1 }, { logger: recordingLogger(), now: NOW }),
    ).rejects.toThrow(
      /Retention for uc1\/user-etcd stopped before deleting anything: the new backup file:.* is not listed/,
    );
    expect(await store.list({ cluster: "uc1" })).toHaveLength(2);
  });

  it("reads policies as a user writes them, and rejects bad ones with what was expected", () => {
    expect(parseRetentionPolicy({ keepLast: "7", maxAge: "2w" })).toEqual({
      keepLast: 7,
      maxAgeMs: 14 * DAY,
    });
    expect(parseRetentionPolicy({ keepLast: "", maxAge: " " })).toEqual({});
    expect(() => parseRetentionPolicy({ keepLast: "0" })).toThrow(
      'keepLast: the retention keep-last "0" is not valid; expected a whole number of 1 or more (the newest backup is always kept).',
    );
    expect(() => parseRetentionPolicy({ maxAge: "30 days" })).toThrow(
      'maxAge: the retention max-age "30 days" is not valid; expected a number and a unit m, h, d or w, such as 30d.',
    );
  });
});
