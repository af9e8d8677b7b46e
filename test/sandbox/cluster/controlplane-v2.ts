/**
 * A Controlplane V2 user cluster (issue 16), as the vendor lays one out: the user cluster's
 * own API server (here a second instance of the sandbox's, with its own store, CA, serving
 * certificate, token and kubeconfig) and its own control-plane nodes `<name>-cp-0..N-1`,
 * registered as Nodes in the USER cluster's API. Each node runs etcd and a stand-in
 * kube-apiserver as static pods from its own /etc/kubernetes/manifests (mirror pods
 * `etcd-<node>` in kube-system, labels component=etcd,tier=control-plane, container `etcd`),
 * the etcd certificates in /etc/kubernetes/pki/etcd/{ca.crt,server.crt,server.key}, the data
 * at /opt/data/var/lib/etcd on the node (mounted at /var/lib/etcd in the pod), and its own
 * sshd for `ubuntu`. The private SSH key is where the vendor keeps a user cluster's: secret
 * `ssh-keys` (field `ssh.key`) in the user cluster's namespace of the ADMIN cluster.
 *
 * The nodes run on a second node runtime (its own bridge and subnet, its own id derived from
 * the sandbox's), so kubelets, static pods and exec work exactly as on admin-master, against
 * the user cluster's store. Nothing here runs unless the option asks for it.
 */
import { randomBytes } from "node:crypto";
import { copyFile, chmod, mkdir, rename, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { stringify } from "yaml";
import type { Logger } from "../../../src/core/log/logger.ts";
import { applyDefaults } from "../apiserver/defaults.ts";
import { startAdminApiGate } from "./admin-api-gate.ts";
import { kubeconfigFor, startApiServer } from "../apiserver/index.ts";
import { RESOURCES } from "../apiserver/registry.ts";
import {
  createCertificateAuthority,
  issueCertificate,
  readPem,
  type CertificateAuthority,
} from "../pki.ts";
import { runCommand } from "../runtime/commands.ts";
import { startRuntime, type Runtime, type RuntimeNode } from "../runtime/index.ts";
import { sleep } from "../runtime/processes.ts";
import { startNodeSshd, type SandboxSshEndpoint, NODE_SSH_USER } from "../ssh/sandbox-ssh.ts";
import { ObjectStore, type KubeObject } from "../store.ts";
import {
  ADMIN_ETCD_DATA_DIR_IN_POD,
  ADMIN_ETCD_DATA_DIR_ON_NODE,
  apiserverManifest,
  authorizeNewSshKey,
  etcdManifest,
  KUBE_SYSTEM,
} from "./admin-control-plane.ts";
import { seedEtcd, type SeedSummary } from "./seed.ts";
import { CLUSTER_NAME_LABEL, IMAGE_POLICY } from "./topology.ts";

export interface ControlPlaneV2Spec {
  /** The user cluster's name: its kubeconfig's cluster name and its namespace in the admin cluster. */
  name: string;
  /** Control-plane nodes, each with one etcd member: 1 or 3, as the vendor makes them. */
  nodes: number;
  /**
   * Nodes whose /etc/kubernetes/pki is a symbolic link into /opt/data/etc/kubernetes/pki (the
   * folder the vendor restores a node's PKI to), e.g. ["uc3-cp-1"]. Default: none.
   */
  pkiLinkedToDataDisk?: string[];
}

/** Where the vendor keeps a user cluster's node SSH key: in the admin cluster, `<cluster>/ssh-keys`. */
export const USER_SSH_KEYS_SECRET = "ssh-keys";
export const USER_SSH_KEY_FIELD = "ssh.key";
/** Where a node keeps its secrets-encryption keys (on its data disk); every sandbox node has one. */
export const CPV2_ENCRYPTION_KEYS_DIR = "/opt/data/gke-k8s-kms-plugin/generatedkeys";
/** The etcd client certificates on a Controlplane V2 node, as the vendor's backup uses them. */
export const CPV2_ETCD_PKI_DIR = "/etc/kubernetes/pki/etcd";

export interface ControlPlaneV2Node {
  name: string;
  internalIP: string;
  /** The node root on this machine: `/etc/kubernetes/pki` of the node is `<rootDir>/etc/kubernetes/pki`. */
  rootDir: string;
  manifestsDir: string;
  etcdPod: string;
  apiserverPod: string;
  /** The etcd data on this machine: `<rootDir>/opt/data/var/lib/etcd`. */
  etcdDataDir: string;
  /** The node's own sshd, reachable directly from this machine. */
  ssh: SandboxSshEndpoint;
}

export interface ControlPlaneV2Layout {
  name: string;
  /** The id of the node runtime the cluster's nodes run on (netns `esb-<id>-*`). */
  runtimeId: string;
  apiServerUrl: string;
  /** The user cluster's kubeconfig (its cluster is named after the user cluster). */
  kubeconfigPath: string;
  network: { bridge: string; subnet: string; gateway: string };
  nodes: ControlPlaneV2Node[];
  etcdDataDirOnNode: string;
  etcdDataDirInPod: string;
  etcdPkiDirOnNode: string;
  /** The nodes' private SSH key, in the ADMIN cluster. */
  sshKeySecret: { namespace: string; name: string; field: string };
  /** known_hosts pinning every node's host key at its address. */
  knownHostsPath: string;
}

export interface ControlPlaneV2Cluster {
  layout: ControlPlaneV2Layout;
  /** The objects the ADMIN cluster holds for this cluster: its namespace and the SSH key secret. */
  adminObjects: Array<[string, KubeObject]>;
  /** Seeds the etcd with realistic content (once the cluster is healthy). */
  seed(): Promise<SeedSummary>;
}

export interface ControlPlaneV2Options {
  spec: ControlPlaneV2Spec;
  /** A sandbox id of its own for the node runtime (1-8 of [a-z0-9]). */
  runtimeId: string;
  /** The sandbox folder (node roots under nodes/, pods, volumes, logs as for the admin runtime). */
  dir: string;
  workDir: string;
  logger: Logger;
  onTeardown: (step: () => Promise<unknown>) => void;
}

/** Every control-plane node's etcd must answer within this; generous, the machine is shared. */
const HEALTH_TIMEOUT_MS = 180_000;

export function controlPlaneNodeNames(spec: ControlPlaneV2Spec): string[] {
  return Array.from({ length: spec.nodes }, (_, index) => `${spec.name}-cp-${index}`);
}

/** "uc3:3,uc4:1" -> specs; the sandbox's --cpv2 flag. */
export function parseControlPlaneV2Clusters(text: string): ControlPlaneV2Spec[] {
  const specs = text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?):(\d+)$/.exec(part);
      if (!match)
        throw new Error(
          `Controlplane V2 cluster "${part}" is not NAME:NODES: expected e.g. uc3:3 (a lowercase DNS label and 1 or 3 nodes).`,
        );
      return { name: match[1] as string, nodes: Number(match[3]) };
    });
  checkControlPlaneV2Specs(specs);
  return specs;
}

