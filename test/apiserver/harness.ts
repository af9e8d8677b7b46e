/**
 * What the API server tests share: a real ObjectStore seeded with an Anthos-shaped admin
 * cluster, a PodExecutor that runs commands as host processes (the pod runtime has its own
 * tests), TLS from the real openssl, a kubeconfig, and a runner for the real kubectl.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import type { ExecRequest, ExecStreams, PodExecutor } from "../sandbox/exec.ts";
import { createCertificateAuthority, issueCertificate } from "../sandbox/pki.ts";
import { ObjectStore, StoreError, type KubeObject } from "../sandbox/store.ts";
import {
  startApiServer,
  writeKubeconfig,
  type RunningApiServer,
} from "../sandbox/apiserver/index.ts";

type Loose = Record<string, unknown>;

/** Runs exec commands on the host, with the checks a kubelet makes before it starts one. */
export class HostProcessExecutor implements PodExecutor {
  private readonly children = new Set<ChildProcess>();

  constructor(private readonly store: ObjectStore) {}

  async exec(request: ExecRequest, streams: ExecStreams): Promise<{ exitCode: number }> {
    const pod = this.store.get("pods", request.namespace, request.pod);
    if (!pod)
      throw new StoreError("NotFound", `pods "${request.pod}" not found`, {
        name: request.pod,
        resource: "pods",
      });
    const containers = ((pod.spec as Loose).containers as Array<{ name: string }>).map(
      (c) => c.name,
    );
    const container = request.container || containers[0];
    if (!container || !containers.includes(container)) {
      throw new StoreError(
        "Invalid",
        `container ${request.container} is not valid for pod ${request.pod}`,
      );
    }
    const phase = (pod.status as Loose | undefined)?.phase;
    if (phase !== "Running") {
      throw new StoreError(
        "Invalid",
        `unable to exec into pod ${request.pod}: the pod is not running (phase ${String(phase)})`,
      );
    }
    const [program, ...args] = request.command;
    const child = spawn(program ?? "", args, {
      stdio: [
        streams.stdin ? "pipe" : "ignore",
        streams.stdout ? "pipe" : "ignore",
        streams.stderr ? "pipe" : "ignore",
      ],
    });
    this.children.add(child);
    const exited = new Promise<number>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => resolve(code ?? (signal ? 128 + 9 : 1)));
    });
    exited.catch(() => {}).finally(() => this.children.delete(child));
    if (streams.stdin && child.stdin) {
      child.stdin.on("error", () => {});
      streams.stdin.pipe(child.stdin);
    }
    const outputs = [
      [child.stdout, streams.stdout],
      [child.stderr, streams.stderr],
    ] as const;
    const copies = outputs.map(([from, to]) =>
      from && to
        ? pipeline(from, to).catch(() => {
            // The client went away: stop the command, as a kubelet does when the stream breaks.
            child.kill("SIGKILL");
          })
        : Promise.resolve(),
    );
    const exitCode = await exited;
    await Promise.all(copies);
    return { exitCode };
  }

  killAll(): void {
    for (const child of this.children) child.kill("SIGKILL");
  }
}

export interface TestCluster {
  store: ObjectStore;
  executor: HostProcessExecutor;
  server: RunningApiServer;
  dir: string;
  kubeconfigPath: string;
  caPath: string;
  token: string;
  kubectl(
    args: string[],
    options?: { input?: string | Buffer; kubeconfigPath?: string; timeoutMs?: number },
  ): Promise<KubectlResult>;
  stop(): Promise<void>;
}

