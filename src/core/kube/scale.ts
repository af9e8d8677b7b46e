/**
 * Scaling a StatefulSet or Deployment through its `scale` subresource (what `kubectl scale`
 * does) and waiting until it has really happened: scaled to 0, every pod is gone (not just
 * Terminating: its processes hold the etcd data); scaled up, exactly that many pods are
 * Ready. Restores stop kube-etcd and kube-apiserver this way and put them back afterwards,
 * so the count it scaled from is returned for the journal.
 */
import type { KubeConfig, V1Node, V1Pod, V1Scale } from "@kubernetes/client-node";
import { AppsV1Api, CoreV1Api } from "../kube-client.ts";
import { ConfigurationError } from "../errors.ts";
import { describeApiError } from "./errors.ts";
import { describePodProblem, isPodReady } from "./pod-status.ts";
import { waitUntil, WaitTimeoutError, type Progress, type WaitOptions } from "./wait.ts";

export interface WorkloadRef {
  kind: "StatefulSet" | "Deployment";
  namespace: string;
  name: string;
}

export interface ScaleResult {
  /** spec.replicas before this call: what to scale back to. */
  previousReplicas: number;
}

/** The workload did not settle in time; it was scaled, and this says from what. */
export class ScaleNotSettledError extends Error {
  override readonly name = "ScaleNotSettledError";

  constructor(
    message: string,
    readonly previousReplicas: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** `statefulset uc1/kube-etcd`, as kubectl names it. */
export function describeWorkload(workload: WorkloadRef): string {
  return `${workload.kind.toLowerCase()} ${workload.namespace}/${workload.name}`;
}

/**
 * What a scale waits for. `ready` (the default): exactly that many pods, each Ready.
 * `created`: exactly that many pods exist, Ready or not; for putting back members that were
 * not Ready before either (a cluster that lost quorum never becomes Ready by itself).
 */
export type ScaleWaitOptions = WaitOptions & { until?: "ready" | "created" };

/** A resourceVersion conflict (someone else wrote in between) is retried this often. */
const CONFLICT_RETRIES = 3;

/**
 * Sets the workload's replicas and waits until its pods match (see the file comment).
 * Rejects with one sentence naming the pods still in the way and their reasons.
 */
export async function scaleWorkload(
  config: KubeConfig,
  workload: WorkloadRef,
  replicas: number,
  options: ScaleWaitOptions,
): Promise<ScaleResult> {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new ConfigurationError(
      "replicas",
      `expected a whole number, 0 or more, for ${describeWorkload(workload)}; got ${String(replicas)}`,
    );
  }
  const { previousReplicas, selector } = await setReplicas(config, workload, replicas);
  try {
    await waitForPods(config, workload, selector, replicas, options);
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    throw new ScaleNotSettledError(
      `${error.message}; it was scaled from ${previousReplicas} to ${replicas} replicas.`,
      previousReplicas,
      { cause: error },
    );
  }
  return { previousReplicas };
}

/** The workload's scale subresource; a refusal is one sentence naming the workload. */
async function readScale(config: KubeConfig, workload: WorkloadRef): Promise<V1Scale> {
  const apps = config.makeApiClient(AppsV1Api);
  const ref = { name: workload.name, namespace: workload.namespace };
  try {
    return workload.kind === "StatefulSet"
      ? await apps.readNamespacedStatefulSetScale(ref)
      : await apps.readNamespacedDeploymentScale(ref);
  } catch (error) {
    throw new Error(describeApiError(error, `the scale of ${describeWorkload(workload)}`), {
      cause: error,
    });
  }
}

async function setReplicas(
  config: KubeConfig,
  workload: WorkloadRef,
  replicas: number,
): Promise<{ previousReplicas: number; selector: string }> {
  const apps = config.makeApiClient(AppsV1Api);
  const what = `the scale of ${describeWorkload(workload)}`;
  const ref = { name: workload.name, namespace: workload.namespace };
  for (let attempt = 1; ; attempt++) {
    const scale = await readScale(config, workload);
    const previousReplicas = scale.spec?.replicas ?? 0;
    const selector = scale.status?.selector ?? "";
    if (!selector) {
      throw new Error(
        `${describeWorkload(workload)} reports no pod selector in its scale subresource, so its pods cannot be found.`,
      );
    }
    if (previousReplicas === replicas) return { previousReplicas, selector };
    // The read resourceVersion goes back with it: a concurrent change is a 409, not lost.
    const body: V1Scale = { ...scale, spec: { ...scale.spec, replicas } };
    try {
      if (workload.kind === "StatefulSet")
        await apps.replaceNamespacedStatefulSetScale({ ...ref, body });
      else await apps.replaceNamespacedDeploymentScale({ ...ref, body });
      return { previousReplicas, selector };
    } catch (error) {
      if ((error as { code?: number }).code === 409 && attempt < CONFLICT_RETRIES) continue;
      throw new Error(
        `scaling ${describeWorkload(workload)} to ${replicas} failed: ${describeApiError(error, what)}`,
        { cause: error },
      );
    }
  }
}

/** A pod's identity and restarts: the same key in two looks means it stayed up between. */
function readinessKey(pod: V1Pod): string {
  const restarts = (pod.status?.containerStatuses ?? []).reduce(
    (sum, status) => sum + (status.restartCount ?? 0),
    0,
  );
  return `${pod.metadata?.uid}:${restarts}`;
}

async function waitForPods(
  config: KubeConfig,
  workload: WorkloadRef,
  selector: string,
  replicas: number,
  options: ScaleWaitOptions,
): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  const name = describeWorkload(workload);
  const createdOnly = options.until === "created";
  const goal =
    replicas === 0
      ? `the pods of ${name} to be gone after scaling to 0`
      : createdOnly
        ? `${name} to have ${replicas} pods (Ready or not)`
        : `${name} to have ${replicas} Ready pods`;
  // Ready must hold in two looks in a row, by the same pods with no restart between: a
  // container without a readiness probe is Ready for the moment before it crashes.
  let readyBefore: string | undefined;
  await waitUntil(
    goal,
    async (): Promise<Progress<void>> => {
      const pods = await listPods(core, workload.namespace, selector, name);
      const live = pods.filter((pod) => !pod.metadata?.deletionTimestamp);
      const ready = live.filter(isPodReady);
      if (replicas === 0 && pods.length === 0) return { done: true, value: undefined };
      if (createdOnly && replicas > 0 && live.length === replicas && pods.length === replicas)
        return { done: true, value: undefined };
      if (replicas > 0 && ready.length === replicas && pods.length === replicas) {
        const readyNow = ready.map(readinessKey).sort().join(",");
        if (readyNow === readyBefore) return { done: true, value: undefined };
        readyBefore = readyNow;
        return { done: false, waitingFor: `${replicas} of ${replicas} Ready, looking again` };
      }
      readyBefore = undefined;
      const inTheWay = pods.filter((pod) => replicas === 0 || !isPodReady(pod));
      const nodes = await nodesOf(core, inTheWay);
      const counts =
        replicas === 0
          ? `${pods.length} left`
          : `${ready.length} of ${replicas} Ready${live.length < replicas ? `, ${replicas - live.length} not created yet` : ""}`;
      const problems = inTheWay.map((pod) => describePodProblem(pod, nodes)).join("; ");
      return { done: false, waitingFor: problems ? `${counts}: ${problems}` : counts };
    },
    options,
  );
}