export function checkControlPlaneV2Specs(specs: ControlPlaneV2Spec[]): void {
  const names = new Set<string>();
  for (const spec of specs) {
    if (spec.nodes !== 1 && spec.nodes !== 3)
      throw new Error(
        `Controlplane V2 cluster ${spec.name} has ${spec.nodes} nodes: expected 1 or 3 control-plane nodes.`,
      );
    if (names.has(spec.name))
      throw new Error(
        `Controlplane V2 cluster ${spec.name} is given twice: expected unique names.`,
      );
    names.add(spec.name);
  }
}

/**
 * Brings the cluster up: the nodes on their own runtime, PKI and manifests on each node, the
 * user cluster's API server, an sshd per node; resolves once every etcd member is healthy.
 */
export async function startControlPlaneV2Cluster(
  options: ControlPlaneV2Options,
): Promise<ControlPlaneV2Cluster> {
  const { spec, logger, onTeardown } = options;
  const store = new ObjectStore();
  for (const name of ["default", KUBE_SYSTEM, "kube-public", "kube-node-lease"])
    create(store, "namespaces", namespaceObject(name));

  const runtime = await startRuntime({
    store,
    dir: options.dir,
    sandboxId: options.runtimeId,
    nodes: controlPlaneNodeNames(spec).map((name) => ({
      name,
      controlPlane: true,
      labels: { [CLUSTER_NAME_LABEL]: spec.name },
    })),
    images: IMAGE_POLICY,
    logger,
  });
  onTeardown(() => runtime.stop());

  const pkiScratch = join(options.workDir, `${spec.name}-pki`);
  const [kubernetesCa, etcdCa] = await Promise.all([
    createCertificateAuthority(pkiScratch, "ca", `${spec.name}-kubernetes`),
    createCertificateAuthority(pkiScratch, "etcd-ca", `${spec.name}-etcd-ca`),
  ]);
  const serving = await issueCertificate(kubernetesCa, {
    dir: pkiScratch,
    baseName: "apiserver-serving",
    commonName: "kube-apiserver",
    dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
    ipAddresses: ["127.0.0.1"],
    usage: ["serverAuth"],
  });
  const etcdClient = await writeNodePki(runtime.nodes, { kubernetesCa, etcdCa, pkiScratch });
  await writeEncryptionKeys(runtime.nodes);
  await linkPkiToDataDisk(runtime.nodes, spec.pkiLinkedToDataDisk ?? []);
  const privateKey = await authorizeNewSshKey(
    runtime.nodes.map((node) => node.rootDir),
    options.workDir,
    `ubuntu@${spec.name}`,
  );
  await writeManifests(runtime.nodes);

  const token = randomBytes(24).toString("hex");
  const apiServer = await startApiServer({
    store,
    executor: runtime,
    token,
    tls: serving,
    host: "127.0.0.1",
  });
  onTeardown(() => apiServer.close());
  const kubeconfigPath = join(options.dir, `${spec.name}.kubeconfig`);
  await writeFile(
    kubeconfigPath,
    kubeconfigFor({
      url: apiServer.url,
      caPath: kubernetesCa.certPath,
      token,
      clusterName: spec.name,
      userName: `${spec.name}-admin`,
    }),
    { mode: 0o600 },
  );

  const sshHosts = await Promise.all(
    runtime.nodes.map((node) =>
      startNodeSshd(node, node.rootDir, join(options.workDir, spec.name), onTeardown),
    ),
  );
  const knownHostsPath = join(options.workDir, spec.name, "ssh", "known_hosts");
  await writeFile(knownHostsPath, sshHosts.map((host) => `${host.knownHostsLine}\n`).join(""));

  await waitForEtcdHealthy(runtime, etcdClient, store, join(pkiScratch, "health"), spec.name);
  logger.info(`sandbox: Controlplane V2 cluster ${spec.name}: ${spec.nodes} etcd members healthy`);
  // From here on the cluster's API answers only while a majority of its control-plane nodes
  // run kube-apiserver and etcd, as a real one does: a restore that stops them all loses it.
  const gate = startAdminApiGate({
    store,
    apiServer,
    namespace: KUBE_SYSTEM,
    pods: runtime.nodes.flatMap((node) => [`kube-apiserver-${node.name}`, `etcd-${node.name}`]),
    podsPerNode: runtime.nodes.map((node) => [`kube-apiserver-${node.name}`, `etcd-${node.name}`]),
    logger,
  });
  onTeardown(async () => gate.stop());

  const layout: ControlPlaneV2Layout = {
    name: spec.name,
    runtimeId: options.runtimeId,
    apiServerUrl: apiServer.url,
    kubeconfigPath,
    network: { ...runtime.network },
    nodes: runtime.nodes.map((node, index) => ({
      name: node.name,
      internalIP: node.ip,
      rootDir: node.rootDir,
      manifestsDir: node.manifestsDir ?? join(node.rootDir, "etc/kubernetes/manifests"),
      etcdPod: `etcd-${node.name}`,
      apiserverPod: `kube-apiserver-${node.name}`,
      etcdDataDir: join(node.rootDir, ADMIN_ETCD_DATA_DIR_ON_NODE),
      ssh: sshEndpoint(sshHosts[index] as (typeof sshHosts)[number]),
    })),
    etcdDataDirOnNode: ADMIN_ETCD_DATA_DIR_ON_NODE,
    etcdDataDirInPod: ADMIN_ETCD_DATA_DIR_IN_POD,
    etcdPkiDirOnNode: CPV2_ETCD_PKI_DIR,
    sshKeySecret: { namespace: spec.name, name: USER_SSH_KEYS_SECRET, field: USER_SSH_KEY_FIELD },
    knownHostsPath,
  };
  const first = runtime.nodes[0] as RuntimeNode;
  return {
    layout,
    adminObjects: [
      ["namespaces", namespaceObject(spec.name)],
      ["secrets", sshKeysSecret(spec.name, privateKey)],
    ],
    seed: () =>
      seedEtcd(
        { url: `https://${first.ip}:2379`, servername: first.name, ...etcdClient },
        { cluster: spec.name },
      ),
  };
}

