/**
 * The sandbox's node side: network, scheduler, one kubelet per node, exec.
 *
 *   const runtime = await startRuntime({
 *     store, dir, sandboxId: "a1b2c3",            // id: 1-8 of [a-z0-9], in every host name
 *     nodes: [{ name: "admin-master", controlPlane: true }, { name: "admin-node-0" }],
 *     images: [{ pattern: "gcr.io/gke-on-prem-release/etcd:*" }],
 *     logger,
 *   });
 *   runtime.nodes        // [{ name, ip, rootDir, netns, netnsPath, controlPlane, manifestsDir? }]
 *   runtime.network      // { bridge, subnet, gateway }: the host holds the gateway address
 *   runtime.podIP(ns, name), runtime.pvcPath(ns, claim), runtime.logDir(ns, pod, container)
 *   await runtime.exec(request, streams)   // PodExecutor, for the API server's exec:
 *     // enters the running container (its namespaces, root, env); no pty: with tty, stderr
 *     // joins stdout as on a terminal; the caller's stdout/stderr are written with
 *     // backpressure and never ended by exec
 *   await runtime.attachHelper(name)       // a namespace on the bridge for a helper (SSH jump host)
 *   runtime.recordHostResource("links" | "routes", spec) // made by the caller, removed by stop()
 *   await runtime.stop() // kills every process, removes netns, veths, bridge, recorded routes; keeps dir
 *
 * Once started, it works entirely through the store, as a real node does through the API:
 * it registers a Node per node; the scheduler binds Pods created without spec.nodeName; each
 * kubelet runs the Pods bound to its node as real processes (own network namespace with a
 * stable IP, `bwrap` filesystem view, volumes), writes their status, restarts crashed
 * containers with back-off, honours deletionTimestamp (graceful stop, then store.delete),
 * and the control-plane node runs static pods from <node root>/etc/kubernetes/manifests.
 *
 * Layout under dir: nodes/<node>/ (node roots; hostPath volumes resolve there),
 * volumes/<ns>/<claim>/ (PVCs, kept across pods), pods/<ns>_<name>_<uid>/ (pod root and
 * pod-lifetime volumes, removed with the pod), logs/<ns>_<name>_<uid>/<container>/<n>.log.
 *
 * What it creates on the host is recorded in /run/etcd-backup-sandbox/<id>.json; a start
 * first cleans up sandboxes whose owning process is dead (cleanupStaleSandboxes), by the
 * names in their records only. Needs root, `ip`, `nsenter` and `bwrap`.
 *
 * Sandbox-scale differences from a real kubelet: grace periods are capped at
 * MAX_GRACE_SECONDS; back-off is 1 s doubling to 10 s; readiness probes run every second
 * until ready, then at min(periodSeconds, 5); liveness and startup probes are not run; a
 * static pod's mirror deleted through the API restarts the static pod; Secret volumes are
 * written when the pod starts, not refreshed.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import type { Logger } from "../../../src/core/log/logger.ts";
import { consoleLogger } from "../../../src/core/log/logger.ts";
import type { ExecRequest, ExecStreams, PodExecutor } from "../exec.ts";
import type { KubeObject, ObjectStore } from "../store.ts";
import { StoreError } from "../store.ts";
import { runCommand } from "./commands.ts";
import { EventRecorder } from "./events.ts";
import type { ImagePolicy } from "./images.ts";
import { Kubelet } from "./kubelet.ts";
import type { Attachment, NetworkInfo } from "./network.ts";
import { SandboxNetwork } from "./network.ts";
import { registerNode } from "./nodes.ts";
import type { NodeHandle, WorkerContext } from "./pod-worker.ts";
import { POD_RESOURCE, podSpec } from "./pod-spec.ts";
import { pidsInNetns, signal } from "./processes.ts";
import { Scheduler } from "./scheduler.ts";
import {
  checkSandboxId,
  cleanupStaleSandboxes,
  ownerIsAlive,
  readSandboxRecord,
  removeSandboxResources,
  SandboxState,
  type SandboxRecord,
} from "./state.ts";
import { StaticPodSource } from "./static-pods.ts";
import { pvcFolder } from "./volumes.ts";

export { cleanupStaleSandboxes, readSandboxRecord, STATE_DIR } from "./state.ts";
export type { ImagePolicy, ImageRule } from "./images.ts";
export type { Attachment, NetworkInfo } from "./network.ts";
export { MAX_GRACE_SECONDS } from "./pod-worker.ts";

export interface RuntimeNodeOptions {
  name: string;
  labels?: Record<string, string>;
  controlPlane?: boolean;
}

export interface RuntimeOptions {
  store: ObjectStore;
  /** The sandbox folder; must be absolute. Left in place by stop(). */
  dir: string;
  sandboxId: string;
  nodes: RuntimeNodeOptions[];
  images: ImagePolicy;
  logger?: Logger;
}

