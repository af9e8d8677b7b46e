/**
 * The bundled etcd-backup action (actions/etcd-backup/dist/index.js, as the runner runs it on
 * Node 24) against the sandbox: inputs as INPUT_* variables, outputs and the job summary as
 * files, each backend for real (a folder, s3rver, Azurite behind the artifact service
 * stand-in), every stored snapshot restored into a scratch etcd, and the log scanned for
 * secrets.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { etcdctl } from "../../src/core/etcd/etcdctl.ts";
import { adminClusterProfile, userClusterProfile } from "../../src/core/etcd/profiles.ts";
import { execChecked } from "../../src/core/kube/exec.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { localRunContext, runContextFromEnvironment } from "../../src/core/run-context.ts";
import { openStore, parseDestination } from "../../src/core/storage/destination.ts";
import { findBackup, restoreBackupToFile } from "../../src/core/storage/pipeline.ts";
import type { BackupKind, SnapshotStore } from "../../src/core/storage/types.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { runAction as runActionBundle } from "./action-runner.ts";
import { cleanup as cleanupEtcdFixtures, keysOfRestoredEtcd } from "../snapshot/etcd-fixture.ts";
import { startArtifactService, type ArtifactService } from "../support/artifact-service.ts";
import { startAzurite, type AzuriteBlob } from "../support/azurite.ts";
import { S3RVER_CREDENTIALS, startS3Server, type S3TestServer } from "../support/s3-server.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let work: string;
let identityText: string;
let recipient: string;
let s3: S3TestServer;
let azurite: AzuriteBlob;
let artifacts: ArtifactService;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "etcd-backup-action-"));
  // All settle, and each is kept once up, so afterAll stops it even when another failed.
  const starts = await Promise.allSettled([
    startSandbox({}).then((started) => (sandbox = started)),
    startS3Server({ buckets: ["etcd-backups"] }).then((started) => (s3 = started)),
    startAzurite().then((started) => (azurite = started)),
  ]);
  for (const start of starts) if (start.status === "rejected") throw start.reason;
  artifacts = await startArtifactService({ azuriteAccountUrl: azurite.accountUrl });
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
  identityText = await readFile(join(work, "key.txt"), "utf8");
});

afterAll(async () => {
  await Promise.all([sandbox?.stop(), s3?.stop(), artifacts?.close(), azurite?.stop()]);
  await cleanupEtcdFixtures();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the etcd-backup bundle as the runner would. */
function runAction(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runActionBundle("etcd-backup", work, inputs, env);
}

async function liveKeys(cluster: string): Promise<string[]> {
  const profile = cluster === "admin" ? adminClusterProfile() : userClusterProfile(cluster);
  const pod = cluster === "admin" ? sandbox.layout.admin.etcdPod : "kube-etcd-0";
  const { stdout } = await execChecked(await loadKubeconfig({ path: sandbox.kubeconfigPath }), {
    namespace: profile.namespace,
    pod,
    container: profile.container,
    command: etcdctl(profile, "get", "", "--prefix", "--keys-only"),
  });
  return stdout.split("\n").filter(Boolean).sort();
}

/** Every backup the action reported is listed, decrypts, and restores to the source's keys. */
async function expectRestorable(
  store: SnapshotStore,
  backups: Array<{ cluster: string; kind: BackupKind; uri: string; keys: number }>,
  expectedKeys: Record<string, string[]>,
) {
  expect(backups.map((backup) => backup.cluster).sort()).toEqual(["admin", "uc1", "uc2"]);
  for (const reported of backups) {
    const timestamp = reported.uri.split("/").filter(Boolean).pop()!;
    const backup = await findBackup(store, { ...reported, timestamp });
    const file = join(work, `${reported.cluster}-${timestamp}-${Math.random()}.db`);
    await restoreBackupToFile(store, backup, file, {
      identities: parseIdentities(identityText),
      logger: recordingLogger(),
    });
    const keys = (await keysOfRestoredEtcd(file)).map((key) => key.key).sort();
    expect(keys).toEqual(expectedKeys[reported.cluster]);
    expect(reported.keys).toBe(keys.length);
  }
}

