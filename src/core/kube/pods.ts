/**
 * Utility pods for restores (runbook 2.1: `kubectl create -f etcd-utility-N.yaml`, then
 * `kubectl delete pod`): create one and wait until it is Running and Ready, delete one and
 * wait until it is really gone. Both wait with a deadline and fail naming the pod's own
 * reasons (ImagePullBackOff, Unschedulable, CrashLoopBackOff, a NotReady node...).
 */
import type { KubeConfig, V1Pod } from "@kubernetes/client-node";
import { CoreV1Api } from "../kube-client.ts";
import { CancelledError, ConfigurationError, errorMessage } from "../errors.ts";
import { describeApiError } from "./errors.ts";
import { isPodReady, podProblemReasons } from "./pod-status.ts";
import { nodesOf } from "./scale.ts";
import { waitUntil, type Progress, type WaitOptions } from "./wait.ts";

export interface PodRef {
  namespace: string;
  name: string;
}

export interface CreatePodOptions extends WaitOptions {
  /** Leave a pod that never became Ready in place (for a look at it); by default it is deleted. */
  keepOnFailure?: boolean;
}

/** How long the clean-up of a pod that failed to start may take. */
const CLEANUP_TIMEOUT_MS = 60_000;

/** Creates the pod and waits until it is Running and Ready; returns it as last read. */
export async function createPodAndWait(
  config: KubeConfig,
  manifest: V1Pod,
  options: CreatePodOptions,
): Promise<V1Pod> {
  const ref = podRefOf(manifest);
  const core = config.makeApiClient(CoreV1Api);
  let created: V1Pod;
  try {
    created = await core.createNamespacedPod({ namespace: ref.namespace, body: manifest });
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 409) {
      throw new Error(
        `pod ${ref.namespace}/${ref.name} already exists (left by an earlier run?); delete it (kubectl delete pod -n ${ref.namespace} ${ref.name}) and run again.`,
        { cause: error },
      );
    }
    throw new Error(
      `creating pod ${ref.namespace}/${ref.name}: ${describeApiError(error, `pod ${ref.namespace}/${ref.name}`)}`,
      {
        cause: error,
      },
    );
  }
  const uid = created.metadata?.uid;
  try {
    return await waitUntil(
      `pod ${ref.namespace}/${ref.name} to become Ready`,
      () => readiness(core, ref, uid),
      options,
    );
  } catch (error) {
    if (options.keepOnFailure) throw error;
    const cleanup = await deleteQuietly(config, ref);
    const message = `${errorMessage(error).replace(/\.$/, "")}${cleanup}`;
    throw error instanceof CancelledError
      ? new CancelledError(message, { cause: error })
      : new Error(message, { cause: error });
  }
}

async function readiness(
  core: CoreV1Api,
  ref: PodRef,
  uid: string | undefined,
): Promise<Progress<V1Pod>> {
  const pod = await readPod(core, ref);
  if (!pod || (uid && pod.metadata?.uid !== uid)) {
    throw new Error(
      `pod ${ref.namespace}/${ref.name} was deleted by someone else while it started.`,
    );
  }
  if (isPodReady(pod)) return { done: true, value: pod };
  const phase = pod.status?.phase;
  if (phase === "Failed" || phase === "Succeeded") {
    // It will never become Ready: no point waiting for the deadline.
    throw new Error(
      `pod ${ref.namespace}/${ref.name} ended before it became Ready: ${podProblemReasons(pod)}.`,
    );
  }
  const nodes = await nodesOf(core, [pod]);
  return { done: false, waitingFor: podProblemReasons(pod, nodes) };
}

/**
 * Deletes the pod and waits until it is gone (a pod of the same name made again by a
 * controller, with another uid, counts as gone). A pod that does not exist is fine.
 */
export async function deletePodAndWait(
  config: KubeConfig,
  ref: PodRef,
  options: WaitOptions & { gracePeriodSeconds?: number },
): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  let deleted: V1Pod;
  try {
    deleted = await core.deleteNamespacedPod({
      ...ref,
      ...(options.gracePeriodSeconds === undefined
        ? {}
        : { gracePeriodSeconds: options.gracePeriodSeconds }),
    });
  } catch (error) {
    if ((error as { code?: number }).code === 404) return;
    throw new Error(
      `deleting pod ${ref.namespace}/${ref.name}: ${describeApiError(error, `pod ${ref.namespace}/${ref.name}`)}`,
      {
        cause: error,
      },
    );
  }
  const uid = deleted.metadata?.uid;
  await waitUntil(
    `pod ${ref.namespace}/${ref.name} to be gone after its deletion`,
    async (): Promise<Progress<void>> => {
      const pod = await readPod(core, ref);
      if (!pod || (uid && pod.metadata?.uid !== uid)) return { done: true, value: undefined };
      const nodes = await nodesOf(core, [pod]);
      return { done: false, waitingFor: podProblemReasons(pod, nodes) };
    },
    options,
  );
}

/** The pod, or undefined when it does not exist. */
async function readPod(core: CoreV1Api, ref: PodRef): Promise<V1Pod | undefined> {
  try {
    return await core.readNamespacedPod(ref);
  } catch (error) {
    if ((error as { code?: number }).code === 404) return undefined;
    throw new Error(describeApiError(error, `pod ${ref.namespace}/${ref.name}`), { cause: error });
  }
}

async function deleteQuietly(config: KubeConfig, ref: PodRef): Promise<string> {
  try {
    await deletePodAndWait(config, ref, { timeoutMs: CLEANUP_TIMEOUT_MS, gracePeriodSeconds: 0 });
    return "; the pod was deleted.";
  } catch (error) {
    return `; deleting the pod failed too (${errorMessage(error)}): delete it with kubectl delete pod -n ${ref.namespace} ${ref.name}.`;
  }
}

function podRefOf(manifest: V1Pod): PodRef {
  const name = manifest.metadata?.name;
  const namespace = manifest.metadata?.namespace;
  if (!name || !namespace) {
    throw new ConfigurationError(
      "pod manifest",
      "expected metadata.name and metadata.namespace (a utility pod needs a fixed name to be found and removed again)",
    );
  }
  if (!manifest.spec?.containers?.length) {
    throw new ConfigurationError(
      "pod manifest",
      `pod ${namespace}/${name} has no containers in spec.containers`,
    );
  }
  return { namespace, name };
}
