/**
 * admin-restore finds its two backups (admin-etcd and admin-pki) among the artifacts of the
 * repository's earlier runs, as etcd-restore-ha does: `latest` with `destination: artifact`
 * and `github-token`, or a URI another run printed, in one run with `run-id`. Against
 * Azurite behind the stand-in of GitHub's results service and REST API
 * (test/support/artifact-service.ts), with the action's own findAdminBackup and its inputs
 * as the runner gives them.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { findAdminBackup } from "../../src/actions/admin-restore/run.ts";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { runContextFromEnvironment } from "../../src/core/run-context.ts";
import { createArtifactStore } from "../../src/core/storage/artifact.ts";
import { readBackup, storeBackup } from "../../src/core/storage/pipeline.ts";
import type { BackupKind } from "../../src/core/storage/types.ts";
import {
  startArtifactService,
  type ArtifactService,
  type WorkflowRun,
} from "../support/artifact-service.ts";
import { startAzurite, type AzuriteBlob } from "../support/azurite.ts";
import { generatedPayload, hashingDestination } from "../support/s3-artifact-streams.ts";

let azurite: AzuriteBlob;
let service: ArtifactService;
let tempDir: string;
const savedEnvironment = { ...process.env };
const { identity } = X25519Identity.generate();

beforeAll(async () => {
  azurite = await startAzurite();
  service = await startArtifactService({ azuriteAccountUrl: azurite.accountUrl });
});

afterAll(async () => {
  process.env = savedEnvironment;
  await service?.close();
  await azurite?.stop();
});

beforeEach(async () => {
  tempDir = await mkdtemp(path.join(tmpdir(), "admin-artifact-runs-"));
});

afterEach(async () => {
  process.env = { ...savedEnvironment };
  await rm(tempDir, { recursive: true, force: true });
});

/** A job step of `run`, as the runner sets it up, with the action's inputs. */
function enterStep(run: WorkflowRun, inputs: Record<string, string> = {}): void {
  process.env = {
    ...savedEnvironment,
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: `${run.repositoryOwner}/${run.repositoryName}`,
    GITHUB_RUN_ID: String(run.workflowRunId),
    GITHUB_API_URL: service.url,
    ACTIONS_RUNTIME_TOKEN: run.runtimeToken,
    ACTIONS_RESULTS_URL: `${service.url}/`,
    RUNNER_TEMP: tempDir,
  };
  for (const [name, value] of Object.entries(inputs)) {
    process.env[`INPUT_${name.toUpperCase()}`] = value;
  }
}

/** What etcd-backup (admin-etcd) or admin-pki-backup (admin-pki) stores in a step of `run`. */
async function backUpIn(run: WorkflowRun, kind: BackupKind, createdAt: Date, bytes: number) {
  enterStep(run);
  const source = generatedPayload(bytes);
  const stored = await storeBackup(
    createArtifactStore({
      logger: recordingLogger(),
      context: runContextFromEnvironment(process.env),
    }),
    {
      cluster: "admin",
      kind,
      source,
      compression: "zstd",
      recipients: [identity.recipient],
      createdAt,
      logger: recordingLogger(),
    },
  );
  return {
    uri: stored.location.uri,
    timestamp: stored.location.timestamp,
    sha256: source.sha256(),
  };
}

/** A repository of the test's own, so that other tests' runs are not in its listing. */
function newRepository(name: string) {
  const repository = { owner: "example-org", name };
  return { newRun: () => service.newRun(repository) };
}

const context = () => runContextFromEnvironment(process.env);