describe("the etcd-backup action bundle", () => {
  it("backs up every cluster to a folder, S3 and artifacts, each restorable to the source's keys", async () => {
    const expectedKeys = {
      admin: await liveKeys("admin"),
      uc1: await liveKeys("uc1"),
      uc2: await liveKeys("uc2"),
    };
    const common = {
      "admin-kubeconfig": sandbox.kubeconfig,
      clusters: "all",
      "encryption-recipients": recipient,
    };

    const folder = join(work, "folder-backups");
    const toFolder = await runAction({ ...common, destination: `file://${folder}` });
    expect(toFolder.exitCode, toFolder.log).toBe(0);
    await expectRestorable(
      await openStore(parseDestination(`file://${folder}`), {
        logger: recordingLogger(),
        context: localRunContext(),
      }),
      JSON.parse(toFolder.outputs.backups!),
      expectedKeys,
    );
    expect(toFolder.summary).toMatch(/\| uc1 \| ✅ stored \| kube-etcd-\d \(admin-node-\d\) \|/);
    expect(toFolder.summary).toMatch(
      /\| admin \| ✅ stored \| etcd-admin-master \(admin-master\) \|/,
    );

    const s3Env = {
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: "us-east-1",
    };
    const toS3 = await runAction(
      { ...common, destination: "s3://etcd-backups/nightly", "s3-endpoint": s3.endpoint },
      s3Env,
    );
    expect(toS3.exitCode, toS3.log).toBe(0);
    Object.assign(process.env, s3Env);
    await expectRestorable(
      await openStore(parseDestination("s3://etcd-backups/nightly"), {
        logger: recordingLogger(),
        context: localRunContext(),
        s3: { endpoint: s3.endpoint, forcePathStyle: true, region: "us-east-1" },
      }),
      JSON.parse(toS3.outputs.backups!),
      expectedKeys,
    );

    const workflowRun = artifacts.newRun();
    const artifactEnv = {
      ACTIONS_RUNTIME_TOKEN: workflowRun.runtimeToken,
      ACTIONS_RESULTS_URL: `${artifacts.url}/`,
      GITHUB_ACTIONS: "true",
    };
    const toArtifacts = await runAction(
      { ...common, destination: "artifact", "artifact-retention-days": "7" },
      artifactEnv,
    );
    expect(toArtifacts.exitCode, toArtifacts.log).toBe(0);
    // The history under the summary lists this run's artifacts: one point per cluster.
    for (const cluster of ["admin", "uc1", "uc2"]) {
      expect(toArtifacts.summary).toMatch(
        new RegExp(
          `#### ${cluster}: the last backups\\n\\n\`\`\`mermaid\\nxychart-beta\\n  title "${cluster}: database size"\\n  x-axis \\["[^"]+"\\]\\n`,
        ),
      );
    }
    // No history warning; without github-token it says (one info line) that only this run's
    // backups are charted.
    expect(toArtifacts.log).not.toMatch(/::warning::History/);
    expect(toArtifacts.log).toContain("History: github-token is empty");
    const saved = { ...process.env };
    Object.assign(process.env, artifactEnv);
    try {
      await expectRestorable(
        await openStore(parseDestination("artifact"), {
          logger: recordingLogger(),
          context: runContextFromEnvironment(process.env),
        }),
        JSON.parse(toArtifacts.outputs.backups!),
        expectedKeys,
      );
    } finally {
      process.env = saved;
    }

    // No secret in any log: the API token, the etcd client key, the age identity.
    const etcdKey = await readFile(
      join(sandbox.layout.admin.pkiDir, "etcd", "healthcheck-client.key"),
      "utf8",
    );
    for (const log of [toFolder.log, toS3.log, toArtifacts.log]) {
      expect(log).not.toContain(sandbox.token);
      expect(log).not.toContain(etcdKey.split("\n")[1]);
      expect(log).not.toContain(identityText.trim().split("\n").pop());
    }
  }, 300_000); // nine backups and nine restores: minutes on two busy cores

  it("gives one clear error for each bad input, before touching the cluster", async () => {
    const base = {
      "admin-kubeconfig": sandbox.kubeconfig,
      destination: `file://${join(work, "never")}`,
      "encryption-recipients": recipient,
    };
    const cases: Array<[Record<string, string>, string]> = [
      [
        { ...base, "admin-kubeconfig": "", "admin-kubeconfig-path": join(work, "missing") },
        `admin-kubeconfig-path: cannot read "${join(work, "missing")}" (ENOENT); expected a readable kubeconfig file.`,
      ],
      [
        { ...base, "encryption-recipients": "" },
        "Input encryption-recipients is empty: a snapshot holds every Secret of the cluster",
      ],
      [
        { ...base, destination: "ftp://backups" },
        'Input destination: "ftp://backups" is not understood',
      ],
      [{ ...base, clusters: "uc9" }, "clusters: no user cluster named uc9"],
      [
        { ...base, compression: "lz4" },
        'Input compression is "lz4": expected one of zstd, gzip, none.',
      ],
      [
        {
          ...base,
          "admin-kubeconfig": sandbox.kubeconfig.replace(
            sandbox.layout.apiServerUrl,
            "https://127.0.0.1:1",
          ),
        },
        "cannot reach the API server",
      ],
    ];
    for (const [inputs, message] of cases) {
      const result = await runAction(inputs);
      expect(result.exitCode, result.log).toBe(1);
      const errors = result.log.split("\n").filter((line) => line.startsWith("::error::"));
      expect(errors, result.log).toHaveLength(1);
      expect(errors[0]).toContain(message);
      expect(result.log).not.toContain(sandbox.token);
    }
  });
});
