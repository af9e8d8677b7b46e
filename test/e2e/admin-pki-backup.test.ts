/**
 * The bundled admin-pki-backup action (actions/admin-pki-backup/dist/index.js on Node 24)
 * and the `pki-backup` CLI against the sandbox: the node found by its control-plane role,
 * the key read from secret kube-system/sshkeys, the real sshd on admin-master reached
 * directly and through the jump host. The stored archive is decrypted with the `age` CLI and
 * listed with `tar -tvf`; the node's files are unchanged; each fault fails with one clear
 * message and stores nothing; no key material or file content reaches a log.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { localRunContext } from "../../src/core/run-context.ts";
import { openStore, parseDestination } from "../../src/core/storage/destination.ts";
import { checkedManifest } from "../../src/core/storage/pipeline.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { diskTree, expectedArchiveListing, listStoredArchive } from "../ssh/fixtures.ts";
import { errorLines, NODE24, runAction as runActionBundle } from "./action-runner.ts";

const run = promisify(execFile);
const PKI = "/etc/kubernetes/pki";
/** The secrets-encryption keys, archived with the default PKI where the node has them. */
const KEYS = "/opt/data/gke-k8s-kms-plugin/generatedkeys";

let sandbox: Sandbox;
let work: string;
let identityPath: string;
let recipient: string;
/** The node's SSH key as the cluster holds it (base64) and as text. */
let secretBase64: string;
let keyText: string;
/** Every log of every run, scanned at the end. */
const logs: string[] = [];

function runAction(inputs: Record<string, string>, env: Record<string, string> = {}) {
  return runActionBundle("admin-pki-backup", work, inputs, env).then((result) => {
    logs.push(result.log, result.summary, JSON.stringify(result.outputs));
    return result;
  });
}

function nodeRoot(): string {
  return sandbox.layout.admin.nodeRoot;
}

function listArchive(payloadPath: string): string[] {
  return listStoredArchive(identityPath, payloadPath);
}

function nodeListing(root = nodeRoot()): string[] {
  return [...expectedArchiveListing(root, PKI), ...expectedArchiveListing(root, KEYS)].sort();
}

/** What the default paths archive: the PKI and the encryption keys. */
function nodeTree() {
  return [...diskTree(nodeRoot(), PKI), ...diskTree(nodeRoot(), KEYS)];
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

async function onlyManifest(folder: string) {
  const store = await openStore(parseDestination(`file://${folder}`), {
    logger: recordingLogger(),
    context: localRunContext(),
  });
  const listed = await store.list({ cluster: "admin", kind: "admin-pki" });
  expect(listed).toHaveLength(1);
  return checkedManifest(listed[0]!.location, listed[0]!.manifest);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "admin-pki-backup-"));
  sandbox = await startSandbox({});
  identityPath = join(work, "age-key.txt");
  await run("age-keygen", ["-o", identityPath]);
  recipient = (await run("age-keygen", ["-y", identityPath])).stdout.trim();
  const { namespace, name, field } = sandbox.layout.admin.sshKeySecret;
  secretBase64 = (
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
  keyText = Buffer.from(secretBase64, "base64").toString("utf8");
});

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