export interface RuntimeNode {
  name: string;
  ip: string;
  rootDir: string;
  /** `ip netns` name of the node; hostNetwork pods run there. */
  netns: string;
  netnsPath: string;
  controlPlane: boolean;
  /** Static pod manifests (control-plane node only). */
  manifestsDir?: string;
}

export interface Runtime extends PodExecutor {
  readonly nodes: RuntimeNode[];
  readonly network: NetworkInfo;
  /** The pod's address once it has one (stable per namespace/name for the sandbox's life). */
  podIP(namespace: string, name: string): string | undefined;
  pvcPath(namespace: string, claim: string): string;
  /** Folder of a container's logs (`<restartCount>.log` per run), if the pod runs here. */
  logDir(namespace: string, pod: string, container: string): string | undefined;
  /**
   * A network namespace on the bridge for a sandbox helper that is neither node nor pod (the
   * SSH jump host): its address comes from the pod range and stays its own; stop() and the
   * clean-up of a killed sandbox remove it with the others.
   */
  attachHelper(name: string): Promise<Attachment>;
  /**
   * Writes down, before the caller makes it, a host link (named `esb<id>-...`) or route
   * (an `ip route` spec) made outside the runtime, so that stop() and the clean-up of a
   * killed sandbox remove it.
   */
  recordHostResource(kind: "links" | "routes", value: string): void;
  stop(): Promise<void>;
}

const STOP_GRACE_SECONDS = 1;

export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  validateOptions(options);
  const logger = options.logger ?? consoleLogger();
  await cleanupStaleSandboxes(logger);
  const previous = readSandboxRecord(options.sandboxId);
  if (previous && ownerIsAlive(previous)) {
    throw new Error(
      `sandbox id "${options.sandboxId}" is in use by running process ${previous.ownerPid} (${previous.dir}): pick another sandboxId or stop that sandbox first`,
    );
  }
  mkdirSync(options.dir, { recursive: true });
  const state = new SandboxState(options.sandboxId, options.dir);
  const runtime = new NodeRuntime(options, state, logger);
  try {
    await runtime.start();
  } catch (error) {
    await runtime.stop();
    throw error;
  }
  return runtime;
}

function validateOptions(options: RuntimeOptions): void {
  checkSandboxId(options.sandboxId);
  if (!options.dir.startsWith("/")) {
    throw new Error(
      `dir "${options.dir}" must be an absolute path: the pod views bind folders under it`,
    );
  }
  if (options.nodes.length === 0)
    throw new Error("nodes is empty: expected at least one node to run pods on");
  const names = new Set<string>();
  for (const node of options.nodes) {
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(node.name)) {
      throw new Error(
        `node name "${node.name}" is not a valid Kubernetes node name: expected lowercase letters, digits and '-'`,
      );
    }
    if (names.has(node.name))
      throw new Error(`node name "${node.name}" is given twice: expected unique node names`);
    names.add(node.name);
  }
}

