/**
 * The restore of a Controlplane V2 user cluster (issue 16) in the sandbox: uc3's three
 * control-plane nodes run etcd and kube-apiserver as static pods from their manifests
 * folders, each with its own sshd. The disaster drill: keys A, a real backup, keys B, two
 * members' databases corrupted (they crash-loop, the cluster has no quorum), then the restore
 * over SSH: A back, B gone, three members healthy with one cluster ID, the static pods
 * running, uc3's API answering; the journal and lock in the ADMIN cluster. Also: a refusal
 * changes nothing; SSH dropped after the stop, and a rerun finishes; undo puts the data back.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import {
  mkdir,
  mkdtemp,
  open,
  readFile,
  readdir,
  readlink,
  rename,
  rm,
  rmdir,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CoreV1Api, type KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age-keys.ts";
import { etcdctl } from "../../src/core/etcd/etcdctl.ts";
import { controlPlaneV2Profile } from "../../src/core/etcd/profiles.ts";
import { ConfigMapJournal, RESTORE_JOURNAL_NAME } from "../../src/core/kube/configmap-journal.ts";
import { execChecked } from "../../src/core/kube/exec.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { loadUserKubeconfigs } from "../../src/core/kube/user-kubeconfigs.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { findBackup, type StoredBackup } from "../../src/core/storage/pipeline.ts";
import {
  finishInterruptedControlPlaneV2Restore,
  runControlPlaneV2Restore,
  runControlPlaneV2Undo,
  type ControlPlaneV2RestoreOptions,
} from "../../src/procedures/controlplane-v2-restore.ts";
import { runEtcdBackup } from "../../src/procedures/etcd-backup.ts";
import type { ControlPlaneV2Layout } from "../sandbox/cluster/controlplane-v2.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { errorLines, runAction, runPostStep } from "./action-runner.ts";
import { waitFor } from "./helpers.ts";
import { ageKeyPair } from "./restore-helpers.ts";

const run = promisify(execFile);
const SLOW_MACHINE_MS = 600_000;

let sandbox: Sandbox;
let uc3: ControlPlaneV2Layout;
let work: string;
let identityText: string;
let backup: StoredBackup;
let store: FileStore;
let privateKey: string;
let adminConfig: KubeConfig;
let userConfig: KubeConfig;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "cpv2-restore-"));
  sandbox = await startSandbox({
    controlPlaneV2Clusters: [{ name: "uc3", nodes: 3 }],
    logger: recordingLogger(),
  });
  uc3 = sandbox.layout.controlPlaneV2Clusters[0]!;
  adminConfig = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  userConfig = await loadKubeconfig({ path: uc3.kubeconfigPath });
  const keys = await ageKeyPair(work);
  identityText = keys.identityText;
  store = new FileStore(join(work, "store"));
  // The nodes' key where the vendor keeps it: the ADMIN cluster's secret uc3/ssh-keys.
  const { namespace, name, field } = uc3.sshKeySecret;
  const secret = await adminConfig
    .makeApiClient(CoreV1Api)
    .readNamespacedSecret({ namespace, name });
  privateKey = Buffer.from(secret.data![field]!, "base64").toString("utf8");

  await putKeys("/drill/a", 5);
  const [result] = await runEtcdBackup({
    config: adminConfig,
    clusters: ["uc3"],
    userClusters: await loadUserKubeconfigs([uc3.kubeconfigPath]),
    store,
    recipients: [keys.recipient],
    allowUnencrypted: false,
    compression: "zstd",
    retention: {},
    dryRun: false,
    workDir: work,
    logger: recordingLogger(),
  });
  expect(result?.outcome, result?.error).toBe("stored");
  backup = await findBackup(store, {
    cluster: "uc3",
    kind: "user-etcd",
    timestamp: result!.uri!.split("/").filter(Boolean).pop()!,
  });
  expect(backup.manifest.source.topology).toBe("controlplane-v2");
}, SLOW_MACHINE_MS);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, SLOW_MACHINE_MS);

/** etcdctl in a member's own container, through uc3's API, as the vendor's runbook does. */
async function memberEtcdctl(node: string, ...args: string[]): Promise<string> {
  const profile = controlPlaneV2Profile("uc3");
  const { stdout } = await execChecked(userConfig, {
    namespace: profile.namespace,
    pod: `etcd-${node}`,
    container: profile.container,
    command: etcdctl(profile, ...args),
  });
  return stdout;
}

