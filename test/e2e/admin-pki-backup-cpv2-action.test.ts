/**
 * The bundled admin-pki-backup action with `user-kubeconfigs` (issue 16) against the sandbox:
 * the admin master's PKI as before, plus one node-pki archive per control-plane node of the
 * Controlplane V2 cluster uc3, the nodes' key read from the admin cluster's uc3/ssh-keys and
 * masked, every host key pinned. Without that secret the run fails before anything is stored,
 * with one error naming the secret and the input to use instead; that input then works.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { ENCRYPTION_KEYS_PATH } from "../../src/procedures/admin-pki-backup.ts";
import type { ControlPlaneV2Layout } from "../sandbox/cluster/controlplane-v2.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { expectedArchiveListing, listStoredArchive } from "../ssh/fixtures.ts";
import { errorLines, runAction } from "./action-runner.ts";

const run = promisify(execFile);
const SLOW_MACHINE_MS = 300_000;
const PKI = "/etc/kubernetes/pki";

let sandbox: Sandbox | undefined;
let uc3: ControlPlaneV2Layout;
let work: string;
let identityPath: string;
let recipient: string;
let knownHosts: string;
/** uc3's node key as the admin cluster holds it (base64). */
let uc3KeyBase64: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "admin-pki-backup-cpv2-"));
  sandbox = await startSandbox({
    controlPlaneV2Clusters: [{ name: "uc3", nodes: 3 }],
    logger: recordingLogger(),
  });
  uc3 = sandbox.layout.controlPlaneV2Clusters[0] as ControlPlaneV2Layout;
  identityPath = join(work, "age-key.txt");
  await run("age-keygen", ["-o", identityPath]);
  recipient = (await run("age-keygen", ["-y", identityPath])).stdout.trim();
  knownHosts = [
    sandbox.layout.ssh.node.knownHostsLine,
    ...uc3.nodes.map((node) => node.ssh.knownHostsLine),
  ].join("\n");
  uc3KeyBase64 = (
    await kubectl(["get", "secret", "-n", "uc3", "ssh-keys", "-o", "jsonpath={.data.ssh\\.key}"])
  ).trim();
}, SLOW_MACHINE_MS);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, SLOW_MACHINE_MS);

async function kubectl(args: string[]): Promise<string> {
  return (await run("kubectl", ["--kubeconfig", sandbox!.kubeconfigPath, ...args])).stdout;
}

