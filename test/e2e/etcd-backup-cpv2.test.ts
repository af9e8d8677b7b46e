/**
 * etcd-backup of a Controlplane V2 user cluster (issue 16) in the sandbox: the cluster is
 * added by its kubeconfig (a folder of them), found by `clusters: all` beside the admin and
 * kubeception clusters, snapshotted from a healthy static-pod member through its own API
 * with the vendor's certificate paths, stored as user-etcd with its topology in the
 * manifest; the stored snapshot, read back with the snapshot reader, holds exactly the keys
 * the live cluster holds.
 */
import { execFile } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { ConfigurationError } from "../../src/core/errors.ts";
import { etcdctl } from "../../src/core/etcd/etcdctl.ts";
import { controlPlaneV2Profile } from "../../src/core/etcd/profiles.ts";
import { execChecked } from "../../src/core/kube/exec.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { loadUserKubeconfigs } from "../../src/core/kube/user-kubeconfigs.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { listSnapshotKeys } from "../../src/core/snapshot/index.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { findBackup, restoreBackupToFile } from "../../src/core/storage/pipeline.ts";
import { runEtcdBackup } from "../../src/procedures/etcd-backup.ts";
import type { ControlPlaneV2Layout } from "../sandbox/cluster/controlplane-v2.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";

const run = promisify(execFile);
const SLOW_MACHINE_MS = 300_000;

let sandbox: Sandbox | undefined;
let uc3: ControlPlaneV2Layout;
let work: string;
let identityText: string;
let recipient: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "etcd-backup-cpv2-"));
  sandbox = await startSandbox({
    userClusters: [{ name: "uc1", members: 1 }],
    controlPlaneV2Clusters: [{ name: "uc3", nodes: 3 }],
    logger: recordingLogger(),
  });
  uc3 = sandbox.layout.controlPlaneV2Clusters[0] as ControlPlaneV2Layout;
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
  identityText = (await run("cat", [join(work, "key.txt")])).stdout;
}, SLOW_MACHINE_MS);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, SLOW_MACHINE_MS);

function runCli(
  cli: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === "number" ? error.code : -1) : 0;
        done({ stdout: String(stdout), stderr: String(stderr), exitCode });
      },
    );
  });
}

/** uc3's live keys, as its member's own etcdctl lists them, through uc3's API. */
async function liveKeysOfUc3(pod: string): Promise<string[]> {
  const profile = controlPlaneV2Profile("uc3");
  const { stdout } = await execChecked(await loadKubeconfig({ path: uc3.kubeconfigPath }), {
    namespace: profile.namespace,
    pod,
    container: profile.container,
    command: etcdctl(profile, "get", "", "--prefix", "--keys-only"),
  });
  return stdout.split("\n").filter(Boolean).sort();
}

