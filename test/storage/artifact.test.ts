/**
 * The GitHub artifact backend (our client of the @actions/artifact protocol), against Azurite
 * (the blob store) and a stand-in for GitHub's results service and REST API on 127.0.0.1.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { sha256Hex } from "../../src/core/crypto/hash.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { runContextFromEnvironment } from "../../src/core/run-context.ts";
import {
  findBackup,
  readBackup,
  storeBackup,
  verifyStoredBackup,
} from "../../src/core/storage/pipeline.ts";
import type {
  ArtifactStoreOptions,
  ArtifactSnapshotStore,
} from "../../src/core/storage/artifact.ts";
import type { Compression } from "../../src/core/storage/compression.ts";
import type { BackupLocation, PutOptions } from "../../src/core/storage/types.ts";
import {
  startArtifactService,
  type ArtifactService,
  type WorkflowRun,
} from "../support/artifact-service.ts";
import { startAzurite, type AzuriteBlob } from "../support/azurite.ts";
import {
  generatedPayload,
  hashingDestination,
  payloadFailingAfter,
  sha256AndSizeOf,
} from "../support/s3-artifact-streams.ts";
import { COMPRESSION_AND_ENCRYPTION, describeCase } from "./support/combinations.ts";

// Raw artifacts up to 128 MiB here; 1 GB through the pipeline is in large.test.ts.
const LARGE_BYTES = 128 * 1024 * 1024;

let azurite: AzuriteBlob;
let service: ArtifactService;
let stagingDir: string;
let createArtifactStore: (options: ArtifactStoreOptions) => ArtifactSnapshotStore;
const savedEnvironment = { ...process.env };

beforeAll(async () => {
  azurite = await startAzurite();
  service = await startArtifactService({ azuriteAccountUrl: azurite.accountUrl });
  process.env.ACTIONS_RESULTS_URL = `${service.url}/`;
  // @actions/github fixes its API base URL when first imported: set it before that.
  process.env.GITHUB_API_URL = service.url;
  delete process.env.GITHUB_SERVER_URL;
  delete process.env.GITHUB_RETENTION_DAYS;
  ({ createArtifactStore } = await import("../../src/core/storage/artifact.ts"));
});

afterAll(async () => {
  process.env = savedEnvironment;
  await service?.close();
  await azurite?.stop();
});

beforeEach(async () => {
  stagingDir = await mkdtemp(path.join(tmpdir(), "artifact-test-staging-"));
});

afterEach(async () => {
  await rm(stagingDir, { recursive: true, force: true });
});

/** Becomes a step of a new workflow run, as the runner would set it up. */
function enterNewRun(): WorkflowRun {
  const run = service.newRun();
  enterRun(run);
  return run;
}

function enterRun(run: WorkflowRun): void {
  process.env.ACTIONS_RUNTIME_TOKEN = run.runtimeToken;
}

function store(options: Partial<ArtifactStoreOptions> = {}) {
  // As the front door does: the runner's facts read when the store is made.
  return createArtifactStore({
    logger: recordingLogger(),
    context: runContextFromEnvironment(process.env),
    stagingDir,
    ...options,
  });
}

function putOptions(overrides: Partial<PutOptions> = {}): PutOptions {
  return {
    cluster: "uc1",
    kind: "user-etcd",
    timestamp: "20261127T120000Z",
    payloadName: "snapshot.db.zst.age",
    ...overrides,
  };
}

async function storeRawBackup(options: PutOptions, content = "payload"): Promise<BackupLocation> {
  const backups = store();
  const { location } = await backups.putPayload(options, Readable.from([Buffer.from(content)]));
  await backups.putManifest(
    location,
    Buffer.from(JSON.stringify({ timestamp: options.timestamp })),
  );
  return location;
}

async function stagingLeftovers(): Promise<string[]> {
  return readdir(stagingDir);
}