async function filesIn(folder: string): Promise<string[]> {
  try {
    return (await readdir(folder, { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile())
      .map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

interface NodeBackupOutput {
  cluster: string;
  kind: string;
  node: string;
  outcome: string;
  uri: string;
  files: number;
  paths: string[];
}

describe("admin-pki-backup with user-kubeconfigs", { timeout: SLOW_MACHINE_MS }, () => {
  it("stores the admin master's archive and one per uc3 control-plane node, each equal to its files", async () => {
    const folder = join(work, "all");
    const result = await runAction("admin-pki-backup", work, {
      "admin-kubeconfig": sandbox!.kubeconfig,
      "user-kubeconfigs": uc3.kubeconfigPath,
      "ssh-known-hosts": knownHosts,
      destination: `file://${folder}`,
      "encryption-recipients": recipient,
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain(
      "User cluster uc3: control-plane nodes uc3-cp-0 (" + uc3.nodes[0]!.internalIP + ")",
    );
    expect(result.log).toContain("SSH key from secret uc3/ssh-keys.");
    const nodeBackups = JSON.parse(result.outputs["node-backups"]!) as NodeBackupOutput[];
    expect(
      nodeBackups.map((backup) => [backup.cluster, backup.kind, backup.node, backup.outcome]),
    ).toEqual([
      ["uc3", "node-pki", "uc3-cp-0", "stored"],
      ["uc3", "node-pki", "uc3-cp-1", "stored"],
      ["uc3", "node-pki", "uc3-cp-2", "stored"],
    ]);
    const payloads = (await filesIn(folder)).filter((file) => file.endsWith("pki.tar.zst.age"));
    expect(payloads).toHaveLength(4);
    for (const node of uc3.nodes) {
      const backup = nodeBackups.find((candidate) => candidate.node === node.name)!;
      const payload = payloads.find((file) =>
        file.startsWith(`${fileURLToPath(backup.uri).replace(/\/$/, "")}/`),
      );
      expect(payload, `${backup.uri} among ${payloads.join(", ")}`).toBeDefined();
      // The real tar's listing of the decrypted archive: exactly the node's files, modes, owners, sizes.
      const expected = backup.paths
        .flatMap((path) => expectedArchiveListing(node.rootDir, path))
        .sort();
      expect(backup.paths).toContain(PKI);
      expect(listStoredArchive(identityPath, payload!)).toEqual(expected);
      expect(backup.files).toBe(expected.length);
    }
    const adminPayload = payloads.find((file) => file.includes("/admin/admin-pki/"));
    // The admin master keeps secrets-encryption keys: the default archives them with its PKI.
    expect(listStoredArchive(identityPath, adminPayload!)).toEqual(
      [PKI, ENCRYPTION_KEYS_PATH]
        .flatMap((path) => expectedArchiveListing(sandbox!.layout.admin.nodeRoot, path))
        .sort(),
    );
    // uc3's key, read from the admin cluster, was masked before anything could log it.
    expect(result.masked).toContain(uc3KeyBase64);
    expect(result.summary).toContain("Control-plane node PKI backup: uc3");
    expect(result.summary.match(/✅ stored/g)?.length).toBe(4);
  });

  it("without uc3/ssh-keys, fails before storing anything, naming the secret and user-ssh-private-key; that input then works", async () => {
    const secretYaml = await kubectl(["get", "secret", "-n", "uc3", "ssh-keys", "-o", "yaml"]);
    await kubectl(["delete", "secret", "-n", "uc3", "ssh-keys"]);
    try {
      const folder = join(work, "no-secret");
      const inputs = {
        "admin-kubeconfig": sandbox!.kubeconfig,
        "user-kubeconfigs": uc3.kubeconfigPath,
        "ssh-known-hosts": knownHosts,
        destination: `file://${folder}`,
        "encryption-recipients": recipient,
      };
      const refused = await runAction("admin-pki-backup", work, inputs);
      expect(refused.exitCode).toBe(1);
      const errors = errorLines(refused.log);
      expect(errors, refused.log).toHaveLength(1);
      expect(errors[0]).toContain("user-ssh-private-key");
      expect(errors[0]).toContain("secret uc3/ssh-keys was not found in the admin cluster");
      expect(await filesIn(folder)).toEqual([]);

      const keyText = Buffer.from(uc3KeyBase64, "base64").toString("utf8");
      const given = await runAction("admin-pki-backup", work, {
        ...inputs,
        "user-ssh-private-key": keyText,
      });
      expect(given.exitCode, given.log).toBe(0);
      expect(given.log).toContain("SSH key from the given key.");
      const nodeBackups = JSON.parse(given.outputs["node-backups"]!) as NodeBackupOutput[];
      expect(nodeBackups.map((backup) => backup.outcome)).toEqual(["stored", "stored", "stored"]);
      expect(given.log).not.toContain(keyText.split("\n")[1]!.trim());
    } finally {
      await restoreSecret(secretYaml);
    }
  });

  it("refuses user-ssh-private-key without user-kubeconfigs, naming both, before connecting", async () => {
    const folder = join(work, "key-without-clusters");
    const keyText = Buffer.from(uc3KeyBase64, "base64").toString("utf8");
    const refused = await runAction("admin-pki-backup", work, {
      "admin-kubeconfig": sandbox!.kubeconfig,
      "user-ssh-private-key": keyText,
      "ssh-known-hosts": knownHosts,
      destination: `file://${folder}`,
      "encryption-recipients": recipient,
    });
    expect(refused.exitCode).toBe(1);
    const errors = errorLines(refused.log);
    expect(errors, refused.log).toHaveLength(1);
    expect(errors[0]).toContain(
      "Input user-ssh-private-key is given but user-kubeconfigs is empty",
    );
    expect(refused.log).not.toContain(keyText.split("\n")[1]!.trim());
    expect(await filesIn(folder)).toEqual([]);
  });
});

/** Puts the secret back as it was, without the fields the API server sets. */
async function restoreSecret(yaml: string): Promise<void> {
  const path = join(work, "ssh-keys.yaml");
  const cleaned = yaml
    .split("\n")
    .filter((line) => !/^\s+(resourceVersion|uid|creationTimestamp):/.test(line))
    .join("\n");
  await writeFile(path, cleaned, { mode: 0o600 });
  await kubectl(["create", "-f", path]);
  await rm(path);
}