describe("etcd-backup of a Controlplane V2 user cluster", { timeout: SLOW_MACHINE_MS }, () => {
  it("finds uc3 with `all` from a folder of kubeconfigs, and its stored snapshot holds exactly its live keys", async () => {
    const folder = join(work, "user-kubeconfigs");
    await mkdir(folder);
    await copyFile(uc3.kubeconfigPath, join(folder, "uc3-kubeconfig"));
    const userClusters = await loadUserKubeconfigs([folder]);
    expect(userClusters.map((cluster) => cluster.name)).toEqual(["uc3"]);

    const logger = recordingLogger();
    const store = new FileStore(join(work, "store"));
    const before = await liveKeysOfUc3("etcd-uc3-cp-2");
    expect(before.length).toBe(sandbox?.layout.content.uc3?.keys);
    const results = await runEtcdBackup({
      config: await loadKubeconfig({ path: sandbox?.kubeconfigPath ?? "" }),
      clusters: ["all"],
      userClusters,
      store,
      recipients: [recipient],
      allowUnencrypted: false,
      compression: "zstd",
      retention: {},
      dryRun: false,
      workDir: work,
      logger,
    });

    expect(logger.lines.join("\n")).toContain(
      "kubeception user clusters: uc1; Controlplane V2 user clusters: uc3.",
    );
    expect(results.map((result) => [result.cluster, result.kind, result.outcome])).toEqual([
      ["admin", "admin-etcd", "stored"],
      ["uc1", "user-etcd", "stored"],
      ["uc3", "user-etcd", "stored"],
    ]);
    const result = results[2]!;
    expect(result.member).toMatch(/^etcd-uc3-cp-[012]$/);
    expect(result.node).toBe(result.member?.replace(/^etcd-/, ""));
    const backup = await findBackup(store, {
      cluster: "uc3",
      kind: "user-etcd",
      timestamp: result.uri!.split("/").filter(Boolean).pop()!,
    });
    expect(backup.manifest.source).toMatchObject({
      namespace: "kube-system",
      pod: result.member,
      topology: "controlplane-v2",
    });
    const uc1 = results[1]!;
    const uc1Backup = await findBackup(store, {
      cluster: "uc1",
      kind: "user-etcd",
      timestamp: uc1.uri!.split("/").filter(Boolean).pop()!,
    });
    expect(uc1Backup.manifest.source.topology).toBe("kubeception");

    const restored = join(work, "uc3.db");
    await restoreBackupToFile(store, backup, restored, {
      identities: parseIdentities(identityText),
      logger,
    });
    const stored = listSnapshotKeys(restored)
      .keys.map((key) => key.key)
      .sort();
    expect(stored).toEqual(before);
    expect(result.keys).toBe(before.length);
  });

  it("backs up uc3 from the CLI with --user-kubeconfig, and refuses a missing one with exit 2", async () => {
    const cli = resolve(import.meta.dirname, "../../bin/etcd-backup-actions.mjs");
    const destination = join(work, "cli-store");
    const common = ["backup", "--destination", `file://${destination}`, "--recipient", recipient];
    const env = { ...process.env, KUBECONFIG: sandbox?.kubeconfigPath ?? "" };
    const ok = await runCli(
      cli,
      [...common, "--clusters", "uc3", "--user-kubeconfig", uc3.kubeconfigPath, "--output", "json"],
      env,
    );
    expect(ok.exitCode, ok.stderr).toBe(0);
    const results = JSON.parse(ok.stdout) as Array<{
      cluster: string;
      kind: string;
      outcome: string;
    }>;
    expect(results).toMatchObject([{ cluster: "uc3", kind: "user-etcd", outcome: "stored" }]);

    const missing = join(work, "no-such-kubeconfig");
    const refused = await runCli(
      cli,
      [...common, "--clusters", "all", "--user-kubeconfig", missing],
      env,
    );
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`--user-kubeconfig: cannot read "${missing}" (ENOENT)`);
  });

  it("refuses uc3 by name without its kubeconfig, before anything is touched", async () => {
    const error = await runEtcdBackup({
      config: await loadKubeconfig({ path: sandbox?.kubeconfigPath ?? "" }),
      clusters: ["uc3"],
      store: new FileStore(join(work, "store-refused")),
      recipients: [recipient],
      allowUnencrypted: false,
      compression: "zstd",
      retention: {},
      dryRun: false,
      workDir: work,
      logger: recordingLogger(),
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe("clusters");
    expect((error as Error).message).toContain("no user cluster named uc3");
  });

  it("refuses a kubeconfig whose cluster cannot name a user cluster, without echoing its token", async () => {
    const bad = join(work, "bad-kubeconfig");
    const text = await readFile(uc3.kubeconfigPath, "utf8");
    await writeFile(bad, text.replace(/\buc3\b/g, "Not_A_Name"));
    const token = (await loadKubeconfig({ path: uc3.kubeconfigPath })).getCurrentUser()?.token;
    expect(token).toBeTruthy();
    const error = await loadUserKubeconfigs([bad]).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as ConfigurationError).field).toBe("userKubeconfigs");
    expect((error as Error).message).toContain("Not_A_Name");
    expect((error as Error).message).toContain("rename the cluster entry");
    expect((error as Error).message).not.toContain(token);
    const missing = await loadUserKubeconfigs([join(work, "nowhere")]).catch((caught) => caught);
    expect((missing as ConfigurationError).field).toBe("userKubeconfigs");
    expect((missing as Error).message).toContain("ENOENT");
  });
});
