/**
 * Restore records beside the backups (`<cluster>/restores/<timestamp>.json`), on the folder
 * backend and on a real S3 server (s3rver): written and read back, and never seen by what
 * works on backups (listing, `latest`, retention), even when a record is newer than every
 * backup.
 */
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import {
  findNewestVerifiedBackup,
  storeBackup,
  verifyStoredBackup,
  type VerifiedBackup,
} from "../../src/core/storage/pipeline.ts";
import { applyRetention } from "../../src/core/storage/retention.ts";
import { createS3Store } from "../../src/core/storage/s3.ts";
import type { SnapshotStore } from "../../src/core/storage/types.ts";
import { restoreRecord, writeRestoreRecord } from "../../src/procedures/restore-record.ts";
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from "../support/s3-server.ts";
import { filesUnder, temporaryFolders } from "./support/folders.ts";

const newFolder = temporaryFolders("restore-records");
const owner = X25519Identity.generate().identity;
const HOUR = 3_600_000;
const NOW = new Date("2026-12-07T04:00:00Z");
const BUCKET = "restore-records";

let server: S3TestServer;

beforeAll(async () => {
  server = await startS3Server({ buckets: [BUCKET] });
});

afterAll(async () => {
  await server?.stop();
});

async function storeBackups(store: SnapshotStore, hoursAgo: number[]): Promise<VerifiedBackup> {
  let newest: VerifiedBackup | undefined;
  for (const hours of hoursAgo) {
    const backup = await storeBackup(store, {
      cluster: "uc1",
      kind: "user-etcd",
      source: Readable.from([Buffer.from(`backup of ${hours} h ago`)]),
      recipients: [owner.recipient],
      createdAt: new Date(NOW.getTime() - hours * HOUR),
      logger: recordingLogger(),
    });
    newest = await verifyStoredBackup(store, backup);
  }
  return newest!;
}

function sampleRecord(startedAt: Date, outcome = "restored") {
  return restoreRecord(
    {
      cluster: "uc1",
      outcome,
      backup: "file:///backups/uc1/user-etcd/20261207T040000Z/",
      revision: 1_000_000_412,
      keys: 318,
      members: ["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"],
      bump: 1_000_000_000,
      preRestoreFolders: ["kube-etcd-0:/var/lib/etcd/pre-restore-20261207T050000Z"],
      removedPreRestoreFolders: [],
      outageMs: 21_500,
      durationMs: 64_000,
      ...(outcome === "failed" ? { error: "checkMembers failed: kube-etcd-1 unhealthy" } : {}),
    },
    {
      actor: "octocat",
      via: "etcd-restore-ha",
      runUrl: "https://github.com/o/r/actions/runs/7/attempts/1",
    },
    startedAt,
    new Date(startedAt.getTime() + 64_000),
  );
}

const backends: Array<[string, () => Promise<SnapshotStore>]> = [
  ["a folder", async () => new FileStore(await newFolder())],
  [
    "S3 (s3rver)",
    async () =>
      createS3Store({
        url: `s3://${BUCKET}/run-${Math.random().toString(36).slice(2)}`,
        endpoint: server.endpoint,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: S3RVER_CREDENTIALS,
        logger: recordingLogger(),
      }),
  ],
];