function sshEndpoint(host: {
  address: string;
  port: number;
  hostKeyFingerprint: string;
  knownHostsLine: string;
}): SandboxSshEndpoint {
  return {
    host: host.address,
    port: host.port,
    user: NODE_SSH_USER,
    hostKeyFingerprint: host.hostKeyFingerprint,
    knownHostsLine: host.knownHostsLine,
  };
}

/**
 * The kubeadm PKI of each node: the cluster's CAs, and per node its etcd server and peer
 * certificates (its name and address), the health-check client and the API server's etcd
 * client. Returns a client pair for the sandbox's own use (health, seeding).
 */
async function writeNodePki(
  nodes: RuntimeNode[],
  pki: { kubernetesCa: CertificateAuthority; etcdCa: CertificateAuthority; pkiScratch: string },
): Promise<{ caCert: string; cert: string; key: string }> {
  const { etcdCa, kubernetesCa, pkiScratch } = pki;
  // One CA's certificates one after the other: openssl updates the CA's serial file.
  for (const node of nodes) {
    const pkiDir = join(node.rootDir, "etc/kubernetes/pki");
    await mkdir(join(pkiDir, "etcd"), { recursive: true });
    await installPair(kubernetesCa, join(pkiDir, "ca"));
    await installPair(etcdCa, join(pkiDir, "etcd/ca"));
    const member = {
      commonName: node.name,
      dnsNames: [node.name, "localhost"],
      ipAddresses: ["127.0.0.1", node.ip],
    };
    const issued: Array<[string, Parameters<typeof issueCertificate>[1]]> = [
      ["etcd/server", { dir: pkiScratch, baseName: `${node.name}-server`, ...member }],
      ["etcd/peer", { dir: pkiScratch, baseName: `${node.name}-peer`, ...member }],
      [
        "etcd/healthcheck-client",
        {
          dir: pkiScratch,
          baseName: `${node.name}-healthcheck-client`,
          commonName: "kube-etcd-healthcheck-client",
          usage: ["clientAuth"],
        },
      ],
      [
        "apiserver-etcd-client",
        {
          dir: pkiScratch,
          baseName: `${node.name}-apiserver-etcd-client`,
          commonName: "kube-apiserver-etcd-client",
          usage: ["clientAuth"],
        },
      ],
    ];
    for (const [target, request] of issued) {
      await installPair(await issueCertificate(etcdCa, request), join(pkiDir, target));
    }
  }
  const client = await issueCertificate(etcdCa, {
    dir: pkiScratch,
    baseName: "sandbox-etcd-client",
    commonName: "sandbox-seeder",
    usage: ["clientAuth"],
  });
  const pem = await readPem(client);
  const ca = await readPem(etcdCa);
  return { caCert: ca.cert, cert: pem.cert, key: pem.key };
}

