/**
 * The restore drill against the sandbox: real backups of uc1 (3 members), uc2 (1) and the
 * admin cluster in a folder store, drilled in pods on the members' nodes with the clusters'
 * own etcd image and a memory-backed volume. Good backups pass; a tampered payload, a
 * manifest that lies about the key count, a backup older than allowed, an image that cannot
 * run and a cluster without backup each fail with one clear error. Afterwards the live
 * clusters' objects and data folders are as before and no drill pod is left.
 */
import { execFile } from "node:child_process";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AppsV1Api, CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CleanupRegistry } from "../../src/core/cleanup.ts";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import {
  runRestoreDrill,
  type RestoreDrillOptions,
} from "../../src/procedures/etcd-restore-drill.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { NODE24 } from "./action-runner.ts";
import { ageKeyPair, backUpEtcd } from "./restore-helpers.ts";

const CLI = resolve(import.meta.dirname, "../../bin/etcd-backup-actions.mjs");

/** The CLI in a child process on Node 24; never throws on a non-zero exit. */
function cli(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(NODE24, [CLI, ...args], { env: { ...process.env } }, (error, stdout, stderr) => {
      const exitCode = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      done({ exitCode, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

let sandbox: Sandbox;
let config: KubeConfig;
let work: string;
let identityText: string;
let backups: string;

beforeAll(async () => {
  sandbox = await startSandbox({});
  config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  work = await mkdtemp(join(tmpdir(), "etcd-drill-e2e-"));
  const key = await ageKeyPair(work);
  identityText = key.identityText;
  backups = join(work, "backups");
  const store = new FileStore(backups);
  await backUpEtcd({ config, store, recipient: key.recipient, work }, ["all"]);
}, 600_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

function drillOptions(overrides: Partial<RestoreDrillOptions> = {}) {
  const logger = recordingLogger();
  const options = {
    config,
    clusters: ["all"],
    store: new FileStore(backups),
    identities: parseIdentities(identityText),
    logger,
    workDir: work,
    waitTimeoutMs: 120_000,
    ...overrides,
  } satisfies RestoreDrillOptions;
  return { ...options, logger };
}

/** The real folder store, counting the payload downloads of each cluster. */
class CountingFileStore extends FileStore {
  readonly payloadReads: Record<string, number> = {};
  override getPayload(
    location: Parameters<FileStore["getPayload"]>[0],
    payloadName: string,
  ): ReturnType<FileStore["getPayload"]> {
    this.payloadReads[location.cluster] = (this.payloadReads[location.cluster] ?? 0) + 1;
    return super.getPayload(location, payloadName);
  }
}

/** A copy of the backups folder to damage, and the folder of one cluster's only backup there. */
function copyOfBackups(name: string, cluster: string, kind = "user-etcd") {
  const root = join(work, name);
  cpSync(backups, root, { recursive: true });
  const kindDir = join(root, cluster, kind);
  const [timestamp] = readdirSync(kindDir);
  return { root, folder: join(kindDir, timestamp!) };
}

/** What a user checks: every pod (name, uid, restarts) and workload of the clusters. */
async function liveObjects(): Promise<string[]> {
  const core = config.makeApiClient(CoreV1Api);
  const apps = config.makeApiClient(AppsV1Api);
  const lines: string[] = [];
  for (const namespace of ["uc1", "uc2", "kube-system"]) {
    for (const pod of (await core.listNamespacedPod({ namespace })).items) {
      const restarts = (pod.status?.containerStatuses ?? []).map((status) => status.restartCount);
      lines.push(
        `pod ${namespace}/${pod.metadata!.name} ${pod.metadata!.uid} ${restarts.join(",")}`,
      );
    }
    for (const set of (await apps.listNamespacedStatefulSet({ namespace })).items) {
      lines.push(
        `sts ${namespace}/${set.metadata!.name} ${set.spec!.replicas} ${set.metadata!.generation}`,
      );
    }
  }
  return lines.sort();
}

/** Every folder and file name in the members' data folders (sizes move as etcd writes). */
function dataFolders(): string[] {
  const roots = [
    ...sandbox.layout.userClusters.flatMap((cluster) =>
      cluster.members.map((member) => member.pvcPath),
    ),
    sandbox.layout.admin.etcdDataDir,
  ];
  const listing: string[] = [];
  const walk = (root: string, path: string) => {
    for (const entry of readdirSync(join(root, path), { withFileTypes: true })) {
      const relative = join(path, entry.name);
      listing.push(`${root}: ${relative}${entry.isDirectory() ? "/" : ""}`);
      if (entry.isDirectory()) walk(root, relative);
    }
  };
  for (const root of roots) walk(root, "");
  return listing.sort();
}

async function drillPods(): Promise<string[]> {
  const core = config.makeApiClient(CoreV1Api);
  const pods = await core.listPodForAllNamespaces({
    labelSelector: "etcd-backup-actions/role=restore-drill",
  });
  return pods.items.map((pod) => `${pod.metadata!.namespace}/${pod.metadata!.name}`);
}

describe("etcd-restore-drill in the sandbox", () => {
  it("drills uc1, uc2 and admin from good backups without touching the live clusters", async () => {
    const objectsBefore = await liveObjects();
    const foldersBefore = dataFolders();
    const cleanups = new CleanupRegistry();
    const store = new CountingFileStore(backups);
    const options = drillOptions({ cleanups, store });
    const results = await runRestoreDrill(options);
    // Each backup is downloaded once: verified on the way into the runner's copy, not before.
    expect(store.payloadReads).toEqual({ admin: 1, uc1: 1, uc2: 1 });
    expect(
      results.map((result) => [result.cluster, result.result, result.error]),
      options.logger.lines.join("\n"),
    ).toEqual([
      ["admin", "passed", undefined],
      ["uc1", "passed", undefined],
      ["uc2", "passed", undefined],
    ]);
    for (const result of results) {
      const kind = result.cluster === "admin" ? "admin-etcd" : "user-etcd";
      const [timestamp] = readdirSync(join(backups, result.cluster, kind));
      expect(result.backup).toContain(`${result.cluster}/${kind}/${timestamp}`);
      const manifest = JSON.parse(
        readFileSync(join(backups, result.cluster, kind, timestamp!, "manifest.json"), "utf8"),
      ) as { etcd: { revision: number; keyCount: number } };
      expect(result.revision).toBe(manifest.etcd.revision);
      expect(result.keys).toBe(manifest.etcd.keyCount);
      expect(result.resources).toBeGreaterThan(3);
      expect(result.dbSize).toBeGreaterThan(0);
      expect(result.restoreMs).toBeGreaterThanOrEqual(0);
      expect(result.steps.map((step) => step.outcome)).not.toContain("failed");
    }
    // The admin drill ran on admin-master; uc1's on one of its members' nodes.
    expect(results[0]!.node).toBe(sandbox.layout.admin.node);
    const uc1Nodes = sandbox.layout.userClusters
      .find((c) => c.name === "uc1")!
      .members.map((m) => m.node);
    expect(uc1Nodes).toContain(results[1]!.node);
    expect(options.logger.lines.join("\n")).toMatch(/memory-backed \/drill/);
    expect(await drillPods()).toEqual([]);
    expect(cleanups.targets).toEqual([]);
    expect(await liveObjects()).toEqual(objectsBefore);
    expect(dataFolders()).toEqual(foldersBefore);
  }, 600_000);

  it("fails a backup whose payload was tampered with, naming it, and makes no pod", async () => {
    const { root, folder } = copyOfBackups("tampered", "uc2");
    const payload = readdirSync(folder).find((name) => name !== "manifest.json")!;
    const bytes = readFileSync(join(folder, payload));
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    writeFileSync(join(folder, payload), bytes);
    const [result] = await runRestoreDrill(
      drillOptions({ clusters: ["uc2"], store: new FileStore(root) }),
    );
    expect(result!.result).toBe("failed");
    expect(result!.error).toMatch(/does not verify.*sha256/);
    expect(result!.steps.find((step) => step.step === "createDrillPod")?.outcome).toBe("skipped");
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("fails a backup whose manifest lies about the key count, and deletes the pod", async () => {
    const { root, folder } = copyOfBackups("lying", "uc2");
    const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as {
      etcd: { keyCount: number };
    };
    manifest.etcd.keyCount += 1;
    writeFileSync(join(folder, "manifest.json"), JSON.stringify(manifest, null, 2));
    const [result] = await runRestoreDrill(
      drillOptions({ clusters: ["uc2"], store: new FileStore(root) }),
    );
    expect(result!.result).toBe("failed");
    expect(result!.error).toMatch(
      new RegExp(`but its manifest says revision \\d+ and ${manifest.etcd.keyCount} keys`),
    );
    expect(result!.steps.find((step) => step.step === "deleteDrillPod")?.outcome).toBe("done");
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("fails a backup of another etcd minor version before any pod, as the restore refuses it", async () => {
    const { root, folder } = copyOfBackups("other-minor", "uc2");
    const manifest = JSON.parse(readFileSync(join(folder, "manifest.json"), "utf8")) as {
      etcd: { version?: string };
    };
    expect(manifest.etcd.version).toMatch(/^3\.4\./);
    manifest.etcd.version = "3.5.9";
    writeFileSync(join(folder, "manifest.json"), JSON.stringify(manifest, null, 2));
    const [result] = await runRestoreDrill(
      drillOptions({ clusters: ["uc2"], store: new FileStore(root) }),
    );
    expect(result!.result).toBe("failed");
    expect(result!.error).toMatch(
      /was taken from etcd 3\.5\.9, but the drill runs \S+ \(etcd 3\.4\.\d+\): a snapshot restores only into the same etcd major\.minor version\./,
    );
    expect(result!.steps.find((step) => step.step === "createDrillPod")?.outcome).toBe("skipped");
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("fails a backup older than fail-if-older-than", async () => {
    const [result] = await runRestoreDrill(
      drillOptions({
        clusters: ["uc2"],
        failIfOlderThanMs: 26 * 3_600_000,
        now: () => new Date(Date.now() + 27 * 3_600_000),
      }),
    );
    expect(result!.result).toBe("failed");
    expect(result!.error).toMatch(
      /is 27 h old, older than the 26 h allowed: check that the backup schedule/,
    );
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("fails when the drill image cannot run, and leaves no pod", async () => {
    const [result] = await runRestoreDrill(
      drillOptions({
        clusters: ["uc2"],
        utilityImage: "gcr.io/gke-on-prem-release/no-such-image:v0",
        waitTimeoutMs: 15_000,
      }),
    );
    expect(result!.result).toBe("failed");
    expect(result!.error).toMatch(
      /drill pod uc2\/etcd-drill-uc2-[0-9a-f]+ with image gcr.io\/gke-on-prem-release\/no-such-image:v0 did not start.*(ImagePullBackOff|ErrImagePull)/,
    );
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("fails a live cluster that has no backup at the destination", async () => {
    const { root } = copyOfBackups("without-uc2", "uc2");
    await rm(join(root, "uc2"), { recursive: true, force: true });
    const results = await runRestoreDrill(drillOptions({ store: new FileStore(root) }));
    const uc2 = results.find((result) => result.cluster === "uc2")!;
    expect(uc2.result).toBe("failed");
    expect(uc2.error).toMatch(/There is no complete user-etcd backup of uc2/);
    expect(results.filter((result) => result.result === "passed").map((r) => r.cluster)).toEqual([
      "admin",
      "uc1",
    ]);
  }, 600_000);

  it("drills from a terminal: etcd-backup-actions drill, JSON on stdout, a bad flag exits 2", async () => {
    const keyFile = join(work, "key.txt");
    const passed = await cli([
      "drill",
      "--kubeconfig",
      sandbox.kubeconfigPath,
      "--cluster",
      "uc2",
      "--destination",
      `file://${backups}`,
      "--identity-file",
      keyFile,
      "--fail-if-older-than",
      "26h",
      "-o",
      "json",
    ]);
    expect(passed.exitCode, passed.stderr).toBe(0);
    const drills = JSON.parse(passed.stdout) as Array<{ cluster: string; result: string }>;
    expect(drills.map((drill) => [drill.cluster, drill.result])).toEqual([["uc2", "passed"]]);
    expect(passed.stderr).toMatch(/✔ checkContents/);
    const refused = await cli([
      "drill",
      "--kubeconfig",
      sandbox.kubeconfigPath,
      "--destination",
      `file://${backups}`,
      "--fail-if-older-than",
      "daily",
    ]);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr.trim().split("\n")).toEqual([
      'error: --fail-if-older-than is "daily": expected a whole number and a unit, s, m, h or d, such as 26h.',
    ]);
    expect(await drillPods()).toEqual([]);
  }, 300_000);

  it("the drill CLI refuses a bad --namespace, --utility-image or --identity-file as the action does", async () => {
    const base = [
      "drill",
      "--kubeconfig",
      sandbox.kubeconfigPath,
      "--destination",
      `file://${backups}`,
    ];
    const cases: Array<[string[], string]> = [
      [
        ["--namespace", "Etcd_Drills"],
        "error: --namespace is not a namespace name: expected lower-case letters, digits and '-', e.g. etcd-drills (or leave it out for each cluster's own namespace).",
      ],
      [
        ["--utility-image", "not an image"],
        "error: --utility-image is not an image reference: expected e.g. gcr.io/gke-on-prem-release/etcd:v3.4.13-0-gke.0 (or leave it out for the cluster's own etcd image).",
      ],
      [
        ["--identity-file", join(work, "no-such-key.txt")],
        `error: --identity-file: cannot read ${join(work, "no-such-key.txt")} (ENOENT); expected an age identity file.`,
      ],
    ];
    for (const [flags, message] of cases) {
      const refused = await cli([...base, ...flags]);
      expect(refused.exitCode, refused.stderr).toBe(2);
      expect(refused.stderr.trim().split("\n")).toEqual([message]);
    }
    expect(await drillPods()).toEqual([]);
  }, 120_000);
});