describe("admin-restore reads the artifacts of the repository's earlier runs", () => {
  it("latest finds the newest admin-etcd and admin-pki backups of earlier runs, and each reads back byte-identical", async () => {
    const repository = newRepository("admin-restore-latest");
    const nightly = repository.newRun();
    await backUpIn(nightly, "admin-etcd", new Date("2026-10-01T01:00:00Z"), 1000);
    const pki = await backUpIn(nightly, "admin-pki", new Date("2026-10-01T01:05:00Z"), 300);
    const nextNightly = repository.newRun();
    const etcd = await backUpIn(nextNightly, "admin-etcd", new Date("2026-10-02T01:00:00Z"), 2000);
    // A newer admin backup in another repository is not a candidate.
    await backUpIn(service.newRun(), "admin-etcd", new Date("2026-10-03T01:00:00Z"), 10);

    enterStep(repository.newRun(), {
      destination: "artifact",
      "etcd-backup": "latest",
      "pki-backup": "latest",
      "github-token": service.restToken,
    });
    const logger = recordingLogger();
    const foundEtcd = await findAdminBackup("etcd-backup", "admin-etcd", logger, context());
    const foundPki = await findAdminBackup("pki-backup", "admin-pki", logger, context());
    expect(foundEtcd.backup.location.uri).toBe(etcd.uri);
    expect(foundPki.backup.location.uri).toBe(pki.uri);
    expect(foundEtcd.store.description).toBe(
      "GitHub artifacts of every run of example-org/admin-restore-latest",
    );
    expect(logger.lines).toContain(`The newest admin-etcd backup that verifies: ${etcd.uri}.`);
    for (const [found, expected] of [
      [foundEtcd, { sha256: etcd.sha256, bytes: 2000 }],
      [foundPki, { sha256: pki.sha256, bytes: 300 }],
    ] as const) {
      const restored = hashingDestination();
      await readBackup(found.store, found.backup, restored.destination, {
        identities: [identity],
        logger,
      });
      expect(restored.received()).toEqual(expected);
    }
    expect(logger.lines.join("\n")).not.toContain(service.restToken);
  });

  it("a URI another run printed is found without a destination, and in that run with run-id", async () => {
    const repository = newRepository("admin-restore-uri");
    const backupRun = repository.newRun();
    const older = await backUpIn(backupRun, "admin-etcd", new Date("2026-11-01T01:00:00Z"), 500);
    const laterRun = repository.newRun();
    await backUpIn(laterRun, "admin-etcd", new Date("2026-11-02T01:00:00Z"), 600);
    expect(older.uri).toBe(`artifact/admin/admin-etcd/${older.timestamp}`);

    enterStep(repository.newRun(), { "etcd-backup": older.uri, "github-token": service.restToken });
    const found = await findAdminBackup("etcd-backup", "admin-etcd", recordingLogger(), context());
    expect(found.backup.location.uri).toBe(older.uri);

    enterStep(repository.newRun(), {
      "etcd-backup": older.uri,
      "github-token": service.restToken,
      "run-id": String(backupRun.workflowRunId),
    });
    const inItsRun = await findAdminBackup(
      "etcd-backup",
      "admin-etcd",
      recordingLogger(),
      context(),
    );
    expect(inItsRun.store.description).toBe(
      `GitHub artifacts of run ${backupRun.workflowRunId} in example-org/admin-restore-uri`,
    );
    expect(inItsRun.backup.manifest.timestamp).toBe(older.timestamp);

    // The same URI in a run that did not make it: the run and the newest there are named.
    enterStep(repository.newRun(), {
      "etcd-backup": older.uri,
      "github-token": service.restToken,
      "run-id": String(laterRun.workflowRunId),
    });
    await expect(
      findAdminBackup("etcd-backup", "admin-etcd", recordingLogger(), context()),
    ).rejects.toThrow(
      `No complete admin-etcd backup of admin at ${older.timestamp} in GitHub artifacts of run ${laterRun.workflowRunId} in example-org/admin-restore-uri; the newest there is 20261102T010000Z.`,
    );
  });

  it("a URI of the wrong kind, and artifacts without github-token: one error naming the input, nothing read", async () => {
    const repository = newRepository("admin-restore-refused");
    const run = repository.newRun();
    const etcd = await backUpIn(run, "admin-etcd", new Date("2026-12-01T01:00:00Z"), 100);

    enterStep(repository.newRun(), { "pki-backup": etcd.uri, "github-token": service.restToken });
    const before = service.requests.length;
    await expect(
      findAdminBackup("pki-backup", "admin-pki", recordingLogger(), context()),
    ).rejects.toThrow(
      `Input pki-backup is the admin-etcd backup ${etcd.timestamp} of admin; expected an admin-pki backup of the admin cluster (made by admin-pki-backup).`,
    );

    enterStep(repository.newRun(), {
      destination: "artifact",
      "etcd-backup": "latest",
      "github-token": "",
    });
    await expect(
      findAdminBackup("etcd-backup", "admin-etcd", recordingLogger(), context()),
    ).rejects.toThrow(
      "Input destination is artifact: the backups of earlier runs are listed with github-token (actions: read) in the workflow's repository, and github-token is empty; give github-token: ${{ github.token }}, or an s3:// or file:// destination.",
    );
    expect(service.requests.length).toBe(before);
  });
});