/**
 * Whether the workload has all its replicas and every one of its pods is Ready now: what a
 * restore records before it stops something, so that putting it back waits for Ready only
 * when there was Ready to come back to.
 */
export async function isWorkloadReady(config: KubeConfig, workload: WorkloadRef): Promise<boolean> {
  const scale = await readScale(config, workload);
  const replicas = scale.spec?.replicas ?? 0;
  const selector = scale.status?.selector ?? "";
  if (!selector) return false;
  const core = config.makeApiClient(CoreV1Api);
  const pods = (
    await listPods(core, workload.namespace, selector, describeWorkload(workload))
  ).filter((pod) => !pod.metadata?.deletionTimestamp);
  return pods.length === replicas && pods.every(isPodReady);
}

export async function listPods(
  core: CoreV1Api,
  namespace: string,
  labelSelector: string,
  owner: string,
): Promise<V1Pod[]> {
  try {
    return (await core.listNamespacedPod({ namespace, labelSelector })).items;
  } catch (error) {
    throw new Error(describeApiError(error, `the pods of ${owner}`), { cause: error });
  }
}

/** The nodes the given pods run on, by name; empty when nodes cannot be read (RBAC). */
export async function nodesOf(core: CoreV1Api, pods: V1Pod[]): Promise<Map<string, V1Node>> {
  const names = new Set(pods.map((pod) => pod.spec?.nodeName).filter(Boolean) as string[]);
  const nodes = new Map<string, V1Node>();
  await Promise.all(
    [...names].map(async (name) => {
      try {
        nodes.set(name, await core.readNode({ name }));
      } catch {
        // Reading nodes only sharpens the message; the pod's own reasons still stand.
      }
    }),
  );
  return nodes;
}
