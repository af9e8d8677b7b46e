/**
 * The cluster writes a restore makes: scale a workload and wait until its pods are really
 * gone or Ready, create a utility pod and wait until it runs, delete a pod and wait until it
 * is gone, save and re-create a PodDisruptionBudget exactly as it was. Each wait has a
 * deadline, and its error names the pods and their own reasons.
 */
import {
  AppsV1Api,
  CoreV1Api,
  PolicyV1Api,
  type KubeConfig,
  type V1Pod,
  type V1PodDisruptionBudget,
} from "@kubernetes/client-node";
import { CancelledError } from "../errors.ts";
import { describeApiError } from "./errors.ts";

export type WorkloadKind = "statefulset" | "deployment";

export interface WorkloadRef {
  kind: WorkloadKind;
  namespace: string;
  name: string;
}

const describeWorkload = (ref: WorkloadRef) => `${ref.kind} ${ref.namespace}/${ref.name}`;

export interface WaitOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** How often to look; default 1 s. */
  intervalMs?: number;
}

/** The workload's desired replicas and the label selector of its pods. */
export async function readWorkload(
  config: KubeConfig,
  ref: WorkloadRef,
): Promise<{ replicas: number; selector: string }> {
  const apps = config.makeApiClient(AppsV1Api);
  const object = await (
    ref.kind === "statefulset"
      ? apps.readNamespacedStatefulSet({ name: ref.name, namespace: ref.namespace })
      : apps.readNamespacedDeployment({ name: ref.name, namespace: ref.namespace })
  ).catch((error: unknown) => {
    throw new Error(describeApiError(error, describeWorkload(ref)), { cause: error });
  });
  const labels = object.spec?.selector.matchLabels ?? {};
  return {
    replicas: object.spec?.replicas ?? 1,
    selector: Object.entries(labels)
      .map(([key, value]) => `${key}=${value}`)
      .join(","),
  };
}

/**
 * Sets the workload's replicas through its scale subresource and waits until exactly that
 * many of its pods exist and are Ready (none at all for 0, terminating ones included).
 */
export async function scaleAndWait(
  config: KubeConfig,
  ref: WorkloadRef,
  replicas: number,
  options: WaitOptions = {},
): Promise<void> {
  const apps = config.makeApiClient(AppsV1Api);
  const body = {
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: { name: ref.name, namespace: ref.namespace },
    spec: { replicas },
  };
  await (
    ref.kind === "statefulset"
      ? apps.replaceNamespacedStatefulSetScale({ name: ref.name, namespace: ref.namespace, body })
      : apps.replaceNamespacedDeploymentScale({ name: ref.name, namespace: ref.namespace, body })
  ).catch((error: unknown) => {
    throw new Error(
      `scaling ${describeWorkload(ref)} to ${replicas}: ${describeApiError(error, describeWorkload(ref))}`,
      {
        cause: error,
      },
    );
  });
  const { selector } = await readWorkload(config, ref);
  await waitForPods(
    config,
    ref.namespace,
    selector,
    (pods) =>
      replicas === 0
        ? pods.length === 0
        : pods.length === replicas &&
          pods.every((pod) => !pod.metadata?.deletionTimestamp && isReady(pod)),
    `${describeWorkload(ref)} to have ${replicas === 0 ? "no pods left" : `${replicas} Ready pod(s)`}`,
    options,
  );
}

/** Creates a pod and waits until it runs with every container Ready. */
export async function createPodAndWait(
  config: KubeConfig,
  pod: V1Pod,
  options: WaitOptions = {},
): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  const namespace = pod.metadata!.namespace!;
  const name = pod.metadata!.name!;
  await core.createNamespacedPod({ namespace, body: pod }).catch((error: unknown) => {
    throw new Error(
      `creating pod ${namespace}/${name}: ${describeApiError(error, `pod ${namespace}/${name}`)}`,
      {
        cause: error,
      },
    );
  });
  await waitForPods(
    config,
    namespace,
    undefined,
    (pods) => {
      const found = pods.find((candidate) => candidate.metadata?.name === name);
      return Boolean(found && isReady(found));
    },
    `pod ${namespace}/${name} to run`,
    { ...options, name },
  );
}

/** Deletes a pod (if it exists) and waits until it is gone. */
export async function deletePodAndWait(
  config: KubeConfig,
  namespace: string,
  name: string,
  options: WaitOptions = {},
): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  await core.deleteNamespacedPod({ name, namespace }).catch((error: unknown) => {
    if ((error as { code?: number }).code === 404) return;
    throw new Error(
      `deleting pod ${namespace}/${name}: ${describeApiError(error, `pod ${namespace}/${name}`)}`,
      {
        cause: error,
      },
    );
  });
  await waitForPods(
    config,
    namespace,
    undefined,
    (pods) => !pods.some((pod) => pod.metadata?.name === name),
    `pod ${namespace}/${name} to be gone`,
    { ...options, name },
  );
}