describe.each(backends)("restore records in %s", (_name, openStore) => {
  it("writes a record beside the backups and reads it back, newest first", async () => {
    const store = await openStore();
    const logger = recordingLogger();
    const first = sampleRecord(new Date(NOW.getTime() + HOUR), "failed");
    const second = sampleRecord(new Date(NOW.getTime() + 2 * HOUR));
    const firstUri = await writeRestoreRecord(store, first, logger);
    const secondUri = await writeRestoreRecord(store, second, logger);
    expect(firstUri).toMatch(/\/uc1\/restores\/20261207T050000Z\.json$/);
    expect(secondUri).toMatch(/\/uc1\/restores\/20261207T060000Z\.json$/);
    const records = await store.listRestoreRecords!("uc1");
    expect(records.map((entry) => entry.timestamp)).toEqual([
      "20261207T060000Z",
      "20261207T050000Z",
    ]);
    expect(records.map((entry) => entry.uri)).toEqual([secondUri, firstUri]);
    const read = JSON.parse(records[1]!.record.toString("utf8"));
    expect(read).toEqual(first);
    expect(read).toMatchObject({
      kind: "restore",
      actor: "octocat",
      outcome: "failed",
      error: "checkMembers failed: kube-etcd-1 unhealthy",
      runUrl: "https://github.com/o/r/actions/runs/7/attempts/1",
      startedAt: "2026-12-07T05:00:00.000Z",
    });
    expect(await store.listRestoreRecords!("uc2")).toEqual([]);
  });

  it("listing, latest and retention see only the backups when a record is newest", async () => {
    const store = await openStore();
    const newest = await storeBackups(store, [3, 2, 1, 0]);
    await writeRestoreRecord(
      store,
      sampleRecord(new Date(NOW.getTime() + HOUR)),
      recordingLogger(),
    );

    const listed = await store.list({ cluster: "uc1" });
    expect(listed.map((entry) => entry.location.timestamp)).toEqual([
      "20261207T040000Z",
      "20261207T030000Z",
      "20261207T020000Z",
      "20261207T010000Z",
    ]);
    expect((await store.list()).length).toBe(4);
    const latest = await findNewestVerifiedBackup(store, { cluster: "uc1", kind: "user-etcd" });
    expect(latest.location.timestamp).toBe("20261207T040000Z");

    const retention = await applyRetention(
      store,
      newest,
      { keepLast: 2 },
      { logger: recordingLogger(), now: NOW },
    );
    expect(retention.deleted.map((location) => location.timestamp)).toEqual([
      "20261207T020000Z",
      "20261207T010000Z",
    ]);
    expect(retention.skipped).toEqual([]);
    // The record outlives the retention of backups.
    expect((await store.listRestoreRecords!("uc1")).map((entry) => entry.timestamp)).toEqual([
      "20261207T050000Z",
    ]);
  });
});

describe("restore records in a folder", () => {
  it("two records of the same second are both kept, the second a second later", async () => {
    const folder = await newFolder();
    const store = new FileStore(folder);
    const at = new Date(NOW.getTime() + HOUR);
    const first = await writeRestoreRecord(store, sampleRecord(at), recordingLogger());
    const second = await writeRestoreRecord(store, sampleRecord(at, "failed"), recordingLogger());
    expect(first).toMatch(/20261207T050000Z\.json$/);
    expect(second).toMatch(/20261207T050001Z\.json$/);
    expect(await filesUnder(folder)).toEqual([
      "uc1/restores/20261207T050000Z.json",
      "uc1/restores/20261207T050001Z.json",
    ]);
  });

  it("a record that cannot be written is a warning, never the restore's error", async () => {
    const folder = await newFolder();
    const store = new FileStore(folder);
    const logger = recordingLogger();
    const failing: SnapshotStore = {
      ...store,
      description: store.description,
      list: (filter) => store.list(filter),
      putPayload: (options, payload) => store.putPayload(options, payload),
      putManifest: (location, manifest) => store.putManifest(location, manifest),
      getPayload: (location, name) => store.getPayload(location, name),
      delete: (location) => store.delete(location),
      putRestoreRecord: () => Promise.reject(new Error("EACCES: permission denied")),
    };
    const uri = await writeRestoreRecord(failing, sampleRecord(NOW), logger);
    expect(uri).toBeUndefined();
    const warnings = logger.lines.filter((line) => line.startsWith("warning: "));
    expect(warnings).toEqual([
      expect.stringMatching(
        /restore record of uc1 could not be written .*EACCES: permission denied.*outcome \(restored\) stands/,
      ),
    ]);
  });
});
