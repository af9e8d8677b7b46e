/**
 * The etcd-backup procedure against the sandbox admin cluster: real etcd members in pods,
 * real exec, the real storage pipeline, and the stored snapshots restored into a scratch
 * etcd to prove they hold exactly what the source held.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rename, rm, writeFile } from "node:fs/promises";
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
import { FileStore } from "../../src/core/storage/file.ts";
import { findBackup, restoreBackupToFile } from "../../src/core/storage/pipeline.ts";
import type { SnapshotStore } from "../../src/core/storage/types.ts";
import { runEtcdBackup, type EtcdBackupOptions } from "../../src/procedures/etcd-backup.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { cleanup as cleanupEtcdFixtures, keysOfRestoredEtcd } from "../snapshot/etcd-fixture.ts";
import { FailingAfterBytesStore } from "../storage/support/failing-store.ts";
import { waitFor } from "./helpers.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let work: string;
let identityText: string;
let recipient: string;

beforeAll(async () => {
  sandbox = await startSandbox({});
  work = await mkdtemp(join(tmpdir(), "etcd-backup-e2e-"));
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  const { stdout } = await run("age-keygen", ["-y", join(work, "key.txt")]);
  recipient = stdout.trim();
  identityText = (await run("cat", [join(work, "key.txt")])).stdout;
});

afterAll(async () => {
  await sandbox?.stop();
  await cleanupEtcdFixtures();
  if (work) await rm(work, { recursive: true, force: true });
});

async function options(
  overrides: Partial<EtcdBackupOptions> & { store: SnapshotStore },
): Promise<EtcdBackupOptions & { logger: ReturnType<typeof recordingLogger> }> {
  const logger = recordingLogger();
  return {
    config: await loadKubeconfig({ path: sandbox.kubeconfigPath }),
    clusters: ["all"],
    recipients: [recipient],
    allowUnencrypted: false,
    compression: "zstd",
    retention: {},
    dryRun: false,
    workDir: work,
    ...overrides,
    logger,
  };
}

/** The live keys of a cluster, as its chosen member's own etcdctl lists them. */
async function liveKeys(cluster: string, pod: string): Promise<string[]> {
  const profile = cluster === "admin" ? adminClusterProfile() : userClusterProfile(cluster);
  const { stdout } = await execChecked(await loadKubeconfig({ path: sandbox.kubeconfigPath }), {
    namespace: profile.namespace,
    pod,
    container: profile.container,
    command: etcdctl(profile, "get", "", "--prefix", "--keys-only"),
  });
  return stdout.split("\n").filter(Boolean).sort();
}

async function snapshotFilesLeftIn(pod: string, namespace: string): Promise<string[]> {
  const podsDir = join(sandbox.dir, "pods");
  const podRoot = (await readdir(podsDir)).find((name) => name.startsWith(`${namespace}_${pod}_`));
  if (!podRoot) return [];
  const tmp = join(podsDir, podRoot, "tmp");
  if (!existsSync(tmp)) return [];
  return (await readdir(tmp)).filter((name) => name.startsWith("etcd-backup-"));
}

