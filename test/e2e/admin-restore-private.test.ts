/**
 * The admin restore through the jump host, in a private-network sandbox: the runner has no
 * route to admin-master, only to the jump host, which forwards to the node. Backup made
 * through the API (etcd exec), restore over SSH through the jump host alone.
 */
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age-keys.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { runAdminRestore } from "../../src/procedures/admin-restore.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import {
  adminEtcdctl as adminEtcdctl0,
  adminSshKey,
  ageKeyPair,
  backUpEtcd,
  newestBackup,
} from "./restore-helpers.ts";

let sandbox: Sandbox;
let work: string;

const adminEtcdctl = (args: string) => adminEtcdctl0(sandbox, args);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "admin-restore-private-"));
  sandbox = await startSandbox({
    userClusters: [{ name: "uc1", members: 1 }],
    privateNetwork: true,
  });
}, 300_000);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("admin-restore through the jump host of a private network", () => {
  it("restores the admin etcd with the node reachable only through the jump host", async () => {
    const ssh = sandbox.layout.ssh;
    expect(ssh.privateNetwork).toBe(true);
    const { identityText, recipient } = await ageKeyPair(work);
    await adminEtcdctl("put /private/before yes");
    const folder = join(work, "backups");
    await mkdir(folder);
    const store = new FileStore(folder);
    const config = await loadKubeconfig({ path: sandbox.kubeconfigPath });
    await backUpEtcd({ config, store, recipient, work }, ["admin"]);
    const backup = await newestBackup(store, "admin", "admin-etcd");
    await adminEtcdctl("put /private/after yes");

    const logger = recordingLogger();
    const result = await runAdminRestore({
      host: ssh.node.host,
      user: ssh.node.user,
      privateKey: await adminSshKey(sandbox),
      jumpHost: {
        user: ssh.jumpHost.user,
        host: ssh.jumpHost.host,
        port: ssh.jumpHost.port,
        privateKey: await readFile(ssh.jumpHost.privateKeyPath),
      },
      hostKeys: { knownHosts: [ssh.node.knownHostsLine, ssh.jumpHost.knownHostsLine] },
      store,
      etcdBackup: backup,
      restorePki: "never",
      identities: parseIdentities(identityText),
      confirm: ssh.node.host,
      revisionBump: "auto",
      dryRun: false,
      workDir: work,
      logger,
      waitTimeoutMs: 120_000,
    });
    expect(result.error, logger.lines.join("\n")).toBeUndefined();
    expect(result.outcome).toBe("restored");
    expect(result.target).toContain(`(through ${ssh.jumpHost.user}@${ssh.jumpHost.host}`);
    const keys = (await adminEtcdctl("get --prefix --keys-only /private/"))
      .split("\n")
      .filter(Boolean);
    expect(keys).toEqual(["/private/before"]);
  });
});
