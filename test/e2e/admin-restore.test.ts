/**
 * The admin restore against the sandbox: the real admin etcd static pod on admin-master, its
 * kubelet driven by /etc/kubernetes/manifests, the real sshd on the node. A backup made by
 * the etcd-backup procedure, keys written after it, the admin etcd broken so it crash-loops,
 * then the restore over SSH alone: the proof reads etcd itself (keys and revision).
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
  finishInterruptedAdminRestore,
  runAdminRestore,
  type AdminRestoreOptions,
} from "../../src/procedures/admin-restore.ts";
import { runAdminPkiBackup } from "../../src/procedures/admin-pki-backup.ts";
import { breakAdminEtcd } from "../sandbox/admin-etcd-faults.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { diskTree } from "../ssh/fixtures.ts";
import { errorLines, runAction, runPostStep } from "./action-runner.ts";
import { waitFor } from "./helpers.ts";
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
let pkiBackup: StoredBackup;
/** The node's PKI as the PKI backup saw it. */
let pkiAtBackup: ReturnType<typeof diskTree>;
let store: FileStore;
let keyText: string;
let recipient: string;

function nodeRoot(): string {
  return sandbox.layout.admin.nodeRoot;
}

/** The data dir of the admin etcd on the node, as its manifest's volume maps it. */
function dataDirOnHost(): string {
  return sandbox.layout.admin.etcdDataDir;
}

const kubectl = (...args: string[]) => kubectl0(sandbox, ...args);
/** etcdctl inside the admin etcd's own container, as the runbook runs it. */
const adminEtcdctl = (args: string) => adminEtcdctl0(sandbox, args);
const adminKeys = (prefix: string) => adminKeys0(sandbox, prefix);

/** The node's static pod manifests are back in place, no stopped-manifests folder left. */
function expectManifestsInPlace(): void {
  expect(readdirSync(join(nodeRoot(), "etc/kubernetes/manifests")).sort()).toEqual([
    "etcd.yaml",
    "kube-apiserver.yaml",
  ]);
  expect(
    readdirSync(join(nodeRoot(), "etc/kubernetes")).filter((name) =>
      name.startsWith("manifests-stopped"),
    ),
  ).toEqual([]);
}

async function options(overrides: Partial<AdminRestoreOptions> = {}) {
  const logger = recordingLogger();
  const ssh = sandbox.layout.ssh;
  const opts: AdminRestoreOptions = {
    host: ssh.node.host,
    user: ssh.node.user,
    privateKey: keyText,
    hostKeys: { knownHosts: [ssh.node.knownHostsLine] },
    store,
    etcdBackup: backup,
    restorePki: "never",
    identities: parseIdentities(identityText),
    confirm: sandbox.layout.admin.node,
    revisionBump: "auto",
    dryRun: false,
    workDir: work,
    logger,
    waitTimeoutMs: 120_000,
    ...overrides,
  };
  return { opts, logger };
}

/** The steps that only read: a refused run may have done these and nothing else. */
const READ_STEPS = [
  "readEtcdBackup",
  "readPkiBackup",
  "connect",
  "checkSudo",
  "readNode",
  "checkRoom",
  "checkPki",
];

/** What a restore may change on the node, named by path: manifests, PKI, the data dir's shape. */
function nodeState() {
  const manifests = diskTree(nodeRoot(), "/etc/kubernetes/manifests");
  const pki = diskTree(nodeRoot(), "/etc/kubernetes/pki");
  const kubernetes = readdirSync(join(nodeRoot(), "etc/kubernetes")).sort();
  // The live member's files change while etcd runs; their names and the folder's other
  // entries (restore and pre-restore folders, staged snapshots, the journal) must not.
  const data = diskTree(nodeRoot(), sandbox.layout.admin.etcdDataDirOnNode)
    .filter((entry) => !/\/member\/(wal|snap)\/.+/.test(entry.path))
    .map((entry) => ({ ...entry, sha256: undefined, size: entry.type === "file" ? -1 : 0 }));
  return { manifests, pki, kubernetes, data };
}

/**
 * Drops every SSH connection to admin-master, as a network cut would: the session processes
 * of this sandbox's node sshd (found by its own config path, killed by pid), not its listener.
 */
