/**
 * Shared set-up for the runtime tests: a real ObjectStore, a runtime on a temporary folder
 * with its own sandbox id, pods created in the store as the API server would, and waiting on
 * what a user would watch for (a pod's phase, a container's state).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";

import { recordingLogger } from "../../src/core/log/logger.ts";
import type { KubeObject } from "../sandbox/store.ts";
import { ObjectStore } from "../sandbox/store.ts";
import type { Runtime, RuntimeNodeOptions } from "../sandbox/runtime/index.ts";
import { startRuntime } from "../sandbox/runtime/index.ts";

export const ETCD_IMAGE = "gcr.io/gke-on-prem-release/etcd:v3.4.13-gke.0";
export const UTIL_IMAGE = "gcr.io/gke-on-prem-release/etcd-util:1.32.0-gke.1";

export const TEST_IMAGES = [
  { pattern: "gcr.io/gke-on-prem-release/etcd:*", command: ["etcd"] },
  { pattern: "gcr.io/gke-on-prem-release/etcd-util:*" },
];

export const DEFAULT_NODES: RuntimeNodeOptions[] = [
  { name: "admin-master", controlPlane: true },
  { name: "admin-node-0" },
  { name: "admin-node-1" },
];

export interface Fixture {
  store: ObjectStore;
  runtime: Runtime;
  dir: string;
  sandboxId: string;
  logger: ReturnType<typeof recordingLogger>;
}

export function newSandboxId(): string {
  return `t${randomBytes(3).toString("hex")}`;
}

export async function startFixture(nodes = DEFAULT_NODES): Promise<Fixture> {
  const store = new ObjectStore();
  const dir = mkdtempSync(join(tmpdir(), "runtime-test-"));
  const sandboxId = newSandboxId();
  const logger = recordingLogger();
  const runtime = await startRuntime({ store, dir, sandboxId, nodes, images: TEST_IMAGES, logger });
  return { store, runtime, dir, sandboxId, logger };
}

export function pod(
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): KubeObject {
  return { apiVersion: "v1", kind: "Pod", metadata: { name, namespace, ...metadata }, spec };
}

export function sleeper(name = "main", image = UTIL_IMAGE): Record<string, unknown> {
  return {
    name,
    image,
    command: ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do sleep 0.2; done"],
  };
}

export async function waitFor<T>(
  description: string,
  probe: () => T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface PodStatusView {
  phase?: string;
  podIP?: string;
  hostIP?: string;
  conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  containerStatuses?: Array<{
    name: string;
    ready: boolean;
    started: boolean;
    restartCount: number;
    state: Record<string, { reason?: string; exitCode?: number }>;
    lastState: { terminated?: { exitCode: number; reason: string } };
    containerID?: string;
    imageID: string;
  }>;
}

export function statusOf(
  store: ObjectStore,
  namespace: string,
  name: string,
): PodStatusView | undefined {
  return store.get("pods", namespace, name)?.status as PodStatusView | undefined;
}

export function waitForReady(
  store: ObjectStore,
  namespace: string,
  name: string,
  timeoutMs = 20_000,
) {
  return waitFor(
    `pod ${namespace}/${name} to be Running and Ready`,
    () => {
      const status = statusOf(store, namespace, name);
      const ready =
        status?.conditions?.find((condition) => condition.type === "Ready")?.status === "True";
      return status?.phase === "Running" && ready && status;
    },
    timeoutMs,
  );
}

/** Runs a command in a pod and collects its output. */
export async function execIn(
  runtime: Runtime,
  namespace: string,
  podName: string,
  command: string[],
  options: { stdin?: Buffer | string; container?: string } = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (chunk: Buffer) => out.push(chunk));
  stderr.on("data", (chunk: Buffer) => err.push(chunk));
  const stdin = options.stdin === undefined ? null : Readable.from([Buffer.from(options.stdin)]);
  const { exitCode } = await runtime.exec(
    { namespace, pod: podName, container: options.container ?? "", command, tty: false },
    { stdin, stdout, stderr },
  );
  return { exitCode, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}
