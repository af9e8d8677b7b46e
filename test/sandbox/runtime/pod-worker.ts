/**
 * One pod on one node, from binding to deletion, as a kubelet runs it: network namespace (or
 * the node's, for hostNetwork), pod root and volumes, a ContainerRunner per container, the
 * status written after every change, exec in the pod's view, and graceful termination that
 * removes everything but the PVC folders.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";

import type { Logger } from "../../../src/core/log/logger.ts";
import type { ExecRequest, ExecStreams } from "../exec.ts";
import type { KubeObject, ObjectStore } from "../store.ts";
import { StoreError } from "../store.ts";
import type { ContainerHost } from "./container.ts";
import { ContainerRunner } from "./container.ts";
import { containerArgv, containerEnvironment } from "./env.ts";
import type { EventRecorder } from "./events.ts";
import type { ImagePolicy, ImageRule } from "./images.ts";
import { findImageRule } from "./images.ts";
import type { Attachment, SandboxNetwork } from "./network.ts";
import type { Container, PodSpec } from "./pod-spec.ts";
import { POD_RESOURCE, podSpec, timestamp } from "./pod-spec.ts";
import { podStatus } from "./pod-status.ts";
import type { PodView } from "./pod-view.ts";
import {
  containerMounts,
  enterContainerCommand,
  podCommand,
  preparePodRoot,
  writeHostsFile,
} from "./pod-view.ts";
import { containerMainProcess, killGroup, sleep } from "./processes.ts";
import type { SandboxState } from "./state.ts";
import { materialiseVolumes, unmountMemoryVolumes, VolumeNotReady } from "./volumes.ts";

/** The sandbox caps grace periods: nothing here needs 30 s to shut down. */
export const MAX_GRACE_SECONDS = 3;
const VOLUME_RETRY_MS = 1_000;

export interface NodeHandle {
  name: string;
  ip: string;
  rootDir: string;
  attachment: Attachment;
}

/** What a pod worker needs from its kubelet and the runtime. */
export interface WorkerContext {
  store: ObjectStore;
  sandboxDir: string;
  node: NodeHandle;
  images: ImagePolicy;
  logger: Logger;
  recorder: EventRecorder;
  state: SandboxState;
  network: SandboxNetwork;
  podAddress(namespace: string, name: string): string;
  hostsFile(pod: KubeObject, podIP: string): string;
  /** A pod of the namespace got its address: peers' /etc/hosts may need it. */
  networkReady(namespace: string): void;
}

export class PodWorker {
  readonly uid: string;
  readonly namespace: string;
  readonly name: string;
  private readonly spec: PodSpec;
  private readonly podDir: string;
  private readonly rootDir: string;
  private readonly hostname: string;
  private readonly containers: ContainerRunner[];
  private readonly execGroups = new Set<number>();
  private attachment: Attachment | undefined;
  private podIP: string | undefined;
  private volumes = new Map<string, string>();
  private sandboxReady = false;
  private readonly startTime = timestamp();
  private stopped = false;
  private termination: Promise<void> | undefined;
  private starting: Promise<void> | undefined;

  constructor(
    private pod: KubeObject,
    private readonly context: WorkerContext,
  ) {
    this.uid = pod.metadata.uid ?? "";
    this.namespace = pod.metadata.namespace ?? "default";
    this.name = pod.metadata.name;
    this.spec = podSpec(pod);
    this.podDir = join(context.sandboxDir, "pods", `${this.namespace}_${this.name}_${this.uid}`);
    this.rootDir = join(this.podDir, "root");
    this.hostname = this.spec.hostNetwork
      ? context.node.name
      : (this.spec.hostname ?? this.name).slice(0, 63);
    const host = this.containerHost();
    this.containers = this.spec.containers.map(
      (container) =>
        new ContainerRunner(container, findImageRule(context.images, container.image), host),
    );
  }

  get isTerminating(): boolean {
    return this.termination !== undefined;
  }

  /** Sets the pod up and starts its containers; a termination waits for this to settle. */
  start(): Promise<void> {
    this.starting ??= this.setUp();
    return this.starting;
  }

