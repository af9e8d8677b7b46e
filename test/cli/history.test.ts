/**
 * `etcd-backup-actions history` as an operator runs it: the real CLI in a child process,
 * reading backups that the real storage pipeline wrote to a folder and to S3 (s3rver). Bad
 * flags are refused with one sentence and exit code 2; the table and the JSON show every
 * backup, newest first, with what its manifest records.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FlagError } from "../../src/cli/backup.ts";
import { parseHistoryFlags } from "../../src/cli/history.ts";
import { formatBytes } from "../../src/core/format.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { storeBackup, type StoredBackup } from "../../src/core/storage/pipeline.ts";
import { createS3Store } from "../../src/core/storage/s3.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import type { SnapshotStore } from "../../src/core/storage/types.ts";
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from "../support/s3-server.ts";
import { runCli } from "../support/cli-process.ts";

const run = promisify(execFile);
const BUCKET = "etcd-backups";

let work: string;
let recipient: string;
let s3: S3TestServer;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cli-history-"));
  s3 = await startS3Server({ buckets: [BUCKET] });
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
});

afterAll(async () => {
  await s3?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Three encrypted backups of uc1 a day apart, growing, and one clear-text backup of uc2. */
async function storeSomeBackups(store: SnapshotStore): Promise<StoredBackup[]> {
  const logger = recordingLogger();
  const stored: StoredBackup[] = [];
  for (const [index, day] of ["2026-12-01", "2026-12-02", "2026-12-03"].entries()) {
    stored.push(
      await storeBackup(store, {
        cluster: "uc1",
        kind: "user-etcd",
        source: Readable.from([Buffer.alloc(20_000 * (index + 1), index + 1)]),
        recipients: [recipient],
        sourceInfo: {
          namespace: "uc1",
          pod: "kube-etcd-1",
          member: "kube-etcd-1",
          node: "admin-node-1",
        },
        etcd: { revision: 5000 + index * 100, keyCount: 800 + index * 10 },
        createdAt: new Date(`${day}T06:00:00Z`),
        logger,
      }),
    );
  }
  stored.push(
    await storeBackup(store, {
      cluster: "uc2",
      kind: "user-etcd",
      source: Readable.from([Buffer.alloc(5_000, 7)]),
      allowUnencrypted: true,
      compression: "none",
      sourceInfo: {
        namespace: "uc2",
        pod: "kube-etcd-0",
        member: "kube-etcd-0",
        node: "admin-node-0",
      },
      etcd: { revision: 42, keyCount: 40 },
      createdAt: new Date("2026-12-03T07:00:00Z"),
      logger,
    }),
  );
  return stored;
}

/** What the JSON output must say of a stored backup: its manifest's facts. */
function expectedEntry(backup: StoredBackup) {
  const { manifest, location } = backup;
  return {
    cluster: manifest.cluster,
    kind: manifest.kind,
    timestamp: manifest.timestamp,
    createdAt: manifest.createdAt,
    revision: manifest.etcd!.revision,
    keys: manifest.etcd!.keyCount,
    size: manifest.payload.plaintext.bytes,
    storedSize: manifest.payload.stored.bytes,
    encryption: manifest.payload.encryption.method === "age" ? "age (1 recipient)" : "none",
    member: manifest.source.member,
    node: manifest.source.node,
    uri: location.uri,
  };
}