async function dropSshSessions(): Promise<number> {
  const config = join(sandbox.dir, "work/ssh/admin-master/sshd_config");
  const { readdir, readlink } = await import("node:fs/promises");
  const cmdline = async (pid: string) =>
    (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "")).replace(/\0/g, " ");
  const pids = (await readdir("/proc")).filter((entry) => /^\d+$/.test(entry));
  let listener: string | undefined;
  for (const pid of pids) {
    const line = await cmdline(pid);
    if (line.includes("sshd") && line.includes(config) && !line.includes("unshare")) listener = pid;
  }
  if (!listener) throw new Error(`no sshd with ${config} runs`);
  const namespace = await readlink(`/proc/${listener}/ns/pid`);
  let killed = 0;
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
  return killed;
}

/** A logger that drops the SSH connections once the log shows `line`. */
function droppingAfter(line: string) {
  const logger = recordingLogger();
  let dropped: Promise<number> | undefined;
  const info = logger.info.bind(logger);
  logger.info = (message: string) => {
    info(message);
    if (!dropped && message.startsWith(line)) dropped = dropSshSessions();
  };
  return { logger, dropped: () => dropped };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "admin-restore-"));
  sandbox = await startSandbox({ userClusters: [{ name: "uc1", members: 1 }] });
  const key = await ageKeyPair(work);
  identityText = key.identityText;
  recipient = key.recipient;
  keyText = (await adminSshKey(sandbox)).toString("utf8");
  await adminEtcdctl("put /restore-test/before-backup yes");
  const folder = join(work, "backups");
  await mkdir(folder);
  store = new FileStore(folder);
  const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  await backUpEtcd({ config, store, recipient, work }, ["admin"]);
  backup = await newestBackup(store, "admin", "admin-etcd");
  pkiAtBackup = diskTree(nodeRoot(), "/etc/kubernetes/pki");
  const pki = await runAdminPkiBackup({
    config,
    hostKeys: { knownHosts: [sandbox.layout.ssh.node.knownHostsLine] },
    acceptUnknownHostKey: false,
    store,
    recipients: [recipient],
    compression: "zstd",
    retention: {},
    dryRun: false,
    logger: recordingLogger(),
  });
  expect(pki.outcome, pki.error).toBe("stored");
  pkiBackup = await newestBackup(store, "admin", "admin-pki");
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("admin-restore over SSH against the sandbox's admin-master", () => {
  it("a dry run reads both ends, prints the plan and changes nothing on the node", async () => {
    const before = nodeState();
    const revisionBefore = await adminEtcdctl("endpoint status -w json");
    const { opts, logger } = await options({ dryRun: true, confirm: undefined });
    const result = await runAdminRestore(opts);
    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe("planned");
    // Read from the manifest and mapped through its volume: not the path inside the pod.
    expect(result.dataDir).toBe(sandbox.layout.admin.etcdDataDirOnNode);
    expect(result.dataDir).not.toBe(sandbox.layout.admin.etcdDataDirInPod);
    expect(result.node).toBe(sandbox.layout.admin.node);
    const outcomes = Object.fromEntries(result.steps.map((step) => [step.step, step.outcome]));
    expect(outcomes).toMatchObject({
      readEtcdBackup: "done",
      connect: "done",
      checkSudo: "done",
      readNode: "done",
      checkRoom: "done",
      stageSnapshot: "skipped",
      stopControlPlane: "skipped",
      swapData: "skipped",
    });
    expect(logger.lines.join("\n")).toContain("restoreSnapshot [changes]");
    expect(nodeState()).toEqual(before);
    // etcd itself saw no write: the same revision.
    const revision = (text: string) => /"revision":(\d+)/.exec(text)?.[1];
    expect(revision(await adminEtcdctl("endpoint status -w json"))).toBe(revision(revisionBefore));
    expect(readdirSync(work).filter((name) => name.startsWith("etcd-backup-"))).toEqual([]);
  });

  it("restores a crash-looping admin etcd: keys before the backup back, later ones gone, static pods running", async () => {
    await adminEtcdctl("put /restore-test/after-backup yes");
    expect(await adminKeys("/restore-test/")).toEqual([
      "/restore-test/after-backup",
      "/restore-test/before-backup",
    ]);
    await breakAdminEtcd(sandbox.layout);
    const broken = (await readFile(join(dataDirOnHost(), "member/snap/db"))).subarray(0, 64);
    // A broken admin cluster looks broken: its API refuses connections.
    await waitFor(
      "the sandbox API to stop answering",
      async () =>
        (await kubectl("get", "namespaces").then(
          () => false,
          () => true,
        ))
          ? true
          : undefined,
      120_000,
      1000,
    );

    const { opts, logger } = await options();
    const result = await runAdminRestore(opts);
    expect(result.error, logger.lines.join("\n")).toBeUndefined();
    if (process.env.SHOW_LOG) console.log(logger.lines.join("\n"));
    expect(result.outcome).toBe("restored");
    const pkiSteps = ["readPkiBackup", "checkPki", "restorePki"];
    for (const step of result.steps) {
      expect([step.step, step.outcome]).toEqual([
        step.step,
        pkiSteps.includes(step.step) ? "skipped" : "done",
      ]);
    }

    expect(await adminKeys("/restore-test/")).toEqual(["/restore-test/before-backup"]);
    expect(result.revision).toBeGreaterThanOrEqual(backup.manifest.etcd!.revision!);
    // The audit trail: the restore's record beside the backups, naming this backup.
    const records = await store.listRestoreRecords("admin");
    const record = records.find((entry) => entry.uri === result.record);
    expect(record, JSON.stringify(records)).toBeDefined();
    expect(JSON.parse(record!.record.toString())).toMatchObject({
      kind: "restore",
      cluster: "admin",
      outcome: "restored",
      backup: backup.location.uri,
      revision: result.revision,
    });
    const pods = JSON.parse(await kubectl("get", "pods", "-n", "kube-system", "-o", "json")) as {
      items: { metadata: { name: string }; status: { phase: string } }[];
    };
    const phases = Object.fromEntries(
      pods.items.map((pod) => [pod.metadata.name, pod.status.phase]),
    );
    expect(phases[sandbox.layout.admin.etcdPod]).toBe("Running");
    expect(phases[sandbox.layout.admin.apiserverPod]).toBe("Running");
    expect(Object.keys(phases).some((name) => name.startsWith("etcd-restore"))).toBe(false);

    // Nothing deleted: the broken data is kept aside; no leftovers in the manifests folder.
    const aside = join(nodeRoot(), result.preRestoreFolder!, "member/snap/db");
    expect((await readFile(aside)).subarray(0, 64)).toEqual(broken);
    expectManifestsInPlace();
    expect(
      existsSync(
        join(dataDirOnHost(), `restore-${result.preRestoreFolder!.split("pre-restore-")[1]}.db`),
      ),
    ).toBe(false);
    // The fetched kubeconfig is private and works.
    expect(result.kubeconfigPath).toBeDefined();
    const mode = (await import("node:fs")).statSync(result.kubeconfigPath!).mode & 0o777;
    expect(mode).toBe(0o600);
    await run("kubectl", ["--kubeconfig", result.kubeconfigPath!, "get", "nodes"]);
  });

  it("restores through the action bundle, with the kubeconfig output removed by post and no secret in any log", async () => {
    await adminEtcdctl("put /restore-test/before-action yes");
    const ssh = sandbox.layout.ssh;
    const inputs = {
      "control-plane-address": ssh.node.host,
      "ssh-private-key": keyText,
      "ssh-known-hosts": ssh.node.knownHostsLine,
      "etcd-backup": backup.location.uri,
      "restore-pki": "never",
      "decryption-identity": identityText,
      confirm: sandbox.layout.admin.node,
      "wait-timeout-minutes": "3",
    };
    const result = await runAction("admin-restore", work, inputs);
    expect(result.exitCode, result.log).toBe(0);
    expect(await adminKeys("/restore-test/")).toEqual(["/restore-test/before-backup"]);
    const facts = JSON.parse(result.outputs.restore!) as { outcome: string; node: string };
    expect(facts).toMatchObject({ outcome: "restored", node: sandbox.layout.admin.node });
    expect(result.summary).toContain("Admin cluster restore on admin-master: restored");
    const kubeconfigPath = result.outputs["admin-kubeconfig-path"]!;
    expect(kubeconfigPath.startsWith(result.runnerTemp)).toBe(true);
    await run("kubectl", ["--kubeconfig", kubeconfigPath, "get", "nodes"]);
    // The kubeconfig's credentials, the SSH key and the identity were masked, and never shown.
    const kubeconfig = await readFile(kubeconfigPath, "utf8");
    const token =
      /token: (\S+)/.exec(kubeconfig)?.[1] ?? /client-key-data: (\S+)/.exec(kubeconfig)?.[1];
    expect(token).toBeDefined();
    expect(result.masked).toContain(token);
    const secrets = [
      token!,
      keyText.split("\n")[1]!.trim(),
      identityText
        .split("\n")
        .find((line) => line.startsWith("AGE-SECRET-KEY-"))!
        .trim(),
    ];
    const post = await runPostStep("admin-restore", work, result, inputs);
    expect(post.exitCode, post.log).toBe(0);
    expect(existsSync(kubeconfigPath)).toBe(false);
    expect(readdirSync(result.runnerTemp)).toEqual([]);
    for (const log of [result.log, result.summary, JSON.stringify(result.outputs), post.log]) {
      for (const secret of secrets) expect(log).not.toContain(secret);
    }
  });

  it("restore-pki auto on an intact PKI changes no PKI file", async () => {
    const { opts, logger } = await options({ restorePki: "auto", pkiBackup });
    const result = await runAdminRestore(opts);
    expect(result.error, logger.lines.join("\n")).toBeUndefined();
    expect(result.outcome).toBe("restored");
    expect(result.pkiDiffering).toEqual([]);
    expect(result.pkiRestored).toEqual([]);
    const skipped = result.steps.find((step) => step.step === "restorePki");
    expect(skipped).toMatchObject({ outcome: "skipped" });
    expect(skipped?.detail).toContain("equals the backup's");
    expect(diskTree(nodeRoot(), "/etc/kubernetes/pki")).toEqual(pkiAtBackup);
    expect(
      readdirSync(join(nodeRoot(), "etc/kubernetes")).filter((name) =>
        name.includes("pre-restore"),
      ),
    ).toEqual([]);
  });

  it("restore-pki auto puts back exactly the one file that was replaced, with its mode and owner", async () => {
    const replaced = "/etc/kubernetes/pki/front-proxy-client.crt";
    const onHost = join(nodeRoot(), replaced);
    await writeFile(onHost, "not the certificate the backup holds\n");
    await (await import("node:fs/promises")).chmod(onHost, 0o666);
    const { opts, logger } = await options({ restorePki: "auto", pkiBackup });
    const result = await runAdminRestore(opts);
    expect(result.error, logger.lines.join("\n")).toBeUndefined();
    expect(result.pkiDiffering).toEqual([replaced]);
    expect(result.pkiRestored).toEqual([replaced]);
    expect(diskTree(nodeRoot(), "/etc/kubernetes/pki")).toEqual(pkiAtBackup);
    const stamp = result.preRestoreFolder!.split("pre-restore-")[1]!;
    const kept = join(nodeRoot(), `etc/kubernetes/pki.pre-restore-${stamp}/front-proxy-client.crt`);
    expect(await readFile(kept, "utf8")).toBe("not the certificate the backup holds\n");
    // Only that file was displaced.
    expect(
      diskTree(nodeRoot(), `/etc/kubernetes/pki.pre-restore-${stamp}`).filter(
        (entry) => entry.type === "file",
      ),
    ).toHaveLength(1);
  });

  describe("refuses before anything on the node changes, with one clear error", () => {
    /** Runs a restore that must fail; checks the node is untouched; returns the one error. */
    async function refused(overrides: Partial<AdminRestoreOptions>): Promise<string> {
      const before = nodeState();
      const { opts } = await options(overrides);
      let message: string;
      try {
        const result = await runAdminRestore(opts);
        expect(result.outcome).toBe("failed");
        const changed = result.steps.filter(
          (step) => step.outcome !== "skipped" && !READ_STEPS.includes(step.step),
        );
        expect(changed).toEqual([]);
        message = result.error!;
      } catch (error) {
        message = (error as Error).message;
      }
      expect(nodeState()).toEqual(before);
      // The decrypted snapshot's private folder is gone.
      expect(
        readdirSync(work).filter((name) => name.startsWith("etcd-backup-admin-restore-")),
      ).toEqual([]);
      return message;
    }

    it("a confirm that is neither the node's name nor its address", async () => {
      expect(await refused({ confirm: "admin-master-2" })).toMatch(
        /^confirm: "admin-master-2" is neither the node's name \(admin-master\) or address/,
      );
      expect(await refused({ confirm: undefined })).toMatch(/^confirm: is empty; it must be/);
    });

    it("an age identity that opens neither backup", async () => {
      const other = parseIdentities((await ageKeyPair(work, "other-key.txt")).identityText);
      await rm(join(work, "other-key.txt"));
      expect(await refused({ identities: other })).toMatch(
        /^None of the given age identities \(for age1\w+\) can decrypt file:\/\/.*admin-etcd/,
      );
    });

    it("a tampered etcd backup and a tampered PKI backup", async () => {
      const copy = join(work, "tampered");
      await run("cp", ["-a", join(work, "backups"), copy]);
      try {
        const tamperedStore = new FileStore(copy);
        const find = (kind: "admin-etcd" | "admin-pki") =>
          newestBackup(tamperedStore, "admin", kind);
        const flip = async (stored: StoredBackup) => {
          const path = join(
            copy,
            "admin",
            stored.manifest.kind,
            stored.manifest.timestamp,
            stored.manifest.payload.name,
          );
          const bytes = await readFile(path);
          const middle = bytes.length >> 1;
          bytes.writeUInt8(bytes.readUInt8(middle) ^ 0xff, middle);
          await writeFile(path, bytes);
        };
        const etcd = await find("admin-etcd");
        const pki = await find("admin-pki");
        await flip(etcd);
        expect(await refused({ store: tamperedStore, etcdBackup: etcd })).toMatch(
          /admin-etcd.*(sha256|damaged|does not match)/,
        );
        await flip(pki);
        expect(
          await refused({
            store,
            etcdBackup: backup,
            pkiStore: tamperedStore,
            pkiBackup: pki,
            restorePki: "auto",
          }),
        ).toMatch(/admin-pki.*(sha256|damaged|does not match)/);
      } finally {
        await rm(copy, { recursive: true, force: true });
      }
    });

    it("a host key nothing pins, naming the fingerprint to pin", async () => {
      const message = await refused({ hostKeys: { knownHosts: [] } });
      expect(message).toContain(sandbox.layout.ssh.node.hostKeyFingerprint);
    });

    it("a PKI backup of another node (other CA certificates, no node name)", async () => {
      // A PKI backup taken while the node held other CA certificates, by address only (no
      // node name recorded): what another cluster's backup looks like to this node.
      const cas = ["ca.crt", "etcd/ca.crt", "front-proxy-ca.crt"].map((name) =>
        join(nodeRoot(), "etc/kubernetes/pki", name),
      );
      const saved = await Promise.all(cas.map((path) => readFile(path)));
      const otherStore = new FileStore(join(work, "other-node"));
      try {
        for (const path of cas) {
          await run("openssl", [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "/dev/null",
            "-subj",
            "/CN=other-ca",
            "-days",
            "1",
            "-out",
            path,
          ]);
        }
        const other = await runAdminPkiBackup({
          host: sandbox.layout.ssh.node.host,
          privateKey: keyText,
          hostKeys: { knownHosts: [sandbox.layout.ssh.node.knownHostsLine] },
          acceptUnknownHostKey: false,
          store: otherStore,
          recipients: [recipient],
          compression: "zstd",
          retention: {},
          dryRun: false,
          logger: recordingLogger(),
        });
        expect(other.outcome, other.error).toBe("stored");
      } finally {
        await Promise.all(cas.map((path, index) => writeFile(path, saved[index]!)));
      }
      const foreign = await newestBackup(otherStore, "admin", "admin-pki");
      expect(
        await refused({ pkiStore: otherStore, pkiBackup: foreign, restorePki: "auto" }),
      ).toMatch(
        /^pki-backup: .* does not look like admin-master's: it was taken on an unnamed node and none of its CA certificates/,
      );
    });
  });

  for (const after of ["stopControlPlane", "swapData"]) {
    it(`a rerun finishes a restore whose SSH connection dropped after ${after}`, async () => {
      await adminEtcdctl(`put /restore-test/before-drop-${after} yes`);
      const dropping = droppingAfter(`✔ ${after}`);
      const { opts } = await options({ logger: dropping.logger });
      const first = await runAdminRestore(opts);
      expect(await dropping.dropped()).toBeGreaterThan(0);
      expect(first.outcome, dropping.logger.lines.join("\n")).toBe("failed");
      expect(first.error).toMatch(
        /SSH connection to .* dropped|cut short|stopped before it finished/,
      );
      // The control plane is still down: its manifests are set aside.
      expect(readdirSync(join(nodeRoot(), "etc/kubernetes/manifests"))).not.toContain("etcd.yaml");

      const { opts: again, logger } = await options();
      const rerun = await runAdminRestore(again);
      expect(rerun.error, logger.lines.join("\n")).toBeUndefined();
      expect(rerun.outcome).toBe("restored");
      expect(logger.lines.join("\n")).toContain("Continuing the work recorded in file");
      // The rerun continued the same restore (same stamp), not a new one.
      for (const step of ["stageSnapshot", after]) {
        expect(rerun.steps.find((record) => record.step === step)?.detail).toMatch(
          /^done in an earlier run/,
        );
      }
      expect(await adminKeys("/restore-test/")).toEqual(["/restore-test/before-backup"]);
      expect(readdirSync(join(nodeRoot(), "etc/kubernetes/manifests")).sort()).toEqual([
        "etcd.yaml",
        "kube-apiserver.yaml",
      ]);
    });
  }

  it("the CLI's admin-restore dry run reads the backups and the node and changes nothing", async () => {
    const before = nodeState();
    const keyFile = join(work, "node-key");
    const knownHosts = join(work, "known_hosts");
    await writeFile(keyFile, keyText, { mode: 0o600 });
    await writeFile(knownHosts, `${sandbox.layout.ssh.node.knownHostsLine}\n`);
    const { stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/cli.ts",
        "admin-restore",
        "--address",
        sandbox.layout.ssh.node.host,
        "--ssh-key-file",
        keyFile,
        "--known-hosts",
        knownHosts,
        "--etcd-backup",
        backup.location.uri,
        "--pki-backup",
        pkiBackup.location.uri,
        "--identity-file",
        join(work, "key.txt"),
        "--work-dir",
        work,
        "--dry-run",
        "-o",
        "json",
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    await rm(keyFile);
    const result = JSON.parse(stdout) as {
      outcome: string;
      node: string;
      pkiDiffering: string[];
      steps: { step: string; outcome: string }[];
    };
    expect(result.outcome).toBe("planned");
    expect(result.node).toBe("admin-master");
    expect(result.pkiDiffering).toEqual([]);
    expect(result.steps.find((step) => step.step === "checkPki")?.outcome).toBe("done");
    expect(nodeState()).toEqual(before);
    expect(stdout).not.toContain(keyText.split("\n")[1]!.trim());
  });

  it("post puts the manifests back after a restore that failed before its swap; the next restore starts afresh", async () => {
    await adminEtcdctl("put /restore-test/kept-by-post yes");
    const dropping = droppingAfter("✔ stopControlPlane");
    const { opts } = await options({ logger: dropping.logger, owner: "run 1 attempt 1" });
    const first = await runAdminRestore(opts);
    expect(await dropping.dropped()).toBeGreaterThan(0);
    expect(first.outcome).toBe("failed");
    expect(readdirSync(join(nodeRoot(), "etc/kubernetes/manifests"))).not.toContain("etcd.yaml");

    const ssh = sandbox.layout.ssh;
    const target = {
      host: ssh.node.host,
      user: ssh.node.user,
      privateKey: keyText,
      hostKeys: { knownHosts: [ssh.node.knownHostsLine] },
    };
    const other = recordingLogger();
    expect(await finishInterruptedAdminRestore({ ...target, logger: other, owner: "run 2" })).toBe(
      "not ours",
    );
    const logger = recordingLogger();
    expect(
      await finishInterruptedAdminRestore({ ...target, logger, owner: "run 1 attempt 1" }),
    ).toBe("put back");
    expectManifestsInPlace();
    expect(
      readdirSync(dataDirOnHost()).filter((name) => /^restore-|\.journal$/.test(name)),
    ).toEqual([]);
    // etcd runs on its old data again: the key written before the failed restore is there.
    const keys = await waitFor(
      "the admin etcd to answer again",
      async () =>
        (await adminKeys("/restore-test/")).length ? adminKeys("/restore-test/") : undefined,
      120_000,
      1000,
    );
    expect(keys).toContain("/restore-test/kept-by-post");

    const { opts: next, logger: nextLogger } = await options();
    const rerun = await runAdminRestore(next);
    expect(rerun.error, nextLogger.lines.join("\n")).toBeUndefined();
    expect(nextLogger.lines.join("\n")).not.toContain("Continuing the work");
    expect(await adminKeys("/restore-test/")).toEqual(["/restore-test/before-backup"]);
  });

  it("the action's post step puts the node back after its main step was killed after the stop", async () => {
    const ssh = sandbox.layout.ssh;
    const inputs = {
      "control-plane-address": ssh.node.host,
      "ssh-private-key": keyText,
      "ssh-known-hosts": ssh.node.knownHostsLine,
      "etcd-backup": backup.location.uri,
      "restore-pki": "never",
      "decryption-identity": identityText,
      confirm: sandbox.layout.admin.node,
    };
    const main = await runAction(
      "admin-restore",
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
    expect(readdirSync(join(nodeRoot(), "etc/kubernetes/manifests"))).not.toContain("etcd.yaml");
    const post = await runPostStep("admin-restore", work, main, inputs);
    expect(post.exitCode, post.log).toBe(0);
    expect(post.log).toContain("Put back the restore that did not finish on admin-master");
    expect(readdirSync(join(nodeRoot(), "etc/kubernetes/manifests")).sort()).toEqual([
      "etcd.yaml",
      "kube-apiserver.yaml",
    ]);
    expect(readdirSync(main.runnerTemp)).toEqual([]);
    await waitFor(
      "the admin etcd to answer again",
      async () => ((await adminKeys("/restore-test/").catch(() => [])).length ? true : undefined),
      120_000,
      1000,
    );
  });

  it("the action cancelled by the runner (SIGINT, then SIGTERM) after the stop: one cancel message; with its post step the node runs as before", async () => {
    const ssh = sandbox.layout.ssh;
    const inputs = {
      "control-plane-address": ssh.node.host,
      "ssh-private-key": keyText,
      "ssh-known-hosts": ssh.node.knownHostsLine,
      "etcd-backup": backup.location.uri,
      "restore-pki": "never",
      "decryption-identity": identityText,
      confirm: sandbox.layout.admin.node,
    };
    const main = await runAction(
      "admin-restore",
      work,
      inputs,
      {},
      { cancel: { at: (log) => log.includes("✔ stopControlPlane") } },
    );
    expect(main.signalsSent[0]).toBe("SIGINT");
    const errors = errorLines(main.log);
    expect(errors, main.log).toHaveLength(1);
    expect(errors[0]).toMatch(/^::error::The run was cancelled \(SIGINT\)/);
    expect(main.log).not.toMatch(/^\s+at /m);
    expect(main.exitCode).toBe(1);
    const post = await runPostStep("admin-restore", work, main, inputs);
    expect(post.exitCode, post.log).toBe(0);
    expect(readdirSync(join(nodeRoot(), "etc/kubernetes/manifests")).sort()).toEqual([
      "etcd.yaml",
      "kube-apiserver.yaml",
    ]);
    expect(readdirSync(main.runnerTemp)).toEqual([]);
    await waitFor(
      "the admin etcd to answer again",
      async () => ((await adminKeys("/restore-test/").catch(() => [])).length ? true : undefined),
      120_000,
      1000,
    );
  });
});