export interface KubectlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function startTestCluster(
  seed: (store: ObjectStore) => void = seedAdminCluster,
): Promise<TestCluster> {
  const dir = await mkdtemp(join(tmpdir(), "apiserver-test-"));
  let server: RunningApiServer | undefined;
  const store = new ObjectStore();
  const executor = new HostProcessExecutor(store);
  try {
    const ca = await createCertificateAuthority(join(dir, "pki"), "ca", "sandbox-apiserver-ca");
    const serving = await issueCertificate(ca, {
      dir: join(dir, "pki"),
      baseName: "apiserver",
      commonName: "kube-apiserver",
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      usage: ["serverAuth"],
    });
    seed(store);
    const token = `sandbox-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    server = await startApiServer({ store, executor, token, tls: serving });
    const kubeconfigPath = await writeKubeconfig(join(dir, "admin.kubeconfig"), {
      url: server.url,
      caPath: ca.certPath,
      token,
    });
    const running = server;
    return {
      store,
      executor,
      server,
      dir,
      kubeconfigPath,
      caPath: ca.certPath,
      token,
      kubectl: (args, options = {}) =>
        runKubectl(
          [
            "--kubeconfig",
            options.kubeconfigPath ?? kubeconfigPath,
            "--cache-dir",
            join(dir, "kube-cache"),
            ...args,
          ],
          options,
        ),
      async stop() {
        executor.killAll();
        await running.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    executor.killAll();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export function runKubectl(
  args: string[],
  options: { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("kubectl", args, { stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.once("error", reject);
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({
        code,
        stdout: Buffer.concat(stdout).toString("utf8"),
        stderr: Buffer.concat(stderr).toString("utf8"),
      });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(options.input ?? "");
  });
}

// ---------------------------------------------------------------- seed objects

const minutesAgo = (minutes: number) =>
  new Date(Date.now() - minutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");

export function namespace(name: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name },
    spec: { finalizers: ["kubernetes"] },
    status: { phase: "Active" },
  };
}

export function node(
  name: string,
  options: { controlPlane?: boolean; internalIp: string; externalIp?: string },
): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        ...(options.controlPlane ? { "node-role.kubernetes.io/control-plane": "" } : {}),
      },
    },
    spec: {},
    status: {
      conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
      addresses: [
        { type: "InternalIP", address: options.internalIp },
        ...(options.externalIp ? [{ type: "ExternalIP", address: options.externalIp }] : []),
        { type: "Hostname", address: name },
      ],
      nodeInfo: {
        kubeletVersion: "v1.32.4-gke.100",
        osImage: "Ubuntu 22.04.4 LTS",
        kernelVersion: "6.1.0",
        containerRuntimeVersion: "containerd://1.7.22",
      },
    },
  };
}

export interface PodSeed {
  namespace: string;
  name: string;
  node?: string;
  ip?: string;
  labels?: Record<string, string>;
  containers?: string[];
  /** The container state a kubelet would report, for all containers. */
  state?: "running" | "crashloop" | "imagepull" | "creating";
  restarts?: number;
}

export function pod(seed: PodSeed): KubeObject {
  const containers = seed.containers ?? ["main"];
  const state = seed.state ?? "running";
  const running = state === "running";
  const stateObject = running
    ? { running: { startedAt: minutesAgo(5) } }
    : {
        waiting: {
          reason: {
            crashloop: "CrashLoopBackOff",
            imagepull: "ImagePullBackOff",
            creating: "ContainerCreating",
          }[state],
        },
      };
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: seed.name, namespace: seed.namespace, labels: seed.labels ?? {} },
    spec: {
      ...(seed.node ? { nodeName: seed.node } : {}),
      containers: containers.map((name) => ({
        name,
        image: "gcr.io/gke-on-prem-release/etcd:v3.4.23",
        command: ["sleep", "infinity"],
      })),
      terminationGracePeriodSeconds: 30,
    },
    status: {
      phase: running || state === "crashloop" ? "Running" : "Pending",
      ...(seed.ip ? { podIP: seed.ip, podIPs: [{ ip: seed.ip }] } : {}),
      conditions: [
        { type: "PodScheduled", status: seed.node ? "True" : "False" },
        { type: "Ready", status: running ? "True" : "False" },
      ],
      containerStatuses: containers.map((name) => ({
        name,
        ready: running,
        restartCount: seed.restarts ?? 0,
        state: stateObject,
        ...(seed.restarts
          ? {
              lastState: {
                terminated: { exitCode: 1, reason: "Error", finishedAt: minutesAgo(20) },
              },
            }
          : {}),
      })),
    },
  };
}

export function statefulSet(
  namespaceName: string,
  name: string,
  replicas: number,
  labels: Record<string, string>,
): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name, namespace: namespaceName, labels },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name,
              image: "gcr.io/gke-on-prem-release/etcd:v3.4.23",
              command: ["etcd"],
              env: [{ name: "ETCDCTL_API", value: "3" }],
              volumeMounts: [
                { name: "data", mountPath: "/var/lib/etcd" },
                { name: "etcd-certs", mountPath: "/etcd.local.config/certificates" },
              ],
            },
          ],
          volumes: [{ name: "etcd-certs", secret: { secretName: "kube-etcd-certs" } }],
        },
      },
    },
    status: {
      replicas,
      readyReplicas: replicas,
      currentReplicas: replicas,
      updatedReplicas: replicas,
    },
  };
}

export function deployment(namespaceName: string, name: string, replicas: number): KubeObject {
  const labels = { app: name };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: namespaceName, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: { containers: [{ name, image: "gcr.io/gke-on-prem-release/etcd-util:1.32" }] },
      },
    },
    status: {
      replicas,
      readyReplicas: replicas,
      updatedReplicas: replicas,
      availableReplicas: replicas,
    },
  };
}

export function podDisruptionBudget(
  namespaceName: string,
  name: string,
  minAvailable: number,
  selector: Record<string, string>,
): KubeObject {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: { name, namespace: namespaceName },
    spec: { minAvailable, selector: { matchLabels: selector } },
    status: {
      currentHealthy: 3,
      desiredHealthy: 2,
      disruptionsAllowed: 1,
      expectedPods: 3,
      observedGeneration: 1,
    },
  };
}

/** An admin cluster like the runbook's: control-plane node, workers, one HA user cluster. */
export function seedAdminCluster(store: ObjectStore): void {
  for (const name of ["default", "kube-system", "uc1"]) store.create("namespaces", namespace(name));
  store.create(
    "nodes",
    node("admin-master", {
      controlPlane: true,
      internalIp: "10.200.0.2",
      externalIp: "203.0.113.10",
    }),
  );
  for (let i = 0; i < 3; i++)
    store.create("nodes", node(`admin-node-${i}`, { internalIp: `10.200.0.${10 + i}` }));
  store.create(
    "pods",
    pod({
      namespace: "kube-system",
      name: "etcd-admin-master",
      node: "admin-master",
      ip: "10.200.0.2",
      labels: { component: "etcd", tier: "control-plane" },
      containers: ["etcd"],
    }),
  );
  store.create(
    "pods",
    pod({
      namespace: "kube-system",
      name: "kube-apiserver-admin-master",
      node: "admin-master",
      ip: "10.200.0.2",
      labels: { component: "kube-apiserver", tier: "control-plane" },
      containers: ["kube-apiserver"],
    }),
  );
  const etcdLabels = { app: "etcd", "etcd.gke.io/cluster": "uc1" };
  store.create("statefulsets.apps", statefulSet("uc1", "kube-etcd", 3, etcdLabels));
  store.create(
    "statefulsets.apps",
    statefulSet("uc1", "kube-apiserver", 3, { app: "kube-apiserver" }),
  );
  store.create("deployments.apps", deployment("uc1", "gke-master-etcd-maintenance", 1));
  store.create(
    "poddisruptionbudgets.policy",
    podDisruptionBudget("uc1", "kube-apiserver-pdb", 2, { app: "kube-apiserver" }),
  );
  for (let i = 0; i < 3; i++) {
    store.create(
      "pods",
      pod({
        namespace: "uc1",
        name: `kube-etcd-${i}`,
        node: `admin-node-${i}`,
        ip: `10.244.0.${10 + i}`,
        labels: etcdLabels,
        containers: ["kube-etcd"],
      }),
    );
  }
  store.create("secrets", {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "kube-etcd-certs", namespace: "uc1" },
    type: "Opaque",
    data: { "etcdCA.crt": "Y2E=", "etcd.crt": "Y2VydA==", "etcd.key": "a2V5" },
  });
}
