/**
 * The admin restore's undo against the sandbox: a healthy admin etcd restored from a backup
 * (keys written after it gone), then undone over SSH: those keys back, the restored data kept
 * aside in a pre-undo folder, both static pods running. The proof reads etcd itself.
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age-keys.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import type { StoredBackup } from "../../src/core/storage/pipeline.ts";
import {
  runAdminRestore,
  runAdminUndo,
  type AdminUndoOptions,
} from "../../src/procedures/admin-restore.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import {
  adminEtcdctl as adminEtcdctl0,
  adminKeys as adminKeys0,
  adminSshKey,
  ageKeyPair,
  backUpEtcd,
  kubectl as kubectl0,
  newestBackup,
} from "./restore-helpers.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let work: string;
let identityText: string;
let backup: StoredBackup;
let store: FileStore;
let keyText: string;

const kubectl = (...args: string[]) => kubectl0(sandbox, ...args);
const adminEtcdctl = (args: string) => adminEtcdctl0(sandbox, args);
const adminKeys = (prefix: string) => adminKeys0(sandbox, prefix);

function undoOptions(overrides: Partial<AdminUndoOptions> = {}) {
  const logger = recordingLogger();
  const ssh = sandbox.layout.ssh;
  const opts: AdminUndoOptions = {
    host: ssh.node.host,
    user: ssh.node.user,
    privateKey: keyText,
    hostKeys: { knownHosts: [ssh.node.knownHostsLine] },
    confirm: sandbox.layout.admin.node,
    dryRun: false,
    workDir: work,
    logger,
    waitTimeoutMs: 120_000,
    ...overrides,
  };
  return { opts, logger };
}

/** A restore of the admin etcd from the backup, to the same node as the undo. */
function restoreOptions() {
  const { opts, logger } = undoOptions();
  return {
    opts: {
      ...opts,
      store,
      etcdBackup: backup,
      restorePki: "never" as const,
      identities: parseIdentities(identityText),
      revisionBump: "auto" as const,
    },
    logger,
  };
}