describe("the admin-pki-backup action bundle", () => {
  it("backs up the node's PKI directly: key and address from the cluster, host key pinned", async () => {
    const before = nodeTree();
    const folder = join(work, "direct");
    const result = await runAction({
      "admin-kubeconfig": sandbox.kubeconfig,
      "ssh-known-hosts": sandbox.layout.ssh.node.knownHostsLine,
      destination: `file://${folder}`,
      "encryption-recipients": recipient,
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain("findControlPlaneNode");
    expect(result.log).toContain(`admin-master at ${sandbox.layout.ssh.node.host} (ExternalIP)`);
    expect(result.outputs["host-key-fingerprint"]).toBe(sandbox.layout.ssh.node.hostKeyFingerprint);
    const backup = JSON.parse(result.outputs.backup!) as { uri: string; files: number };
    expect(backup.files).toBe(before.length);
    expect(result.summary).toContain("✅ stored");
    expect(result.summary).toContain(sandbox.layout.ssh.node.hostKeyFingerprint);

    const payload = (await filesIn(folder)).find((file) => file.endsWith("pki.tar.zst.age"));
    expect(listArchive(payload!)).toEqual(nodeListing());
    const keyFiles = before.filter((entry) => entry.path.endsWith(".key"));
    expect(keyFiles.length).toBeGreaterThan(3);
    for (const entry of keyFiles) expect(entry.mode & 0o077).toBe(0);
    // No chmod, no copy: the node's files, their modes, owners and contents are unchanged.
    expect(nodeTree()).toEqual(before);

    const manifest = await onlyManifest(folder);
    expect(manifest.source.node).toBe("admin-master");
    expect(manifest.pki?.node.hostKeyFingerprint).toBe(sandbox.layout.ssh.node.hostKeyFingerprint);
    expect(manifest.pki?.files.map((file) => [file.path, file.mode, file.sha256])).toEqual(
      before.map((entry) => [entry.path, entry.mode.toString(8).padStart(4, "0"), entry.sha256]),
    );
    // The key read from the cluster was masked in its stored (base64) form and line by line.
    expect(result.masked).toContain(secretBase64);
    expect(result.masked).toEqual(expect.arrayContaining([keyText.split("\n")[1]!.trim()]));
    expect(await filesIn(result.runnerTemp)).toEqual([]);
  });

  it("backs up through the jump host, pinned by fingerprints, and records both host keys", async () => {
    const before = nodeTree();
    const { jumpHost, node } = sandbox.layout.ssh;
    const folder = join(work, "jump");
    const result = await runAction({
      "admin-kubeconfig": sandbox.kubeconfig,
      "jump-host": `${jumpHost.user}@${jumpHost.host}:${jumpHost.port}`,
      "jump-private-key": await readFile(jumpHost.privateKeyPath, "utf8"),
      "ssh-host-key-fingerprints": `${node.hostKeyFingerprint}\n${jumpHost.hostKeyFingerprint}`,
      destination: `file://${folder}`,
      "encryption-recipients": recipient,
      "retention-count": "1",
    });
    expect(result.exitCode, result.log).toBe(0);
    expect(result.log).toContain(`through ${jumpHost.user}@${jumpHost.host}:${jumpHost.port}`);
    const payload = (await filesIn(folder)).find((file) => file.endsWith("pki.tar.zst.age"));
    expect(listArchive(payload!)).toEqual(nodeListing());
    const manifest = await onlyManifest(folder);
    expect(manifest.pki?.jumpHost).toEqual({
      host: jumpHost.host,
      port: jumpHost.port,
      user: jumpHost.user,
      hostKeyFingerprint: jumpHost.hostKeyFingerprint,
    });
    expect(nodeTree()).toEqual(before);
  });

  it("with no pin, refuses to send anything and says how to pin; the opt-in accepts and logs it", async () => {
    const folder = join(work, "unpinned");
    const base = {
      "admin-kubeconfig": sandbox.kubeconfig,
      destination: `file://${folder}`,
      "encryption-recipients": recipient,
    };
    const refused = await runAction(base);
    expect(refused.exitCode).toBe(1);
    const errors = errorLines(refused.log);
    expect(errors, refused.log).toHaveLength(1);
    expect(errors[0]).toContain(
      `its host key ${sandbox.layout.ssh.node.hostKeyFingerprint} (ssh-ed25519) is not pinned`,
    );
    expect(errors[0]).toContain(
      `ssh-host-key-fingerprints: ${sandbox.layout.ssh.node.hostKeyFingerprint}`,
    );
    expect(await filesIn(folder)).toEqual([]);

    const accepted = await runAction({ ...base, "insecure-accept-unknown-host-key": "true" });
    expect(accepted.exitCode, accepted.log).toBe(0);
    expect(accepted.log).toMatch(
      new RegExp(
        `::warning::.*${sandbox.layout.ssh.node.hostKeyFingerprint.replace(/[+/]/g, "\\$&")}`,
      ),
    );
  });

  it("fails with one clear message and stores nothing, for each fault and bad input", async () => {
    const folder = join(work, "faults");
    const stranger = join(work, "stranger");
    await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", stranger]);
    const strangerKey = await readFile(stranger, "utf8");
    const strangerFingerprint = (
      await run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${stranger}.pub`])
    ).stdout.split(" ")[1]!;
    const base = {
      "admin-kubeconfig": sandbox.kubeconfig,
      "ssh-known-hosts": sandbox.layout.ssh.node.knownHostsLine,
      destination: `file://${folder}`,
      "encryption-recipients": recipient,
    };
    const { node, jumpHost } = sandbox.layout.ssh;
    const cases: Array<[string, Record<string, string>, string]> = [
      [
        "a wrong host key",
        {
          ...base,
          "ssh-known-hosts": "",
          "ssh-host-key-fingerprints": jumpHost.hostKeyFingerprint,
        },
        `host key mismatch for the node ${node.host}:22: expected ${jumpHost.hostKeyFingerprint}, got ${node.hostKeyFingerprint}`,
      ],
      ["a key the node refuses", { ...base, "ssh-private-key": strangerKey }, strangerFingerprint],
      [
        "a path that does not exist",
        { ...base, paths: `${PKI}\n/opt/data/no-such-folder` },
        `path /opt/data/no-such-folder does not exist on ${node.host}`,
      ],
      [
        "no recipient",
        { ...base, "encryption-recipients": "" },
        "Input encryption-recipients is empty: the PKI archive holds the admin cluster's private keys, so it is always encrypted",
      ],
      [
        "a key that is not a key",
        { ...base, "ssh-private-key": "not-a-key-but-a-secret-anyway" },
        "Input ssh-private-key: the key in ssh-private-key is not a private key",
      ],
      [
        "a malformed jump host",
        { ...base, "jump-host": "203.0.113.10" },
        'Input jump-host: jump host "203.0.113.10" is not of the form user@host[:port]',
      ],
      [
        "a relative path",
        { ...base, paths: "etc/kubernetes/pki" },
        'Input paths: path "etc/kubernetes/pki" is not absolute',
      ],
      [
        "a malformed fingerprint",
        { ...base, "ssh-host-key-fingerprints": "MD5:00:11" },
        "Input ssh-host-key-fingerprints:",
      ],
    ];
    for (const [name, inputs, message] of cases) {
      const result = await runAction(inputs);
      expect(result.exitCode, `${name}: ${result.log}`).toBe(1);
      const errors = errorLines(result.log);
      expect(errors, `${name}: ${result.log}`).toHaveLength(1);
      expect(errors[0], name).toContain(message);
      expect(result.log, name).not.toContain("not-a-key-but-a-secret-anyway");
      expect(await filesIn(folder), name).toEqual([]);
      expect(await filesIn(result.runnerTemp), name).toEqual([]);
    }
  });
});

describe("a node reachable only through the jump host (private-network sandbox)", () => {
  let privateSandbox: Sandbox;

  beforeAll(async () => {
    privateSandbox = await startSandbox({ privateNetwork: true });
  });

  afterAll(async () => {
    await privateSandbox?.stop();
  });

  it("fails directly with one clear message, and succeeds through the jump host", async () => {
    const { node, jumpHost, knownHostsPath } = privateSandbox.layout.ssh;
    const base = {
      "admin-kubeconfig": privateSandbox.kubeconfig,
      "ssh-known-hosts": await readFile(knownHostsPath, "utf8"),
      "encryption-recipients": recipient,
    };
    const directFolder = join(work, "private-direct");
    const direct = await runAction({ ...base, destination: `file://${directFolder}` });
    expect(direct.exitCode, direct.log).toBe(1);
    const errors = errorLines(direct.log);
    expect(errors, direct.log).toHaveLength(1);
    expect(errors[0]).toContain(
      `could not connect to the node ${node.host}:22: no route to that address; check the address, or reach it through a jump host.`,
    );
    expect(await filesIn(directFolder)).toEqual([]);

    const folder = join(work, "private-jump");
    const through = await runAction({
      ...base,
      "jump-host": `${jumpHost.user}@${jumpHost.host}:${jumpHost.port}`,
      "jump-private-key": await readFile(jumpHost.privateKeyPath, "utf8"),
      destination: `file://${folder}`,
    });
    expect(through.exitCode, through.log).toBe(0);
    const payload = (await filesIn(folder)).find((file) => file.endsWith("pki.tar.zst.age"));
    const root = privateSandbox.layout.admin.nodeRoot;
    expect(listArchive(payload!)).toEqual(nodeListing(root));
  });
});

describe("etcd-backup-actions pki-backup", () => {
  it("backs up from a terminal with a known_hosts file, and exits 2 on a bad flag", async () => {
    const folder = join(work, "cli");
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(
          NODE24,
          [join(process.cwd(), "bin", "etcd-backup-actions.mjs"), "pki-backup", ...args],
          { env: { PATH: process.env.PATH, HOME: process.env.HOME } },
          (error, stdout, stderr) =>
            resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
        );
      });
    const stored = await cli([
      "--kubeconfig",
      sandbox.kubeconfigPath,
      "--known-hosts",
      sandbox.layout.ssh.knownHostsPath,
      "--destination",
      `file://${folder}`,
      "--recipient",
      recipient,
    ]);
    logs.push(stored.stdout, stored.stderr);
    expect(stored.code, stored.stderr).toBe(0);
    expect(stored.stdout).toMatch(/^RESULT\s+NODE\s+HOST KEY/);
    expect(stored.stdout).toContain("stored");
    expect(stored.stdout).toContain(sandbox.layout.ssh.node.hostKeyFingerprint);
    const payload = (await filesIn(folder)).find((file) => file.endsWith("pki.tar.zst.age"));
    expect(listArchive(payload!)).toEqual(nodeListing());

    const badFlag = await cli([
      "--kubeconfig",
      sandbox.kubeconfigPath,
      "--destination",
      `file://${folder}`,
    ]);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("--recipient is required: the PKI archive holds");
  });
});

describe("secrets", () => {
  it("no log shows the SSH key, its base64 form, or the content of a PKI file", async () => {
    const text = logs.join("\n");
    expect(text.length).toBeGreaterThan(2000);
    expect(text).not.toContain(secretBase64);
    for (const line of keyText
      .split("\n")
      .filter((line) => line.length >= 16 && !line.startsWith("-----"))) {
      expect(text).not.toContain(line);
    }
    for (const entry of nodeTree().filter((entry) => entry.type === "file")) {
      const content = await readFile(join(nodeRoot(), entry.path), "utf8");
      const body = content
        .split("\n")
        .filter((line) => line.length >= 16 && !line.startsWith("-----"));
      for (const line of body.slice(0, 3)) expect(text).not.toContain(line);
    }
    expect(text).not.toContain(sandbox.token);
  });
});