describe("history flags", () => {
  const valid = { destination: "file:///var/backups/etcd", output: "table" };

  it("turns valid flags into a request", () => {
    expect(parseHistoryFlags({ ...valid, cluster: "uc1", output: "json" }, {})).toEqual({
      destination: { type: "file", path: "/var/backups/etcd", uri: "file:///var/backups/etcd" },
      cluster: "uc1",
      output: "json",
    });
  });

  it.each([
    {
      problem: "no destination",
      flags: { destination: undefined },
      says: /^--destination is required/,
    },
    {
      problem: "a bare path",
      flags: { destination: "/var/backups" },
      says: /^--destination: .*bare path; write it as a URL, file:\/\/\/var\/backups/,
    },
    {
      problem: "artifact outside GitHub Actions",
      flags: { destination: "artifact" },
      says: /^--destination artifact works only inside a GitHub Actions job/,
    },
    {
      problem: "a cluster name that is no namespace",
      flags: { cluster: "UC_1" },
      says: /^--cluster: "UC_1" is not a cluster name; expected admin or a user cluster's name/,
    },
    {
      problem: "an unknown output",
      flags: { output: "yaml" },
      says: /^--output: "yaml" is not known; expected table or json/,
    },
    {
      problem: "a secret where none belongs",
      flags: {
        cluster: "AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
      },
      says: /^--cluster holds a value that looks like .*not shown/,
    },
  ])("refuses $problem with one sentence naming the flag", ({ flags, says }) => {
    const attempt = () => parseHistoryFlags({ ...valid, ...flags } as typeof valid, {});
    expect(attempt).toThrow(FlagError);
    expect(attempt).toThrow(says);
    try {
      attempt();
    } catch (error) {
      expect((error as Error).message).not.toContain("QQQQQQQQ");
    }
  });

  it("exits 2 from the real CLI for a bad flag, before reading anything", async () => {
    const result = await runCli(["history", "--destination", "/var/backups"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: --destination: .*bare path/m);
    expect(result.stdout).toBe("");
  });
});

describe("history of a folder destination", () => {
  let folder: string;
  let stored: StoredBackup[];

  beforeAll(async () => {
    folder = join(work, "folder");
    stored = await storeSomeBackups(new FileStore(folder, { logger: recordingLogger() }));
  });

  it("prints a table per cluster, newest first, with what each manifest records", async () => {
    const result = await runCli(["history", "--destination", `file://${folder}`]);
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split("\n");
    const uc1 = lines.indexOf("uc1 (user-etcd)");
    const uc2 = lines.indexOf("uc2 (user-etcd)");
    expect(uc1).toBeGreaterThanOrEqual(0);
    expect(uc2).toBeGreaterThan(uc1);
    expect(lines[uc1 + 1]!.split(/\s{2,}/)).toEqual([
      "TIMESTAMP",
      "REVISION",
      "KEYS",
      "SIZE",
      "STORED",
      "ENCRYPTION",
      "MEMBER (NODE)",
      "URI",
    ]);
    const rows = lines.slice(uc1 + 2, uc1 + 5).map((line) => line.split(/\s{2,}/));
    expect(rows.map((row) => row[0])).toEqual([
      "2026-12-03T06:00:00Z",
      "2026-12-02T06:00:00Z",
      "2026-12-01T06:00:00Z",
    ]);
    const newest = stored[2]!;
    expect(rows[0]).toEqual([
      "2026-12-03T06:00:00Z",
      "5200",
      "820",
      "58.6 KiB",
      formatBytes(newest.manifest.payload.stored.bytes),
      "age (1 recipient)",
      "kube-etcd-1 (admin-node-1)",
      newest.location.uri,
    ]);
    expect(lines[uc2 + 2]!.split(/\s{2,}/)).toEqual([
      "2026-12-03T07:00:00Z",
      "42",
      "40",
      "4.9 KiB",
      "4.9 KiB",
      "none",
      "kube-etcd-0 (admin-node-0)",
      stored[3]!.location.uri,
    ]);
  });

  it("prints one cluster as JSON for scripts, and a URI a restore takes", async () => {
    const result = await runCli([
      "history",
      "--destination",
      `file://${folder}`,
      "--cluster",
      "uc1",
      "-o",
      "json",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(stored.slice(0, 3).reverse().map(expectedEntry));
  });

  it("fails with one line when the cluster has no backup there", async () => {
    const result = await runCli([
      "history",
      "--destination",
      `file://${folder}`,
      "--cluster",
      "uc9",
    ]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      `No backup of uc9 is listed at file://${folder}; check the destination (and --cluster).`,
    );
  });

  it("names a backup whose manifest is damaged and lists the others", async () => {
    const damaged = join(work, "damaged");
    const backups = await storeSomeBackups(new FileStore(damaged, { logger: recordingLogger() }));
    const broken = backups[1]!.location;
    await writeFile(
      join(damaged, broken.cluster, broken.kind, broken.timestamp, "manifest.json"),
      "{ not json",
    );
    const result = await runCli([
      "history",
      "--destination",
      `file://${damaged}`,
      "--cluster",
      "uc1",
      "-o",
      "json",
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).map((entry: { uri: string }) => entry.uri)).toEqual([
      backups[2]!.location.uri,
      backups[0]!.location.uri,
    ]);
    expect(result.stderr).toContain(
      `Left out ${broken.uri}: The manifest of ${broken.uri} is not valid JSON`,
    );
  });
});

describe("history of an S3 destination (s3rver)", () => {
  it("lists the same facts from S3 as from a folder", async () => {
    const store = createS3Store({
      url: `s3://${BUCKET}/site-a`,
      endpoint: s3.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: S3RVER_CREDENTIALS,
      logger: recordingLogger(),
    });
    const stored = await storeSomeBackups(store);
    const result = await runCli(
      [
        "history",
        "--destination",
        `s3://${BUCKET}/site-a`,
        "--s3-endpoint",
        s3.endpoint,
        "-o",
        "json",
      ],
      {
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        AWS_REGION: "us-east-1",
      },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const expected = [stored[3]!, stored[2]!, stored[1]!, stored[0]!].map(expectedEntry);
    // Newest first across clusters: uc2's 07:00 backup, then uc1's.
    expect(JSON.parse(result.stdout)).toEqual(expected);
    expect(expected[0]!.uri).toMatch(
      /^s3:\/\/etcd-backups\/site-a\/uc2\/user-etcd\/20261203T070000Z/,
    );
  });
});
