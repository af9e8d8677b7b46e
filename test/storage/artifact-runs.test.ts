/**
 * Backups stored as artifacts by earlier workflow runs, read by the actions that run later:
 * the restore's `latest` and a backup URI printed by another run (etcd-restore-ha's own
 * findRestoreBackup, inputs as the runner gives them), and the backup actions' history.
 * Against Azurite behind the stand-in of GitHub's results service and REST API
 * (test/support/artifact-service.ts), which lists a repository's artifacts across runs.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openHistorySource } from "../../src/actions/common/backup-source.ts";
import { findRestoreBackup } from "../../src/actions/etcd-restore-ha/run.ts";
import { X25519Identity } from "../../src/core/crypto/age.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { runContextFromEnvironment } from "../../src/core/run-context.ts";
import { createArtifactStore } from "../../src/core/storage/artifact.ts";
import { readBackup, storeBackup } from "../../src/core/storage/pipeline.ts";
import { backupHistoryMarkdown } from "../../src/procedures/backup-history.ts";
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
  tempDir = await mkdtemp(path.join(tmpdir(), "artifact-runs-"));
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

/** What etcd-backup stores in a step of `run`: one encrypted user-etcd backup. */
async function backUpIn(run: WorkflowRun, cluster: string, createdAt: Date, bytes: number) {
  enterStep(run);
  const source = generatedPayload(bytes);
  const stored = await storeBackup(thisRunsArtifacts(), {
    cluster,
    kind: "user-etcd",
    source,
    compression: "zstd",
    recipients: [identity.recipient],
    createdAt,
    logger: recordingLogger(),
  });
  return {
    uri: stored.location.uri,
    timestamp: stored.location.timestamp,
    sha256: source.sha256(),
  };
}

function thisRunsArtifacts() {
  return createArtifactStore({
    logger: recordingLogger(),
    context: runContextFromEnvironment(process.env),
  });
}

/** A repository of the test's own, so that other tests' runs are not in its listing. */
function newRepository(name: string) {
  const repository = { owner: "example-org", name };
  return { newRun: () => service.newRun(repository) };
}

describe("etcd-restore-ha reads the artifacts of the repository's earlier runs", () => {
  it("latest finds the newest backup of an earlier run, and it restores byte-identical", async () => {
    const repository = newRepository("restore-latest");
    const firstBackupRun = repository.newRun();
    await backUpIn(firstBackupRun, "uc1", new Date("2026-10-01T01:00:00Z"), 1000);
    const secondBackupRun = repository.newRun();
    const newest = await backUpIn(secondBackupRun, "uc1", new Date("2026-10-02T01:00:00Z"), 2000);
    // A newer backup of another cluster, and one in another repository, are not candidates.
    await backUpIn(secondBackupRun, "uc2", new Date("2026-10-03T01:00:00Z"), 10);
    await backUpIn(service.newRun(), "uc1", new Date("2026-10-04T01:00:00Z"), 10);

    enterStep(repository.newRun(), {
      destination: "artifact",
      backup: "latest",
      "github-token": service.restToken,
    });
    const logger = recordingLogger();
    const { store, backup } = await findRestoreBackup(
      "uc1",
      logger,
      runContextFromEnvironment(process.env),
    );
    expect(backup.location.uri).toBe(newest.uri);
    expect(store.description).toBe("GitHub artifacts of every run of example-org/restore-latest");
    const restored = hashingDestination();
    await readBackup(store, backup, restored.destination, { identities: [identity], logger });
    expect(restored.received()).toEqual({ sha256: newest.sha256, bytes: 2000 });
  });

  it("a backup URI that another run printed is found without a destination, in one run with run-id", async () => {
    const repository = newRepository("restore-uri");
    const backupRun = repository.newRun();
    const older = await backUpIn(backupRun, "uc1", new Date("2026-11-01T01:00:00Z"), 500);
    const laterRun = repository.newRun();
    await backUpIn(laterRun, "uc1", new Date("2026-11-02T01:00:00Z"), 600);
    expect(older.uri).toBe(`artifact/uc1/user-etcd/${older.timestamp}`);

    enterStep(repository.newRun(), { backup: older.uri, "github-token": service.restToken });
    const context = runContextFromEnvironment(process.env);
    const found = await findRestoreBackup("uc1", recordingLogger(), context);
    expect(found.backup.location.uri).toBe(older.uri);
    expect(found.backup.manifest.timestamp).toBe(older.timestamp);

    enterStep(repository.newRun(), {
      backup: older.uri,
      "github-token": service.restToken,
      "run-id": String(backupRun.workflowRunId),
    });
    const inItsRun = await findRestoreBackup("uc1", recordingLogger(), context);
    expect(inItsRun.store.description).toBe(
      `GitHub artifacts of run ${backupRun.workflowRunId} in example-org/restore-uri`,
    );
    expect(inItsRun.backup.location.uri).toBe(older.uri);

    // The same URI looked for in a run that did not make it names the run and the newest there.
    enterStep(repository.newRun(), {
      backup: older.uri,
      "github-token": service.restToken,
      "run-id": String(laterRun.workflowRunId),
    });
    await expect(findRestoreBackup("uc1", recordingLogger(), context)).rejects.toThrow(
      `No complete user-etcd backup of uc1 at ${older.timestamp} in GitHub artifacts of run ${laterRun.workflowRunId} in example-org/restore-uri; the newest there is 20261102T010000Z.`,
    );
  });

  it("without github-token, one error names the input before anything is read", async () => {
    const run = newRepository("restore-no-token").newRun();
    enterStep(run, { destination: "artifact", backup: "latest", "github-token": "" });
    const before = service.requests.length;
    await expect(
      findRestoreBackup("uc1", recordingLogger(), runContextFromEnvironment(process.env)),
    ).rejects.toThrow(
      "Input destination is artifact: the backups of earlier runs are listed with github-token (actions: read) in the workflow's repository, and github-token is empty; give github-token: ${{ github.token }}, or an s3:// or file:// destination.",
    );
    expect(service.requests.length).toBe(before);
  });
});

