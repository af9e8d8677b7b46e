/**
 * `startSandbox(options)`: an Anthos-style admin cluster from real parts, for the tests and
 * the demo. Brings up, in order: TLS material, the object store, the HTTPS API server on
 * 127.0.0.1, the admin control-plane node's files, the user clusters' objects, the
 * controllers, and the node runtime (network namespaces, kubelets, real etcd processes);
 * waits until every pod is Ready and every etcd member answers `endpoint health` (meanwhile
 * the node's sshd and the jump host start); fills the stores with realistic content; in
 * private-network mode cuts the runner's direct route to the node; then writes DIR/admin.kubeconfig, DIR/sandbox.json and,
 * last, DIR/ready. `stop()` takes it all down again and is safe to call twice; a failed
 * start takes down whatever it had made.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { consoleLogger, type Logger } from "../../src/core/log/logger.ts";
import { applyDefaults } from "./apiserver/defaults.ts";
import { kubeconfigFor, startApiServer, type RunningApiServer } from "./apiserver/index.ts";
import { RESOURCES } from "./apiserver/registry.ts";
import {
  ADMIN_ETCD_DATA_DIR_IN_POD,
  ADMIN_ETCD_DATA_DIR_ON_NODE,
  KUBE_SYSTEM,
  prepareAdminControlPlane,
  SSH_KEY_FIELD,
  SSH_KEYS_SECRET,
} from "./cluster/admin-control-plane.ts";
import { startAdminApiGate } from "./cluster/admin-api-gate.ts";
import { startControllers, type Controllers } from "./cluster/controllers/index.ts";
import { waitForCluster } from "./cluster/readiness.ts";
import { seedEtcd, type EtcdClientEndpoint, type SeedSummary } from "./cluster/seed.ts";
import {
  ADMIN_MASTER,
  DEFAULT_USER_CLUSTERS,
  GKE_ON_PREM_VERSION,
  IMAGE_POLICY,
  IMAGES,
  planCluster,
  type ClusterPlan,
  type UserClusterSpec,
} from "./cluster/topology.ts";
import {
  makeEtcdCertificates,
  userClusterObjects,
  type EtcdTlsFiles,
} from "./cluster/user-cluster.ts";
import type { ExecRequest, ExecStreams, PodExecutor } from "./exec.ts";
import { createCertificateAuthority, issueCertificate } from "./pki.ts";
import { startRuntime, type Runtime } from "./runtime/index.ts";
import { startSandboxSsh, type SandboxSshLayout } from "./ssh/sandbox-ssh.ts";
import { ObjectStore, type KubeObject } from "./store.ts";

export interface SandboxOptions {
  /** The sandbox folder; a new temporary folder (removed by stop()) when not given. */
  dir?: string;
  /** Default: uc1 with 3 etcd members, uc2 with 1. */
  userClusters?: UserClusterSpec[];
  /** Grow uc1's etcd to about this many MB, for benchmarks. */
  etcdDataMb?: number;
  /**
   * After seeding, the runner can no longer reach admin-master's address directly (an
   * `unreachable` host route): its sshd is reachable only through the jump host.
   */
  privateNetwork?: boolean;
  /**
   * Default true: once started, the API server refuses connections while admin-master's
   * kube-apiserver static pod is not running and Ready (it needs the admin etcd), as a real
   * one would (cluster/admin-api-gate.ts). False: it answers whatever the admin control plane does.
   */
  apiDependsOnAdminControlPlane?: boolean;
  logger?: Logger;
}

export interface SandboxMember {
  memberNumber: number;
  pod: string;
  node: string;
  podIP: string;
  /** The PVC data-kube-etcd-N and the host folder behind it. */
  pvc: string;
  pvcPath: string;
}

