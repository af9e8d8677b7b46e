/**
 * The PKI of every control-plane node of a Controlplane V2 user cluster (issue 16), in the
 * sandbox: uc3's three nodes found through uc3's own API, their key read from the admin
 * cluster's uc3/ssh-keys, each node's real sshd with its host key pinned. One archive per
 * node (kind node-pki, the node in the manifest), each read back through the store,
 * decrypted, extracted by the real `tar` and compared with the node's files on disk:
 * paths, types, sha256, modes and owners. uc3-cp-1's /etc/kubernetes/pki is a link into
 * /opt/data: its archive holds the files. uc3-cp-2 has no secrets-encryption keys folder.
 */
import { execFile } from "node:child_process";
import { lstat, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseIdentities } from "../../src/core/crypto/age.ts";
import { loadKubeconfig } from "../../src/core/kube/kubeconfig.ts";
import { loadUserKubeconfigs } from "../../src/core/kube/user-kubeconfigs.ts";
import { recordingLogger } from "../../src/core/log/logger.ts";
import { FileStore } from "../../src/core/storage/file.ts";
import { checkedManifest, restoreBackupToFile } from "../../src/core/storage/pipeline.ts";
import {
  ENCRYPTION_KEYS_FOLDER,
  prepareNodePkiBackup,
  runNodePkiBackups,
  type NodePkiBackupOptions,
} from "../../src/procedures/node-pki-backup.ts";
import type { ControlPlaneV2Layout } from "../sandbox/cluster/controlplane-v2.ts";
import { startSandbox, type Sandbox } from "../sandbox/index.ts";
import { diskTree, type DiskEntry } from "../ssh/fixtures.ts";

const run = promisify(execFile);
const SLOW_MACHINE_MS = 300_000;
const PKI = "/etc/kubernetes/pki";
const LINKED_NODE = "uc3-cp-1";
const NODE_WITHOUT_KEYS = "uc3-cp-2";

let sandbox: Sandbox | undefined;
let uc3: ControlPlaneV2Layout;
let work: string;
let identityText: string;
let recipient: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "node-pki-cpv2-"));
  sandbox = await startSandbox({
    controlPlaneV2Clusters: [{ name: "uc3", nodes: 3, pkiLinkedToDataDisk: [LINKED_NODE] }],
    logger: recordingLogger(),
  });
  uc3 = sandbox.layout.controlPlaneV2Clusters[0] as ControlPlaneV2Layout;
  await run("age-keygen", ["-o", join(work, "key.txt")]);
  recipient = (await run("age-keygen", ["-y", join(work, "key.txt")])).stdout.trim();
  identityText = await readFile(join(work, "key.txt"), "utf8");
  // "Where it exists": one node without the secrets-encryption keys folder.
  await rm(join(nodeOf(NODE_WITHOUT_KEYS).rootDir, "opt/data/gke-k8s-kms-plugin"), {
    recursive: true,
  });
}, SLOW_MACHINE_MS);

afterAll(async () => {
  await sandbox?.stop();
  if (work) await rm(work, { recursive: true, force: true });
}, SLOW_MACHINE_MS);

function nodeOf(name: string) {
  const node = uc3.nodes.find((candidate) => candidate.name === name);
  if (!node) throw new Error(`no node ${name} in the sandbox's uc3`);
  return node;
}

/** What the node really holds under `nodePath`, as the archive must name it: `namedAs`. */
function nodeFiles(rootDir: string, nodePath: string, namedAs = nodePath): DiskEntry[] {
  return diskTree(rootDir, nodePath).map((entry) => ({
    ...entry,
    path: namedAs + entry.path.slice(nodePath.length),
  }));
}

/** The stored archive, read back and decrypted by the store, extracted by the real tar. */
async function extractStored(store: FileStore, uri: string, into: string): Promise<void> {
  const listed = await store.list({ cluster: "uc3", kind: "node-pki" });
  const entry = listed.find((candidate) => candidate.location.uri === uri);
  if (!entry) throw new Error(`${uri} is not listed`);
  const backup = {
    location: entry.location,
    manifest: checkedManifest(entry.location, entry.manifest),
  };
  const tarPath = join(work, `${backup.manifest.source.node}.tar`);
  await restoreBackupToFile(store, backup, tarPath, {
    identities: parseIdentities(identityText),
    logger: recordingLogger(),
  });
  await mkdir(into, { recursive: true });
  await run("tar", [
    "--extract",
    "--numeric-owner",
    "--same-permissions",
    "-f",
    tarPath,
    "-C",
    into,
  ]);
}