describe("the backup history of artifacts spans the repository's runs", () => {
  /** The values of the first chart (database size), oldest first. */
  function chartedSizes(markdown: string): number[] {
    const line = /^ {2}line \[(.*)\]$/m.exec(markdown)?.[1] ?? "";
    return line ? line.split(", ").map(Number) : [];
  }

  it("charts the backups of earlier runs and this run's, one point each", async () => {
    const repository = newRepository("history");
    await backUpIn(repository.newRun(), "uc1", new Date("2026-12-01T01:00:00Z"), 1000);
    await backUpIn(repository.newRun(), "uc1", new Date("2026-12-02T01:00:00Z"), 2000);
    const thisRun = repository.newRun();
    await backUpIn(thisRun, "uc1", new Date("2026-12-03T01:00:00Z"), 3000);

    enterStep(thisRun, { destination: "artifact", "github-token": service.restToken });
    const logger = recordingLogger();
    const context = runContextFromEnvironment(process.env);
    const source = await openHistorySource(thisRunsArtifacts(), logger, context);
    const markdown = await backupHistoryMarkdown({
      store: source,
      logger,
      targets: [{ cluster: "uc1", kind: "user-etcd" }],
    });
    expect(markdown).toContain(
      "### Backup history at GitHub artifacts of every run of example-org/history",
    );
    // Three points, from two earlier runs and this one, growing as the backups did.
    const sizes = chartedSizes(markdown);
    expect(sizes).toHaveLength(3);
    expect(sizes[0]).toBeLessThan(sizes[1]!);
    expect(sizes[1]).toBeLessThan(sizes[2]!);

    // Without a token, as before: this run's backup only, and a line saying why.
    enterStep(thisRun, { destination: "artifact", "github-token": "" });
    const alone = recordingLogger();
    const onlyThisRun = await backupHistoryMarkdown({
      store: await openHistorySource(thisRunsArtifacts(), alone, context),
      logger: alone,
      targets: [{ cluster: "uc1", kind: "user-etcd" }],
    });
    expect(onlyThisRun).toContain("### Backup history at GitHub artifacts of this workflow run");
    expect(chartedSizes(onlyThisRun)).toHaveLength(1);
    expect(alone.lines.join("\n")).toContain(
      "github-token is empty, so the history shows only this run's backups",
    );
  });

  it("a token the API refuses is a line in the summary and a warning, not a failure", async () => {
    const thisRun = newRepository("history-refused").newRun();
    await backUpIn(thisRun, "uc1", new Date("2026-12-05T01:00:00Z"), 100);
    enterStep(thisRun, { destination: "artifact", "github-token": "ghp_refused" });
    const logger = recordingLogger();
    const markdown = await backupHistoryMarkdown({
      store: await openHistorySource(
        thisRunsArtifacts(),
        logger,
        runContextFromEnvironment(process.env),
      ),
      logger,
      targets: [{ cluster: "uc1", kind: "user-etcd" }],
    });
    expect(markdown).toMatch(
      /#### uc1\n\nthe backups of uc1 could not be listed for the history: .*Bad credentials/,
    );
    expect(logger.lines.join("\n")).toContain(
      "warning: History: the backups of uc1 could not be listed for the history",
    );
    expect(markdown).not.toContain("ghp_refused");
  });
});