export interface SandboxLayout {
  sandboxId: string;
  dir: string;
  apiServerUrl: string;
  kubeconfigPath: string;
  /** The value of the runbook's GKE_ON_PREM_VERSION placeholder here. */
  gkeOnPremVersion: string;
  images: typeof IMAGES;
  network: { bridge: string; subnet: string; gateway: string };
  nodes: Array<{
    name: string;
    controlPlane: boolean;
    internalIP: string;
    externalIP: string;
    rootDir: string;
    labels: Record<string, string>;
  }>;
  userClusters: Array<{ name: string; namespace: string; members: SandboxMember[] }>;
  admin: {
    node: string;
    etcdPod: string;
    apiserverPod: string;
    nodeRoot: string;
    manifestsDir: string;
    pkiDir: string;
    /** The admin etcd's data on this machine: `<nodeRoot>/opt/data/var/lib/etcd`. */
    etcdDataDir: string;
    /** The same folder as the node sees it (over SSH, the hostPath): `/opt/data/var/lib/etcd`. */
    etcdDataDirOnNode: string;
    /** ... and as the etcd container sees it (its `--data-dir`): `/var/lib/etcd`. */
    etcdDataDirInPod: string;
    adminConfPath: string;
    /** Whether the API server goes away while the admin control plane is down (the option). */
    apiDependsOnControlPlane: boolean;
    sshKeySecret: { namespace: string; name: string; field: string };
  };
  /** The node's sshd and the jump host (see ssh/README.md). */
  ssh: SandboxSshLayout;
  content: Record<string, SeedSummary>;
}

export interface Sandbox {
  dir: string;
  kubeconfigPath: string;
  kubeconfig: string;
  token: string;
  layout: SandboxLayout;
  stop(): Promise<void>;
}

/** What marks a folder as a sandbox's own, so a later start may clear it. */
const DIR_MARKER = ".etcd-backup-sandbox";
const READY_FILE = "ready";

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const logger = options.logger ?? consoleLogger();
  const userClusters = options.userClusters ?? [...DEFAULT_USER_CLUSTERS];
  const plan = planCluster(userClusters);
  checkDataSize(options.etcdDataMb);
  const sandboxId = randomBytes(4).toString("hex").slice(0, 6);
  const ownsDir = !options.dir;
  const dir = options.dir ? resolve(options.dir) : await mkdtemp(join(tmpdir(), "etcd-sandbox-"));
  await claimDir(dir);

  const teardown = new Teardown(logger);
  if (ownsDir) teardown.add(() => rm(dir, { recursive: true, force: true }));
  else teardown.add(() => rm(join(dir, READY_FILE), { force: true }));
  try {
    return await bringUp({ ...options, userClusters, logger }, plan, sandboxId, dir, teardown);
  } catch (error) {
    logger.error(
      `sandbox ${sandboxId}: start-up failed, tearing down: ${(error as Error).message}`,
    );
    await teardown.run();
    throw error;
  }
}