async function putKeys(prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    await memberEtcdctl("uc3-cp-0", "put", `${prefix}/${index}`, "value");
  }
}

async function keysUnder(node: string, prefix: string): Promise<string[]> {
  const out = await memberEtcdctl(node, "get", prefix, "--prefix", "--keys-only");
  return out.split("\n").filter(Boolean).sort();
}

function options(overrides: Partial<ControlPlaneV2RestoreOptions> = {}) {
  const logger = recordingLogger();
  const opts: ControlPlaneV2RestoreOptions = {
    adminConfig,
    userConfig,
    cluster: "uc3",
    nodes: uc3.nodes.map((node) => ({
      name: node.name,
      address: node.ssh.host,
      port: node.ssh.port,
    })),
    privateKey,
    hostKeys: { knownHosts: uc3.nodes.map((node) => node.ssh.knownHostsLine) },
    store,
    backup,
    identities: parseIdentities(identityText),
    confirm: "uc3",
    revisionBump: "auto",
    dryRun: false,
    workDir: work,
    logger,
    waitTimeoutMs: 180_000,
    ...overrides,
  };
  return { opts, logger };
}

/** Every member's cluster ID and health, each read in its own container. */
async function clusterIdsOfMembers(): Promise<string[]> {
  const ids: string[] = [];
  for (const node of uc3.nodes) {
    const status = await memberEtcdctl(node.name, "endpoint", "status", "-w", "json");
    ids.push(/"cluster_id":\s*(\d+)/.exec(status)![1]!);
    await memberEtcdctl(node.name, "endpoint", "health");
  }
  return ids;
}

/** The etcd and kube-apiserver static pods of every node, as uc3's API shows them. */
async function staticPodPhases(): Promise<string[]> {
  const pods = await userConfig
    .makeApiClient(CoreV1Api)
    .listNamespacedPod({ namespace: "kube-system" });
  return pods.items
    .filter((pod) => /^(etcd|kube-apiserver)-uc3-cp-\d$/.test(pod.metadata?.name ?? ""))
    .map((pod) => `${pod.metadata!.name}=${pod.status?.phase}`)
    .sort();
}

/** Whether uc3's API refuses (its control plane stopped): a real one does, so the sandbox's does. */
async function userApiRefuses(): Promise<boolean> {
  return userConfig
    .makeApiClient(CoreV1Api)
    .listNode()
    .then(
      () => false,
      () => true,
    );
}

async function journalInAdmin(): Promise<boolean> {
  try {
    await adminConfig
      .makeApiClient(CoreV1Api)
      .readNamespacedConfigMap({ namespace: "uc3", name: RESTORE_JOURNAL_NAME });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw error;
  }
}

/** What a restore may change on a node: its manifests folders and its data dir's entries. */
function nodeShape(): string[] {
  return uc3.nodes.flatMap((node) => [
    `${node.name} manifests: ${readdirSync(node.manifestsDir).sort().join(",")}`,
    `${node.name} kubernetes: ${readdirSync(join(node.rootDir, "etc/kubernetes")).sort().join(",")}`,
    `${node.name} data: ${readdirSync(node.etcdDataDir).sort().join(",")}`,
  ]);
}

/**
 * Corrupts a member's database the way a failed disk does: its static pod stopped (manifest
 * moved out), the database's first pages overwritten once nothing holds it, the manifest put
 * back; the kubelet then starts an etcd that exits at once, again and again.
 */
async function corruptMember(node: ControlPlaneV2Layout["nodes"][number]): Promise<void> {
  const manifest = join(node.manifestsDir, "etcd.yaml");
  const aside = join(node.rootDir, "etc/kubernetes", `manifests-break-${Date.now()}`);
  const database = join(node.etcdDataDir, "member/snap/db");
  await mkdir(aside);
  await rename(manifest, join(aside, "etcd.yaml"));
  try {
    await waitFor(`etcd on ${node.name} to release ${database}`, async () => {
      const held = await run("flock", ["-n", "-x", database, "true"]).then(
        () => false,
        () => true,
      );
      return held ? undefined : true;
    });
    const file = await open(database, "r+");
    try {
      await file.write(randomBytes(4 * 4096), 0, 4 * 4096, 0);
      await file.sync();
    } finally {
      await file.close();
    }
  } finally {
    await rename(join(aside, "etcd.yaml"), manifest);
    await rmdir(aside);
  }
}