describe("artifact backend round trips", () => {
  it.each([
    ["0 bytes", 0],
    ["1 byte", 1],
    [`${LARGE_BYTES / 1024 / 1024} MiB`, LARGE_BYTES],
  ])("stores and reads back %s byte-identical as two raw artifacts", async (_label, size) => {
    const run = enterNewRun();
    const backups = store({ retentionDays: 7 });
    const payload = generatedPayload(size);
    const { location, storedBytes } = await backups.putPayload(putOptions(), payload);
    await backups.putManifest(location, Buffer.from('{"cluster":"uc1"}'));

    expect(storedBytes).toBe(size);
    expect(location.uri).toBe("artifact/uc1/user-etcd/20261127T120000Z");
    const listed = await backups.list();
    expect(listed.map((backup) => backup.manifest.toString())).toEqual(['{"cluster":"uc1"}']);
    const readBack = await sha256AndSizeOf(
      await backups.getPayload(location, "snapshot.db.zst.age"),
    );
    expect(readBack).toEqual({ sha256: payload.sha256(), bytes: size });

    const artifacts = service.artifactsOf(run);
    expect(artifacts.map((artifact) => [artifact.name, artifact.finalized])).toEqual([
      ["etcd-backup.uc1.user-etcd.20261127T120000Z.snapshot.db.zst.age", true],
      ["etcd-backup.uc1.user-etcd.20261127T120000Z.manifest.json", true],
    ]);
    // Retention days reach the service as an expiry date a week out.
    const expiresInDays =
      (Date.parse(artifacts[0]!.expiresAt!) - Date.now()) / (24 * 60 * 60 * 1000);
    expect(expiresInDays).toBeGreaterThan(6.9);
    expect(expiresInDays).toBeLessThan(7.1);
    expect(await stagingLeftovers()).toEqual([]);
  });
});

describe("artifact backend listing and delete", () => {
  it("lists complete backups of this run newest first, and never one without a manifest", async () => {
    enterNewRun();
    for (const timestamp of ["20261101T010000Z", "20261103T010000Z", "20261102T010000Z"]) {
      await storeRawBackup(putOptions({ timestamp }));
    }
    await storeRawBackup(
      putOptions({
        cluster: "admin",
        kind: "admin-pki",
        timestamp: "20261104T010000Z",
        payloadName: "pki.tar.zst.age",
      }),
    );
    // An interrupted backup: the payload arrived, the manifest never did.
    await store().putPayload(putOptions({ timestamp: "20261105T010000Z" }), Readable.from(["x"]));

    const all = await store().list();
    expect(all.map((backup) => backup.location.uri)).toEqual([
      "artifact/admin/admin-pki/20261104T010000Z",
      "artifact/uc1/user-etcd/20261103T010000Z",
      "artifact/uc1/user-etcd/20261102T010000Z",
      "artifact/uc1/user-etcd/20261101T010000Z",
    ]);
    expect(JSON.parse(all[1]!.manifest.toString())).toEqual({ timestamp: "20261103T010000Z" });
    const userOnly = await store().list({ cluster: "uc1", kind: "user-etcd" });
    expect(userOnly).toHaveLength(3);
    expect(await store().list({ kind: "admin-etcd" })).toEqual([]);
    expect(await stagingLeftovers()).toEqual([]);
  });

  it("does not see the backups of another run without being pointed at it", async () => {
    enterNewRun();
    await storeRawBackup(putOptions());
    enterNewRun();
    expect(await store().list()).toEqual([]);
  });

  it("delete removes both artifacts of one backup and keeps the others", async () => {
    const run = enterNewRun();
    const older = await storeRawBackup(putOptions({ timestamp: "20261001T000000Z" }));
    await storeRawBackup(putOptions({ timestamp: "20261002T000000Z" }));

    await store().delete(older);

    expect(service.artifactsOf(run).map((artifact) => artifact.name)).toEqual([
      "etcd-backup.uc1.user-etcd.20261002T000000Z.snapshot.db.zst.age",
      "etcd-backup.uc1.user-etcd.20261002T000000Z.manifest.json",
    ]);
    expect((await store().list()).map((backup) => backup.location.timestamp)).toEqual([
      "20261002T000000Z",
    ]);
  });

  it("a payload cut short in storage is refused with the sizes", async () => {
    const run = enterNewRun();
    const location = await storeRawBackup(putOptions(), "0123456789");
    await service.damageBlob(
      run,
      "etcd-backup.uc1.user-etcd.20261127T120000Z.snapshot.db.zst.age",
      Buffer.from("01234"),
    );
    await expect(store().getPayload(location, "snapshot.db.zst.age")).rejects.toThrow(
      "Artifact etcd-backup.uc1.user-etcd.20261127T120000Z.snapshot.db.zst.age arrived incomplete: 5 of 10 bytes; run the restore again, and if it repeats, pick another backup.",
    );
    expect(await stagingLeftovers()).toEqual([]);
  });

  it("a payload altered in storage is refused against the digest recorded at upload", async () => {
    const run = enterNewRun();
    const location = await storeRawBackup(putOptions(), "0123456789");
    await service.damageBlob(
      run,
      "etcd-backup.uc1.user-etcd.20261127T120000Z.snapshot.db.zst.age",
      Buffer.from("9876543210"),
    );
    await expect(store().getPayload(location, "snapshot.db.zst.age")).rejects.toThrow(
      /^Artifact etcd-backup\.uc1\.user-etcd\.20261127T120000Z\.snapshot\.db\.zst\.age does not match the sha256 GitHub recorded when it was uploaded \(sha256:[0-9a-f]{64}\)/,
    );
    expect(await stagingLeftovers()).toEqual([]);
  });

  it("reading a payload that is not there names the artifact", async () => {
    enterNewRun();
    const location = await storeRawBackup(putOptions());
    await expect(store().getPayload(location, "snapshot.db")).rejects.toThrow(
      "Backup payload artifact etcd-backup.uc1.user-etcd.20261127T120000Z.snapshot.db is not among the GitHub artifacts of this workflow run",
    );
  });
});