class NodeRuntime implements Runtime {
  nodes: RuntimeNode[] = [];
  private networkHandle: SandboxNetwork | undefined;
  private readonly kubelets = new Map<string, Kubelet>();
  private readonly staticSources: StaticPodSource[] = [];
  private scheduler: Scheduler | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly options: RuntimeOptions,
    private readonly state: SandboxState,
    private readonly logger: Logger,
  ) {}

  get network(): NetworkInfo {
    if (!this.networkHandle) throw new Error("the sandbox network is not up");
    return this.networkHandle.info;
  }

  async start(): Promise<void> {
    const { store, dir } = this.options;
    const network = await SandboxNetwork.create(this.state);
    this.networkHandle = network;
    // Node namespaces come up together: each costs a couple of `ip` runs.
    const attachments = await Promise.all(
      this.options.nodes.map((_, index) => network.attach(network.nodeAddress(index))),
    );
    for (const [index, nodeOptions] of this.options.nodes.entries()) {
      const attachment = attachments[index] as Attachment;
      const ip = attachment.ip;
      const node = this.prepareNode(nodeOptions, ip, attachment);
      this.nodes.push(node);
      const registered = registerNode(store, {
        name: node.name,
        labels: nodeOptions.labels ?? {},
        controlPlane: node.controlPlane,
        ip,
      });
      const handle: NodeHandle = { name: node.name, ip, rootDir: node.rootDir, attachment };
      const kubelet = new Kubelet(this.workerContext(handle, network));
      this.kubelets.set(node.name, kubelet);
      kubelet.start();
      if (node.manifestsDir) {
        const source = new StaticPodSource(
          store,
          { name: node.name, uid: registered.metadata.uid ?? "" },
          node.manifestsDir,
          this.logger,
        );
        this.staticSources.push(source);
        source.start();
      }
    }
    const schedulerEvents = new EventRecorder(store, { component: "default-scheduler" });
    this.scheduler = new Scheduler(
      store,
      this.nodes.map((node) => node.name),
      schedulerEvents,
      this.logger,
    );
    this.scheduler.start();
    this.logger.debug(
      `sandbox ${this.options.sandboxId}: ${this.nodes.length} nodes on ${network.info.subnet} (${network.info.bridge}) under ${dir}`,
    );
  }

  podIP(namespace: string, name: string): string | undefined {
    const pod = this.options.store.get(POD_RESOURCE, namespace, name);
    const nodeName = pod && podSpec(pod).nodeName;
    if (pod && podSpec(pod).hostNetwork)
      return this.nodes.find((node) => node.name === nodeName)?.ip;
    return this.networkHandle?.knownPodAddress(namespace, name);
  }

  pvcPath(namespace: string, claim: string): string {
    return pvcFolder(this.options.dir, namespace, claim);
  }

  logDir(namespace: string, pod: string, container: string): string | undefined {
    for (const kubelet of this.kubelets.values()) {
      const worker = kubelet.worker(namespace, pod);
      if (worker) return worker.logPath(container);
    }
    return undefined;
  }

  async attachHelper(name: string): Promise<Attachment> {
    const network = this.networkHandle;
    if (!network) throw new Error(`cannot attach helper ${name}: the sandbox network is not up`);
    // Keyed by an empty namespace, which no pod has, so no pod is ever given this address.
    return network.attach(network.podAddress("", name, () => true));
  }

  recordHostResource(kind: "links" | "routes", value: string): void {
    const id = this.options.sandboxId;
    if (kind === "links" && !value.startsWith(`esb${id}-`)) {
      throw new Error(
        `link "${value}" does not carry sandbox id ${id}: expected a name starting with esb${id}- so a stale sandbox's clean-up can find it.`,
      );
    }
    this.state.add(kind, value);
  }

  async exec(request: ExecRequest, streams: ExecStreams): Promise<{ exitCode: number }> {
    const pod = this.options.store.require(POD_RESOURCE, request.namespace, request.pod);
    if (request.command.length === 0) {
      throw new StoreError("Invalid", "you must specify at least one command for the container");
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (phase === "Succeeded" || phase === "Failed") {
      throw new StoreError(
        "Invalid",
        `cannot exec into a container in a completed pod; current phase is ${phase}`,
      );
    }
    const nodeName = podSpec(pod).nodeName;
    if (!nodeName)
      throw new StoreError("Invalid", `pod ${request.pod} does not have a host assigned`);
    const worker = this.kubelets.get(nodeName)?.worker(request.namespace, request.pod);
    if (!worker || worker.uid !== pod.metadata.uid || worker.isTerminating) {
      const container = request.container || podSpec(pod).containers[0]?.name || "";
      throw new StoreError("Invalid", `container not found ("${container}")`);
    }
    return worker.exec(request, streams);
  }

  stop(): Promise<void> {
    this.stopping ??= this.tearDown();
    return this.stopping;
  }

  /**
   * Every step runs even when an earlier one failed, so one stubborn pod folder never leaves
   * namespaces behind; the state file goes only when nothing recorded is left on the host,
   * otherwise the next start cleans up what remains. The first failure is rethrown at the end.
   */
  private async tearDown(): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (step: () => unknown) => {
      try {
        await step();
      } catch (error) {
        failures.push(error);
      }
    };
    this.scheduler?.stop();
    for (const source of this.staticSources) source.stop();
    this.networkHandle?.beginClosing();
    await Promise.all(
      [...this.kubelets.values()].map((kubelet) => attempt(() => kubelet.stop(STOP_GRACE_SECONDS))),
    );
    // Anything else started in our namespaces (an sshd in a node, say) goes with them.
    for (const name of this.state.record.netns) {
      for (const pid of pidsInNetns(`/run/netns/${name}`)) signal(pid, "SIGKILL");
    }
    await attempt(() => this.networkHandle?.destroy());
    await attempt(() => removeSandboxResources(this.state.record));
    const left = await leftOnHost(this.state.record);
    if (left.length === 0) this.state.discard();
    else
      failures.push(
        new Error(
          `sandbox ${this.state.record.sandboxId}: could not remove ${left.join(", ")}; the next start cleans them up`,
        ),
      );
    if (failures.length > 0) {
      const first = failures[0];
      this.logger.warning(
        `sandbox ${this.state.record.sandboxId} teardown: ${failures.map((failure) => (failure instanceof Error ? failure.message : String(failure))).join("; ")}`,
      );
      throw first;
    }
  }

  private prepareNode(
    options: RuntimeNodeOptions,
    ip: string,
    attachment: Attachment,
  ): RuntimeNode {
    const rootDir = join(this.options.dir, "nodes", options.name);
    mkdirSync(rootDir, { recursive: true });
    const controlPlane = options.controlPlane ?? false;
    let manifestsDir: string | undefined;
    if (controlPlane) {
      manifestsDir = join(rootDir, "etc/kubernetes/manifests");
      // No etcd data folder: the etcd manifest's hostPath (DirectoryOrCreate) makes its own.
      for (const folder of ["etc/kubernetes/manifests", "etc/kubernetes/pki"]) {
        mkdirSync(join(rootDir, folder), { recursive: true });
      }
    }
    return {
      name: options.name,
      ip,
      rootDir,
      netns: attachment.netns,
      netnsPath: attachment.netnsPath,
      controlPlane,
      ...(manifestsDir ? { manifestsDir } : {}),
    };
  }

  private workerContext(node: NodeHandle, network: SandboxNetwork): WorkerContext {
    const { store } = this.options;
    return {
      store,
      sandboxDir: this.options.dir,
      node,
      images: this.options.images,
      logger: this.logger,
      recorder: new EventRecorder(store, { component: "kubelet", host: node.name }),
      state: this.state,
      network,
      podAddress: (namespace, name) =>
        network.podAddress(namespace, name, (key) => {
          const [ns, podName] = key.split("/") as [string, string];
          return store.get(POD_RESOURCE, ns, podName) !== undefined;
        }),
      hostsFile: (pod, podIP) => this.hostsFile(pod, podIP, network),
      networkReady: (namespace) => {
        for (const kubelet of this.kubelets.values()) {
          for (const worker of kubelet.workersIn(namespace)) worker.refreshHosts();
        }
      },
    };
  }

  /**
   * /etc/hosts as the kubelet writes it, plus what headless-service DNS would answer: every
   * pod of the namespace with spec.hostname and spec.subdomain, by its stable address.
   */
  private hostsFile(pod: KubeObject, podIP: string, network: SandboxNetwork): string {
    const spec = podSpec(pod);
    const namespace = pod.metadata.namespace ?? "default";
    const lines = [
      "# Kubernetes-managed hosts file.",
      "127.0.0.1\tlocalhost",
      "::1\tlocalhost ip6-localhost ip6-loopback",
      "fe00::0\tip6-localnet",
      "fe00::0\tip6-mcastprefix",
      "fe00::1\tip6-allnodes",
      "fe00::2\tip6-allrouters",
    ];
    if (spec.hostNetwork) {
      for (const node of this.nodes) lines.push(`${node.ip}\t${node.name}`);
      return `${lines.join("\n")}\n`;
    }
    if (spec.hostname && spec.subdomain) {
      lines.push(
        `${podIP}\t${spec.hostname}.${spec.subdomain}.${namespace}.svc.cluster.local\t${spec.hostname}`,
      );
    } else {
      lines.push(`${podIP}\t${pod.metadata.name}`);
    }
    lines.push("", "# Peers (what the headless services' DNS would answer in the sandbox)");
    for (const peer of this.options.store.list(POD_RESOURCE, namespace).items) {
      const peerSpec = podSpec(peer);
      if (!peerSpec.hostname || !peerSpec.subdomain || peerSpec.hostNetwork) continue;
      const address = network.podAddress(namespace, peer.metadata.name, () => true);
      const short = `${peerSpec.hostname}.${peerSpec.subdomain}`;
      lines.push(`${address}\t${short}.${namespace}.svc.cluster.local\t${short}`);
    }
    return `${lines.join("\n")}\n`;
  }
}

/** Network namespaces and links carrying the sandbox id, and its recorded routes, still on the host. */
async function leftOnHost(record: SandboxRecord): Promise<string[]> {
  const { sandboxId } = record;
  const { stdout: namespaces } = await runCommand("ip", ["netns", "list"], { allowFailure: true });
  const { stdout: links } = await runCommand("ip", ["-o", "link", "show"], { allowFailure: true });
  const left = namespaces
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((name) => name.startsWith(`esb-${sandboxId}-`));
  for (const match of links.matchAll(/^\d+: (esb[a-z0-9]+-[a-z0-9]+)[@:]/gm)) {
    if (match[1]?.startsWith(`esb${sandboxId}-`)) left.push(match[1]);
  }
  for (const route of record.routes ?? []) {
    // "unreachable 10.213.7.2/32 metric 213": ask for that destination and metric only.
    const [type, destination, ...rest] = route.split(" ");
    const { stdout } = await runCommand(
      "ip",
      ["route", "show", "type", type ?? "", destination ?? "", ...rest],
      { allowFailure: true },
    );
    if (stdout.trim() !== "") left.push(`route ${route}`);
  }
  return left;
}
