/**
 * One container of a running pod: its process (in the pod's view), its state as the kubelet
 * reports it (waiting / running / terminated, lastState, restartCount), readiness from an
 * exec probe, and restarts with exponential back-off (1 s doubling, capped at 10 s at
 * sandbox scale) during which it shows CrashLoopBackOff.
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { constants } from "node:os";
import { dirname } from "node:path";

import type { ImageRule } from "./images.ts";
import { imageIdFor } from "./images.ts";
import type { Container } from "./pod-spec.ts";
import { timestamp } from "./pod-spec.ts";
import { killGroup, terminateGroupMembers } from "./processes.ts";

const FIRST_BACK_OFF_MS = 1_000;
const MAX_BACK_OFF_MS = 10_000;
/** A container that ran this long before exiting starts its back-off from the beginning again. */
const BACK_OFF_RESET_MS = 20_000;
const IMAGE_PULL_BACK_OFF_DELAY_MS = 1_000;
const PROBE_PERIOD_CAP_SECONDS = 5;

export interface TerminatedState {
  exitCode: number;
  signal?: number;
  reason: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: TerminatedState };

export interface ContainerStatus {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  started: boolean;
  ready: boolean;
  restartCount: number;
  state: ContainerState;
  lastState: { terminated?: TerminatedState };
}

/** What a container needs from the pod it belongs to. */
export interface ContainerHost {
  readonly podDescription: string;
  readonly restartPolicy: "Always" | "OnFailure" | "Never";
  /** The spawn argv running argv in the pod's view, with this container's mounts and env. */
  podCommand(container: Container, argv: string[]): string[];
  /** The argv the container's main process runs (command/args expanded). */
  mainArgv(container: Container, rule: ImageRule): string[] | undefined;
  logPath(container: Container, restartCount: number): string;
  runProbe(container: Container, command: string[], timeoutMs: number): Promise<number>;
  trackProcessGroup(pgid: number): void;
  untrackProcessGroup(pgid: number): void;
  changed(): void;
  event(type: "Normal" | "Warning", reason: string, message: string): void;
}

export class ContainerRunner {
  private state: ContainerState = { waiting: { reason: "ContainerCreating" } };
  private lastTerminated: TerminatedState | undefined;
  private restartCount = 0;
  private consecutiveBackOffs = 0;
  private containerID: string | undefined;
  private ready = false;
  private started = false;
  private process: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private readonly imageID: string;

  constructor(
    readonly spec: Container,
    private readonly rule: ImageRule | undefined,
    private readonly host: ContainerHost,
  ) {
    this.imageID = imageIdFor(spec.image, randomBytes(32).toString("hex"));
  }

  get name(): string {
    return this.spec.name;
  }

  start(): void {
    if (!this.rule) {
      this.imagePullFailed();
      return;
    }
    this.launch();
  }

  /** The host pid of bwrap's monitor for the running container, if it runs. */
  get bwrapPid(): number | undefined {
    return this.process?.pid;
  }

  /** A running main process, for "pod is not running" decisions. */
  isRunning(): boolean {
    return "running" in this.state;
  }

  status(): ContainerStatus {
    const pulled = this.rule !== undefined && this.containerID !== undefined;
    return {
      name: this.spec.name,
      image: this.spec.image,
      imageID: pulled ? this.imageID : "",
      ...(this.containerID ? { containerID: this.containerID } : {}),
      started: this.started,
      ready: this.ready,
      restartCount: this.restartCount,
      state: structuredClone(this.state),
      lastState: this.lastTerminated ? { terminated: { ...this.lastTerminated } } : {},
    };
  }