describe("artifact backend failures", () => {
  it("a source stream that breaks fails the put, uploads nothing and leaves nothing listed", async () => {
    const run = enterNewRun();
    await expect(
      store().putPayload(putOptions(), payloadFailingAfter(3 * 1024 * 1024)),
    ).rejects.toThrow(
      "Reading the backup payload for artifact etcd-backup.uc1.user-etcd.20261127T120000Z.snapshot.db.zst.age failed before anything was uploaded: source broke off mid-stream",
    );
    expect(service.artifactsOf(run)).toEqual([]);
    expect(await store().list()).toEqual([]);
    expect(await stagingLeftovers()).toEqual([]);
  });

  it("a results service that goes down mid-upload fails the put, and nothing is listed once it is back", async () => {
    const run = enterNewRun();
    const payload = generatedPayload(32 * 1024 * 1024);
    // Take the service down once the payload is on its way to the blob store, so that
    // finalizing the artifact meets a refused connection.
    const watcher = setInterval(() => {
      if (service.artifactsOf(run).length > 0) {
        clearInterval(watcher);
        void service.goDown();
      }
    }, 2);
    try {
      await expect(store().putPayload(putOptions(), payload)).rejects.toThrow(
        /^Uploading artifact etcd-backup\.uc1\.user-etcd\.20261127T120000Z\.snapshot\.db\.zst\.age to the GitHub artifacts of this workflow run failed: .*ECONNREFUSED/,
      );
    } finally {
      clearInterval(watcher);
      await service.comeBack();
    }
    expect(service.artifactsOf(run)).toEqual([expect.objectContaining({ finalized: false })]);
    expect(await store().list()).toEqual([]);
    expect(await stagingLeftovers()).toEqual([]);
  });

  it("says where artifacts work when the Actions runtime is missing", async () => {
    const token = process.env.ACTIONS_RUNTIME_TOKEN;
    delete process.env.ACTIONS_RUNTIME_TOKEN;
    try {
      await expect(store().list()).rejects.toThrow(
        /ACTIONS_RUNTIME_TOKEN and ACTIONS_RESULTS_URL are not set: GitHub artifacts work only inside a GitHub Actions job; use a file:\/\/ or s3:\/\/ destination elsewhere/,
      );
    } finally {
      process.env.ACTIONS_RUNTIME_TOKEN = token;
    }
  });

  it("rejects a retention outside 1-90 days and bad backup facts before uploading", async () => {
    const run = enterNewRun();
    expect(() => store({ retentionDays: 400 })).toThrow(
      "Artifact retention of 400 days is not valid: expected a whole number of days from 1 to 90.",
    );
    await expect(
      store().putPayload(putOptions({ timestamp: "yesterday" }), Readable.from(["x"])),
    ).rejects.toThrow('The backup timestamp "yesterday" is not valid');
    await expect(
      store().putPayload(putOptions({ cluster: "uc1.evil" }), Readable.from(["x"])),
    ).rejects.toThrow('The cluster name "uc1.evil" is not valid');
    expect(service.artifactsOf(run)).toEqual([]);
  });
});

