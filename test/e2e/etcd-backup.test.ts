/**
 * The etcd-backup procedure against the sandbox admin cluster: real etcd members in pods,
 * real exec, the real storage pipeline, and the stored snapshots restored into a scratch
 * etcd to prove they hold exactly what the source held.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { connect, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { etcdctl } from "../../src/core/etcd/etcdctl.ts";
import { adminClusterProfile, userClusterProfile } from "../../src/core/etcd/profiles.ts";
import { ConfigMapJournal } from "../../src/core/kube/configmap-journal.ts";
import { execChecked } from "../../src/core/kube/exec.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { findBackup, restoreBackupToFile } from "../../src/core/storage/pipeline.ts";
import type { SnapshotStore } from "../../src/core/storage/types.ts";
import {
  etcdBackupPlan,
  runEtcdBackup,
  type ClusterBackupResult,
  type EtcdBackupOptions,
} from "../../src/procedures/etcd-backup.ts";
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

/** Each reported step and its outcome, in the order the run reported them. */
function outcomes(result: ClusterBackupResult): [string, string][] {
  return result.steps.map(({ step, outcome }) => [step, outcome]);
}

function plannedNames(cluster: string): string[] {
  const profile = cluster === "admin" ? adminClusterProfile() : userClusterProfile(cluster);
  return etcdBackupPlan(profile, "anywhere").steps.map((step) => step.name);
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

/** The host folder behind a running pod's root (`/`): <sandbox>/pods/<ns>_<pod>_<uid>/root. */
async function podRootOf(namespace: string, pod: string): Promise<string> {
  const podsDir = join(sandbox.dir, "pods");
  const candidates = (await readdir(podsDir)).filter((name) =>
    name.startsWith(`${namespace}_${pod}_`),
  );
  const withTimes = await Promise.all(
    candidates.map(async (name) => ({ name, time: (await stat(join(podsDir, name))).mtimeMs })),
  );
  const newest = withTimes.sort((a, b) => b.time - a.time)[0];
  if (!newest) throw new Error(`no pod folder for ${namespace}/${pod} under ${podsDir}`);
  return join(podsDir, newest.name, "root");
}

/** Temporary snapshot files (and etcdctl's .part files) left in a pod's /tmp. */
async function snapshotFilesLeftIn(pod: string, namespace: string): Promise<string[]> {
  const tmp = join(await podRootOf(namespace, pod), "tmp");
  return (await readdir(tmp)).filter((name) => name.startsWith("etcd-backup-"));
}

/** The host pid of the etcd process serving a pod IP (each pod has its own network namespace). */
async function etcdPidServing(podIP: string): Promise<number> {
  const { stdout } = await run("pgrep", ["-x", "etcd"]).catch(() => ({ stdout: "" }));
  for (const pid of stdout.split("\n").filter(Boolean)) {
    const addresses = await run("nsenter", ["-t", pid, "-n", "ip", "-4", "-o", "addr"]).catch(
      () => ({ stdout: "" }),
    );
    if (addresses.stdout.includes(`inet ${podIP}/`)) return Number(pid);
  }
  throw new Error(`no etcd process serves ${podIP}`);
}

/** A logger that records lines and calls `onStep` when a step of the procedure starts. */
function steppingLogger(onStep: (step: string) => void) {
  const logger = recordingLogger();
  const info = logger.info;
  logger.info = (message: string) => {
    info(message);
    const match = /^▶ ([A-Za-z]+)/.exec(message);
    if (match) onStep(match[1]!);
  };
  return logger;
}

/**
 * A TCP proxy in front of the API server that cuts any connection once it has carried more
 * than `cutAfterBytes` towards the client: a network failure in the middle of a transfer.
 */
async function startCuttingProxy(target: URL, cutAfterBytes: number) {
  let cuts = 0;
  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    let sent = 0;
    upstream.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      if (sent > cutAfterBytes) {
        cuts++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    client.on("data", (chunk: Buffer) => upstream.write(chunk));
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    cuts: () => cuts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
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
      // Streamed while etcdctl wrote it, and the same bytes as the pod's finished file.
      expect(result.steps.find((entry) => entry.step === "saveAndStream")?.detail).toMatch(
        /sha256 equal in the pod; \/tmp\/etcd-backup-\S+\.db removed from /,
      );
      expect(await snapshotFilesLeftIn(result.member!, backup.manifest.source.namespace!)).toEqual(
        [],
      );
    }
    // The member used is a healthy follower of a three-member cluster, found by asking.
    expect(results.find((result) => result.cluster === "uc1")?.member).toMatch(/^kube-etcd-[012]$/);
    // The run executed its declared plan, step for step, in order.
    for (const result of results) {
      expect(outcomes(result)).toEqual(
        plannedNames(result.cluster).map((step) =>
          step === "removeTemporaryFile"
            ? [step, "skipped"]
            : step === "applyRetention"
              ? [step, "skipped"]
              : [step, "done"],
        ),
      );
    }
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
    // The printed plan is the declaration a real run executes; the dry run ran its reads only.
    const plan = etcdBackupPlan(userClusterProfile("uc1"), opts.store.description);
    for (const line of plan.lines()) expect(opts.logger.lines).toContain(line);
    expect(outcomes(results[0]!)).toEqual(
      plan.steps.map((step) => [
        step.name,
        step.effect === "reads" && step.name !== "verifyStored" ? "done" : "skipped",
      ]),
    );
  });

  it("skips, with a warning, a user cluster whose restore holds its lock", async () => {
    const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
    const journal = new ConfigMapJournal(config, "uc2");
    await journal.append({ step: "", event: "begin", at: new Date().toISOString(), data: {} });
    try {
      const folder = join(work, "store-locked");
      const opts = await options({ store: new FileStore(folder), clusters: ["uc2"] });
      const [result] = await runEtcdBackup(opts);
      expect(result).toMatchObject({ cluster: "uc2", outcome: "skipped" });
      expect(result?.error).toMatch(/a restore of uc2 is in progress or unfinished/);
      expect(opts.logger.lines.some((line) => line.startsWith("warning: a restore of uc2"))).toBe(
        true,
      );
      expect(existsSync(folder) ? await readdir(folder) : []).toEqual([]);
    } finally {
      await journal.remove();
    }
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
    expect(outcomes(result!)).toEqual([
      ["findMembers", "done"],
      ["checkHealth", "done"],
      ["sweepStaleSnapshots", "done"],
      ["checkRoom", "done"],
      ["saveAndStream", "failed"],
      ["removeTemporaryFile", "done"],
      ["verifyStored", "skipped"],
      ["applyRetention", "skipped"],
    ]);
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
  it("fails the cluster clearly when the exec stream is cut mid-transfer, leaving nothing behind", async () => {
    const apiUrl = new URL(sandbox.layout.apiServerUrl);
    const proxy = await startCuttingProxy(apiUrl, 16 * 1024);
    try {
      const store = new FileStore(join(work, "store-cut"));
      const opts = await options({ store, clusters: ["uc2"] });
      opts.config = await loadKubeconfig({
        content: sandbox.kubeconfig.replaceAll(sandbox.layout.apiServerUrl, proxy.url),
      });
      const [result] = await runEtcdBackup(opts);
      expect(proxy.cuts()).toBeGreaterThan(0);
      expect(result?.outcome).toBe("failed");
      expect(result?.error).toMatch(/stream was cut|connection|socket/i);
      expect(await store.list()).toEqual([]);
      expect(await snapshotFilesLeftIn("kube-etcd-0", "uc2")).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("fails the cluster clearly when the member stops answering during the backup", async () => {
    const member = sandbox.layout.userClusters
      .find((cluster) => cluster.name === "uc2")!
      .members.find((candidate) => candidate.memberNumber === 0)!;
    const pid = await etcdPidServing(member.podIP);
    let stopped = false;
    const store = new FileStore(join(work, "store-member-dies"));
    const opts = await options({ store, clusters: ["uc2"], snapshotTimeoutMs: 8000 });
    opts.logger = steppingLogger((step) => {
      // Right after the health check chose it, the member freezes.
      if (step === "checkRoom" && !stopped) {
        process.kill(pid, "SIGSTOP");
        stopped = true;
      }
    });
    try {
      const [result] = await runEtcdBackup(opts);
      expect(stopped).toBe(true);
      expect(result?.outcome).toBe("failed");
      expect(result?.error).toMatch(
        /snapshot save in uc2\/kube-etcd-0 did not finish within 8 s: the member stopped answering|snapshot save .* exited with code \d+/,
      );
      expect(await store.list()).toEqual([]);
      expect(await snapshotFilesLeftIn("kube-etcd-0", "uc2")).toEqual([]);
    } finally {
      if (stopped) process.kill(pid, "SIGCONT");
    }
  });

  it("fails the cluster with etcdctl's own message when the save fails half-way, leaving nothing behind", async () => {
    // /tmp in the member's own mount namespace: room enough for the preflight, then filled
    // to 32 KiB short of full as the save starts, so etcdctl runs out of space mid-file (the
    // database is ~90 kB).
    const member = sandbox.layout.userClusters
      .find((cluster) => cluster.name === "uc2")!
      .members.find((candidate) => candidate.memberNumber === 0)!;
    const inPod = ["-t", String(await etcdPidServing(member.podIP)), "-m", "-r", "--"];
    await run("nsenter", [...inPod, "mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", "/tmp"]);
    let filled = false;
    try {
      const store = new FileStore(join(work, "store-fills-up"));
      const opts = await options({ store, clusters: ["uc2"] });
      opts.logger = steppingLogger((step) => {
        if (step !== "saveAndStream" || filled) return;
        execFileSync("nsenter", [
          ...inPod,
          "sh",
          "-c",
          "dd if=/dev/zero of=/tmp/filler bs=1M 2>/dev/null; truncate -s -32K /tmp/filler",
        ]);
        filled = true;
      });
      const [result] = await runEtcdBackup(opts);
      expect(filled).toBe(true);
      expect(result?.outcome).toBe("failed");
      expect(result?.error).toMatch(
        /etcdctl snapshot save in uc2\/kube-etcd-0 exited with code [1-9]\d*: .*no space left on device/,
      );
      expect(await store.list()).toEqual([]);
      const { stdout } = await run("nsenter", [...inPod, "ls", "-A", "/tmp"]);
      expect(stdout.split("\n").filter(Boolean)).toEqual(["filler"]);
    } finally {
      await run("nsenter", [...inPod, "umount", "/tmp"]);
    }
  });

  it("refuses to snapshot into a pod without room, before writing anything", async () => {
    // A small /tmp inside the member's own mount namespace, as a nearly full container disk.
    const member = sandbox.layout.userClusters
      .find((cluster) => cluster.name === "uc2")!
      .members.find((candidate) => candidate.memberNumber === 0)!;
    const inPod = ["-t", String(await etcdPidServing(member.podIP)), "-m", "-r", "--"];
    await run("nsenter", [...inPod, "mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", "/tmp"]);
    try {
      const store = new FileStore(join(work, "store-full"));
      const opts = await options({ store, clusters: ["uc2"] });
      const [result] = await runEtcdBackup(opts);
      expect(result?.outcome).toBe("failed");
      expect(result?.error).toMatch(
        /^no room for the snapshot in uc2\/kube-etcd-0: \/tmp has [\d.]+ KiB free, the database is .* \(needs .*\); free space in the container or snapshot another member\.$/,
      );
      expect(opts.logger.lines.join("\n")).not.toMatch(/▶ saveAndStream/);
      expect(await store.list()).toEqual([]);
    } finally {
      await run("nsenter", [...inPod, "umount", "/tmp"]);
    }
  });
});