  /** Graceful stop: SIGTERM to the container's processes, SIGKILL after graceMs. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    clearTimeout(this.probeTimer);
    const child = this.process;
    if (!child?.pid || !this.exited) return;
    const pgid = child.pid;
    terminateGroupMembers(pgid);
    const graceOver = new Promise<"late">((resolve) => setTimeout(() => resolve("late"), graceMs));
    if ((await Promise.race([this.exited, graceOver])) === "late") killGroup(pgid);
    await this.exited;
    // A process that left the group (setsid) still dies with bwrap's pid namespace.
    killGroup(pgid);
  }

  private imagePullFailed(): void {
    const image = this.spec.image;
    const message = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": the sandbox image policy allows no image of that name`;
    this.state = { waiting: { reason: "ErrImagePull", message } };
    this.host.event("Warning", "Failed", `Failed to pull image "${image}": ${message}`);
    this.host.changed();
    this.timer = setTimeout(() => {
      this.state = {
        waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` },
      };
      this.host.event("Normal", "BackOff", `Back-off pulling image "${image}"`);
      this.host.changed();
    }, IMAGE_PULL_BACK_OFF_DELAY_MS);
  }

  private launch(): void {
    if (this.stopping || !this.rule) return;
    let argv: string[] | undefined;
    let spawnArgv: string[];
    try {
      argv = this.host.mainArgv(this.spec, this.rule);
      if (!argv || argv.length === 0) {
        throw new Error(
          `container "${this.spec.name}": neither the pod nor image rule "${this.rule.pattern}" gives a command to run`,
        );
      }
      spawnArgv = this.host.podCommand(this.spec, argv);
    } catch (error) {
      // A spec the sandbox cannot run (no command, an unknown volume, an unsupported
      // fieldRef) waits as a real kubelet's CreateContainerConfigError does.
      const message = error instanceof Error ? error.message : String(error);
      this.state = { waiting: { reason: "CreateContainerConfigError", message } };
      this.host.event("Warning", "Failed", `Error: ${message}`);
      this.host.changed();
      return;
    }
    const containerID = `containerd://${randomBytes(32).toString("hex")}`;
    const logPath = this.host.logPath(this.spec, this.restartCount);
    mkdirSync(dirname(logPath), { recursive: true });
    const log = openSync(logPath, "a");
    const [command, ...args] = spawnArgv as [string, ...string[]];
    const child = spawn(command, args, { detached: true, stdio: ["ignore", log, log] });
    closeSync(log);
    const startedAt = timestamp();
    const startedMs = Date.now();
    this.process = child;
    this.containerID = containerID;
    this.state = { running: { startedAt } };
    this.started = true;
    this.ready = !this.spec.readinessProbe?.exec;
    if (child.pid) this.host.trackProcessGroup(child.pid);
    this.exited = new Promise((resolve) => {
      child.once("error", (error) => {
        this.host.event("Warning", "Failed", `Error: ${error.message}`);
        this.onExit(child, { code: 128, signal: null }, startedAt, startedMs, containerID);
        resolve();
      });
      child.once("exit", (code, signal) => {
        this.onExit(child, { code, signal }, startedAt, startedMs, containerID);
        resolve();
      });
    });
    // What `kubectl describe pod` lists for every (re)start on a real node.
    this.host.event(
      "Normal",
      "Pulled",
      `Container image "${this.spec.image}" already present on machine`,
    );
    this.host.event("Normal", "Created", `Created container ${this.spec.name}`);
    this.host.event("Normal", "Started", `Started container ${this.spec.name}`);
    this.host.changed();
    this.scheduleProbe(this.spec.readinessProbe?.initialDelaySeconds ?? 0, 0);
  }

  private onExit(
    child: ChildProcess,
    result: { code: number | null; signal: NodeJS.Signals | null },
    startedAt: string,
    startedMs: number,
    containerID: string,
  ): void {
    if (this.process !== child) return;
    if (child.pid) this.host.untrackProcessGroup(child.pid);
    this.process = undefined;
    clearTimeout(this.probeTimer);
    const exitCode = result.code ?? 128 + signalNumber(result.signal);
    const terminated: TerminatedState = {
      exitCode,
      reason: exitCode === 0 ? "Completed" : "Error",
      startedAt,
      finishedAt: timestamp(),
      containerID,
    };
    this.ready = false;
    this.started = false;
    if (this.stopping || !this.restarts(exitCode)) {
      this.state = { terminated };
      this.host.changed();
      return;
    }
    if (Date.now() - startedMs > BACK_OFF_RESET_MS) this.consecutiveBackOffs = 0;
    const delay = Math.min(FIRST_BACK_OFF_MS * 2 ** this.consecutiveBackOffs, MAX_BACK_OFF_MS);
    this.consecutiveBackOffs++;
    this.lastTerminated = terminated;
    this.state = {
      waiting: {
        reason: "CrashLoopBackOff",
        message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.spec.name} pod=${this.host.podDescription}`,
      },
    };
    this.host.event(
      "Warning",
      "BackOff",
      `Back-off restarting failed container ${this.spec.name} in pod ${this.host.podDescription}`,
    );
    this.host.changed();
    this.timer = setTimeout(() => {
      this.restartCount++;
      this.launch();
    }, delay);
  }

  private restarts(exitCode: number): boolean {
    const policy = this.host.restartPolicy;
    return policy === "Always" || (policy === "OnFailure" && exitCode !== 0);
  }

  /** Readiness from `readinessProbe.exec`, run in the pod's view while the container runs. */
  private scheduleProbe(delaySeconds: number, failures: number): void {
    const probe = this.spec.readinessProbe;
    if (!probe?.exec || this.stopping) return;
    const child = this.process;
    this.probeTimer = setTimeout(async () => {
      if (this.process !== child || this.stopping) return;
      const timeoutMs = Math.min(probe.timeoutSeconds ?? 1, 10) * 1000;
      const exitCode = await this.host.runProbe(this.spec, probe.exec?.command ?? [], timeoutMs);
      if (this.process !== child || this.stopping) return;
      const passed = exitCode === 0;
      const failuresNow = passed ? 0 : failures + 1;
      const readyNow = passed || (this.ready && failuresNow < (probe.failureThreshold ?? 3));
      if (readyNow !== this.ready) {
        this.ready = readyNow;
        this.host.changed();
      }
      // Until first ready, probe every second so pods come up fast; then at the pod's period.
      const period = this.ready ? Math.min(probe.periodSeconds ?? 10, PROBE_PERIOD_CAP_SECONDS) : 1;
      this.scheduleProbe(period, failuresNow);
    }, delaySeconds * 1000);
  }
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal ? (constants.signals[signal] ?? 0) : 0;
}