describe("artifact backend reading another run (findBy, REST API with a token)", () => {
  it("lists and downloads the backups of the run that made them, byte-identical", async () => {
    const backupRun = enterNewRun();
    const payload = generatedPayload(3 * 1024 * 1024 + 3);
    const writer = store();
    const { location } = await writer.putPayload(putOptions(), payload);
    await writer.putManifest(location, Buffer.from('{"from":"backup run"}'));

    enterNewRun(); // the restore workflow, a different run
    const reader = store({
      otherRun: {
        token: service.restToken,
        workflowRunId: backupRun.workflowRunId,
        repositoryOwner: backupRun.repositoryOwner,
        repositoryName: backupRun.repositoryName,
      },
    });
    const listed = await reader.list();
    expect(listed.map((backup) => [backup.location.uri, backup.manifest.toString()])).toEqual([
      ["artifact/uc1/user-etcd/20261127T120000Z", '{"from":"backup run"}'],
    ]);
    const readBack = await sha256AndSizeOf(
      await reader.getPayload(listed[0]!.location, "snapshot.db.zst.age"),
    );
    expect(readBack).toEqual({ sha256: payload.sha256(), bytes: 3 * 1024 * 1024 + 3 });
    expect(reader.description).toBe(
      `GitHub artifacts of run ${backupRun.workflowRunId} in example-org/etcd-backups`,
    );
    await expect(reader.putPayload(putOptions(), Readable.from(["x"]))).rejects.toThrow(
      `Backups are uploaded to the artifacts of the run that makes them, not to GitHub artifacts of run ${backupRun.workflowRunId} in example-org/etcd-backups`,
    );
    expect(await stagingLeftovers()).toEqual([]);
  });

  it("without a run id, finds the backups of every earlier run of the repository, newest first", async () => {
    // A repository of its own: the other tests' runs are in the default one.
    const ownRepository = { owner: "example-org", name: "repository-wide" };
    const firstRun = service.newRun(ownRepository);
    enterRun(firstRun);
    const older = await storeRawBackup(putOptions({ timestamp: "20261001T000000Z" }), "first run");
    const secondRun = service.newRun(ownRepository);
    enterRun(secondRun);
    const newer = await storeRawBackup(putOptions({ timestamp: "20261002T000000Z" }), "second run");
    // Another repository's backup of the same cluster is not this repository's.
    enterRun(service.newRun({ owner: "example-org", name: "other-repository" }));
    await storeRawBackup(putOptions({ timestamp: "20261003T000000Z" }), "elsewhere");

    enterNewRun(); // the restore workflow
    const repository = store({
      otherRun: {
        token: service.restToken,
        repositoryOwner: firstRun.repositoryOwner,
        repositoryName: firstRun.repositoryName,
      },
    });
    expect(repository.description).toBe(
      "GitHub artifacts of every run of example-org/repository-wide",
    );
    const listed = await repository.list({ cluster: "uc1", kind: "user-etcd" });
    expect(listed.map((backup) => backup.location.uri)).toEqual([newer.uri, older.uri]);
    const latest = await sha256AndSizeOf(
      await repository.getPayload(listed[0]!.location, "snapshot.db.zst.age"),
    );
    expect(latest).toEqual({ sha256: sha256Hex("second run"), bytes: "second run".length });
    await repository.delete(older);
    expect(service.artifactsOf(firstRun)).toEqual([]);
    expect(service.artifactsOf(secondRun)).toHaveLength(2);
    expect((await repository.list()).map((backup) => backup.location.uri)).toEqual([newer.uri]);
  });

  it("deletes a backup of the run that made it", async () => {
    const backupRun = enterNewRun();
    const doomed = await storeRawBackup(putOptions({ timestamp: "20261001T000000Z" }));
    await storeRawBackup(putOptions({ timestamp: "20261002T000000Z" }));
    enterNewRun();
    const fromBackupRun = store({
      otherRun: {
        token: service.restToken,
        workflowRunId: backupRun.workflowRunId,
        repositoryOwner: backupRun.repositoryOwner,
        repositoryName: backupRun.repositoryName,
      },
    });
    await fromBackupRun.delete(doomed);
    expect(service.artifactsOf(backupRun).map((artifact) => artifact.name)).toEqual([
      "etcd-backup.uc1.user-etcd.20261002T000000Z.snapshot.db.zst.age",
      "etcd-backup.uc1.user-etcd.20261002T000000Z.manifest.json",
    ]);
  });

  it("a token the API refuses is reported with what to check", async () => {
    const backupRun = enterNewRun();
    await storeRawBackup(putOptions());
    const reader = store({
      otherRun: {
        token: "ghp_wrong",
        workflowRunId: backupRun.workflowRunId,
        repositoryOwner: backupRun.repositoryOwner,
        repositoryName: backupRun.repositoryName,
      },
    });
    await expect(reader.list()).rejects.toThrow(
      new RegExp(
        `^Listing the GitHub artifacts of run ${backupRun.workflowRunId} in example-org/etcd-backups failed: .*Bad credentials.*; check that the token has actions:read on the repository and that the run id is right`,
      ),
    );
  });

  it("rejects a run id that is not a run number", () => {
    expect(() =>
      store({
        otherRun: {
          token: "t",
          workflowRunId: Number.NaN,
          repositoryOwner: "o",
          repositoryName: "r",
        },
      }),
    ).toThrow('Workflow run id "NaN" is not valid');
  });
});