describe("etcd-backup against the sandbox admin cluster", () => {
  it("backs up uc1, uc2 and admin, and each snapshot restores to exactly the source's keys", async () => {
    const folder = join(work, "store-all");
    const opts = await options({ store: new FileStore(folder) });
    const before = {
      uc1: await liveKeys("uc1", "kube-etcd-1"),
      uc2: await liveKeys("uc2", "kube-etcd-0"),
      admin: await liveKeys("admin", sandbox.layout.admin.etcdPod),
    };
    const results = await runEtcdBackup(opts);

    expect(results.map((result) => [result.cluster, result.outcome])).toEqual([
      ["admin", "stored"],
      ["uc1", "stored"],
      ["uc2", "stored"],
    ]);
    for (const result of results) {
      const backup = await findBackup(opts.store, {
        cluster: result.cluster,
        kind: result.kind,
        timestamp: result.uri!.split("/").filter(Boolean).pop()!,
      });
      expect(backup.manifest.payload.encryption).toEqual({
        method: "age",
        recipients: [recipient],
      });
      expect(backup.manifest.source.pod).toBe(result.member);
      const restored = join(work, `${result.cluster}.db`);
      await restoreBackupToFile(opts.store, backup, restored, {
        identities: parseIdentities(identityText),
        logger: opts.logger,
      });
      const keys = (await keysOfRestoredEtcd(restored)).map((key) => key.key).sort();
      expect(keys).toEqual(before[result.cluster as keyof typeof before]);
      expect(result.keys).toBe(keys.length);
      expect(result.revision).toBeGreaterThan(0);
      expect(await snapshotFilesLeftIn(result.member!, backup.manifest.source.namespace!)).toEqual(
        [],
      );
    }
    // The member used is a healthy follower of a three-member cluster, found by asking.
    expect(results.find((result) => result.cluster === "uc1")?.member).toMatch(/^kube-etcd-[012]$/);
  });

  it("prints the plan and changes nothing in a dry run", async () => {
    const folder = join(work, "store-dry");
    const opts = await options({ store: new FileStore(folder), clusters: ["uc1"], dryRun: true });
    const results = await runEtcdBackup(opts);
    expect(results).toMatchObject([{ cluster: "uc1", outcome: "planned" }]);
    const log = opts.logger.lines.join("\n");
    expect(log).toContain("snapshot save /tmp/etcd-backup-TIMESTAMP.db");
    expect(log).toMatch(/Dry run: would snapshot uc1 from kube-etcd-\d/);
    expect(existsSync(folder) ? await readdir(folder) : []).toEqual([]);
  });

  it("rejects an unknown cluster before touching anything", async () => {
    const opts = await options({ store: new FileStore(join(work, "x")), clusters: ["uc9"] });
    await expect(runEtcdBackup(opts)).rejects.toThrow(
      "clusters: no user cluster named uc9 (no StatefulSet kube-etcd in such a namespace); the user clusters here are: uc1, uc2.",
    );
  });

  it("fails the cluster, removes the temporary file and lists nothing when the backend fails", async () => {
    const inner = new FileStore(join(work, "store-failing"));
    const store = new FailingAfterBytesStore(inner, 4 * 1024);
    const opts = await options({ store, clusters: ["uc2"] });
    const [result] = await runEtcdBackup(opts);
    expect(result?.outcome).toBe("failed");
    expect(result?.error).toMatch(/failed/);
    expect(await inner.list()).toEqual([]);
    expect(await snapshotFilesLeftIn("kube-etcd-0", "uc2")).toEqual([]);
  });

  it("backs up uc1 from another member while kube-etcd-0 is down", async () => {
    const shell = (script: string) =>
      run("bash", ["-c", script], {
        env: { ...process.env, KUBECONFIG: sandbox.kubeconfigPath },
      });
    // Make kube-etcd-0 crash without losing its data: its WAL folder is set aside and a
    // plain file stands in its place, so etcd cannot open it and exits at start-up.
    const member0 = sandbox.layout.userClusters
      .find((cluster) => cluster.name === "uc1")!
      .members.find((member) => member.memberNumber === 0)!;
    const wal = join(member0.pvcPath, "member", "wal");
    await rename(wal, `${wal}.aside`);
    await writeFile(wal, "not a WAL folder\n");
    try {
      await shell("kubectl delete pod -n uc1 kube-etcd-0 --wait=true");
      await waitFor("kube-etcd-0 to be recreated and not Ready", async () => {
        const { stdout } = await shell(
          "kubectl get pod -n uc1 kube-etcd-0 -o jsonpath='{.status.containerStatuses[0].ready}'",
        );
        return stdout.trim() === "false" ? true : undefined;
      });
      const opts = await options({
        store: new FileStore(join(work, "store-degraded")),
        clusters: ["uc1"],
      });
      const [result] = await runEtcdBackup(opts);
      expect(result?.outcome).toBe("stored");
      expect(result?.member).not.toBe("kube-etcd-0");
      expect(opts.logger.lines.join("\n")).toMatch(/kube-etcd-0 unhealthy/);
    } finally {
      await rm(wal, { force: true });
      await rename(`${wal}.aside`, wal);
      await shell("kubectl delete pod -n uc1 kube-etcd-0 --wait=true");
    }
  });
});