/** A key file per node in the vendor's secrets-encryption keys folder, root-only as on a node. */
async function writeEncryptionKeys(nodes: RuntimeNode[]): Promise<void> {
  for (const node of nodes) {
    const folder = join(node.rootDir, CPV2_ENCRYPTION_KEYS_DIR);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    await chmod(folder, 0o700);
    await writeFile(join(folder, "key-1"), randomBytes(32), { mode: 0o600 });
  }
}

/**
 * Moves the named nodes' PKI to /opt/data/etc/kubernetes/pki and leaves a link in its place.
 * The link is relative, so it resolves both in the node's own view (sshd) and from this
 * machine (the static pods' host paths).
 */
async function linkPkiToDataDisk(nodes: RuntimeNode[], linked: string[]): Promise<void> {
  for (const name of linked) {
    const node = nodes.find((candidate) => candidate.name === name);
    if (!node)
      throw new Error(`pkiLinkedToDataDisk names ${name}, which is not a node of this cluster`);
    const onDataDisk = join(node.rootDir, "opt/data/etc/kubernetes/pki");
    await mkdir(join(onDataDisk, ".."), { recursive: true });
    await rename(join(node.rootDir, "etc/kubernetes/pki"), onDataDisk);
    await symlink("../../opt/data/etc/kubernetes/pki", join(node.rootDir, "etc/kubernetes/pki"));
  }
}

async function installPair(files: { certPath: string; keyPath: string }, target: string) {
  await copyFile(files.certPath, `${target}.crt`);
  await copyFile(files.keyPath, `${target}.key`);
  await chmod(`${target}.key`, 0o600);
}

/**
 * The admin node's manifests (reused, not copied), with each member's own etcd flags: its
 * name, its address for clients and peers, and every member in the initial cluster.
 */