describe("artifact backend under the storage pipeline", () => {
  const PAYLOAD_NAMES: Record<Compression, string> = {
    zstd: "snapshot.db.zst",
    gzip: "snapshot.db.gz",
    none: "snapshot.db",
  };
  const cases: Array<[string, Compression, boolean, number]> = [
    ...COMPRESSION_AND_ENCRYPTION.flatMap(([compression, encrypted]) =>
      [0, 1].map((size): [string, Compression, boolean, number] => [
        `${size === 1 ? "1 byte" : `${size} bytes`} ${describeCase(compression, encrypted)}`,
        compression,
        encrypted,
        size,
      ]),
    ),
    ["12 MiB zstd, age-encrypted", "zstd", true, 12 * 1024 * 1024 + 7],
  ];
  it.each(cases)(
    "stores %s, then a restore run verifies and restores it byte-identical",
    async (_label, compression, encrypted, size) => {
      const logger = recordingLogger();
      const { identity } = X25519Identity.generate();
      const backupRun = enterNewRun();
      const source = generatedPayload(size);
      const stored = await storeBackup(store({ retentionDays: 30 }), {
        cluster: "uc1",
        kind: "user-etcd",
        source,
        compression,
        ...(encrypted ? { recipients: [identity.recipient] } : { allowUnencrypted: true }),
        logger,
      });
      const payloadName = `${PAYLOAD_NAMES[compression]}${encrypted ? ".age" : ""}`;
      expect(stored.manifest.payload.name).toBe(payloadName);
      expect(service.artifactsOf(backupRun).map((artifact) => artifact.name)).toEqual([
        `etcd-backup.uc1.user-etcd.${stored.location.timestamp}.${payloadName}`,
        `etcd-backup.uc1.user-etcd.${stored.location.timestamp}.manifest.json`,
      ]);

      // The same run verifies what it stored, as a backup job does before retention.
      await verifyStoredBackup(store(), await findBackup(store(), stored.location));

      // A restore workflow reads it from the backup's run with a token.
      enterNewRun();
      const fromBackupRun = store({
        otherRun: {
          token: service.restToken,
          workflowRunId: backupRun.workflowRunId,
          repositoryOwner: backupRun.repositoryOwner,
          repositoryName: backupRun.repositoryName,
        },
      });
      const listed = await findBackup(fromBackupRun, stored.location);
      const restored = hashingDestination();
      await readBackup(fromBackupRun, listed, restored.destination, {
        identities: [identity],
        logger,
      });
      expect(restored.received()).toEqual({ sha256: source.sha256(), bytes: size });
      expect(await stagingLeftovers()).toEqual([]);
    },
  );

  it("a backup whose source breaks is not listed and leaves no artifact", async () => {
    const run = enterNewRun();
    await expect(
      storeBackup(store(), {
        cluster: "uc1",
        kind: "user-etcd",
        source: payloadFailingAfter(2 * 1024 * 1024),
        allowUnencrypted: true,
        compression: "none",
        logger: recordingLogger(),
      }),
    ).rejects.toThrow(/No backup was listed for it/);
    expect(await store().list()).toEqual([]);
    expect(service.artifactsOf(run)).toEqual([]);
  });
});