async function bringUp(
  options: SandboxOptions & { userClusters: UserClusterSpec[]; logger: Logger },
  plan: ClusterPlan,
  sandboxId: string,
  dir: string,
  teardown: Teardown,
): Promise<Sandbox> {
  const { logger, userClusters } = options;
  const started = Date.now();
  const phase = (what: string) =>
    logger.debug(
      `sandbox ${sandboxId}: ${what} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  const store = new ObjectStore();
  const token = randomBytes(24).toString("hex");
  const workDir = join(dir, "work");
  await mkdir(workDir, { recursive: true });

  // The API server comes first (the admin.conf on the node names it); exec reaches the
  // runtime once the runtime exists.
  const executor = new LateExecutor();
  const apiTls = await apiServerCertificate(join(workDir, "apiserver-pki"));
  const apiServer: RunningApiServer = await startApiServer({
    store,
    executor,
    token,
    tls: apiTls.serving,
    host: "127.0.0.1",
  });
  teardown.add(() => apiServer.close());
  const kubeconfig = kubeconfigFor({ url: apiServer.url, caPath: apiTls.caPath, token });

  const nodeRoot = join(dir, "nodes", ADMIN_MASTER);
  const [adminPlane, ...etcdTls] = await Promise.all([
    prepareAdminControlPlane({ nodeRoot, workDir, adminKubeconfig: kubeconfig }),
    ...userClusters.map((cluster) => makeEtcdCertificates(join(workDir, "etcd-pki"), cluster.name)),
  ]);

  phase("API server up, TLS material and node files written");
  for (const name of ["default", KUBE_SYSTEM, "kube-public", "kube-node-lease"]) {
    create(store, "namespaces", namespaceObject(name));
  }
  create(store, "secrets", adminPlane.sshKeysSecret);
  const quotaBackendBytes = Math.max(2 * 1024 ** 3, (options.etcdDataMb ?? 0) * 4 * 1024 ** 2);
  userClusters.forEach((cluster, index) => {
    const objects = userClusterObjects({
      cluster,
      members: plan.members.filter((member) => member.cluster === cluster.name),
      tls: etcdTls[index] as EtcdTlsFiles,
      quotaBackendBytes,
    });
    for (const [resource, object] of objects) create(store, resource, object);
  });

  const controllers: Controllers = startControllers(store, logger);
  teardown.add(async () => controllers.stop());

  const runtime: Runtime = await startRuntime({
    store,
    dir,
    sandboxId,
    nodes: plan.nodes.map((node) => ({
      name: node.name,
      labels: node.labels,
      controlPlane: node.controlPlane,
    })),
    images: IMAGE_POLICY,
    logger,
  });
  executor.attach(runtime);
  phase("nodes registered");
  // Stop the pods before the controllers (added earlier, so run later) can recreate them.
  teardown.add(() => runtime.stop());

  // The SSH hosts start while the cluster settles; each is torn down before the runtime.
  const sshStarting = startSandboxSsh({
    runtime,
    sandboxId,
    workDir,
    nodeName: ADMIN_MASTER,
    nodeRoot,
    onTeardown: (step) => teardown.add(step),
  }).then((ssh) => {
    phase("sshd on the node and the jump host listening");
    return ssh;
  });
  const seeding = (async () => {
    await waitForCluster({ store, executor: runtime, userClusters, logger });
    logger.info(`sandbox ${sandboxId}: every pod is Ready and every etcd member healthy`);
    phase("cluster healthy");
    return seedAll(
      runtime,
      userClusters,
      etcdTls as EtcdTlsFiles[],
      adminPlane.pkiDir,
      options.etcdDataMb,
    );
  })();
  // Both settle before a failure is thrown, so teardown never races a start still running.
  const [sshStart, seeded] = await Promise.allSettled([sshStarting, seeding]);
  if (sshStart.status === "rejected") throw sshStart.reason;
  if (seeded.status === "rejected") throw seeded.reason;
  const ssh = sshStart.value;
  const content = seeded.value;
  phase("content written");
  if (options.privateNetwork) {
    // Seeding reached the admin etcd at the node's address; from here on nothing may.
    await ssh.closeDirectRoute();
    logger.info(
      `sandbox ${sandboxId}: private network: ${ssh.layout.node.host} is reachable only through the jump host ${ssh.layout.jumpHost.host}`,
    );
  }

  const apiDependsOnControlPlane = options.apiDependsOnAdminControlPlane ?? true;
  if (apiDependsOnControlPlane) {
    // Only now: during start-up the API server answers while the control plane comes up.
    const gate = startAdminApiGate({
      store,
      apiServer,
      namespace: KUBE_SYSTEM,
      pods: [`kube-apiserver-${ADMIN_MASTER}`, `etcd-${ADMIN_MASTER}`],
      logger,
    });
    teardown.add(async () => gate.stop());
  }

  const kubeconfigPath = join(dir, "admin.kubeconfig");
  await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
  const layout = describeLayout({
    sandboxId,
    dir,
    apiServerUrl: apiServer.url,
    kubeconfigPath,
    plan,
    runtime,
    adminPlane,
    nodeRoot,
    ssh: ssh.layout,
    content,
    apiDependsOnControlPlane,
  });
  await writeFile(join(dir, "sandbox.json"), `${JSON.stringify(layout, null, 2)}\n`);
  await writeFile(join(dir, READY_FILE), `${new Date().toISOString()}\n`);
  logger.info(
    `sandbox ${sandboxId}: ready in ${((Date.now() - started) / 1000).toFixed(1)} s at ${dir}`,
  );

  let stopping: Promise<void> | undefined;
  return {
    dir,
    kubeconfigPath,
    kubeconfig,
    token,
    layout,
    stop: () => (stopping ??= teardown.run()),
  };
}

/** Everything torn down in the reverse order it was made; every step runs even if one fails. */
class Teardown {
  private readonly steps: Array<() => Promise<unknown>> = [];
  constructor(private readonly logger: Logger) {}

  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        this.logger.warning(`sandbox teardown: ${(error as Error).message}`);
      }
    }
  }
}

/** The API server starts before the runtime; exec requests wait for it to be attached. */
class LateExecutor implements PodExecutor {
  private runtime: PodExecutor | undefined;

  attach(runtime: PodExecutor): void {
    this.runtime = runtime;
  }

  exec(request: ExecRequest, streams: ExecStreams): Promise<{ exitCode: number }> {
    if (!this.runtime) {
      return Promise.reject(
        new Error(
          `pod ${request.namespace}/${request.pod} is not running yet: the sandbox's nodes are still starting`,
        ),
      );
    }
    return this.runtime.exec(request, streams);
  }
}

