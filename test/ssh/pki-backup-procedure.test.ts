/**
 * The admin-pki-backup procedure end to end against a real OpenSSH server (and a
 * forwarding-only jump host) in namespaces this test creates, storing into a folder: the
 * stored archive decrypts with the `age` CLI and lists with `tar -tvf` exactly as the
 * node's files are; each fault fails with one clear message and stores nothing.
 * (The cluster side, the node found by its role and the key read from its secret, runs in
 * test/e2e/admin-pki-backup.test.ts against the sandbox.)
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { checkedManifest } from "../../src/core/storage/pipeline.ts";
import {
  pkiBackupPlan,
  runAdminPkiBackup,
  type PkiBackupOptions,
} from "../../src/procedures/admin-pki-backup.ts";
import { createSshTestNetwork, type SshHost, type SshTestNetwork } from "../sandbox/ssh/index.ts";
import { ageKeygen } from "../storage/support/age-cli.ts";
import { filesUnder } from "../storage/support/folders.ts";
import {
  diskTree,
  expectedArchiveListing,
  listStoredArchive,
  generateClientKeys,
  makeNodeRoot,
  PKI_FILES,
  secretFragments,
  type ClientKey,
  startNodeAndJump,
} from "./fixtures.ts";

let dir: string;
let nodeRoot: string;
let network: SshTestNetwork;
let node: SshHost;
let jump: SshHost;
let ubuntuKey: ClientKey;
let auditorKey: ClientKey;
let jumpKey: ClientKey;
let strangerKey: ClientKey;
let identityPath: string;
let recipient: string;
/** Every log line and error of every run, scanned for key material at the end. */
const seen: string[] = [];

async function backUp(overrides: Partial<PkiBackupOptions> = {}) {
  const storeDir = mkdtempSync(join(dir, "store-"));
  const logger = recordingLogger();
  const result = await runAdminPkiBackup({
    host: network.nodeAddress,
    privateKey: ubuntuKey.privateKey,
    user: "ubuntu",
    hostKeys: { knownHosts: [node.knownHostsLine, jump.knownHostsLine] },
    acceptUnknownHostKey: false,
    store: new FileStore(storeDir),
    recipients: [recipient],
    compression: "zstd",
    retention: {},
    dryRun: false,
    logger,
    connectTimeoutMs: 5_000,
    ...overrides,
  });
  seen.push(...logger.lines, result.error ?? "", JSON.stringify(result));
  return { result, storeDir, logger, store: new FileStore(storeDir) };
}

/** The one backup listed in the store, its manifest parsed and validated. */
async function onlyManifest(store: FileStore) {
  const listed = await store.list({ cluster: "admin", kind: "admin-pki" });
  expect(listed).toHaveLength(1);
  return checkedManifest(listed[0]!.location, listed[0]!.manifest);
}

/** The stored archive, listed with age, zstd and tar. */
function listStoredPayload(storeDir: string, uri: string): string[] {
  const payload = filesUnderSync(storeDir).find((file) => file.endsWith(".tar.zst.age"));
  expect(payload, `payload under ${storeDir} for ${uri}`).toBeDefined();
  return listStoredArchive(identityPath, join(storeDir, payload!));
}

function filesUnderSync(folder: string): string[] {
  return execFileSync("find", [folder, "-type", "f", "-printf", "%P\\n"])
    .toString("utf8")
    .trim()
    .split("\n")
    .filter(Boolean);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pki-procedure-"));
  nodeRoot = join(dir, "nodes", "admin-master");
  makeNodeRoot(nodeRoot);
  mkdirSync(join(nodeRoot, "opt/data/gke-k8s-kms-plugin/generatedkeys"), { recursive: true });
  writeFileSync(
    join(nodeRoot, "opt/data/gke-k8s-kms-plugin/generatedkeys/kms-key-1"),
    "fake secrets-encryption key\n",
    { mode: 0o600 },
  );
  // A big sparse file, so a dropped connection happens mid-stream.
  mkdirSync(join(nodeRoot, "opt/bulk"), { recursive: true });
  execFileSync("truncate", ["-s", "4G", join(nodeRoot, "opt/bulk/big.img")]);
  const keysDir = join(dir, "client-keys");
  mkdirSync(keysDir);
  [ubuntuKey, auditorKey, jumpKey, strangerKey] = (await generateClientKeys(keysDir, [
    { name: "ubuntu" },
    { name: "auditor" },
    { name: "jump" },
    { name: "stranger" },
  ])) as [ClientKey, ClientKey, ClientKey, ClientKey];
  identityPath = join(dir, "age-identity.txt");
  recipient = await ageKeygen(identityPath);

  network = await createSshTestNetwork({
    id: `pkiproc${process.pid % 10000}`,
    privateNetwork: false,
  });
  const started = await startNodeAndJump({
    dir,
    network,
    nodeRoot: nodeRoot,
    nodeUsers: [
      { name: "ubuntu", authorizedKeys: ubuntuKey.publicLine, sudo: "nopasswd" },
      { name: "auditor", authorizedKeys: auditorKey.publicLine, sudo: "password" },
    ],
    jumpKey,
  });
  ({ node, jump } = started as { node: SshHost; jump: SshHost });
  if (started.failure) throw started.failure;
});

