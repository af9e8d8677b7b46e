/**
 * Restore records on the artifact backend, against Azurite and the stand-in for GitHub's
 * results service and REST API: a restore that read its backup from another run's artifacts
 * writes its record as an artifact of its own run, `etcd-backup.<cluster>.restores.<ts>.json`;
 * reading the repository's artifacts finds it, and listing and `latest` never take it for a
 * backup.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { runContextFromEnvironment } from "../../src/core/run-context.ts";
import type {
  ArtifactSnapshotStore,
  ArtifactStoreOptions,
} from "../../src/core/storage/artifact.ts";
import { findNewestVerifiedBackup, storeBackup } from "../../src/core/storage/pipeline.ts";
import { restoreRecord, writeRestoreRecord } from "../../src/procedures/restore-record.ts";
import {
  startArtifactService,
  type ArtifactService,
  type WorkflowRun,
} from "../support/artifact-service.ts";
import { startAzurite, type AzuriteBlob } from "../support/azurite.ts";

let azurite: AzuriteBlob;
let service: ArtifactService;
let stagingDir: string;
let createArtifactStore: (options: ArtifactStoreOptions) => ArtifactSnapshotStore;
const savedEnvironment = { ...process.env };
const owner = X25519Identity.generate().identity;

beforeAll(async () => {
  azurite = await startAzurite();
  service = await startArtifactService({ azuriteAccountUrl: azurite.accountUrl });
  process.env.ACTIONS_RESULTS_URL = `${service.url}/`;
  process.env.GITHUB_API_URL = service.url;
  delete process.env.GITHUB_SERVER_URL;
  delete process.env.GITHUB_RETENTION_DAYS;
  stagingDir = await mkdtemp(path.join(tmpdir(), "artifact-records-staging-"));
  ({ createArtifactStore } = await import("../../src/core/storage/artifact.ts"));
});

afterAll(async () => {
  process.env = savedEnvironment;
  await service?.close();
  await azurite?.stop();
  if (stagingDir) await rm(stagingDir, { recursive: true, force: true });
});

/** Becomes a step of a new workflow run, as the runner sets it up. */
function enterNewRun(): WorkflowRun {
  const run = service.newRun();
  process.env.ACTIONS_RUNTIME_TOKEN = run.runtimeToken;
  return run;
}

function store(options: Partial<ArtifactStoreOptions> = {}): ArtifactSnapshotStore {
  return createArtifactStore({
    logger: recordingLogger(),
    context: runContextFromEnvironment(process.env),
    stagingDir,
    ...options,
  });
}

describe("restore records as artifacts", () => {
  it("are artifacts of the restoring run, found across the repository, never listed as backups", async () => {
    const backupRun = enterNewRun();
    const backups = store();
    for (const hour of ["01", "02"]) {
      await storeBackup(backups, {
        cluster: "uc1",
        kind: "user-etcd",
        source: Readable.from([Buffer.from(`backup at ${hour}`)]),
        recipients: [owner.recipient],
        createdAt: new Date(`2026-12-07T${hour}:00:00Z`),
        logger: recordingLogger(),
      });
    }

    const restoreRun = enterNewRun();
    // As a restore of `latest` opens it: every run of the repository.
    const repository = store({
      otherRun: {
        token: service.restToken,
        repositoryOwner: backupRun.repositoryOwner,
        repositoryName: backupRun.repositoryName,
      },
    });
    const logger = recordingLogger();
    const record = restoreRecord(
      {
        cluster: "uc1",
        outcome: "restored",
        backup: "artifact/uc1/user-etcd/20261207T020000Z",
        members: ["kube-etcd-0", "kube-etcd-1", "kube-etcd-2"],
        preRestoreFolders: [],
        removedPreRestoreFolders: [],
        durationMs: 1000,
      },
      { actor: "octocat", via: "etcd-restore-ha" },
      new Date("2026-12-07T03:00:00Z"),
      new Date("2026-12-07T03:00:01Z"),
    );
    const uri = await writeRestoreRecord(repository, record, logger);
    expect(uri, logger.lines.join("\n")).toBe("artifact/uc1/restores/20261207T030000Z.json");
    expect(service.artifactsOf(restoreRun).map((artifact) => artifact.name)).toEqual([
      "etcd-backup.uc1.restores.20261207T030000Z.json",
    ]);
    expect(service.artifactsOf(backupRun)).toHaveLength(4);

    const records = await repository.listRestoreRecords("uc1");
    expect(records.map((entry) => entry.uri)).toEqual([uri]);
    expect(JSON.parse(records[0]!.record.toString("utf8"))).toEqual(record);
    expect((await repository.list()).map((backup) => backup.location.uri)).toEqual([
      "artifact/uc1/user-etcd/20261207T020000Z",
      "artifact/uc1/user-etcd/20261207T010000Z",
    ]);
    const latest = await findNewestVerifiedBackup(repository, {
      cluster: "uc1",
      kind: "user-etcd",
    });
    expect(latest.location.timestamp).toBe("20261207T020000Z");
  });
});
