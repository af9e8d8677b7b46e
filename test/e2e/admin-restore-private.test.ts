/**
 * The admin restore through the jump host, in a private-network sandbox: the runner has no
 * route to admin-master, only to the jump host, which forwards to the node. Backup made
 * through the API (etcd exec), restore over SSH through the jump host alone.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age-keys.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { checkedManifest } from "../../src/core/storage/pipeline.ts";
import { runAdminRestore } from "../../src/procedures/admin-restore.ts";
import { runEtcdBackup } from "../../src/procedures/etcd-backup.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { ADMIN_ETCDCTL } from "./helpers.ts";

const run = promisify(execFile);

let sandbox: Sandbox;
let work: string;

async function adminEtcdctl(args: string): Promise<string> {
  const { stdout } = await run("kubectl", [
    "--kubeconfig",
    sandbox.kubeconfigPath,
    "exec",
    "-n",
    "kube-system",
    sandbox.layout.admin.etcdPod,
    "-c",
    "etcd",
    "--",
    "sh",
    "-ec",
    `ETCDCTL_API=3 ${ADMIN_ETCDCTL} ${args}`,
  ]);
  return stdout;
}

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
    await run("age-keygen", ["-o", join(work, "key.txt")]);
    const identityText = await readFile(join(work, "key.txt"), "utf8");
    const recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
    await adminEtcdctl("put /private/before yes");
    const folder = join(work, "backups");
    await mkdir(folder);
    const store = new FileStore(folder);
    const [backupResult] = await runEtcdBackup({
      config: await loadKubeconfig({ path: sandbox.kubeconfigPath }),
      clusters: ["admin"],
      store,
      recipients: [recipient],
      allowUnencrypted: false,
      compression: "zstd",
      retention: {},
      dryRun: false,
      workDir: work,
      logger: recordingLogger(),
    });
    expect(backupResult?.outcome, backupResult?.error).toBe("stored");
    const [entry] = await store.list({ cluster: "admin", kind: "admin-etcd" });
    const backup = {
      location: entry!.location,
      manifest: checkedManifest(entry!.location, entry!.manifest),
    };
    await adminEtcdctl("put /private/after yes");

    const { namespace, name, field } = sandbox.layout.admin.sshKeySecret;
    const secret = (
      await run("kubectl", [
        "--kubeconfig",
        sandbox.kubeconfigPath,
        "get",
        "secret",
        "-n",
        namespace,
        name,
        "-o",
        `jsonpath={.data.${field}}`,
      ])
    ).stdout.trim();
    const logger = recordingLogger();
    const result = await runAdminRestore({
      host: ssh.node.host,
      user: ssh.node.user,
      privateKey: Buffer.from(secret, "base64"),
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