/**
 * A logger and a signal that cancels the run the moment `line` is logged: the cancellation
 * closes the SSH sessions at once, so the next step cannot start on any node.
 */
function cancelledAfter(line: string) {
  const logger = recordingLogger();
  const controller = new AbortController();
  const info = logger.info.bind(logger);
  logger.info = (message: string) => {
    info(message);
    if (message.startsWith(line)) controller.abort(new Error(`cancelled after ${line}`));
  };
  return { logger, signal: controller.signal };
}

/**
 * Drops every SSH connection to uc3's nodes, as a network cut would: the session processes
 * of each node's sshd (found by its own config path, killed by pid), not its listener.
 */
async function dropSshSessions(): Promise<number> {
  const cmdline = async (pid: string) =>
    (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
  const pids = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry));
  let killed = 0;
  for (const node of uc3.nodes) {
    const config = `${node.name}/sshd_config`;
    let listener: string | undefined;
    for (const pid of pids) {
      const line = await cmdline(pid);
      if (line.includes("sshd") && line.includes(config) && line.includes(sandbox.dir))
        if (!line.includes("unshare")) listener = pid;
    }
    if (!listener) throw new Error(`no sshd with ${config} runs`);
    const namespace = await readlink(`/proc/${listener}/ns/pid`);
    for (const pid of pids) {
      if (pid === listener) continue;
      if ((await readlink(`/proc/${pid}/ns/pid`).catch(() => "")) !== namespace) continue;
      try {
        process.kill(Number(pid), "SIGKILL");
        killed++;
      } catch {
        // ended on its own meanwhile
      }
    }
  }
  return killed;
}