function baseOptions(store: FileStore): Omit<NodePkiBackupOptions, "userClusters"> {
  return {
    hostKeys: { knownHosts: [] },
    acceptUnknownHostKey: false,
    store,
    recipients: [recipient],
    compression: "zstd",
    retention: {},
    dryRun: false,
    logger: recordingLogger(),
  };
}

describe(
  "the PKI of a Controlplane V2 cluster's control-plane nodes",
  { timeout: SLOW_MACHINE_MS },
  () => {
    it("stores one archive per node, each equal to that node's files, a linked PKI as files", async () => {
      const knownHosts = (await readFile(uc3.knownHostsPath, "utf8")).split("\n").filter(Boolean);
      const userClusters = await loadUserKubeconfigs([uc3.kubeconfigPath]);
      const adminConfig = await loadKubeconfig({ path: sandbox!.kubeconfigPath });
      const store = new FileStore(join(work, "store"));
      const logger = recordingLogger();
      const secrets: string[] = [];
      const preparation = await prepareNodePkiBackup({
        userClusters,
        adminConfig,
        logger,
        onSecret: (secret) => secrets.push(secret),
      });
      expect(preparation.clusters.map((cluster) => cluster.keySource)).toEqual([
        "secret uc3/ssh-keys",
      ]);
      expect(secrets.length).toBeGreaterThan(0);

      const results = await runNodePkiBackups(
        { ...baseOptions(store), userClusters, hostKeys: { knownHosts }, logger },
        preparation,
      );

      expect(results.map((result) => [result.node, result.outcome, result.error])).toEqual([
        ["uc3-cp-0", "stored", undefined],
        ["uc3-cp-1", "stored", undefined],
        ["uc3-cp-2", "stored", undefined],
      ]);
      expect(results.map((result) => result.paths)).toEqual([
        [PKI, ENCRYPTION_KEYS_FOLDER],
        [PKI, ENCRYPTION_KEYS_FOLDER],
        [PKI],
      ]);
      const listed = await store.list({ cluster: "uc3", kind: "node-pki" });
      expect(listed).toHaveLength(3);
      const manifests = listed.map((entry) => checkedManifest(entry.location, entry.manifest));
      expect(manifests.map((manifest) => manifest.source.node).sort()).toEqual([
        "uc3-cp-0",
        "uc3-cp-1",
        "uc3-cp-2",
      ]);
      expect(new Set(manifests.map((manifest) => manifest.timestamp)).size).toBe(3);
      for (const manifest of manifests) {
        expect(manifest.source.topology).toBe("controlplane-v2");
        expect(manifest.payload.encryption).toEqual({ method: "age", recipients: [recipient] });
        expect(manifest.pki?.node.host).toBe(nodeOf(manifest.source.node!).internalIP);
      }

      for (const result of results) {
        const node = nodeOf(result.node!);
        const extracted = join(work, "extracted", node.name);
        await extractStored(store, result.uri!, extracted);
        const pkiOnDisk =
          node.name === LINKED_NODE
            ? nodeFiles(node.rootDir, "/opt/data/etc/kubernetes/pki", PKI)
            : nodeFiles(node.rootDir, PKI);
        expect(pkiOnDisk.filter((entry) => entry.type === "file").length).toBeGreaterThan(5);
        expect(nodeFiles(extracted, PKI)).toEqual(pkiOnDisk);
        if (node.name === NODE_WITHOUT_KEYS) {
          await expect(
            readFile(join(extracted, ENCRYPTION_KEYS_FOLDER, "key-1")),
          ).rejects.toThrow();
        } else {
          const keysOnDisk = nodeFiles(node.rootDir, ENCRYPTION_KEYS_FOLDER);
          expect(keysOnDisk.some((entry) => entry.type === "file")).toBe(true);
          expect(nodeFiles(extracted, ENCRYPTION_KEYS_FOLDER)).toEqual(keysOnDisk);
        }
        // The manifest's listing is the same files, each with the sha256 of the node's bytes.
        const manifest = manifests.find((candidate) => candidate.source.node === node.name)!;
        const archived = result.paths!.flatMap((path) => nodeFiles(extracted, path));
        const onDisk = new Map(archived.map((entry) => [entry.path, entry]));
        const recorded = manifest.pki!.files.filter((entry) => entry.type === "file");
        expect(recorded.length).toBe(archived.filter((entry) => entry.type === "file").length);
        for (const file of recorded) expect(file.sha256).toBe(onDisk.get(file.path)?.sha256);
      }
      // The linked node's archive holds a folder where the node has a link.
      const link = await lstat(join(nodeOf(LINKED_NODE).rootDir, PKI));
      expect(link.isSymbolicLink()).toBe(true);
      const linkedManifest = manifests.find((manifest) => manifest.source.node === LINKED_NODE)!;
      expect(linkedManifest.pki!.files.find((file) => file.path === PKI)?.type).toBe("directory");

      const log = logger.lines.join("\n");
      const key = Buffer.from(preparation.clusters[0]!.privateKey).toString("utf8");
      for (const line of key.split("\n").filter((text) => text.length > 20)) {
        expect(log).not.toContain(line);
      }
    });
    // The sandbox's jump host sits on the admin cluster's bridge and this machine does not
    // forward between bridges (ip_forward is off), so it cannot reach uc3's nodes: the case
    // of a jump host that cannot reach a node. Each node fails in bounded time, one sentence
    // each, nothing stored; the run goes on to the next node instead of hanging.
    it("through a jump host that cannot reach the nodes, fails each node in bounded time and stores nothing", async () => {
      const jump = sandbox!.layout.ssh.jumpHost;
      const userClusters = await loadUserKubeconfigs([uc3.kubeconfigPath]);
      const adminConfig = await loadKubeconfig({ path: sandbox!.kubeconfigPath });
      const store = new FileStore(join(work, "through-jump"));
      const logger = recordingLogger();
      const preparation = await prepareNodePkiBackup({ userClusters, adminConfig, logger });
      const results = await runNodePkiBackups(
        {
          ...baseOptions(store),
          userClusters,
          logger,
          connectTimeoutMs: 5_000,
          jumpHost: {
            user: jump.user,
            host: jump.host,
            port: jump.port,
            privateKey: await readFile(jump.privateKeyPath),
          },
          hostKeys: {
            fingerprints: [
              jump.hostKeyFingerprint,
              ...uc3.nodes.map((node) => node.ssh.hostKeyFingerprint),
            ],
          },
        },
        preparation,
      );
      expect(results.map((result) => [result.node, result.outcome])).toEqual([
        ["uc3-cp-0", "failed"],
        ["uc3-cp-1", "failed"],
        ["uc3-cp-2", "failed"],
      ]);
      for (const [index, result] of results.entries()) {
        expect(result.error).toBe(
          `control-plane node ${result.node} of uc3: the jump host ${jump.user}@${jump.host}:${jump.port} could not open a connection to ${uc3.nodes[index]!.internalIP}:22 within 5 s; check that the jump host can reach the node's address and port.`,
        );
      }
      expect(await store.list({ cluster: "uc3" })).toEqual([]);
    });

    it("still backs up the other nodes when one node's host key is not pinned, and says which", async () => {
      const userClusters = await loadUserKubeconfigs([uc3.kubeconfigPath]);
      const adminConfig = await loadKubeconfig({ path: sandbox!.kubeconfigPath });
      const store = new FileStore(join(work, "one-unpinned"));
      const logger = recordingLogger();
      const preparation = await prepareNodePkiBackup({ userClusters, adminConfig, logger });
      const unpinned = nodeOf("uc3-cp-0");
      const results = await runNodePkiBackups(
        {
          ...baseOptions(store),
          userClusters,
          logger,
          hostKeys: {
            knownHosts: uc3.nodes
              .filter((node) => node.name !== unpinned.name)
              .map((node) => node.ssh.knownHostsLine),
          },
        },
        preparation,
      );
      expect(results.map((result) => [result.node, result.outcome])).toEqual([
        ["uc3-cp-0", "failed"],
        ["uc3-cp-1", "stored"],
        ["uc3-cp-2", "stored"],
      ]);
      expect(results[0]?.error).toContain("control-plane node uc3-cp-0 of uc3:");
      expect(results[0]?.unpinnedHostKey?.fingerprint).toBe(unpinned.ssh.hostKeyFingerprint);
      const listed = await store.list({ cluster: "uc3", kind: "node-pki" });
      expect(
        listed.map((entry) => checkedManifest(entry.location, entry.manifest).source.node).sort(),
      ).toEqual(["uc3-cp-1", "uc3-cp-2"]);
    });
  },
);