function dataDirEntries(): string[] {
  return readdirSync(sandbox.layout.admin.etcdDataDir).sort();
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "admin-undo-"));
  sandbox = await startSandbox({});
  const key = await ageKeyPair(work);
  identityText = key.identityText;
  keyText = (await adminSshKey(sandbox)).toString("utf8");
  await adminEtcdctl("put /undo-test/before-backup yes");
  const folder = join(work, "backups");
  await mkdir(folder);
  store = new FileStore(folder);
  const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  await backUpEtcd({ config, store, recipient: key.recipient, work }, ["admin"]);
  backup = await newestBackup(store, "admin", "admin-etcd");
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("admin-restore undo over SSH against the sandbox's admin-master", () => {
  it("refuses an undo when no restore left a pre-restore folder, changing nothing", async () => {
    const before = dataDirEntries();
    const manifests = readdirSync(join(sandbox.layout.admin.nodeRoot, "etc/kubernetes/manifests"));
    const { opts } = undoOptions();
    const result = await runAdminUndo(opts);
    expect(result.outcome).toBe("failed");
    expect(result.error).toMatch(
      /^undo: there is nothing to undo on admin-master: no .*\/pre-restore-<stamp> folder holds the data a restore displaced/,
    );
    const changed = result.steps.filter(
      (step) =>
        step.outcome !== "skipped" &&
        !["connect", "checkSudo", "readNode", "findPreRestore"].includes(step.step),
    );
    expect(changed).toEqual([]);
    expect(dataDirEntries()).toEqual(before);
    expect(readdirSync(join(sandbox.layout.admin.nodeRoot, "etc/kubernetes/manifests"))).toEqual(
      manifests,
    );
  });

  it("refuses a restore on a node where sudo wants a password, before anything changes", async () => {
    // The node's own sudoers (its /etc layer on the host), rewritten in place and put back.
    const sudoers = join(sandbox.dir, "work/ssh/admin-master/etc/sudoers");
    const original = await readFile(sudoers, "utf8");
    expect(original).toContain("NOPASSWD:");
    const before = dataDirEntries();
    await writeFile(sudoers, original.replace(/NOPASSWD:\s*/g, ""));
    try {
      const result = await runAdminRestore(restoreOptions().opts);
      expect(result.outcome).toBe("failed");
      expect(result.error).toMatch(/sudo on .* needs a password for user ubuntu/);
      expect(result.steps.find((step) => step.step === "checkSudo")?.outcome).toBe("failed");
      const changed = result.steps.filter(
        (step) =>
          step.outcome !== "skipped" &&
          !["readEtcdBackup", "readPkiBackup", "connect", "checkSudo"].includes(step.step),
      );
      expect(changed).toEqual([]);
    } finally {
      await writeFile(sudoers, original);
    }
    expect(dataDirEntries()).toEqual(before);
  });

  it("refuses a restore when the node's data volume has no room for the snapshot and the restored data", async () => {
    // A 1 MiB tmpfs over the data dir, in the node sshd's own (private) mount namespace only:
    // the room check sees a full volume there, while etcd keeps running on its real data.
    const holder = (
      await readFile(join(sandbox.dir, "work/ssh/admin-master/namespace.pid"), "utf8")
    ).trim();
    const sshd = (await run("pgrep", ["-P", holder])).stdout.trim().split("\n")[0]!;
    const dataDir = sandbox.layout.admin.etcdDataDirOnNode;
    const inNode = (...argv: string[]) => run("nsenter", ["-t", sshd, "-m", "-r", ...argv]);
    const before = dataDirEntries();
    await inNode("mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", dataDir);
    try {
      const result = await runAdminRestore(restoreOptions().opts);
      expect(result.outcome).toBe("failed");
      expect(result.error).toMatch(
        new RegExp(
          `^the volume of ${dataDir} on admin-master has .* free, but the restore needs .* \\(the snapshot and the restored data\\); free room there and run again\\. Nothing was changed\\.$`,
        ),
      );
      expect(result.steps.find((step) => step.step === "checkRoom")?.outcome).toBe("failed");
      expect(
        result.steps.filter((step) => step.outcome === "done").map((step) => step.step),
      ).toEqual(["readEtcdBackup", "connect", "checkSudo", "readNode"]);
      // Nothing was written into the node's view of the data dir either.
      expect((await inNode("ls", "-A", dataDir)).stdout).toBe("");
    } finally {
      await inNode("umount", dataDir);
    }
    expect(dataDirEntries()).toEqual(before);
  });

  it("undoes a restore of a healthy admin etcd: the later keys back, the restored data kept aside, both static pods running", async () => {
    await adminEtcdctl("put /undo-test/after-backup yes");
    const restore = restoreOptions();
    const restored = await runAdminRestore(restore.opts);
    expect(restored.error, restore.logger.lines.join("\n")).toBeUndefined();
    expect(await adminKeys("/undo-test/")).toEqual(["/undo-test/before-backup"]);
    const stamp = restored.preRestoreFolder!.split("pre-restore-")[1]!;

    const { opts, logger: undoLogger } = undoOptions();
    const result = await runAdminUndo(opts);
    expect(result.error, undoLogger.lines.join("\n")).toBeUndefined();
    expect(result.outcome).toBe("undone");
    expect(result.preRestoreFolder).toBe(restored.preRestoreFolder);
    expect(result.steps.find((step) => step.step === "undoPki")?.outcome).toBe("skipped");
    expect(result.steps.find((step) => step.step === "swapBack")?.outcome).toBe("done");

    // The keys written after the backup are back: etcd runs on the data the restore displaced.
    expect(await adminKeys("/undo-test/")).toEqual([
      "/undo-test/after-backup",
      "/undo-test/before-backup",
    ]);
    expect(result.revision).toBeGreaterThan(0);
    // Nothing deleted: the restored data is kept in a pre-undo folder; the pre-restore one is emptied.
    const data = dataDirEntries();
    const preUndo = data.filter((name) => name.startsWith("pre-undo-"));
    expect(preUndo).toHaveLength(1);
    const kept = join(sandbox.layout.admin.etcdDataDir, preUndo[0]!);
    expect(existsSync(join(kept, "member/snap/db"))).toBe(true);
    expect(existsSync(join(kept, `admin-restore-${stamp}.journal`))).toBe(true);
    expect(data).not.toContain(`pre-restore-${stamp}`);
    expect(data.filter((name) => name.endsWith(".journal"))).toEqual([]);
    const pods = JSON.parse(await kubectl("get", "pods", "-n", "kube-system", "-o", "json")) as {
      items: { metadata: { name: string }; status: { phase: string } }[];
    };
    const phases = Object.fromEntries(
      pods.items.map((pod) => [pod.metadata.name, pod.status.phase]),
    );
    expect(phases[sandbox.layout.admin.etcdPod]).toBe("Running");
    expect(phases[sandbox.layout.admin.apiserverPod]).toBe("Running");
    expect(
      readdirSync(join(sandbox.layout.admin.nodeRoot, "etc/kubernetes/manifests")).sort(),
    ).toEqual(["etcd.yaml", "kube-apiserver.yaml"]);

    // A second undo finds nothing newer to put back.
    const again = await runAdminUndo(undoOptions().opts);
    expect(again.outcome).toBe("failed");
    expect(again.error).toMatch(/^undo: there is nothing to undo on admin-master/);
  });
});