describe("restore of a Controlplane V2 user cluster over SSH", { timeout: SLOW_MACHINE_MS }, () => {
  it("refuses a wrong confirm after reading every node, before anything changes", async () => {
    const before = nodeShape();
    const { opts, logger } = options({ confirm: "uc1" });
    const result = await runControlPlaneV2Restore(opts);
    expect(result.outcome, logger.lines.join("\n")).toBe("failed");
    expect(result.error).toContain('confirm: is "uc1", not the cluster\'s name (uc3)');
    expect(result.steps.filter((step) => step.outcome === "done").map((step) => step.step)).toEqual(
      ["readEtcdBackup", "connect", "checkSudo", "readNodes", "checkRoom"],
    );
    expect(nodeShape()).toEqual(before);
    expect(await journalInAdmin()).toBe(false);
    expect(logger.lines.join("\n")).not.toContain(privateKey.split("\n")[1]!);
  });

  it("restores all three members from one snapshot after two members' data was corrupted", async () => {
    await putKeys("/drill/b", 5);
    expect(await keysUnder("uc3-cp-0", "/drill/b")).toHaveLength(5);
    await corruptMember(uc3.nodes[1]!);
    await corruptMember(uc3.nodes[2]!);
    // Two of three members down: no quorum, the cluster's etcd is lost.
    await waitFor("uc3 to lose quorum", async () => {
      const ok = await memberEtcdctl("uc3-cp-0", "get", "/drill/a/0", "--command-timeout=2s").then(
        () => true,
        () => false,
      );
      return ok ? undefined : true;
    });

    const { opts, logger } = options();
    const result = await runControlPlaneV2Restore(opts);
    expect(result.outcome, `${result.error}\n${logger.lines.join("\n")}`).toBe("restored");
    expect(result.members).toEqual(["uc3-cp-0", "uc3-cp-1", "uc3-cp-2"]);
    for (const node of uc3.nodes) {
      expect(await keysUnder(node.name, "/drill/a")).toHaveLength(5);
      expect(await keysUnder(node.name, "/drill/b")).toEqual([]);
    }
    const ids = await clusterIdsOfMembers();
    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toBe(result.clusterId);
    expect(await staticPodPhases()).toEqual([
      "etcd-uc3-cp-0=Running",
      "etcd-uc3-cp-1=Running",
      "etcd-uc3-cp-2=Running",
      "kube-apiserver-uc3-cp-0=Running",
      "kube-apiserver-uc3-cp-1=Running",
      "kube-apiserver-uc3-cp-2=Running",
    ]);
    const nodes = await userConfig.makeApiClient(CoreV1Api).listNode();
    expect(nodes.items.map((node) => node.metadata?.name).sort()).toEqual([
      "uc3-cp-0",
      "uc3-cp-1",
      "uc3-cp-2",
    ]);
    // The old data kept aside on every node, the manifests back, the lock released.
    for (const node of uc3.nodes) {
      expect(readdirSync(node.manifestsDir).sort()).toEqual(["etcd.yaml", "kube-apiserver.yaml"]);
      const data = readdirSync(node.etcdDataDir);
      expect(data.filter((name) => name.startsWith("pre-restore-"))).toHaveLength(1);
      expect(data.filter((name) => name.startsWith("restore-"))).toEqual([]);
      expect(
        readdirSync(join(node.rootDir, "etc/kubernetes")).filter((name) =>
          name.startsWith("manifests-stopped"),
        ),
      ).toEqual([]);
    }
    expect(await journalInAdmin()).toBe(false);
    expect(result.record).toBeDefined();
    const lines = logger.lines.join("\n");
    expect(lines).toContain("✔ stopControlPlane");
    expect(lines.indexOf("✔ stopControlPlane")).toBeLessThan(lines.indexOf("▶ swapData"));
  });

  it("finishes on a rerun a restore whose SSH connections dropped after the stop", async () => {
    await putKeys("/drill/c", 2);
    const logger = recordingLogger();
    let dropped: Promise<number> | undefined;
    const info = logger.info.bind(logger);
    logger.info = (message: string) => {
      info(message);
      if (!dropped && message.startsWith("✔ stopControlPlane")) dropped = dropSshSessions();
    };
    const first = await runControlPlaneV2Restore(options({ logger }).opts);
    expect(await dropped).toBeGreaterThan(0);
    expect(first.outcome, logger.lines.join("\n")).toBe("failed");
    // Stopped everywhere, the lock held in the admin cluster: nothing runs on half-swapped data.
    expect(await journalInAdmin()).toBe(true);
    for (const node of uc3.nodes)
      expect(existsSync(join(node.manifestsDir, "etcd.yaml"))).toBe(false);
    // The journal names every node (uc3's API cannot list them now) and the bump chosen.
    const staged = (await new ConfigMapJournal(adminConfig, "uc3").read()).find(
      (entry) => entry.step === "stageSnapshot" && entry.event === "intent",
    )?.data as { nodes: { name: string; address: string }[]; bump: number };
    expect(staged.nodes.map((node) => `${node.name}@${node.address}`)).toEqual(
      uc3.nodes.map((node) => `${node.name}@${node.ssh.host}`),
    );
    expect(staged.bump).toBe(0);
    // No kube-apiserver runs: uc3's API is gone until the rerun starts the control plane.
    await waitFor("uc3's API to refuse", async () => ((await userApiRefuses()) ? true : undefined));

    const { opts, logger: rerunLogger } = options();
    const rerun = await runControlPlaneV2Restore(opts);
    expect(rerun.outcome, `${rerun.error}\n${rerunLogger.lines.join("\n")}`).toBe("restored");
    expect(rerunLogger.lines.join("\n")).toContain(
      "Continuing the work recorded in ConfigMap uc3/",
    );
    expect(rerunLogger.lines.join("\n")).toContain("✔ stageSnapshot: done in an earlier run");
    // The room check counts the snapshot the first run staged instead of asking for it again.
    expect(rerunLogger.lines.join("\n")).toMatch(
      /✔ checkRoom.*uc3-cp-0: .* needed \(beside .* the earlier run staged\)/,
    );
    for (const node of uc3.nodes) {
      expect(await keysUnder(node.name, "/drill/a")).toHaveLength(5);
      expect(await keysUnder(node.name, "/drill/c")).toEqual([]);
    }
    expect(new Set(await clusterIdsOfMembers()).size).toBe(1);
    expect(await journalInAdmin()).toBe(false);
  });

  it("the post step puts uc3 back on its old data after a run cut off after the stop", async () => {
    await putKeys("/drill/e", 2);
    const logger = recordingLogger();
    let dropped: Promise<number> | undefined;
    const info = logger.info.bind(logger);
    logger.info = (message: string) => {
      info(message);
      if (!dropped && message.startsWith("✔ stopControlPlane")) dropped = dropSshSessions();
    };
    const cut = await runControlPlaneV2Restore(options({ logger, owner: "run 7 attempt 1" }).opts);
    expect(await dropped).toBeGreaterThan(0);
    expect(cut.outcome, logger.lines.join("\n")).toBe("failed");
    expect(await journalInAdmin()).toBe(true);

    const { opts } = options();
    const stranger = await finishInterruptedControlPlaneV2Restore({
      ...opts,
      owner: "run 8 attempt 1",
    });
    expect(stranger).toBe("not ours");
    expect(await journalInAdmin()).toBe(true);

    const postLogger = recordingLogger();
    const outcome = await finishInterruptedControlPlaneV2Restore({
      ...opts,
      logger: postLogger,
      owner: "run 7 attempt 1",
    });
    expect(outcome, postLogger.lines.join("\n")).toBe("put back");
    expect(await journalInAdmin()).toBe(false);
    for (const node of uc3.nodes) {
      expect(readdirSync(node.manifestsDir).sort()).toEqual(["etcd.yaml", "kube-apiserver.yaml"]);
      expect(readdirSync(node.etcdDataDir).filter((name) => name.startsWith("restore-"))).toEqual(
        [],
      );
    }
    // The members start again on the data they had: /drill/e, written before, is there.
    await waitFor("uc3's members to answer again", async () =>
      (await clusterIdsOfMembers().catch(() => [])).length === 3 ? true : undefined,
    );
    for (const node of uc3.nodes) {
      expect(await keysUnder(node.name, "/drill/e")).toHaveLength(2);
    }
  });

  it("undo puts back the data the last restore displaced on every node", async () => {
    const { opts, logger } = options();
    const result = await runControlPlaneV2Undo(opts);
    expect(result.outcome, `${result.error}\n${logger.lines.join("\n")}`).toBe("undone");
    // The last restore displaced the data that held /drill/c.
    for (const node of uc3.nodes) {
      expect(await keysUnder(node.name, "/drill/c")).toHaveLength(2);
    }
    expect(new Set(await clusterIdsOfMembers()).size).toBe(1);
    expect(await journalInAdmin()).toBe(false);
  });

  it("undo takes over a restore cancelled after its swap and, itself cancelled after its swap back, finishes on a rerun", async () => {
    await putKeys("/drill/g", 2);
    const restore = cancelledAfter("✔ swapData");
    await expect(runControlPlaneV2Restore(options(restore).opts)).rejects.toThrow();
    expect(await journalInAdmin()).toBe(true);
    expect(restore.logger.lines.join("\n")).not.toContain("▶ checkHealthy");

    const undo = cancelledAfter("✔ swapBack");
    await expect(runControlPlaneV2Undo(options(undo).opts)).rejects.toThrow();
    const undoLines = undo.logger.lines.join("\n");
    expect(undoLines).toContain("Taking over the lock of the unfinished restore of uc3");
    expect(undoLines).toContain("✔ swapBack");
    expect(await journalInAdmin()).toBe(true);

    // The rerun takes the stamp from the journal: the nodes' newest pre-restore folders are
    // now older ones (this one was moved back), which a recomputed stamp would pick.
    const { opts, logger } = options();
    const resumed = await runControlPlaneV2Undo(opts);
    expect(resumed.outcome, `${resumed.error}\n${logger.lines.join("\n")}`).toBe("undone");
    expect(logger.lines.join("\n")).toContain("✔ swapBack: done in an earlier run");
    for (const node of uc3.nodes) {
      expect(await keysUnder(node.name, "/drill/g")).toHaveLength(2);
    }
    expect(new Set(await clusterIdsOfMembers()).size).toBe(1);
    expect(await journalInAdmin()).toBe(false);
  });

  /** The action's inputs for uc3: the key is left to the admin cluster's secret uc3/ssh-keys. */
  function actionInputs(extra: Record<string, string> = {}): Record<string, string> {
    return {
      "admin-kubeconfig-path": sandbox.kubeconfigPath,
      cluster: "uc3",
      backup: backup.location.uri,
      "decryption-identity": identityText,
      confirm: "uc3",
      "user-kubeconfigs": uc3.kubeconfigPath,
      "ssh-known-hosts": uc3.nodes.map((node) => node.ssh.knownHostsLine).join("\n"),
      ...extra,
    };
  }

  it("etcd-restore-ha refuses a wrong confirm for a Controlplane V2 cluster with one error, changing nothing", async () => {
    const before = nodeShape();
    const refused = await runAction("etcd-restore-ha", work, actionInputs({ confirm: "uc1" }));
    expect(refused.exitCode, refused.log).toBe(1);
    const errors = errorLines(refused.log);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('confirm: is "uc1", not the cluster\'s name (uc3)');
    expect(refused.log).toContain("uc3 is a Controlplane V2 cluster: control-plane nodes uc3-cp-0");
    expect(refused.log).toContain("SSH key from secret uc3/ssh-keys");
    expect(refused.log).not.toContain(privateKey.split("\n")[1]!);
    expect(nodeShape()).toEqual(before);
    expect(await journalInAdmin()).toBe(false);
  });

  it("etcd-restore-ha detects the topology from the backup and restores uc3 over SSH, its API down, from control-plane-nodes", async () => {
    expect(uc3.nodes.every((node) => node.ssh.port === 22)).toBe(true);
    await putKeys("/drill/d", 2);
    // The disaster this restore is for: two members lost, no quorum, so uc3 has no API.
    await corruptMember(uc3.nodes[1]!);
    await corruptMember(uc3.nodes[2]!);
    await waitFor("uc3's API to refuse", async () => ((await userApiRefuses()) ? true : undefined));
    const before = nodeShape();
    const unlisted = await runAction("etcd-restore-ha", work, actionInputs());
    expect(unlisted.exitCode, unlisted.log).toBe(1);
    const errors = errorLines(unlisted.log);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("give them as control-plane-nodes (one name=address per line)");
    expect(nodeShape()).toEqual(before);
    expect(await journalInAdmin()).toBe(false);

    const badLine = await runAction(
      "etcd-restore-ha",
      work,
      actionInputs({ "control-plane-nodes": "uc3-cp-0 10.0.0.1" }),
    );
    expect(badLine.exitCode, badLine.log).toBe(1);
    expect(errorLines(badLine.log)).toEqual([
      expect.stringContaining("Input control-plane-nodes, line 1: expected name=address"),
    ]);

    const nodes = uc3.nodes.map((node) => `${node.name}=${node.internalIP}`).join("\n");
    const restored = await runAction(
      "etcd-restore-ha",
      work,
      actionInputs({ "control-plane-nodes": nodes }),
    );
    expect(restored.exitCode, restored.log).toBe(0);
    expect(errorLines(restored.log)).toEqual([]);
    const output = JSON.parse(restored.outputs.restore!) as {
      outcome: string;
      topology: string;
      members: string[];
    };
    expect(output).toMatchObject({
      outcome: "restored",
      topology: "controlplane-v2",
      members: ["uc3-cp-0", "uc3-cp-1", "uc3-cp-2"],
    });
    for (const node of uc3.nodes) {
      expect(await keysUnder(node.name, "/drill/a")).toHaveLength(5);
      expect(await keysUnder(node.name, "/drill/d")).toEqual([]);
    }
    expect(new Set(await clusterIdsOfMembers()).size).toBe(1);
    expect(await journalInAdmin()).toBe(false);
  });

  it("etcd-restore-ha's post step puts uc3 back after its main step was killed after the stop", async () => {
    await putKeys("/drill/f", 2);
    const inputs = actionInputs();
    const main = await runAction(
      "etcd-restore-ha",
      work,
      inputs,
      {},
      {
        cancel: {
          at: (log) => log.includes("✔ stopControlPlane"),
          sequence: [{ signal: "SIGKILL", afterMs: 0 }],
        },
      },
    );
    expect(main.signal).toBe("SIGKILL");
    for (const node of uc3.nodes) {
      expect(readdirSync(node.manifestsDir)).not.toContain("etcd.yaml");
    }
    expect(await journalInAdmin()).toBe(true);
    await waitFor("uc3's API to refuse", async () => ((await userApiRefuses()) ? true : undefined));
    const post = await runPostStep("etcd-restore-ha", work, main, inputs);
    expect(post.exitCode, post.log).toBe(0);
    // The nodes from the journal: uc3's API, where the Nodes are listed, is down.
    expect(post.log).toContain("its control-plane nodes are taken from there");
    expect(post.log).toContain("did not finish before its swap; put back");
    expect(await journalInAdmin()).toBe(false);
    expect(readdirSync(main.runnerTemp)).toEqual([]);
    for (const node of uc3.nodes) {
      expect(readdirSync(node.manifestsDir).sort()).toEqual(["etcd.yaml", "kube-apiserver.yaml"]);
    }
    await waitFor("uc3's members to answer again", async () =>
      (await clusterIdsOfMembers().catch(() => [])).length === 3 ? true : undefined,
    );
    for (const node of uc3.nodes) {
      expect(await keysUnder(node.name, "/drill/f")).toHaveLength(2);
    }
  });
});