/** Whether a pod exists. */
export async function podExists(
  config: KubeConfig,
  namespace: string,
  name: string,
): Promise<boolean> {
  const core = config.makeApiClient(CoreV1Api);
  try {
    await core.readNamespacedPod({ name, namespace });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return false;
    throw new Error(describeApiError(error, `pod ${namespace}/${name}`), { cause: error });
  }
}

/** The PodDisruptionBudget as a manifest to re-create it exactly: no server-set fields. */
export async function readPdbManifest(
  config: KubeConfig,
  namespace: string,
  name: string,
): Promise<V1PodDisruptionBudget | undefined> {
  const policy = config.makeApiClient(PolicyV1Api);
  let pdb: V1PodDisruptionBudget;
  try {
    pdb = await policy.readNamespacedPodDisruptionBudget({ name, namespace });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw new Error(describeApiError(error, `poddisruptionbudget ${namespace}/${name}`), {
      cause: error,
    });
  }
  const { labels, annotations } = pdb.metadata ?? {};
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: {
      name,
      namespace,
      ...(labels ? { labels } : {}),
      ...(annotations ? { annotations } : {}),
    },
    spec: pdb.spec,
  };
}

export async function deletePdb(
  config: KubeConfig,
  namespace: string,
  name: string,
): Promise<void> {
  const policy = config.makeApiClient(PolicyV1Api);
  await policy.deleteNamespacedPodDisruptionBudget({ name, namespace }).catch((error: unknown) => {
    if ((error as { code?: number }).code === 404) return;
    throw new Error(describeApiError(error, `poddisruptionbudget ${namespace}/${name}`), {
      cause: error,
    });
  });
}

/** Re-creates a saved PDB; one that already exists (a rerun) is left as it is. */
export async function recreatePdb(
  config: KubeConfig,
  manifest: V1PodDisruptionBudget,
): Promise<void> {
  const policy = config.makeApiClient(PolicyV1Api);
  const namespace = manifest.metadata!.namespace!;
  await policy
    .createNamespacedPodDisruptionBudget({ namespace, body: manifest })
    .catch((error: unknown) => {
      if ((error as { code?: number }).code === 409) return;
      throw new Error(
        `re-creating poddisruptionbudget ${namespace}/${manifest.metadata!.name}: ${describeApiError(error, "the PDB")}`,
        { cause: error },
      );
    });
}

function isReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === "Running" &&
    (pod.status.conditions ?? []).some(
      (condition) => condition.type === "Ready" && condition.status === "True",
    )
  );
}

/** Each pod's own reason for not being Ready: ImagePullBackOff, Unschedulable, CrashLoopBackOff... */
export function podProblems(pods: V1Pod[]): string {
  if (pods.length === 0) return "no pods";
  return pods
    .map((pod) => {
      const name = pod.metadata?.name ?? "?";
      if (pod.metadata?.deletionTimestamp) return `${name}: terminating`;
      const waiting = (pod.status?.containerStatuses ?? [])
        .map((status) => status.state?.waiting?.reason)
        .filter(Boolean);
      if (waiting.length) return `${name}: ${waiting.join(", ")}`;
      const unschedulable = (pod.status?.conditions ?? []).find(
        (condition) => condition.type === "PodScheduled" && condition.status === "False",
      );
      if (unschedulable)
        return `${name}: ${unschedulable.reason ?? "not scheduled"}${unschedulable.message ? ` (${unschedulable.message})` : ""}`;
      return `${name}: ${pod.status?.phase ?? "unknown"}${isReady(pod) ? ", Ready" : ", not Ready"}`;
    })
    .join("; ");
}

async function waitForPods(
  config: KubeConfig,
  namespace: string,
  labelSelector: string | undefined,
  done: (pods: V1Pod[]) => boolean,
  what: string,
  options: WaitOptions & { name?: string },
): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  const interval = options.intervalMs ?? 1000;
  for (;;) {
    if (options.signal?.aborted) throw new CancelledError(`cancelled while waiting for ${what}`);
    const list = await core
      .listNamespacedPod({
        namespace,
        ...(labelSelector ? { labelSelector } : {}),
        ...(options.name ? { fieldSelector: `metadata.name=${options.name}` } : {}),
      })
      .catch((error: unknown) => {
        throw new Error(describeApiError(error, `pods in ${namespace}`), { cause: error });
      });
    if (done(list.items)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${Math.round((options.timeoutMs ?? 180_000) / 1000)} s waiting for ${what}: ${podProblems(list.items)}.`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
