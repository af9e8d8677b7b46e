/**
 * Waiting for the sandbox to be usable: every expected pod Ready (as `kubectl get pods`
 * shows it), then every etcd member answering `etcdctl endpoint health` with the runbook's
 * own flags, exec'd in the member's pod. A time-out names what is still not there.
 */
import { PassThrough } from "node:stream";
import type { Logger } from "../../../src/core/log/logger.ts";
import type { PodExecutor } from "../exec.ts";
import type { KubeObject, ObjectStore } from "../store.ts";
import { KUBE_SYSTEM } from "./admin-control-plane.ts";
import { isPodReady } from "./controllers/selectors.ts";
import { ADMIN_MASTER, type UserClusterSpec } from "./topology.ts";
import { ETCDCTL_TLS_FLAGS } from "./user-cluster.ts";

export interface WaitOptions {
  store: ObjectStore;
  executor: PodExecutor;
  userClusters: UserClusterSpec[];
  logger: Logger;
  timeoutMs?: number;
}

const POLL_MS = 200;

export const ADMIN_ETCDCTL_TLS_FLAGS = [
  "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
  "--cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt",
  "--key=/etc/kubernetes/pki/etcd/healthcheck-client.key",
].join(" ");

export async function waitForCluster(options: WaitOptions): Promise<void> {
  // Generous: a machine busy with other work can make start-up several times slower.
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  await waitUntil(deadline, () => notReadyYet(options), "pods not Ready");
  await waitUntil(deadline, () => unhealthyMembers(options), "etcd members not healthy");
}

async function waitUntil(
  deadline: number,
  missing: () => string[] | Promise<string[]>,
  what: string,
): Promise<void> {
  for (;;) {
    const left = await missing();
    if (left.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(`the sandbox did not come up in time: ${what}: ${left.join("; ")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** The pods the sandbox must have, by namespace and name prefix, and how many of each. */
function notReadyYet({ store, userClusters }: WaitOptions): string[] {
  const expectations: Array<{ namespace: string; prefix: string; count: number }> = [
    { namespace: KUBE_SYSTEM, prefix: `etcd-${ADMIN_MASTER}`, count: 1 },
    { namespace: KUBE_SYSTEM, prefix: `kube-apiserver-${ADMIN_MASTER}`, count: 1 },
  ];
  for (const cluster of userClusters) {
    expectations.push(
      { namespace: cluster.name, prefix: "kube-etcd-", count: cluster.members },
      { namespace: cluster.name, prefix: "kube-apiserver-", count: cluster.members >= 3 ? 3 : 1 },
      { namespace: cluster.name, prefix: "gke-master-etcd-maintenance-", count: 1 },
    );
  }
  const missing: string[] = [];
  for (const { namespace, prefix, count } of expectations) {
    const pods = store
      .list("pods", namespace)
      .items.filter((pod) => pod.metadata.name.startsWith(prefix));
    const ready = pods.filter(isPodReady);
    if (ready.length < count) {
      const detail = pods.filter((pod) => !isPodReady(pod)).map(describePod);
      missing.push(
        `${namespace}/${prefix}*: ${ready.length} of ${count} Ready${detail.length ? ` (${detail.join(", ")})` : ""}`,
      );
    }
  }
  return missing;
}

function describePod(pod: KubeObject): string {
  const status = pod.status as
    | {
        phase?: string;
        containerStatuses?: Array<{ state?: { waiting?: { reason?: string } } }>;
      }
    | undefined;
  const waiting = status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting?.reason;
  return `${pod.metadata.name} ${waiting ?? status?.phase ?? "Pending"}`;
}

async function unhealthyMembers(options: WaitOptions): Promise<string[]> {
  const checks: Array<Promise<string | undefined>> = [];
  for (const cluster of options.userClusters) {
    for (let memberNumber = 0; memberNumber < cluster.members; memberNumber++) {
      checks.push(
        checkHealth(
          options.executor,
          cluster.name,
          `kube-etcd-${memberNumber}`,
          "kube-etcd",
          ETCDCTL_TLS_FLAGS,
        ),
      );
    }
  }
  checks.push(
    checkHealth(
      options.executor,
      KUBE_SYSTEM,
      `etcd-${ADMIN_MASTER}`,
      "etcd",
      ADMIN_ETCDCTL_TLS_FLAGS,
    ),
  );
  return (await Promise.all(checks)).filter((problem): problem is string => Boolean(problem));
}

/** Runs the runbook's health check in the member's pod; undefined when healthy. */
async function checkHealth(
  executor: PodExecutor,
  namespace: string,
  pod: string,
  container: string,
  tlsFlags: string,
): Promise<string | undefined> {
  const output = new PassThrough();
  const chunks: Buffer[] = [];
  output.on("data", (chunk: Buffer) => chunks.push(chunk));
  try {
    const { exitCode } = await executor.exec(
      {
        namespace,
        pod,
        container,
        command: [
          "/bin/sh",
          "-c",
          `ETCDCTL_API=3 etcdctl --endpoints=https://127.0.0.1:2379 ${tlsFlags} --command-timeout=3s endpoint health`,
        ],
        tty: false,
      },
      { stdin: null, stdout: output, stderr: output },
    );
    if (exitCode === 0) return undefined;
    return `${namespace}/${pod}: ${Buffer.concat(chunks).toString("utf8").trim().split("\n").at(-1)}`;
  } catch (error) {
    return `${namespace}/${pod}: ${(error as Error).message}`;
  }
}