  private async setUp(): Promise<void> {
    if (this.stopped) return;
    this.syncStatus();
    try {
      await this.createSandbox();
      if (!(await this.mountVolumes())) return;
      if (this.stopped) return;
      for (const container of this.containers) container.start();
    } catch (error) {
      if (this.stopped) return;
      const message = error instanceof Error ? error.message : String(error);
      this.context.logger.error(`pod ${this.namespace}/${this.name}: ${message}`);
      this.event("Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${message}`);
    }
  }

  /** Rewrites /etc/hosts with the namespace's current peers. */
  refreshHosts(): void {
    if (!this.sandboxReady || this.stopped || !this.podIP) return;
    writeHostsFile(this.rootDir, this.context.hostsFile(this.pod, this.podIP));
  }

  /**
   * Stops the containers (SIGTERM, SIGKILL after the capped grace period), ends any exec,
   * removes the network namespace and the pod folder, then (deleteObject) the Pod object.
   */
  terminate(graceSeconds: number, deleteObject: boolean): Promise<void> {
    this.termination ??= this.tearDown(graceSeconds, deleteObject);
    return this.termination;
  }

  async exec(request: ExecRequest, streams: ExecStreams): Promise<{ exitCode: number }> {
    const runner = this.containerFor(request.container);
    if (!runner.isRunning() || this.stopped) {
      throw new StoreError("Invalid", `container not found ("${runner.name}")`, {
        name: this.name,
        resource: POD_RESOURCE,
      });
    }
    const argv = await this.execCommand(runner, request.command);
    if (this.stopped) {
      throw new StoreError("Invalid", `container not found ("${runner.name}")`, {
        name: this.name,
        resource: POD_RESOURCE,
      });
    }
    const [command, ...args] = argv as [string, ...string[]];
    // With a terminal, kubectl asks for no stderr: a terminal shows both on one screen, so
    // the command's stderr joins stdout rather than being lost.
    const stderrTarget = streams.stderr ?? (request.tty ? streams.stdout : null);
    const child = spawn(command, args, {
      detached: true,
      stdio: [
        streams.stdin ? "pipe" : "ignore",
        streams.stdout ? "pipe" : "ignore",
        stderrTarget ? "pipe" : "ignore",
      ],
    });
    const pgid = child.pid;
    if (pgid) this.trackExec(pgid);
    if (streams.stdin && child.stdin) {
      child.stdin.on("error", () => {
        // The command exited before reading all of stdin, as `head` does: not an exec failure.
      });
      streams.stdin.pipe(child.stdin);
    }
    // pipe() pauses the command's output while the consumer is full: constant memory.
    if (streams.stdout && child.stdout) child.stdout.pipe(streams.stdout, { end: false });
    if (stderrTarget && child.stderr) child.stderr.pipe(stderrTarget, { end: false });
    // A consumer that goes away (the client hung up) ends the command: nobody reads its output.
    const consumerGone = () => {
      if (pgid && child.exitCode === null && child.signalCode === null) killGroup(pgid);
    };
    for (const stream of [streams.stdout, streams.stderr]) {
      stream?.once("close", consumerGone);
      stream?.once("error", consumerGone);
    }
    return new Promise((resolve, reject) => {
      child.once("error", (error) => {
        if (pgid) this.untrackExec(pgid);
        reject(error);
      });
      child.once("close", (code, signal) => {
        for (const stream of [streams.stdout, streams.stderr]) {
          stream?.off("close", consumerGone);
          stream?.off("error", consumerGone);
        }
        if (streams.stdin && child.stdin) streams.stdin.unpipe(child.stdin);
        if (pgid) {
          killGroup(pgid);
          this.untrackExec(pgid);
        }
        resolve({ exitCode: code ?? 128 + signalNumber(signal) });
      });
    });
  }

  /**
   * Enters the running container's namespaces, as kubectl exec does; if its main process
   * cannot be found (it is just starting or just gone), a fresh view with the same binds.
   */
  private async execCommand(runner: ContainerRunner, command: string[]): Promise<string[]> {
    const bwrapPid = runner.bwrapPid;
    const mainPid = bwrapPid === undefined ? undefined : await containerMainProcess(bwrapPid);
    if (mainPid === undefined) return this.podCommand(runner.spec, command);
    return enterContainerCommand(mainPid, this.environment(runner.spec), command);
  }

  containerFor(name: string): ContainerRunner {
    const runner = name
      ? this.containers.find((container) => container.name === name)
      : this.containers[0];
    if (!runner) {
      throw new StoreError("Invalid", `container ${name} is not valid for pod ${this.name}`, {
        name: this.name,
        resource: POD_RESOURCE,
      });
    }
    return runner;
  }

  logPath(containerName: string): string {
    return join(
      this.context.sandboxDir,
      "logs",
      `${this.namespace}_${this.name}_${this.uid}`,
      containerName,
    );
  }

  private async createSandbox(): Promise<void> {
    if (this.spec.hostNetwork) {
      this.podIP = this.context.node.ip;
    } else {
      this.podIP = this.context.podAddress(this.namespace, this.name);
      this.attachment = await this.context.network.attach(this.podIP);
    }
    if (this.stopped) return;
    preparePodRoot(this.rootDir, this.hostname);
    this.sandboxReady = true;
    this.refreshHosts();
    this.context.networkReady(this.namespace);
    this.syncStatus();
  }

  /** Retries until every volume can be set up (a Secret or PVC may come later). */
  private async mountVolumes(): Promise<boolean> {
    let lastProblem = "";
    while (!this.stopped) {
      try {
        this.volumes = materialiseVolumes(this.spec.volumes ?? [], {
          store: this.context.store,
          namespace: this.namespace,
          sandboxDir: this.context.sandboxDir,
          nodeRoot: this.context.node.rootDir,
          podDir: this.podDir,
        });
        return true;
      } catch (error) {
        if (!(error instanceof VolumeNotReady)) throw error;
        if (error.message !== lastProblem) this.event("Warning", "FailedMount", error.message);
        lastProblem = error.message;
        await sleep(VOLUME_RETRY_MS);
      }
    }
    return false;
  }

  private async tearDown(graceSeconds: number, deleteObject: boolean): Promise<void> {
    this.stopped = true;
    // A set-up still in flight (a namespace being created) must finish before it is undone.
    await this.starting;
    const graceMs = Math.max(0, Math.min(graceSeconds, MAX_GRACE_SECONDS)) * 1000;
    if (this.containers.some((container) => container.isRunning())) {
      this.event(
        "Normal",
        "Killing",
        `Stopping container ${this.containers.map((c) => c.name).join(", ")}`,
      );
    }
    await Promise.all(this.containers.map((container) => container.stop(graceMs)));
    for (const pgid of this.execGroups) killGroup(pgid);
    if (this.attachment) await this.context.network.detach(this.attachment);
    try {
      unmountMemoryVolumes(this.podDir);
      rmSync(this.podDir, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      // A leftover folder under the sandbox dir harms nobody: the pod still goes away.
      this.context.logger.warning(
        `pod ${this.namespace}/${this.name}: could not remove ${this.podDir}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (deleteObject) this.deleteObject();
  }

  private deleteObject(): void {
    const current = this.context.store.get(POD_RESOURCE, this.namespace, this.name);
    if (current?.metadata.uid === this.uid)
      this.context.store.delete(POD_RESOURCE, this.namespace, this.name);
  }

  /** Writes the status a kubelet would, into this pod's object only (not a successor's). */
  private syncStatus(): void {
    if (this.stopped) return;
    const statusOf = (previous: KubeObject) =>
      podStatus({
        previous: previous.status as { conditions?: [] } | undefined,
        sandboxReady: this.sandboxReady,
        hostIP: this.context.node.ip,
        podIP: this.sandboxReady ? this.podIP : undefined,
        startTime: this.startTime,
        containers: this.containers.map((container) => container.status()),
        restartPolicy: this.spec.restartPolicy ?? "Always",
      });
    try {
      const current = this.context.store.get(POD_RESOURCE, this.namespace, this.name);
      if (current?.metadata.uid !== this.uid) return;
      this.pod = this.context.store.mutate(POD_RESOURCE, this.namespace, this.name, (pod) => {
        pod.status = statusOf(pod);
      });
    } catch (error) {
      if (!(error instanceof StoreError && error.reason === "NotFound")) throw error;
    }
  }

  private containerHost(): ContainerHost {
    return {
      podDescription: `${this.name}_${this.namespace}(${this.uid})`,
      restartPolicy: this.spec.restartPolicy ?? "Always",
      podCommand: (container, argv) => this.podCommand(container, argv),
      mainArgv: (container, rule: ImageRule) =>
        containerArgv(container, rule.command, this.environment(container)),
      logPath: (container, restartCount) =>
        join(this.logPath(container.name), `${restartCount}.log`),
      runProbe: (container, command, timeoutMs) => this.runProbe(container, command, timeoutMs),
      trackProcessGroup: (pgid) => this.context.state.add("processGroups", pgid),
      untrackProcessGroup: (pgid) => this.context.state.remove("processGroups", pgid),
      changed: () => this.syncStatus(),
      event: (type, reason, message) => this.event(type, reason, message),
    };
  }

  private podCommand(container: Container, argv: string[]): string[] {
    const view: PodView = {
      rootDir: this.rootDir,
      hostname: this.hostname,
      mounts: containerMounts(container.volumeMounts ?? [], this.volumes, this.name),
      environment: this.environment(container),
      netnsPath: this.attachment?.netnsPath ?? this.context.node.attachment.netnsPath,
      ...(container.workingDir ? { workingDir: container.workingDir } : {}),
    };
    const binaries = findImageRule(this.context.images, container.image)?.binaries;
    return podCommand(binaries ? { ...view, binaries } : view, argv);
  }

  private environment(container: Container): Record<string, string> {
    return containerEnvironment(
      container,
      {
        name: this.name,
        namespace: this.namespace,
        uid: this.uid,
        podIP: this.podIP ?? "",
        hostIP: this.context.node.ip,
        nodeName: this.context.node.name,
      },
      this.hostname,
    );
  }

  /** A readiness probe: the command in the pod's view; a time-out counts as a failure. */
  private async runProbe(
    container: Container,
    command: string[],
    timeoutMs: number,
  ): Promise<number> {
    const runner = this.containers.find((candidate) => candidate.spec === container);
    if (this.stopped || !runner) return 1;
    // Inside the container, as the kubelet's exec probe runs.
    const [program, ...args] = (await this.execCommand(runner, command)) as [string, ...string[]];
    if (this.stopped) return 1;
    const child = spawn(program, args, { detached: true, stdio: "ignore" });
    const pgid = child.pid;
    // Probes live in the pod's namespace, which stale clean-up empties anyway: they are
    // not written to the state file, once a second per pod.
    if (pgid) this.execGroups.add(pgid);
    return new Promise((resolve) => {
      const timer = setTimeout(() => pgid && killGroup(pgid), timeoutMs);
      const done = (exitCode: number) => {
        clearTimeout(timer);
        if (pgid) this.execGroups.delete(pgid);
        resolve(exitCode);
      };
      child.once("error", () => done(1));
      child.once("exit", (code) => done(code ?? 1));
    });
  }

  private trackExec(pgid: number): void {
    this.execGroups.add(pgid);
    this.context.state.add("processGroups", pgid);
  }

  private untrackExec(pgid: number): void {
    this.execGroups.delete(pgid);
    this.context.state.remove("processGroups", pgid);
  }

  private event(type: "Normal" | "Warning", reason: string, message: string): void {
    const pod = this.context.store.get(POD_RESOURCE, this.namespace, this.name);
    if (pod?.metadata.uid === this.uid) this.context.recorder.record(pod, type, reason, message);
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