afterAll(async () => {
  await node?.stop();
  await jump?.stop();
  await network?.remove();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const KEYS = "/opt/data/gke-k8s-kms-plugin/generatedkeys";

/** What the default paths archive on this node: the PKI and the encryption keys. */
function defaultTree() {
  return [...diskTree(nodeRoot, "/etc/kubernetes/pki"), ...diskTree(nodeRoot, KEYS)];
}

describe("admin-pki-backup procedure over real SSH", () => {
  it("stores exactly the node's files with their modes, and records the listing and host key", async () => {
    // The default paths: the PKI, and the secrets-encryption keys this node has.
    const before = defaultTree();
    const { result, storeDir, store } = await backUp();

    expect(result.error).toBeUndefined();
    expect(result.outcome).toBe("stored");
    expect(result.hostKeyFingerprint).toBe(node.hostKeyFingerprint);
    // The run executed its declared plan in order; the node and key were given, no retention.
    expect(result.steps.map(({ step, outcome }) => [step, outcome])).toEqual(
      pkiBackupPlan(["/etc/kubernetes/pki"], store.description).steps.map(({ name }) => [
        name,
        ["findControlPlaneNode", "readSshKey", "applyRetention"].includes(name)
          ? "skipped"
          : "done",
      ]),
    );
    expect(result.fileCount).toBe(before.length);
    expect(listStoredPayload(storeDir, result.uri!)).toEqual(
      [
        ...expectedArchiveListing(nodeRoot, "/etc/kubernetes/pki"),
        ...expectedArchiveListing(nodeRoot, KEYS),
      ].sort(),
    );
    // No chmod, no copy: the node's files, modes and owners are as they were.
    expect(defaultTree()).toEqual(before);

    const manifest = await onlyManifest(store);
    expect(manifest.kind).toBe("admin-pki");
    expect(manifest.payload.encryption).toEqual({ method: "age", recipients: [recipient] });
    expect(manifest.pki?.node).toEqual({
      host: network.nodeAddress,
      port: 22,
      user: "ubuntu",
      hostKeyFingerprint: node.hostKeyFingerprint,
    });
    expect(manifest.pki?.paths).toEqual(["/etc/kubernetes/pki", KEYS]);
    expect(manifest.pki?.files).toEqual(
      before.map((entry) => ({
        path: entry.path,
        type: entry.type,
        mode: entry.mode.toString(8).padStart(4, "0"),
        uid: entry.uid,
        gid: entry.gid,
        size: entry.size,
        ...(entry.sha256 ? { sha256: entry.sha256 } : {}),
      })),
    );
    // The manifest names and hashes files; it never holds their contents.
    const manifestText = readFileSync(
      join(
        storeDir,
        filesUnderSync(storeDir).find((file) => file.endsWith("manifest.json"))!,
      ),
      "utf8",
    );
    for (const file of PKI_FILES) expect(manifestText).not.toContain(file.content.trim());
  });

  it("goes through the jump host, with more than one path, and records both host keys", async () => {
    const { result, storeDir, store } = await backUp({
      jumpHost: { user: "jump", host: jump.address, port: 22, privateKey: jumpKey.privateKey },
      paths: ["/etc/kubernetes/pki", "/opt/data/gke-k8s-kms-plugin/generatedkeys"],
      compression: "gzip",
    });
    expect(result.error).toBeUndefined();
    expect(result.target).toContain(`through jump@${jump.address}:22`);
    const manifest = await onlyManifest(store);
    expect(manifest.pki?.jumpHost).toEqual({
      host: jump.address,
      port: 22,
      user: "jump",
      hostKeyFingerprint: jump.hostKeyFingerprint,
    });
    expect(manifest.pki?.files.map((file) => file.path)).toContain(
      "/opt/data/gke-k8s-kms-plugin/generatedkeys/kms-key-1",
    );
    const payload = filesUnderSync(storeDir).find((file) => file.endsWith(".tar.gz.age"));
    const listing = execFileSync("sh", [
      "-c",
      `age -d -i "$1" "$2" | tar -tzf -`,
      "sh",
      identityPath,
      join(storeDir, payload!),
    ]).toString("utf8");
    expect(listing).toContain("opt/data/gke-k8s-kms-plugin/generatedkeys/kms-key-1");
    expect(listing).toContain("etc/kubernetes/pki/ca.key");
  });

  it("dry run connects and lists, and stores nothing", async () => {
    const { result, storeDir, logger } = await backUp({ dryRun: true });
    expect(result.outcome).toBe("planned");
    expect(result.fileCount).toBe(defaultTree().length);
    expect(logger.lines.join("\n")).toContain("Plan: back up the admin control plane's PKI");
    expect(await filesUnder(storeDir)).toEqual([]);
    const plan = pkiBackupPlan(["/etc/kubernetes/pki"], `folder ${storeDir}`);
    expect(result.steps.map(({ step, outcome, detail }) => [step, outcome, detail])).toEqual([
      ["findControlPlaneNode", "skipped", `the node's address ${network.nodeAddress} is given`],
      ["readSshKey", "skipped", "the SSH private key is given"],
      ["connect", "done", expect.stringContaining(node.hostKeyFingerprint)],
      ["listNodeFiles", "done", expect.stringMatching(/ entries \(/)],
      ...plan.steps.slice(4).map(({ name }) => [name, "skipped", "dry run: nothing is changed"]),
    ]);
  });

  const faults: Array<{
    name: string;
    options: () => Partial<PkiBackupOptions>;
    /** What the one error must say; a function, as the hosts exist only once started. */
    message: () => string;
  }> = [
    {
      name: "a host key other than the pinned one",
      options: () => ({ hostKeys: { fingerprints: [jump.hostKeyFingerprint] } }),
      message: () =>
        `host key mismatch for the node ${network.nodeAddress}:22: expected ${jump.hostKeyFingerprint}, got ${node.hostKeyFingerprint}`,
    },
    {
      name: "an unknown host key without the opt-in",
      options: () => ({ hostKeys: {} }),
      message: () => `its host key ${node.hostKeyFingerprint} (ssh-ed25519) is not pinned`,
    },
    {
      name: "a key the node refuses",
      options: () => ({ privateKey: strangerKey.privateKey }),
      message: () => strangerKey.publicFingerprint,
    },
    {
      name: "sudo that wants a password",
      options: () => ({ user: "auditor", privateKey: auditorKey.privateKey }),
      message: () => `sudo on ${network.nodeAddress} needs a password for user auditor`,
    },
    {
      name: "a path that does not exist",
      options: () => ({ paths: ["/etc/kubernetes/pki", "/opt/nowhere"] }),
      message: () => `path /opt/nowhere does not exist on ${network.nodeAddress}`,
    },
  ];

  it.each(faults)("fails with one clear message and stores nothing: $name", async (fault) => {
    const before = diskTree(nodeRoot, "/etc/kubernetes/pki");
    const { result, storeDir, logger } = await backUp(fault.options());
    expect(result.outcome).toBe("failed");
    expect(result.error).toContain(fault.message());
    // The procedure reports the failure in its result; the log says which step failed.
    expect(logger.lines.filter((line) => line.startsWith("error:"))).toEqual([]);
    expect(logger.lines.filter((line) => line.startsWith("✘ "))).toHaveLength(1);
    expect(await filesUnder(storeDir)).toEqual([]);
    expect(diskTree(nodeRoot, "/etc/kubernetes/pki")).toEqual(before);
  });

  it("fails with one clear message and stores nothing when the connection drops mid-stream", async () => {
    const storeDir = mkdtempSync(join(dir, "store-"));
    const logger = recordingLogger();
    const running = runAdminPkiBackup({
      host: network.nodeAddress,
      privateKey: ubuntuKey.privateKey,
      user: "ubuntu",
      hostKeys: { knownHosts: [node.knownHostsLine] },
      acceptUnknownHostKey: false,
      paths: ["/opt/bulk"],
      store: new FileStore(storeDir),
      recipients: [recipient],
      compression: "zstd",
      retention: {},
      dryRun: false,
      logger,
    });
    // Wait until the archive is flowing into the store, then drop every SSH session.
    const deadline = Date.now() + 60_000;
    while (!(await filesUnder(storeDir)).length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await filesUnder(storeDir)).not.toEqual([]);
    expect(await node.killSessions()).toBeGreaterThan(0);
    const result = await running;
    seen.push(...logger.lines, result.error ?? "");
    expect(result.outcome).toBe("failed");
    expect(result.error).toContain(
      `the SSH connection to ubuntu@${network.nodeAddress}:22 dropped while tar of /opt/bulk was running`,
    );
    expect(await filesUnder(storeDir)).toEqual([]);
  });

  it("refuses to run without a recipient: private keys are never stored in clear", async () => {
    await expect(backUp({ recipients: [] })).rejects.toThrow(
      /no encryption recipient was given: the PKI archive holds the admin cluster's private keys/,
    );
  });

  it("never shows key material or file contents in a log line or a message", () => {
    const text = seen.join("\n");
    expect(text.length).toBeGreaterThan(1000);
    for (const key of [ubuntuKey, auditorKey, jumpKey, strangerKey]) {
      for (const fragment of secretFragments(key)) expect(text).not.toContain(fragment);
    }
    for (const file of PKI_FILES) expect(text).not.toContain(file.content.trim());
  });
});