async function writeManifests(nodes: RuntimeNode[]): Promise<void> {
  const initialCluster = nodes.map((node) => `${node.name}=https://${node.ip}:2380`).join(",");
  await Promise.all(
    nodes.map(async (node) => {
      const manifestsDir = node.manifestsDir ?? join(node.rootDir, "etc/kubernetes/manifests");
      await mkdir(join(node.rootDir, ADMIN_ETCD_DATA_DIR_ON_NODE), {
        recursive: true,
        mode: 0o700,
      });
      await writeFile(
        join(manifestsDir, "etcd.yaml"),
        stringify(memberManifest(node, initialCluster)),
      );
      await writeFile(join(manifestsDir, "kube-apiserver.yaml"), stringify(apiserverManifest()));
    }),
  );
}

function memberManifest(node: RuntimeNode, initialCluster: string): KubeObject {
  const manifest = etcdManifest();
  const clientUrl = `https://${node.ip}:2379`;
  const peerUrl = `https://${node.ip}:2380`;
  const annotations = manifest.metadata.annotations ?? {};
  annotations["kubeadm.kubernetes.io/etcd.advertise-client-urls"] = clientUrl;
  manifest.metadata.annotations = annotations;
  const container = (manifest.spec as { containers: Array<{ command: string[] }> })
    .containers[0] as { command: string[] };
  const kept = container.command.filter(
    (arg) =>
      !/^--(name|listen-client-urls|advertise-client-urls|listen-peer-urls|initial-advertise-peer-urls|initial-cluster)=/.test(
        arg,
      ),
  );
  container.command = [
    ...kept,
    `--name=${node.name}`,
    `--listen-client-urls=https://127.0.0.1:2379,${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${initialCluster}`,
    `--initial-cluster-token=etcd-cluster-${node.name.replace(/-cp-\d+$/, "")}`,
  ];
  return manifest;
}

/** Until every mirror etcd pod is Ready and `etcdctl endpoint health` passes on every member. */
async function waitForEtcdHealthy(
  runtime: Runtime,
  client: { caCert: string; cert: string; key: string },
  store: ObjectStore,
  scratch: string,
  cluster: string,
): Promise<void> {
  await mkdir(scratch, { recursive: true });
  await writeFile(join(scratch, "ca.crt"), client.caCert);
  await writeFile(join(scratch, "client.crt"), client.cert);
  await writeFile(join(scratch, "client.key"), client.key, { mode: 0o600 });
  const endpoints = runtime.nodes.map((node) => `https://${node.ip}:2379`).join(",");
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last: string;
  for (;;) {
    // The kube-apiserver pods too: the API's gate, started next, needs them Ready.
    const podsReady = runtime.nodes.every((node) =>
      [`etcd-${node.name}`, `kube-apiserver-${node.name}`].every((pod) =>
        isReady(store.get("pods", KUBE_SYSTEM, pod)),
      ),
    );
    if (podsReady) {
      const result = await runCommand(
        "etcdctl",
        [
          `--endpoints=${endpoints}`,
          `--cacert=${join(scratch, "ca.crt")}`,
          `--cert=${join(scratch, "client.crt")}`,
          `--key=${join(scratch, "client.key")}`,
          "--dial-timeout=2s",
          "--command-timeout=3s",
          "endpoint",
          "health",
        ],
        { allowFailure: true },
      );
      if (result.exitCode === 0) return;
      last = `${result.stdout}${result.stderr}`.trim();
    } else {
      last = "the etcd and kube-apiserver mirror pods are not all Ready yet";
    }
    if (Date.now() > deadline)
      throw new Error(
        `Controlplane V2 cluster ${cluster}: etcd did not become healthy within ${HEALTH_TIMEOUT_MS / 1000} s: ${last}`,
      );
    await sleep(500);
  }
}

function isReady(pod: KubeObject | undefined): boolean {
  const conditions = (pod?.status as { conditions?: Array<{ type: string; status: string }> })
    ?.conditions;
  return conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
}

function sshKeysSecret(cluster: string, privateKey: Buffer): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: USER_SSH_KEYS_SECRET, namespace: cluster },
    type: "Opaque",
    data: { [USER_SSH_KEY_FIELD]: privateKey.toString("base64") },
  };
}

/** Stores an object the way the API server would: defaulted, with kind and apiVersion. */
function create(store: ObjectStore, resource: string, object: KubeObject): void {
  const type = RESOURCES.find((candidate) => candidate.key === resource);
  if (!type) throw new Error(`the sandbox API server does not serve "${resource}"`);
  const defaulted = structuredClone(object);
  applyDefaults(type, defaulted);
  store.create(resource, defaulted);
}

function namespaceObject(name: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels: { "kubernetes.io/metadata.name": name } },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  };
}
