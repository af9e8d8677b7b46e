/**
 * The admin restore's PKI paths against the sandbox's admin-master: `restore-pki: always` on
 * an intact PKI, the secrets-encryption keys (/opt/data/gke-k8s-kms-plugin/generatedkeys)
 * archived by admin-pki-backup and put back with the PKI, the warning when the snapshot holds
 * encrypted Secrets and the restore does not put those keys back, and `undo` after a restore
 * that put the PKI back. One sandbox for all cases; every proof reads the node's files
 * (contents, modes, owners) and etcd itself.
 */
import { readdirSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age-keys.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import type { StoredBackup } from "../../src/core/storage/pipeline.ts";
import { runAdminPkiBackup } from "../../src/procedures/admin-pki-backup.ts";
import {
  runAdminRestore,
  runAdminUndo,
  type AdminRestoreOptions,
} from "../../src/procedures/admin-restore.ts";
import { ADMIN_ENCRYPTION_KEYS_DIR } from "../sandbox/cluster/admin-control-plane.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { diskTree } from "../ssh/fixtures.ts";
import { runAction } from "./action-runner.ts";
import {
  adminEtcdctl as adminEtcdctl0,
  adminKeys as adminKeys0,
  adminSshKey,
  ageKeyPair,
  backUpEtcd,
  kubectl as kubectl0,
  newestBackup,
} from "./restore-helpers.ts";

const PKI = "/etc/kubernetes/pki";
const KEYS = ADMIN_ENCRYPTION_KEYS_DIR;
const MANIFESTS = "/etc/kubernetes/manifests";
/** The start of the warning the restore gives when the encryption keys do not come back. */
const KEYS_WARNING = "warning: 1 Secret(s) in the snapshot are encrypted (k8s:enc:), and";

let sandbox: Sandbox;
let work: string;
let identityText: string;
let recipient: string;
let keyText: string;
let store: FileStore;
let backup: StoredBackup;
/** The PKI backup made while the node had its encryption keys, and one made while it had none. */
let pkiBackup: StoredBackup;
let pkiBackupWithoutKeys: StoredBackup;
let pkiStoreWithoutKeys: FileStore;
/** The node's PKI and keys as the PKI backup saw them. */
let pkiAtBackup: ReturnType<typeof diskTree>;
let keysAtBackup: ReturnType<typeof diskTree>;

const nodeRoot = () => sandbox.layout.admin.nodeRoot;
const onHost = (nodePath: string) => join(nodeRoot(), nodePath);
const tree = (nodePath: string) => diskTree(nodeRoot(), nodePath);
const kubectl = (...args: string[]) => kubectl0(sandbox, ...args);
const adminEtcdctl = (args: string) => adminEtcdctl0(sandbox, args);
const adminKeys = (prefix: string) => adminKeys0(sandbox, prefix);

/** A tree listed under another folder, with its paths as they would be under `to`. */
function movedTo(entries: ReturnType<typeof diskTree>, from: string, to: string) {
  return entries.map((entry) => ({ ...entry, path: to + entry.path.slice(from.length) }));
}

function options(overrides: Partial<AdminRestoreOptions> = {}) {
  const logger = recordingLogger();
  const ssh = sandbox.layout.ssh;
  const opts: AdminRestoreOptions = {
    host: ssh.node.host,
    user: ssh.node.user,
    privateKey: keyText,
    hostKeys: { knownHosts: [ssh.node.knownHostsLine] },
    store,
    etcdBackup: backup,
    pkiBackup,
    restorePki: "auto",
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

async function pkiBackupInto(target: FileStore): Promise<StoredBackup> {
  const ssh = sandbox.layout.ssh;
  const result = await runAdminPkiBackup({
    host: ssh.node.host,
    privateKey: keyText,
    hostKeys: { knownHosts: [ssh.node.knownHostsLine] },
    acceptUnknownHostKey: false,
    store: target,
    recipients: [recipient],
    compression: "zstd",
    retention: {},
    dryRun: false,
    logger: recordingLogger(),
  });
  expect(result.outcome, result.error).toBe("stored");
  return newestBackup(target, "admin", "admin-pki");
}

/** Both static pods Running, as the API server reports them. */
async function expectControlPlaneRunning(): Promise<void> {
  const pods = JSON.parse(await kubectl("get", "pods", "-n", "kube-system", "-o", "json")) as {
    items: { metadata: { name: string }; status: { phase: string } }[];
  };
  const phases = Object.fromEntries(pods.items.map((pod) => [pod.metadata.name, pod.status.phase]));
  expect(phases[sandbox.layout.admin.etcdPod]).toBe("Running");
  expect(phases[sandbox.layout.admin.apiserverPod]).toBe("Running");
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "admin-restore-pki-"));
  sandbox = await startSandbox({});
  const key = await ageKeyPair(work);
  identityText = key.identityText;
  recipient = key.recipient;
  keyText = (await adminSshKey(sandbox)).toString("utf8");
  // A Secret as a KMS-encrypting API server stores it: readable only with the node's keys.
  await adminEtcdctl(
    "put /registry/secrets/kube-system/encrypted-by-kms 'k8s:enc:kms:v2:generated-key-1:opaque-ciphertext'",
  );
  await adminEtcdctl("put /restore-test/before-backup yes");
  await mkdir(join(work, "backups"));
  store = new FileStore(join(work, "backups"));
  const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
  await backUpEtcd({ config, store, recipient, work }, ["admin"]);
  backup = await newestBackup(store, "admin", "admin-etcd");
  pkiAtBackup = tree(PKI);
  keysAtBackup = tree(KEYS);
  pkiBackup = await pkiBackupInto(store);
  // The same node before it had encryption keys (an older release): the folder set aside.
  pkiStoreWithoutKeys = new FileStore(join(work, "backups-without-keys"));
  await rename(onHost(KEYS), `${onHost(KEYS)}.elsewhere`);
  try {
    pkiBackupWithoutKeys = await pkiBackupInto(pkiStoreWithoutKeys);
  } finally {
    await rename(`${onHost(KEYS)}.elsewhere`, onHost(KEYS));
  }
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("admin-restore and the PKI, with the secrets-encryption keys, on the sandbox's admin-master", () => {
  it("admin-pki-backup archives the encryption keys with the PKI where the node has them", () => {
    expect(keysAtBackup.filter((entry) => entry.type === "file")).toHaveLength(2);
    for (const entry of keysAtBackup) expect(entry.mode & 0o077).toBe(0);
    const record = pkiBackup.manifest.pki!;
    expect(record.paths).toEqual([PKI, KEYS]);
    expect(record.files.map((file) => [file.path, file.mode, file.uid, file.sha256])).toEqual(
      [...pkiAtBackup, ...keysAtBackup].map((entry) => [
        entry.path,
        entry.mode.toString(8).padStart(4, "0"),
        entry.uid,
        entry.sha256,
      ]),
    );
    // Where the node has no such folder, the PKI alone, as before.
    expect(pkiBackupWithoutKeys.manifest.pki!.paths).toEqual([PKI]);
  });

  it("warns when the snapshot's Secrets are encrypted and the restore does not put the keys back", async () => {
    const never = options({ restorePki: "never", dryRun: true, confirm: undefined });
    expect((await runAdminRestore(never.opts)).outcome).toBe("planned");
    expect(never.logger.lines).toContain(
      `${KEYS_WARNING} this restore does not put back the secrets-encryption keys (${KEYS}): the API server can read them only if the node still has the keys they were encrypted with.`,
    );

    const withoutKeys = options({
      pkiBackup: pkiBackupWithoutKeys,
      pkiStore: pkiStoreWithoutKeys,
      dryRun: true,
      confirm: undefined,
    });
    const planned = await runAdminRestore(withoutKeys.opts);
    expect(planned.error).toBeUndefined();
    expect(withoutKeys.logger.lines).toContain(
      `${KEYS_WARNING} the PKI backup does not hold the secrets-encryption keys (${KEYS}): the API server can read them only if the node still has the keys they were encrypted with.`,
    );

    // Through the action bundle: the warning is in the job summary too.
    const ssh = sandbox.layout.ssh;
    const action = await runAction("admin-restore", work, {
      "control-plane-address": ssh.node.host,
      "ssh-private-key": keyText,
      "ssh-known-hosts": ssh.node.knownHostsLine,
      "etcd-backup": backup.location.uri,
      "restore-pki": "never",
      "decryption-identity": identityText,
      "dry-run": "true",
    });
    expect(action.exitCode, action.log).toBe(0);
    expect(action.summary).toContain(
      `**Warning:** 1 Secret(s) in the snapshot are encrypted (k8s:enc:), and this restore does not put back the secrets-encryption keys (${KEYS})`,
    );
    expect(action.log).toContain("::warning::1 Secret(s) in the snapshot are encrypted");

    // A PKI backup that holds them: no warning.
    const withKeys = options({ dryRun: true, confirm: undefined });
    expect((await runAdminRestore(withKeys.opts)).outcome).toBe("planned");
    expect(withKeys.logger.lines.join("\n")).not.toContain("secrets-encryption keys");
  }, 300_000);

  it("restore-pki always on an intact PKI moves the PKI and the keys aside and unpacks the backup's, equal in files, modes and owners", async () => {
    const { opts, logger } = options({ restorePki: "always" });
    const result = await runAdminRestore(opts);
    expect(result.error, logger.lines.join("\n")).toBeUndefined();
    expect(result.outcome).toBe("restored");
    expect(result.pkiDiffering).toEqual([]);
    const backedUpFiles = [...pkiAtBackup, ...keysAtBackup]
      .filter((entry) => entry.type === "file")
      .map((entry) => entry.path);
    expect(result.pkiRestored).toEqual(backedUpFiles);
    const step = result.steps.find((record) => record.step === "restorePki");
    expect(step?.outcome).toBe("done");
    expect(step?.detail).toMatch(
      new RegExp(`^restore-pki always: ${PKI}, ${KEYS} moved aside to <path>\\.pre-restore-`),
    );
    expect(logger.lines.join("\n")).toContain("restore-pki always:");
    expect(logger.lines.join("\n")).not.toContain("secrets-encryption keys");

    expect(tree(PKI)).toEqual(pkiAtBackup);
    expect(tree(KEYS)).toEqual(keysAtBackup);
    // The node's own folders are kept, dated, beside the restored ones.
    const stamp = result.preRestoreFolder!.split("pre-restore-")[1]!;
    expect(tree(`${PKI}.pre-restore-${stamp}`)).toEqual(
      movedTo(pkiAtBackup, PKI, `${PKI}.pre-restore-${stamp}`),
    );
    expect(tree(`${KEYS}.pre-restore-${stamp}`)).toEqual(
      movedTo(keysAtBackup, KEYS, `${KEYS}.pre-restore-${stamp}`),
    );
    expect(
      readdirSync(onHost("/etc/kubernetes")).filter((name) => name.startsWith(".pki-restore")),
    ).toEqual([]);
    expect(await adminKeys("/restore-test/")).toEqual(["/restore-test/before-backup"]);
    await expectControlPlaneRunning();
  }, 300_000);

  it("restore-pki auto puts back a changed encryption key with its contents and mode", async () => {
    const changed = `${KEYS}/kms-key-1`;
    await writeFile(onHost(changed), "a key the backup never saw\n");
    await chmod(onHost(changed), 0o644);
    const { opts, logger } = options({ restorePki: "auto" });
    const result = await runAdminRestore(opts);
    expect(result.error, logger.lines.join("\n")).toBeUndefined();
    expect(result.pkiDiffering).toEqual([changed]);
    expect(result.pkiRestored).toEqual([changed]);
    expect(tree(KEYS)).toEqual(keysAtBackup);
    expect(tree(PKI)).toEqual(pkiAtBackup);
  }, 300_000);

  it("restore-pki auto on a node that lost its encryption keys folder puts it back root-only, as the backup has it", async () => {
    await rm(onHost(KEYS), { recursive: true });
    const { opts, logger } = options({ restorePki: "auto" });
    const result = await runAdminRestore(opts);
    expect(result.error, logger.lines.join("\n")).toBeUndefined();
    expect(result.pkiRestored).toEqual([`${KEYS}/kms-key-1`, `${KEYS}/kms-key-2`]);
    // The folder too, not only its files: 0700 as on the node that was backed up.
    expect(tree(KEYS)).toEqual(keysAtBackup);
    expect(tree(PKI)).toEqual(pkiAtBackup);
  }, 300_000);

  it("undo after a restore that put the PKI back brings back the PKI, keys, etcd data and manifests from before that restore", async () => {
    // The node drifted after the backup: a key in etcd, a certificate, an extra file, a key file.
    await adminEtcdctl("put /restore-test/after-backup yes");
    await writeFile(
      onHost(`${PKI}/front-proxy-client.crt`),
      "a certificate made after the backup\n",
    );
    await writeFile(onHost(`${PKI}/operator-note.txt`), "added after the backup\n", {
      mode: 0o640,
    });
    await writeFile(onHost(`${KEYS}/kms-key-2`), "a key made after the backup\n", { mode: 0o600 });
    const before = { pki: tree(PKI), keys: tree(KEYS), manifests: tree(MANIFESTS) };
    expect(before.pki).not.toEqual(pkiAtBackup);

    const restore = options({ restorePki: "always" });
    const restored = await runAdminRestore(restore.opts);
    expect(restored.error, restore.logger.lines.join("\n")).toBeUndefined();
    expect(tree(PKI)).toEqual(pkiAtBackup);
    expect(tree(KEYS)).toEqual(keysAtBackup);
    expect(await adminKeys("/restore-test/")).toEqual(["/restore-test/before-backup"]);

    const ssh = sandbox.layout.ssh;
    const undoLogger = recordingLogger();
    const undone = await runAdminUndo({
      host: ssh.node.host,
      user: ssh.node.user,
      privateKey: keyText,
      hostKeys: { knownHosts: [ssh.node.knownHostsLine] },
      confirm: sandbox.layout.admin.node,
      dryRun: false,
      workDir: work,
      logger: undoLogger,
      waitTimeoutMs: 120_000,
    });
    expect(undone.error, undoLogger.lines.join("\n")).toBeUndefined();
    expect(undone.outcome).toBe("undone");
    expect(undone.preRestoreFolder).toBe(restored.preRestoreFolder);
    const undoPki = undone.steps.find((step) => step.step === "undoPki");
    expect(undoPki?.outcome).toBe("done");
    expect(undoPki?.detail).toContain(`put back ${PKI}`);
    expect(undoPki?.detail).toContain(`put back ${KEYS}`);

    // Everything as it was before that restore, file by file, with modes and owners.
    expect(tree(PKI)).toEqual(before.pki);
    expect(tree(KEYS)).toEqual(before.keys);
    expect(tree(MANIFESTS)).toEqual(before.manifests);
    expect(await adminKeys("/restore-test/")).toEqual([
      "/restore-test/after-backup",
      "/restore-test/before-backup",
    ]);
    // What the restore had put in place is kept, not deleted.
    const preUndo = readdirSync(onHost("/etc/kubernetes")).filter((name) =>
      name.startsWith("pki.pre-undo-"),
    );
    expect(preUndo).toHaveLength(1);
    expect(tree(`/etc/kubernetes/${preUndo[0]!}`)).toEqual(
      movedTo(pkiAtBackup, PKI, `/etc/kubernetes/${preUndo[0]!}`),
    );
    await expectControlPlaneRunning();
  }, 500_000);
});