async function apiServerCertificate(dir: string) {
  const ca = await createCertificateAuthority(dir, "ca", "sandbox-apiserver-ca");
  const serving = await issueCertificate(ca, {
    dir,
    baseName: "apiserver",
    commonName: "kube-apiserver",
    dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
    ipAddresses: ["127.0.0.1"],
    usage: ["serverAuth"],
  });
  return { caPath: ca.certPath, serving };
}

/** Stores an object the way the API server would: defaulted, with kind and apiVersion. */
function create(store: ObjectStore, resource: string, object: KubeObject): void {
  const type = RESOURCES.find((candidate) => candidate.key === resource);
  if (!type) throw new Error(`the sandbox API server does not serve "${resource}"`);
  const defaulted = structuredClone(object);
  applyDefaults(type, defaulted);
  if (!store.get(resource, defaulted.metadata.namespace, defaulted.metadata.name)) {
    store.create(resource, defaulted);
  }
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

/** Fills every etcd: each user cluster through member 0's pod address, the admin one through the node's. */
async function seedAll(
  runtime: Runtime,
  userClusters: UserClusterSpec[],
  etcdTls: EtcdTlsFiles[],
  adminPkiDir: string,
  etcdDataMb: number | undefined,
): Promise<Record<string, SeedSummary>> {
  const jobs = userClusters.map(async (cluster, index) => {
    const tls = etcdTls[index] as EtcdTlsFiles;
    const podIP = runtime.podIP(cluster.name, "kube-etcd-0");
    if (!podIP) throw new Error(`kube-etcd-0 in ${cluster.name} has no pod IP after start-up`);
    const endpoint: EtcdClientEndpoint = {
      url: `https://${podIP}:2379`,
      servername: "kube-etcd-0.kube-etcd",
      caCert: tls.caCert,
      cert: tls.cert,
      key: tls.key,
    };
    const dataMb = index === 0 ? etcdDataMb : undefined;
    return [
      cluster.name,
      await seedEtcd(endpoint, { cluster: cluster.name, ...(dataMb ? { dataMb } : {}) }),
    ] as const;
  });
  const master = runtime.nodes.find((node) => node.name === ADMIN_MASTER);
  if (!master) throw new Error("the runtime has no admin-master node");
  const read = (file: string) => readFile(join(adminPkiDir, file), "utf8");
  const adminEndpoint: EtcdClientEndpoint = {
    url: `https://${master.ip}:2379`,
    servername: "localhost",
    caCert: await read("etcd/ca.crt"),
    cert: await read("etcd/healthcheck-client.crt"),
    key: await read("etcd/healthcheck-client.key"),
  };
  jobs.push(
    seedEtcd(adminEndpoint, { cluster: "admin" }).then((summary) => ["admin", summary] as const),
  );
  return Object.fromEntries(await Promise.all(jobs));
}

function describeLayout(input: {
  sandboxId: string;
  dir: string;
  apiServerUrl: string;
  kubeconfigPath: string;
  plan: ClusterPlan;
  runtime: Runtime;
  adminPlane: { pkiDir: string; manifestsDir: string; etcdDataDir: string };
  nodeRoot: string;
  ssh: SandboxSshLayout;
  content: Record<string, SeedSummary>;
  apiDependsOnControlPlane: boolean;
}): SandboxLayout {
  const { plan, runtime } = input;
  const clusterNames = [...new Set(plan.members.map((member) => member.cluster))];
  return {
    sandboxId: input.sandboxId,
    dir: input.dir,
    apiServerUrl: input.apiServerUrl,
    kubeconfigPath: input.kubeconfigPath,
    gkeOnPremVersion: GKE_ON_PREM_VERSION,
    images: IMAGES,
    network: { ...runtime.network },
    nodes: runtime.nodes.map((node) => ({
      name: node.name,
      controlPlane: node.controlPlane,
      internalIP: node.ip,
      externalIP: node.ip,
      rootDir: node.rootDir,
      labels: plan.nodes.find((planned) => planned.name === node.name)?.labels ?? {},
    })),
    userClusters: clusterNames.map((name) => ({
      name,
      namespace: name,
      members: plan.members
        .filter((member) => member.cluster === name)
        .map((member) => ({
          memberNumber: member.memberNumber,
          pod: member.pod,
          node: member.node,
          podIP: runtime.podIP(name, member.pod) ?? "",
          pvc: `data-${member.pod}`,
          pvcPath: runtime.pvcPath(name, `data-${member.pod}`),
        })),
    })),
    admin: {
      node: ADMIN_MASTER,
      etcdPod: `etcd-${ADMIN_MASTER}`,
      apiserverPod: `kube-apiserver-${ADMIN_MASTER}`,
      nodeRoot: input.nodeRoot,
      manifestsDir: input.adminPlane.manifestsDir,
      pkiDir: input.adminPlane.pkiDir,
      etcdDataDir: input.adminPlane.etcdDataDir,
      etcdDataDirOnNode: ADMIN_ETCD_DATA_DIR_ON_NODE,
      etcdDataDirInPod: ADMIN_ETCD_DATA_DIR_IN_POD,
      adminConfPath: join(input.nodeRoot, "etc/kubernetes/admin.conf"),
      apiDependsOnControlPlane: input.apiDependsOnControlPlane,
      sshKeySecret: { namespace: KUBE_SYSTEM, name: SSH_KEYS_SECRET, field: SSH_KEY_FIELD },
    },
    ssh: structuredClone(input.ssh),
    content: input.content,
  };
}

function checkDataSize(etcdDataMb: number | undefined): void {
  if (etcdDataMb === undefined) return;
  if (!Number.isInteger(etcdDataMb) || etcdDataMb < 0 || etcdDataMb > 8000) {
    throw new Error(
      `etcdDataMb ${etcdDataMb} is not usable: expected a whole number of MB from 0 to 8000.`,
    );
  }
}

/**
 * Makes the folder this sandbox's. A folder left by an earlier sandbox whose process is gone
 * is cleared (its host resources are the runtime's to clean, by their ids); a folder in use
 * by a live sandbox, or one that is not a sandbox's at all, is refused.
 */
async function claimDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const entries = await readdir(dir);
  if (entries.length > 0) {
    const markerPath = join(dir, DIR_MARKER);
    if (!existsSync(markerPath)) {
      throw new Error(
        `sandbox folder ${dir} is not empty and was not made by a sandbox: expected an empty or new folder.`,
      );
    }
    const ownerPid = Number((await readFile(markerPath, "utf8")).trim());
    if (ownerPid !== process.pid && isProcessAlive(ownerPid)) {
      throw new Error(
        `sandbox folder ${dir} is in use by the sandbox of running process ${ownerPid}: stop it first or pick another folder.`,
      );
    }
    await Promise.all(
      entries.map((entry) => rm(join(dir, entry), { recursive: true, force: true })),
    );
  }
  await writeFile(join(dir, DIR_MARKER), `${process.pid}\n`);
}

function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

export {
  DEFAULT_USER_CLUSTERS,
  GKE_ON_PREM_VERSION,
  IMAGES,
  parseUserClusters,
} from "./cluster/topology.ts";
export type { UserClusterSpec } from "./cluster/topology.ts";
export { adminEtcdDatabase, adminEtcdPids, breakAdminEtcd } from "./admin-etcd-faults.ts";
